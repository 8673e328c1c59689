/**
 * D4: kill -9 during the commit. A child process opens the store and commits a large snapshot; the parent kills it
 * with SIGKILL (a) at a random moment after the child says the commit is about to start, and (b) deterministically
 * inside the commit transaction, after the blobs are written and the previous snapshot is marked superseded, before
 * the pointer moves. After each kill the store is reopened: the current pointer and model must be entirely the old
 * snapshot or entirely the new one (the model's checksum verified, every part of it naming the same run, the run
 * being the one the pointer names), and exactly one snapshot may be `complete`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "./postgres.js";
import { openSqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";
import { spawnStoreChild } from "./testing/child.js";
import { deltaRun, makeModel, makeSnapshot, modelRun, runIdOf, seeded } from "./testing/fixtures.js";
import { dropSchema, requirePostgres, TEST_PG_URL, testSchemaName } from "./testing/pg.js";
import type { ChildConfig } from "./testing/store-child.js";

/** Accounts in the committed model (×2 access entries): about 16 MB of JSON. */
const ACCOUNTS = 20_000;
const RANDOM_KILLS = 4;
const INSIDE_KILLS = 2;

interface Target {
  name: "sqlite" | "postgres";
  setup(): Promise<{ open(): Promise<Store>; child: Omit<ChildConfig, "mode" | "accounts" | "tenantId"> }>;
  teardown(): Promise<void>;
}

