import { describe, expect, it, vi } from "vitest";
import { Secret } from "../config/secret.js";
import {
  API_KEY_PREFIX,
  apiKeyFromHeader,
  generateApiKey,
  maskApiKey,
  parseApiKey,
  type StoredApiKey,
  verifyApiKey,
  verifyApiKeyAgainst,
} from "./api-keys.js";

function store(...records: StoredApiKey[]) {
  const byId = new Map(records.map((r) => [r.id, r]));
  return vi.fn((id: string) => byId.get(id));
}

/** Flip one character of the secret part to another base64url character. */
function flipSecretChar(key: string, index: number): string {
  const at = key.length - 1 - index;
  const c = key[at];
  return key.slice(0, at) + (c === "A" ? "B" : "A") + key.slice(at + 1);
}

describe("generateApiKey", () => {
  it("produces am_<16 hex>_<43 base64url> and a record without the secret", () => {
    const { key, record } = generateApiKey("tenant-a", { label: "CI", now: () => new Date("2026-01-02T03:04:05Z") });
    expect(key).toBeInstanceOf(Secret);
    const raw = key.reveal();
    expect(raw).toMatch(/^am_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(raw.startsWith(`${API_KEY_PREFIX}${record.id}_`)).toBe(true);
    expect(record).toMatchObject({
      version: 1,
      tenantId: "tenant-a",
      label: "CI",
      createdAt: "2026-01-02T03:04:05.000Z",
    });
    const secretPart = raw.slice(-43);
    expect(JSON.stringify(record)).not.toContain(secretPart);
    expect(JSON.stringify({ key })).not.toContain(secretPart);
    expect(Buffer.from(record.salt, "base64url")).toHaveLength(16);
    expect(Buffer.from(record.hash, "base64url")).toHaveLength(32);
  });

  it("never repeats ids, secrets or salts", () => {
    const keys = Array.from({ length: 200 }, () => generateApiKey("t"));
    expect(new Set(keys.map((k) => k.record.id)).size).toBe(200);
    expect(new Set(keys.map((k) => k.key.reveal())).size).toBe(200);
    expect(new Set(keys.map((k) => k.record.salt)).size).toBe(200);
  });

  it("refuses an empty tenant", () => {
    expect(() => generateApiKey("")).toThrow(TypeError);
  });
});

describe("verifyApiKey", () => {
  it("accepts the generated key and names its tenant", async () => {
    const { key, record } = generateApiKey("tenant-a");
    const lookup = store(record);
    await expect(verifyApiKey(key.reveal(), lookup)).resolves.toEqual({
      ok: true,
      tenantId: "tenant-a",
      keyId: record.id,
    });
    expect(lookup).toHaveBeenCalledWith(record.id);
  });

  it("supports async lookups", async () => {
    const { key, record } = generateApiKey("tenant-a");
    const result = await verifyApiKey(key.reveal(), async (id) => (id === record.id ? record : undefined));
    expect(result.ok).toBe(true);
  });

  it("rejects a changed secret character at every position", async () => {
    const { key, record } = generateApiKey("tenant-a");
    const lookup = store(record);
    for (let i = 0; i < 43; i++) {
      const result = await verifyApiKey(flipSecretChar(key.reveal(), i), lookup);
      expect(result).toEqual({ ok: false, reason: "mismatch" });
    }
  });

  it("rejects a key whose id belongs to another record (secrets are bound to their id)", async () => {
    const a = generateApiKey("tenant-a");
    const b = generateApiKey("tenant-b");
    const swapped = `am_${b.record.id}_${a.key.reveal().slice(-43)}`;
    expect(await verifyApiKey(swapped, store(a.record, b.record))).toEqual({ ok: false, reason: "mismatch" });
    // A record returned for the wrong id by a buggy store is still refused.
    expect(verifyApiKeyAgainst(a.key.reveal(), { ...a.record, id: b.record.id })).toBe(false);
    // A record with the right id but another key's salt and hash is refused.
    expect(verifyApiKeyAgainst(a.key.reveal(), { ...b.record, id: a.record.id })).toBe(false);
  });

  it("unknown ids are reported as unknown after the same hashing work", async () => {
    const { key } = generateApiKey("tenant-a");
    expect(await verifyApiKey(key.reveal(), store())).toEqual({ ok: false, reason: "unknown" });
    expect(await verifyApiKey(key.reveal(), () => null)).toEqual({ ok: false, reason: "unknown" });
  });

  it("missing and malformed keys never throw and never reach the store", async () => {
    const lookup = store();
    expect(await verifyApiKey(undefined, lookup)).toEqual({ ok: false, reason: "missing" });
    expect(await verifyApiKey(null, lookup)).toEqual({ ok: false, reason: "missing" });
    expect(await verifyApiKey("", lookup)).toEqual({ ok: false, reason: "missing" });
    const { key } = generateApiKey("t");
    const good = key.reveal();
    const bad: unknown[] = [
      "am_",
      "am__",
      good.toUpperCase(),
      good.replace("am_", "AM_"),
      good.replace("am_", "xx_"),
      `${good}x`,
      good.slice(0, -1),
      ` ${good}`,
      `${good.slice(0, 19)}-${good.slice(20)}`,
      `am_${"g".repeat(16)}_${"a".repeat(43)}`,
      `am_${"a".repeat(16)}_${"a".repeat(42)}!`,
      "x".repeat(1_000_000),
      42,
      {},
      [],
      Symbol("k"),
      new Secret(good),
    ];
    for (const input of bad) {
      expect(await verifyApiKey(input, lookup)).toEqual({ ok: false, reason: "malformed" });
      expect(verifyApiKeyAgainst(input, undefined)).toBe(false);
    }
    expect(lookup).not.toHaveBeenCalled();
  });

  it("corrupt stored records are a mismatch, not a throw", async () => {
    const { key, record } = generateApiKey("t");
    const corrupt: StoredApiKey[] = [
      { ...record, hash: "" },
      { ...record, hash: "!!!" },
      { ...record, hash: record.hash.slice(0, 10) },
      { ...record, salt: "" },
      { ...record, version: 2 as 1 },
      { ...record, hash: 7 as unknown as string },
    ];
    for (const r of corrupt) {
      expect(await verifyApiKey(key.reveal(), () => r)).toEqual({ ok: false, reason: "mismatch" });
    }
  });

  it("store failures propagate (a 5xx for the HTTP layer, not a 401)", async () => {
    const { key } = generateApiKey("t");
    await expect(
      verifyApiKey(key.reveal(), () => {
        throw new Error("db down");
      }),
    ).rejects.toThrow("db down");
  });
});

describe("helpers", () => {
  it("parseApiKey returns the id and a Secret", () => {
    const { key, record } = generateApiKey("t");
    const parsed = parseApiKey(key.reveal());
    expect(parsed?.id).toBe(record.id);
    expect(parsed?.secret).toBeInstanceOf(Secret);
    expect(parseApiKey("nope")).toBeNull();
  });

  it("apiKeyFromHeader reads Bearer and bare values", () => {
    const { key } = generateApiKey("t");
    const raw = key.reveal();
    expect(apiKeyFromHeader(`Bearer ${raw}`)).toBe(raw);
    expect(apiKeyFromHeader(`bearer   ${raw}`)).toBe(raw);
    expect(apiKeyFromHeader(raw)).toBe(raw);
    expect(apiKeyFromHeader("Bearer eyJhbGciOi.x.y")).toBeNull();
    expect(apiKeyFromHeader(`Basic ${raw}`)).toBeNull();
    expect(apiKeyFromHeader(undefined)).toBeNull();
    expect(apiKeyFromHeader(["a"])).toBeNull();
    expect(apiKeyFromHeader(`Bearer ${"a".repeat(10_000)}`)).toBeNull();
  });

  it("maskApiKey shows only the id", () => {
    const { key, record } = generateApiKey("t");
    expect(maskApiKey(record)).toBe(`am_${record.id}_…`);
    expect(maskApiKey(record.id)).not.toContain(key.reveal().slice(-43));
  });
});
