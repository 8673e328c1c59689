/**
 * The store: the one interface the service keeps its state behind. Two implementations behave identically and pass
 * the same contract suite (`store.contract.ts`): SQLite (`sqlite.ts`, embedded, one file) and PostgreSQL
 * (`postgres.ts`, many stateless service processes over one database).
 *
 * Everything is per tenant; a call for tenant B never reads or writes tenant A's rows (the decoy-tenant test).
 *
 * - **Tenants**: name, non-secret configuration, an opaque encrypted secrets blob (the caller encrypts; the store
 *   never sees a plaintext secret), hashed API keys.
 * - **Snapshots**: one row per discovery run, with a per-tenant version that only grows. A run is `running` until
 *   it ends `complete` (and, through {@link Store.commitSnapshot}, current), `held` (complete, but the mass-deletion
 *   guard stopped it: current only once {@link Store.approveSnapshot} says so), `partial` or `failed` (kept for the
 *   record, never current). The previous current snapshot becomes `superseded`. The snapshot and the built model
 *   are stored gzip-compressed with a SHA-256 of their JSON.
 * - **Delta versions**: an event patch commits a version that stores only a delta — cumulative over a full base
 *   version — instead of the whole snapshot and model ({@link Store.commitSnapshotDelta}). Every read resolves
 *   base + delta in one statement, so a reader cannot tell a delta version from a full one; a base stays while a
 *   kept version rests on it; {@link Store.compactSnapshot} rewrites a delta version whole (same content) so the
 *   next patches rest on it.
 * - **The current pointer**: one per tenant, moved only inside the commit transaction. {@link Store.getCurrentModel}
 *   reads the pointer and the model in one statement, so a reader sees the old model or the new, never a mix.
 * - **Sync jobs**: a job queue with leases; one running job per tenant, enforced by a unique index.
 * - **Audit log**: append-only (the database refuses UPDATE and DELETE); secret-looking detail keys are redacted.
 * - **Webhook deliveries**: ids remembered for a TTL, so a redelivery is recognised.
 * - **Cursors**: named positions per tenant (the Admin events-stream cursor), with compare-and-set.
 */
import type { ProductStatus, Snapshot } from "@accessmap/shared/snapshot/schema";
import type { Model } from "../model/types.js";
import type { VersionDelta } from "../model/version-delta.js";

export type SnapshotState = "running" | "complete" | "partial" | "failed" | "held" | "superseded";
export const SNAPSHOT_STATES: readonly SnapshotState[] = [
  "running",
  "complete",
  "partial",
  "failed",
  "held",
  "superseded",
];

export type JobState = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export const JOB_STATES: readonly JobState[] = ["queued", "running", "succeeded", "failed", "cancelled"];

// ---------------------------------------------------------------- errors

export class StoreError extends Error {
  override name = "StoreError";
}
/** The tenant, snapshot or job named does not exist (for this tenant). */
export class NotFoundError extends StoreError {
  override name = "NotFoundError";
}
/** The operation does not fit the current state, e.g. committing a failed run or approving a stale held one. */
export class ConflictError extends StoreError {
  override name = "ConflictError";
}
/** A worker acted on a job whose lease it no longer holds (it expired and another worker took the job). */
export class LeaseLostError extends StoreError {
  override name = "LeaseLostError";
}
/** A stored blob does not match its checksum. */
export class IntegrityError extends StoreError {
  override name = "IntegrityError";
}

// ---------------------------------------------------------------- tenants

