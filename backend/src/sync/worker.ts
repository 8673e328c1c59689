/**
 * The sync worker: takes `sync` jobs from the store's queue and runs them, up to `concurrency` at once across all
 * tenants (the store already runs at most one job per tenant, so tenants run side by side within that budget and a
 * failing tenant never touches another's data — reliability case D3).
 *
 * For each job the worker loads the tenant's configuration (secrets decrypted), runs {@link runSync} with an
 * AbortSignal, heartbeats the job's lease every `heartbeatMs`, and writes the run's progress into the running
 * snapshot's statuses. Then:
 *
 * - **Committed** (`complete`, `partial` or `held`): retention is applied and the job completes with a summary
 *   (outcome, version, counts, per-source states).
 * - **Cancel requested** (seen at a heartbeat): the sync is aborted; it never commits, its snapshot ends `failed`
 *   ("cancelled …"), the current model is untouched, and the job ends `cancelled`.
 * - **Failed**: the job fails with a readable reason (never a secret). Transient trouble — an outage, rate limits,
 *   network errors, a store hiccup — goes back to the queue after a backoff while attempts remain; configuration
 *   errors (rejected credentials, missing permissions, an invalid configuration, undecryptable secrets) fail for
 *   good, since a rerun would fail the same way.
 *
 * **Crash safety and the resume policy (D4/D5).** A worker that dies mid-sync leaves a `running` snapshot and a
 * leased job; nothing it read is current, because a sync becomes current only in its single commit transaction.
 * Once the lease expires, the store puts the job back in the queue and another worker claims it. Every claim first
 * ends the tenant's stale `running` snapshots as `failed` ("interrupted …"): the store runs at most one job per
 * tenant, so a snapshot still `running` when a worker takes that tenant's job belongs to a worker that is gone (or
 * that lost its lease, and will be refused at its commit). The job is then **rerun from the start**: discovery is
 * read-only and the model is rebuilt from the whole snapshot, so a rerun is safe and its result equals a clean
 * run's. There is no mid-run checkpoint: a sync's reads are only meaningful together (one consistent snapshot), so
 * resuming half-way through would mix two points in time.
 *
 * A worker that lost its lease (a long pause, a partitioned database) is fenced twice: its heartbeats fail and abort
 * the run, and before committing it renews the lease once more, so it never commits a job another worker holds.
 */

import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { ProductStatus } from "@accessmap/shared/snapshot/schema";
import type { Send } from "@accessmap/shared/transport/transport";
import { ConfigError } from "../config/load.js";
import type { DiscoveryProgress } from "../discovery/run-discovery.js";
import type { ParsedIdentity } from "../model/correlate.js";
import { EnvelopeError, MasterKeyConfigError, type MasterKeyring } from "../security/envelope.js";
import { type Logger, redactString } from "../security/logger.js";
import { loadTenantConfig } from "../service/tenant-config.js";
import {
  ConflictError,
  IntegrityError,
  LeaseLostError,
  NotFoundError,
  type SnapshotRecord,
  type Store,
  type SyncJob,
} from "../store/store.js";
import { runSync, type SyncOptions, type SyncResult } from "./run-sync.js";

export interface SyncWorkerDeps {
  store: Store;
  keyring: MasterKeyring;
  send: Send;
  logger: Logger;
  /** Syncs in flight at once, across all tenants. */
  concurrency: number;
  /** Defaults to `<hostname>:<pid>:<random>`. */
  workerId?: string;
  /** How long a claim (and each heartbeat) holds the job. Default 60 s. */
  leaseMs?: number;
  /** Time between heartbeats. Default a third of the lease. */
  heartbeatMs?: number;
  /** Time between looks at the queue when idle. Default 2 s. */
  pollMs?: number;
  /** Least time between two progress writes of one run. Default 2 s. */
  progressMs?: number;
  /** The mass-deletion guard's share (default 0.2). */
  massDeletionThreshold?: number;
  /** Complete or superseded snapshots kept per tenant after a commit (default 20). */
  retentionKeep?: number;
  schemaMode?: "warn" | "throw";
  /** The transport's retry policy. */
  retry?: SyncOptions["retry"];
  /** Backoff before a transient failure is retried, by the attempt that failed. Default 30 s × 2^(n−1), ≤ 15 min. */
  retryDelayMs?: (attempt: number) => number;
  /** An IdP export to correlate identities with, per tenant. */
  idpIdentitiesFor?: (tenantId: string) => Promise<ParsedIdentity[] | undefined>;
  /** How long a graceful {@link SyncWorker.stop} waits for running syncs before interrupting them. Default 30 s. */
  stopGraceMs?: number;
}

