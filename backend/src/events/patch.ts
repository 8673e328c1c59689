/**
 * The incremental patch path shared by event processing and Forge crawls: take the tenant's current snapshot,
 * replace the given sections, build the model, apply the mass-deletion guard, and commit it as a new version,
 * marked as a patch in its statuses' reasons and the snapshot's notes.
 *
 * **No lost update (P6).** The commit is a compare-and-set on the current pointer (`expectedCurrent`): when a full
 * sync (or another process's patch) committed after the base was read, the commit is refused and the patch
 * **re-bases**: the sections are produced again (`produce` re-reads the CURRENT state for an event, or returns the
 * same rows for a crawl) over the new current snapshot. After `maxAttempts` it is dropped as superseded — the
 * versions that superseded it are at least as new as what it would have written. A patch also waits (bounded) while
 * a full sync of the tenant is running, so it neither makes the sync's commit fail ("older than the current") nor
 * overwrites it.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import type { ProductStatus, Snapshot } from "@accessmap/shared/snapshot/schema";
import { Snapshot as SnapshotSchema } from "@accessmap/shared/snapshot/schema";
import { buildModel } from "../model/build-model.js";
import { ConflictError, type SnapshotRecord, type Store } from "../store/store.js";
import { massDeletionGuard } from "../sync/mass-deletion-guard.js";
import type { SectionName } from "./types.js";

export interface ProducedSections {
  /** The new content of each section (null: the section could not be read: the patch leaves it as it was). */
  sections: Partial<Record<SectionName, unknown>>;
  /** The status of each re-read section. */
  statuses: ProductStatus[];
}

export interface PatchInput {
  /** Produces the sections; called again on every re-base. */
  produce: () => Promise<ProducedSections>;
  /** Why, for the notes and audit: `event patch: repo:updated ×3`. */
  note: string;
  actor: string;
  /** Without a current snapshot: build on an empty one (a crawl) or skip (an event: the full sync comes first). */
  allowWithoutBase: boolean;
  massDeletionThreshold?: number;
  maxAttempts?: number;
  /** How long to wait for a running full sync before patching anyway. Default 120 s. */
  syncWaitMs?: number;
  syncPollMs?: number;
  now?: () => Date;
}

export type PatchResult =
  | { outcome: "committed" | "held"; record: SnapshotRecord; rebased: number }
  | { outcome: "no-base" | "nothing-read" | "superseded"; record: null; rebased: number; reason: string };

/** The marker a patched snapshot's statuses and notes carry. */
export const PATCH_MARK = "event patch";

const SECTIONS: readonly SectionName[] = ["admin", "scim", "jira", "confluence", "bitbucket"];

/** A running full sync of the tenant, if any (patches are never left `running`: they start right before commit). */
async function runningSync(store: Store, tenantId: string): Promise<SnapshotRecord | null> {
  const recent = await store.listSnapshots(tenantId, { limit: 10 });
  return recent.find((s) => s.state === "running") ?? null;
}

function emptySnapshot(now: string): Snapshot {
  return {
    version: 1,
    runId: "empty",
    startedAt: now,
    finishedAt: now,
    site: null,
    statuses: [],
    notes: [],
    admin: null,
    scim: null,
    jira: null,
    confluence: null,
    bitbucket: null,
  };
}

/** The base snapshot with `produced` sections replaced (validated against the snapshot schema). */
export function mergeSections(base: Snapshot, produced: ProducedSections, runId: string, note: string, at: string) {
  const next: Record<string, unknown> = { ...base, runId, finishedAt: at };
  const replaced: SectionName[] = [];
  for (const s of SECTIONS) {
    const v = produced.sections[s];
    if (v === undefined || v === null) continue;
    next[s] = v;
    replaced.push(s);
  }
  const statuses = base.statuses.filter((st) => !replaced.includes(st.product));
  for (const st of produced.statuses) {
    if (!replaced.includes(st.product)) continue;
    statuses.push({ ...st, reasons: [...st.reasons, `${PATCH_MARK}: ${note}`] });
  }
  next.statuses = statuses.sort((a, b) => SECTIONS.indexOf(a.product) - SECTIONS.indexOf(b.product));
  next.notes = [...base.notes.filter((n) => !n.startsWith(`${PATCH_MARK}:`)), `${PATCH_MARK}: ${note}`];
  return { snapshot: SnapshotSchema.parse(next), replaced };
}

export async function patchCurrent(store: Store, tenantId: string, input: PatchInput): Promise<PatchResult> {
  const now = input.now ?? (() => new Date());
  const maxAttempts = input.maxAttempts ?? 4;
  const waitMs = input.syncWaitMs ?? 120_000;
  const pollMs = input.syncPollMs ?? 25;
  let rebased = 0;
  let lastBase: number | null = null;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const deadline = Date.now() + waitMs;
    while ((await runningSync(store, tenantId)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, pollMs));
    }
    const pointer = await store.getCurrentPointer(tenantId);
    if (!pointer && !input.allowWithoutBase) {
      return { outcome: "no-base", record: null, rebased, reason: "the tenant has no current model yet" };
    }
    if (lastBase !== null && pointer?.version !== lastBase) rebased++;
    lastBase = pointer?.version ?? null;
    const produced = await input.produce();
    if (Object.values(produced.sections).every((v) => v === null || v === undefined)) {
      return { outcome: "nothing-read", record: null, rebased, reason: "no section could be read" };
    }
    const data = pointer ? await store.readSnapshotData(tenantId, pointer.version) : null;
    const at = now().toISOString();
    const base = data?.snapshot ?? emptySnapshot(at);
    const runId = `patch-${randomUUID()}`;
    const { snapshot } = mergeSections(base, produced, runId, input.note, at);
    const model = buildModel(snapshot);
    const verdict = massDeletionGuard(data?.model ?? null, model, input.massDeletionThreshold);
    const started = await store.startSnapshot(tenantId, { runId, statuses: snapshot.statuses });
    try {
      const record = await store.commitSnapshot(tenantId, started.version, {
        snapshot,
        model,
        statuses: snapshot.statuses,
        hold: verdict.hold && verdict.reason ? { reason: verdict.reason } : null,
        expectedCurrent: pointer?.version ?? null,
      });
      return { outcome: verdict.hold ? "held" : "committed", record, rebased };
    } catch (err) {
      const reason = `superseded: the base version ${pointer?.version ?? "none"} stopped being current before this ${PATCH_MARK} committed`;
      await store.endSnapshot(tenantId, started.version, { state: "failed", reason }).catch(() => undefined);
      if (!(err instanceof ConflictError)) throw err;
      if (attempt === maxAttempts) return { outcome: "superseded", record: null, rebased, reason };
    }
  }
  return { outcome: "superseded", record: null, rebased, reason: "superseded" };
}
