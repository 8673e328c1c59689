/**
 * The sync worker against the simulator and an in-memory SQLite store with a controllable clock: tenants side by
 * side within the global budget, a failing tenant that leaves the other alone (D3), cancel, crash and rerun (D4/D5),
 * retries of transient failures only, graceful stop, and retention.
 */
import { randomBytes } from "node:crypto";
import type { ConfigInput } from "@accessmap/backend/config/schema";
import type { Model } from "@accessmap/backend/model/types";
import { MasterKeyring } from "@accessmap/backend/security/envelope";
import { createLogger } from "@accessmap/backend/security/logger";
import { sealConfig, splitConfig } from "@accessmap/backend/service/tenant-config";
import { openSqliteStore } from "@accessmap/backend/store/sqlite";
import type { Store, SyncJob } from "@accessmap/backend/store/store";
import { runSync } from "@accessmap/backend/sync/run-sync";
import { INTERRUPTED_REASON, type SyncWorker, startSyncWorker } from "@accessmap/backend/sync/worker";
import type { RawRequest, Send } from "@accessmap/shared/transport/transport";
import { afterEach, describe, expect, it } from "vitest";
import { makeTestSim, type TestSim } from "../atlassian-sim/testing.js";
import { simConfig, simConfigInput } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";

const KEYRING = MasterKeyring.from([{ id: "test", key: randomBytes(32) }]);
const RETRY = { baseDelayMs: 5, maxDelayMs: 20, deadlineMs: 30_000, maxRetries: 1 };
const T0 = Date.parse("2026-03-01T00:00:00.000Z");
const ORIGIN_A = "http://a.sim.test";
const ORIGIN_B = "http://b.sim.test";

interface Env {
  store: Store;
  clock: { now: () => Date; advance(ms: number): void };
  sims: Map<string, TestSim>;
  send: Send;
  logs: string[];
}

let env: Env | null = null;
const workers: SyncWorker[] = [];

afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop({ graceMs: 0 });
  await env?.store.close();
  env = null;
});

async function setup(): Promise<Env> {
  let t = T0;
  const clock = {
    now: () => new Date(t),
    advance: (ms: number) => {
      t += ms;
    },
  };
  const store = await openSqliteStore({ path: ":memory:", now: clock.now });
  const sims = new Map<string, TestSim>();
  // One `send` for every tenant, routed by origin: each tenant has its own simulated organization.
  const send: Send = (req: RawRequest) => {
    const sim = sims.get(new URL(req.url).origin);
    if (!sim) throw new Error(`no simulator at ${req.url}`);
    return simSend(sim)(req);
  };
  env = { store, clock, sims, send, logs: [] };
  return env;
}

/** A tenant whose sealed configuration points at its own simulator. */
async function addTenant(
  e: Env,
  name: string,
  origin: string,
  opts: { seed?: number; overrides?: Partial<ConfigInput>; sim?: TestSim } = {},
): Promise<{ id: string; t: TestSim }> {
  const t = opts.sim ?? makeTestSim("S", opts.seed ?? 21);
  e.sims.set(origin, t);
  const tenant = await e.store.createTenant({ name });
  await sealInto(e, tenant.id, simConfigInput(t.sim.state.tenant, origin, { name, ...opts.overrides }));
  return { id: tenant.id, t };
}

async function sealInto(e: Env, tenantId: string, input: ConfigInput | Record<string, unknown>): Promise<void> {
  const sealed = sealConfig(tenantId, splitConfig(input as Record<string, unknown>), KEYRING);
  await e.store.updateTenant(tenantId, { config: sealed.config, secrets: sealed.secrets });
}

function worker(e: Env, over: Partial<Parameters<typeof startSyncWorker>[0]> = {}): SyncWorker {
  const w = startSyncWorker({
    store: e.store,
    keyring: KEYRING,
    send: e.send,
    logger: createLogger({ level: "debug", write: (line) => e.logs.push(line) }),
    concurrency: 2,
    schemaMode: "throw",
    retry: RETRY,
    pollMs: 60_000,
    heartbeatMs: 20,
    progressMs: 0,
    ...over,
  });
  workers.push(w);
  return w;
}

