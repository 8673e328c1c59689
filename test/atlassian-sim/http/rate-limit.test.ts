import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { ApiName } from "./env.js";
import { RateLimiter } from "./rate-limit.js";

function appFor(limiter: RateLimiter, api: ApiName) {
  const app = new Hono();
  app.get("/x", (c) => limiter.check(c, api, "GET", "/x") ?? c.json({ ok: true }));
  return app;
}

describe("rate limiter", () => {
  it("sends Jira's headers, NearLimit below 20%, then 429 with Retry-After, Reset and RateLimit-Reason", async () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    limiter.rules = [{ api: "jira", limit: 5, windowMs: 10_000, reason: "jira-quota-tenant-based" }];
    const app = appFor(limiter, "jira");
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = await app.request("http://x/x");
      statuses.push(last.status);
      if (i === 4) {
        expect(last.headers.get("x-ratelimit-remaining")).toBe("0");
        expect(last.headers.get("x-ratelimit-nearlimit")).toBe("true");
        expect(last.headers.get("beta-ratelimit")).toMatch(/r=0;t=10/);
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(last?.headers.get("retry-after")).toBe("10");
    expect(last?.headers.get("ratelimit-reason")).toBe("jira-quota-tenant-based");
    expect(new Date(last?.headers.get("x-ratelimit-reset") ?? "").getTime()).toBe(1_010_000);
    expect(await last?.json()).toEqual({ errorMessages: ["Rate limit exceeded."], errors: {} });
    expect(limiter.rejected.get("jira")).toBe(1);
    now += 10_000;
    expect((await app.request("http://x/x")).status).toBe(200);
  });

  it("limits one route separately from the rest of the API", async () => {
    const limiter = new RateLimiter(() => 0);
    limiter.rules = [{ api: "bitbucket", route: "/y", limit: 1, windowMs: 3_600_000 }];
    const app = appFor(limiter, "bitbucket");
    expect((await app.request("http://x/x")).status).toBe(200);
    expect((await app.request("http://x/x")).status).toBe(200);
  });

  it("answers Admin 429s with the ProxyError body and Bitbucket's with its error body", async () => {
    for (const [api, body] of [
      ["admin", { code: 429, message: "Rate limit exceeded" }],
      ["bitbucket", { type: "error", error: { message: "Rate limit for this resource has been exceeded" } }],
    ] as const) {
      const limiter = new RateLimiter(() => 0);
      limiter.rules = [{ api, limit: 1, windowMs: 60_000 }];
      const app = appFor(limiter, api);
      await app.request("http://x/x");
      const res = await app.request("http://x/x");
      expect(res.status).toBe(429);
      expect(await res.json()).toEqual(body);
    }
  });
});
