import {
  AbortedError,
  AuthError,
  BulkheadFullError,
  CircuitOpenError,
  ConflictError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  OriginError,
  RateLimitError,
  SchemaMismatchError,
  ServerError,
  TimeoutError,
  WriteRefusedError,
} from "@accessmap/shared/transport/errors";
import { Governor } from "@accessmap/shared/transport/governor";
import { reply, scriptedSend, testTransport, VirtualClock } from "@accessmap/shared/transport/test-kit";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const get = { path: "/rest/api/3/project/search", endpoint: "GET /rest/api/3/project/search" };
const reset = () =>
  Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("x"), { code: "ECONNRESET" }) });

describe("transport retries (reliability cases H1–H11)", () => {
  it("H1: waits the full Retry-After of 60 s, unclamped, then succeeds", async () => {
    const send = scriptedSend([reply(429, {}, { "retry-after": "60" }), reply(200, { ok: 1 })]);
    const { transport, clock } = testTransport(send);
    const start = clock.now;
    await expect(transport.request(get)).resolves.toMatchObject({ data: { ok: 1 } });
    expect(clock.now - start).toBeGreaterThanOrEqual(60_000);
    expect(send.requests).toHaveLength(2);
  });

  it("H3: 429 without headers backs off 5, 10, 20, 30 s (jittered) and gives up after 4 retries", async () => {
    const send = scriptedSend([reply(429)]);
    const { transport, clock } = testTransport(send);
    await expect(transport.request(get)).rejects.toBeInstanceOf(RateLimitError);
    expect(send.requests).toHaveLength(5);
    expect(clock.sleeps).toEqual([5000, 10000, 20000, 30000]);
  });

  it("H4: uses X-RateLimit-Reset when Retry-After is absent", async () => {
    const clock = new VirtualClock();
    const resetAt = new Date(clock.now + 42_000).toISOString();
    const send = scriptedSend([reply(429, {}, { "x-ratelimit-reset": resetAt }), reply(200)]);
    const { transport } = testTransport(send, clock);
    const start = clock.now;
    await transport.request(get);
    expect(clock.now - start).toBe(42_000);
  });

  it("H6: a 503 with Retry-After is treated like a 429", async () => {
    const send = scriptedSend([reply(503, {}, { "retry-after": "3" }), reply(200)]);
    const { transport, clock } = testTransport(send);
    const start = clock.now;
    await transport.request(get);
    expect(clock.now - start).toBe(3000);
  });

  it("H7: a POST that fails with 500 or a reset is not retried", async () => {
    for (const failure of [reply(500), reset()]) {
      const send = scriptedSend([failure, reply(201)]);
      const { transport } = testTransport(send, undefined, { readOnly: false });
      await expect(transport.request({ ...get, method: "POST", json: {} })).rejects.toBeInstanceOf(
        failure instanceof Error ? NetworkError : ServerError,
      );
      expect(send.requests).toHaveLength(1);
    }
  });

  it.each([
    [400, "BadRequestError"],
    [401, AuthError.name],
    [403, ForbiddenError.name],
    [404, NotFoundError.name],
    [409, ConflictError.name],
    [500, ServerError.name],
  ])("H8: %s is not retried and is typed", async (status, name) => {
    const send = scriptedSend([reply(status, { errorMessages: ["nope"] }), reply(200)]);
    const { transport } = testTransport(send);
    const err = await transport.request(get).catch((e: unknown) => e);
    expect((err as Error).constructor.name).toBe(name);
    expect((err as Error).message).toContain("nope");
    expect(send.requests).toHaveLength(1);
  });

  it("H9: network errors are classified transient by walking cause, and retried for GETs", async () => {
    const send = scriptedSend([reset(), reply(200, { ok: true })]);
    const { transport } = testTransport(send);
    await expect(transport.request(get)).resolves.toMatchObject({ data: { ok: true } });
    expect(send.requests).toHaveLength(2);
  });

  it("retries a truncated JSON body on an idempotent request", async () => {
    const send = scriptedSend([reply(200, '{"values":[1,2'), reply(200, { values: [1, 2] })]);
    const { transport } = testTransport(send);
    await expect(transport.request(get)).resolves.toMatchObject({ data: { values: [1, 2] } });
  });

  it("H10: a wait past the overall deadline ends with a timeout and no further attempt", async () => {
    const send = scriptedSend([reply(429, {}, { "retry-after": "600" }), reply(200)]);
    const { transport } = testTransport(send, undefined, { retry: { deadlineMs: 60_000 } });
    const err = await transport.request(get).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as TimeoutError).cause).toBeInstanceOf(RateLimitError);
    expect(send.requests).toHaveLength(1);
  });

  it("H11: a caller's abort is not retried", async () => {
    const controller = new AbortController();
    const send = scriptedSend([
      () => {
        controller.abort();
        return Object.assign(new Error("aborted"), { name: "AbortError" });
      },
      reply(200),
    ]);
    const { transport } = testTransport(send);
    await expect(transport.request({ ...get, signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
    expect(send.requests).toHaveLength(1);
  });
});

describe("transport guards", () => {
  it("H12: 20 consecutive 5xx open the breaker; requests then fail fast", async () => {
    const send = scriptedSend([reply(502)]);
    const { transport } = testTransport(send, undefined, { retry: { maxRetries: 0 } });
    for (let i = 0; i < 20; i++) await expect(transport.request(get)).rejects.toBeInstanceOf(ServerError);
    await expect(transport.request(get)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(send.requests).toHaveLength(20);
  });

  it("H13: never more than N requests in flight; a full queue rejects with a typed error", async () => {
    const clock = new VirtualClock();
    const governor = new Governor({ concurrency: 2, maxQueue: 3, clock: clock.clock, sleep: clock.sleep });
    let inFlight = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const task = () =>
      governor.run("jira", "e", async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise<void>((r) => releases.push(r));
        inFlight -= 1;
      });
    const running = Array.from({ length: 5 }, task);
    await expect(task()).rejects.toBeInstanceOf(BulkheadFullError);
    while (releases.length > 0 || inFlight > 0) {
      releases.shift()?.();
      await new Promise((r) => setTimeout(r, 0));
    }
    await Promise.all(running);
    expect(peak).toBe(2);
  });

  it("keeps credentials on the configured origin, whatever a link says", async () => {
    const send = scriptedSend([reply(200)]);
    const { transport } = testTransport(send);
    await expect(transport.request({ ...get, path: "https://evil.example/rest/api/3/x" })).rejects.toBeInstanceOf(
      OriginError,
    );
    expect(send.requests).toHaveLength(0);
  });

  it("a read-only transport refuses writes before sending anything", async () => {
    const send = scriptedSend([reply(200)]);
    const { transport } = testTransport(send);
    await expect(transport.request({ ...get, method: "DELETE" })).rejects.toBeInstanceOf(WriteRefusedError);
    await expect(transport.request({ ...get, method: "POST", readOnlyPost: true, json: {} })).resolves.toBeDefined();
    expect(send.requests.map((r) => r.method)).toEqual(["POST"]);
  });

  it("H16: a schema mismatch throws in tests with paths and types only, and warns in production", async () => {
    const schema = z.object({ accountId: z.string(), email: z.string() });
    const body = { accountId: "abc", email: 42 };
    const send = scriptedSend([reply(200, body)]);
    const { transport } = testTransport(send);
    const err = (await transport.request({ ...get, schema }).catch((e: unknown) => e)) as SchemaMismatchError;
    expect(err).toBeInstanceOf(SchemaMismatchError);
    expect(err.issues.join()).toContain("email");
    expect(err.message).not.toContain("42");
    const warnings: unknown[] = [];
    const prod = testTransport(scriptedSend([reply(200, body)]), undefined, {
      schemaMode: "warn",
      warn: (_m, f) => warnings.push(f),
    });
    await expect(prod.transport.request({ ...get, schema })).resolves.toMatchObject({ data: body });
    expect(warnings).toHaveLength(1);
  });

  it("refreshes an expired credential once on 401, then retries", async () => {
    let token = "old";
    const send = scriptedSend([
      (req) => (req.headers.authorization === "Bearer old" ? reply(401) : reply(200, { ok: true })),
    ]);
    const { transport } = testTransport(send, undefined, {
      authorization: () => `Bearer ${token}`,
      refreshAuth: async () => {
        token = "new";
        return true;
      },
    });
    await expect(transport.request(get)).resolves.toMatchObject({ data: { ok: true } });
    expect(send.requests.map((r) => r.headers.authorization)).toEqual(["Bearer old", "Bearer new"]);
  });

  it("errors never carry the credential or secret query values", async () => {
    const send = scriptedSend([reply(403, { message: "denied" })]);
    const { transport } = testTransport(send);
    const err = (await transport
      .request({ ...get, query: { access_token: "s3cr3t" } })
      .catch((e: unknown) => e)) as ForbiddenError;
    const dump = JSON.stringify({ message: err.message, info: err.info });
    expect(dump).not.toContain("s3cr3t");
    expect(dump).not.toContain("c2VjcmV0LXRva2Vu");
  });
});

describe("governor pacing (H5 and rate-limit reasons)", () => {
  it("a quota 429 pauses every endpoint of the product; a burst 429 only its endpoint", async () => {
    const clock = new VirtualClock();
    const g = new Governor({ concurrency: 4, maxQueue: 10, clock: clock.clock, sleep: clock.sleep });
    g.observe("jira", "A", 429, {
      waitMs: 10_000,
      reason: "jira-burst-based",
      nearLimit: false,
      limit: undefined,
      remaining: undefined,
      resetMs: undefined,
    });
    const t0 = clock.now;
    await g.run("jira", "B", async () => undefined);
    expect(clock.now).toBe(t0);
    await g.run("jira", "A", async () => undefined);
    expect(clock.now).toBe(t0 + 10_000);
    g.observe("jira", "A", 429, {
      waitMs: 5_000,
      reason: "jira-quota-tenant-based",
      nearLimit: false,
      limit: undefined,
      remaining: undefined,
      resetMs: undefined,
    });
    await g.run("jira", "C", async () => undefined);
    expect(clock.now).toBe(t0 + 15_000);
  });

  it("H5: near the limit, spreads the remaining budget over the window before any 429", async () => {
    const clock = new VirtualClock();
    const g = new Governor({ concurrency: 4, maxQueue: 10, clock: clock.clock, sleep: clock.sleep });
    g.observe("jira", "A", 200, {
      waitMs: undefined,
      reason: null,
      nearLimit: true,
      limit: 100,
      remaining: 10,
      resetMs: 10_000,
    });
    const t0 = clock.now;
    for (let i = 0; i < 4; i++) await g.run("jira", "A", async () => undefined);
    expect(clock.now - t0).toBeGreaterThanOrEqual(3_000);
    expect(g.stats().waitedMs.jira).toBeGreaterThan(0);
  });

  it("spacing armed by a response applies to the very next start, measured from the previous start", async () => {
    const clock = new VirtualClock();
    const g = new Governor({ concurrency: 4, maxQueue: 10, clock: clock.clock, sleep: clock.sleep });
    const signals = { waitMs: undefined, reason: null, nearLimit: false, limit: 9, remaining: 8, resetMs: undefined };
    const t0 = clock.now;
    // The first request starts unpaced; its response states the limit.
    await g.run("scim", "A", async () => g.observe("scim", "A", 200, signals));
    await g.run("scim", "A", async () => undefined);
    expect(clock.now - t0).toBeCloseTo(1000 / (9 * 0.9), 5);
  });

  it("near the limit, counts the requests already sent: none left for new ones pauses until the reset", async () => {
    const clock = new VirtualClock();
    const g = new Governor({ concurrency: 4, maxQueue: 10, clock: clock.clock, sleep: clock.sleep });
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    // Two requests on their way; the third's response says 2 remain: they are the two.
    const inFlight = [g.run("admin", "A", () => held), g.run("admin", "A", () => held)];
    await g.run("admin", "A", async () =>
      g.observe("admin", "A", 200, {
        waitMs: undefined,
        reason: null,
        nearLimit: true,
        limit: 50,
        remaining: 2,
        resetMs: 700,
      }),
    );
    const t0 = clock.now;
    await g.run("admin", "B", async () => undefined);
    expect(clock.now - t0).toBe(700);
    release();
    await Promise.all(inFlight);
  });

  it("never lets more requests in flight than the API's whole stated budget", async () => {
    const clock = new VirtualClock();
    const g = new Governor({ concurrency: 8, maxQueue: 100, clock: clock.clock, sleep: clock.sleep });
    g.observe("admin", "A", 200, {
      waitMs: undefined,
      reason: null,
      nearLimit: false,
      limit: 3,
      remaining: 3,
      resetMs: 60_000,
    });
    let inFlight = 0;
    let peak = 0;
    const tick = () => new Promise<void>((r) => setImmediate(r));
    await Promise.all(
      Array.from({ length: 10 }, () =>
        g.run("admin", "A", async () => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await tick();
          inFlight -= 1;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(g.stats().peakInFlight.admin).toBe(3);
  });

  it("timers that wake late do not slow the pace: a start less than a spacing late keeps its slot", async () => {
    const clock = new VirtualClock();
    // Every sleep overshoots by 8 ms, as a busy event loop makes timers do.
    const lateSleep = async (ms: number) => {
      clock.now += ms + 8;
    };
    const g = new Governor({ concurrency: 4, maxQueue: 10, clock: clock.clock, sleep: lateSleep });
    const signals = { waitMs: undefined, reason: null, nearLimit: false, limit: 10, remaining: 9, resetMs: undefined };
    const t0 = clock.now;
    for (let i = 0; i < 10; i++) await g.run("jira", "A", async () => g.observe("jira", "A", 200, signals));
    const spacing = 1000 / (10 * 0.9);
    // Nine spacings and one timer's lateness, not nine of each.
    expect(clock.now - t0).toBeLessThan(9 * spacing + 10);
    expect(clock.now - t0).toBeGreaterThanOrEqual(9 * spacing);
  });

  it("a budget spent with no reset stated waits a second (a burst window) before the next start", async () => {
    const clock = new VirtualClock();
    const g = new Governor({ concurrency: 4, maxQueue: 10, clock: clock.clock, sleep: clock.sleep });
    g.observe("scim", "A", 200, {
      waitMs: undefined,
      reason: null,
      nearLimit: true,
      limit: 2,
      remaining: 0,
      resetMs: undefined,
    });
    const t0 = clock.now;
    await g.run("scim", "B", async () => undefined);
    expect(clock.now - t0).toBe(1000);
  });

  it("a limit stated without its window is paced per second, at 90 % of it, while responses keep stating it", async () => {
    const clock = new VirtualClock();
    const g = new Governor({ concurrency: 4, maxQueue: 10, clock: clock.clock, sleep: clock.sleep });
    const withLimit = {
      waitMs: undefined,
      reason: null,
      nearLimit: false,
      limit: 9,
      remaining: 5,
      resetMs: undefined,
    };
    g.observe("confluence", "A", 200, withLimit);
    const t0 = clock.now;
    // 9 per second at 90 % is 8.1 per second: the tenth start comes 9 spacings (≈ 1.11 s) after the first.
    for (let i = 0; i < 10; i++) {
      await g.run("confluence", "A", async () => undefined);
      g.observe("confluence", "A", 200, withLimit);
    }
    expect(clock.now - t0).toBeGreaterThanOrEqual(1_100);
    expect(clock.now - t0).toBeLessThan(1_250);
    // Once responses stop stating it (a second later), requests start at once again.
    clock.now += 1_000;
    const t1 = clock.now;
    for (let i = 0; i < 5; i++) await g.run("confluence", "A", async () => undefined);
    expect(clock.now).toBe(t1);
    // Other APIs are not paced by it.
    g.observe("confluence", "A", 200, withLimit);
    await g.run("jira", "A", async () => undefined);
    await g.run("jira", "A", async () => undefined);
    expect(clock.now).toBe(t1);
  });
});
