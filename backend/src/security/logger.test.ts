import { describe, expect, it } from "vitest";
import { Secret } from "../config/secret.js";
import {
  createLogger,
  isSensitiveKey,
  type LogFields,
  type Logger,
  type LoggerOptions,
  parseLogLevel,
  REDACTED,
  redact,
  redactString,
  serializeError,
} from "./logger.js";

function capture(opts: Omit<LoggerOptions, "write"> = {}): { log: Logger; lines: string[]; records: () => unknown[] } {
  const lines: string[] = [];
  const log = createLogger({ now: () => new Date("2026-03-04T05:06:07.000Z"), ...opts, write: (l) => lines.push(l) });
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as unknown) };
}

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
  return { next, int, pick };
}

describe("createLogger", () => {
  it("writes one JSON object per line with level, time, msg, bindings and fields", () => {
    const { log, lines, records } = capture({ bindings: { service: "accessmap" } });
    log.info("started", { port: 8080 });
    log.child({ tenant: "acme" }).child({ run: 7 }).warn("slow", { ms: 1200 });
    expect(lines.every((l) => l.endsWith("\n") && l.indexOf("\n") === l.length - 1)).toBe(true);
    expect(records()).toEqual([
      { level: "info", time: "2026-03-04T05:06:07.000Z", msg: "started", service: "accessmap", port: 8080 },
      {
        level: "warn",
        time: "2026-03-04T05:06:07.000Z",
        msg: "slow",
        service: "accessmap",
        tenant: "acme",
        run: 7,
        ms: 1200,
      },
    ]);
    expect(Object.keys(records()[0] as object).slice(0, 3)).toEqual(["level", "time", "msg"]);
  });

  it("filters by level; silent writes nothing", () => {
    const { log, records } = capture({ level: "warn" });
    log.trace("t");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    log.fatal("f");
    expect(records().map((r) => (r as { level: string }).level)).toEqual(["warn", "error", "fatal"]);
    expect(log.isLevelEnabled("info")).toBe(false);
    expect(log.isLevelEnabled("error")).toBe(true);
    const silent = capture({ level: "silent" });
    silent.log.fatal("x");
    expect(silent.lines).toEqual([]);
  });

  it("fields cannot overwrite level, time or msg", () => {
    const { log, records } = capture();
    log.info("real", { level: "fatal", msg: "fake", time: "never" });
    expect(records()[0]).toMatchObject({ level: "info", msg: "real", _level: "fatal", _msg: "fake", _time: "never" });
  });

  it("later fields override bindings of the same name", () => {
    const { log, records } = capture();
    log.child({ a: 1 }).info("m", { a: 2 });
    expect(records()[0]).toMatchObject({ a: 2 });
  });

  it("never throws: cycles, BigInt, throwing getters, toJSON that throws, a throwing sink", () => {
    const { log, records } = capture();
    const cyclic: Record<string, unknown> = { name: "c" };
    cyclic.self = cyclic;
    const getter = Object.defineProperty({}, "boom", {
      enumerable: true,
      get() {
        throw new Error("getter");
      },
    });
    const badJson = {
      toJSON: () => {
        throw new Error("toJSON");
      },
    };
    const err = new Error("loop");
    (err as Error & { cause: unknown }).cause = err;
    expect(() =>
      log.info("odd", {
        cyclic,
        big: 10n,
        getter,
        badJson,
        err,
        fn: () => 1,
        sym: Symbol("s"),
        nan: Number.NaN,
        date: new Date(0),
        bad: new Date("x"),
      }),
    ).not.toThrow();
    const rec = records()[0] as Record<string, unknown>;
    expect(rec.cyclic).toEqual({ name: "c", self: "[Circular]" });
    expect(rec.big).toBe("10");
    expect(rec.getter).toEqual({ boom: "[Unreadable]" });
    expect(rec.badJson).toBe("[Unserializable]");
    expect((rec.err as { cause: unknown }).cause).toBe("[Circular]");
    expect(rec.nan).toBe("NaN");
    expect(rec.date).toBe("1970-01-01T00:00:00.000Z");
    const broken = createLogger({
      write: () => {
        throw new Error("EPIPE");
      },
    });
    expect(() => broken.error("x")).not.toThrow();
  });

  it("bounds depth, arrays and strings", () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const out = JSON.stringify(
      redact({ deep, arr: Array.from({ length: 1000 }, (_, i) => i), s: "x".repeat(100_000) }),
    );
    expect(out).toContain("[MaxDepth]");
    expect(out).toContain("800 more items");
    expect(out).toContain("[truncated]");
    expect(out.length).toBeLessThan(40_000);
  });

  it("parseLogLevel", () => {
    expect(parseLogLevel("DEBUG")).toBe("debug");
    expect(parseLogLevel(" silent ")).toBe("silent");
    expect(parseLogLevel("loud")).toBe("info");
    expect(parseLogLevel(undefined, "warn")).toBe("warn");
    expect(parseLogLevel("toString")).toBe("info");
  });
});

