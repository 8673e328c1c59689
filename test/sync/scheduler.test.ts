/**
 * The sync scheduler against an in-memory SQLite store sharing the scheduler's controllable clock: due tenants only,
 * no duplicates (also with two schedulers at once, as several service processes would run), the last snapshot or
 * enqueue as the reference, and scheduled jobs run by a worker.
 */
import { randomBytes } from "node:crypto";
import { MasterKeyring } from "@accessmap/backend/security/envelope";
import { createLogger } from "@accessmap/backend/security/logger";
import { sealConfig, splitConfig } from "@accessmap/backend/service/tenant-config";
import { openSqliteStore } from "@accessmap/backend/store/sqlite";
import type { Store } from "@accessmap/backend/store/store";
import { type Scheduler, scheduleOf, startScheduler } from "@accessmap/backend/sync/scheduler";
import { startSyncWorker } from "@accessmap/backend/sync/worker";
import { afterEach, describe, expect, it } from "vitest";
import { makeTestSim, ORIGIN } from "../atlassian-sim/testing.js";
import { simConfigInput } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";

const T0 = Date.parse("2026-03-01T00:00:00.000Z");
const MIN = 60_000;
const logger = createLogger({ level: "silent" });

let store: Store | null = null;
const schedulers: Scheduler[] = [];
afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.stop();
  await store?.close();
  store = null;
});

async function setup() {
  let t = T0;
  const now = () => new Date(t);
  const advance = (ms: number) => {
    t += ms;
  };
  store = await openSqliteStore({ path: ":memory:", now });
  const s = store;
  const tenant = async (name: string, schedule?: unknown) =>
    (await s.createTenant({ name, config: schedule === undefined ? {} : { schedule } })).id;
  const scheduler = () => {
    const sch = startScheduler({ store: s, logger, now, intervalMs: 3_600_000, firstTickMs: 3_600_000 });
    schedulers.push(sch);
    return sch;
  };
  /** Runs the tenant's queued sync to completion, as a worker would (without reading anything). */
  const runQueued = async () => {
    for (;;) {
      const job = await s.claimJob({ workerId: "w", leaseMs: 60_000 });
      if (!job) return;
      await s.completeJob(job.id, "w", { outcome: "complete" });
    }
  };
  const queued = async (tenantId: string) => s.listJobs({ tenantId, states: ["queued"] });
  return { store: s, now, advance, tenant, scheduler, runQueued, queued };
}

describe("scheduleOf", () => {
  it("reads a positive number of minutes and nothing else", () => {
    expect(scheduleOf({ schedule: { everyMinutes: 15 } })).toEqual({ everyMinutes: 15 });
    for (const bad of [undefined, null, 5, {}, { everyMinutes: 0 }, { everyMinutes: -3 }, { everyMinutes: "5" }]) {
      expect(scheduleOf({ schedule: bad })).toBeNull();
    }
  });
});

