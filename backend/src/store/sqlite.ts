/**
 * The embedded store: one SQLite file in WAL mode (readers never block the writer, and a reader's statement sees one
 * committed state), through better-sqlite3's synchronous API behind the async {@link Store} interface. Writes run
 * in `BEGIN IMMEDIATE` transactions, so several processes sharing the file serialize on the write lock
 * (`busy_timeout`) rather than fail. Compression and decompression run on zlib's thread pool outside transactions.
 */
import { randomUUID } from "node:crypto";
import type { ProductStatus } from "@accessmap/shared/snapshot/schema";
import Database from "better-sqlite3";
import { applyModelDelta } from "../model/model-delta.js";
import {
  checkCommitOrder,
  checkDelta,
  checkLeaseMs,
  clampLimit,
  DEFAULT_MAX_ATTEMPTS,
  decodeAuditCursor,
  decodeDelta,
  decodeJson,
  deltaDigest,
  type EncodedBlob,
  encodeAuditCursor,
  encodeJson,
  modelCounts,
  parseTime,
  type Row,
  redactDetails,
  resolveParts,
  retentionVictims,
  toApiKey,
  toAudit,
  toBuffer,
  toCursor,
  toJob,
  toPointer,
  toSnapshot,
  toTenant,
} from "./common.js";
import { pendingMigrations } from "./migrations/index.js";
import {
  type ApiKey,
  type AuditEntry,
  type AuditPage,
  type AuditQuery,
  type ClaimJobInput,
  type CommitDeltaInput,
  type CommitSnapshotInput,
  ConflictError,
  CRAWL_CURSOR_PREFIX,
  type CrawlBatch,
  type CurrentDelta,
  type CurrentModel,
  type CurrentPointer,
  type Cursor,
  type EndSnapshotInput,
  type EnqueueJobInput,
  type FailJobInput,
  LeaseLostError,
  type ListJobsQuery,
  type NewAuditEntry,
  type NewTenant,
  NotFoundError,
  type RetentionResult,
  type SnapshotData,
  type SnapshotParts,
  type SnapshotRecord,
  type SnapshotState,
  type StartSnapshotInput,
  type Store,
  type StoreOptions,
  type SyncJob,
  type Tenant,
  type TenantPatch,
} from "./store.js";

type DB = Database.Database;

export interface SqliteStoreOptions extends StoreOptions {
  /** The database file (created when absent), or `:memory:`. */
  path: string;
  /** How long a write waits for another process's write lock. Default 5000 ms. */
  busyTimeoutMs?: number;
}

const TENANT_COLS = "id, name, config, secrets IS NOT NULL AS has_secrets, created_at, updated_at";
const SNAPSHOT_SELECT = `
SELECT s.tenant_id, s.version, s.run_id, s.state, s.started_at, s.finished_at, s.statuses, s.counts, s.reason,
       s.decided_by, COALESCE(s.model_digest, m.sha256) AS model_sha256, c.version AS current_version,
       d.base_version AS delta_base, length(d.data) AS delta_bytes, d.size AS delta_json_bytes
FROM snapshots s
LEFT JOIN snapshot_blobs m ON m.tenant_id = s.tenant_id AND m.version = s.version AND m.kind = 'model'
LEFT JOIN snapshot_deltas d ON d.tenant_id = s.tenant_id AND d.version = s.version
LEFT JOIN current_snapshots c ON c.tenant_id = s.tenant_id`;
/**
 * The pointer with the current version's model blob — its base's, for a delta version — and its delta. `%DATA%`
 * adds the columns a read needs, so the pointer, the base blob and the delta come from one statement.
 */
const CURRENT_SELECT = `
SELECT c.tenant_id, c.version, c.committed_at, s.run_id, COALESCE(s.model_digest, b.sha256) AS model_sha256,
       d.base_version AS base_version %DATA%
FROM current_snapshots c
JOIN snapshots s ON s.tenant_id = c.tenant_id AND s.version = c.version
LEFT JOIN snapshot_deltas d ON d.tenant_id = c.tenant_id AND d.version = c.version
JOIN snapshot_blobs b ON b.tenant_id = c.tenant_id AND b.version = COALESCE(d.base_version, c.version)
  AND b.kind = 'model'
WHERE c.tenant_id = ?`;

/** Opens (creating if needed) the file and applies pending migrations. */
export function migrateSqlite(db: DB, to?: number): number {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  const current = () =>
    (db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null }).v ?? 0;
  const step = db.transaction(() => {
    // Re-read under the write lock: another process may have migrated meanwhile.
    const next = pendingMigrations(current(), to)[0];
    if (!next) return false;
    db.exec(next.sqlite);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
      next.version,
      next.name,
      Date.now(),
    );
    return true;
  });
  while (step.immediate()) {
    // one migration per transaction
  }
  return current();
}

export function openSqliteDatabase(path: string, busyTimeoutMs = 5000): DB {
  const db = new Database(path);
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  db.pragma("journal_mode = WAL");
  // WAL + NORMAL: a crash of the process never loses or tears a committed transaction; only a power loss may drop
  // the last ones (the store stays consistent either way).
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  return db;
}