export interface Tenant {
  id: string;
  name: string;
  /** Non-secret configuration (JSON). */
  config: Record<string, unknown>;
  /** Whether an encrypted secrets blob is stored; read it with {@link Store.getTenantSecrets}. */
  hasSecrets: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NewTenant {
  /** Defaults to a random UUID. */
  id?: string;
  name: string;
  config?: Record<string, unknown>;
  /** Encrypted by the caller; stored and returned as given. */
  secrets?: Uint8Array | null;
}

export interface TenantPatch {
  name?: string;
  config?: Record<string, unknown>;
  /** `null` removes the blob. */
  secrets?: Uint8Array | null;
}

export interface ApiKey {
  id: string;
  tenantId: string;
  label: string;
  /** The key's hash as the caller computed it; the key itself is never stored. */
  hash: string;
  createdAt: string;
  revokedAt: string | null;
}

// ---------------------------------------------------------------- snapshots

export interface SnapshotRecord {
  tenantId: string;
  version: number;
  runId: string;
  state: SnapshotState;
  startedAt: string;
  finishedAt: string | null;
  /** Per-source status as the run reported it. */
  statuses: ProductStatus[];
  /** Entity counts (accounts, groups, resources, access, …). */
  counts: Record<string, number>;
  /** Why the run is held, partial, failed or rejected; who approved a held run. */
  reason: string | null;
  decidedBy: string | null;
  /**
   * The model's content digest, when a model is stored: the SHA-256 (hex) of the model JSON for a full version; for
   * a delta version the SHA-256 of its base's digest and the delta, kept when compaction rewrites it whole.
   */
  modelSha256: string | null;
  /** Whether this is the tenant's current snapshot. */
  current: boolean;
  /** For a delta version: the full version it rests on, and the stored delta's size (gzip, and its JSON). */
  delta: { baseVersion: number; bytes: number; jsonBytes: number } | null;
}

export interface StartSnapshotInput {
  runId: string;
  startedAt?: string;
  statuses?: ProductStatus[];
}

export interface CommitSnapshotInput {
  snapshot: Snapshot;
  model: Model;
  finishedAt?: string;
  /** Defaults to `snapshot.statuses`. */
  statuses?: ProductStatus[];
  /** Merged over counts derived from the model. */
  counts?: Record<string, number>;
  /**
   * Set by the mass-deletion guard: the run is stored as `held` with this reason and does not become current
   * until {@link Store.approveSnapshot}.
   */
  hold?: { reason: string } | null;
  /**
   * Compare-and-set on the current pointer: commit only while the current version is still this one (null: while
   * the tenant has none); otherwise {@link ConflictError} and nothing is written. An event patch built on a base
   * version uses it, so a full sync committed meanwhile is never overwritten by a patch of older data (P6).
   */
  expectedCurrent?: number | null;
}

export interface CommitDeltaInput {
  /** The full version the delta is over (`delta.baseVersion`); it must be this tenant's, with its data stored. */
  delta: VersionDelta;
  /** Entity counts of the resolved model (the store does not build it to count). */
  counts: Record<string, number>;
  statuses: ProductStatus[];
  finishedAt?: string;
  hold?: { reason: string } | null;
  /** Compare-and-set on the current pointer, as for {@link CommitSnapshotInput.expectedCurrent}. */
  expectedCurrent?: number | null;
}

export interface EndSnapshotInput {
  state: "partial" | "failed";
  reason: string;
  finishedAt?: string;
  statuses?: ProductStatus[];
  counts?: Record<string, number>;
  /** What could be read, kept for diagnosis; never becomes current. */
  snapshot?: Snapshot | null;
}

export interface CurrentPointer {
  tenantId: string;
  version: number;
  runId: string;
  committedAt: string;
  modelSha256: string;
  /** The full version the current one rests on: itself, unless it is a delta version. */
  baseVersion: number;
}

/** The current version's delta alone (null for a full version), with its pointer. */
export interface CurrentDelta {
  pointer: CurrentPointer;
  delta: VersionDelta | null;
}

export interface CurrentModel extends CurrentPointer {
  model: Model;
}

export interface SnapshotData {
  snapshot: Snapshot | null;
  model: Model | null;
}

/** A version's data as stored: its full base's data and, for a delta version, the delta over it. */
export interface SnapshotParts {
  baseVersion: number;
  /** The base version's snapshot and model (the version's own, for a full version). */
  base: SnapshotData;
  delta: VersionDelta | null;
}

export interface RetentionResult {
  /** Versions deleted. */
  deleted: number[];
}

// ---------------------------------------------------------------- jobs

export interface SyncJob {
  id: string;
  tenantId: string;
  kind: string;
  state: JobState;
  payload: Record<string, unknown>;
  /** Claims so far (a claim after a lease expiry counts too). */
  attempts: number;
  maxAttempts: number;
  runAfter: string;
  dedupeKey: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  cancelRequested: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  result: Record<string, unknown> | null;
}

export interface EnqueueJobInput {
  /** Defaults to `sync`. */
  kind?: string;
  payload?: Record<string, unknown>;
  /** Not claimable before this time. */
  runAfter?: string;
  /** Defaults to 3. */
  maxAttempts?: number;
  /** While a queued job of this tenant has the same key, enqueueing returns it instead of a new one. */
  dedupeKey?: string | null;
}

export interface ClaimJobInput {
  workerId: string;
  leaseMs: number;
  /** Only jobs of these kinds; all kinds when absent. */
  kinds?: string[];
}

export interface FailJobInput {
  error: string;
  /** Requeue (while attempts remain) to run after this delay; when absent the job fails for good. */
  retryAfterMs?: number;
}

export interface ListJobsQuery {
  tenantId?: string;
  states?: JobState[];
  limit?: number;
}

// ---------------------------------------------------------------- audit

export interface NewAuditEntry {
  tenantId: string;
  /** Who: `user:<accountId>`, `apikey:<id>`, `system:scheduler`, … */
  actor: string;
  /** What, e.g. `snapshot.approve`, `scim.user.deactivate`. */
  action: string;
  /** On what, e.g. `account:5b10…`, `snapshot:42`. */
  target: string | null;
  /** `intent`, `ok`, `error`, `skipped`, `denied`, … */
  result: string;
  requestId?: string | null;
  /** Never secrets: keys that look like one (token, secret, password, …) are stored as `[REDACTED]`. */
  details?: Record<string, unknown>;
  /** Defaults to the store clock. */
  at?: string;
}

export interface AuditEntry {
  /** Increases with every append, across tenants. */
  seq: number;
  at: string;
  tenantId: string;
  actor: string;
  action: string;
  target: string | null;
  result: string;
  requestId: string | null;
  details: Record<string, unknown>;
}

export interface AuditQuery {
  /** 1–1000, default 100. */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string | null;
  action?: string;
  actor?: string;
}

export interface AuditPage {
  /** Newest first. */
  entries: AuditEntry[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  next: string | null;
}

// ---------------------------------------------------------------- cursors

export interface Cursor {
  name: string;
  value: string;
  updatedAt: string;
}

// ---------------------------------------------------------------- forge crawls

/** The cursor names of Forge crawl runs (`forge-crawl:<runId>`), which `pruneCrawls` forgets once stale. */
export const CRAWL_CURSOR_PREFIX = "forge-crawl:";

export interface CrawlBatch {
  runId: string;
  seq: number;
  /** `jira` or `confluence`. */
  section: string;
  /** The batch's rows: partial section arrays by key (JSON). */
  rows: Record<string, unknown>;
  receivedAt: string;
}

// ---------------------------------------------------------------- the store

export interface Store {
  readonly dialect: "sqlite" | "postgres";

