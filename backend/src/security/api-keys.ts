/**
 * Per-tenant API keys for standalone (non-Forge) use of the service.
 *
 * A key reads `am_<id>_<secret>`: `id` is 16 lowercase hex digits (64 random bits, the lookup handle, safe to log)
 * and `secret` is 32 random bytes in base64url (43 characters). The store keeps only a record with the id, a
 * per-key random salt and `HMAC-SHA-256(salt, "am/api-key/v1:" + id + ":" + secret)`.
 *
 * Why a fast hash and not scrypt/argon2: slow KDFs exist to make guessing *low-entropy* passwords expensive. Our
 * secret is 256 bits from the CSPRNG, so an attacker holding the hash table cannot brute-force it at any hash
 * speed, and a slow KDF would only add ~50 ms of CPU per request on an unauthenticated path (a denial-of-service
 * lever). The per-key salt still makes every stored hash unique and defeats precomputation across keys; binding
 * the id into the MAC ties a hash to its record.
 *
 * Verification compares fixed-length digests with `timingSafeEqual`, and does the same work for an unknown id as
 * for a known one. Parsing never throws: a malformed key is simply "not valid".
 *
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { Secret } from "../config/secret.js";

export const API_KEY_PREFIX = "am_";
const KEY_RE = /^am_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const HASH_LABEL = "am/api-key/v1:";
/** A long key in a header is refused before any regex or hashing work. */
const MAX_PRESENTED_LENGTH = 256;

/** What the store keeps for a key. Holds no secret: safe to log and back up. */
export interface StoredApiKey {
  readonly version: 1;
  readonly id: string;
  readonly tenantId: string;
  /** Random 16-byte salt, base64url. */
  readonly salt: string;
  /** HMAC-SHA-256 digest, base64url. */
  readonly hash: string;
  /** ISO timestamp. */
  readonly createdAt: string;
  /** Free-form label chosen by the admin ("CI", "SIEM export"). */
  readonly label?: string;
}

export interface GeneratedApiKey {
  /** The full key, shown to the user once and never stored. */
  readonly key: Secret;
  readonly record: StoredApiKey;
}

export type ApiKeyVerification =
  | { readonly ok: true; readonly tenantId: string; readonly keyId: string }
  | { readonly ok: false; readonly reason: "missing" | "malformed" | "unknown" | "mismatch" };

/** Looks a key record up by id; `undefined`/`null` when there is none. Store errors propagate (a 5xx, not a 401). */
export type ApiKeyLookup = (id: string) => StoredApiKey | null | undefined | Promise<StoredApiKey | null | undefined>;

function digest(salt: Buffer, id: string, secret: string): Buffer {
  return createHmac("sha256", salt).update(`${HASH_LABEL}${id}:${secret}`, "utf8").digest();
}

/** Creates a new key for a tenant. Store `record`; show `key.reveal()` to the user once. */
export function generateApiKey(tenantId: string, opts: { label?: string; now?: () => Date } = {}): GeneratedApiKey {
  if (typeof tenantId !== "string" || tenantId === "") throw new TypeError("tenantId must be a non-empty string");
  const id = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  const salt = randomBytes(16);
  const record: StoredApiKey = {
    version: 1,
    id,
    tenantId,
    salt: salt.toString("base64url"),
    hash: digest(salt, id, secret).toString("base64url"),
    createdAt: (opts.now?.() ?? new Date()).toISOString(),
    ...(opts.label !== undefined ? { label: opts.label } : {}),
  };
  return { key: new Secret(`${API_KEY_PREFIX}${id}_${secret}`), record };
}

/** Splits a presented key into id and secret; `null` for anything that is not a well-formed key. Never throws. */
export function parseApiKey(presented: unknown): { id: string; secret: Secret } | null {
  if (typeof presented !== "string" || presented.length > MAX_PRESENTED_LENGTH) return null;
  const m = KEY_RE.exec(presented);
  if (!m?.[1] || !m[2]) return null;
  return { id: m[1], secret: new Secret(m[2]) };
}

/**
 * The key from an `Authorization: Bearer am_…` header (or an `X-API-Key` value passed as-is). `null` when absent or
 * not an accessmap key. Never throws.
 */
export function apiKeyFromHeader(value: unknown): string | null {
  if (typeof value !== "string" || value.length > MAX_PRESENTED_LENGTH + 16) return null;
  const trimmed = value.trim();
  const bearer = /^bearer\s+(\S+)$/i.exec(trimmed);
  const candidate = bearer?.[1] ?? trimmed;
  return candidate.startsWith(API_KEY_PREFIX) ? candidate : null;
}

/** A record's id, safe to log: `am_<id>_…`. */
export function maskApiKey(idOrRecord: string | StoredApiKey): string {
  const id = typeof idOrRecord === "string" ? idOrRecord : idOrRecord.id;
  return `${API_KEY_PREFIX}${id}_…`;
}

const DUMMY_SALT = randomBytes(16);
const DUMMY_HASH = randomBytes(32);

function decodeDigest(value: unknown, bytes: number): Buffer | null {
  if (typeof value !== "string" || !/^[A-Za-z0-9_-]+$/.test(value)) return null;
  const buf = Buffer.from(value, "base64url");
  return buf.length === bytes ? buf : null;
}

/**
 * Checks a presented key against one stored record in constant time. False for any malformed input, a record of
 * another id, or a corrupt record. Never throws.
 */
export function verifyApiKeyAgainst(presented: unknown, record: StoredApiKey | null | undefined): boolean {
  const parsed = parseApiKey(presented);
  if (!parsed) return false;
  return matches(parsed, record);
}

function matches(parsed: { id: string; secret: Secret }, record: StoredApiKey | null | undefined): boolean {
  const salt = record ? decodeDigest(record.salt, 16) : null;
  const expected = record ? decodeDigest(record.hash, 32) : null;
  const usable = record !== null && record !== undefined && record.version === 1 && salt !== null && expected !== null;
  // Same HMAC and comparison work whether or not the record exists, so timing does not reveal valid ids.
  const actual = digest(usable ? salt : DUMMY_SALT, parsed.id, parsed.secret.reveal());
  const equal = timingSafeEqual(actual, usable ? expected : DUMMY_HASH);
  return usable && equal && record.id === parsed.id;
}

/**
 * Verifies a presented key: parse, look the record up by id, compare in constant time.
 *
 * Only the lookup can throw (a store failure, which the HTTP layer should answer with 5xx, not 401); every problem
 * with the key itself is a `{ ok: false, reason }`.
 */
export async function verifyApiKey(presented: unknown, lookup: ApiKeyLookup): Promise<ApiKeyVerification> {
  if (presented === undefined || presented === null || presented === "") return { ok: false, reason: "missing" };
  const parsed = parseApiKey(presented);
  if (!parsed) return { ok: false, reason: "malformed" };
  const record = await lookup(parsed.id);
  const ok = matches(parsed, record);
  if (!record) return { ok: false, reason: "unknown" };
  if (!ok) return { ok: false, reason: "mismatch" };
  return { ok: true, tenantId: record.tenantId, keyId: record.id };
}
