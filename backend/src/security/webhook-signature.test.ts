import { createHmac } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { Secret } from "../config/secret.js";
import { signWebhookBody, WebhookSecretConfigError, WebhookVerifier } from "./webhook-signature.js";

/** mulberry32: a small seeded PRNG, so a failing case is reproducible from its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const str = (n: number) => {
    const alphabet = ["a", "Z", "0", " ", "=", "é", "🔑", "\u0000", "\n", "ß", "_", "-"];
    return Array.from({ length: n }, () => pick(alphabet)).join("");
  };
  return { next, int, pick, bytes, str };
}

/** The oracle, written independently of the implementation. */
function oracle(body: Buffer, secret: string): string {
  return `sha256=${createHmac("sha256", Buffer.from(secret, "utf8")).update(body).digest("hex")}`;
}

const BODY = JSON.stringify({ eventKey: "repo:push", repository: { full_name: "acme/api" } });
const SECRET = "s3cr3t-webhook";
const SIG = oracle(Buffer.from(BODY), SECRET);

describe("WebhookVerifier", () => {
  it("W1: accepts a correct signature over the raw body (string, Buffer, Uint8Array, ArrayBuffer)", () => {
    const v = new WebhookVerifier(SECRET);
    const buf = Buffer.from(BODY);
    expect(v.verify(BODY, SIG)).toBe(true);
    expect(v.verify(buf, SIG)).toBe(true);
    expect(v.verify(new Uint8Array(buf), SIG)).toBe(true);
    expect(v.verify(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), SIG)).toBe(true);
    expect(v.verify(BODY, [SIG])).toBe(true);
    expect(signWebhookBody(BODY, SECRET)).toBe(SIG);
    expect(new WebhookVerifier(new Secret(SECRET)).verify(BODY, SIG)).toBe(true);
  });

  it("verifies the exact bytes: re-serialized JSON does not match", () => {
    const v = new WebhookVerifier(SECRET);
    expect(v.verify(JSON.stringify(JSON.parse(BODY), null, 2), SIG)).toBe(false);
  });

  it("W3: one flipped bit anywhere in the body or the signature is rejected", () => {
    const v = new WebhookVerifier(SECRET);
    const body = Buffer.from(BODY);
    for (let i = 0; i < body.length; i++) {
      const b = Buffer.from(body);
      b[i] = (b[i] ?? 0) ^ 0x01;
      expect(v.verify(b, SIG)).toBe(false);
    }
    const hexStart = "sha256=".length;
    for (let i = hexStart; i < SIG.length; i++) {
      const c = SIG[i];
      const flipped = SIG.slice(0, i) + (c === "0" ? "1" : "0") + SIG.slice(i + 1);
      expect(v.verify(BODY, flipped)).toBe(false);
    }
  });

  it("W4: a missing header is false; an empty or blank secret throws at construction", () => {
    const v = new WebhookVerifier(SECRET);
    expect(v.verify(BODY, undefined)).toBe(false);
    expect(v.verify(BODY, null)).toBe(false);
    expect(v.verify(BODY, "")).toBe(false);
    expect(() => new WebhookVerifier("")).toThrow(WebhookSecretConfigError);
    expect(() => new WebhookVerifier("   ")).toThrow(WebhookSecretConfigError);
    expect(() => new WebhookVerifier(new Secret(""))).toThrow(WebhookSecretConfigError);
    expect(() => new WebhookVerifier([])).toThrow(WebhookSecretConfigError);
    expect(() => new WebhookVerifier([SECRET, ""])).toThrow(WebhookSecretConfigError);
    expect(() => new WebhookVerifier(undefined as unknown as string)).toThrow(WebhookSecretConfigError);
    expect(() => new WebhookVerifier(["a", "b", "c"])).toThrow(WebhookSecretConfigError);
  });

  it("W5: wrong prefix, uppercase hex, wrong length, non-hex and odd types are false without throwing", () => {
    const v = new WebhookVerifier(SECRET);
    const hex = SIG.slice(7);
    const sha1 = `sha1=${createHmac("sha1", SECRET).update(BODY).digest("hex")}`;
    const cases: unknown[] = [
      sha1,
      `sha1=${hex}`,
      `SHA256=${hex}`,
      `sha256=${hex.toUpperCase()}`,
      `sha256:${hex}`,
      `sha256= ${hex.slice(1)}`,
      ` ${SIG}`,
      `${SIG} `,
      `${SIG}\n`,
      hex,
      `sha256=${hex.slice(0, 63)}`,
      `sha256=${hex}0`,
      `sha256=${hex}00`,
      `sha256=${"z".repeat(64)}`,
      `sha256=${"g".repeat(64)}`,
      "sha256=",
      `sha256=${hex},sha256=${hex}`,
      [SIG, SIG],
      [],
      [42],
      42,
      {},
      { toString: () => SIG },
      new String(SIG),
      Buffer.from(SIG),
      Symbol("x"),
      true,
    ];
    for (const header of cases) {
      expect(() => v.verify(BODY, header)).not.toThrow();
      expect(v.verify(BODY, header)).toBe(false);
    }
    // Odd bodies are false, not a throw.
    for (const body of [undefined, null, 42, {}, [1, 2], Symbol("b")]) {
      expect(v.verify(body, SIG)).toBe(false);
    }
  });

  it("W8: during a rotation both secrets verify; match() tells which one", () => {
    const v = new WebhookVerifier(["new-secret", SECRET]);
    expect(v.verify(BODY, oracle(Buffer.from(BODY), "new-secret"))).toBe(true);
    expect(v.verify(BODY, SIG)).toBe(true);
    expect(v.match(BODY, oracle(Buffer.from(BODY), "new-secret"))).toBe(0);
    expect(v.match(BODY, SIG)).toBe(1);
    expect(v.match(BODY, oracle(Buffer.from(BODY), "other"))).toBe(-1);
    // After the window, the old secret is removed and no longer verifies.
    const after = new WebhookVerifier(["new-secret"]);
    expect(after.verify(BODY, SIG)).toBe(false);
  });

  it("never prints its secrets", () => {
    const v = new WebhookVerifier([SECRET, "second-secret"]);
    for (const s of [JSON.stringify({ v }), inspect(v), String(JSON.stringify(v))]) {
      expect(s).not.toContain(SECRET);
      expect(s).not.toContain("second-secret");
    }
  });

  it("an empty body can be signed and verified", () => {
    const v = new WebhookVerifier(SECRET);
    expect(v.verify("", oracle(Buffer.alloc(0), SECRET))).toBe(true);
    expect(v.verify(Buffer.alloc(0), oracle(Buffer.alloc(0), SECRET))).toBe(true);
  });
});

