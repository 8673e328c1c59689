import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { Secret } from "../config/secret.js";
import {
  decryptSecrets,
  EnvelopeError,
  encryptSecrets,
  envelopeKeyId,
  loadMasterKeyring,
  MASTER_KEY_ENV,
  MasterKeyConfigError,
  MasterKeyring,
  masterKeyFingerprint,
  PREVIOUS_MASTER_KEYS_ENV,
  rewrap,
} from "./envelope.js";

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const ring1 = MasterKeyring.from([{ id: "k1", key: k1 }]);
const ring2 = MasterKeyring.from([{ id: "k2", key: k2 }]);
const both = MasterKeyring.from(
  [
    { id: "k2", key: k2 },
    { id: "k1", key: k1 },
  ],
  "k2",
);
const SECRETS = { productToken: "ATATT-product-token", bitbucketOAuthSecret: "bb-secret", empty: "", emoji: "ключ🔑" };

function reveal(rec: Record<string, Secret>): Record<string, string> {
  return Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, v.reveal()]));
}

function failure(fn: () => unknown): EnvelopeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EnvelopeError);
    return err as EnvelopeError;
  }
  throw new Error("expected an EnvelopeError");
}

describe("encryptSecrets / decryptSecrets (X4)", () => {
  it("round-trips and returns Secret values", () => {
    const blob = encryptSecrets("tenant-a", SECRETS, ring1);
    const out = decryptSecrets("tenant-a", blob, ring1);
    expect(Object.values(out).every((v) => v instanceof Secret)).toBe(true);
    expect(reveal(out)).toEqual(SECRETS);
    expect(JSON.stringify(out)).not.toContain("product-token");
  });

  it("stores ciphertext: no secret or tenant bytes appear in the blob", () => {
    const blob = encryptSecrets("tenant-a", SECRETS, ring1);
    for (const v of ["ATATT-product-token", "bb-secret", "productToken", "tenant-a"]) {
      expect(blob.includes(Buffer.from(v))).toBe(false);
    }
    expect(blob.subarray(0, 3)).toEqual(Buffer.from([0x41, 0x4d, 0x01]));
    expect(envelopeKeyId(blob)).toBe("k1");
  });

  it("uses a fresh data key and IVs each time", () => {
    const a = encryptSecrets("t", SECRETS, ring1);
    const b = encryptSecrets("t", SECRETS, ring1);
    expect(a.equals(b)).toBe(false);
  });

  it("a wrong tenant fails to decrypt with a typed error", () => {
    const blob = encryptSecrets("tenant-a", SECRETS, ring1);
    const err = failure(() => decryptSecrets("tenant-b", blob, ring1));
    expect(err.reason).toBe("authentication-failed");
    expect(err.message).not.toContain("tenant-a");
    expect(err.message).not.toContain("tenant-b");
  });

  it("tenant binding is length-prefixed (no ambiguity between similar ids)", () => {
    const blob = encryptSecrets("ab", SECRETS, ring1);
    expect(failure(() => decryptSecrets("ab\0", blob, ring1)).reason).toBe("authentication-failed");
    expect(failure(() => decryptSecrets("a", blob, ring1)).reason).toBe("authentication-failed");
  });

  it("every single flipped byte is detected", () => {
    const blob = encryptSecrets("tenant-a", { t: "x".repeat(40) }, ring1);
    for (let i = 0; i < blob.length; i++) {
      const tampered = Buffer.from(blob);
      tampered[i] = (tampered[i] ?? 0) ^ 0x01;
      const err = failure(() => decryptSecrets("tenant-a", tampered, ring1));
      expect(["authentication-failed", "malformed", "unsupported-version", "unknown-key"]).toContain(err.reason);
    }
  });

  it("truncation, garbage and wrong versions are malformed, not crashes", () => {
    const blob = encryptSecrets("t", SECRETS, ring1);
    expect(failure(() => decryptSecrets("t", blob.subarray(0, 20), ring1)).reason).toBe("malformed");
    expect(failure(() => decryptSecrets("t", Buffer.alloc(0), ring1)).reason).toBe("malformed");
    expect(failure(() => decryptSecrets("t", randomBytes(200), ring1)).reason).toBe("malformed");
    const v2 = Buffer.from(blob);
    v2[2] = 2;
    expect(failure(() => decryptSecrets("t", v2, ring1)).reason).toBe("unsupported-version");
    const noId = Buffer.from(blob);
    noId[3] = 0;
    expect(failure(() => decryptSecrets("t", noId, ring1)).reason).toBe("malformed");
    // Truncating the data part (dropping the last ciphertext byte) fails authentication.
    expect(failure(() => decryptSecrets("t", blob.subarray(0, blob.length - 1), ring1)).reason).toBe(
      "authentication-failed",
    );
  });

  it("a key id missing from the keyring is unknown-key; a different key under the same id fails auth", () => {
    const blob = encryptSecrets("t", SECRETS, ring1);
    expect(failure(() => decryptSecrets("t", blob, ring2)).reason).toBe("unknown-key");
    const impostor = MasterKeyring.from([{ id: "k1", key: k2 }]);
    expect(failure(() => decryptSecrets("t", blob, impostor)).reason).toBe("authentication-failed");
  });

  it("accepts Uint8Array blobs and handles empty and odd secret names", () => {
    const odd: Record<string, string> = { constructor: "c", "": "empty-name" };
    Object.defineProperty(odd, "__proto__", { value: "p", enumerable: true });
    const blob = encryptSecrets("t", odd, ring1);
    const out = decryptSecrets("t", new Uint8Array(blob), ring1);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(Object.entries(reveal(out))).toEqual(Object.entries(odd));
    expect(reveal(decryptSecrets("t", encryptSecrets("t", {}, ring1), ring1))).toEqual({});
  });

  it("rejects bad inputs to encrypt", () => {
    expect(() => encryptSecrets("", SECRETS, ring1)).toThrow(TypeError);
    expect(() => encryptSecrets("t", { a: 1 as unknown as string }, ring1)).toThrow(TypeError);
  });
});