function sqliteTarget(): Target {
  let dir = "";
  return {
    name: "sqlite",
    setup: async () => {
      dir = await mkdtemp(join(tmpdir(), "accessmap-crash-"));
      const path = join(dir, "store.db");
      return { open: () => openSqliteStore({ path }), child: { dialect: "sqlite", path } };
    },
    teardown: async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

function postgresTarget(): Target {
  const schema = testSchemaName();
  return {
    name: "postgres",
    setup: async () => {
      await requirePostgres();
      return {
        open: () => openPostgresStore({ connectionString: TEST_PG_URL, schema, maxConnections: 2 }),
        child: { dialect: "postgres", url: TEST_PG_URL, schema },
      };
    },
    teardown: () => dropSchema(schema),
  };
}

describe.each([sqliteTarget(), postgresTarget()])("crash during commit (D4): $name", (target) => {
  let open: () => Promise<Store>;
  let childBase: Omit<ChildConfig, "mode" | "accounts" | "tenantId">;

  beforeAll(async () => {
    ({ open, child: childBase } = await target.setup());
    const store = await open();
    try {
      await store.createTenant({ id: "t", name: "T" });
      const s = await store.startSnapshot("t", { runId: runIdOf(1) });
      await store.commitSnapshot("t", s.version, { snapshot: makeSnapshot(runIdOf(1)), model: makeModel(runIdOf(1)) });
    } finally {
      await store.close();
    }
  });

  afterAll(() => target.teardown());

  /** Reopens the store and checks that it is whole; returns the current version. */
  async function checkWhole(oldVersion: number, newVersion: number): Promise<number> {
    const store = await open();
    try {
      const current = await store.getCurrentModel("t", { verify: true });
      expect(current).not.toBeNull();
      const { version, runId, model, baseVersion } = current!;
      expect([oldVersion, newVersion]).toContain(version);
      expect(runId).toBe(runIdOf(version));
      // A delta version resolved over its base: the base's accounts, the delta's header and patched bucket.
      if (baseVersion === version) expect(modelRun(model)).toEqual({ runId: runIdOf(version), mixed: null });
      else expect(deltaRun(model)).toEqual({ runId: runIdOf(version), mixed: null });
      const snapshots = await store.listSnapshots("t", { limit: 1000 });
      expect(snapshots.filter((s) => s.state === "complete").map((s) => s.version)).toEqual([version]);
      expect(snapshots.filter((s) => s.current).map((s) => s.version)).toEqual([version]);
      if (version === newVersion) {
        expect(snapshots.find((s) => s.version === oldVersion)?.state).toBe("superseded");
        if (baseVersion === version) expect(current!.model.accounts).toHaveLength(ACCOUNTS);
      } else {
        // The killed run stays `running`: a sync that died says so, and is never cleaned up into "complete" (D1).
        expect(snapshots.find((s) => s.version === newVersion)?.state ?? "running").toBe("running");
      }
      return version;
    } finally {
      await store.close();
    }
  }

  async function currentVersion(): Promise<number> {
    const store = await open();
    try {
      return (await store.getCurrentPointer("t"))!.version;
    } finally {
      await store.close();
    }
  }

  it("leaves the current model entirely old or entirely new, however the commit is cut short", async () => {
    const rnd = seeded(target.name === "sqlite" ? 4 : 5);
    const log: string[] = [];
    let oldVersion = await currentVersion();

    // A commit left alone: how long it takes, from READY to COMMITTED, sets the range of the random kills.
    const calm = spawnStoreChild({ ...childBase, tenantId: "t", mode: "commit", accounts: ACCOUNTS });
    const v0 = Number((await calm.waitFor("READY")).split(" ")[1]);
    const t0 = performance.now();
    await calm.waitFor("COMMITTED");
    const commitMs = performance.now() - t0;
    expect((await calm.exited).code).toBe(0);
    expect(await checkWhole(oldVersion, v0)).toBe(v0);
    log.push(`uninterrupted commit: ${commitMs.toFixed(0)} ms → new`);
    oldVersion = v0;

    const outcomes = { old: 0, new: 0 };
    const plan: Array<"inside" | "random"> = [
      ...Array<"inside">(INSIDE_KILLS).fill("inside"),
      ...Array<"random">(RANDOM_KILLS).fill("random"),
    ];
    for (const how of plan) {
      const child = spawnStoreChild({
        ...childBase,
        tenantId: "t",
        mode: how === "inside" ? "inside" : "commit",
        accounts: ACCOUNTS,
      });
      const newVersion = Number((await child.waitFor("READY")).split(" ")[1]);
      let note: string;
      if (how === "inside") {
        await child.waitFor("INSIDE");
        child.kill();
        note = "killed inside the transaction, before the pointer moved";
      } else {
        const delay = rnd() * commitMs * 1.3;
        await new Promise((r) => setTimeout(r, delay));
        child.kill();
        note = `killed ${delay.toFixed(0)} ms after READY`;
      }
      const exit = await child.exited;
      const committed = child.lines.some((l) => l.startsWith("COMMITTED"));
      const version = await checkWhole(oldVersion, newVersion);
      const outcome = version === newVersion ? "new" : "old";
      outcomes[outcome]++;
      if (how === "inside") expect(outcome).toBe("old");
      // The child said its commit returned: then the new snapshot must be the current one (durable).
      if (committed) expect(outcome).toBe("new");
      log.push(`${note} (exit ${exit.signal ?? exit.code}${committed ? ", commit had returned" : ""}) → ${outcome}`);
      oldVersion = version;
    }
    console.log(`[crash ${target.name}] ${ACCOUNTS} accounts\n  ${log.join("\n  ")}`);
    expect(outcomes.old + outcomes.new).toBe(plan.length);
    expect(outcomes.old).toBeGreaterThanOrEqual(INSIDE_KILLS);
  }, 60_000);

  it("leaves the current model entirely old or entirely new when a delta version's commit is cut short", async () => {
    const rnd = seeded(target.name === "sqlite" ? 6 : 7);
    let oldVersion = await currentVersion();
    const log: string[] = [];
    // One delta commit left alone, then kills inside the transaction and at random moments.
    const plan: Array<"calm" | "inside" | "random"> = ["calm", "inside", "random", "random", "calm", "random"];
    for (const how of plan) {
      const child = spawnStoreChild({
        ...childBase,
        tenantId: "t",
        mode: how === "inside" ? "inside" : "commit",
        delta: true,
        accounts: ACCOUNTS,
      });
      const newVersion = Number((await child.waitFor("READY")).split(" ")[1]);
      if (how === "inside") {
        await child.waitFor("INSIDE");
        child.kill();
      } else if (how === "random") {
        await new Promise((r) => setTimeout(r, rnd() * 30));
        child.kill();
      }
      const exit = await child.exited;
      const committed = child.lines.some((l) => l.startsWith("COMMITTED"));
      const version = await checkWhole(oldVersion, newVersion);
      const outcome = version === newVersion ? "new" : "old";
      if (how === "inside") expect(outcome).toBe("old");
      if (how === "calm" || committed) expect(outcome).toBe("new");
      log.push(`${how} (exit ${exit.signal ?? exit.code}${committed ? ", commit had returned" : ""}) → ${outcome}`);
      oldVersion = version;
    }
    console.log(`[crash ${target.name}, delta versions]\n  ${log.join("\n  ")}`);
  }, 60_000);
});
