/**
 * The admin page's sync status (`SyncOverview`): the run going on now with an estimate of its progress, the state
 * of each product in the current model, the last sync job, and a run held by the mass-deletion guard.
 *
 * **Progress.** The worker writes each source's progress into the running snapshot's statuses (calls made so far,
 * and the current phase's `done`/`total`). A source's share is estimated from the calls it made against the calls
 * it needed in the current snapshot's run (the best predictor of the next run's size); without that, from its
 * phase's `done`/`total`; a source with neither counts as not started. The fraction is the mean over the sources
 * the configuration reads, capped below 1 while the run goes on, or null when nothing can be estimated.
 *
 * **Product state.** Each status of the current snapshot as its run (or the Forge crawl that patched it in) left
 * it: `readAt` is when that source was read. A product the configuration lists that no run has read yet is
 * `skipped`, with a reason.
 *
 * @module
 */
import type { ProductStatus } from "@accessmap/shared/snapshot/schema";
import type { ProductRun, SyncOverview } from "@accessmap/shared/wire/admin";
import { redactString } from "../security/logger.js";
import type { SnapshotRecord, Store, Tenant } from "../store/store.js";
import { connectionFields, secretsSet } from "./tenant-config.js";

/** Patch snapshots (events, crawls, lifecycle) start right before their commit: not a run to show. */
const isPatch = (s: SnapshotRecord) => s.runId.startsWith("patch-");

const productRun = (s: ProductStatus): ProductRun => ({
  product: s.product,
  state: s.state,
  reasons: s.reasons.map(redactString),
  readAt: s.finishedAt,
});

/**
 * The sources a tenant's configuration reads, in snapshot order (from the stored, non-secret fields), and who reads
 * each: the sync, or the Forge app (`siteAccess: "forge"` for Jira and Confluence).
 */
export function configuredSources(tenant: Tenant): Array<{ source: string; by: "sync" | "forge" }> {
  const c = connectionFields(tenant);
  const products = Array.isArray(c.products) ? c.products : [];
  const secrets = secretsSet(tenant);
  const lifecycle = c.lifecycle && typeof c.lifecycle === "object" ? (c.lifecycle as Record<string, unknown>) : {};
  const forge = c.siteAccess === "forge";
  const out: Array<{ source: string; by: "sync" | "forge" }> = [];
  if (secrets.includes("adminApiKey") && typeof c.orgId === "string") out.push({ source: "admin", by: "sync" });
  if (typeof lifecycle.scimUrl === "string" && secrets.includes("lifecycle.scimToken")) {
    out.push({ source: "scim", by: "sync" });
  }
  for (const p of ["jira", "confluence", "bitbucket"]) {
    if (products.includes(p)) out.push({ source: p, by: forge && p !== "bitbucket" ? "forge" : "sync" });
  }
  return out;
}

/** The running run's progress, 0..1 (below 1 while it runs), or null when nothing can be estimated. */
export function estimateProgress(
  running: readonly ProductStatus[],
  previous: readonly ProductStatus[],
  sources: readonly string[],
): number | null {
  if (sources.length === 0) return null;
  let known = false;
  let sum = 0;
  for (const source of sources) {
    const now = running.find((s) => s.product === source);
    const before = previous.find((s) => s.product === source);
    if (before && before.calls > 0) {
      known = true;
      sum += Math.min(1, (now?.calls ?? 0) / before.calls);
    } else if (now && typeof now.counts.total === "number" && now.counts.total > 0) {
      known = true;
      sum += Math.min(1, (now.counts.done ?? 0) / now.counts.total);
    }
  }
  if (!known) return null;
  return Math.min(0.99, Math.round((sum / sources.length) * 100) / 100);
}

/** The overview of one tenant's syncs. */
export async function syncOverview(store: Store, tenant: Tenant): Promise<SyncOverview> {
  const sources = configuredSources(tenant);
  const recent = await store.listSnapshots(tenant.id, { limit: 20 });
  const pointer = await store.getCurrentPointer(tenant.id);
  const current = pointer ? await store.getSnapshot(tenant.id, pointer.version) : null;

  const runningSnapshot = recent.find((s) => s.state === "running" && !isPatch(s)) ?? null;
  const [runningJob] = await store.listJobs({ tenantId: tenant.id, states: ["running"], limit: 1 });
  const [lastJob] = await store.listJobs({ tenantId: tenant.id, limit: 1 });
  const held = recent.find((s) => s.state === "held" && (!pointer || s.version > pointer.version)) ?? null;

  let running: SyncOverview["running"] = null;
  if (runningSnapshot || runningJob) {
    const statuses = runningSnapshot?.statuses ?? [];
    running = {
      jobId: runningJob?.id ?? null,
      startedAt: runningSnapshot?.startedAt ?? runningJob?.startedAt ?? null,
      progress: estimateProgress(
        statuses,
        current?.statuses ?? [],
        sources.filter((s) => s.by === "sync").map((s) => s.source),
      ),
      products: statuses.map(productRun),
    };
  }

  let currentView: SyncOverview["current"] = null;
  if (pointer && current) {
    const products = current.statuses.map(productRun);
    for (const { source, by } of sources) {
      if (products.some((p) => p.product === source)) continue;
      const reason =
        by === "forge"
          ? "not read yet: the Forge app reads it on its next crawl"
          : "not read yet: the next sync reads it";
      products.push({ product: source, state: "skipped", reasons: [reason], readAt: null });
    }
    currentView = { version: pointer.version, committedAt: pointer.committedAt, products };
  }

  return {
    tenantName: tenant.name,
    running,
    current: currentView,
    lastJob: lastJob
      ? {
          id: lastJob.id,
          state: lastJob.state,
          finishedAt: lastJob.finishedAt,
          error: lastJob.error === null ? null : redactString(lastJob.error),
        }
      : null,
    held: held ? { version: held.version, reason: held.reason === null ? null : redactString(held.reason) } : null,
  };
}