describe("rotation", () => {
  it("rewrap moves a blob to the new master key without changing the data ciphertext", () => {
    const blob = encryptSecrets("tenant-a", SECRETS, ring1);
    const moved = rewrap("tenant-a", blob, ring1, ring2);
    expect(envelopeKeyId(moved)).toBe("k2");
    // The data part (last 12 + 16 + n bytes) is copied byte for byte.
    const dataLen = blob.length - (4 + 2 + 12 + 16 + 32);
    expect(moved.subarray(moved.length - dataLen).equals(blob.subarray(blob.length - dataLen))).toBe(true);
    expect(reveal(decryptSecrets("tenant-a", moved, ring2))).toEqual(SECRETS);
    expect(failure(() => decryptSecrets("tenant-a", moved, ring1)).reason).toBe("unknown-key");
  });

  it("a keyring with old and new keys decrypts both and rewraps to the primary", () => {
    const old = encryptSecrets("t", SECRETS, ring1);
    const fresh = encryptSecrets("t", SECRETS, both);
    expect(envelopeKeyId(fresh)).toBe("k2");
    expect(reveal(decryptSecrets("t", old, both))).toEqual(SECRETS);
    const moved = rewrap("t", old, both);
    expect(envelopeKeyId(moved)).toBe("k2");
    expect(reveal(decryptSecrets("t", moved, ring2))).toEqual(SECRETS);
  });

  it("rewrap keeps the tenant binding and refuses another tenant's blob", () => {
    const blob = encryptSecrets("tenant-a", SECRETS, ring1);
    expect(failure(() => rewrap("tenant-b", blob, ring1, ring2)).reason).toBe("authentication-failed");
    const moved = rewrap("tenant-a", blob, ring1, ring2);
    expect(failure(() => decryptSecrets("tenant-b", moved, ring2)).reason).toBe("authentication-failed");
  });
});

