/**
 * Envelope encryption of tenant credentials at rest (reliability case X4).
 *
 * Each call to {@link encryptSecrets} draws a fresh random 256-bit data key (DEK), encrypts the tenant's secrets
 * with it (AES-256-GCM), and wraps the DEK with the primary master key (AES-256-GCM again). The tenant id is bound
 * as additional authenticated data (AAD) to both layers, so a blob copied to another tenant's row fails to decrypt
 * instead of handing tenant A's credentials to tenant B. The master key id travels in the blob, so a keyring of
 * several master keys can decrypt old blobs while new ones use the primary, and {@link rewrap} moves a blob to a
 * new master key by re-wrapping only the 32-byte DEK: the data ciphertext is copied unchanged.
 *
 * Blob layout, version 1 (all lengths in bytes):
 * ```
 * "AM" magic (2) | version 0x01 (1) | key id length n (1) | key id (n, ASCII)
 * | wrap IV (12) | wrap tag (16) | wrapped DEK (32)
 * | data IV (12) | data tag (16) | data ciphertext (rest)
 * ```
 * Every failure to open a blob is an {@link EnvelopeError} with a `reason`; no message carries key or plaintext
 * material.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { Secret } from "../config/secret.js";

/** The environment variable holding the primary master key. */
export const MASTER_KEY_ENV = "ACCESSMAP_MASTER_KEY";
/** Optional: comma-separated older master keys, still accepted for decryption during a rotation. */
export const PREVIOUS_MASTER_KEYS_ENV = "ACCESSMAP_MASTER_KEY_PREVIOUS";

const MAGIC = Buffer.from("AM", "ascii");
const VERSION = 1;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
/** Domain-separation labels, so a wrapped key can never be replayed as data or the other way round. */
const DEK_AAD_LABEL = "accessmap/envelope/v1/dek";
const DATA_AAD_LABEL = "accessmap/envelope/v1/data";

export type EnvelopeFailure =
  /** Not an envelope blob, truncated, or its plaintext is not the expected shape. */
  | "malformed"
  /** A version byte this code does not know. */
  | "unsupported-version"
  /** The blob names a master key id that is not in the keyring. */
  | "unknown-key"
  /** The GCM tag did not verify: wrong tenant, wrong master key, or a tampered byte. */
  | "authentication-failed";

/** A blob could not be opened. The message names the reason and never the key or plaintext. */
export class EnvelopeError extends Error {
  constructor(
    readonly reason: EnvelopeFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "EnvelopeError";
  }
}

/** The master key configuration is missing or malformed. Names the variable, never its value. */
export class MasterKeyConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = "MasterKeyConfigError";
  }
}

/**
 * Master keys by id. The primary encrypts; every key decrypts. Prints and serializes without key material.
 */
export class MasterKeyring {
  readonly #keys: Map<string, Buffer>;
  readonly primaryId: string;

  private constructor(keys: Map<string, Buffer>, primaryId: string) {
    this.#keys = keys;
    this.primaryId = primaryId;
  }

  /**
   * @param keys master keys (32 bytes each) with their ids; ids must be unique.
   * @param primaryId the key new blobs are wrapped with; defaults to the first entry.
   * @throws TypeError when a key is not 32 bytes, an id is malformed or repeated, or the primary is not listed.
   */
  static from(keys: readonly { id: string; key: Uint8Array }[], primaryId?: string): MasterKeyring {
    const map = new Map<string, Buffer>();
    for (const { id, key } of keys) {
      if (!KEY_ID_RE.test(id)) throw new TypeError(`master key id must match ${KEY_ID_RE}`);
      if (key.length !== KEY_BYTES) throw new TypeError(`master key ${id} must be ${KEY_BYTES} bytes`);
      if (map.has(id)) throw new TypeError(`master key id ${id} appears twice`);
      map.set(id, Buffer.from(key));
    }
    const primary = primaryId ?? keys[0]?.id;
    if (primary === undefined) throw new TypeError("a master keyring needs at least one key");
    if (!map.has(primary)) throw new TypeError(`primary master key ${primary} is not in the keyring`);
    return new MasterKeyring(map, primary);
  }

