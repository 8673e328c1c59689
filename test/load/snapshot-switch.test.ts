/**
 * L2: model reads under load while the snapshot switches. Another process commits a new snapshot again and again
 * (a real second writer: its own SQLite connection on the WAL file, or its own PostgreSQL connections); meanwhile
 * this process fires waves of 200 concurrent reads of the current model. Every read's model names the version it
 * was returned with in each of its parts, and its checksum is verified: a mixed read would show. Latency is
 * reported (p50/p99), not asserted; counts are.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPostgresStore } from "@accessmap/backend/store/postgres";
import { openSqliteStore } from "@accessmap/backend/store/sqlite";
import type { Store } from "@accessmap/backend/store/store";
import { spawnStoreChild } from "@accessmap/backend/store/testing/child";
import { makeModel, makeSnapshot, modelRun, percentile, runIdOf } from "@accessmap/backend/store/testing/fixtures";
import { dropSchema, requirePostgres, TEST_PG_URL, testSchemaName } from "@accessmap/backend/store/testing/pg";
import type { ChildConfig } from "@accessmap/backend/store/testing/store-child";
import { describe, expect, it } from "vitest";

const CONCURRENT_READS = 200;
const SWITCHES = 12;
const ACCOUNTS = 100;

interface Target {
  name: "sqlite" | "postgres";
  open(): Promise<{ store: Store; child: Omit<ChildConfig, "mode" | "accounts" | "tenantId">; done(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: "sqlite",
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), "accessmap-load-"));
      const path = join(dir, "store.db");
      const store = await openSqliteStore({ path });
      return {
        store,
        child: { dialect: "sqlite", path },
        done: async () => {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: "postgres",
    open: async () => {
      await requirePostgres();
      const schema = testSchemaName();
      const store = await openPostgresStore({ connectionString: TEST_PG_URL, schema, maxConnections: 20 });
      return {
        store,
        child: { dialect: "postgres", url: TEST_PG_URL, schema },
        done: async () => {
          await store.close();
          await dropSchema(schema);
        },
      };
    },
  },
];

describe.each(targets)("snapshot switch under load (L2): $name", (target) => {
  it(`serves ${CONCURRENT_READS} concurrent reads per wave while snapshots switch, never a mixed model`, async () => {
    const { store, child: childBase, done } = await target.open();
    try {
      await store.createTenant({ id: "t", name: "T" });
      const first = await store.startSnapshot("t", { runId: runIdOf(1) });
      await store.commitSnapshot("t", first.version, {
        snapshot: makeSnapshot(runIdOf(1)),
        model: makeModel(runIdOf(1), ACCOUNTS),
      });

      const writer = spawnStoreChild({
        ...childBase,
        tenantId: "t",
        mode: "switch",
        accounts: ACCOUNTS,
        count: SWITCHES,
        pauseMs: 60,
      });
      let writerDone = false;
      writer.onLine((line) => {
        if (line === "DONE") writerDone = true;
      });
      await writer.waitFor("READY");

      const latencies: number[] = [];
      const versions = new Map<number, number>();
      let reads = 0;
      let mixed = 0;
      let waves = 0;
      const read = async () => {
        const t0 = performance.now();
        const m = await store.getCurrentModel("t", { verify: true });
        latencies.push(performance.now() - t0);
        reads++;
        if (!m) throw new Error("no current model");
        const run = modelRun(m.model);
        if (run.mixed !== null || m.runId !== runIdOf(m.version) || run.runId !== m.runId) mixed++;
        versions.set(m.version, (versions.get(m.version) ?? 0) + 1);
      };
      // Waves until the writer has made all its switches, then one more on the final state.
      const started = performance.now();
      for (let last = false; !last; ) {
        last = writerDone;
        await Promise.all(Array.from({ length: CONCURRENT_READS }, read));
        waves++;
      }
      const exit = await writer.exited;
      expect(exit.code, exit.stderr).toBe(0);

      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      console.log(
        `[L2 ${target.name}] ${reads} reads in ${waves} waves of ${CONCURRENT_READS}, ${SWITCHES} switches, ` +
          `${versions.size} versions seen, model ${ACCOUNTS} accounts, ${(reads / seconds).toFixed(0)} reads/s: ` +
          `p50 ${p50.toFixed(1)} ms, ` +
          `p99 ${p99.toFixed(1)} ms, max ${latencies[latencies.length - 1]!.toFixed(1)} ms, mixed reads ${mixed}`,
      );
      expect(mixed).toBe(0);
      expect(reads).toBe(waves * CONCURRENT_READS);
      expect(latencies).toHaveLength(reads);
      // The switches happened while reads were in flight, and the last wave saw the last commit.
      expect(versions.size).toBeGreaterThanOrEqual(3);
      expect(Math.max(...versions.keys())).toBe(1 + SWITCHES);
      expect((await store.getCurrentPointer("t"))?.version).toBe(1 + SWITCHES);
    } finally {
      await done();
    }
  }, 60_000);
});
