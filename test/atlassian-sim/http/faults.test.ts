import { describe, expect, it } from "vitest";
import { FaultInjector, FOREIGN_ORIGIN, foreignNext, truncateBody } from "./faults.js";

describe("fault injector", () => {
  it("skips, fires a bounded number of times, and matches api and route", () => {
    const f = new FaultInjector(() => 0);
    f.rules = [{ api: "jira", route: "/r", kind: "status", status: 503, skip: 1, times: 2 }];
    const picks = [1, 2, 3, 4].map(() => f.pick("jira", "GET", "/r")?.status ?? null);
    expect(picks).toEqual([null, 503, 503, null]);
    expect(f.pick("confluence", "GET", "/r")).toBeNull();
    expect(f.fired.get("status")).toBe(2);
  });

  it("draws probabilities from the seeded generator, so a run replays", () => {
    const seq = (seed: number) => {
      let s = seed;
      const rnd = () => {
        s = (s * 16807) % 2147483647;
        return s / 2147483647;
      };
      const f = new FaultInjector(rnd);
      f.rules = [{ kind: "reset", probability: 0.3 }];
      return Array.from({ length: 50 }, () => (f.pick("admin", "GET", "/") ? 1 : 0)).join("");
    };
    expect(seq(42)).toBe(seq(42));
    expect(seq(42)).not.toBe(seq(43));
  });

  it("latency stays within mean ± jitter", () => {
    const f = new FaultInjector(() => 0.999);
    f.latency = [{ meanMs: 100, jitterMs: 20 }];
    expect(f.delayFor("jira", "/x")).toBeGreaterThan(119);
    expect(f.delayFor("jira", "/x")).toBeLessThanOrEqual(120);
  });

  it("truncates a JSON body so it no longer parses", async () => {
    const res = await truncateBody(new Response(JSON.stringify({ values: [1, 2, 3, 4, 5] }), { status: 200 }));
    await expect(res.json()).rejects.toThrow();
  });

  it("rewrites absolute and relative next links to a foreign origin", async () => {
    const res = await foreignNext(
      new Response(JSON.stringify({ next: "http://sim/bb?page=2", _links: { next: "/wiki/api/v2/spaces?cursor=x" } }), {
        headers: { link: '</wiki/api/v2/spaces?cursor=x>; rel="next"' },
      }),
      "http://sim",
    );
    const body = (await res.json()) as { next: string; _links: { next: string } };
    expect(body.next).toBe(`${FOREIGN_ORIGIN}/bb?page=2`);
    expect(body._links.next.startsWith(FOREIGN_ORIGIN)).toBe(true);
    expect(res.headers.get("link")).toContain(FOREIGN_ORIGIN);
  });
});