  /** Key ids, primary first. */
  ids(): string[] {
    return [this.primaryId, ...[...this.#keys.keys()].filter((id) => id !== this.primaryId)];
  }

  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** @internal key bytes for this module only. */
  keyFor(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  toJSON(): { primaryId: string; ids: string[] } {
    return { primaryId: this.primaryId, ids: this.ids() };
  }

  toString(): string {
    return `MasterKeyring(${this.ids().join(", ")})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/**
 * A short, stable id for a master key that has none: the first 12 hex digits of a labelled SHA-256 of the key.
 * One-way, so it identifies the key without revealing it.
 */
export function masterKeyFingerprint(key: Uint8Array): string {
  return createHash("sha256").update("accessmap/master-key-id\0").update(key).digest("hex").slice(0, 12);
}

const BASE64_RE = /^[A-Za-z0-9+/_-]+={0,2}$/;

function parseKeyEntry(entry: string, variable: string): { id: string; key: Buffer } {
  const trimmed = entry.trim();
  const colon = trimmed.indexOf(":");
  const id = colon >= 0 ? trimmed.slice(0, colon) : null;
  const material = colon >= 0 ? trimmed.slice(colon + 1) : trimmed;
  if (id !== null && !KEY_ID_RE.test(id)) {
    throw new MasterKeyConfigError(variable, `${variable}: a key id must match ${KEY_ID_RE} (format [id:]base64)`);
  }
  const key = BASE64_RE.test(material) ? Buffer.from(material, "base64") : null;
  if (key === null || key.length !== KEY_BYTES) {
    throw new MasterKeyConfigError(
      variable,
      `${variable} must be ${KEY_BYTES} random bytes in base64 (e.g. \`openssl rand -base64 32\`), optionally prefixed with "id:"`,
    );
  }
  return { id: id ?? masterKeyFingerprint(key), key };
}

/**
 * Reads the master keyring from the environment: `ACCESSMAP_MASTER_KEY` (`[id:]base64`, 32 bytes) is the primary;
 * `ACCESSMAP_MASTER_KEY_PREVIOUS` (optional, comma-separated, same format) lists older keys kept for decryption
 * during a rotation. A key without an explicit id gets its fingerprint as id.
 *
 * @throws MasterKeyConfigError naming the variable (never its value) when missing or malformed.
 */
export function loadMasterKeyring(env: Record<string, string | undefined> = process.env): MasterKeyring {
  const primaryRaw = env[MASTER_KEY_ENV];
  if (primaryRaw === undefined || primaryRaw.trim() === "") {
    throw new MasterKeyConfigError(
      MASTER_KEY_ENV,
      `${MASTER_KEY_ENV} is not set: it must hold 32 random bytes in base64 (e.g. \`openssl rand -base64 32\`)`,
    );
  }
  const primary = parseKeyEntry(primaryRaw, MASTER_KEY_ENV);
  const previous = (env[PREVIOUS_MASTER_KEYS_ENV] ?? "")
    .split(",")
    .filter((s) => s.trim() !== "")
    .map((s) => parseKeyEntry(s, PREVIOUS_MASTER_KEYS_ENV));
  const all = [primary, ...previous.filter((p) => p.id !== primary.id || !p.key.equals(primary.key))];
  const ids = new Set<string>();
  for (const k of all) {
    if (ids.has(k.id)) {
      throw new MasterKeyConfigError(
        PREVIOUS_MASTER_KEYS_ENV,
        `${PREVIOUS_MASTER_KEYS_ENV}: master key id ${k.id} appears twice`,
      );
    }
    ids.add(k.id);
  }
  return MasterKeyring.from(all, primary.id);
}

/** Length-prefixed concatenation, so (tenant "ab", key "c") and (tenant "a", key "bc") differ. */
function aad(label: string, ...parts: string[]): Buffer {
  const chunks: Buffer[] = [Buffer.from(`${label}\0`, "utf8")];
  for (const part of parts) {
    const bytes = Buffer.from(part, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(bytes.length);
    chunks.push(len, bytes);
  }
  return Buffer.concat(chunks);
}

function checkTenant(tenantId: string): void {
  if (typeof tenantId !== "string" || tenantId === "") throw new TypeError("tenantId must be a non-empty string");
}

function seal(key: Buffer, plaintext: Buffer, additional: Buffer): { iv: Buffer; tag: Buffer; ct: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(additional);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), ct };
}

function open(key: Buffer, iv: Buffer, tag: Buffer, ct: Buffer, additional: Buffer, what: string): Buffer {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additional);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]);
  } catch (cause) {
    throw new EnvelopeError(
      "authentication-failed",
      `${what} failed authentication (wrong tenant, wrong master key, or tampered blob)`,
      { cause },
    );
  }
}