  /** Applies pending migrations (opening a store already does); returns the schema version now in place. */
  migrate(): Promise<number>;
  schemaVersion(): Promise<number>;
  close(): Promise<void>;

  // tenants
  createTenant(input: NewTenant): Promise<Tenant>;
  getTenant(tenantId: string): Promise<Tenant | null>;
  listTenants(): Promise<Tenant[]>;
  /** Throws {@link NotFoundError} for an unknown tenant. */
  updateTenant(tenantId: string, patch: TenantPatch): Promise<Tenant>;
  /** Deletes the tenant and everything it owns except its audit log. */
  deleteTenant(tenantId: string): Promise<boolean>;
  getTenantSecrets(tenantId: string): Promise<Uint8Array | null>;

  addApiKey(tenantId: string, input: { id?: string; label: string; hash: string }): Promise<ApiKey>;
  listApiKeys(tenantId: string): Promise<ApiKey[]>;
  /** An unrevoked key with this hash, across tenants: how a request finds its tenant. */
  findApiKeyByHash(hash: string): Promise<ApiKey | null>;
  revokeApiKey(tenantId: string, keyId: string): Promise<boolean>;

  // snapshots
  /** A new `running` snapshot with the tenant's next version. */
  startSnapshot(tenantId: string, input: StartSnapshotInput): Promise<SnapshotRecord>;
  /** Progress of a running snapshot. */
  updateSnapshotStatuses(tenantId: string, version: number, statuses: ProductStatus[]): Promise<void>;
  /**
   * Stores the snapshot and model of a running run and, in the same transaction, makes it current: the previous
   * current snapshot (and any older held one) becomes `superseded` and the pointer moves. With `hold`, the run is
   * stored `held` and the pointer stays. Refuses ({@link ConflictError}) a run that is not `running`, or one older
   * than the current snapshot.
   */
  commitSnapshot(tenantId: string, version: number, input: CommitSnapshotInput): Promise<SnapshotRecord>;
  /**
   * Stores a running run as a delta version and, in the same transaction, makes it current (or `held`), exactly
   * as {@link Store.commitSnapshot} does; refuses ({@link ConflictError}) a base that is not a full version of the
   * tenant.
   */
  commitSnapshotDelta(tenantId: string, version: number, input: CommitDeltaInput): Promise<SnapshotRecord>;
  /**
   * Rewrites a delta version as a full one — the same snapshot and model — in one transaction, so later patches
   * can rest on it and its old base can go. False when it is not a delta version (any more).
   */
  compactSnapshot(tenantId: string, version: number): Promise<boolean>;
  /** Ends a running run as `partial` or `failed`; the current snapshot is untouched. */
  endSnapshot(tenantId: string, version: number, input: EndSnapshotInput): Promise<SnapshotRecord>;
  /** Makes a held run current, atomically as a commit does. */
  approveSnapshot(tenantId: string, version: number, input: { actor: string }): Promise<SnapshotRecord>;
  /** Turns a held run down: it becomes `failed` and never current. */
  rejectSnapshot(tenantId: string, version: number, input: { actor: string; reason: string }): Promise<SnapshotRecord>;
  getSnapshot(tenantId: string, version: number): Promise<SnapshotRecord | null>;
  /** Newest first. */
  listSnapshots(tenantId: string, query?: { limit?: number; beforeVersion?: number }): Promise<SnapshotRecord[]>;
  /** A version's snapshot and model (a delta version's resolved over its base), read in one statement. */
  readSnapshotData(tenantId: string, version: number): Promise<SnapshotData | null>;
  /**
   * A version's base data and delta, unresolved, read in one statement; with `model: false` the base's model is
   * not read (null).
   */
  readSnapshotParts(tenantId: string, version: number, options?: { model?: boolean }): Promise<SnapshotParts | null>;
  /** The pointer alone (cheap): lets a cache know whether its model is still current. */
  getCurrentPointer(tenantId: string): Promise<CurrentPointer | null>;
  /**
   * The current model together with its version, read in one statement. With `verify`, the model's checksum is
   * recomputed and a mismatch throws {@link IntegrityError}.
   */
  getCurrentModel(tenantId: string, options?: { verify?: boolean }): Promise<CurrentModel | null>;
  /** The current pointer and the current version's delta (null for a full version), read in one statement. */
  getCurrentDelta(tenantId: string): Promise<CurrentDelta | null>;
  /**
   * Keeps the current snapshot, the `keep` newest complete or superseded ones, every running or held one, and
   * partial or failed ones newer than the current, and the base of every delta version kept; deletes the rest.
   * Never deletes the current snapshot.
   */
  retention(tenantId: string, options: { keep: number }): Promise<RetentionResult>;

