/**
 * The store at scale: PostgreSQL through `pg`, shared by any number of stateless service processes and workers.
 *
 * Concurrency, in short: every snapshot change of a tenant first takes the tenant row `FOR NO KEY UPDATE` (commits,
 * version numbers and retention of one tenant serialize; other tenants and foreign-key inserts do not wait). Reads
 * of the current model are one statement, so they see one committed pointer and its blob. Job claims use
 * `FOR UPDATE SKIP LOCKED`; the unique index on running jobs per tenant is the final word on "one running sync per
 * tenant", and a claim that loses that race retries. Timestamps come from the store clock, passed as parameters.
 */
import { randomUUID } from "node:crypto";
import type { ProductStatus } from "@accessmap/shared/snapshot/schema";
import pg from "pg";
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
  num,
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

type Db = pg.Pool | pg.PoolClient;

export interface PostgresStoreOptions extends StoreOptions {
  /** e.g. `postgres://postgres@127.0.0.1:5432/accessmap`. */
  connectionString: string;
  /** The schema the store's tables live in (created when absent). Default `public`. */
  schema?: string;
  /** Pool size. Default 10. */
  maxConnections?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const TENANT_COLS = "id, name, config, secrets IS NOT NULL AS has_secrets, created_at, updated_at";
const SNAPSHOT_SELECT = `
SELECT s.tenant_id, s.version, s.run_id, s.state, s.started_at, s.finished_at, s.statuses, s.counts, s.reason,
       s.decided_by, COALESCE(s.model_digest, m.sha256) AS model_sha256, c.version AS current_version,
       d.base_version AS delta_base, octet_length(d.data) AS delta_bytes, d.size AS delta_json_bytes
FROM snapshots s
LEFT JOIN snapshot_blobs m ON m.tenant_id = s.tenant_id AND m.version = s.version AND m.kind = 'model'
LEFT JOIN snapshot_deltas d ON d.tenant_id = s.tenant_id AND d.version = s.version
LEFT JOIN current_snapshots c ON c.tenant_id = s.tenant_id`;
/**
 * The pointer with the current version's model blob — its base's, for a delta version — and its delta. `%DATA%`
 * adds the columns a read needs, so the pointer, the base blob and the delta come from one statement (one MVCC
 * snapshot).
 */
const CURRENT_SELECT = `
SELECT c.tenant_id, c.version, c.committed_at, s.run_id, COALESCE(s.model_digest, b.sha256) AS model_sha256,
       d.base_version AS base_version %DATA%
FROM current_snapshots c
JOIN snapshots s ON s.tenant_id = c.tenant_id AND s.version = c.version
LEFT JOIN snapshot_deltas d ON d.tenant_id = c.tenant_id AND d.version = c.version
JOIN snapshot_blobs b ON b.tenant_id = c.tenant_id AND b.version = COALESCE(d.base_version, c.version)
  AND b.kind = 'model'
WHERE c.tenant_id = $1`;
/** Requeued jobs give up their dedupe key when another queued job of the tenant already holds it. */
const DEDUPE_ON_REQUEUE = `CASE WHEN EXISTS (SELECT 1 FROM sync_jobs q WHERE q.tenant_id = sync_jobs.tenant_id
  AND q.dedupe_key = sync_jobs.dedupe_key AND q.state = 'queued' AND q.id <> sync_jobs.id) THEN NULL ELSE sync_jobs.dedupe_key END`;

function pgCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null ? ((err as { code?: string }).code ?? undefined) : undefined;
}

function pgConstraint(err: unknown): string | undefined {
  return typeof err === "object" && err !== null
    ? ((err as { constraint?: string }).constraint ?? undefined)
    : undefined;
}

function quoteIdent(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new RangeError(`not a valid schema name: ${schema}`);
  return `"${schema}"`;
}

/** Applies pending migrations, each in its own transaction under an advisory lock (concurrent starts are safe). */
export async function migratePostgres(pool: pg.Pool, to?: number): Promise<number> {
  const client = await pool.connect();
  let version = 0;
  try {
    for (;;) {
      await client.query("BEGIN");
      try {
        await client.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':accessmap-migrations'))");
        await client.query(
          `CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
        );
        const r = await client.query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations");
        version = num(r.rows[0]?.v);
        const next = pendingMigrations(version, to)[0];
        if (!next) {
          await client.query("COMMIT");
          return version;
        }
        await client.query(next.postgres);
        await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [next.version, next.name]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw err;
      }
    }
  } finally {
    client.release();
  }
}

/** A pool whose connections all use `schema`, created when absent. */
export async function createPostgresPool(options: {
  connectionString: string;
  schema?: string;
  maxConnections?: number;
}): Promise<pg.Pool> {
  const schema = options.schema ?? "public";
  const ident = quoteIdent(schema);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    options: `-c search_path=${ident}`,
  });
  // An idle client's connection error must not crash the process; the next query reports it.
  pool.on("error", () => undefined);
  try {
    // Create only when missing: a deployment may give the store a schema and no right to create one.
    const exists = await pool.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
    if (exists.rowCount === 0) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${ident}`);
  } catch (err) {
    // Two processes creating the schema at once: one of them loses the catalog race, harmlessly.
    if (pgCode(err) !== "23505" && pgCode(err) !== "42P06") {
      await pool.end();
      throw err;
    }
  }
  return pool;
}

