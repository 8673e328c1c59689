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

export interface NormalizedEvent {
  tenantId: string;
  /** Where it came from. */
  source: "bitbucket-webhook" | "forge-event" | "admin-events";
  /** The vendor's event type, e.g. `repo:updated`, `avi:confluence:permissions_updated:space:V2`. */
  kind: string;
  /** Sections to re-read; `full` asks for a full sync instead (large changes). */
  sections: SectionName[] | "full";
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
}