describe("sync scheduler", () => {
  it("queues due tenants only, and never a second job while one is queued", async () => {
    const e = await setup();
    const a = await e.tenant("a", { everyMinutes: 10 });
    const b = await e.tenant("b", { everyMinutes: 60 });
    const none = await e.tenant("c");
    const off = await e.tenant("d", { everyMinutes: 0 });
    const s = e.scheduler();

    // Never synced: due at once.
    expect(await s.tick()).toBe(2);
    for (const id of [a, b]) {
      const [job] = await e.queued(id);
      expect(job).toMatchObject({ kind: "sync", dedupeKey: "sync", payload: { trigger: "schedule" } });
    }
    expect(await e.queued(none)).toEqual([]);
    expect(await e.queued(off)).toEqual([]);

    // Still queued: nothing more, however much time passes.
    expect(await s.tick()).toBe(0);
    e.advance(120 * MIN);
    expect(await s.tick()).toBe(0);
    expect((await e.queued(a)).length).toBe(1);
    expect((await e.queued(b)).length).toBe(1);

    // Both ran at T0+120; A is due every 10 minutes, B every 60.
    await e.runQueued();
    e.advance(9 * MIN);
    expect(await s.tick()).toBe(0);
    e.advance(1 * MIN);
    expect(await s.tick()).toBe(1);
    expect((await e.queued(a)).length).toBe(1);
    expect(await e.queued(b)).toEqual([]);
    await e.runQueued();
    e.advance(50 * MIN);
    expect(await s.tick()).toBe(2);

    const audit = await e.store.listAudit(a);
    expect(audit.entries.filter((x) => x.action === "sync.enqueue" && x.actor === "system:scheduler").length).toBe(3);
  });

  it("counts a running job and the last snapshot as the last sync", async () => {
    const e = await setup();
    const a = await e.tenant("a", { everyMinutes: 30 });
    const b = await e.tenant("b", { everyMinutes: 30 });
    // A synced outside the queue (the CLI, say) 20 minutes ago; B's sync is running now.
    await e.store.startSnapshot(a, { runId: "cli-run" });
    await e.store.enqueueJob(b);
    await e.store.claimJob({ workerId: "w", leaseMs: 3_600_000 });
    e.advance(20 * MIN);
    const s = e.scheduler();
    expect(await s.tick()).toBe(0);
    e.advance(10 * MIN);
    expect(await s.tick()).toBe(1); // A: 30 minutes since its snapshot started; B still running
    expect((await e.queued(a)).length).toBe(1);
    expect(await e.queued(b)).toEqual([]);
  });

  it("does not duplicate when several schedulers tick at once", async () => {
    const e = await setup();
    const ids = await Promise.all(["a", "b", "c"].map((n) => e.tenant(n, { everyMinutes: 5 })));
    const many = [e.scheduler(), e.scheduler(), e.scheduler()];
    const counts = await Promise.all(many.flatMap((s) => [s.tick(), s.tick()]));
    expect(counts.reduce((x, y) => x + y, 0)).toBe(3);
    for (const id of ids) expect((await e.queued(id)).length).toBe(1);
  });

  it("keeps going when one tenant's check fails", async () => {
    const e = await setup();
    const a = await e.tenant("a", { everyMinutes: 5 });
    const b = await e.tenant("b", { everyMinutes: 5 });
    const real = e.store;
    const flaky = new Proxy(real, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== "function") return v;
        const fn = v as (...args: unknown[]) => Promise<unknown>;
        if (prop === "enqueueJob") {
          return (tenantId: string, ...rest: unknown[]) =>
            tenantId === a ? Promise.reject(new Error("boom")) : fn.call(target, tenantId, ...rest);
        }
        return fn.bind(target);
      },
    });
    const s = startScheduler({ store: flaky, logger, now: e.now, firstTickMs: 3_600_000 });
    schedulers.push(s);
    expect(await s.tick()).toBe(1);
    expect(await e.queued(a)).toEqual([]);
    expect((await e.queued(b)).length).toBe(1);
  });

  it("scheduled jobs are run by the worker", async () => {
    const e = await setup();
    const t = makeTestSim("S", 21);
    const keyring = MasterKeyring.from([{ id: "test", key: randomBytes(32) }]);
    const id = await e.tenant("acme");
    const sealed = sealConfig(
      id,
      splitConfig({ ...simConfigInput(t.sim.state.tenant, ORIGIN, { name: "acme" }) } as Record<string, unknown>),
      keyring,
    );
    // The service's own key (`schedule`) sits beside the connection configuration.
    await e.store.updateTenant(id, {
      config: { ...sealed.config, schedule: { everyMinutes: 15 } },
      secrets: sealed.secrets,
    });
    const worker = startSyncWorker({
      store: e.store,
      keyring,
      send: simSend(t),
      logger,
      concurrency: 1,
      schemaMode: "throw",
      retry: { baseDelayMs: 5, maxDelayMs: 20, deadlineMs: 30_000, maxRetries: 1 },
      pollMs: 60_000,
    });
    try {
      const s = e.scheduler();
      expect(await s.tick()).toBe(1);
      await worker.drain();
      expect((await e.store.getCurrentPointer(id))?.version).toBe(1);
      const [job] = await e.store.listJobs({ tenantId: id });
      expect(job).toMatchObject({ state: "succeeded", result: { outcome: "complete" } });
      expect(await s.tick()).toBe(0);
      e.advance(15 * MIN);
      expect(await s.tick()).toBe(1);
    } finally {
      await worker.stop();
    }
  });
});