describe("P4: property test (2,000 seeded cases)", () => {
  it("verify never throws and is true exactly for a correct signature under a configured secret", () => {
    const seed = 0x5eed_0004;
    const r = rng(seed);
    let trues = 0;
    for (let run = 0; run < 2000; run++) {
      const secrets = Array.from({ length: 1 + r.int(2) }, () => r.str(1 + r.int(40)));
      const usable = secrets.map((s) => (s.trim() === "" ? `${s}k` : s));
      const body = r.next() < 0.5 ? r.bytes(r.int(600)) : Buffer.from(r.str(r.int(300)), "utf8");
      const v = new WebhookVerifier(usable);
      const signer = r.next() < 0.8 ? r.pick(usable) : r.str(1 + r.int(20));
      const good = oracle(body, signer);
      let header: unknown;
      let presentedBody: unknown = body;
      switch (r.int(10)) {
        case 0:
        case 1:
        case 2:
          header = good;
          break;
        case 3: {
          // Flip a bit in the body.
          if (body.length === 0) {
            presentedBody = Buffer.from([r.int(256)]);
          } else {
            const b = Buffer.from(body);
            const i = r.int(b.length);
            b[i] = (b[i] ?? 0) ^ (1 << r.int(8));
            presentedBody = b;
          }
          header = good;
          break;
        }
        case 4: {
          // Change one hex digit of the signature.
          const i = 7 + r.int(64);
          const c = good[i] ?? "0";
          const d = r.pick([..."0123456789abcdef"].filter((x) => x !== c));
          header = good.slice(0, i) + d + good.slice(i + 1);
          break;
        }
        case 5:
          header = r.pick([good.toUpperCase(), good.replace("sha256=", "sha1="), good.slice(0, r.int(good.length))]);
          break;
        case 6:
          header = `${good}${r.str(1 + r.int(3))}`;
          break;
        case 7:
          header = r.str(r.int(90));
          break;
        case 8:
          header = `sha256=${r.bytes(32).toString("hex")}`;
          break;
        default:
          header = r.pick([undefined, null, 0, [good], [good, good], {}, Buffer.from(good)]);
      }
      let result: boolean | undefined;
      expect(() => {
        result = v.verify(presentedBody, header);
      }, `seed ${seed} run ${run}`).not.toThrow();
      const expected =
        (typeof header === "string" || (Array.isArray(header) && header.length === 1)) &&
        Buffer.isBuffer(presentedBody) &&
        usable.some((s) => oracle(presentedBody as Buffer, s) === (Array.isArray(header) ? header[0] : header));
      expect(result, `seed ${seed} run ${run}`).toBe(expected);
      if (result) trues++;
    }
    // The generator exercises both outcomes substantially.
    expect(trues).toBeGreaterThan(300);
    expect(trues).toBeLessThan(1200);
  });
});