interface ParsedBlob {
  keyId: string;
  wrapIv: Buffer;
  wrapTag: Buffer;
  wrappedKey: Buffer;
  /** Data IV, tag and ciphertext, exactly as stored (rewrap copies it untouched). */
  dataPart: Buffer;
}

function parseBlob(blob: Uint8Array): ParsedBlob {
  const buf = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf.length < MAGIC.length + 2 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new EnvelopeError("malformed", "not an accessmap envelope blob");
  }
  const version = buf[MAGIC.length];
  if (version !== VERSION) throw new EnvelopeError("unsupported-version", `unsupported envelope version ${version}`);
  const idLen = buf[MAGIC.length + 1] ?? 0;
  let at = MAGIC.length + 2;
  const minRest = idLen + IV_BYTES + TAG_BYTES + KEY_BYTES + IV_BYTES + TAG_BYTES;
  if (idLen === 0 || buf.length < at + minRest) throw new EnvelopeError("malformed", "envelope blob is truncated");
  const keyId = buf.subarray(at, at + idLen).toString("latin1");
  if (!KEY_ID_RE.test(keyId)) throw new EnvelopeError("malformed", "envelope blob has a malformed key id");
  at += idLen;
  const take = (n: number) => {
    const part = buf.subarray(at, at + n);
    at += n;
    return part;
  };
  const wrapIv = take(IV_BYTES);
  const wrapTag = take(TAG_BYTES);
  const wrappedKey = take(KEY_BYTES);
  return { keyId, wrapIv, wrapTag, wrappedKey, dataPart: buf.subarray(at) };
}

function header(keyId: string, wrap: { iv: Buffer; tag: Buffer; ct: Buffer }): Buffer {
  const id = Buffer.from(keyId, "latin1");
  return Buffer.concat([MAGIC, Buffer.from([VERSION, id.length]), id, wrap.iv, wrap.tag, wrap.ct]);
}

function wrapKey(dek: Buffer, tenantId: string, keyring: MasterKeyring): Buffer {
  const keyId = keyring.primaryId;
  const master = keyring.keyFor(keyId);
  if (!master) throw new TypeError(`primary master key ${keyId} is missing`);
  return header(keyId, seal(master, dek, aad(DEK_AAD_LABEL, keyId, tenantId)));
}

function unwrapKey(parsed: ParsedBlob, tenantId: string, keyring: MasterKeyring): Buffer {
  const master = keyring.keyFor(parsed.keyId);
  if (!master) {
    throw new EnvelopeError(
      "unknown-key",
      `envelope blob is wrapped with master key ${parsed.keyId}, not in the keyring`,
    );
  }
  const dek = open(
    master,
    parsed.wrapIv,
    parsed.wrapTag,
    parsed.wrappedKey,
    aad(DEK_AAD_LABEL, parsed.keyId, tenantId),
    "data key",
  );
  if (dek.length !== KEY_BYTES) throw new EnvelopeError("malformed", "unwrapped data key has the wrong length");
  return dek;
}