describe("MasterKeyring", () => {
  it("never prints key material", () => {
    const hex = k1.toString("hex");
    const b64 = k1.toString("base64");
    for (const s of [JSON.stringify(ring1), String(ring1), inspect(ring1, { showHidden: true, depth: 5 })]) {
      expect(s).not.toContain(hex);
      expect(s).not.toContain(b64);
    }
    expect(ring1.toJSON()).toEqual({ primaryId: "k1", ids: ["k1"] });
    expect(both.ids()).toEqual(["k2", "k1"]);
  });

  it("validates keys and ids", () => {
    expect(() => MasterKeyring.from([])).toThrow(TypeError);
    expect(() => MasterKeyring.from([{ id: "a", key: randomBytes(16) }])).toThrow(TypeError);
    expect(() => MasterKeyring.from([{ id: "bad id", key: k1 }])).toThrow(TypeError);
    expect(() =>
      MasterKeyring.from([
        { id: "a", key: k1 },
        { id: "a", key: k2 },
      ]),
    ).toThrow(TypeError);
    expect(() => MasterKeyring.from([{ id: "a", key: k1 }], "b")).toThrow(TypeError);
  });

  it("copies key bytes, so a caller zeroing its buffer does not break the ring", () => {
    const key = randomBytes(32);
    const ring = MasterKeyring.from([{ id: "z", key }]);
    const blob = encryptSecrets("t", SECRETS, ring);
    key.fill(0);
    expect(reveal(decryptSecrets("t", blob, ring))).toEqual(SECRETS);
  });
});

describe("loadMasterKeyring", () => {
  const b64 = k1.toString("base64");

  function configError(env: Record<string, string | undefined>): MasterKeyConfigError {
    try {
      loadMasterKeyring(env);
    } catch (err) {
      expect(err).toBeInstanceOf(MasterKeyConfigError);
      return err as MasterKeyConfigError;
    }
    throw new Error("expected a MasterKeyConfigError");
  }

  it("reads a bare base64 key and names it by fingerprint", () => {
    const ring = loadMasterKeyring({ [MASTER_KEY_ENV]: b64 });
    expect(ring.primaryId).toBe(masterKeyFingerprint(k1));
    expect(ring.primaryId).toMatch(/^[0-9a-f]{12}$/);
    expect(reveal(decryptSecrets("t", encryptSecrets("t", SECRETS, ring), ring))).toEqual(SECRETS);
  });

  it("reads id:base64, base64url and unpadded forms", () => {
    expect(loadMasterKeyring({ [MASTER_KEY_ENV]: `prod-2026:${b64}` }).primaryId).toBe("prod-2026");
    const url = k1.toString("base64url");
    expect(loadMasterKeyring({ [MASTER_KEY_ENV]: url }).primaryId).toBe(masterKeyFingerprint(k1));
    expect(loadMasterKeyring({ [MASTER_KEY_ENV]: ` ${b64.replace(/=+$/, "")}\n` }).primaryId).toBe(
      masterKeyFingerprint(k1),
    );
  });

  it("adds previous keys for decryption during a rotation", () => {
    const oldRing = loadMasterKeyring({ [MASTER_KEY_ENV]: `old:${b64}` });
    const blob = encryptSecrets("t", SECRETS, oldRing);
    const ring = loadMasterKeyring({
      [MASTER_KEY_ENV]: `new:${k2.toString("base64")}`,
      [PREVIOUS_MASTER_KEYS_ENV]: `old:${b64}, `,
    });
    expect(ring.ids()).toEqual(["new", "old"]);
    expect(reveal(decryptSecrets("t", blob, ring))).toEqual(SECRETS);
    expect(envelopeKeyId(rewrap("t", blob, ring))).toBe("new");
  });

  it("missing or malformed keys name the variable and never print the value", () => {
    expect(configError({}).message).toContain(MASTER_KEY_ENV);
    expect(configError({ [MASTER_KEY_ENV]: "  " }).variable).toBe(MASTER_KEY_ENV);
    const short = randomBytes(16).toString("base64");
    const e1 = configError({ [MASTER_KEY_ENV]: short });
    expect(e1.message).toContain(MASTER_KEY_ENV);
    expect(e1.message).not.toContain(short);
    const notB64 = "this is not base64 at all!!!!!!!!!!!!!!!!!!!";
    expect(configError({ [MASTER_KEY_ENV]: notB64 }).message).not.toContain(notB64);
    expect(configError({ [MASTER_KEY_ENV]: `bad id:${b64}` }).message).not.toContain(b64);
    const e2 = configError({ [MASTER_KEY_ENV]: b64, [PREVIOUS_MASTER_KEYS_ENV]: "nope" });
    expect(e2.variable).toBe(PREVIOUS_MASTER_KEYS_ENV);
    const e3 = configError({ [MASTER_KEY_ENV]: `a:${b64}`, [PREVIOUS_MASTER_KEYS_ENV]: `a:${k2.toString("base64")}` });
    expect(e3.message).not.toContain(k2.toString("base64"));
  });
});
