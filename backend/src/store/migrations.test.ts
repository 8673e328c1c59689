/**
 * Migrations: a store created at schema version 1, holding data, upgrades to the latest version with its data intact
 * (and backfilled where a later migration derives a column). Also what only the database can enforce: the audit log
 * refuses UPDATE and DELETE; the SQLite file runs in WAL mode.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeJson } from "./common.js";
import { LATEST_SCHEMA_VERSION, pendingMigrations } from "./migrations/index.js";
import { createPostgresPool, migratePostgres, openPostgresStore } from "./postgres.js";
import { migrateSqlite, openSqliteDatabase, openSqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";
import { deltaRun, makeModel, makeSnapshot, makeVersionDelta, modelRun } from "./testing/fixtures.js";
import { dropSchema, requirePostgres, TEST_PG_URL, testSchemaName } from "./testing/pg.js";

const T0 = Date.parse("2024-06-01T00:00:00.000Z");

/** Rows as schema version 1 knew them: two snapshots of tenant `old`, the second current, and an audit entry. */
async function v1Rows() {
  const blobs = [];
  for (const v of [1, 2]) {
    blobs.push({ v, kind: "snapshot", ...(await encodeJson(makeSnapshot(`old-${v}`))) });
    blobs.push({ v, kind: "model", ...(await encodeJson(makeModel(`old-${v}`, 4))) });
  }
  return { blobs };
}

/** What must hold once the v1 store is migrated to the latest version. */
async function checkUpgraded(store: Store): Promise<void> {
  expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
  expect(await store.getTenant("old")).toMatchObject({
    name: "Old Co",
    config: { products: ["jira"] },
    hasSecrets: true,
  });
  expect(await store.getTenantSecrets("old")).toEqual(new Uint8Array([7, 7, 7]));
  const current = await store.getCurrentModel("old", { verify: true });
  expect(current).toMatchObject({ version: 2, runId: "old-2" });
  expect(modelRun(current!.model)).toEqual({ runId: "old-2", mixed: null });
  expect((await store.readSnapshotData("old", 1))?.snapshot?.runId).toBe("old-1");
  expect((await store.listSnapshots("old")).map((s) => [s.version, s.state])).toEqual([
    [2, "complete"],
    [1, "superseded"],
  ]);
  expect((await store.listAudit("old")).entries.map((e) => e.action)).toEqual(["tenant.create"]);
  // Migration 2 backfilled the version counter: the next run is 3, not 1.
  expect((await store.startSnapshot("old", { runId: "new" })).version).toBe(3);
  // Migration 4: a delta version rests on a version written before it existed.
  await store.commitSnapshotDelta("old", 3, {
    delta: makeVersionDelta("new", 2, [3]),
    counts: {},
    statuses: [],
  });
  const patched = await store.getCurrentModel("old", { verify: true });
  expect(patched).toMatchObject({ version: 3, baseVersion: 2 });
  expect(deltaRun(patched!.model)).toEqual({ runId: "new", mixed: null });
  expect(patched!.model.accounts).toEqual(current!.model.accounts);
  // And what migration 2 added works on the old tenant.
  expect((await store.enqueueJob("old")).created).toBe(true);
  expect(await store.setCursor("old", "events", "c1")).toBe(true);
}

