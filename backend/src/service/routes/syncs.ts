/**
 * Sync jobs: request one (deduplicated while one is queued), list them, follow one (state and per-source progress
 * of the run it drives), cancel one. The work itself is done by the sync worker, which claims queued jobs.
 *
 * @module
 */
import { z } from "zod";
import type { Router } from "../contract.js";
import { ApiError, notFound } from "../errors.js";
import { PageQuery, pageByKey, pageOf } from "../pagination.js";
import { JobView, jobView, SnapshotView, snapshotView, TenantIdParam } from "../schemas.js";
import type { Services } from "../services.js";

/** While a sync of a tenant is queued, requesting another returns that one. */
export const SYNC_DEDUPE_KEY = "sync";

export const SyncRequested = z.object({
  job: JobView,
  created: z.boolean().describe("False when a queued sync already existed and is returned instead."),
});

export const JobWithProgress = JobView.extend({
  progress: SnapshotView.nullable().describe("While the job runs: the snapshot being written, with per-source status."),
});

/** Enqueues a sync of `tenantId` (or returns the one already queued) and audits the request. */
export async function requestSync(
  services: Services,
  tenantId: string,
  actor: string,
  requestId: string,
): Promise<z.infer<typeof SyncRequested>> {
  const { job, created } = await services.store.enqueueJob(tenantId, {
    kind: "sync",
    dedupeKey: SYNC_DEDUPE_KEY,
    payload: { trigger: "api", actor },
  });
  if (created) services.onSyncRequested(tenantId);
  await services.store.appendAudit({
    tenantId,
    actor,
    action: "sync.request",
    target: `job:${job.id}`,
    result: created ? "queued" : "deduplicated",
    requestId,
  });
  return { job: jobView(job), created };
}

const JobParams = TenantIdParam.extend({ jobId: z.string().min(1).max(200) });

export function syncRoutes(r: Router): void {
  r.route(
    {
      method: "post",
      path: "/v1/tenants/{tenantId}/syncs",
      operationId: "requestSync",
      summary: "Request a sync",
      description:
        "Queues a sync of the tenant. While one is queued, a second request returns the same job (`created: false`).",
      tags: ["syncs"],
      auth: "tenant",
      params: TenantIdParam,
      body: z.strictObject({}),
      bodyOptional: true,
      responses: { 202: { description: "Queued (or already queued).", schema: SyncRequested } },
    },
    async ({ tenant, services, actor, c }) => ({
      status: 202,
      body: await requestSync(services, tenant!.id, actor, c.get("requestId")),
    }),
  );

  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/syncs",
      operationId: "listSyncs",
      summary: "List sync jobs",
      description: "Newest first (the most recent 1000 jobs).",
      tags: ["syncs"],
      auth: "tenant",
      params: TenantIdParam,
      query: PageQuery,
      responses: { 200: { description: "A page of jobs.", schema: pageOf(JobView) } },
    },
    async ({ tenant, query, services }) => {
      const jobs = await services.store.listJobs({ tenantId: tenant!.id, limit: 1000 });
      const page = pageByKey("syncs", jobs, (j) => `${j.createdAt}\u0000${j.id}`, query, "desc");
      return { status: 200, body: { items: page.items.map(jobView), next: page.next } };
    },
  );

  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/syncs/{jobId}",
      operationId: "getSync",
      summary: "Follow a sync job",
      tags: ["syncs"],
      auth: "tenant",
      params: JobParams,
      responses: { 200: { description: "The job, with progress while it runs.", schema: JobWithProgress } },
    },
    async ({ tenant, params, services }) => {
      const job = await services.store.getJob(tenant!.id, params.jobId);
      if (!job) throw notFound("sync job");
      let progress: SnapshotView | null = null;
      if (job.state === "running") {
        // One running job per tenant: the newest running snapshot is this job's.
        const [latest] = await services.store.listSnapshots(tenant!.id, { limit: 1 });
        if (latest?.state === "running") progress = snapshotView(latest);
      }
      return { status: 200, body: { ...jobView(job), progress } };
    },
  );

  r.route(
    {
      method: "post",
      path: "/v1/tenants/{tenantId}/syncs/{jobId}/cancel",
      operationId: "cancelSync",
      summary: "Cancel a sync job",
      description:
        "A queued job is cancelled at once; a running one is asked to stop and ends `cancelled` when its worker " +
        "notices. The current model is never touched by a cancelled run.",
      tags: ["syncs"],
      auth: "tenant",
      params: JobParams,
      responses: { 200: { description: "The job after the request.", schema: JobView } },
      errors: [409],
    },
    async ({ tenant, params, services, actor, c }) => {
      const before = await services.store.getJob(tenant!.id, params.jobId);
      if (!before) throw notFound("sync job");
      if (before.state !== "queued" && before.state !== "running") {
        throw new ApiError(409, "conflict", `the job has already ended (${before.state})`);
      }
      const job = await services.store.cancelJob(tenant!.id, params.jobId);
      if (!job) throw notFound("sync job");
      await services.store.appendAudit({
        tenantId: tenant!.id,
        actor,
        action: "sync.cancel",
        target: `job:${job.id}`,
        result: job.state === "cancelled" ? "cancelled" : "requested",
        requestId: c.get("requestId"),
      });
      return { status: 200, body: jobView(job) };
    },
  );
}
