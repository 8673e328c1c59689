/**
 * What a delta version stores instead of a whole snapshot and model: the changes since its full base version,
 * cumulative (so a reader needs the base and this one delta, never a chain of them), and the versions of the chain
 * that led to it (so a reader holding one of them can apply only what is newer).
 *
 * @module
 */
import type { Snapshot } from "@accessmap/shared/snapshot/schema";
import { z } from "zod";
import { applyModelDelta, type ModelDelta } from "./model-delta.js";
import { applySnapshotDelta, type SnapshotDelta } from "./snapshot-delta.js";
import type { Model } from "./types.js";

export const VERSION_DELTA_FORMAT = 1 as const;

export interface VersionDelta {
  format: typeof VERSION_DELTA_FORMAT;
  /** The full version the delta is over. */
  baseVersion: number;
  /** The delta versions since the base, oldest first, this one last. */
  chain: number[];
  snapshot: SnapshotDelta;
  model: ModelDelta;
}

/** The envelope of a stored delta, checked when it is read back (its content is the store's own writing). */
const Envelope = z.looseObject({
  format: z.literal(VERSION_DELTA_FORMAT),
  baseVersion: z.number().int().positive(),
  chain: z.array(z.number().int().positive()).min(1),
  snapshot: z.looseObject({
    header: z.looseObject({ runId: z.string() }),
    sections: z.record(z.string(), z.unknown()),
  }),
  model: z.looseObject({
    header: z.looseObject({ notes: z.array(z.string()) }),
    resources: z.array(z.unknown()),
    buckets: z.array(z.unknown()),
    conditional: z.array(z.unknown()),
  }),
});

/** Checks a decoded delta's envelope; throws a ZodError naming the field that is wrong. */
export function parseVersionDelta(value: unknown): VersionDelta {
  Envelope.parse(value);
  return value as VersionDelta;
}

/**
 * The snapshot and model of a delta version from its base's. With `after` (a version of the delta's chain, or its
 * base), `base` is that version's content and only what changed since is applied.
 */
export function applyVersionDelta(
  base: { snapshot: Snapshot | null; model: Model | null },
  d: VersionDelta,
  after = Number.NEGATIVE_INFINITY,
): { snapshot: Snapshot | null; model: Model | null } {
  return {
    snapshot: base.snapshot ? applySnapshotDelta(base.snapshot, d.snapshot, after) : null,
    model: base.model ? applyModelDelta(base.model, d.model, after) : null,
  };
}

/** Whether a reader holding `version` can reach the delta's version by applying only the newer parts. */
export function canApplyAfter(d: VersionDelta, version: number): boolean {
  return version === d.baseVersion || d.chain.includes(version);
}
