/**
 * The sync scheduler: every tick, enqueues a sync for each tenant whose configuration asks for one every N minutes
 * (`schedule: { everyMinutes: N }`) and whose last sync — the newest snapshot's start, or the newest sync job's
 * enqueue, start or end, whichever is latest — is at least N minutes old. A tenant with a queued or running sync job
 * is skipped.
 *
 * Several service processes may run a scheduler against one PostgreSQL store at once. Each enqueue carries the
 * dedupe key `sync`, so while a sync of the tenant is queued the store hands back that job instead of adding
 * another; two schedulers that see the same tenant due in the same tick therefore queue it once. (The only
 * duplicate left is a worker claiming the first job in the few milliseconds between the second scheduler's check and
 * its enqueue: one extra sync, which is harmless.)
 */
import type { Logger } from "../security/logger.js";
import type { Store, Tenant } from "../store/store.js";

/** The dedupe key of every scheduled (and, by convention, every requested) sync. */
export const SYNC_DEDUPE_KEY = "sync";

export interface Schedule {
  everyMinutes: number;
}

/** The schedule a tenant's configuration asks for, or null (none, or not a positive number of minutes). */
export function scheduleOf(config: Record<string, unknown>): Schedule | null {
  const s = config.schedule;
  if (!s || typeof s !== "object") return null;
  const every = (s as Record<string, unknown>).everyMinutes;
  if (typeof every !== "number" || !Number.isFinite(every) || every <= 0) return null;
  return { everyMinutes: every };
}

export interface SchedulerDeps {
  store: Store;
  logger: Logger;
  /** Time between ticks (default 30 s). */
  intervalMs?: number;
  /** Time before the first tick (default 5 s, so a starting service is up before it syncs). */
  firstTickMs?: number;
  /** The scheduler's clock (default the system clock); compare with the store's. */
  now?: () => Date;
}

export interface Scheduler {
  /** Stops ticking; waits for a tick in progress. */
  stop(): Promise<void>;
  /** One pass over the tenants, after any pass in progress; returns how many syncs it queued. */
  tick(): Promise<number>;
}

const ACTOR = "system:scheduler";

/** Starts ticking at once and then every `intervalMs`. */
export function startScheduler(deps: SchedulerDeps): Scheduler {
  const { store } = deps;
  const intervalMs = deps.intervalMs ?? 30_000;
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ component: "sync-scheduler" });
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  /** Whether the tenant is due, given its schedule. */
  const due = async (tenant: Tenant, schedule: Schedule, at: number): Promise<boolean> => {
    const [jobs, snapshots] = await Promise.all([
      store.listJobs({ tenantId: tenant.id, limit: 20 }),
      store.listSnapshots(tenant.id, { limit: 1 }),
    ]);
    if (jobs.some((j) => j.kind === "sync" && (j.state === "queued" || j.state === "running"))) return false;
    const times = [
      ...jobs
        .filter((j) => j.kind === "sync")
        .flatMap((j) => [j.createdAt, j.startedAt, j.finishedAt])
        .map((t) => (t ? Date.parse(t) : Number.NaN)),
      ...snapshots.map((s) => Date.parse(s.startedAt)),
    ].filter((t) => Number.isFinite(t));
    const last = times.length > 0 ? Math.max(...times) : null;
    return last === null || at - last >= schedule.everyMinutes * 60_000;
  };

  const pass = async (): Promise<number> => {
    let queued = 0;
    let tenants: Tenant[];
    try {
      tenants = await store.listTenants();
    } catch (err) {
      log.warn("scheduler could not list tenants", { err });
      return 0;
    }
    for (const tenant of tenants) {
      if (stopped) break;
      const schedule = scheduleOf(tenant.config);
      if (!schedule) continue;
      try {
        const at = now().getTime();
        if (!(await due(tenant, schedule, at))) continue;
        const { job, created } = await store.enqueueJob(tenant.id, {
          kind: "sync",
          dedupeKey: SYNC_DEDUPE_KEY,
          payload: { trigger: "schedule", actor: ACTOR },
        });
        if (!created) continue;
        queued++;
        log.info("scheduled sync queued", { tenantId: tenant.id, jobId: job.id, everyMinutes: schedule.everyMinutes });
        await store
          .appendAudit({
            tenantId: tenant.id,
            actor: ACTOR,
            action: "sync.enqueue",
            target: `job:${job.id}`,
            result: "ok",
            details: { trigger: "schedule", everyMinutes: schedule.everyMinutes },
          })
          .catch((err: unknown) => log.warn("scheduler could not audit an enqueue", { tenantId: tenant.id, err }));
      } catch (err) {
        // One tenant's trouble (deleted meanwhile, a store hiccup) never stops the others.
        log.warn("scheduler could not queue a sync", { tenantId: tenant.id, err });
      }
    }
    return queued;
  };

  // Passes never overlap: a tick asked for while one runs waits for it, then makes its own.
  let chain: Promise<unknown> = Promise.resolve();
  const tick = (): Promise<number> => {
    const next = chain.then(pass, pass);
    chain = next.catch(() => undefined);
    return next;
  };

  const loop = () => {
    if (stopped) return;
    void tick().finally(() => arm(intervalMs));
  };
  const arm = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(loop, ms);
    timer.unref();
  };
  arm(deps.firstTickMs ?? 5_000);

  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await chain;
    },
  };
}
