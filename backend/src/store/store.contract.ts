/**
 * The store contract: what every {@link Store} implementation must do, run against SQLite (`sqlite.test.ts`) and
 * PostgreSQL (`postgres.test.ts`) alike. Covers tenants and API keys, snapshot versions, the atomic commit, held
 * snapshots, retention, the job queue (claim exclusivity under concurrency, lease expiry, one running sync per
 * tenant), the audit log, webhook dedupe, cursors, tenant isolation (the decoy-tenant test, D3) and a seeded
 * model-based run (P5: a reader always sees the last committed snapshot).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LATEST_SCHEMA_VERSION } from "./migrations/index.js";
import {
  ConflictError,
  CRAWL_CURSOR_PREFIX,
  LeaseLostError,
  NotFoundError,
  type SnapshotRecord,
  type SnapshotState,
  type Store,
  type SyncJob,
} from "./store.js";
import {
  deltaRun,
  makeModel,
  makeSnapshot,
  makeStatuses,
  makeVersionDelta,
  modelRun,
  seeded,
  TestClock,
} from "./testing/fixtures.js";

export interface StoreFixture {
  store: Store;
  /** Another store over the same database, with its own connection(s), on the same clock. */
  another(): Promise<Store>;
  /** Closes what the fixture opened and removes its database. */
  dispose(): Promise<void>;
}

export type StoreFactory = (clock: TestClock) => Promise<StoreFixture>;

async function commitNew(
  store: Store,
  tenantId: string,
  runId: string,
  options: { accounts?: number; hold?: string } = {},
): Promise<SnapshotRecord> {
  const s = await store.startSnapshot(tenantId, { runId });
  return store.commitSnapshot(tenantId, s.version, {
    snapshot: makeSnapshot(runId),
    model: makeModel(runId, options.accounts ?? 3),
    hold: options.hold ? { reason: options.hold } : null,
  });
}

async function states(store: Store, tenantId: string): Promise<Record<number, SnapshotState>> {
  const out: Record<number, SnapshotState> = {};
  for (const s of await store.listSnapshots(tenantId, { limit: 1000 })) out[s.version] = s.state;
  return out;
}