export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const pool = await createPostgresPool(options);
  try {
    await migratePostgres(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return new PostgresStore(pool, options);
}

export class PostgresStore implements Store {
  readonly dialect = "postgres" as const;
  readonly #pool: pg.Pool;
  readonly #now: () => Date;
  readonly #faults: StoreOptions["faults"];
  #closed = false;

  constructor(pool: pg.Pool, options: StoreOptions = {}) {
    this.#pool = pool;
    this.#now = options.now ?? (() => new Date());
    this.#faults = options.faults;
  }

  async #rows(db: Db, sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await db.query(sql, params)).rows as Row[];
  }

  async #one(db: Db, sql: string, params: unknown[] = []): Promise<Row | undefined> {
    return (await this.#rows(db, sql, params))[0];
  }

  async #count(db: Db, sql: string, params: unknown[] = []): Promise<number> {
    return (await db.query(sql, params)).rowCount ?? 0;
  }

  async #tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const out = await fn(client);
      await client.query("COMMIT");
      return out;
    } catch (err) {
      await client.query("ROLLBACK").catch((e: Error) => {
        broken = e;
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Serializes this tenant's snapshot changes; throws when the tenant does not exist. */
  async #lockTenant(c: pg.PoolClient, tenantId: string): Promise<void> {
    if (!(await this.#one(c, "SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE", [tenantId]))) {
      throw new NotFoundError(`no tenant ${tenantId}`);
    }
  }

  async #tenantMustExist(db: Db, tenantId: string): Promise<void> {
    if (!(await this.#one(db, "SELECT 1 FROM tenants WHERE id = $1", [tenantId]))) {
      throw new NotFoundError(`no tenant ${tenantId}`);
    }
  }

  async migrate(): Promise<number> {
    return migratePostgres(this.#pool);
  }

  async schemaVersion(): Promise<number> {
    return num((await this.#one(this.#pool, "SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations"))?.v);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  // ---------------------------------------------------------------- tenants

  async #tenant(db: Db, tenantId: string): Promise<Tenant | null> {
    const r = await this.#one(db, `SELECT ${TENANT_COLS} FROM tenants WHERE id = $1`, [tenantId]);
    return r ? toTenant(r) : null;
  }

  async createTenant(input: NewTenant): Promise<Tenant> {
    const id = input.id ?? randomUUID();
    const at = this.#now();
    try {
      const r = await this.#one(
        this.#pool,
        `INSERT INTO tenants (id, name, config, secrets, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
         RETURNING ${TENANT_COLS}`,
        [id, input.name, JSON.stringify(input.config ?? {}), input.secrets ? toBuffer(input.secrets) : null, at],
      );
      return toTenant(r!);
    } catch (err) {
      if (pgCode(err) === "23505") throw new ConflictError(`tenant ${id} exists`);
      throw err;
    }
  }

  async getTenant(tenantId: string): Promise<Tenant | null> {
    return this.#tenant(this.#pool, tenantId);
  }

  async listTenants(): Promise<Tenant[]> {
    return (await this.#rows(this.#pool, `SELECT ${TENANT_COLS} FROM tenants ORDER BY created_at, id`)).map(toTenant);
  }

  async updateTenant(tenantId: string, patch: TenantPatch): Promise<Tenant> {
    const r = await this.#one(
      this.#pool,
      `UPDATE tenants SET name = COALESCE($2, name), config = COALESCE($3::jsonb, config),
         secrets = CASE WHEN $4::boolean THEN $5::bytea ELSE secrets END, updated_at = $6
       WHERE id = $1 RETURNING ${TENANT_COLS}`,
      [
        tenantId,
        patch.name ?? null,
        patch.config === undefined ? null : JSON.stringify(patch.config),
        patch.secrets !== undefined,
        patch.secrets ? toBuffer(patch.secrets) : null,
        this.#now(),
      ],
    );
    if (!r) throw new NotFoundError(`no tenant ${tenantId}`);
    return toTenant(r);
  }

  async deleteTenant(tenantId: string): Promise<boolean> {
    return this.#tx(async (c) => {
      await c.query("DELETE FROM current_snapshots WHERE tenant_id = $1", [tenantId]);
      return (await this.#count(c, "DELETE FROM tenants WHERE id = $1", [tenantId])) > 0;
    });
  }

  async getTenantSecrets(tenantId: string): Promise<Uint8Array | null> {
    const r = await this.#one(this.#pool, "SELECT secrets FROM tenants WHERE id = $1", [tenantId]);
    if (!r) throw new NotFoundError(`no tenant ${tenantId}`);
    return r.secrets instanceof Uint8Array ? new Uint8Array(r.secrets) : null;
  }

  async addApiKey(tenantId: string, input: { id?: string; label: string; hash: string }): Promise<ApiKey> {
    try {
      const r = await this.#one(
        this.#pool,
        "INSERT INTO api_keys (id, tenant_id, label, hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *",
        [input.id ?? randomUUID(), tenantId, input.label, input.hash, this.#now()],
      );
      return toApiKey(r!);
    } catch (err) {
      if (pgCode(err) === "23503") throw new NotFoundError(`no tenant ${tenantId}`);
      if (pgCode(err) === "23505") throw new ConflictError("an API key with this id or hash exists");
      throw err;
    }
  }

  async listApiKeys(tenantId: string): Promise<ApiKey[]> {
    return (
      await this.#rows(this.#pool, "SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id", [tenantId])
    ).map(toApiKey);
  }

  async findApiKeyByHash(hash: string): Promise<ApiKey | null> {
    const r = await this.#one(this.#pool, "SELECT * FROM api_keys WHERE hash = $1 AND revoked_at IS NULL", [hash]);
    return r ? toApiKey(r) : null;
  }

  async revokeApiKey(tenantId: string, keyId: string): Promise<boolean> {
    return (
      (await this.#count(
        this.#pool,
        "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND tenant_id = $3 AND revoked_at IS NULL",
        [this.#now(), keyId, tenantId],
      )) > 0
    );
  }

  // ---------------------------------------------------------------- snapshots

  async #snapshot(db: Db, tenantId: string, version: number): Promise<SnapshotRecord | null> {
    const r = await this.#one(db, `${SNAPSHOT_SELECT} WHERE s.tenant_id = $1 AND s.version = $2`, [tenantId, version]);
    return r ? toSnapshot(r) : null;
  }

  async #stateMustBe(
    c: pg.PoolClient,
    tenantId: string,
    version: number,
    allowed: SnapshotState[],
    doing: string,
  ): Promise<void> {
    const r = await this.#one(c, "SELECT state FROM snapshots WHERE tenant_id = $1 AND version = $2", [
      tenantId,
      version,
    ]);
    if (!r) throw new NotFoundError(`tenant ${tenantId} has no snapshot ${version}`);
    if (!allowed.includes(r.state as SnapshotState)) {
      throw new ConflictError(`cannot ${doing} snapshot ${version}: it is ${String(r.state)}`);
    }
  }

  async #currentVersion(db: Db, tenantId: string): Promise<number | null> {
    const r = await this.#one(db, "SELECT version FROM current_snapshots WHERE tenant_id = $1", [tenantId]);
    return r ? num(r.version) : null;
  }

  async #putBlob(
    c: pg.PoolClient,
    tenantId: string,
    version: number,
    kind: "snapshot" | "model",
    blob: EncodedBlob,
  ): Promise<void> {
    await c.query(
      `INSERT INTO snapshot_blobs (tenant_id, version, kind, sha256, size, data) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant_id, version, kind) DO UPDATE SET sha256 = EXCLUDED.sha256, size = EXCLUDED.size, data = EXCLUDED.data`,
      [tenantId, version, kind, blob.sha256, blob.size, blob.data],
    );
  }

  async #makeCurrent(c: pg.PoolClient, tenantId: string, version: number): Promise<void> {
    await c.query(
      `UPDATE snapshots SET state = 'superseded'
       WHERE tenant_id = $1 AND version <> $2 AND (state = 'complete' OR (state = 'held' AND version < $2))`,
      [tenantId, version],
    );
    this.#faults?.insideCommit?.();
    await c.query(
      `INSERT INTO current_snapshots (tenant_id, version, committed_at) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id) DO UPDATE SET version = EXCLUDED.version, committed_at = EXCLUDED.committed_at`,
      [tenantId, version, this.#now()],
    );
  }

  async startSnapshot(tenantId: string, input: StartSnapshotInput): Promise<SnapshotRecord> {
    const startedAt = input.startedAt ? parseTime(input.startedAt, "startedAt") : this.#now();
    return this.#tx(async (c) => {
      const r = await this.#one(
        c,
        "UPDATE tenants SET last_snapshot_version = last_snapshot_version + 1 WHERE id = $1 RETURNING last_snapshot_version",
        [tenantId],
      );
      if (!r) throw new NotFoundError(`no tenant ${tenantId}`);
      const version = num(r.last_snapshot_version);
      await c.query(
        `INSERT INTO snapshots (tenant_id, version, run_id, state, started_at, statuses)
         VALUES ($1, $2, $3, 'running', $4, $5)`,
        [tenantId, version, input.runId, startedAt, JSON.stringify(input.statuses ?? [])],
      );
      return (await this.#snapshot(c, tenantId, version))!;
    });
  }

  async updateSnapshotStatuses(tenantId: string, version: number, statuses: ProductStatus[]): Promise<void> {
    await this.#tx(async (c) => {
      await this.#lockTenant(c, tenantId);
      await this.#stateMustBe(c, tenantId, version, ["running"], "update");
      await c.query("UPDATE snapshots SET statuses = $1 WHERE tenant_id = $2 AND version = $3", [
        JSON.stringify(statuses),
        tenantId,
        version,
      ]);
    });
  }

  /** After a commit's rows: a held version supersedes older held ones; any other becomes current. */
  async #settleCommit(c: pg.PoolClient, tenantId: string, version: number, held: boolean): Promise<SnapshotRecord> {
    if (held) {
      await c.query(
        "UPDATE snapshots SET state = 'superseded' WHERE tenant_id = $1 AND state = 'held' AND version < $2",
        [tenantId, version],
      );
    } else {
      await this.#makeCurrent(c, tenantId, version);
    }
    return (await this.#snapshot(c, tenantId, version))!;
  }

  async commitSnapshot(tenantId: string, version: number, input: CommitSnapshotInput): Promise<SnapshotRecord> {
    const finishedAt = input.finishedAt ? parseTime(input.finishedAt, "finishedAt") : this.#now();
    const [snapshotBlob, modelBlob] = await Promise.all([encodeJson(input.snapshot), encodeJson(input.model)]);
    const counts = { ...modelCounts(input.model), ...input.counts };
    const statuses = input.statuses ?? input.snapshot.statuses;
    const hold = input.hold ?? null;
    return this.#tx(async (c) => {
      await this.#lockTenant(c, tenantId);
      await this.#stateMustBe(c, tenantId, version, ["running"], "commit");
      checkCommitOrder(version, await this.#currentVersion(c, tenantId), input.expectedCurrent);
      await this.#putBlob(c, tenantId, version, "snapshot", snapshotBlob);
      await this.#putBlob(c, tenantId, version, "model", modelBlob);
      await c.query(
        `UPDATE snapshots SET state = $1, finished_at = $2, statuses = $3, counts = $4, reason = $5
         WHERE tenant_id = $6 AND version = $7`,
        [
          hold ? "held" : "complete",
          finishedAt,
          JSON.stringify(statuses),
          JSON.stringify(counts),
          hold ? hold.reason : null,
          tenantId,
          version,
        ],
      );
      return this.#settleCommit(c, tenantId, version, hold !== null);
    });
  }

  async commitSnapshotDelta(tenantId: string, version: number, input: CommitDeltaInput): Promise<SnapshotRecord> {
    const finishedAt = input.finishedAt ? parseTime(input.finishedAt, "finishedAt") : this.#now();
    checkDelta(input.delta, version);
    const blob = await encodeJson(input.delta);
    const base = input.delta.baseVersion;
    const hold = input.hold ?? null;
    return this.#tx(async (c) => {
      await this.#lockTenant(c, tenantId);
      await this.#stateMustBe(c, tenantId, version, ["running"], "commit");
      checkCommitOrder(version, await this.#currentVersion(c, tenantId), input.expectedCurrent);
      const b = await this.#one(
        c,
        `SELECT COALESCE(s.model_digest, m.sha256) AS digest FROM snapshots s
         JOIN snapshot_blobs m ON m.tenant_id = s.tenant_id AND m.version = s.version AND m.kind = 'model'
         JOIN snapshot_blobs n ON n.tenant_id = s.tenant_id AND n.version = s.version AND n.kind = 'snapshot'
         WHERE s.tenant_id = $1 AND s.version = $2
           AND NOT EXISTS (SELECT 1 FROM snapshot_deltas d WHERE d.tenant_id = s.tenant_id AND d.version = s.version)`,
        [tenantId, base],
      );
      if (!b) throw new ConflictError(`snapshot ${base} is not a full version of tenant ${tenantId}: no delta over it`);
      await c.query(
        "INSERT INTO snapshot_deltas (tenant_id, version, base_version, sha256, size, data) VALUES ($1, $2, $3, $4, $5, $6)",
        [tenantId, version, base, blob.sha256, blob.size, blob.data],
      );
      await c.query(
        `UPDATE snapshots SET state = $1, finished_at = $2, statuses = $3, counts = $4, reason = $5, model_digest = $6
         WHERE tenant_id = $7 AND version = $8`,
        [
          hold ? "held" : "complete",
          finishedAt,
          JSON.stringify(input.statuses),
          JSON.stringify(input.counts),
          hold ? hold.reason : null,
          deltaDigest(String(b.digest), blob.sha256),
          tenantId,
          version,
        ],
      );
      return this.#settleCommit(c, tenantId, version, hold !== null);
    });
  }

  async compactSnapshot(tenantId: string, version: number): Promise<boolean> {
    const sha = (
      await this.#one(this.#pool, "SELECT sha256 FROM snapshot_deltas WHERE tenant_id = $1 AND version = $2", [
        tenantId,
        version,
      ])
    )?.sha256;
    if (sha === undefined) return false;
    const parts = await this.readSnapshotParts(tenantId, version);
    if (!parts?.delta) return false;
    const data = resolveParts(parts);
    if (!data.snapshot || !data.model) return false;
    const [snapshotBlob, modelBlob] = await Promise.all([encodeJson(data.snapshot), encodeJson(data.model)]);
    return this.#tx(async (c) => {
      await this.#lockTenant(c, tenantId);
      // Unchanged since it was read (versions are immutable; retention may have deleted it meanwhile).
      const still = await this.#one(c, "SELECT sha256 FROM snapshot_deltas WHERE tenant_id = $1 AND version = $2", [
        tenantId,
        version,
      ]);
      if (!still || still.sha256 !== sha) return false;
      await this.#putBlob(c, tenantId, version, "snapshot", snapshotBlob);
      await this.#putBlob(c, tenantId, version, "model", modelBlob);
      await c.query("DELETE FROM snapshot_deltas WHERE tenant_id = $1 AND version = $2", [tenantId, version]);
      return true;
    });
  }

  async endSnapshot(tenantId: string, version: number, input: EndSnapshotInput): Promise<SnapshotRecord> {
    const finishedAt = input.finishedAt ? parseTime(input.finishedAt, "finishedAt") : this.#now();
    const blob = input.snapshot ? await encodeJson(input.snapshot) : null;
    return this.#tx(async (c) => {
      await this.#lockTenant(c, tenantId);
      await this.#stateMustBe(c, tenantId, version, ["running"], `mark ${input.state}`);
      if (blob) await this.#putBlob(c, tenantId, version, "snapshot", blob);
      await c.query(
        `UPDATE snapshots SET state = $1, finished_at = $2, reason = $3,
           statuses = COALESCE($4::jsonb, statuses), counts = COALESCE($5::jsonb, counts)
         WHERE tenant_id = $6 AND version = $7`,
        [
          input.state,
          finishedAt,
          input.reason,
          input.statuses ? JSON.stringify(input.statuses) : null,
          input.counts ? JSON.stringify(input.counts) : null,
          tenantId,
          version,
        ],
      );
      return (await this.#snapshot(c, tenantId, version))!;
    });
  }

  async approveSnapshot(tenantId: string, version: number, input: { actor: string }): Promise<SnapshotRecord> {
    return this.#tx(async (c) => {
      await this.#lockTenant(c, tenantId);
      await this.#stateMustBe(c, tenantId, version, ["held"], "approve");
      const current = await this.#currentVersion(c, tenantId);
      if (current !== null && current > version) {
        throw new ConflictError(`snapshot ${version} is older than the current snapshot ${current}`);
      }
      await c.query("UPDATE snapshots SET state = 'complete', decided_by = $1 WHERE tenant_id = $2 AND version = $3", [
        input.actor,
        tenantId,
        version,
      ]);
      await this.#makeCurrent(c, tenantId, version);
      return (await this.#snapshot(c, tenantId, version))!;
    });
  }

  async rejectSnapshot(
    tenantId: string,
    version: number,
    input: { actor: string; reason: string },
  ): Promise<SnapshotRecord> {
    return this.#tx(async (c) => {
      await this.#lockTenant(c, tenantId);
      await this.#stateMustBe(c, tenantId, version, ["held"], "reject");
      await c.query(
        "UPDATE snapshots SET state = 'failed', decided_by = $1, reason = $2 WHERE tenant_id = $3 AND version = $4",
        [input.actor, input.reason, tenantId, version],
      );
      return (await this.#snapshot(c, tenantId, version))!;
    });
  }

  async getSnapshot(tenantId: string, version: number): Promise<SnapshotRecord | null> {
    return this.#snapshot(this.#pool, tenantId, version);
  }

  async listSnapshots(
    tenantId: string,
    query: { limit?: number; beforeVersion?: number } = {},
  ): Promise<SnapshotRecord[]> {
    const limit = clampLimit(query.limit, 100, 1000);
    return (
      await this.#rows(
        this.#pool,
        `${SNAPSHOT_SELECT} WHERE s.tenant_id = $1 AND s.version < $2 ORDER BY s.version DESC LIMIT $3`,
        [tenantId, query.beforeVersion ?? 2_147_483_647, limit],
      )
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
    const rows = await this.#rows(
      this.#pool,
      `SELECT s.version, d.base_version, d.sha256 AS delta_sha, d.data AS delta_data, b.kind, b.sha256, b.data
       FROM snapshots s
       LEFT JOIN snapshot_deltas d ON d.tenant_id = s.tenant_id AND d.version = s.version
       LEFT JOIN snapshot_blobs b ON b.tenant_id = s.tenant_id AND b.version = COALESCE(d.base_version, s.version)
         ${kinds}
       WHERE s.tenant_id = $1 AND s.version = $2`,
      [tenantId, version],
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
    const r = await this.#one(this.#pool, CURRENT_SELECT.replace("%DATA%", ""), [tenantId]);
    return r ? toPointer(r) : null;
  }

  async getCurrentModel(tenantId: string, options: { verify?: boolean } = {}): Promise<CurrentModel | null> {
    // One statement, one MVCC snapshot: the pointer, the blob it rests on and its delta.
    const r = await this.#one(
      this.#pool,
      CURRENT_SELECT.replace("%DATA%", ", b.sha256 AS blob_sha, b.data, d.sha256 AS delta_sha, d.data AS delta_data"),
      [tenantId],
    );
    if (!r) return null;
    const pointer = toPointer(r);
    let model = await decodeJson<CurrentModel["model"]>(r.data as Buffer, String(r.blob_sha), options.verify ?? false);
    if (r.delta_data)
      model = applyModelDelta(model, (await decodeDelta(r.delta_data as Buffer, String(r.delta_sha))).model);
    return { ...pointer, model };
  }

  async getCurrentDelta(tenantId: string): Promise<CurrentDelta | null> {
    const r = await this.#one(
      this.#pool,
      CURRENT_SELECT.replace("%DATA%", ", d.sha256 AS delta_sha, d.data AS delta_data"),
      [tenantId],
    );
    if (!r) return null;
    const delta = r.delta_data ? await decodeDelta(r.delta_data as Buffer, String(r.delta_sha)) : null;
    return { pointer: toPointer(r), delta };
  }

  async retention(tenantId: string, options: { keep: number }): Promise<RetentionResult> {
    return this.#tx(async (c) => {
      await this.#lockTenant(c, tenantId);
      const rows = (
        await this.#rows(
          c,
          `SELECT s.version, s.state, d.base_version FROM snapshots s
           LEFT JOIN snapshot_deltas d ON d.tenant_id = s.tenant_id AND d.version = s.version
           WHERE s.tenant_id = $1`,
          [tenantId],
        )
      ).map((r) => ({
        version: num(r.version),
        state: r.state as SnapshotState,
        baseVersion: r.base_version === null ? null : num(r.base_version),
      }));
      const victims = retentionVictims(rows, await this.#currentVersion(c, tenantId), options.keep);
      if (victims.length > 0) {
        await c.query("DELETE FROM snapshots WHERE tenant_id = $1 AND version = ANY($2::int[])", [tenantId, victims]);
      }
      return { deleted: victims };
    });
  }

  // ---------------------------------------------------------------- jobs

  async enqueueJob(tenantId: string, input: EnqueueJobInput = {}): Promise<{ job: SyncJob; created: boolean }> {
    const at = this.#now();
    const runAfter = input.runAfter ? parseTime(input.runAfter, "runAfter") : at;
    const dedupeKey = input.dedupeKey ?? null;
    const params = [
      randomUUID(),
      tenantId,
      input.kind ?? "sync",
      JSON.stringify(input.payload ?? {}),
      input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      runAfter,
      dedupeKey,
      at,
    ];
    const insert = `INSERT INTO sync_jobs (id, tenant_id, kind, state, payload, max_attempts, run_after, dedupe_key, created_at)
      VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8)`;
    try {
      if (dedupeKey === null) {
        return { job: toJob((await this.#one(this.#pool, `${insert} RETURNING *`, params))!), created: true };
      }
      // Insert unless a queued job holds the key; then return that one. It may be claimed between the two
      // statements, in which case the insert is tried again.
      for (let i = 0; i < 10; i++) {
        const r = await this.#one(
          this.#pool,
          `${insert} ON CONFLICT (tenant_id, dedupe_key) WHERE state = 'queued' AND dedupe_key IS NOT NULL
           DO NOTHING RETURNING *`,
          params,
        );
        if (r) return { job: toJob(r), created: true };
        const dup = await this.#one(
          this.#pool,
          "SELECT * FROM sync_jobs WHERE tenant_id = $1 AND dedupe_key = $2 AND state = 'queued'",
          [tenantId, dedupeKey],
        );
        if (dup) return { job: toJob(dup), created: false };
      }
      throw new ConflictError(`could not enqueue a job with dedupe key ${dedupeKey}: the queue keeps changing`);
    } catch (err) {
      if (pgCode(err) === "23503") throw new NotFoundError(`no tenant ${tenantId}`);
      throw err;
    }
  }

  async claimJob(input: ClaimJobInput): Promise<SyncJob | null> {
    checkLeaseMs(input.leaseMs);
    const kinds = input.kinds ?? null;
    if (kinds !== null && kinds.length === 0) return null;
    for (let attempt = 0; attempt < 10; attempt++) {
      const now = this.#now();
      try {
        return await this.#tx(async (c) => {
          await c.query(
            `UPDATE sync_jobs SET
               state = CASE WHEN cancel_requested THEN 'cancelled'
                            WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
               finished_at = CASE WHEN cancel_requested OR attempts >= max_attempts THEN $1::timestamptz ELSE NULL END,
               error = CASE WHEN cancel_requested THEN error
                            ELSE 'lease expired (attempt ' || attempts || ' of ' || max_attempts || ')' END,
               dedupe_key = ${DEDUPE_ON_REQUEUE},
               lease_owner = CASE WHEN cancel_requested OR attempts >= max_attempts THEN lease_owner ELSE NULL END,
               lease_expires_at = NULL
             WHERE id IN (SELECT id FROM sync_jobs WHERE state = 'running' AND lease_expires_at < $1::timestamptz
                          FOR UPDATE SKIP LOCKED)`,
            [now],
          );
          const r = await this.#one(
            c,
            `UPDATE sync_jobs SET state = 'running', lease_owner = $2, lease_expires_at = $3::timestamptz,
               attempts = attempts + 1, started_at = COALESCE(started_at, $1::timestamptz)
             WHERE id = (
               SELECT j.id FROM sync_jobs j
               WHERE j.state = 'queued' AND j.run_after <= $1::timestamptz
                 AND ($4::text[] IS NULL OR j.kind = ANY($4::text[]))
                 AND NOT EXISTS (SELECT 1 FROM sync_jobs r WHERE r.tenant_id = j.tenant_id AND r.state = 'running')
                 -- Only the head of each tenant's queue: claimers skip a locked head instead of racing for the
                 -- tenant's next job, and a tenant's jobs run in order.
                 AND NOT EXISTS (SELECT 1 FROM sync_jobs o WHERE o.tenant_id = j.tenant_id AND o.state = 'queued'
                   AND o.run_after <= $1::timestamptz AND ($4::text[] IS NULL OR o.kind = ANY($4::text[]))
                   AND (o.run_after, o.created_at, o.id) < (j.run_after, j.created_at, j.id))
               ORDER BY j.run_after, j.created_at, j.id
               LIMIT 1
               FOR UPDATE SKIP LOCKED)
             RETURNING *`,
            [now, input.workerId, new Date(now.getTime() + input.leaseMs), kinds],
          );
          return r ? toJob(r) : null;
        });
      } catch (err) {
        // Another claimer started a job of the same tenant (or requeued a job with the same dedupe key) between
        // our read and our write; the unique index refused ours. Look again.
        if (pgCode(err) === "23505" && /^sync_jobs_/.test(pgConstraint(err) ?? "")) continue;
        throw err;
      }
    }
    return null;
  }

  async heartbeatJob(jobId: string, workerId: string, leaseMs: number): Promise<{ cancelRequested: boolean }> {
    checkLeaseMs(leaseMs);
    const r = await this.#one(
      this.#pool,
      `UPDATE sync_jobs SET lease_expires_at = $1 WHERE id = $2 AND state = 'running' AND lease_owner = $3
       RETURNING cancel_requested`,
      [new Date(this.#now().getTime() + leaseMs), jobId, workerId],
    );
    if (!r) throw new LeaseLostError(`worker ${workerId} no longer holds job ${jobId}`);
    return { cancelRequested: Boolean(r.cancel_requested) };
  }

  async #finish(
    jobId: string,
    workerId: string,
    state: "succeeded" | "cancelled",
    result: string | null,
  ): Promise<SyncJob> {
    const r = await this.#one(
      this.#pool,
      `UPDATE sync_jobs SET state = $1, finished_at = $2, result = $3, lease_expires_at = NULL
       WHERE id = $4 AND state = 'running' AND lease_owner = $5 RETURNING *`,
      [state, this.#now(), result, jobId, workerId],
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
    return this.#tx(async (c) => {
      const now = this.#now();
      const cur = await this.#one(
        c,
        "SELECT attempts, max_attempts FROM sync_jobs WHERE id = $1 AND state = 'running' AND lease_owner = $2 FOR UPDATE",
        [jobId, workerId],
      );
      if (!cur) throw new LeaseLostError(`worker ${workerId} no longer holds job ${jobId}`);
      const retry = input.retryAfterMs !== undefined && num(cur.attempts) < num(cur.max_attempts);
      const r = retry
        ? await this.#one(
            c,
            `UPDATE sync_jobs SET state = 'queued', run_after = $1, error = $2, lease_owner = NULL,
               lease_expires_at = NULL, dedupe_key = ${DEDUPE_ON_REQUEUE}
             WHERE id = $3 RETURNING *`,
            [new Date(now.getTime() + Math.max(0, input.retryAfterMs ?? 0)), input.error, jobId],
          )
        : await this.#one(
            c,
            `UPDATE sync_jobs SET state = 'failed', finished_at = $1, error = $2, lease_expires_at = NULL
             WHERE id = $3 RETURNING *`,
            [now, input.error, jobId],
          );
      return toJob(r!);
    });
  }

  async cancelJob(tenantId: string, jobId: string): Promise<SyncJob | null> {
    return this.#tx(async (c) => {
      const r = await this.#one(c, "SELECT state FROM sync_jobs WHERE id = $1 AND tenant_id = $2 FOR UPDATE", [
        jobId,
        tenantId,
      ]);
      if (!r) return null;
      if (r.state === "queued") {
        await c.query("UPDATE sync_jobs SET state = 'cancelled', finished_at = $1 WHERE id = $2", [this.#now(), jobId]);
      } else if (r.state === "running") {
        await c.query("UPDATE sync_jobs SET cancel_requested = TRUE WHERE id = $1", [jobId]);
      }
      return toJob((await this.#one(c, "SELECT * FROM sync_jobs WHERE id = $1", [jobId]))!);
    });
  }

  async getJob(tenantId: string, jobId: string): Promise<SyncJob | null> {
    const r = await this.#one(this.#pool, "SELECT * FROM sync_jobs WHERE id = $1 AND tenant_id = $2", [
      jobId,
      tenantId,
    ]);
    return r ? toJob(r) : null;
  }

  async listJobs(query: ListJobsQuery = {}): Promise<SyncJob[]> {
    if (query.states && query.states.length === 0) return [];
    const rows = await this.#rows(
      this.#pool,
      `SELECT * FROM sync_jobs
       WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text[] IS NULL OR state = ANY($2::text[]))
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      [query.tenantId ?? null, query.states ?? null, clampLimit(query.limit, 100, 1000)],
    );
    return rows.map(toJob);
  }

  // ---------------------------------------------------------------- audit

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const r = await this.#one(
      this.#pool,
      `INSERT INTO audit_log (at, tenant_id, actor, action, target, result, request_id, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [
        entry.at ? parseTime(entry.at, "at") : this.#now(),
        entry.tenantId,
        entry.actor,
        entry.action,
        entry.target,
        entry.result,
        entry.requestId ?? null,
        JSON.stringify(redactDetails(entry.details ?? {})),
      ],
    );
    return toAudit(r!);
  }

  async listAudit(tenantId: string, query: AuditQuery = {}): Promise<AuditPage> {
    const limit = clampLimit(query.limit, 100, 1000);
    const rows = (
      await this.#rows(
        this.#pool,
        `SELECT * FROM audit_log
         WHERE tenant_id = $1 AND ($2::bigint IS NULL OR seq < $2) AND ($3::text IS NULL OR action = $3)
           AND ($4::text IS NULL OR actor = $4)
         ORDER BY seq DESC LIMIT $5`,
        [tenantId, decodeAuditCursor(query.cursor), query.action ?? null, query.actor ?? null, limit + 1],
      )
    ).map(toAudit);
    const entries = rows.slice(0, limit);
    const last = entries[entries.length - 1];
    return { entries, next: rows.length > limit && last ? encodeAuditCursor(last.seq) : null };
  }

  // ---------------------------------------------------------------- webhook deliveries

  async recordWebhookDelivery(tenantId: string, source: string, deliveryId: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    try {
      const r = await this.#one(
        this.#pool,
        `INSERT INTO webhook_deliveries (tenant_id, source, delivery_id, received_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, source, delivery_id) DO UPDATE
           SET received_at = EXCLUDED.received_at, expires_at = EXCLUDED.expires_at
           WHERE webhook_deliveries.expires_at <= $4
         RETURNING delivery_id`,
        [tenantId, source, deliveryId, now, new Date(now.getTime() + Math.max(0, ttlMs))],
      );
      return r !== undefined;
    } catch (err) {
      if (pgCode(err) === "23503") throw new NotFoundError(`no tenant ${tenantId}`);
      throw err;
    }
  }

  async pruneWebhookDeliveries(): Promise<number> {
    return this.#count(this.#pool, "DELETE FROM webhook_deliveries WHERE expires_at <= $1", [this.#now()]);
  }

  // ---------------------------------------------------------------- cursors

  async getCursor(tenantId: string, name: string): Promise<Cursor | null> {
    const r = await this.#one(
      this.#pool,
      "SELECT name, value, updated_at FROM cursors WHERE tenant_id = $1 AND name = $2",
      [tenantId, name],
    );
    return r ? toCursor(r) : null;
  }

  async setCursor(
    tenantId: string,
    name: string,
    value: string,
    options: { expected?: string | null } = {},
  ): Promise<boolean> {
    const now = this.#now();
    await this.#tenantMustExist(this.#pool, tenantId);
    try {
      if (options.expected === undefined) {
        await this.#pool.query(
          `INSERT INTO cursors (tenant_id, name, value, updated_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id, name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`,
          [tenantId, name, value, now],
        );
        return true;
      }
      if (options.expected === null) {
        return (
          (await this.#count(
            this.#pool,
            `INSERT INTO cursors (tenant_id, name, value, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant_id, name) DO NOTHING`,
            [tenantId, name, value, now],
          )) > 0
        );
      }
      return (
        (await this.#count(
          this.#pool,
          "UPDATE cursors SET value = $1, updated_at = $2 WHERE tenant_id = $3 AND name = $4 AND value = $5",
          [value, now, tenantId, name, options.expected],
        )) > 0
      );
    } catch (err) {
      if (pgCode(err) === "23503") throw new NotFoundError(`no tenant ${tenantId}`);
      throw err;
    }
  }

  // ---------------------------------------------------------------- forge crawls

  async putCrawlBatch(
    tenantId: string,
    input: { runId: string; seq: number; section: string; rows: Record<string, unknown> },
  ): Promise<boolean> {
    const now = this.#now();
    return this.#tx(async (c) => {
      await this.#tenantMustExist(c, tenantId);
      const existed = await this.#one(
        c,
        "SELECT 1 FROM forge_crawl_batches WHERE tenant_id = $1 AND run_id = $2 AND seq = $3 FOR UPDATE",
        [tenantId, input.runId, input.seq],
      );
      await this.#count(
        c,
        `INSERT INTO forge_crawl_batches (tenant_id, run_id, seq, section, rows, received_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id, run_id, seq) DO UPDATE
           SET section = EXCLUDED.section, rows = EXCLUDED.rows, received_at = EXCLUDED.received_at`,
        [tenantId, input.runId, input.seq, input.section, JSON.stringify(input.rows), now],
      );
      return existed === undefined;
    });
  }

  async listCrawlBatches(tenantId: string, runId: string): Promise<CrawlBatch[]> {
    const rows = await this.#rows(
      this.#pool,
      "SELECT run_id, seq, section, rows, received_at FROM forge_crawl_batches WHERE tenant_id = $1 AND run_id = $2 ORDER BY seq",
      [tenantId, runId],
    );
    return rows.map((r) => ({
      runId: String(r.run_id),
      seq: Number(r.seq),
      section: String(r.section),
      rows: (typeof r.rows === "string" ? JSON.parse(r.rows) : r.rows) as Record<string, unknown>,
      receivedAt: (r.received_at instanceof Date ? r.received_at : new Date(String(r.received_at))).toISOString(),
    }));
  }

  async deleteCrawl(tenantId: string, runId: string): Promise<number> {
    return this.#count(this.#pool, "DELETE FROM forge_crawl_batches WHERE tenant_id = $1 AND run_id = $2", [
      tenantId,
      runId,
    ]);
  }

  async pruneCrawls(before: Date): Promise<{ batches: number; runs: number }> {
    return this.#tx(async (c) => ({
      batches: await this.#count(c, "DELETE FROM forge_crawl_batches WHERE received_at < $1", [before]),
      runs: await this.#count(c, "DELETE FROM cursors WHERE name LIKE $1 AND updated_at < $2", [
        `${CRAWL_CURSOR_PREFIX}%`,
        before,
      ]),
    }));
  }
}