describe("redaction", () => {
  it("sensitive keys are recognized across spellings", () => {
    for (const k of [
      "authorization",
      "Authorization",
      "proxy-authorization",
      "cookie",
      "Set-Cookie",
      "token",
      "accessToken",
      "refresh_token",
      "productToken",
      "secret",
      "clientSecret",
      "bitbucketOAuthSecret",
      "password",
      "PASSWORD",
      "apiKey",
      "api_key",
      "X-API-Key",
      "adminApiKey",
      "x-forge-oauth-system",
      "x-forge-oauth-user",
      "X-Forge-OAuth-Whatever",
      "privateKey",
      "credentials",
      "auth",
      "jwt",
    ]) {
      expect(isSensitiveKey(k), k).toBe(true);
    }
    for (const k of ["name", "email", "key", "projectKey", "tokenUrl", "jwksUri", "status", "id", "x-request-id"]) {
      expect(isSensitiveKey(k), k).toBe(false);
    }
  });

  it("keeps non-secret data intact", () => {
    const value = {
      user: { id: "u1", name: "Ada", groups: ["admins", "devs"] },
      count: 3,
      ok: true,
      none: null,
      url: "https://acme.atlassian.net/rest/api/3/group/member?groupId=g1&startAt=50",
      projectKey: "PROJ",
    };
    expect(redact(value)).toEqual(value);
  });

  it("redacts whole subtrees under sensitive keys, but shows absent values", () => {
    expect(redact({ secrets: { a: "x", b: ["y"] }, token: null, password: "", apiKey: undefined })).toEqual({
      secrets: REDACTED,
      token: null,
      password: "",
      apiKey: undefined,
    });
  });

  it("redacts Secret values anywhere", () => {
    expect(redact({ list: [new Secret("s1")], nested: { v: new Secret("s2") } })).toEqual({
      list: [REDACTED],
      nested: { v: REDACTED },
    });
  });

  it("scrubs credentials inside strings", () => {
    const cases: [string, string][] = [
      ["https://x.test/cb?code=abc123&state=ok", `https://x.test/cb?code=${REDACTED}&state=ok`],
      ["GET /api?token=abc&page=2", `GET /api?token=${REDACTED}&page=2`],
      [
        "https://x.test/?key=K&access_token=T&api_key=A",
        `https://x.test/?key=${REDACTED}&access_token=${REDACTED}&api_key=${REDACTED}`,
      ],
      ["https://user:pa55@host.test/p", `https://${REDACTED}@host.test/p`],
      ["https://ghp_tok@github.com/x", `https://${REDACTED}@github.com/x`],
      ["Authorization: Bearer abcdef123456", `Authorization: Bearer ${REDACTED}`],
      ["basic dXNlcjpwYXNz", `basic ${REDACTED}`],
      ['{"access_token":"abc","expires_in":3600}', `{"access_token":"${REDACTED}","expires_in":3600}`],
      ['{"client_secret": "a\\"b"}', `{"client_secret": "${REDACTED}"}`],
      ['body: {"refresh_token":"cut-off', `body: {"refresh_token":"${REDACTED}"`],
      ["{ authorization: 'Bearer x' }", `{ authorization: '${REDACTED}' }`],
      ["fit eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln end", `fit ${REDACTED} end`],
      [`key am_0123456789abcdef_${"A".repeat(43)}`, `key am_0123456789abcdef_${REDACTED}`],
      [`t=ATATT3xFfGF0${"Z".repeat(30)}`, `t=${REDACTED}`],
      ["plain text with monkey business", "plain text with monkey business"],
      ['{"name":"Ada","email":"a@b.c"}', '{"name":"Ada","email":"a@b.c"}'],
    ];
    for (const [input, expected] of cases) expect(redactString(input), input).toBe(expected);
  });

  it("string scrubbing stays fast on adversarial input", () => {
    const inputs = [
      "a".repeat(60_000),
      "a.".repeat(30_000),
      `${"a".repeat(60_000)}=`,
      '"'.repeat(60_000),
      `"${"a".repeat(90)}":"`.repeat(600),
      "a://".repeat(15_000),
      "eyJ".repeat(20_000),
    ];
    const t0 = performance.now();
    for (const s of inputs) redactString(s);
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it("redacts URL objects, URLSearchParams, Headers, Maps and raw header arrays", () => {
    const out = redact({
      url: new URL("https://u:p@api.test/x?token=T1&q=1"),
      params: new URLSearchParams("api_key=K1&page=3"),
      headers: new Headers({ Authorization: "Bearer H1", "x-forge-oauth-system": "F1", accept: "json" }),
      map: new Map<unknown, unknown>([
        ["Cookie", "C1"],
        ["host", "h"],
      ]),
      objMap: new Map<unknown, unknown>([
        [1, "one"],
        ["set-cookie", ["S1"]],
      ]),
      raw: ["Host", "api.test", "Authorization", "Basic QWxhZGRpbjpvcGVu", "Set-Cookie", ["sid=S2"]],
      pairs: [
        ["authorization", "Bearer P1"],
        ["accept", "json"],
      ],
      set: new Set(["a", new Secret("Z1")]),
      bytes: Buffer.from("secret bytes B1"),
    });
    const json = JSON.stringify(out);
    for (const canary of ["T1", "K1", "H1", "F1", "C1", "S1", "S2", "QWxhZGRpbjpvcGVu", "P1", "Z1", "B1", "u:p"]) {
      expect(json, canary).not.toContain(canary);
    }
    expect(out).toMatchObject({
      params: { api_key: REDACTED, page: "3" },
      headers: { authorization: REDACTED, "x-forge-oauth-system": REDACTED, accept: "json" },
      map: { Cookie: REDACTED, host: "h" },
      raw: ["Host", "api.test", "Authorization", REDACTED, "Set-Cookie", REDACTED],
      pairs: [
        ["authorization", REDACTED],
        ["accept", "json"],
      ],
      bytes: "[Buffer 15 bytes]",
    });
    expect((out as { url: string }).url).toContain("q=1");
  });
});

describe("X2: error serialization", () => {
  it("serializes name, message, code, status, stack and own fields", () => {
    const err = Object.assign(new TypeError("bad thing"), { code: "E_BAD", status: 502, detail: { path: "/x" } });
    const out = serializeError(err) as Record<string, unknown>;
    expect(out).toMatchObject({
      type: "TypeError",
      message: "bad thing",
      code: "E_BAD",
      status: 502,
      detail: { path: "/x" },
    });
    expect(typeof out.stack).toBe("string");
    const withStatusCode = serializeError(Object.assign(new Error("x"), { statusCode: 404 })) as Record<
      string,
      unknown
    >;
    expect(withStatusCode.status).toBe(404);
  });

  it("an undici-style error whose cause holds headers is redacted along the whole chain", () => {
    const socketErr = Object.assign(new Error("other side closed"), {
      code: "UND_ERR_SOCKET",
      socket: { localAddress: "10.0.0.1", remotePort: 443 },
    });
    const requestErr = Object.assign(new Error("request failed", { cause: socketErr }), {
      code: "UND_ERR_REQUEST",
      headers: { authorization: "Bearer CANARY-A", "x-forge-oauth-user": "CANARY-B", "user-agent": "accessmap" },
      rawHeaders: ["set-cookie", "sid=CANARY-C"],
      url: "https://api.atlassian.com/x?access_token=CANARY-D",
    });
    const fetchErr = new TypeError("fetch failed", { cause: requestErr });
    const { log, lines } = capture();
    log.error("call failed", { err: fetchErr });
    const line = lines.join("");
    for (const c of ["CANARY-A", "CANARY-B", "CANARY-C", "CANARY-D"]) expect(line).not.toContain(c);
    const rec = JSON.parse(line) as { err: Record<string, unknown> };
    expect(rec.err).toMatchObject({
      type: "TypeError",
      message: "fetch failed",
      cause: {
        type: "Error",
        code: "UND_ERR_REQUEST",
        headers: { authorization: REDACTED, "user-agent": "accessmap" },
        cause: { code: "UND_ERR_SOCKET", socket: { remotePort: 443 } },
      },
    });
  });

  it("AggregateError lists its errors; non-Error causes and thrown values are handled", () => {
    const agg = new AggregateError([new Error("a"), { token: "T" }], "many");
    const out = serializeError(agg) as { errors: unknown[] };
    expect(out.errors).toHaveLength(2);
    expect(JSON.stringify(out)).not.toContain('"T"');
    expect(serializeError({ password: "p" })).toEqual({ password: REDACTED });
    expect(serializeError("plain ?token=abc")).toBe(`plain ?token=${REDACTED}`);
    const msgLeak = new Error("401 for https://x.test/?token=LEAK1 with Bearer LEAK2abc");
    expect(JSON.stringify(serializeError(msgLeak))).not.toMatch(/LEAK1|LEAK2/);
  });

  it("caps very long cause chains", () => {
    let err = new Error("root");
    for (let i = 0; i < 50; i++) err = new Error(`level ${i}`, { cause: err });
    const json = JSON.stringify(serializeError(err));
    expect(json).toMatch(/cause chain truncated|MaxDepth/);
  });
});

describe("X1: property test — a canary secret at depth 1–6 never reaches the output", () => {
  type Carrier = (canary: string, r: ReturnType<typeof rng>) => unknown;

  const headerCase = (name: string, r: ReturnType<typeof rng>) =>
    r.pick([
      name,
      name.toUpperCase(),
      name.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase()),
    ]);

  const carriers: Carrier[] = [
    (c, r) => ({ [headerCase("authorization", r)]: `Bearer ${c}` }),
    (c, r) => ({ [headerCase("proxy-authorization", r)]: `Basic ${c}` }),
    (c, r) => ({ [headerCase("set-cookie", r)]: [`sid=${c}; HttpOnly`, "other=1"] }),
    (c, r) => ({ [headerCase("cookie", r)]: `a=1; session=${c}` }),
    (c, r) => ({ [headerCase(r.pick(["x-forge-oauth-system", "x-forge-oauth-user"]), r)]: c }),
    (c, r) => ({ [r.pick(["token", "accessToken", "refresh_token", "productToken", "scimToken"])]: c }),
    (c, r) => ({ [r.pick(["secret", "clientSecret", "bitbucketOAuthSecret", "webhookSecret"])]: c }),
    (c, r) => ({ [r.pick(["password", "Password", "passwd"])]: c }),
    (c, r) => ({ [r.pick(["apiKey", "api_key", "x-api-key", "adminApiKey"])]: c }),
    (c) => new Secret(c),
    (c, r) =>
      `https://api.atlassian.com/ex/jira/x?${r.pick(["token", "key", "access_token", "api_key", "apikey"])}=${c}&page=2`,
    (c, r) => new URL(`https://h.test/p?a=1&${r.pick(["token", "key", "sig"])}=${c}`),
    (c) => `https://user:${c}@bitbucket.org/acme/repo.git`,
    (c, r) => new Headers({ [headerCase("authorization", r)]: `Bearer ${c}`, accept: "application/json" }),
    (c) => new Map([["Authorization", `Bearer ${c}`]]),
    (c) => ["host", "api.test", "authorization", `Bearer ${c}`],
    (c) => [["x-forge-oauth-system", c]],
    (c) => Object.assign(new Error("upstream"), { headers: { authorization: `Bearer ${c}` } }),
    (c) => new Error(`request to https://x.test/?token=${c} failed`),
    (c) => ({ secrets: { nested: [{ value: c }] } }),
  ];

  type Wrapper = (inner: unknown, r: ReturnType<typeof rng>) => unknown;
  const wrappers: Wrapper[] = [
    (inner, r) => ({ [r.pick(["data", "request", "response", "ctx", "payload", "details"])]: inner, keep: "visible" }),
    (inner, r) => {
      const arr: unknown[] = ["a", 1, null];
      arr.splice(r.int(arr.length + 1), 0, inner);
      return arr;
    },
    (inner) => new Map<string, unknown>([["entry", inner]]),
    (inner) => new Error("outer failure", { cause: inner }),
    (inner) => Object.assign(new Error("with field"), { response: inner }),
    (inner) => ({ toJSON: () => ({ wrapped: inner }) }),
    (inner) => new Set([inner]),
  ];

  it("2,000 seeded cases", () => {
    const seed = 0x0c4_a11e;
    const r = rng(seed);
    for (let run = 0; run < 2000; run++) {
      const canary = `cnry${Math.floor(r.next() * 2 ** 48).toString(16)}x${run}`;
      let value = r.pick(carriers)(canary, r);
      const depth = 1 + r.int(6);
      for (let d = 1; d < depth; d++) value = r.pick(wrappers)(value, r);
      const { log, lines } = capture({ level: "trace" });
      const how = r.int(4);
      const fields: LogFields = { [r.pick(["payload", "req", "err", "detail"])]: value, visible: "kept" };
      if (how === 0) log.info("event", fields);
      else if (how === 1) log.error("failure", { err: value });
      else if (how === 2) log.child(fields).warn("bound");
      else log.child({ scope: "x" }).debug("nested", fields);
      const out = lines.join("");
      expect(out.includes(canary), `seed ${seed} run ${run}: ${out}`).toBe(false);
      if (how !== 1) expect(out).toContain("kept");
    }
  });
});