export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    let fixture: StoreFixture | undefined;
    let store: Store;
    let clock: TestClock;

    beforeEach(async () => {
      clock = new TestClock();
      fixture = await factory(clock);
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture?.dispose();
      fixture = undefined;
    });

    it("is migrated to the latest schema version", async () => {
      expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(await store.migrate()).toBe(LATEST_SCHEMA_VERSION);
    });

    // ------------------------------------------------------------ tenants

    describe("tenants", () => {
      it("creates, reads, lists, updates and deletes tenants", async () => {
        const secrets = new Uint8Array([0, 1, 2, 250, 255]);
        const a = await store.createTenant({ id: "acme", name: "Acme", config: { products: ["jira"] }, secrets });
        expect(a).toMatchObject({ id: "acme", name: "Acme", config: { products: ["jira"] }, hasSecrets: true });
        expect("secrets" in a).toBe(false);
        const b = await store.createTenant({ name: "Beta" });
        expect(b.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(b.hasSecrets).toBe(false);
        expect(await store.getTenantSecrets("acme")).toEqual(secrets);
        expect((await store.listTenants()).map((t) => t.id)).toEqual(["acme", b.id]);

        clock.advance(1000);
        const u = await store.updateTenant("acme", { name: "Acme Corp" });
        expect(u).toMatchObject({ name: "Acme Corp", config: { products: ["jira"] }, hasSecrets: true });
        expect(Date.parse(u.updatedAt)).toBeGreaterThan(Date.parse(a.updatedAt));
        expect(u.createdAt).toBe(a.createdAt);
        await store.updateTenant("acme", { config: { products: ["jira", "confluence"] } });
        expect(await store.getTenantSecrets("acme")).toEqual(secrets);
        await store.updateTenant("acme", { secrets: new Uint8Array([9]) });
        expect(await store.getTenantSecrets("acme")).toEqual(new Uint8Array([9]));
        const cleared = await store.updateTenant("acme", { secrets: null });
        expect(cleared).toMatchObject({ name: "Acme Corp", config: { products: ["jira", "confluence"] } });
        expect(cleared.hasSecrets).toBe(false);
        expect(await store.getTenantSecrets("acme")).toBeNull();

        await expect(store.createTenant({ id: "acme", name: "again" })).rejects.toBeInstanceOf(ConflictError);
        await expect(store.updateTenant("nope", { name: "x" })).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.getTenantSecrets("nope")).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.getTenant("nope")).toBeNull();

        expect(await store.deleteTenant(b.id)).toBe(true);
        expect(await store.deleteTenant(b.id)).toBe(false);
        expect((await store.listTenants()).map((t) => t.id)).toEqual(["acme"]);
      });

      it("stores API keys by hash, finds them across tenants, and revokes them", async () => {
        await store.createTenant({ id: "a", name: "A" });
        await store.createTenant({ id: "b", name: "B" });
        const k1 = await store.addApiKey("a", { label: "ci", hash: "h1" });
        await store.addApiKey("b", { id: "kb", label: "ops", hash: "h2" });
        expect(await store.findApiKeyByHash("h1")).toMatchObject({ id: k1.id, tenantId: "a", label: "ci" });
        expect(await store.findApiKeyByHash("h2")).toMatchObject({ id: "kb", tenantId: "b" });
        expect(await store.findApiKeyByHash("nope")).toBeNull();
        await expect(store.addApiKey("a", { label: "dup", hash: "h2" })).rejects.toBeInstanceOf(ConflictError);
        await expect(store.addApiKey("zz", { label: "x", hash: "h3" })).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.revokeApiKey("b", k1.id)).toBe(false);
        expect(await store.revokeApiKey("a", k1.id)).toBe(true);
        expect(await store.revokeApiKey("a", k1.id)).toBe(false);
        expect(await store.findApiKeyByHash("h1")).toBeNull();
        const listed = await store.listApiKeys("a");
        expect(listed).toHaveLength(1);
        expect(listed[0]?.revokedAt).not.toBeNull();
      });
    });

    // ------------------------------------------------------------ snapshots

    describe("snapshots", () => {
      beforeEach(async () => {
        await store.createTenant({ id: "t", name: "T" });
        await store.createTenant({ id: "u", name: "U" });
      });

      it("numbers snapshots per tenant, only ever upwards", async () => {
        const v = [];
        for (let i = 0; i < 3; i++) v.push((await store.startSnapshot("t", { runId: `r${i}` })).version);
        expect(v).toEqual([1, 2, 3]);
        expect((await store.startSnapshot("u", { runId: "u1" })).version).toBe(1);
        // Retention does not reuse numbers either.
        await store.endSnapshot("t", 3, { state: "failed", reason: "x" });
        await store.endSnapshot("t", 2, { state: "failed", reason: "x" });
        await store.endSnapshot("t", 1, { state: "failed", reason: "x" });
        await store.retention("t", { keep: 0 });
        expect((await store.startSnapshot("t", { runId: "r3" })).version).toBe(4);
        await expect(store.startSnapshot("nope", { runId: "x" })).rejects.toBeInstanceOf(NotFoundError);
        const running = await store.getSnapshot("t", 4);
        expect(running).toMatchObject({ state: "running", runId: "r3", finishedAt: null, current: false });
      });

      it("commits atomically: the new snapshot becomes current and the previous one superseded", async () => {
        expect(await store.getCurrentModel("t")).toBeNull();
        expect(await store.getCurrentPointer("t")).toBeNull();
        const s1 = await commitNew(store, "t", "run-1", { accounts: 5 });
        expect(s1).toMatchObject({ version: 1, state: "complete", current: true });
        expect(s1.counts).toMatchObject({ accounts: 5, access: 10 });
        expect(s1.statuses).toEqual(makeStatuses("run-1"));
        expect(s1.modelSha256).toMatch(/^[0-9a-f]{64}$/);

        const cur1 = await store.getCurrentModel("t", { verify: true });
        expect(cur1).toMatchObject({ tenantId: "t", version: 1, runId: "run-1", modelSha256: s1.modelSha256 });
        expect(cur1?.model).toEqual(makeModel("run-1", 5));

        const s2 = await store.startSnapshot("t", { runId: "run-2", statuses: [] });
        await store.updateSnapshotStatuses("t", s2.version, makeStatuses("progress"));
        expect((await store.getSnapshot("t", 2))?.statuses).toEqual(makeStatuses("progress"));
        expect((await store.getCurrentModel("t"))?.version).toBe(1);
        await store.commitSnapshot("t", 2, {
          snapshot: makeSnapshot("run-2"),
          model: makeModel("run-2"),
          counts: { extra: 7 },
        });
        expect(await states(store, "t")).toEqual({ 1: "superseded", 2: "complete" });
        const cur2 = await store.getCurrentModel("t", { verify: true });
        expect(cur2?.version).toBe(2);
        expect(modelRun(cur2!.model)).toEqual({ runId: "run-2", mixed: null });
        expect((await store.getSnapshot("t", 2))?.counts).toMatchObject({ accounts: 3, extra: 7 });
        expect(await store.getCurrentPointer("t")).toMatchObject({ version: 2, runId: "run-2" });

        const data = await store.readSnapshotData("t", 1);
        expect(data?.snapshot).toEqual(makeSnapshot("run-1"));
        expect(data?.model?.snapshotRunId).toBe("run-1");
        expect(await store.readSnapshotData("t", 99)).toBeNull();
        // The other tenant saw nothing of it.
        expect(await store.getCurrentModel("u")).toBeNull();
      });

      it("refuses to commit what is not a running run, or what is older than the current one", async () => {
        const old = await store.startSnapshot("t", { runId: "old" });
        await commitNew(store, "t", "new");
        const commit = (v: number) =>
          store.commitSnapshot("t", v, { snapshot: makeSnapshot("x"), model: makeModel("x") });
        await expect(commit(old.version)).rejects.toBeInstanceOf(ConflictError);
        await expect(commit(2)).rejects.toBeInstanceOf(ConflictError);
        await expect(commit(42)).rejects.toBeInstanceOf(NotFoundError);
        const failed = await store.startSnapshot("t", { runId: "f" });
        await store.endSnapshot("t", failed.version, { state: "failed", reason: "boom" });
        await expect(commit(failed.version)).rejects.toBeInstanceOf(ConflictError);
        await expect(store.endSnapshot("t", failed.version, { state: "partial", reason: "x" })).rejects.toBeInstanceOf(
          ConflictError,
        );
        // The version numbers of tenant t mean nothing for tenant u.
        await expect(
          store.commitSnapshot("u", 2, { snapshot: makeSnapshot("x"), model: makeModel("x") }),
        ).rejects.toBeInstanceOf(NotFoundError);
        expect((await store.getCurrentModel("t"))?.runId).toBe("new");
      });

      it("keeps the last good snapshot current when a run ends partial or failed (D1, D2)", async () => {
        await commitNew(store, "t", "good");
        const p = await store.startSnapshot("t", { runId: "partial" });
        const ended = await store.endSnapshot("t", p.version, {
          state: "partial",
          reason: "jira: 403 on site b",
          snapshot: makeSnapshot("partial"),
          statuses: makeStatuses("partial"),
        });
        expect(ended).toMatchObject({ state: "partial", reason: "jira: 403 on site b", current: false });
        expect(ended.finishedAt).not.toBeNull();
        expect((await store.readSnapshotData("t", p.version))?.snapshot?.runId).toBe("partial");
        const f = await store.startSnapshot("t", { runId: "failed" });
        await store.endSnapshot("t", f.version, { state: "failed", reason: "connector threw" });
        expect((await store.getCurrentModel("t"))?.runId).toBe("good");
        expect(await states(store, "t")).toEqual({ 1: "complete", 2: "partial", 3: "failed" });
      });

      it("stores a held run without making it current until it is approved (D12)", async () => {
        await commitNew(store, "t", "base");
        const held = await commitNew(store, "t", "mass-delete", { hold: "would remove 80% of users" });
        expect(held).toMatchObject({ version: 2, state: "held", current: false, reason: "would remove 80% of users" });
        expect((await store.getCurrentModel("t"))?.runId).toBe("base");
        await expect(store.approveSnapshot("t", 1, { actor: "user:admin" })).rejects.toBeInstanceOf(ConflictError);
        const approved = await store.approveSnapshot("t", 2, { actor: "user:admin" });
        expect(approved).toMatchObject({ state: "complete", current: true, decidedBy: "user:admin" });
        expect(await states(store, "t")).toEqual({ 1: "superseded", 2: "complete" });
        expect((await store.getCurrentModel("t", { verify: true }))?.runId).toBe("mass-delete");
        await expect(store.approveSnapshot("t", 2, { actor: "x" })).rejects.toBeInstanceOf(ConflictError);
      });

      it("rejects a held run, and a newer commit makes an older held run stale", async () => {
        await commitNew(store, "t", "base");
        await commitNew(store, "t", "held-1", { hold: "guard" });
        const rejected = await store.rejectSnapshot("t", 2, { actor: "user:admin", reason: "looks wrong" });
        expect(rejected).toMatchObject({ state: "failed", reason: "looks wrong", decidedBy: "user:admin" });
        await commitNew(store, "t", "held-3", { hold: "guard" });
        await commitNew(store, "t", "held-4", { hold: "guard" });
        // A newer held run replaces the older one awaiting approval.
        expect(await states(store, "t")).toEqual({ 1: "complete", 2: "failed", 3: "superseded", 4: "held" });
        await commitNew(store, "t", "fresh");
        expect(await states(store, "t")).toEqual({
          1: "superseded",
          2: "failed",
          3: "superseded",
          4: "superseded",
          5: "complete",
        });
        await expect(store.approveSnapshot("t", 4, { actor: "x" })).rejects.toBeInstanceOf(ConflictError);
        expect((await store.getCurrentModel("t"))?.runId).toBe("fresh");
      });

      it("retention keeps the current and the last N complete snapshots, and never the current away", async () => {
        for (let i = 1; i <= 5; i++) await commitNew(store, "t", `ok-${i}`); // 1..5, 5 current
        const f6 = await store.startSnapshot("t", { runId: "f6" });
        await store.endSnapshot("t", f6.version, { state: "failed", reason: "x" });
        const f7 = await store.startSnapshot("t", { runId: "f7" });
        await store.endSnapshot("t", f7.version, { state: "partial", reason: "x" });
        await commitNew(store, "t", "held-8", { hold: "guard" });
        await store.startSnapshot("t", { runId: "running-9" });
        await commitNew(store, "u", "u-1");
        await commitNew(store, "u", "u-2");

        expect(await store.retention("t", { keep: 2 })).toEqual({ deleted: [1, 2] });
        expect(Object.keys(await states(store, "t")).map(Number)).toEqual([3, 4, 5, 6, 7, 8, 9]);
        expect(await store.readSnapshotData("t", 1)).toBeNull();
        expect(await store.retention("t", { keep: 0 })).toEqual({ deleted: [3, 4, 6] });
        expect(Object.keys(await states(store, "t")).map(Number)).toEqual([5, 7, 8, 9]);
        expect((await store.getCurrentModel("t", { verify: true }))?.runId).toBe("ok-5");
        expect(await store.retention("t", { keep: 0 })).toEqual({ deleted: [] });
        // Failures older than the current snapshot go; the current one stays with keep 0.
        await store.approveSnapshot("t", 8, { actor: "a" });
        expect(await store.retention("t", { keep: 0 })).toEqual({ deleted: [5, 7] });
        expect(Object.keys(await states(store, "t")).map(Number)).toEqual([8, 9]);
        expect(Object.keys(await states(store, "u")).map(Number)).toEqual([1, 2]);
        await expect(store.retention("nope", { keep: 1 })).rejects.toBeInstanceOf(NotFoundError);
        await expect(store.retention("t", { keep: -1 })).rejects.toBeInstanceOf(RangeError);
      });

      it("lists snapshots newest first, page by page", async () => {
        for (let i = 1; i <= 5; i++) await commitNew(store, "t", `r${i}`);
        const page1 = await store.listSnapshots("t", { limit: 2 });
        expect(page1.map((s) => s.version)).toEqual([5, 4]);
        expect(page1.map((s) => s.current)).toEqual([true, false]);
        const page2 = await store.listSnapshots("t", { limit: 2, beforeVersion: 4 });
        expect(page2.map((s) => s.version)).toEqual([3, 2]);
        expect(await store.listSnapshots("nope")).toEqual([]);
      });

      it("reads never see a mix while commits run concurrently", async () => {
        await commitNew(store, "t", "v-1", { accounts: 200 });
        const reader = await fixture!.another();
        try {
          const reads: Promise<void>[] = [];
          const seen = new Set<number>();
          for (let i = 2; i <= 6; i++) {
            const commit = commitNew(store, "t", `v-${i}`, { accounts: 200 });
            for (let r = 0; r < 10; r++) {
              reads.push(
                reader.getCurrentModel("t", { verify: true }).then((m) => {
                  expect(m).not.toBeNull();
                  expect(modelRun(m!.model)).toEqual({ runId: `v-${m!.version}`, mixed: null });
                  seen.add(m!.version);
                }),
              );
            }
            await commit;
          }
          await Promise.all(reads);
          expect(seen.size).toBeGreaterThanOrEqual(1);
          expect((await reader.getCurrentModel("t"))?.version).toBe(6);
        } finally {
          await reader.close();
        }
      });

      it("follows a seeded random sequence of operations like a reference model (P5)", async () => {
        for (const seed of [1, 2, 3]) {
          const tenantId = `p5-${seed}`;
          await store.createTenant({ id: tenantId, name: tenantId });
          const rnd = seeded(seed);
          const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
          // The reference: states by version, the current version.
          const ref = new Map<number, SnapshotState>();
          let current: number | null = null;
          let next = 1;
          const check = async () => {
            const m = await store.getCurrentModel(tenantId, { verify: true });
            if (current === null) expect(m).toBeNull();
            else {
              expect(m?.version).toBe(current);
              expect(modelRun(m!.model)).toEqual({ runId: `${tenantId}-${current}`, mixed: null });
            }
            expect(await states(store, tenantId)).toEqual(Object.fromEntries(ref));
          };
          for (let step = 0; step < 60; step++) {
            const running = [...ref].filter(([, s]) => s === "running").map(([v]) => v);
            const held = [...ref].filter(([, s]) => s === "held").map(([v]) => v);
            const op = pick(["start", "start", "commit", "commit", "hold", "fail", "approve", "retention", "read"]);
            if (op === "start" || running.length === 0) {
              const s = await store.startSnapshot(tenantId, { runId: `${tenantId}-${next}` });
              expect(s.version).toBe(next);
              ref.set(next++, "running");
            } else if (op === "commit" || op === "hold") {
              const v = pick(running);
              const runId = `${tenantId}-${v}`;
              const doCommit = () =>
                store.commitSnapshot(tenantId, v, {
                  snapshot: makeSnapshot(runId),
                  model: makeModel(runId, 1 + Math.floor(rnd() * 20)),
                  hold: op === "hold" ? { reason: "guard" } : null,
                });
              if (current !== null && v < current) {
                await expect(doCommit()).rejects.toBeInstanceOf(ConflictError);
                continue;
              }
              // A read racing the commit sees the old or the new snapshot, whole.
              const before = current;
              const [, raced] = await Promise.all([doCommit(), store.getCurrentModel(tenantId)]);
              if (raced) {
                expect([before, v]).toContain(raced.version);
                expect(modelRun(raced.model).mixed).toBeNull();
              }
              for (const [ver, st] of ref) {
                if (op === "hold" && st === "held" && ver < v) ref.set(ver, "superseded");
                if (op === "commit" && (st === "complete" || (st === "held" && ver < v))) ref.set(ver, "superseded");
              }
              ref.set(v, op === "hold" ? "held" : "complete");
              if (op === "commit") current = v;
            } else if (op === "fail") {
              const v = pick(running);
              const state = pick(["failed", "partial"] as const);
              await store.endSnapshot(tenantId, v, { state, reason: "r" });
              ref.set(v, state);
            } else if (op === "approve" && held.length > 0) {
              const v = pick(held);
              await store.approveSnapshot(tenantId, v, { actor: "a" });
              for (const [ver, st] of ref)
                if (st === "complete" || (st === "held" && ver < v)) ref.set(ver, "superseded");
              ref.set(v, "complete");
              current = v;
            } else if (op === "retention") {
              const { deleted } = await store.retention(tenantId, { keep: Math.floor(rnd() * 3) });
              expect(deleted).not.toContain(current);
              for (const v of deleted) {
                expect(["complete", "superseded", "failed", "partial"]).toContain(ref.get(v));
                ref.delete(v);
              }
            }
            await check();
          }
        }
      });
    });

    // ------------------------------------------------------------ jobs

    describe("sync jobs", () => {
      beforeEach(async () => {
        for (const id of ["t", "u"]) await store.createTenant({ id, name: id });
      });

      it("enqueues, claims in order, and completes", async () => {
        const { job: j1, created } = await store.enqueueJob("t", { payload: { full: true } });
        expect(created).toBe(true);
        expect(j1).toMatchObject({ tenantId: "t", kind: "sync", state: "queued", attempts: 0, maxAttempts: 3 });
        const { job: j2 } = await store.enqueueJob("u", { kind: "events" });
        const later = await store.enqueueJob("u", { runAfter: clock.iso(60_000) });
        await expect(store.enqueueJob("nope")).rejects.toBeInstanceOf(NotFoundError);

        const c1 = await store.claimJob({ workerId: "w1", leaseMs: 30_000 });
        expect(c1).toMatchObject({
          id: j1.id,
          state: "running",
          leaseOwner: "w1",
          attempts: 1,
          payload: { full: true },
        });
        expect(await store.claimJob({ workerId: "w1", leaseMs: 30_000, kinds: ["sync"] })).toBeNull();
        const c2 = await store.claimJob({ workerId: "w2", leaseMs: 30_000 });
        expect(c2?.id).toBe(j2.id);
        const done = await store.completeJob(j1.id, "w1", { version: 3 });
        expect(done).toMatchObject({ state: "succeeded", result: { version: 3 } });
        expect(done.finishedAt).not.toBeNull();
        await store.completeJob(j2.id, "w2");
        expect(await store.claimJob({ workerId: "w1", leaseMs: 30_000 })).toBeNull(); // not due yet
        clock.advance(60_001);
        expect((await store.claimJob({ workerId: "w1", leaseMs: 30_000 }))?.id).toBe(later.job.id);
        expect(await store.claimJob({ workerId: "w1", leaseMs: 1000, kinds: [] })).toBeNull();
        expect((await store.getJob("t", j1.id))?.state).toBe("succeeded");
        expect(await store.getJob("u", j1.id)).toBeNull();
        expect((await store.listJobs({ tenantId: "u" })).map((j) => j.id)).toEqual([later.job.id, j2.id]);
        expect((await store.listJobs({ states: ["running"] })).map((j) => j.id)).toEqual([later.job.id]);
        expect(await store.listJobs({ states: [] })).toEqual([]);
      });

      it("returns the queued job with the same dedupe key instead of queuing another", async () => {
        const a = await store.enqueueJob("t", { dedupeKey: "full-sync" });
        const b = await store.enqueueJob("t", { dedupeKey: "full-sync" });
        expect(b).toEqual({ job: a.job, created: false });
        expect((await store.enqueueJob("u", { dedupeKey: "full-sync" })).created).toBe(true);
        await store.claimJob({ workerId: "w", leaseMs: 1000 }); // t's job runs: a new one may queue behind it
        const c = await store.enqueueJob("t", { dedupeKey: "full-sync" });
        expect(c.created).toBe(true);
        // The running one's lease expires while c is queued: both stay, the requeued one drops the key.
        clock.advance(2000);
        const reclaimed = await store.claimJob({ workerId: "w2", leaseMs: 1000 });
        expect(reclaimed).toMatchObject({ id: a.job.id, dedupeKey: null, attempts: 2 });
        expect(await store.getJob("t", c.job.id)).toMatchObject({ state: "queued", dedupeKey: "full-sync" });
        expect((await store.enqueueJob("t", { dedupeKey: "full-sync" })).job.id).toBe(c.job.id);
      });

      it("hands each job to exactly one of 20 concurrent claimers", async () => {
        const tenants = Array.from({ length: 30 }, (_, i) => `c${i}`);
        for (const id of tenants) await store.createTenant({ id, name: id });
        const jobs: string[] = [];
        for (const id of tenants) for (let k = 0; k < 2; k++) jobs.push((await store.enqueueJob(id)).job.id);
        const other = await fixture!.another();
        try {
          const claims = new Map<string, string[]>();
          const running = new Set<string>();
          let overlap = 0;
          const worker = async (w: number) => {
            const s = w % 2 === 0 ? store : other;
            for (;;) {
              const job = await s.claimJob({ workerId: `w${w}`, leaseMs: 600_000 });
              if (!job) {
                // Another worker may still finish a job that unblocks a second one of its tenant.
                if (running.size === 0) return;
                await new Promise((r) => setTimeout(r, 2));
                continue;
              }
              if (running.has(job.tenantId)) overlap++;
              running.add(job.tenantId);
              claims.set(job.id, [...(claims.get(job.id) ?? []), `w${w}`]);
              await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 3)));
              running.delete(job.tenantId);
              await s.completeJob(job.id, `w${w}`);
            }
          };
          await Promise.all(Array.from({ length: 20 }, (_, w) => worker(w)));
          expect(overlap).toBe(0);
          expect([...claims.keys()].sort()).toEqual([...jobs].sort());
          for (const [id, by] of claims) expect(by, id).toHaveLength(1);
          const done = await store.listJobs({ states: ["succeeded"], limit: 1000 });
          expect(done).toHaveLength(jobs.length);
          expect(done.every((j) => j.attempts === 1)).toBe(true);
        } finally {
          await other.close();
        }
      });

      it("runs one sync per tenant at a time, even with many claimers", async () => {
        const t = [];
        for (let i = 0; i < 3; i++) t.push((await store.enqueueJob("t")).job);
        const u = (await store.enqueueJob("u")).job;
        const other = await fixture!.another();
        try {
          const got = await Promise.all(
            Array.from({ length: 10 }, (_, w) =>
              (w % 2 ? other : store).claimJob({ workerId: `w${w}`, leaseMs: 60_000 }),
            ),
          );
          const claimed = got.filter((j): j is SyncJob => j !== null);
          // One job per tenant, and a tenant's jobs in the order they were queued.
          expect(claimed.map((j) => j.id).sort()).toEqual([t[0]!.id, u.id].sort());
          expect(await store.claimJob({ workerId: "x", leaseMs: 60_000 })).toBeNull();
          const tJob = claimed.find((j) => j.tenantId === "t")!;
          await store.completeJob(tJob.id, tJob.leaseOwner!);
          expect((await store.claimJob({ workerId: "x", leaseMs: 60_000 }))?.id).toBe(t[1]!.id);
        } finally {
          await other.close();
        }
      });

      it("lets another worker reclaim a job whose lease expired; the first worker has lost it", async () => {
        const { job } = await store.enqueueJob("t");
        const first = await store.claimJob({ workerId: "w1", leaseMs: 1000 });
        expect(first?.id).toBe(job.id);
        clock.advance(500);
        expect(await store.heartbeatJob(job.id, "w1", 1000)).toEqual({ cancelRequested: false });
        clock.advance(900); // still within the extended lease
        expect(await store.claimJob({ workerId: "w2", leaseMs: 1000 })).toBeNull();
        clock.advance(200);
        const second = await store.claimJob({ workerId: "w2", leaseMs: 1000 });
        expect(second).toMatchObject({ id: job.id, leaseOwner: "w2", attempts: 2, state: "running" });
        expect(second?.error).toMatch(/lease expired/);
        await expect(store.heartbeatJob(job.id, "w1", 1000)).rejects.toBeInstanceOf(LeaseLostError);
        await expect(store.completeJob(job.id, "w1")).rejects.toBeInstanceOf(LeaseLostError);
        await expect(store.failJob(job.id, "w1", { error: "x" })).rejects.toBeInstanceOf(LeaseLostError);
        expect((await store.completeJob(job.id, "w2")).state).toBe("succeeded");
      });

      it("fails a job whose lease keeps expiring once its attempts are used up", async () => {
        const { job } = await store.enqueueJob("t", { maxAttempts: 2 });
        for (let i = 1; i <= 2; i++) {
          expect((await store.claimJob({ workerId: `w${i}`, leaseMs: 100 }))?.attempts).toBe(i);
          clock.advance(101);
        }
        expect(await store.claimJob({ workerId: "w3", leaseMs: 100 })).toBeNull();
        const failed = await store.getJob("t", job.id);
        expect(failed).toMatchObject({ state: "failed", attempts: 2 });
        expect(failed?.error).toMatch(/lease expired \(attempt 2 of 2\)/);
      });

      it("retries a failed job after a delay while attempts remain", async () => {
        const { job } = await store.enqueueJob("t", { maxAttempts: 2 });
        await store.claimJob({ workerId: "w", leaseMs: 10_000 });
        const retry = await store.failJob(job.id, "w", { error: "429 storm", retryAfterMs: 5000 });
        expect(retry).toMatchObject({ state: "queued", error: "429 storm", leaseOwner: null });
        expect(await store.claimJob({ workerId: "w", leaseMs: 10_000 })).toBeNull();
        clock.advance(5001);
        expect((await store.claimJob({ workerId: "w", leaseMs: 10_000 }))?.attempts).toBe(2);
        const final = await store.failJob(job.id, "w", { error: "still 429", retryAfterMs: 5000 });
        expect(final).toMatchObject({ state: "failed", error: "still 429" });
      });

      it("cancels a queued job at once and asks a running one to stop", async () => {
        const { job: r } = await store.enqueueJob("t");
        const { job: q } = await store.enqueueJob("u");
        await store.claimJob({ workerId: "w", leaseMs: 10_000 });
        expect(await store.cancelJob("t", q.id)).toBeNull(); // another tenant's job
        expect((await store.cancelJob("u", q.id))?.state).toBe("cancelled");
        const asked = await store.cancelJob("t", r.id);
        expect(asked).toMatchObject({ state: "running", cancelRequested: true });
        expect(await store.heartbeatJob(r.id, "w", 10_000)).toEqual({ cancelRequested: true });
        expect((await store.acknowledgeCancel(r.id, "w")).state).toBe("cancelled");
        expect(await store.claimJob({ workerId: "w", leaseMs: 10_000 })).toBeNull();
        // A worker that dies after the cancel request: the job ends cancelled when its lease runs out.
        const { job: z } = await store.enqueueJob("t");
        await store.claimJob({ workerId: "w", leaseMs: 100 });
        await store.cancelJob("t", z.id);
        clock.advance(101);
        expect(await store.claimJob({ workerId: "w2", leaseMs: 100 })).toBeNull();
        expect((await store.getJob("t", z.id))?.state).toBe("cancelled");
      });
    });

    // ------------------------------------------------------------ audit

    describe("audit log", () => {
      it("appends and pages newest first, per tenant, without secrets", async () => {
        for (let i = 0; i < 25; i++) {
          await store.appendAudit({
            tenantId: i % 5 === 0 ? "other" : "t",
            actor: i % 2 ? "user:alice" : "system:scheduler",
            action: i % 3 ? "sync.start" : "scim.user.deactivate",
            target: `account:${i}`,
            result: "ok",
            requestId: `req-${i}`,
            details: { i },
          });
        }
        const seen: number[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await store.listAudit("t", { limit: 7, cursor });
          seen.push(...page.entries.map((e) => Number(e.details.i)));
          cursor = page.next;
          pages++;
        } while (cursor);
        const expected = Array.from({ length: 25 }, (_, i) => i)
          .filter((i) => i % 5 !== 0)
          .reverse();
        expect(seen).toEqual(expected);
        expect(pages).toBe(3);
        const filtered = await store.listAudit("t", { action: "scim.user.deactivate", actor: "user:alice" });
        expect(filtered.entries.map((e) => e.details.i)).toEqual([21, 9, 3]);
        expect(filtered.next).toBeNull();
        expect((await store.listAudit("other")).entries).toHaveLength(5);
        expect((await store.listAudit("none")).entries).toEqual([]);

        const e = await store.appendAudit({
          tenantId: "t",
          actor: "apikey:k1",
          action: "tenant.update",
          target: null,
          result: "ok",
          details: {
            field: "productToken",
            productToken: "ATATT-secret",
            nested: { scimToken: "s3cr3t", headers: [{ Authorization: "Bearer x" }] },
            clientSecret: "y",
            count: 2,
          },
        });
        expect(e).toMatchObject({ actor: "apikey:k1", target: null, requestId: null, result: "ok" });
        const text = JSON.stringify((await store.listAudit("t", { limit: 1 })).entries);
        for (const secret of ["ATATT-secret", "s3cr3t", "Bearer x", '"y"']) expect(text).not.toContain(secret);
        expect(text).toContain('"field":"productToken"');
        expect(text).toContain('"count":2');
        await expect(store.listAudit("t", { cursor: "garbage" })).rejects.toBeInstanceOf(RangeError);
      });
    });

    // ------------------------------------------------------------ webhooks and cursors

    describe("webhook deliveries and cursors", () => {
      beforeEach(async () => {
        for (const id of ["t", "u"]) await store.createTenant({ id, name: id });
      });

      it("recognises a redelivery within the TTL, and forgets it after", async () => {
        expect(await store.recordWebhookDelivery("t", "jira", "d-1", 60_000)).toBe(true);
        expect(await store.recordWebhookDelivery("t", "jira", "d-1", 60_000)).toBe(false);
        expect(await store.recordWebhookDelivery("t", "bitbucket", "d-1", 60_000)).toBe(true);
        expect(await store.recordWebhookDelivery("u", "jira", "d-1", 60_000)).toBe(true);
        const concurrent = await Promise.all(
          Array.from({ length: 8 }, () => store.recordWebhookDelivery("t", "jira", "d-2", 60_000)),
        );
        expect(concurrent.filter(Boolean)).toHaveLength(1);
        await expect(store.recordWebhookDelivery("nope", "jira", "d", 1000)).rejects.toBeInstanceOf(NotFoundError);
        clock.advance(60_001);
        expect(await store.recordWebhookDelivery("t", "jira", "d-1", 60_000)).toBe(true); // expired, not yet pruned
        expect(await store.pruneWebhookDeliveries()).toBe(3); // t/bitbucket/d-1, u/jira/d-1, t/jira/d-2
        expect(await store.recordWebhookDelivery("t", "jira", "d-1", 60_000)).toBe(false);
        expect(await store.recordWebhookDelivery("t", "jira", "d-2", 60_000)).toBe(true);
      });

      it("keeps named cursors per tenant, with compare-and-set", async () => {
        expect(await store.getCursor("t", "admin-events")).toBeNull();
        expect(await store.setCursor("t", "admin-events", "c1", { expected: "c0" })).toBe(false);
        expect(await store.setCursor("t", "admin-events", "c1", { expected: null })).toBe(true);
        expect(await store.setCursor("t", "admin-events", "c9", { expected: null })).toBe(false);
        expect(await store.setCursor("t", "admin-events", "c2", { expected: "c1" })).toBe(true);
        expect(await store.setCursor("t", "admin-events", "c3", { expected: "c1" })).toBe(false);
        expect(await store.getCursor("t", "admin-events")).toMatchObject({ name: "admin-events", value: "c2" });
        expect(await store.setCursor("t", "admin-events", "c5")).toBe(true);
        expect((await store.getCursor("t", "admin-events"))?.value).toBe("c5");
        expect(await store.getCursor("u", "admin-events")).toBeNull();
        await store.setCursor("u", "admin-events", "u1");
        expect((await store.getCursor("t", "admin-events"))?.value).toBe("c5");
        await expect(store.setCursor("nope", "x", "y")).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe("delta versions", () => {
      beforeEach(async () => {
        await store.createTenant({ id: "t", name: "T" });
        await store.createTenant({ id: "u", name: "U" });
      });

      /** Starts a run and commits `delta` over `base` as it. */
      async function commitDelta(
        tenantId: string,
        runId: string,
        base: number,
        chain: number[],
        options: { hold?: string; expectedCurrent?: number | null } = {},
      ): Promise<SnapshotRecord> {
        const s = await store.startSnapshot(tenantId, { runId });
        return store.commitSnapshotDelta(tenantId, s.version, {
          delta: makeVersionDelta(runId, base, [...chain, s.version]),
          counts: { accounts: 3, access: 6 },
          statuses: makeStatuses(runId),
          hold: options.hold ? { reason: options.hold } : null,
          expectedCurrent: options.expectedCurrent,
        });
      }

      it("commits a delta version atomically; every read resolves it over its base", async () => {
        const base = await commitNew(store, "t", "base");
        const d2 = await commitDelta("t", "d-2", base.version, []);
        expect(d2).toMatchObject({ version: 2, state: "complete", current: true, counts: { accounts: 3, access: 6 } });
        expect(d2.delta).toMatchObject({ baseVersion: 1 });
        expect(d2.delta!.bytes).toBeGreaterThan(0);
        expect(d2.delta!.jsonBytes).toBeGreaterThan(d2.delta!.bytes / 10);
        expect(d2.modelSha256).toMatch(/^[0-9a-f]{64}$/);
        expect(d2.modelSha256).not.toBe(base.modelSha256);
        expect(base.delta).toBeNull();
        expect(await states(store, "t")).toEqual({ 1: "superseded", 2: "complete" });

        const cur = await store.getCurrentModel("t", { verify: true });
        expect(cur).toMatchObject({ version: 2, runId: "d-2", baseVersion: 1, modelSha256: d2.modelSha256 });
        expect(deltaRun(cur!.model)).toEqual({ runId: "d-2", mixed: null });
        // What the delta does not touch comes from the base.
        expect(cur!.model.accounts).toEqual(makeModel("base").accounts);
        expect(cur!.model.access.filter((e) => e.resourceId !== "P0")).toEqual(
          makeModel("base").access.filter((e) => e.resourceId !== "P0"),
        );
        expect(cur!.model.notes).toEqual(["event patch: d-2"]);
        expect(await store.getCurrentPointer("t")).toMatchObject({ version: 2, baseVersion: 1 });
        const data = await store.readSnapshotData("t", 2);
        expect(data?.snapshot).toMatchObject({ runId: "d-2", notes: ["event patch: d-2"] });
        expect(data?.model?.snapshotRunId).toBe("d-2");
        const parts = await store.readSnapshotParts("t", 2);
        expect(parts).toMatchObject({ baseVersion: 1, base: { snapshot: makeSnapshot("base") } });
        expect(parts?.delta?.chain).toEqual([2]);
        expect(await store.getCurrentDelta("t")).toMatchObject({ pointer: { version: 2 }, delta: { chain: [2] } });

        // A second, cumulative delta over the same base; readers of version 2 may apply only what is newer.
        const d3 = await commitDelta("t", "d-3", 1, [2], { expectedCurrent: 2 });
        expect(d3).toMatchObject({ version: 3, current: true, delta: { baseVersion: 1 } });
        expect(deltaRun((await store.getCurrentModel("t", { verify: true }))!.model)).toEqual({
          runId: "d-3",
          mixed: null,
        });
        expect((await store.getCurrentDelta("t"))?.delta?.chain).toEqual([2, 3]);
        // A full version has no delta.
        await commitNew(store, "t", "full-4");
        expect(await store.getCurrentDelta("t")).toMatchObject({
          pointer: { version: 4, baseVersion: 4 },
          delta: null,
        });
        expect((await store.readSnapshotParts("t", 4))?.delta).toBeNull();
        expect(await store.getCurrentModel("u")).toBeNull();
      });

      it("refuses a delta over a delta version, another tenant's version or a stale base, and one not its own", async () => {
        await commitNew(store, "t", "base");
        await commitDelta("t", "d-2", 1, []);
        await commitNew(store, "u", "u-base");
        await expect(commitDelta("t", "x", 2, [])).rejects.toBeInstanceOf(ConflictError); // 2 is a delta
        await expect(commitDelta("t", "y", 3, [])).rejects.toBeInstanceOf(ConflictError); // 3 has no data
        await expect(commitDelta("t", "z", 1, [2], { expectedCurrent: 1 })).rejects.toBeInstanceOf(ConflictError);
        const s = await store.startSnapshot("t", { runId: "w" });
        const wrong = makeVersionDelta("w", 1, [s.version + 1]);
        await expect(
          store.commitSnapshotDelta("t", s.version, { delta: wrong, counts: {}, statuses: [] }),
        ).rejects.toBeInstanceOf(TypeError);
        // Tenant u's version 1 is no base for tenant t's delta, and nothing of the refused commits was written.
        const u = await store.startSnapshot("u", { runId: "u-d" });
        await expect(
          store.commitSnapshotDelta("u", u.version, {
            delta: makeVersionDelta("u-d", 1, [u.version]),
            counts: {},
            statuses: [],
          }),
        ).resolves.toMatchObject({ current: true });
        expect((await store.getCurrentModel("t"))?.runId).toBe("d-2");
        expect(await states(store, "t")).toMatchObject({ 1: "superseded", 2: "complete", 3: "running", 4: "running" });
      });

      it("holds a delta version for approval like any run; approving makes it current", async () => {
        await commitNew(store, "t", "base");
        const held = await commitDelta("t", "held-2", 1, [], { hold: "guard" });
        expect(held).toMatchObject({ state: "held", current: false, reason: "guard" });
        expect((await store.getCurrentModel("t"))?.runId).toBe("base");
        await store.approveSnapshot("t", 2, { actor: "op" });
        expect(deltaRun((await store.getCurrentModel("t", { verify: true }))!.model)).toEqual({
          runId: "held-2",
          mixed: null,
        });
      });

      it("retention keeps the base of a kept delta version; compaction rewrites it whole and frees the base", async () => {
        await commitNew(store, "t", "old-1");
        await commitNew(store, "t", "base-2");
        await commitDelta("t", "d-3", 2, []);
        await commitDelta("t", "d-4", 2, [3]);
        const before = await store.getCurrentModel("t", { verify: true });
        // keep 0: only the current (4) by state, but 4 rests on 2.
        expect(await store.retention("t", { keep: 0 })).toEqual({ deleted: [1, 3] });
        expect(Object.keys(await states(store, "t")).map(Number)).toEqual([2, 4]);
        expect((await store.getCurrentModel("t", { verify: true }))?.model).toEqual(before!.model);

        expect(await store.compactSnapshot("t", 4)).toBe(true);
        expect(await store.compactSnapshot("t", 4)).toBe(false);
        expect(await store.compactSnapshot("t", 2)).toBe(false);
        const after = await store.getCurrentModel("t", { verify: true });
        expect(after).toMatchObject({ version: 4, baseVersion: 4, modelSha256: before!.modelSha256 });
        expect(after!.model).toEqual(before!.model);
        expect((await store.getSnapshot("t", 4))?.delta).toBeNull();
        expect(await store.retention("t", { keep: 0 })).toEqual({ deleted: [2] });
        // The next patches rest on the compacted version.
        await commitDelta("t", "d-5", 4, []);
        expect(deltaRun((await store.getCurrentModel("t", { verify: true }))!.model)).toEqual({
          runId: "d-5",
          mixed: null,
        });
        expect(await store.deleteTenant("t")).toBe(true);
        expect(await store.getCurrentModel("t")).toBeNull();
      });

      it("reads never see a mix while delta versions commit concurrently", async () => {
        await commitNew(store, "t", "base", { accounts: 200 });
        const reader = await fixture!.another();
        try {
          const reads: Promise<void>[] = [];
          const chain: number[] = [];
          for (let i = 2; i <= 8; i++) {
            const commit = commitDelta("t", `d-${i}`, 1, [...chain]);
            chain.push(i);
            for (let r = 0; r < 10; r++) {
              reads.push(
                reader.getCurrentModel("t", { verify: true }).then((m) => {
                  if (m!.version === 1) return;
                  expect(deltaRun(m!.model)).toEqual({ runId: `d-${m!.version}`, mixed: null });
                }),
              );
              reads.push(
                reader.getCurrentDelta("t").then((d) => {
                  if (d!.pointer.version === 1) return;
                  expect(d!.delta?.chain.at(-1)).toBe(d!.pointer.version);
                }),
              );
            }
            await commit;
          }
          await Promise.all(reads);
          expect((await reader.getCurrentModel("t"))?.version).toBe(8);
        } finally {
          await reader.close();
        }
      });
    });

    it("commits with expectedCurrent only while the pointer is still there (compare-and-set)", async () => {
      await store.createTenant({ id: "cas", name: "cas" });
      const first = await commitNew(store, "cas", "r1");
      const patch = await store.startSnapshot("cas", { runId: "patch" });
      const sync = await commitNew(store, "cas", "r2");
      expect(sync.version).toBeGreaterThan(first.version);
      await expect(
        store.commitSnapshot("cas", patch.version, {
          snapshot: makeSnapshot("patch"),
          model: makeModel("patch", 3),
          expectedCurrent: first.version,
        }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect((await store.getCurrentPointer("cas"))?.version).toBe(sync.version);
      expect((await store.getSnapshot("cas", patch.version))?.state).toBe("running");
      const rebased = await store.startSnapshot("cas", { runId: "patch-2" });
      const ok = await store.commitSnapshot("cas", rebased.version, {
        snapshot: makeSnapshot("patch"),
        model: makeModel("patch", 3),
        expectedCurrent: sync.version,
      });
      expect(ok.current).toBe(true);
    });

    describe("forge crawl batches", () => {
      beforeEach(async () => {
        for (const id of ["t", "u"]) await store.createTenant({ id, name: id });
      });

      it("keeps batches by (run, seq): a retried batch replaces itself, per tenant", async () => {
        expect(await store.putCrawlBatch("t", { runId: "r1", seq: 2, section: "jira", rows: { users: [2] } })).toBe(
          true,
        );
        expect(await store.putCrawlBatch("t", { runId: "r1", seq: 1, section: "jira", rows: { users: [1] } })).toBe(
          true,
        );
        // The retry of seq 1 is recognised and stored once.
        expect(await store.putCrawlBatch("t", { runId: "r1", seq: 1, section: "jira", rows: { users: [1] } })).toBe(
          false,
        );
        await store.putCrawlBatch("u", { runId: "r1", seq: 1, section: "confluence", rows: { spaces: [] } });
        const batches = await store.listCrawlBatches("t", "r1");
        expect(batches.map((b) => [b.seq, b.section, b.rows])).toEqual([
          [1, "jira", { users: [1] }],
          [2, "jira", { users: [2] }],
        ]);
        expect(await store.listCrawlBatches("t", "r2")).toEqual([]);
        await expect(
          store.putCrawlBatch("nope", { runId: "r", seq: 1, section: "jira", rows: {} }),
        ).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.deleteCrawl("t", "r1")).toBe(2);
        expect(await store.listCrawlBatches("t", "r1")).toEqual([]);
        expect(await store.listCrawlBatches("u", "r1")).toHaveLength(1);
      });

      it("prunes abandoned crawls: old batches and crawl-run cursors go, fresh ones and other cursors stay", async () => {
        await store.putCrawlBatch("t", { runId: "old", seq: 0, section: "jira", rows: {} });
        await store.setCursor("t", `${CRAWL_CURSOR_PREFIX}old`, "{}");
        await store.setCursor("t", "admin-events-stream", "c1");
        clock.advance(60_000);
        const cutoff = new Date(clock.iso(0));
        clock.advance(1_000);
        await store.putCrawlBatch("u", { runId: "new", seq: 0, section: "jira", rows: {} });
        await store.setCursor("u", `${CRAWL_CURSOR_PREFIX}new`, "{}");
        expect(await store.pruneCrawls(cutoff)).toEqual({ batches: 1, runs: 1 });
        expect(await store.listCrawlBatches("t", "old")).toEqual([]);
        expect(await store.getCursor("t", `${CRAWL_CURSOR_PREFIX}old`)).toBeNull();
        expect(await store.getCursor("t", "admin-events-stream")).not.toBeNull();
        expect(await store.listCrawlBatches("u", "new")).toHaveLength(1);
        expect(await store.getCursor("u", `${CRAWL_CURSOR_PREFIX}new`)).not.toBeNull();
      });
    });

    // ------------------------------------------------------------ tenant isolation

    it("never touches tenant A's rows through tenant B's operations (decoy tenant, D3)", async () => {
      await store.createTenant({ id: "a", name: "A", config: { k: 1 }, secrets: new Uint8Array([1, 2, 3]) });
      await store.createTenant({ id: "b", name: "B" });
      const keyA = await store.addApiKey("a", { label: "a", hash: "ha" });
      for (let i = 1; i <= 3; i++) await commitNew(store, "a", `a-${i}`);
      await commitNew(store, "a", "a-held", { hold: "guard" });
      const aRunning = await store.startSnapshot("a", { runId: "a-running" });
      const jobA = (await store.enqueueJob("a")).job;
      const jobA2 = (await store.enqueueJob("a", { dedupeKey: "k" })).job;
      await store.appendAudit({ tenantId: "a", actor: "x", action: "y", target: null, result: "ok" });
      await store.setCursor("a", "events", "a-cursor");
      await store.recordWebhookDelivery("a", "jira", "shared-id", 600_000);

      const observe = async () => ({
        tenant: await store.getTenant("a"),
        secrets: await store.getTenantSecrets("a"),
        keys: await store.listApiKeys("a"),
        snapshots: await store.listSnapshots("a"),
        current: await store.getCurrentModel("a", { verify: true }),
        data: await store.readSnapshotData("a", 1),
        jobs: await store.listJobs({ tenantId: "a" }),
        audit: await store.listAudit("a"),
        cursor: await store.getCursor("a", "events"),
      });
      const before = await observe();

      // Tenant B, whose version numbers and ids overlap A's, does everything it can.
      await expect(
        store.commitSnapshot("b", aRunning.version, { snapshot: makeSnapshot("evil"), model: makeModel("evil") }),
      ).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.endSnapshot("b", aRunning.version, { state: "failed", reason: "x" })).rejects.toBeInstanceOf(
        NotFoundError,
      );
      for (let i = 1; i <= 3; i++) await commitNew(store, "b", `b-${i}`);
      await commitNew(store, "b", "b-held", { hold: "guard" });
      await store.rejectSnapshot("b", 4, { actor: "b", reason: "no" });
      const bFail = await store.startSnapshot("b", { runId: "b-fail" });
      await store.endSnapshot("b", bFail.version, { state: "failed", reason: "B's sync failed" });
      await store.retention("b", { keep: 0 });
      await expect(store.approveSnapshot("b", 4, { actor: "b" })).rejects.toThrow();
      expect(await store.cancelJob("b", jobA.id)).toBeNull();
      expect(await store.getJob("b", jobA.id)).toBeNull();
      expect(await store.revokeApiKey("b", keyA.id)).toBe(false);
      expect((await store.enqueueJob("b", { dedupeKey: "k" })).created).toBe(true);
      await store.setCursor("b", "events", "b-cursor");
      expect(await store.setCursor("b", "events", "x", { expected: "a-cursor" })).toBe(false);
      expect(await store.recordWebhookDelivery("b", "jira", "shared-id", 1)).toBe(true);
      await store.appendAudit({ tenantId: "b", actor: "x", action: "y", target: null, result: "ok" });
      await store.deleteTenant("b");

      const after = await observe();
      expect(after).toEqual(before);
      expect(after.jobs.map((j) => j.id).sort()).toEqual([jobA.id, jobA2.id].sort());
      expect(await store.recordWebhookDelivery("a", "jira", "shared-id", 600_000)).toBe(false);
      expect(await store.getTenant("b")).toBeNull();
      expect(await store.listSnapshots("b")).toEqual([]);
      expect((await store.listAudit("b")).entries).toHaveLength(1); // the audit log outlives the tenant
    });
  });
}
