/**
 * The normalized event every ingestion path (Bitbucket webhooks, Forge product events, the Admin events stream)
 * puts on the in-process queue. An event is only a **hint**: it names which section of the tenant's snapshot may
 * have changed, and the processor re-reads that section's CURRENT state (W7), so an old, replayed or reordered
 * event can never make the model regress.
 *
 * @module
 */
import type { ProductName } from "@accessmap/shared/snapshot/schema";

/** A snapshot section an event can invalidate. */
export type SectionName = ProductName;

/**
 * What within a section an event is about, when the processor can re-read just that: a Bitbucket repository (slug
 * or `{uuid}`) or project (key), a Jira project (key or id), a Confluence space (key). Like the event itself it
 * only says what to read; the data comes from the read.
 */
export type EventScope =
  | { section: "bitbucket"; kind: "repository"; ref: string }
  | { section: "bitbucket"; kind: "project"; ref: string }
  | { section: "jira"; kind: "project"; ref: string }
  | { section: "confluence"; kind: "space"; ref: string };

export interface NormalizedEvent {
  tenantId: string;
  /** Where it came from. */
  source: "bitbucket-webhook" | "forge-event" | "admin-events";
  /** The vendor's event type, e.g. `repo:updated`, `avi:confluence:permissions_updated:space:V2`. */
  kind: string;
  /** Sections to re-read; `full` asks for a full sync instead (large changes). */
  sections: SectionName[] | "full";
  /** What to re-read within those sections; absent or empty: the whole sections. */
  scopes?: EventScope[];
  /** What it is about (repository uuid, space key, account id …), for logs and audit; never trusted for data. */
  target: string | null;
  /** The delivery or event id, when there is one. */
  deliveryId: string | null;
  /** When the service accepted it (ms since epoch, the service clock). */
  receivedAt: number;
}

/** What became of a batch of events of one tenant. */
export interface PatchOutcome {
  tenantId: string;
  /** `patched`: a new version is current; `held`: the guard held it; `sync-requested`: a full sync was queued
   *  instead; `skipped`: nothing to patch (no current model yet, or no configuration for the section); `failed`. */
  outcome: "patched" | "held" | "sync-requested" | "skipped" | "failed";
  version: number | null;
  sections: SectionName[];
  events: NormalizedEvent[];
  /** Base versions this patch re-based over (a full sync committed meanwhile, P6). */
  rebased: number;
  reason: string | null;
  /** What the patch cost (benchmark, logs), when one was attempted. */
  metrics?: PatchMetrics;
}

/** The cost of one patch, by phase, with its counts. */
export interface PatchMetrics {
  /** `incremental`: only the touched resources were resolved, and a delta version stored; `full`: a full build. */
  mode: "incremental" | "full";
  /** Sections read in part (the targets named) and read whole. */
  targeted: SectionName[];
  whole: SectionName[];
  /** API calls of the re-read (all attempts). */
  calls: number;
  /** Time to load the patch base (0 when it was in memory), to re-read, to patch the model, to commit. */
  loadMs: number;
  readMs: number;
  patchMs: number;
  commitMs: number;
  /** What the commit stored: the delta (gzip, and its JSON), or the whole snapshot and model. */
  storedBytes: number;
  storedJsonBytes: number;
  /** Access buckets (one resource's entries) the patch replaced. */
  buckets: number;
  /** The full version the stored delta rests on; null for a full version. */
  baseVersion: number | null;
}