/** Counts syncs in flight (a snapshot started and not yet committed or ended) through the store the worker uses. */
function countingStore(store: Store): { store: Store; max: () => number } {
  let now = 0;
  let max = 0;
  const wrapped = new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      if (prop === "startSnapshot") {
        return async (...args: unknown[]) => {
          const r = await fn.apply(target, args);
          max = Math.max(max, ++now);
          return r;
        };
      }
      if (prop === "commitSnapshot" || prop === "endSnapshot") {
        return async (...args: unknown[]) => {
          try {
            return await fn.apply(target, args);
          } finally {
            now--;
          }
        };
      }
      return fn.bind(target);
    },
  });
  return { store: wrapped, max: () => max };
}

async function job(e: Env, tenantId: string, id: string): Promise<SyncJob> {
  const j = await e.store.getJob(tenantId, id);
  if (!j) throw new Error(`no job ${id}`);
  return j;
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A running snapshot that has recorded some progress. */
const runningWithProgress = (e: Env, tenantId: string) => async () => {
  const [s] = await e.store.listSnapshots(tenantId, { limit: 1 });
  return s?.state === "running" && s.statuses.length > 0;
};

/** A model without what differs between two runs over the same data (build time, run id). */
const comparable = (m: Model | undefined | null) => (m ? { ...m, builtAt: "", snapshotRunId: "" } : m);

describe("sync worker", () => {
  it.each([1, 2])("syncs two tenants side by side within a global budget of %i", async (budget) => {
    const e = await setup();
    const a = await addTenant(e, "acme", ORIGIN_A, { seed: 21 });
    const b = await addTenant(e, "globex", ORIGIN_B, { seed: 22 });
    for (const t of [a.t, b.t]) t.sim.faults.latency = [{ meanMs: 2, jitterMs: 0 }];
    const counted = countingStore(e.store);
    const w = worker({ ...e, store: counted.store }, { concurrency: budget });
    const ja = (await e.store.enqueueJob(a.id, { dedupeKey: "sync" })).job;
    const jb = (await e.store.enqueueJob(b.id, { dedupeKey: "sync" })).job;
    await w.drain();

    expect(counted.max()).toBe(budget);
    expect(w.running()).toBe(0);
    for (const [tenantId, id] of [
      [a.id, ja.id],
      [b.id, jb.id],
    ] as const) {
      const done = await job(e, tenantId, id);
      expect(done.state).toBe("succeeded");
      expect(done.result).toMatchObject({ outcome: "complete", version: 1, state: "complete" });
      expect((done.result?.counts as Record<string, number> | undefined)?.accounts).toBeGreaterThan(0);
      expect((await e.store.getCurrentPointer(tenantId))?.version).toBe(1);
    }
    // Each tenant's model is its own organization's.
    const ma = await e.store.getCurrentModel(a.id);
    const mb = await e.store.getCurrentModel(b.id);
    expect(ma?.model.org?.id).toBe(a.t.sim.state.tenant.org.id);
    expect(mb?.model.org?.id).toBe(b.t.sim.state.tenant.org.id);
    expect(ma?.model.org?.id).not.toBe(mb?.model.org?.id);
  });

  it("D3: tenant B's sync fails on bad credentials while A's commits; B keeps its last good snapshot", async () => {
    const e = await setup();
    const a = await addTenant(e, "acme", ORIGIN_A, { seed: 21 });
    const b = await addTenant(e, "globex", ORIGIN_B, { seed: 22 });
    const w = worker(e);
    await e.store.enqueueJob(a.id);
    await e.store.enqueueJob(b.id);
    await w.drain();
    const bBefore = await e.store.getCurrentModel(b.id);
    const aBefore = await e.store.getCurrentModel(a.id);
    expect(bBefore?.version).toBe(1);

    // B's every credential is now wrong.
    const bad = "not-the-real-credential-3b9f";
    await sealInto(
      e,
      b.id,
      simConfigInput(b.t.sim.state.tenant, ORIGIN_B, {
        name: "globex",
        adminApiKey: bad,
        productToken: bad,
        bitbucketOAuthSecret: bad,
        lifecycle: {
          enabled: false,
          scimUrl: `${ORIGIN_B}/admin-api/scim/directory/${b.t.sim.state.tenant.scim.directoryId}`,
          scimToken: bad,
        },
      }),
    );
    const ja = (await e.store.enqueueJob(a.id)).job;
    const jb = (await e.store.enqueueJob(b.id)).job;
    await w.drain();

    // A: a new current snapshot, its data untouched by B's failure.
    const aJob = await job(e, a.id, ja.id);
    expect(aJob.state).toBe("succeeded");
    const aAfter = await e.store.getCurrentModel(a.id);
    expect(aAfter?.version).toBe(2);
    expect(comparable(aAfter?.model)).toEqual(comparable(aBefore?.model));

    // B: the job failed for good (a configuration error is not retried), with a readable reason and no secret.
    const bJob = await job(e, b.id, jb.id);
    expect(bJob.state).toBe("failed");
    expect(bJob.attempts).toBe(1);
    expect(bJob.error).toMatch(/every source failed/);
    expect(bJob.error).toMatch(/rejected/);
    expect(bJob.error).not.toContain(bad);
    const [bLatest] = await e.store.listSnapshots(b.id, { limit: 1 });
    expect(bLatest).toMatchObject({ version: 2, state: "failed" });
    const bAfter = await e.store.getCurrentModel(b.id);
    expect(bAfter?.version).toBe(1);
    expect(bAfter?.modelSha256).toBe(bBefore?.modelSha256);
    expect(e.logs.join("\n")).not.toContain(bad);
  });

  it("cancels a running sync: the job ends cancelled and the current model is unchanged", async () => {
    const e = await setup();
    const a = await addTenant(e, "acme", ORIGIN_A);
    const w = worker(e);
    await e.store.enqueueJob(a.id);
    await w.drain();
    const before = await e.store.getCurrentPointer(a.id);

    a.t.sim.faults.latency = [{ meanMs: 20, jitterMs: 0 }];
    const j = (await e.store.enqueueJob(a.id)).job;
    const draining = w.drain();
    await waitFor("the sync to run", runningWithProgress(e, a.id));
    // Progress is recorded into the running snapshot as it goes.
    const [running] = await e.store.listSnapshots(a.id, { limit: 1 });
    expect(running?.statuses.some((s) => s.reasons[0]?.startsWith("in progress"))).toBe(true);

    expect((await e.store.cancelJob(a.id, j.id))?.cancelRequested).toBe(true);
    await draining;

    expect((await job(e, a.id, j.id)).state).toBe("cancelled");
    const cancelled = await e.store.getSnapshot(a.id, 2);
    expect(cancelled?.state).toBe("failed");
    expect(cancelled?.reason).toMatch(/^cancelled/);
    expect(await e.store.getCurrentPointer(a.id)).toEqual(before);
    const audit = await e.store.listAudit(a.id);
    expect(audit.entries.some((x) => x.action === "sync.cancel")).toBe(true);
  });

  it("D4/D5: a worker that dies mid-sync is replaced after the lease expires; the rerun equals a clean run", async () => {
    const e = await setup();
    const a = await addTenant(e, "acme", ORIGIN_A);
    a.t.sim.faults.latency = [{ meanMs: 10, jitterMs: 0 }];
    const j = (await e.store.enqueueJob(a.id)).job;

    const w1 = worker(e, { workerId: "w1", leaseMs: 60_000 });
    void w1.drain();
    await waitFor("the first worker's sync to run", runningWithProgress(e, a.id));
    await w1.stop({ abandon: true }); // kill -9: no completion, no failure, the lease still held

    const crashed = await job(e, a.id, j.id);
    expect(crashed).toMatchObject({ state: "running", leaseOwner: "w1", attempts: 1 });
    expect((await e.store.getSnapshot(a.id, 1))?.state).toBe("running");

    // Before the lease expires nobody else may take the job.
    const w2 = worker(e, { workerId: "w2", leaseMs: 60_000 });
    await w2.drain();
    expect((await job(e, a.id, j.id)).leaseOwner).toBe("w1");

    e.clock.advance(61_000);
    const draining = w2.drain();
    // On reclaim, the dead worker's run ends failed before the rerun starts.
    await waitFor("the rerun to start", async () => (await e.store.getSnapshot(a.id, 2))?.state === "running");
    expect(await e.store.getSnapshot(a.id, 1)).toMatchObject({ state: "failed", reason: INTERRUPTED_REASON });
    a.t.sim.faults.latency = [];
    await draining;

    const done = await job(e, a.id, j.id);
    expect(done).toMatchObject({ state: "succeeded", leaseOwner: "w2", attempts: 2 });
    // Retention then drops the failed run, older than the new current one.
    expect(done.result).toMatchObject({ outcome: "complete", version: 2, attempt: 2, retentionDeleted: [1] });
    const audit = await e.store.listAudit(a.id);
    expect(audit.entries.find((x) => x.action === "sync.recover")).toMatchObject({
      target: "snapshot:1",
      result: "interrupted",
    });

    // The current model is what one clean, uninterrupted run produces.
    const clean = await openSqliteStore({ path: ":memory:" });
    try {
      const id = (await clean.createTenant({ name: "acme" })).id;
      const r = await runSync(clean, id, simConfig(a.t.sim.state.tenant, ORIGIN_A, { name: "acme" }), {
        send: e.send,
        schemaMode: "throw",
        retry: RETRY,
      });
      const current = await e.store.getCurrentModel(a.id, { verify: true });
      expect(current?.version).toBe(2);
      expect(comparable(current?.model)).toEqual(comparable(r.model));
    } finally {
      await clean.close();
    }
  });

  it("retries a transient failure after a backoff, and fails a configuration error at once", async () => {
    const e = await setup();
    const a = await addTenant(e, "acme", ORIGIN_A);
    const broken = await e.store.createTenant({ name: "broken", config: { name: "broken" } }); // no products
    a.t.sim.faults.rules = [{ kind: "status", status: 500 }];
    const w = worker(e, { retryDelayMs: () => 5_000 });
    const ja = (await e.store.enqueueJob(a.id)).job;
    const jb = (await e.store.enqueueJob(broken.id)).job;
    await w.drain();

    const requeued = await job(e, a.id, ja.id);
    expect(requeued).toMatchObject({ state: "queued", attempts: 1 });
    expect(requeued.error).toMatch(/every source failed/);
    expect(Date.parse(requeued.runAfter)).toBe(T0 + 5_000);
    const failed = await job(e, broken.id, jb.id);
    expect(failed).toMatchObject({ state: "failed", attempts: 1 });
    expect(failed.error).toMatch(/invalid configuration/);
    expect(failed.error).toMatch(/products/);

    // Not due yet: nothing runs. Once due (and the outage over), the retry commits.
    await w.drain();
    expect((await job(e, a.id, ja.id)).state).toBe("queued");
    a.t.sim.faults.rules = [];
    e.clock.advance(5_000);
    await w.drain();
    expect(await job(e, a.id, ja.id)).toMatchObject({ state: "succeeded", attempts: 2 });
    expect((await e.store.getCurrentPointer(a.id))?.version).toBe(2);
  });

  it("a stop interrupts a running sync after the grace period and hands its job back", async () => {
    const e = await setup();
    const a = await addTenant(e, "acme", ORIGIN_A);
    a.t.sim.faults.latency = [{ meanMs: 20, jitterMs: 0 }];
    const j = (await e.store.enqueueJob(a.id)).job;
    const w = worker(e, { workerId: "w1" });
    void w.drain();
    await waitFor("the sync to run", runningWithProgress(e, a.id));
    await w.stop({ graceMs: 0 });

    expect(w.running()).toBe(0);
    expect(await job(e, a.id, j.id)).toMatchObject({ state: "queued", leaseOwner: null, attempts: 1 });
    expect(await e.store.getSnapshot(a.id, 1)).toMatchObject({ state: "failed", reason: /worker stopped/ });
    expect(await e.store.getCurrentPointer(a.id)).toBeNull();

    a.t.sim.faults.latency = [];
    await worker(e, { workerId: "w2" }).drain();
    expect(await job(e, a.id, j.id)).toMatchObject({ state: "succeeded", attempts: 2 });
  });

  it("applies retention after each commit", async () => {
    const e = await setup();
    const a = await addTenant(e, "acme", ORIGIN_A);
    const w = worker(e, { retentionKeep: 1 });
    let last: SyncJob | null = null;
    for (let i = 0; i < 3; i++) {
      last = (await e.store.enqueueJob(a.id)).job;
      await w.drain();
    }
    expect((await job(e, a.id, last!.id)).result).toMatchObject({ version: 3, retentionDeleted: [1] });
    const versions = (await e.store.listSnapshots(a.id)).map((s) => `${s.version}:${s.state}`);
    expect(versions).toEqual(["3:complete", "2:superseded"]);
    expect((await e.store.getCurrentPointer(a.id))?.version).toBe(3);
  });
});