export interface StopOptions {
  /**
   * Simulates a crash (kill -9), for tests: the worker stops at once and never touches the store again — no
   * heartbeat, no completion, no failure; its jobs stay leased and their snapshots `running` until the lease
   * expires and another worker reclaims them.
   */
  abandon?: boolean;
  /** Overrides `stopGraceMs`. */
  graceMs?: number;
}

export interface SyncWorker {
  readonly workerId: string;
  /**
   * Stops claiming jobs and waits for the running syncs to finish, up to the grace period; syncs still running then
   * are interrupted (their snapshot ends `failed`) and their jobs go back to the queue for another worker.
   */
  stop(options?: StopOptions): Promise<void>;
  /** Syncs in flight now. */
  running(): number;
  /** Runs jobs until the queue has nothing claimable and nothing is in flight (tests, one-shot runs). */
  drain(): Promise<void>;
  /** Looks at the queue now instead of at the next poll (after an enqueue, say). */
  wake(): void;
}

type Interrupt = "cancel" | "lease-lost" | "stopping" | "abandon";

const INTERRUPT_REASON: Record<Interrupt, string> = {
  cancel: "cancelled: a cancel was requested while the sync ran; nothing was committed",
  "lease-lost": "interrupted: this worker lost the job's lease; another worker reruns it",
  stopping: "interrupted: the worker stopped; the job goes back to the queue",
  abandon: "interrupted: the worker was abandoned",
};

/** The reason a stale `running` snapshot ends with when its job is reclaimed. */
export const INTERRUPTED_REASON =
  "interrupted: the worker running this sync stopped before it finished (its lease expired); the job is rerun from the start";

/** Why a run was stopped on purpose; what runSync records as the snapshot's reason when it ends. */
class SyncInterrupted extends Error {
  override name = "SyncInterrupted";
}

/** The store refuses every call of an abandoned worker: from then on it behaves as a dead process. */
class WorkerAbandonedError extends Error {
  override name = "WorkerAbandonedError";
}

/** Source errors that a later attempt may not see again (by the class name discovery reports). */
const TRANSIENT_SOURCE_ERRORS = new Set([
  "ServerError",
  "NetworkError",
  "RateLimitError",
  "TimeoutError",
  "CircuitOpenError",
  "BulkheadFullError",
]);

const MAX_ERROR_CHARS = 2000;

/** A failure reason fit for the job record and the API: readable, redacted, bounded. */
export function failureMessage(err: unknown): string {
  let text: string;
  if (err instanceof ConfigError) text = err.message;
  else if (err instanceof EnvelopeError) {
    text = `the tenant's stored credentials could not be decrypted (${err.reason}); check the master keys in force`;
  } else if (err instanceof MasterKeyConfigError) text = err.message;
  else if (err instanceof Error) text = `${err.name}: ${err.message}`;
  else text = "unexpected error";
  return bounded(text);
}

/** Redacted and cut to a size a job record holds. */
function bounded(text: string): string {
  const clean = redactString(text);
  return clean.length > MAX_ERROR_CHARS ? `${clean.slice(0, MAX_ERROR_CHARS - 1)}…` : clean;
}

/** Whether a thrown error is worth another attempt: not a configuration error nor a state conflict. */
export function isTransient(err: unknown): boolean {
  return !(
    err instanceof ConfigError ||
    err instanceof EnvelopeError ||
    err instanceof MasterKeyConfigError ||
    err instanceof NotFoundError ||
    err instanceof ConflictError ||
    err instanceof IntegrityError
  );
}

