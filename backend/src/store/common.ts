/**
 * What the SQLite and PostgreSQL stores share: blob encoding (gzip + SHA-256), row mapping, the retention rule, audit
 * redaction. Row mapping accepts both drivers' shapes (timestamps as epoch ms or Date, JSON as text or parsed,
 * booleans as 0/1 or boolean, bigints as strings).
 */
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { gunzip as gunzipCb, gzip as gzipCb } from "node:zlib";
import type { ProductStatus } from "@accessmap/shared/snapshot/schema";
import { countsOf } from "../model/patch-model.js";
import type { Model } from "../model/types.js";
import { applyVersionDelta, parseVersionDelta, type VersionDelta } from "../model/version-delta.js";
import {
  type ApiKey,
  type AuditEntry,
  ConflictError,
  type CurrentPointer,
  type Cursor,
  IntegrityError,
  type JobState,
  type SnapshotData,
  type SnapshotParts,
  type SnapshotRecord,
  type SnapshotState,
  type SyncJob,
  type Tenant,
} from "./store.js";

const gzip = promisify(gzipCb);
const gunzip = promisify(gunzipCb);

export type Row = Record<string, unknown>;

// ---------------------------------------------------------------- blobs

export interface EncodedBlob {
  /** gzip of the JSON text. */
  data: Buffer;
  /** SHA-256 (hex) of the JSON text. */
  sha256: string;
  /** Bytes of the JSON text. */
  size: number;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Compresses off the main thread (zlib's thread pool), before any transaction opens. */
export async function encodeJson(value: unknown): Promise<EncodedBlob> {
  const text = Buffer.from(JSON.stringify(value), "utf8");
  return { data: await gzip(text, { level: 6 }), sha256: sha256Hex(text), size: text.length };
}

export async function decodeJson<T>(data: Uint8Array, expectedSha256: string | null, verify: boolean): Promise<T> {
  const text = await gunzip(data);
  if (verify && expectedSha256 !== null && sha256Hex(text) !== expectedSha256) {
    throw new IntegrityError("stored blob does not match its checksum");
  }
  return JSON.parse(text.toString("utf8")) as T;
}

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// ---------------------------------------------------------------- values

export function iso(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "number") return new Date(v).toISOString();
  if (typeof v === "bigint") return new Date(Number(v)).toISOString();
  if (typeof v === "string") return new Date(v).toISOString();
  throw new TypeError(`not a timestamp: ${String(v)}`);
}

export function isoOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : iso(v);
}

export function json<T>(v: unknown): T {
  return (typeof v === "string" ? JSON.parse(v) : v) as T;
}

export function num(v: unknown): number {
  return typeof v === "number" ? v : Number(v);
}

export function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

/** Epoch ms of an ISO timestamp the caller gave; rejects what is not one. */
export function parseTime(value: string, field: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new TypeError(`${field}: not a timestamp: ${value}`);
  return d;
}

/**
 * Refuses a commit that would not become the newest version: `expectedCurrent` (the compare-and-set of a patch)
 * differs from the current version, or a newer version is already current.
 */
export function checkCommitOrder(
  version: number,
  current: number | null,
  expectedCurrent: number | null | undefined,
): void {
  if (expectedCurrent !== undefined && current !== expectedCurrent) {
    throw new ConflictError(
      `snapshot ${version} expected current version ${expectedCurrent ?? "none"}, but it is ${current ?? "none"}`,
    );
  }
  if (current !== null && current > version) {
    throw new ConflictError(`snapshot ${version} is older than the current snapshot ${current}`);
  }
}

export function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  return Math.min(limit, max);
}

export function checkLeaseMs(leaseMs: number): void {
  if (!Number.isFinite(leaseMs) || leaseMs <= 0) throw new RangeError(`leaseMs must be positive, got ${leaseMs}`);
}

// ---------------------------------------------------------------- rows → records