describe("migrations", () => {
  it("are numbered 1..n and refuse a store newer than the code", () => {
    expect(pendingMigrations(0).map((m) => m.version)).toEqual(
      Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1),
    );
    expect(pendingMigrations(1, 1)).toEqual([]);
    expect(() => pendingMigrations(LATEST_SCHEMA_VERSION + 1)).toThrow(/newer than this accessmap/);
  });

  describe("SQLite", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "accessmap-migrate-"));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("upgrades a store created at version 1, with its data", async () => {
      const path = join(dir, "v1.db");
      const db = openSqliteDatabase(path);
      expect(migrateSqlite(db, 1)).toBe(1);
      const { blobs } = await v1Rows();
      db.prepare(
        "INSERT INTO tenants (id, name, config, secrets, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
      ).run("old", "Old Co", JSON.stringify({ products: ["jira"] }), Buffer.from([7, 7, 7]), T0, T0);
      const snap = db.prepare(
        "INSERT INTO snapshots (tenant_id, version, run_id, state, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?)",
      );
      snap.run("old", 1, "old-1", "superseded", T0, T0 + 1);
      snap.run("old", 2, "old-2", "complete", T0 + 2, T0 + 3);
      const blob = db.prepare(
        "INSERT INTO snapshot_blobs (tenant_id, version, kind, sha256, size, data) VALUES (?, ?, ?, ?, ?, ?)",
      );
      for (const b of blobs) blob.run("old", b.v, b.kind, b.sha256, b.size, b.data);
      db.prepare("INSERT INTO current_snapshots (tenant_id, version, committed_at) VALUES (?, ?, ?)").run("old", 2, T0);
      db.prepare(
        "INSERT INTO audit_log (at, tenant_id, actor, action, target, result, details) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ).run(T0, "old", "system", "tenant.create", "tenant:old", "ok", "{}");
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'sync_jobs'").get()).toBeUndefined();
      db.close();

      const store = await openSqliteStore({ path });
      try {
        await checkUpgraded(store);
      } finally {
        await store.close();
      }
    });

    it("runs in WAL mode, and the database refuses to change the audit log", async () => {
      const path = join(dir, "audit.db");
      const store = await openSqliteStore({ path });
      await store.appendAudit({ tenantId: "t", actor: "a", action: "x", target: null, result: "ok" });
      await store.close();
      const db = openSqliteDatabase(path);
      try {
        expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
        expect(() => db.prepare("UPDATE audit_log SET result = 'forged'").run()).toThrow(/append-only/);
        expect(() => db.prepare("DELETE FROM audit_log").run()).toThrow(/append-only/);
      } finally {
        db.close();
      }
    });
  });

  describe("PostgreSQL", () => {
    const schemas: string[] = [];
    beforeAll(requirePostgres);
    afterAll(async () => {
      for (const s of schemas) await dropSchema(s);
    });

    it("upgrades a store created at version 1, with its data", async () => {
      const schema = testSchemaName();
      schemas.push(schema);
      const pool = await createPostgresPool({ connectionString: TEST_PG_URL, schema });
      try {
        expect(await migratePostgres(pool, 1)).toBe(1);
        const { blobs } = await v1Rows();
        const at = new Date(T0);
        await pool.query(
          "INSERT INTO tenants (id, name, config, secrets, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
          ["old", "Old Co", JSON.stringify({ products: ["jira"] }), Buffer.from([7, 7, 7]), at],
        );
        for (const [v, state] of [
          [1, "superseded"],
          [2, "complete"],
        ] as const) {
          await pool.query(
            "INSERT INTO snapshots (tenant_id, version, run_id, state, started_at, finished_at) VALUES ($1, $2, $3, $4, $5, $5)",
            ["old", v, `old-${v}`, state, at],
          );
        }
        for (const b of blobs) {
          await pool.query(
            "INSERT INTO snapshot_blobs (tenant_id, version, kind, sha256, size, data) VALUES ($1, $2, $3, $4, $5, $6)",
            ["old", b.v, b.kind, b.sha256, b.size, b.data],
          );
        }
        await pool.query("INSERT INTO current_snapshots (tenant_id, version, committed_at) VALUES ($1, $2, $3)", [
          "old",
          2,
          at,
        ]);
        await pool.query(
          "INSERT INTO audit_log (at, tenant_id, actor, action, target, result) VALUES ($1, $2, $3, $4, $5, $6)",
          [at, "old", "system", "tenant.create", "tenant:old", "ok"],
        );
        expect((await pool.query("SELECT to_regclass('sync_jobs') AS t")).rows[0].t).toBeNull();
      } finally {
        await pool.end();
      }

      const store = await openPostgresStore({ connectionString: TEST_PG_URL, schema });
      try {
        await checkUpgraded(store);
      } finally {
        await store.close();
      }
    });

    it("migrates once when several processes start at the same time, and refuses to change the audit log", async () => {
      const schema = testSchemaName();
      schemas.push(schema);
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => openPostgresStore({ connectionString: TEST_PG_URL, schema })),
      );
      try {
        for (const s of stores) expect(await s.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
        await stores[0]!.appendAudit({ tenantId: "t", actor: "a", action: "x", target: null, result: "ok" });
      } finally {
        for (const s of stores) await s.close();
      }
      const pool = await createPostgresPool({ connectionString: TEST_PG_URL, schema });
      try {
        const applied = await pool.query("SELECT version FROM schema_migrations ORDER BY version");
        expect(applied.rows.map((r) => r.version)).toEqual(
          Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1),
        );
        await expect(pool.query("UPDATE audit_log SET result = 'forged'")).rejects.toThrow(/append-only/);
        await expect(pool.query("DELETE FROM audit_log")).rejects.toThrow(/append-only/);
        await expect(pool.query("TRUNCATE audit_log")).rejects.toThrow(/append-only/);
      } finally {
        await pool.end();
      }
    });
  });
});