/**
 * Encrypts a tenant's secrets under a fresh data key wrapped by the keyring's primary master key.
 *
 * @example
 * const blob = encryptSecrets("tenant-1", { productToken: "…" }, loadMasterKeyring());
 * const secrets = decryptSecrets("tenant-1", blob, loadMasterKeyring());
 * secrets.productToken?.reveal();
 */
export function encryptSecrets(tenantId: string, secrets: Record<string, string>, keyring: MasterKeyring): Buffer {
  checkTenant(tenantId);
  for (const [name, value] of Object.entries(secrets)) {
    if (typeof value !== "string") throw new TypeError(`secret ${name} must be a string`);
  }
  const dek = randomBytes(KEY_BYTES);
  try {
    const plaintext = Buffer.from(JSON.stringify(secrets), "utf8");
    const data = seal(dek, plaintext, aad(DATA_AAD_LABEL, tenantId));
    plaintext.fill(0);
    return Buffer.concat([wrapKey(dek, tenantId, keyring), data.iv, data.tag, data.ct]);
  } finally {
    dek.fill(0);
  }
}

/**
 * Opens a blob written by {@link encryptSecrets} for the same tenant. Values come back as {@link Secret}s, so they
 * cannot be logged by accident.
 *
 * @throws EnvelopeError `malformed`, `unsupported-version`, `unknown-key` or `authentication-failed`.
 */
export function decryptSecrets(tenantId: string, blob: Uint8Array, keyring: MasterKeyring): Record<string, Secret> {
  checkTenant(tenantId);
  const parsed = parseBlob(blob);
  const dek = unwrapKey(parsed, tenantId, keyring);
  try {
    const { dataPart } = parsed;
    const iv = dataPart.subarray(0, IV_BYTES);
    const tag = dataPart.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const ct = dataPart.subarray(IV_BYTES + TAG_BYTES);
    const plaintext = open(dek, iv, tag, ct, aad(DATA_AAD_LABEL, tenantId), "credential data");
    let value: unknown;
    try {
      value = JSON.parse(plaintext.toString("utf8"));
    } catch (cause) {
      throw new EnvelopeError("malformed", "credential data is not JSON", { cause });
    } finally {
      plaintext.fill(0);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new EnvelopeError("malformed", "credential data is not an object");
    }
    const entries = Object.entries(value);
    if (entries.some(([, v]) => typeof v !== "string")) {
      throw new EnvelopeError("malformed", "credential data holds a non-string value");
    }
    // fromEntries defines own properties, so a "__proto__" secret name stays a plain key.
    return Object.fromEntries(entries.map(([k, v]) => [k, new Secret(v as string)]));
  } finally {
    dek.fill(0);
  }
}

/** The master key id a blob is wrapped with (to find the blobs a rotation still has to re-wrap). */
export function envelopeKeyId(blob: Uint8Array): string {
  return parseBlob(blob).keyId;
}

/**
 * Re-wraps a blob's data key under `to`'s primary master key. The data ciphertext is copied byte for byte: no
 * plaintext secret is produced. The tenant id is needed because it is authenticated with the wrapped key; a blob
 * that does not belong to `tenantId` fails here exactly as it would in {@link decryptSecrets}.
 *
 * @param from a keyring holding the key the blob is wrapped with.
 * @param to the keyring whose primary wraps the result; defaults to `from` (a keyring holding old and new keys).
 * @throws EnvelopeError as {@link decryptSecrets}.
 */
export function rewrap(tenantId: string, blob: Uint8Array, from: MasterKeyring, to: MasterKeyring = from): Buffer {
  checkTenant(tenantId);
  const parsed = parseBlob(blob);
  const dek = unwrapKey(parsed, tenantId, from);
  try {
    return Buffer.concat([wrapKey(dek, tenantId, to), parsed.dataPart]);
  } finally {
    dek.fill(0);
  }
}