export function toTenant(r: Row): Tenant {
  return {
    id: String(r.id),
    name: String(r.name),
    config: json<Record<string, unknown>>(r.config),
    hasSecrets: Boolean(r.has_secrets),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export function toApiKey(r: Row): ApiKey {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    label: String(r.label),
    hash: String(r.hash),
    createdAt: iso(r.created_at),
    revokedAt: isoOrNull(r.revoked_at),
  };
}

/** `r.current_version` comes from a join with the pointer (null when the tenant has none). */
export function toSnapshot(r: Row): SnapshotRecord {
  const version = num(r.version);
  return {
    tenantId: String(r.tenant_id),
    version,
    runId: String(r.run_id),
    state: String(r.state) as SnapshotState,
    startedAt: iso(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
    statuses: json<ProductStatus[]>(r.statuses),
    counts: json<Record<string, number>>(r.counts),
    reason: strOrNull(r.reason),
    decidedBy: strOrNull(r.decided_by),
    modelSha256: strOrNull(r.model_sha256),
    current: r.current_version !== null && r.current_version !== undefined && num(r.current_version) === version,
    delta:
      r.delta_base === null || r.delta_base === undefined
        ? null
        : { baseVersion: num(r.delta_base), bytes: num(r.delta_bytes), jsonBytes: num(r.delta_json_bytes) },
  };
}

export function toJob(r: Row): SyncJob {
  return {
    id: String(r.id),
    tenantId: String(r.tenant_id),
    kind: String(r.kind),
    state: String(r.state) as JobState,
    payload: json<Record<string, unknown>>(r.payload),
    attempts: num(r.attempts),
    maxAttempts: num(r.max_attempts),
    runAfter: iso(r.run_after),
    dedupeKey: strOrNull(r.dedupe_key),
    leaseOwner: strOrNull(r.lease_owner),
    leaseExpiresAt: isoOrNull(r.lease_expires_at),
    cancelRequested: Boolean(r.cancel_requested),
    createdAt: iso(r.created_at),
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
    error: strOrNull(r.error),
    result: r.result === null || r.result === undefined ? null : json<Record<string, unknown>>(r.result),
  };
}

export function toAudit(r: Row): AuditEntry {
  return {
    seq: num(r.seq),
    at: iso(r.at),
    tenantId: String(r.tenant_id),
    actor: String(r.actor),
    action: String(r.action),
    target: strOrNull(r.target),
    result: String(r.result),
    requestId: strOrNull(r.request_id),
    details: json<Record<string, unknown>>(r.details),
  };
}

export function toPointer(r: Row): CurrentPointer {
  return {
    tenantId: String(r.tenant_id),
    version: num(r.version),
    runId: String(r.run_id),
    committedAt: iso(r.committed_at),
    modelSha256: String(r.model_sha256),
    baseVersion: r.base_version === null || r.base_version === undefined ? num(r.version) : num(r.base_version),
  };
}

export function toCursor(r: Row): Cursor {
  return { name: String(r.name), value: String(r.value), updatedAt: iso(r.updated_at) };
}

// ---------------------------------------------------------------- snapshots

/**
 * Counts the store records for every committed model (with `adminGrants`, the mass-deletion guard's denominator,
 * which a delta version's patcher keeps up to date without the whole model); the caller's counts are merged over.
 */
export function modelCounts(model: Model): Record<string, number> {
  return { ...countsOf(model) };
}

/** The content digest of a delta version: over its base's digest and the delta's checksum. */
export function deltaDigest(baseDigest: string, deltaSha256: string): string {
  return sha256Hex(`accessmap delta\n${baseDigest}\n${deltaSha256}`);
}

/** Refuses a delta that does not belong to `version`: its chain must end there and rise from above its base. */
export function checkDelta(delta: VersionDelta, version: number): void {
  parseVersionDelta(delta);
  const chain = delta.chain;
  if (chain[chain.length - 1] !== version)
    throw new TypeError(`the delta's chain ends at ${chain[chain.length - 1]}, not at version ${version}`);
  if (chain.some((v, i) => v <= (i === 0 ? delta.baseVersion : chain[i - 1]!)))
    throw new TypeError("the delta's chain must rise from above its base version");
}

/** Decodes a stored delta (checksum verified: it is small) and checks its envelope. */
export async function decodeDelta(data: Uint8Array, sha256: string): Promise<VersionDelta> {
  return parseVersionDelta(await decodeJson<unknown>(data, sha256, true));
}

/** The data of a version from its parts: the base's, with the delta applied when there is one. */
export function resolveParts(parts: SnapshotParts): SnapshotData {
  return parts.delta ? applyVersionDelta(parts.base, parts.delta) : parts.base;
}

/**
 * The retention rule, shared so both stores delete exactly the same versions. Kept: the current snapshot; the `keep`
 * newest complete or superseded others; every running or held one; among partial or failed runs, those newer than
 * the current one, at most `max(keep, 1)` of them (the newest failure always stays, it says why nothing newer is
 * current); and the base of every delta version kept.
 */
export function retentionVictims(
  rows: ReadonlyArray<{ version: number; state: SnapshotState; baseVersion?: number | null }>,
  current: number | null,
  keep: number,
): number[] {
  const victims = retentionByState(rows, current, keep);
  // A delta version is readable only with its base: the base of a version kept stays too.
  const gone = new Set(victims);
  const pinned = new Set<number>();
  for (const r of rows)
    if (!gone.has(r.version) && r.baseVersion !== null && r.baseVersion !== undefined) pinned.add(r.baseVersion);
  return victims.filter((v) => !pinned.has(v));
}

function retentionByState(
  rows: ReadonlyArray<{ version: number; state: SnapshotState }>,
  current: number | null,
  keep: number,
): number[] {
  if (!Number.isInteger(keep) || keep < 0) throw new RangeError(`keep must be a non-negative integer, got ${keep}`);
  const newestFirst = [...rows].sort((a, b) => b.version - a.version);
  const victims: number[] = [];
  let good = 0;
  let bad = 0;
  for (const r of newestFirst) {
    if (r.version === current || r.state === "running" || r.state === "held") continue;
    if (r.state === "complete" || r.state === "superseded") {
      if (good < keep) good++;
      else victims.push(r.version);
      continue;
    }
    // partial | failed
    if ((current === null || r.version > current) && bad < Math.max(keep, 1)) bad++;
    else victims.push(r.version);
  }
  return victims.sort((a, b) => a - b);
}

// ---------------------------------------------------------------- audit

const SECRET_KEY =
  /secret|token|password|passwd|passphrase|api[-_]?key|authorization|cookie|credential|private[-_]?key/i;
export const REDACTED = "[REDACTED]";

/** Audit details never carry a secret: values under secret-looking keys are replaced, at any depth. */
export function redactDetails(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactDetails);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : redactDetails(v);
    return out;
  }
  return value;
}

export function encodeAuditCursor(seq: number): string {
  return `s${seq}`;
}

export function decodeAuditCursor(cursor: string | null | undefined): number | null {
  if (cursor === null || cursor === undefined) return null;
  const m = /^s(\d+)$/.exec(cursor);
  if (!m?.[1]) throw new RangeError(`not an audit cursor: ${cursor}`);
  return Number(m[1]);
}

export const DEFAULT_MAX_ATTEMPTS = 3;
