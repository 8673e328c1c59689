/**
 * The discovery benchmark's arithmetic and rendering, with small hand-made inputs (no timing).
 */
import { describe, expect, it } from "vitest";
import {
  type ApiInput,
  acceptedCalls,
  apiBound,
  type BenchReport,
  callRatio,
  endpointKey,
  fmtRatio,
  labelKey,
  overBound,
  phases,
  type RunInput,
  renderMarkdown,
  routeKey,
  runBound,
  seconds,
  slowApis,
  stressRates,
  summarizeRun,
  table,
} from "./discovery-report.js";

function api(overrides: Partial<ApiInput> & { api: string }): ApiInput {
  return {
    state: "complete",
    calls: 100,
    simCalls: 100,
    minimum: 100,
    elapsedMs: 1000,
    status429: 0,
    retries: 0,
    waitedMs: 0,
    peakInFlight: 8,
    meanExchangeMs: 40,
    rate: null,
    ...overrides,
  };
}

function run(overrides: Partial<RunInput> = {}): RunInput {
  return {
    name: "admin",
    title: "admin consumer",
    rssTargetApplies: true,
    outcome: "complete",
    bitbucketMode: "admin",
    wallMs: 6000,
    latencyMs: 40,
    concurrency: 8,
    apis: [
      // latency bound 1000 × 40 / 8 = 5000 ms; rate bound 1000 / (100 per s) = 10 000 ms.
      api({ api: "jira", calls: 1000, simCalls: 1000, minimum: 980, rate: { limit: 100, windowMs: 1000 } }),
      // latency bound 400 × 40 / 8 = 2000 ms; no limit.
      api({ api: "confluence", calls: 400, simCalls: 400, minimum: 400 }),
    ],
    endpoints: [
      {
        api: "jira",
        endpoint: "GET /rest/api/3/project/{id}/role",
        calls: 62,
        retries: 2,
        status429: 2,
        minimum: 60,
        simCalls: 62,
      },
      {
        api: "confluence",
        endpoint: "GET /wiki/rest/api/group",
        calls: 3,
        retries: 0,
        status429: 0,
        minimum: null,
        simCalls: 3,
      },
    ],
    memory: { baselineRssMB: 100, sampledPeakRssMB: 180, maxRssMB: 190 },
    cpu: { discoveryMs: 3000, simulatorMs: 2500 },
    ...overrides,
  };
}