  // sync jobs
  enqueueJob(tenantId: string, input?: EnqueueJobInput): Promise<{ job: SyncJob; created: boolean }>;
  /**
   * Takes the oldest claimable job under a lease: queued, due, and of a tenant with no running job. Jobs whose lease
   * expired go back to the queue first (or fail, when out of attempts; or end cancelled, when cancel was asked).
   */
  claimJob(input: ClaimJobInput): Promise<SyncJob | null>;
  /** Extends the lease; says whether a cancel was requested. Throws {@link LeaseLostError}. */
  heartbeatJob(jobId: string, workerId: string, leaseMs: number): Promise<{ cancelRequested: boolean }>;
  /** Throws {@link LeaseLostError}. */
  completeJob(jobId: string, workerId: string, result?: Record<string, unknown>): Promise<SyncJob>;
  /** Throws {@link LeaseLostError}. */
  failJob(jobId: string, workerId: string, input: FailJobInput): Promise<SyncJob>;
  /** Acknowledges a cancel request: the running job ends `cancelled`. Throws {@link LeaseLostError}. */
  acknowledgeCancel(jobId: string, workerId: string): Promise<SyncJob>;
  /**
   * A queued job is cancelled at once; a running one is asked to stop (its worker sees it at the next heartbeat).
   * Null when this tenant has no such job.
   */
  cancelJob(tenantId: string, jobId: string): Promise<SyncJob | null>;
  getJob(tenantId: string, jobId: string): Promise<SyncJob | null>;
  /** Newest first. */
  listJobs(query?: ListJobsQuery): Promise<SyncJob[]>;