export async function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  const db = openSqliteDatabase(options.path, options.busyTimeoutMs);
  try {
    migrateSqlite(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteStore(db, options);
}

function isConstraint(err: unknown, code: string): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === code;
}

export class SqliteStore implements Store {
  readonly dialect = "sqlite" as const;
  readonly #db: DB;
  readonly #now: () => Date;
  readonly #faults: StoreOptions["faults"];
  readonly #stmts = new Map<string, Database.Statement>();

  constructor(db: DB, options: StoreOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
    this.#faults = options.faults;
  }

  #ms(): number {
    return this.#now().getTime();
  }

  #s(sql: string): Database.Statement {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  #get(sql: string, ...params: unknown[]): Row | undefined {
    return this.#s(sql).get(...params) as Row | undefined;
  }

  #all(sql: string, ...params: unknown[]): Row[] {
    return this.#s(sql).all(...params) as Row[];
  }

  #run(sql: string, ...params: unknown[]): number {
    return this.#s(sql).run(...params).changes;
  }

  /** A write transaction holding the database's write lock from its first statement. */
  #tx<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  #tenantMustExist(tenantId: string): void {
    if (!this.#get("SELECT 1 FROM tenants WHERE id = ?", tenantId)) throw new NotFoundError(`no tenant ${tenantId}`);
  }

  async migrate(): Promise<number> {
    return migrateSqlite(this.#db);
  }

  async schemaVersion(): Promise<number> {
    return num0(this.#get("SELECT MAX(version) AS v FROM schema_migrations")?.v);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  // ---------------------------------------------------------------- tenants

  #tenant(tenantId: string): Tenant | null {
    const r = this.#get(`SELECT ${TENANT_COLS} FROM tenants WHERE id = ?`, tenantId);
    return r ? toTenant(r) : null;
  }

  async createTenant(input: NewTenant): Promise<Tenant> {
    const id = input.id ?? randomUUID();
    const at = this.#ms();
    try {
      this.#run(
        "INSERT INTO tenants (id, name, config, secrets, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        id,
        input.name,
        JSON.stringify(input.config ?? {}),
        input.secrets ? toBuffer(input.secrets) : null,
        at,
        at,
      );
    } catch (err) {
      if (isConstraint(err, "SQLITE_CONSTRAINT_PRIMARYKEY")) throw new ConflictError(`tenant ${id} exists`);
      throw err;
    }
    return this.#tenant(id)!;
  }

  async getTenant(tenantId: string): Promise<Tenant | null> {
    return this.#tenant(tenantId);
  }

  async listTenants(): Promise<Tenant[]> {
    return this.#all(`SELECT ${TENANT_COLS} FROM tenants ORDER BY created_at, id`).map(toTenant);
  }

  async updateTenant(tenantId: string, patch: TenantPatch): Promise<Tenant> {
    return this.#tx(() => {
      const cur = this.#get("SELECT name, config, secrets FROM tenants WHERE id = ?", tenantId);
      if (!cur) throw new NotFoundError(`no tenant ${tenantId}`);
      const secrets =
        patch.secrets === undefined ? (cur.secrets ?? null) : patch.secrets === null ? null : toBuffer(patch.secrets);
      this.#run(
        "UPDATE tenants SET name = ?, config = ?, secrets = ?, updated_at = ? WHERE id = ?",
        patch.name ?? cur.name,
        patch.config === undefined ? cur.config : JSON.stringify(patch.config),
        secrets,
        this.#ms(),
        tenantId,
      );
      return this.#tenant(tenantId)!;
    });
  }

  async deleteTenant(tenantId: string): Promise<boolean> {
    return this.#tx(() => {
      // The pointer first: it references the snapshots the cascade removes.
      this.#run("DELETE FROM current_snapshots WHERE tenant_id = ?", tenantId);
      return this.#run("DELETE FROM tenants WHERE id = ?", tenantId) > 0;
    });
  }

  async getTenantSecrets(tenantId: string): Promise<Uint8Array | null> {
    const r = this.#get("SELECT secrets FROM tenants WHERE id = ?", tenantId);
    if (!r) throw new NotFoundError(`no tenant ${tenantId}`);
    return r.secrets instanceof Uint8Array ? new Uint8Array(r.secrets) : null;
  }

  async addApiKey(tenantId: string, input: { id?: string; label: string; hash: string }): Promise<ApiKey> {
    const id = input.id ?? randomUUID();
    return this.#tx(() => {
      this.#tenantMustExist(tenantId);
      try {
        this.#run(
          "INSERT INTO api_keys (id, tenant_id, label, hash, created_at) VALUES (?, ?, ?, ?, ?)",
          id,
          tenantId,
          input.label,
          input.hash,
          this.#ms(),
        );
      } catch (err) {
        if (isConstraint(err, "SQLITE_CONSTRAINT_PRIMARYKEY") || isConstraint(err, "SQLITE_CONSTRAINT_UNIQUE")) {
          throw new ConflictError("an API key with this id or hash exists");
        }
        throw err;
      }
      return toApiKey(this.#get("SELECT * FROM api_keys WHERE id = ?", id)!);
    });
  }

  async listApiKeys(tenantId: string): Promise<ApiKey[]> {
    return this.#all("SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id", tenantId).map(toApiKey);
  }

  async findApiKeyByHash(hash: string): Promise<ApiKey | null> {
    const r = this.#get("SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL", hash);
    return r ? toApiKey(r) : null;
  }

  async revokeApiKey(tenantId: string, keyId: string): Promise<boolean> {
    return (
      this.#run(
        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL",
        this.#ms(),
        keyId,
        tenantId,
      ) > 0
    );
  }

  // ---------------------------------------------------------------- snapshots

  #snapshot(tenantId: string, version: number): SnapshotRecord | null {
    const r = this.#get(`${SNAPSHOT_SELECT} WHERE s.tenant_id = ? AND s.version = ?`, tenantId, version);
    return r ? toSnapshot(r) : null;
  }

  /** The snapshot's state, under the write lock; throws when it is missing or not in `allowed`. */
  #stateMustBe(tenantId: string, version: number, allowed: SnapshotState[], doing: string): void {
    const r = this.#get("SELECT state FROM snapshots WHERE tenant_id = ? AND version = ?", tenantId, version);
    if (!r) throw new NotFoundError(`tenant ${tenantId} has no snapshot ${version}`);
    if (!allowed.includes(r.state as SnapshotState)) {
      throw new ConflictError(`cannot ${doing} snapshot ${version}: it is ${String(r.state)}`);
    }
  }

  #currentVersion(tenantId: string): number | null {
    const r = this.#get("SELECT version FROM current_snapshots WHERE tenant_id = ?", tenantId);
    return r ? num0(r.version) : null;
  }

  #putBlob(tenantId: string, version: number, kind: "snapshot" | "model", blob: EncodedBlob): void {
    this.#run(
      `INSERT INTO snapshot_blobs (tenant_id, version, kind, sha256, size, data) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, version, kind) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, data = excluded.data`,
      tenantId,
      version,
      kind,
      blob.sha256,
      blob.size,
      blob.data,
    );
  }

  /** Inside a write transaction: supersede what this version replaces, then move the pointer. */
  #makeCurrent(tenantId: string, version: number): void {
    this.#run(
      `UPDATE snapshots SET state = 'superseded'
       WHERE tenant_id = ? AND version <> ? AND (state = 'complete' OR (state = 'held' AND version < ?))`,
      tenantId,
      version,
      version,
    );
    this.#faults?.insideCommit?.();
    this.#run(
      `INSERT INTO current_snapshots (tenant_id, version, committed_at) VALUES (?, ?, ?)
       ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version, committed_at = excluded.committed_at`,
      tenantId,
      version,
      this.#ms(),
    );
  }

  async startSnapshot(tenantId: string, input: StartSnapshotInput): Promise<SnapshotRecord> {
    const startedAt = input.startedAt ? parseTime(input.startedAt, "startedAt").getTime() : this.#ms();
    return this.#tx(() => {
      const r = this.#get(
        "UPDATE tenants SET last_snapshot_version = last_snapshot_version + 1 WHERE id = ? RETURNING last_snapshot_version",
        tenantId,
      );
      if (!r) throw new NotFoundError(`no tenant ${tenantId}`);
      const version = num0(r.last_snapshot_version);
      this.#run(
        "INSERT INTO snapshots (tenant_id, version, run_id, state, started_at, statuses) VALUES (?, ?, ?, 'running', ?, ?)",
        tenantId,
        version,
        input.runId,
        startedAt,
        JSON.stringify(input.statuses ?? []),
      );
      return this.#snapshot(tenantId, version)!;
    });
  }

  async updateSnapshotStatuses(tenantId: string, version: number, statuses: ProductStatus[]): Promise<void> {
    this.#tx(() => {
      this.#stateMustBe(tenantId, version, ["running"], "update");
      this.#run(
        "UPDATE snapshots SET statuses = ? WHERE tenant_id = ? AND version = ?",
        JSON.stringify(statuses),
        tenantId,
        version,
      );
    });
  }

  /** After a commit's rows: a held version supersedes older held ones; any other becomes current. */
  #settleCommit(tenantId: string, version: number, held: boolean): SnapshotRecord {
    if (held) {
      this.#run(
        "UPDATE snapshots SET state = 'superseded' WHERE tenant_id = ? AND state = 'held' AND version < ?",
        tenantId,
        version,
      );
    } else {
      this.#makeCurrent(tenantId, version);
    }
    return this.#snapshot(tenantId, version)!;
  }

  async commitSnapshot(tenantId: string, version: number, input: CommitSnapshotInput): Promise<SnapshotRecord> {
    const finishedAt = input.finishedAt ? parseTime(input.finishedAt, "finishedAt").getTime() : this.#ms();
    const [snapshotBlob, modelBlob] = await Promise.all([encodeJson(input.snapshot), encodeJson(input.model)]);
    const counts = { ...modelCounts(input.model), ...input.counts };
    const statuses = input.statuses ?? input.snapshot.statuses;
    const hold = input.hold ?? null;
    return this.#tx(() => {
      this.#stateMustBe(tenantId, version, ["running"], "commit");
      checkCommitOrder(version, this.#currentVersion(tenantId), input.expectedCurrent);
      this.#putBlob(tenantId, version, "snapshot", snapshotBlob);
      this.#putBlob(tenantId, version, "model", modelBlob);
      this.#run(
        `UPDATE snapshots SET state = ?, finished_at = ?, statuses = ?, counts = ?, reason = ?
         WHERE tenant_id = ? AND version = ?`,
        hold ? "held" : "complete",
        finishedAt,
        JSON.stringify(statuses),
        JSON.stringify(counts),
        hold ? hold.reason : null,
        tenantId,
        version,
      );
      return this.#settleCommit(tenantId, version, hold !== null);
    });
  }

  async commitSnapshotDelta(tenantId: string, version: number, input: CommitDeltaInput): Promise<SnapshotRecord> {
    const finishedAt = input.finishedAt ? parseTime(input.finishedAt, "finishedAt").getTime() : this.#ms();
    checkDelta(input.delta, version);
    const blob = await encodeJson(input.delta);
    const base = input.delta.baseVersion;
    const hold = input.hold ?? null;
    return this.#tx(() => {
      this.#stateMustBe(tenantId, version, ["running"], "commit");
      checkCommitOrder(version, this.#currentVersion(tenantId), input.expectedCurrent);
      const b = this.#get(
        `SELECT COALESCE(s.model_digest, m.sha256) AS digest FROM snapshots s
         JOIN snapshot_blobs m ON m.tenant_id = s.tenant_id AND m.version = s.version AND m.kind = 'model'
         JOIN snapshot_blobs n ON n.tenant_id = s.tenant_id AND n.version = s.version AND n.kind = 'snapshot'
         WHERE s.tenant_id = ? AND s.version = ?
           AND NOT EXISTS (SELECT 1 FROM snapshot_deltas d WHERE d.tenant_id = s.tenant_id AND d.version = s.version)`,
        tenantId,
        base,
      );
      if (!b) throw new ConflictError(`snapshot ${base} is not a full version of tenant ${tenantId}: no delta over it`);
      this.#run(
        "INSERT INTO snapshot_deltas (tenant_id, version, base_version, sha256, size, data) VALUES (?, ?, ?, ?, ?, ?)",
        tenantId,
        version,
        base,
        blob.sha256,
        blob.size,
        blob.data,
      );
      this.#run(
        `UPDATE snapshots SET state = ?, finished_at = ?, statuses = ?, counts = ?, reason = ?, model_digest = ?
         WHERE tenant_id = ? AND version = ?`,
        hold ? "held" : "complete",
        finishedAt,
        JSON.stringify(input.statuses),
        JSON.stringify(input.counts),
        hold ? hold.reason : null,
        deltaDigest(String(b.digest), blob.sha256),
        tenantId,
        version,
      );
      return this.#settleCommit(tenantId, version, hold !== null);
    });
  }

  async compactSnapshot(tenantId: string, version: number): Promise<boolean> {
    const parts = await this.readSnapshotParts(tenantId, version);
    if (!parts?.delta) return false;
    const data = resolveParts(parts);
    if (!data.snapshot || !data.model) return false;
    const [snapshotBlob, modelBlob] = await Promise.all([encodeJson(data.snapshot), encodeJson(data.model)]);
    const sha = this.#get(
      "SELECT sha256 FROM snapshot_deltas WHERE tenant_id = ? AND version = ?",
      tenantId,
      version,
    )?.sha256;
    return this.#tx(() => {
      // Unchanged since it was read (versions are immutable; retention may have deleted it meanwhile).
      const still = this.#get(
        "SELECT sha256 FROM snapshot_deltas WHERE tenant_id = ? AND version = ?",
        tenantId,
        version,
      );
      if (!still || still.sha256 !== sha) return false;
      this.#putBlob(tenantId, version, "snapshot", snapshotBlob);
      this.#putBlob(tenantId, version, "model", modelBlob);
      this.#run("DELETE FROM snapshot_deltas WHERE tenant_id = ? AND version = ?", tenantId, version);
      return true;
    });
  }

  async endSnapshot(tenantId: string, version: number, input: EndSnapshotInput): Promise<SnapshotRecord> {
    const finishedAt = input.finishedAt ? parseTime(input.finishedAt, "finishedAt").getTime() : this.#ms();
    const blob = input.snapshot ? await encodeJson(input.snapshot) : null;
    return this.#tx(() => {
      this.#stateMustBe(tenantId, version, ["running"], `mark ${input.state}`);
      if (blob) this.#putBlob(tenantId, version, "snapshot", blob);
      const cur = this.#get(
        "SELECT statuses, counts FROM snapshots WHERE tenant_id = ? AND version = ?",
        tenantId,
        version,
      )!;
      this.#run(
        `UPDATE snapshots SET state = ?, finished_at = ?, reason = ?, statuses = ?, counts = ?
         WHERE tenant_id = ? AND version = ?`,
        input.state,
        finishedAt,
        input.reason,
        input.statuses ? JSON.stringify(input.statuses) : cur.statuses,
        input.counts ? JSON.stringify(input.counts) : cur.counts,
        tenantId,
        version,
      );
      return this.#snapshot(tenantId, version)!;
    });
  }

  async approveSnapshot(tenantId: string, version: number, input: { actor: string }): Promise<SnapshotRecord> {
    return this.#tx(() => {
      this.#stateMustBe(tenantId, version, ["held"], "approve");
      const current = this.#currentVersion(tenantId);
      if (current !== null && current > version) {
        throw new ConflictError(`snapshot ${version} is older than the current snapshot ${current}`);
      }
      this.#run(
        "UPDATE snapshots SET state = 'complete', decided_by = ? WHERE tenant_id = ? AND version = ?",
        input.actor,
        tenantId,
        version,
      );
      this.#makeCurrent(tenantId, version);
      return this.#snapshot(tenantId, version)!;
    });
  }

  async rejectSnapshot(
    tenantId: string,
    version: number,
    input: { actor: string; reason: string },
  ): Promise<SnapshotRecord> {
    return this.#tx(() => {
      this.#stateMustBe(tenantId, version, ["held"], "reject");
      this.#run(
        "UPDATE snapshots SET state = 'failed', decided_by = ?, reason = ? WHERE tenant_id = ? AND version = ?",
        input.actor,
        input.reason,
        tenantId,
        version,
      );
      return this.#snapshot(tenantId, version)!;
    });
  }

  async getSnapshot(tenantId: string, version: number): Promise<SnapshotRecord | null> {
    return this.#snapshot(tenantId, version);
  }

  async listSnapshots(
    tenantId: string,
    query: { limit?: number; beforeVersion?: number } = {},
  ): Promise<SnapshotRecord[]> {
    const limit = clampLimit(query.limit, 100, 1000);
    return this.#all(
      `${SNAPSHOT_SELECT} WHERE s.tenant_id = ? AND s.version < ? ORDER BY s.version DESC LIMIT ?`,
      tenantId,
      query.beforeVersion ?? Number.MAX_SAFE_INTEGER,
      limit,
    ).map(toSnapshot);
  }

  async readSnapshotData(tenantId: string, version: number): Promise<SnapshotData | null> {
    const parts = await this.readSnapshotParts(tenantId, version);
    return parts ? resolveParts(parts) : null;
  }

  async readSnapshotParts(
    tenantId: string,
    version: number,
    options: { model?: boolean } = {},
  ): Promise<SnapshotParts | null> {
    const kinds = options.model === false ? "AND b.kind = 'snapshot'" : "";
    // One statement: the snapshot row, its delta, and the blobs of its base (its own, for a full version).
    const rows = this.#all(
      `SELECT s.version, d.base_version, d.sha256 AS delta_sha, d.data AS delta_data, b.kind, b.sha256, b.data
       FROM snapshots s
       LEFT JOIN snapshot_deltas d ON d.tenant_id = s.tenant_id AND d.version = s.version
       LEFT JOIN snapshot_blobs b ON b.tenant_id = s.tenant_id AND b.version = COALESCE(d.base_version, s.version)
         ${kinds}
       WHERE s.tenant_id = ? AND s.version = ?`,
      tenantId,
      version,
    );
    const first = rows[0];
    if (!first) return null;
    const base: SnapshotData = { snapshot: null, model: null };
    for (const r of rows) {
      if (r.kind === "snapshot") base.snapshot = await decodeJson(r.data as Buffer, String(r.sha256), true);
      if (r.kind === "model") base.model = await decodeJson(r.data as Buffer, String(r.sha256), true);
    }
    const delta = first.delta_data ? await decodeDelta(first.delta_data as Buffer, String(first.delta_sha)) : null;
    return { baseVersion: delta ? delta.baseVersion : version, base, delta };
  }

  async getCurrentPointer(tenantId: string): Promise<CurrentPointer | null> {
    const r = this.#get(CURRENT_SELECT.replace("%DATA%", ""), tenantId);
    return r ? toPointer(r) : null;
  }

  async getCurrentModel(tenantId: string, options: { verify?: boolean } = {}): Promise<CurrentModel | null> {
    // The pointer, the model blob and the delta in one statement: never the pointer of one commit and the data of
    // another.
    const r = this.#get(
      CURRENT_SELECT.replace("%DATA%", ", b.sha256 AS blob_sha, b.data, d.sha256 AS delta_sha, d.data AS delta_data"),
      tenantId,
    );
    if (!r) return null;
    const pointer = toPointer(r);
    let model = await decodeJson<CurrentModel["model"]>(r.data as Buffer, String(r.blob_sha), options.verify ?? false);
    if (r.delta_data)
      model = applyModelDelta(model, (await decodeDelta(r.delta_data as Buffer, String(r.delta_sha))).model);
    return { ...pointer, model };
  }

  async getCurrentDelta(tenantId: string): Promise<CurrentDelta | null> {
    const r = this.#get(CURRENT_SELECT.replace("%DATA%", ", d.sha256 AS delta_sha, d.data AS delta_data"), tenantId);
    if (!r) return null;
    const delta = r.delta_data ? await decodeDelta(r.delta_data as Buffer, String(r.delta_sha)) : null;
    return { pointer: toPointer(r), delta };
  }

  async retention(tenantId: string, options: { keep: number }): Promise<RetentionResult> {
    return this.#tx(() => {
      this.#tenantMustExist(tenantId);
      const rows = this.#all(
        `SELECT s.version, s.state, d.base_version FROM snapshots s
         LEFT JOIN snapshot_deltas d ON d.tenant_id = s.tenant_id AND d.version = s.version
         WHERE s.tenant_id = ?`,
        tenantId,
      ).map((r) => ({
        version: num0(r.version),
        state: r.state as SnapshotState,
        baseVersion: r.base_version === null ? null : num0(r.base_version),
      }));
      const victims = retentionVictims(rows, this.#currentVersion(tenantId), options.keep);
      // Newest first: a delta version goes before the base it rests on.
      for (const v of [...victims].reverse())
        this.#run("DELETE FROM snapshots WHERE tenant_id = ? AND version = ?", tenantId, v);
      return { deleted: victims };
    });
  }

  // ---------------------------------------------------------------- jobs

  #job(jobId: string): SyncJob | null {
    const r = this.#get("SELECT * FROM sync_jobs WHERE id = ?", jobId);
    return r ? toJob(r) : null;
  }

  async enqueueJob(tenantId: string, input: EnqueueJobInput = {}): Promise<{ job: SyncJob; created: boolean }> {
    const at = this.#ms();
    const runAfter = input.runAfter ? parseTime(input.runAfter, "runAfter").getTime() : at;
    const dedupeKey = input.dedupeKey ?? null;
    return this.#tx(() => {
      this.#tenantMustExist(tenantId);
      if (dedupeKey !== null) {
        const dup = this.#get(
          "SELECT * FROM sync_jobs WHERE tenant_id = ? AND dedupe_key = ? AND state = 'queued'",
          tenantId,
          dedupeKey,
        );
        if (dup) return { job: toJob(dup), created: false };
      }
      const id = randomUUID();
      this.#run(
        `INSERT INTO sync_jobs (id, tenant_id, kind, state, payload, max_attempts, run_after, dedupe_key, created_at)
         VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
        id,
        tenantId,
        input.kind ?? "sync",
        JSON.stringify(input.payload ?? {}),
        input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        runAfter,
        dedupeKey,
        at,
      );
      return { job: this.#job(id)!, created: true };
    });
  }

  /** Jobs whose lease ran out go back to the queue, or end (cancel requested, attempts used up). */
  #sweepExpired(now: number): void {
    this.#run(
      `UPDATE sync_jobs SET
         state = CASE WHEN cancel_requested <> 0 THEN 'cancelled'
                      WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
         finished_at = CASE WHEN cancel_requested <> 0 OR attempts >= max_attempts THEN ? ELSE NULL END,
         error = CASE WHEN cancel_requested <> 0 THEN error
                      ELSE 'lease expired (attempt ' || attempts || ' of ' || max_attempts || ')' END,
         dedupe_key = CASE WHEN EXISTS (SELECT 1 FROM sync_jobs q WHERE q.tenant_id = sync_jobs.tenant_id
                             AND q.dedupe_key = sync_jobs.dedupe_key AND q.state = 'queued') THEN NULL ELSE dedupe_key END,
         lease_owner = CASE WHEN cancel_requested <> 0 OR attempts >= max_attempts THEN lease_owner ELSE NULL END,
         lease_expires_at = NULL
       WHERE state = 'running' AND lease_expires_at < ?`,
      now,
      now,
    );
  }

  async claimJob(input: ClaimJobInput): Promise<SyncJob | null> {
    checkLeaseMs(input.leaseMs);
    const kinds = input.kinds ?? null;
    if (kinds !== null && kinds.length === 0) return null;
    return this.#tx(() => {
      const now = this.#ms();
      this.#sweepExpired(now);
      const kindIn = (alias: string) => (kinds ? `AND ${alias}.kind IN (${kinds.map(() => "?").join(", ")})` : "");
      const candidate = this.#get(
        `SELECT j.id FROM sync_jobs j
         WHERE j.state = 'queued' AND j.run_after <= ? ${kindIn("j")}
           AND NOT EXISTS (SELECT 1 FROM sync_jobs r WHERE r.tenant_id = j.tenant_id AND r.state = 'running')
           AND NOT EXISTS (SELECT 1 FROM sync_jobs o WHERE o.tenant_id = j.tenant_id AND o.state = 'queued'
             AND o.run_after <= ? ${kindIn("o")}
             AND (o.run_after, o.created_at, o.id) < (j.run_after, j.created_at, j.id))
         ORDER BY j.run_after, j.created_at, j.id LIMIT 1`,
        now,
        ...(kinds ?? []),
        now,
        ...(kinds ?? []),
      );
      if (!candidate) return null;
      const r = this.#get(
        `UPDATE sync_jobs SET state = 'running', lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1,
           started_at = COALESCE(started_at, ?)
         WHERE id = ? RETURNING *`,
        input.workerId,
        now + input.leaseMs,
        now,
        candidate.id,
      );
      return r ? toJob(r) : null;
    });
  }

  async heartbeatJob(jobId: string, workerId: string, leaseMs: number): Promise<{ cancelRequested: boolean }> {
    checkLeaseMs(leaseMs);
    const r = this.#get(
      `UPDATE sync_jobs SET lease_expires_at = ? WHERE id = ? AND state = 'running' AND lease_owner = ?
       RETURNING cancel_requested`,
      this.#ms() + leaseMs,
      jobId,
      workerId,
    );
    if (!r) throw new LeaseLostError(`worker ${workerId} no longer holds job ${jobId}`);
    return { cancelRequested: Boolean(r.cancel_requested) };
  }

  #finish(jobId: string, workerId: string, state: "succeeded" | "cancelled", result: string | null): SyncJob {
    const r = this.#get(
      `UPDATE sync_jobs SET state = ?, finished_at = ?, result = ?, lease_expires_at = NULL
       WHERE id = ? AND state = 'running' AND lease_owner = ? RETURNING *`,
      state,
      this.#ms(),
      result,
      jobId,
      workerId,
    );
    if (!r) throw new LeaseLostError(`worker ${workerId} no longer holds job ${jobId}`);
    return toJob(r);
  }

  async completeJob(jobId: string, workerId: string, result?: Record<string, unknown>): Promise<SyncJob> {
    return this.#finish(jobId, workerId, "succeeded", result === undefined ? null : JSON.stringify(result));
  }

  async acknowledgeCancel(jobId: string, workerId: string): Promise<SyncJob> {
    return this.#finish(jobId, workerId, "cancelled", null);
  }

  async failJob(jobId: string, workerId: string, input: FailJobInput): Promise<SyncJob> {
    return this.#tx(() => {
      const now = this.#ms();
      const cur = this.#get(
        "SELECT attempts, max_attempts FROM sync_jobs WHERE id = ? AND state = 'running' AND lease_owner = ?",
        jobId,
        workerId,
      );
      if (!cur) throw new LeaseLostError(`worker ${workerId} no longer holds job ${jobId}`);
      const retry = input.retryAfterMs !== undefined && num0(cur.attempts) < num0(cur.max_attempts);
      if (retry) {
        this.#run(
          `UPDATE sync_jobs SET state = 'queued', run_after = ?, error = ?, lease_owner = NULL, lease_expires_at = NULL,
             dedupe_key = CASE WHEN EXISTS (SELECT 1 FROM sync_jobs q WHERE q.tenant_id = sync_jobs.tenant_id
                                 AND q.dedupe_key = sync_jobs.dedupe_key AND q.state = 'queued') THEN NULL ELSE dedupe_key END
           WHERE id = ?`,
          now + Math.max(0, input.retryAfterMs ?? 0),
          input.error,
          jobId,
        );
      } else {
        this.#run(
          "UPDATE sync_jobs SET state = 'failed', finished_at = ?, error = ?, lease_expires_at = NULL WHERE id = ?",
          now,
          input.error,
          jobId,
        );
      }
      return this.#job(jobId)!;
    });
  }

  async cancelJob(tenantId: string, jobId: string): Promise<SyncJob | null> {
    return this.#tx(() => {
      const r = this.#get("SELECT state FROM sync_jobs WHERE id = ? AND tenant_id = ?", jobId, tenantId);
      if (!r) return null;
      if (r.state === "queued") {
        this.#run("UPDATE sync_jobs SET state = 'cancelled', finished_at = ? WHERE id = ?", this.#ms(), jobId);
      } else if (r.state === "running") {
        this.#run("UPDATE sync_jobs SET cancel_requested = 1 WHERE id = ?", jobId);
      }
      return this.#job(jobId);
    });
  }

  async getJob(tenantId: string, jobId: string): Promise<SyncJob | null> {
    const r = this.#get("SELECT * FROM sync_jobs WHERE id = ? AND tenant_id = ?", jobId, tenantId);
    return r ? toJob(r) : null;
  }

  async listJobs(query: ListJobsQuery = {}): Promise<SyncJob[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.tenantId !== undefined) {
      where.push("tenant_id = ?");
      params.push(query.tenantId);
    }
    if (query.states) {
      if (query.states.length === 0) return [];
      where.push(`state IN (${query.states.map(() => "?").join(", ")})`);
      params.push(...query.states);
    }
    const sql = `SELECT * FROM sync_jobs ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
                 ORDER BY created_at DESC, id DESC LIMIT ?`;
    return this.#all(sql, ...params, clampLimit(query.limit, 100, 1000)).map(toJob);
  }

  // ---------------------------------------------------------------- audit

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const at = entry.at ? parseTime(entry.at, "at").getTime() : this.#ms();
    const r = this.#get(
      `INSERT INTO audit_log (at, tenant_id, actor, action, target, result, request_id, details)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      at,
      entry.tenantId,
      entry.actor,
      entry.action,
      entry.target,
      entry.result,
      entry.requestId ?? null,
      JSON.stringify(redactDetails(entry.details ?? {})),
    )!;
    return toAudit(r);
  }

  async listAudit(tenantId: string, query: AuditQuery = {}): Promise<AuditPage> {
    const limit = clampLimit(query.limit, 100, 1000);
    const before = decodeAuditCursor(query.cursor);
    const where = ["tenant_id = ?"];
    const params: unknown[] = [tenantId];
    if (before !== null) {
      where.push("seq < ?");
      params.push(before);
    }
    if (query.action !== undefined) {
      where.push("action = ?");
      params.push(query.action);
    }
    if (query.actor !== undefined) {
      where.push("actor = ?");
      params.push(query.actor);
    }
    const rows = this.#all(
      `SELECT * FROM audit_log WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT ?`,
      ...params,
      limit + 1,
    ).map(toAudit);
    const entries = rows.slice(0, limit);
    const last = entries[entries.length - 1];
    return { entries, next: rows.length > limit && last ? encodeAuditCursor(last.seq) : null };
  }

  // ---------------------------------------------------------------- webhook deliveries

  async recordWebhookDelivery(tenantId: string, source: string, deliveryId: string, ttlMs: number): Promise<boolean> {
    const now = this.#ms();
    try {
      const r = this.#get(
        `INSERT INTO webhook_deliveries (tenant_id, source, delivery_id, received_at, expires_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id, source, delivery_id) DO UPDATE
           SET received_at = excluded.received_at, expires_at = excluded.expires_at
           WHERE webhook_deliveries.expires_at <= ?
         RETURNING delivery_id`,
        tenantId,
        source,
        deliveryId,
        now,
        now + Math.max(0, ttlMs),
        now,
      );
      return r !== undefined;
    } catch (err) {
      if (isConstraint(err, "SQLITE_CONSTRAINT_FOREIGNKEY")) throw new NotFoundError(`no tenant ${tenantId}`);
      throw err;
    }
  }

  async pruneWebhookDeliveries(): Promise<number> {
    return this.#run("DELETE FROM webhook_deliveries WHERE expires_at <= ?", this.#ms());
  }

  // ---------------------------------------------------------------- cursors

  async getCursor(tenantId: string, name: string): Promise<Cursor | null> {
    const r = this.#get("SELECT name, value, updated_at FROM cursors WHERE tenant_id = ? AND name = ?", tenantId, name);
    return r ? toCursor(r) : null;
  }

  async setCursor(
    tenantId: string,
    name: string,
    value: string,
    options: { expected?: string | null } = {},
  ): Promise<boolean> {
    const now = this.#ms();
    return this.#tx(() => {
      this.#tenantMustExist(tenantId);
      if (options.expected === undefined) {
        this.#run(
          `INSERT INTO cursors (tenant_id, name, value, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (tenant_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          tenantId,
          name,
          value,
          now,
        );
        return true;
      }
      if (options.expected === null) {
        return (
          this.#run(
            `INSERT INTO cursors (tenant_id, name, value, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (tenant_id, name) DO NOTHING`,
            tenantId,
            name,
            value,
            now,
          ) > 0
        );
      }
      return (
        this.#run(
          "UPDATE cursors SET value = ?, updated_at = ? WHERE tenant_id = ? AND name = ? AND value = ?",
          value,
          now,
          tenantId,
          name,
          options.expected,
        ) > 0
      );
    });
  }

  // ---------------------------------------------------------------- forge crawls

  async putCrawlBatch(
    tenantId: string,
    input: { runId: string; seq: number; section: string; rows: Record<string, unknown> },
  ): Promise<boolean> {
    const now = this.#ms();
    return this.#tx(() => {
      this.#tenantMustExist(tenantId);
      const existed = this.#get(
        "SELECT 1 FROM forge_crawl_batches WHERE tenant_id = ? AND run_id = ? AND seq = ?",
        tenantId,
        input.runId,
        input.seq,
      );
      this.#run(
        `INSERT INTO forge_crawl_batches (tenant_id, run_id, seq, section, rows, received_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant_id, run_id, seq) DO UPDATE
           SET section = excluded.section, rows = excluded.rows, received_at = excluded.received_at`,
        tenantId,
        input.runId,
        input.seq,
        input.section,
        JSON.stringify(input.rows),
        now,
      );
      return existed === undefined;
    });
  }

  async listCrawlBatches(tenantId: string, runId: string): Promise<CrawlBatch[]> {
    return this.#all(
      "SELECT run_id, seq, section, rows, received_at FROM forge_crawl_batches WHERE tenant_id = ? AND run_id = ? ORDER BY seq",
      tenantId,
      runId,
    ).map((r) => ({
      runId: String(r.run_id),
      seq: Number(r.seq),
      section: String(r.section),
      rows: JSON.parse(String(r.rows)) as Record<string, unknown>,
      receivedAt: new Date(Number(r.received_at)).toISOString(),
    }));
  }

  async deleteCrawl(tenantId: string, runId: string): Promise<number> {
    return this.#run("DELETE FROM forge_crawl_batches WHERE tenant_id = ? AND run_id = ?", tenantId, runId);
  }

  async pruneCrawls(before: Date): Promise<{ batches: number; runs: number }> {
    const at = before.getTime();
    return this.#tx(() => ({
      batches: this.#run("DELETE FROM forge_crawl_batches WHERE received_at < ?", at),
      runs: this.#run("DELETE FROM cursors WHERE name LIKE ? AND updated_at < ?", `${CRAWL_CURSOR_PREFIX}%`, at),
    }));
  }
}

function num0(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}