describe("ratios and bounds", () => {
  it("calls ÷ minimum, with the edge cases of a zero minimum", () => {
    expect(callRatio(105, 100)).toBeCloseTo(1.05);
    expect(callRatio(0, 0)).toBe(1);
    expect(callRatio(3, 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it("an API's bound is max(calls × latency ÷ concurrency, calls ÷ allowed rate)", () => {
    expect(apiBound(1000, 40, 8, null)).toEqual({ latencyMs: 5000, rateMs: 0, boundMs: 5000, binding: "latency" });
    expect(apiBound(1000, 40, 8, { limit: 100, windowMs: 1000 })).toEqual({
      latencyMs: 5000,
      rateMs: 10_000,
      boundMs: 10_000,
      binding: "rate",
    });
    // An hourly-style budget: 3000 calls at 1000 per 10 s need 30 s.
    expect(apiBound(3000, 40, 8, { limit: 1000, windowMs: 10_000 }).rateMs).toBe(30_000);
    // A cap of 0 counts as 1.
    expect(apiBound(10, 40, 0, null).latencyMs).toBe(400);
  });

  it("a bound counts the calls the server accepted: 429s spend no budget", () => {
    expect(acceptedCalls({ calls: 1100, status429: 100 })).toBe(1000);
    const s = summarizeRun(
      run({
        apis: [api({ api: "jira", calls: 1100, status429: 100, rate: { limit: 100, windowMs: 1000 } })],
      }),
    );
    expect(s.apis[0]?.bound.boundMs).toBe(10_000);
    expect(s.status429).toBe(100);
  });

  it("the run's bound is the largest API bound (the APIs run concurrently), not their sum", () => {
    const b = runBound([
      { api: "jira", bound: apiBound(1000, 40, 8, { limit: 100, windowMs: 1000 }) },
      { api: "confluence", bound: apiBound(400, 40, 8, null) },
    ]);
    expect(b).toEqual({ boundMs: 10_000, api: "jira", binding: "rate" });
    expect(runBound([])).toEqual({ boundMs: 0, api: null, binding: null });
  });

  it("wall ÷ bound, with a zero bound", () => {
    expect(overBound(13_000, 10_000)).toBeCloseTo(1.3);
    expect(overBound(0, 0)).toBe(1);
    expect(overBound(5, 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it("the stress limits are a fifth of each API's measured demand, per window, at least 1", () => {
    const rates = stressRates(
      [
        { api: "jira", calls: 1000, elapsedMs: 10_000 }, // 100/s → 20/s
        { api: "bitbucket", calls: 3000, elapsedMs: 30_000 }, // 100/s → 20/s → 200 per 10 s
        { api: "scim", calls: 2, elapsedMs: 1000 }, // 2/s → 0.4/s → at least 1
        { api: "admin", calls: 0, elapsedMs: 0 }, // nothing measured: no limit
      ],
      5,
      { bitbucket: 10_000 },
    );
    expect(rates).toEqual({
      jira: { limit: 20, windowMs: 1000 },
      bitbucket: { limit: 200, windowMs: 10_000 },
      scim: { limit: 1, windowMs: 1000 },
    });
  });
});

describe("endpoint keys", () => {
  it("match reader labels, lower-bound keys and simulator routes", () => {
    expect(labelKey("jira", "GET /rest/api/3/project/{id}/role/{roleId}")).toBe("GET /rest/api/3/project/*/role/*");
    expect(endpointKey("jira", "GET", "/rest/api/3/project/:projectIdOrKey/role/:id")).toBe(
      "GET /rest/api/3/project/*/role/*",
    );
    const admin = "POST /v2/orgs/*/directories/*/users/search";
    expect(labelKey("admin", "POST /v2/orgs/{orgId}/directories/-/users/search")).toBe(admin);
    expect(labelKey("admin", "POST /v2/orgs/{orgId}/directories/{directoryId}/users/search")).toBe(admin);
    expect(endpointKey("admin", "POST", "/admin/v2/orgs/:orgId/directories/:directoryId/users/search")).toBe(admin);
    expect(endpointKey("scim", "GET", "/scim/directory/:directoryId/Users")).toBe("GET /Users");
    expect(labelKey("scim", "GET /Users")).toBe("GET /Users");
    // A qualified label stays apart from the plain one, and maps to the same simulator route.
    const qualified = labelKey(
      "admin",
      "POST /v2/orgs/{orgId}/directories/{directoryId}/groups/search (product access)",
    );
    expect(qualified).toBe("POST /v2/orgs/*/directories/*/groups/search (product access)");
    expect(routeKey(qualified)).toBe("POST /v2/orgs/*/directories/*/groups/search");
    expect(endpointKey("bitbucket", "post", "/site/oauth2/access_token?x=1")).toBe("POST /site/oauth2/access_token");
  });
});

describe("a run's summary", () => {
  it("sums the APIs, takes the largest bound, and checks the targets", () => {
    const s = summarizeRun(run());
    expect(s.calls).toBe(1400);
    expect(s.minimum).toBe(1380);
    expect(s.ratio).toBeCloseTo(1400 / 1380);
    expect(s.boundMs).toBe(10_000);
    expect(s.boundApi).toBe("jira");
    expect(s.wallOverBound).toBeCloseTo(0.6);
    expect(s.peakRssMB).toBe(190);
    expect(s.apis[0]?.ratio).toBeCloseTo(1000 / 980);
    expect(s.apis[0]?.elapsedOverBound).toBeCloseTo(0.1);
    expect(s.endpoints.map((e) => e.ratio)).toEqual([62 / 60, null]);
    expect(s.crossCheckMismatches).toEqual([]);
    expect(s.met).toEqual({ callRatio: true, wallOverBound: true, peakRss: true, noFailedSource: true });
  });

  it("flags each missed target, and the RSS target only where it applies", () => {
    const s = summarizeRun(
      run({
        wallMs: 14_000,
        rssTargetApplies: false,
        memory: { baselineRssMB: 100, sampledPeakRssMB: 500, maxRssMB: 450 },
        apis: [
          api({ api: "jira", calls: 1000, simCalls: 999, minimum: 900, rate: { limit: 100, windowMs: 1000 } }),
          api({ api: "bitbucket", state: "failed" }),
        ],
      }),
    );
    expect(s.peakRssMB).toBe(500);
    expect(s.crossCheckMismatches).toEqual(["jira 1000≠999"]);
    expect(s.met).toEqual({ callRatio: false, wallOverBound: false, peakRss: null, noFailedSource: false });
    expect(summarizeRun(run({ memory: { baselineRssMB: 1, sampledPeakRssMB: 401, maxRssMB: 1 } })).met.peakRss).toBe(
      false,
    );
  });
});

describe("diagnosis", () => {
  it("lists an API's endpoints in the order they were read, with their rate", () => {
    const endpoints = [
      {
        api: "jira",
        endpoint: "B",
        calls: 101,
        retries: 0,
        status429: 0,
        minimum: 101,
        simCalls: 101,
        firstMs: 500,
        lastMs: 1500,
        meanExchangeMs: 45,
      },
      {
        api: "jira",
        endpoint: "A",
        calls: 1,
        retries: 0,
        status429: 0,
        minimum: 1,
        simCalls: 1,
        firstMs: 100,
        lastMs: 100,
      },
      { api: "jira", endpoint: "never", calls: 0, retries: 0, status429: 0, minimum: 0, simCalls: null },
      {
        api: "scim",
        endpoint: "S",
        calls: 3,
        retries: 0,
        status429: 0,
        minimum: 3,
        simCalls: 3,
        firstMs: 0,
        lastMs: 10,
      },
    ];
    expect(phases({ endpoints }, "jira")).toEqual([
      { endpoint: "A", calls: 1, firstMs: 100, lastMs: 100, ratePerS: null, meanExchangeMs: null },
      { endpoint: "B", calls: 101, firstMs: 500, lastMs: 1500, ratePerS: 100, meanExchangeMs: 45 },
    ]);
  });

  it("names the slowest endpoint of an API over target that does not set the wall, and its calls in flight", () => {
    const s = summarizeRun(
      run({
        apis: [
          api({ api: "jira", calls: 1000, simCalls: 1000, minimum: 1000, rate: { limit: 100, windowMs: 1000 } }),
          // Bound 20 × 40 / 8 = 100 ms; 20 pages one after another take 1 s.
          api({ api: "scim", calls: 20, simCalls: 20, minimum: 20, elapsedMs: 1000, meanExchangeMs: 50 }),
        ],
        endpoints: [
          {
            api: "scim",
            endpoint: "GET /Users",
            calls: 20,
            retries: 0,
            status429: 0,
            minimum: 20,
            simCalls: 20,
            firstMs: 50,
            lastMs: 1000,
          },
        ],
      }),
    );
    expect(slowApis(s)).toEqual([
      "SCIM took 1.0 s against a bound of 0.10 s (10.000), 5.0 s before the run's end; slowest endpoint GET /Users: " +
        "20 calls over 0.95 s, 1.0 in flight on average.",
    ]);
  });
});

describe("Markdown", () => {
  it("formats seconds and ratios", () => {
    expect(seconds(250)).toBe("0.25 s");
    expect(seconds(12_345)).toBe("12.3 s");
    expect(fmtRatio(1.23456)).toBe("1.235");
    expect(fmtRatio(null)).toBe("–");
    expect(fmtRatio(Number.POSITIVE_INFINITY)).toBe("∞");
  });

  it("renders tables with escaped cells and right alignment", () => {
    expect(table(["a", "b"], [["1", "x|y"]], ["", "r"])).toBe("| a | b |\n|---|---:|\n| 1 | x\\|y |");
  });

  it("renders the runs side by side, per API and per endpoint", () => {
    const report: BenchReport = {
      settings: {
        size: "L",
        seed: 7,
        latency: { meanMs: 40, jitterMs: 15 },
        concurrency: 8,
        rateLimits: { jira: { limit: 100, windowMs: 1000 } },
        node: "v20.0.0",
        cpus: 2,
      },
      stressRateLimits: { jira: { limit: 20, windowMs: 1000 } },
      runs: [
        summarizeRun(
          run({
            cpu: { discoveryMs: 3000, simulatorMs: 2500, loopDelayP99Ms: 12 },
            load: { before: 0.5, after: 1.25 },
          }),
        ),
        summarizeRun(run({ name: "fallback-member", title: "fallback: member consumer", bitbucketMode: "fallback" })),
      ],
      notes: ["a note"],
    };
    const md = renderMarkdown(report);
    expect(md).toContain("# Discovery benchmark — size L (seed 7)");
    expect(md).toContain("rate limits (fixed windows): Jira 100 / 1.0 s.");
    expect(md).toContain("Stress run limits (⅕ of the demand measured in the first run): Jira 20 / 1.0 s.");
    expect(md).toContain("|  | admin consumer | fallback: member consumer |");
    expect(md).toContain("| Bitbucket mode | admin | fallback |");
    expect(md).toContain("| calls / minimum | 1400 / 1380 = 1.014 ✓ | 1400 / 1380 = 1.014 ✓ |");
    expect(md).toContain("| bound (set by) | 10.0 s (Jira, rate) | 10.0 s (Jira, rate) |");
    expect(md).toContain("| wall / bound | 0.600 ✓ | 0.600 ✓ |");
    expect(md).toContain("| peak RSS (maxRSS / sampled) | 190 MB ✓ (190 / 180) | 190 MB ✓ (190 / 180) |");
    expect(md).toContain("| CPU: discovery / simulator | 3.0 s / 2.5 s | 3.0 s / 2.5 s |");
    expect(md).toContain("| event-loop delay p99 (discovery) | 12 ms | – |");
    expect(md).toContain("| load average (1 min) at start / end | 0.50 / 1.25 | – |");
    expect(md).toContain(
      "| admin consumer | Jira | complete | 1000 | 980 | 1.020 ✓ | 1.0 s | 5.0 s | 10.0 s (100 / 1.0 s) | 0.100 | 0 / 0 | 0.00 s | 8 | 40 ms |",
    );
    expect(md).toContain(
      "| Jira | GET /rest/api/3/project/{id}/role | 62/60 (2 retried, 2×429) | 62/60 (2 retried, 2×429) |",
    );
    expect(md).toContain("| Confluence | GET /wiki/rest/api/group | 3/– | 3/– |");
    expect(md).toContain("Cross-check: the calls reported by `onCall` equal the requests the simulator counted");
    expect(md).toContain("## Notes\n\n- a note");
    expect(md).toContain("## Where the time goes");
    expect(md).toContain("| run | API | endpoint | calls | first | last | rate | mean exchange |");
    // Jira's endpoints come before Confluence's.
    expect(md.indexOf("| Jira | GET")).toBeLessThan(md.indexOf("| Confluence | GET"));
  });
});