  // audit
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  listAudit(tenantId: string, query?: AuditQuery): Promise<AuditPage>;

  // webhook deliveries
  /** True the first time a delivery id is seen (within its TTL); false for a redelivery. */
  recordWebhookDelivery(tenantId: string, source: string, deliveryId: string, ttlMs: number): Promise<boolean>;
  /** Forgets expired delivery ids; returns how many. */
  pruneWebhookDeliveries(): Promise<number>;

  // cursors
  getCursor(tenantId: string, name: string): Promise<Cursor | null>;
  /**
   * Sets the cursor. With `expected`, only when its value is still `expected` (null: when it does not exist yet);
   * returns whether it was set.
   */
  setCursor(tenantId: string, name: string, value: string, options?: { expected?: string | null }): Promise<boolean>;

  // forge crawls
  /**
   * Stores batch `seq` of a crawl run. A retried batch (same run and seq) with the same section replaces the stored
   * rows (idempotent); returns false when that (run, seq) was already stored (a retry), true when new.
   */
  putCrawlBatch(
    tenantId: string,
    input: { runId: string; seq: number; section: string; rows: Record<string, unknown> },
  ): Promise<boolean>;
  /** The batches of a run, by seq. */
  listCrawlBatches(tenantId: string, runId: string): Promise<CrawlBatch[]>;
  /** Forgets a run's batches; returns how many were deleted. */
  deleteCrawl(tenantId: string, runId: string): Promise<number>;
  /**
   * Forgets abandoned crawls, across tenants: batches received before `before` (a run that never completed) and
   * crawl-run cursors (`forge-crawl:…`) last written before it. Returns how many rows of each went.
   */
  pruneCrawls(before: Date): Promise<{ batches: number; runs: number }>;
}

/** Options both implementations take. */
export interface StoreOptions {
  /** The store's clock (leases, TTLs, timestamps). Defaults to the system clock. */
  now?: () => Date;
  /** Test seam: runs inside the commit transaction, after the data is written and before the pointer moves. */
  faults?: { insideCommit?: () => void | Promise<void> };
}