const defaultRetryDelay = (attempt: number) => Math.min(15 * 60_000, 30_000 * 2 ** Math.max(0, attempt - 1));

/**
 * Ends the tenant's `running` snapshots as `failed`. Call only while holding the tenant's job: the store runs one job
 * per tenant, so such a snapshot belongs to a worker that is gone. Returns the versions ended.
 */
export async function endInterruptedSnapshots(store: Store, tenantId: string, reason: string): Promise<number[]> {
  const ended: number[] = [];
  for (const s of await store.listSnapshots(tenantId, { limit: 100 })) {
    if (s.state !== "running") continue;
    try {
      await store.endSnapshot(tenantId, s.version, { state: "failed", reason });
      ended.push(s.version);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // it ended meanwhile
    }
  }
  return ended;
}

interface Task {
  job: SyncJob;
  log: Logger;
  abort: AbortController;
  interrupt: Interrupt | null;
  /** Once set, every store call of this task is refused. */
  dead: boolean;
  done: Promise<void>;
  stop(cause: Interrupt): void;
}

export function startSyncWorker(deps: SyncWorkerDeps): SyncWorker {
  const { store } = deps;
  if (!Number.isInteger(deps.concurrency) || deps.concurrency < 1) {
    throw new TypeError("concurrency must be a positive integer");
  }
  const workerId = deps.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const leaseMs = deps.leaseMs ?? 60_000;
  const heartbeatMs = deps.heartbeatMs ?? Math.max(10, Math.floor(leaseMs / 3));
  const pollMs = deps.pollMs ?? 2_000;
  const progressMs = deps.progressMs ?? 2_000;
  const retentionKeep = deps.retentionKeep ?? 20;
  const retryDelay = deps.retryDelayMs ?? defaultRetryDelay;
  const log = deps.logger.child({ component: "sync-worker", workerId });

  const tasks = new Map<string, Task>();
  let stopped = false;
  let abandoned = false;
  let pollTimer: NodeJS.Timeout | null = null;

  // ---------------------------------------------------------------- one job

  /** The store as one task sees it: refused once the task is dead, fenced at commit, progress-aware. */
  function taskStore(task: Task, ctl: { version: number | null; beforeEnd: () => Promise<void> }): Store {
    return new Proxy(store, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== "function") return value;
        const fn = value as (...args: unknown[]) => Promise<unknown>;
        return async (...args: unknown[]) => {
          if (task.dead) throw new WorkerAbandonedError("this worker was abandoned");
          if (prop === "startSnapshot") {
            const record = (await fn.apply(target, args)) as SnapshotRecord;
            ctl.version = record.version;
            return record;
          }
          if (prop === "commitSnapshot") {
            await ctl.beforeEnd();
            // Fence: renew the lease (and see a late cancel) right before the run becomes current.
            if (!task.interrupt) {
              try {
                const { cancelRequested } = await target.heartbeatJob(task.job.id, workerId, leaseMs);
                if (cancelRequested) task.stop("cancel");
              } catch (err) {
                if (err instanceof LeaseLostError) task.stop("lease-lost");
                else throw err;
              }
            }
            if (task.interrupt) throw new SyncInterrupted(INTERRUPT_REASON[task.interrupt]);
            if (task.dead) throw new WorkerAbandonedError("this worker was abandoned");
            return fn.apply(target, args);
          }
          if (prop === "endSnapshot" && args[1] === ctl.version) {
            await ctl.beforeEnd();
            if (task.dead) throw new WorkerAbandonedError("this worker was abandoned");
            // A run stopped on purpose says so, not "every source was aborted".
            const [tenantId, version, input] = args as Parameters<Store["endSnapshot"]>;
            if (task.interrupt) {
              return fn.call(target, tenantId, version, { ...input, reason: INTERRUPT_REASON[task.interrupt] });
            }
          }
          return fn.apply(target, args);
        };
      },
    });
  }

  async function runJob(task: Task): Promise<void> {
    const { job } = task;
    const started = Date.now();
    const sourceErrors = new Map<string, string>();
    const progress = new Map<string, ProductStatus>();
    let progressWrite: Promise<void> | null = null;
    let lastProgressAt = 0;
    let finishing = false;
    const ctl = {
      version: null as number | null,
      beforeEnd: async () => {
        finishing = true;
        await progressWrite;
      },
    };
    const tstore = taskStore(task, ctl);

    // Heartbeats: renew the lease, notice a cancel, and give up when the lease is lost (or cannot be renewed for a
    // whole lease: another worker may have taken the job by then).
    let lastBeat = Date.now();
    let beatTimer: NodeJS.Timeout | null = null;
    const beat = async () => {
      if (task.dead || finishing) return;
      try {
        const { cancelRequested } = await store.heartbeatJob(job.id, workerId, leaseMs);
        lastBeat = Date.now();
        if (cancelRequested && !task.interrupt) {
          task.log.info("cancel requested; stopping the sync");
          task.stop("cancel");
        }
      } catch (err) {
        if (task.dead) return;
        if (err instanceof LeaseLostError) {
          task.log.warn("lease lost; abandoning the run to the worker that holds it");
          task.stop("lease-lost");
        } else if (Date.now() - lastBeat >= leaseMs) {
          task.log.warn("lease could not be renewed for a whole lease; stopping the run", { err });
          task.stop("lease-lost");
        } else {
          task.log.warn("heartbeat failed; retrying", { err });
        }
      }
    };
    const scheduleBeat = () => {
      beatTimer = setTimeout(() => {
        void beat().finally(() => {
          if (!task.dead && !finishing && tasks.has(job.id)) scheduleBeat();
        });
      }, heartbeatMs);
      beatTimer.unref();
    };
    scheduleBeat();

    const writeProgress = () => {
      if (finishing || task.dead || ctl.version === null || progressWrite) return;
      const now = Date.now();
      if (now - lastProgressAt < progressMs) return;
      lastProgressAt = now;
      const version = ctl.version;
      const statuses = [...progress.values()];
      progressWrite = store
        .updateSnapshotStatuses(job.tenantId, version, statuses)
        .catch((err: unknown) => {
          if (!(err instanceof ConflictError)) task.log.debug("progress write failed", { err });
        })
        .finally(() => {
          progressWrite = null;
        });
    };
    const onProgress = (p: DiscoveryProgress) => {
      const at = new Date().toISOString();
      const prev = progress.get(p.source);
      progress.set(p.source, {
        product: p.source,
        // While the snapshot is `running`, its statuses are progress: `partial` until the source ends.
        state: "partial",
        reasons: [`in progress: ${p.phase} (${p.done}${p.total !== null ? ` of ${p.total}` : ""})`],
        counts: {
          done: Math.max(0, Math.round(p.done)),
          ...(p.total !== null ? { total: Math.max(0, Math.round(p.total)) } : {}),
          waitingMs: Math.max(0, Math.round(p.waitingMs)),
        },
        calls: Math.max(0, Math.round(p.calls)),
        startedAt: prev?.startedAt ?? at,
        finishedAt: at,
      });
      writeProgress();
    };

    try {
      const tenant = await tstore.getTenant(job.tenantId);
      if (!tenant) throw new NotFoundError(`tenant ${job.tenantId} no longer exists`);

      // Recovery: a snapshot still running now was left by a worker that died (see the module comment).
      const ended = await endInterruptedSnapshots(tstore, job.tenantId, INTERRUPTED_REASON);
      for (const version of ended) {
        task.log.warn("ended an interrupted run", { version });
        await tstore.appendAudit({
          tenantId: job.tenantId,
          actor: "system:sync",
          action: "sync.recover",
          target: `snapshot:${version}`,
          result: "interrupted",
          details: { jobId: job.id, attempt: job.attempts },
        });
      }

      const config = await loadTenantConfig(tstore, deps.keyring, tenant);
      const idpIdentities = await deps.idpIdentitiesFor?.(job.tenantId);
      if (task.interrupt) throw new SyncInterrupted(INTERRUPT_REASON[task.interrupt]);

      const actor = typeof job.payload.actor === "string" ? job.payload.actor : "system:sync";
      task.log.info("sync started", { attempt: job.attempts });
      const result = await runSync(tstore, job.tenantId, config, {
        send: deps.send,
        schemaMode: deps.schemaMode ?? "warn",
        retry: deps.retry,
        signal: task.abort.signal,
        massDeletionThreshold: deps.massDeletionThreshold,
        idpIdentities,
        actor,
        onProgress,
        warn: (message, fields) => {
          if (message === "source failed" && typeof fields.source === "string") {
            sourceErrors.set(fields.source, typeof fields.error === "string" ? fields.error : "unknown");
          }
          task.log.warn(message, fields);
        },
      });
      finishing = true;
      await settle(task, result, sourceErrors, started);
    } catch (err) {
      finishing = true;
      await fail(task, err);
    } finally {
      finishing = true;
      if (beatTimer) clearTimeout(beatTimer);
      await progressWrite;
    }
  }

  /** runSync returned: the run committed (complete, partial, held) or every source failed. */
  async function settle(
    task: Task,
    result: SyncResult,
    sourceErrors: Map<string, string>,
    started: number,
  ): Promise<void> {
    const { job } = task;
    const { record } = result;
    if (task.dead) return;
    if (result.outcome === "failed") {
      // Nothing was read. A stop on purpose wins; else retry only when some source failed transiently.
      if (task.interrupt) return finishInterrupted(task);
      const transient = [...sourceErrors.values()].some((name) => TRANSIENT_SOURCE_ERRORS.has(name));
      return failWith(task, bounded(`every source failed: ${record.reason ?? "no reason given"}`), transient);
    }
    // Committed (a cancel that arrives after the commit is too late to undo it).
    let retention: number[] = [];
    try {
      retention = (await store.retention(job.tenantId, { keep: retentionKeep })).deleted;
    } catch (err) {
      task.log.warn("retention failed", { err });
    }
    const summary = {
      outcome: result.outcome,
      version: record.version,
      runId: record.runId,
      state: record.state,
      counts: record.counts,
      statuses: record.statuses.map((s) => ({ product: s.product, state: s.state, calls: s.calls })),
      carried: result.carried,
      readByForge: result.readByForge,
      reason: record.reason,
      retentionDeleted: retention,
      attempt: job.attempts,
      durationMs: Date.now() - started,
    };
    try {
      await store.completeJob(job.id, workerId, summary);
      task.log.info("sync finished", { outcome: result.outcome, version: record.version });
    } catch (err) {
      // The run is committed either way; only the job record could not say so (lease lost, store down).
      task.log.warn("sync committed but the job could not be completed", { err, version: record.version });
    }
  }

  /** runSync threw, or the job failed before it ran. */
  async function fail(task: Task, err: unknown): Promise<void> {
    if (task.dead || err instanceof WorkerAbandonedError) return;
    if (task.interrupt || err instanceof SyncInterrupted) return finishInterrupted(task);
    if (err instanceof LeaseLostError) {
      task.log.warn("lease lost", { err });
      return;
    }
    task.log.error("sync failed", { err });
    await failWith(task, failureMessage(err), isTransient(err));
  }

  async function failWith(task: Task, error: string, transient: boolean): Promise<void> {
    const { job } = task;
    try {
      const after = await store.failJob(job.id, workerId, {
        error,
        ...(transient ? { retryAfterMs: Math.max(0, retryDelay(job.attempts)) } : {}),
      });
      task.log.warn(after.state === "queued" ? "sync failed; retry queued" : "sync failed", {
        error,
        transient,
        attempt: job.attempts,
        maxAttempts: job.maxAttempts,
        runAfter: after.state === "queued" ? after.runAfter : undefined,
      });
    } catch (e) {
      task.log.warn("could not record the job's failure", { err: e });
    }
  }

  async function finishInterrupted(task: Task): Promise<void> {
    const { job } = task;
    try {
      switch (task.interrupt) {
        case "cancel":
          await store.acknowledgeCancel(job.id, workerId);
          await store
            .appendAudit({
              tenantId: job.tenantId,
              actor: "system:sync",
              action: "sync.cancel",
              target: `job:${job.id}`,
              result: "ok",
            })
            .catch(() => undefined);
          task.log.info("sync cancelled");
          return;
        case "stopping":
          await store.failJob(job.id, workerId, { error: INTERRUPT_REASON.stopping, retryAfterMs: 0 });
          task.log.info("sync interrupted by a stop; job requeued");
          return;
        default:
          return; // lease lost: another worker holds the job; abandoned: nothing more is written
      }
    } catch (err) {
      task.log.warn("could not record the interruption", { err });
    }
  }

  // ---------------------------------------------------------------- the loop

  function launch(job: SyncJob): void {
    const abort = new AbortController();
    const task: Task = {
      job,
      log: log.child({ jobId: job.id, tenantId: job.tenantId }),
      abort,
      interrupt: null,
      dead: false,
      done: Promise.resolve(),
      stop(cause) {
        if (cause === "abandon") task.dead = true;
        if (!task.interrupt) task.interrupt = cause;
        if (!abort.signal.aborted) abort.abort(new SyncInterrupted(INTERRUPT_REASON[cause]));
      },
    };
    tasks.set(job.id, task);
    task.done = runJob(task)
      .catch((err: unknown) => task.log.error("sync worker error", { err }))
      .finally(() => {
        tasks.delete(job.id);
        if (!stopped) void fill();
      });
  }

  /** Claims jobs while the budget allows; true when the queue had nothing claimable. */
  async function claimSome(): Promise<boolean> {
    while (!stopped && tasks.size < deps.concurrency) {
      let job: SyncJob | null;
      try {
        job = await store.claimJob({ workerId, leaseMs, kinds: ["sync"] });
      } catch (err) {
        log.warn("could not claim a job", { err });
        return true;
      }
      if (!job) return true;
      if (stopped) {
        // Claimed while stopping: hand it straight back (unless this is a simulated crash).
        if (!abandoned) {
          await store
            .failJob(job.id, workerId, { error: INTERRUPT_REASON.stopping, retryAfterMs: 0 })
            .catch((err: unknown) => log.warn("could not hand a job back", { err }));
        }
        return true;
      }
      launch(job);
    }
    return false;
  }

  let filling: Promise<boolean> | null = null;
  let again = false;
  function fill(): Promise<boolean> {
    if (filling) {
      again = true;
      return filling;
    }
    filling = (async () => {
      // `filling` is cleared in the same synchronous step that last reads `again`: a caller that joins is never
      // left with a pass that started before its call.
      try {
        let idle: boolean;
        do {
          again = false;
          idle = await claimSome();
        } while (again && !stopped);
        return idle;
      } finally {
        filling = null;
      }
    })();
    return filling;
  }

  const poll = () => {
    if (stopped) return;
    void fill().finally(() => {
      if (stopped) return;
      pollTimer = setTimeout(poll, pollMs);
      pollTimer.unref();
    });
  };
  poll();

  return {
    workerId,
    running: () => tasks.size,
    wake() {
      if (!stopped) void fill();
    },
    async drain() {
      for (;;) {
        const idle = stopped ? true : await fill();
        if (tasks.size === 0) {
          if (idle) return;
          continue;
        }
        await Promise.race([...tasks.values()].map((t) => t.done));
      }
    },
    async stop(options = {}) {
      stopped = true;
      if (pollTimer) clearTimeout(pollTimer);
      pollTimer = null;
      if (options.abandon) {
        abandoned = true;
        for (const t of tasks.values()) t.stop("abandon");
      } else {
        const graceMs = options.graceMs ?? deps.stopGraceMs ?? 30_000;
        const timer = setTimeout(() => {
          for (const t of tasks.values()) t.stop("stopping");
        }, graceMs);
        timer.unref();
        await Promise.all([...tasks.values()].map((t) => t.done));
        clearTimeout(timer);
      }
      await filling?.catch(() => undefined);
      await Promise.all([...tasks.values()].map((t) => t.done));
    },
  };
}
