/**
 * Discovery runs against the in-process simulator: statuses, the read-only guarantee, and the H/D reliability
 * cases that concern reading (reliability-cases.md), driven through the real entry point `runDiscovery`.
 */
import { runDiscovery } from "@accessmap/backend/discovery/run-discovery";
import type { RawRequest, Send } from "@accessmap/shared/transport/transport";
import { describe, expect, it } from "vitest";
import { FOREIGN_ORIGIN } from "../atlassian-sim/http/faults.js";
import { makeTestSim, ORIGIN, type TestSim } from "../atlassian-sim/testing.js";
import { simConfig } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";

const fastRetry = { baseDelayMs: 5, maxDelayMs: 40, deadlineMs: 60_000 };

async function discover(t: TestSim, overrides: Parameters<typeof simConfig>[2] = {}, send?: Send) {
  return runDiscovery(simConfig(t.sim.state.tenant, ORIGIN, overrides), {
    send: send ?? simSend(t),
    schemaMode: "throw",
    retry: fastRetry,
  });
}

const stateOf = (r: Awaited<ReturnType<typeof discover>>, product: string) =>
  r.snapshot.statuses.find((s) => s.product === product)?.state;

describe("discovery run", () => {
  it("reads every source completely and sends no write", async () => {
    const t = makeTestSim("S", 5);
    const progress: string[] = [];
    const r = await runDiscovery(simConfig(t.sim.state.tenant, ORIGIN), {
      send: simSend(t),
      schemaMode: "throw",
      retry: fastRetry,
      onProgress: (p) => progress.push(p.source),
    });
    expect(r.snapshot.statuses.map((s) => [s.product, s.state, s.reasons]).sort()).toEqual(
      ["admin", "bitbucket", "confluence", "jira", "scim"].map((p) => [p, "complete", []]),
    );
    expect(r.outcome).toBe("complete");
    expect(t.sim.log.writeCount()).toBe(0);
    expect(new Set(progress)).toEqual(new Set(["admin", "scim", "jira", "confluence", "bitbucket"]));
    for (const s of r.snapshot.statuses) expect(s.calls).toBeGreaterThan(0);
    expect(r.snapshot.notes).toEqual([]);
  });

  it("without an admin key, still reads Jira and Confluence and says correlation is unavailable", async () => {
    const t = makeTestSim("S", 5);
    const r = await discover(t, {
      adminApiKey: undefined,
      orgId: undefined,
      lifecycle: undefined,
      products: ["jira", "confluence"],
    });
    expect(r.snapshot.statuses.map((s) => s.product).sort()).toEqual(["confluence", "jira"]);
    expect(r.outcome).toBe("complete");
    expect(r.snapshot.admin).toBeNull();
    expect(r.snapshot.notes.join()).toMatch(/IdP correlation are unavailable/);
  });
});

describe("reading faults (reliability cases H and D)", () => {
  it("D1/D2: a product failing mid-run is failed with no section, and the others complete", async () => {
    const t = makeTestSim("S", 5);
    t.sim.faults.rules = [{ api: "confluence", kind: "status", status: 500, skip: 3 }];
    const r = await discover(t);
    expect(stateOf(r, "confluence")).toBe("failed");
    expect(r.snapshot.confluence).toBeNull();
    expect(stateOf(r, "jira")).toBe("complete");
    expect(r.outcome).toBe("failed");
    expect(r.snapshot.statuses.find((s) => s.product === "confluence")?.reasons[0]).toMatch(
      /failing on Atlassian's side/,
    );
  });

  it("D2: a 403 on one part marks it partial and keeps what was read", async () => {
    const t = makeTestSim("S", 5);
    const tenant = t.sim.state.tenant;
    const r = await discover(t, {
      productUser: tenant.credentials.limitedProductUser.email,
      productToken: tenant.credentials.limitedProductUser.token,
    });
    expect(stateOf(r, "jira")).toBe("partial");
    expect(r.snapshot.jira?.users.length).toBeGreaterThan(0);
    expect(r.snapshot.jira?.projects.length).toBeGreaterThan(0);
    expect(r.snapshot.statuses.find((s) => s.product === "jira")?.reasons.join()).toMatch(/Browse users and groups/);
  });

  it("a Bitbucket consumer without admin rights falls back to effective permissions, marked partial", async () => {
    const t = makeTestSim("S", 5);
    const c = t.sim.state.tenant.credentials.bitbucketMemberConsumer;
    const r = await discover(t, { bitbucketOAuthKey: c.key, bitbucketOAuthSecret: c.secret });
    expect(stateOf(r, "bitbucket")).toBe("partial");
    expect(r.snapshot.bitbucket?.permissionMode).toBe("fallback");
  });

  it("a scoped admin key is explained: no organization found, create an unscoped key", async () => {
    const t = makeTestSim("S", 5);
    const r = await discover(t, { adminApiKey: t.sim.state.tenant.credentials.scopedAdminApiKey });
    expect(stateOf(r, "admin")).toBe("failed");
    expect(r.snapshot.statuses.find((s) => s.product === "admin")?.reasons[0]).toMatch(
      /no organization found.*unscoped/,
    );
  });

  it("a wrong product token is explained as a rejected credential", async () => {
    const t = makeTestSim("S", 5);
    const r = await discover(t, { productToken: "wrong" });
    expect(stateOf(r, "jira")).toBe("failed");
    expect(r.snapshot.statuses.find((s) => s.product === "jira")?.reasons[0]).toMatch(
      /productToken.*rejected \(HTTP 401/,
    );
  });

  it("credentials stay on their origin when a next link points elsewhere", async () => {
    // M, so that Bitbucket listings span several pages and carry `next` links.
    const t = makeTestSim("M", 5);
    t.sim.faults.rules = [{ api: "bitbucket", kind: "foreign-next" }];
    const sent: RawRequest[] = [];
    const inner = simSend(t);
    const r = await discover(t, {}, async (req) => {
      sent.push(req);
      return inner(req);
    });
    expect(stateOf(r, "bitbucket")).toBe("failed");
    expect(sent.some((s) => s.url.startsWith(FOREIGN_ORIGIN))).toBe(false);
  });

  it("D16: an unchanged cursor is caught and the product fails instead of looping", async () => {
    const t = makeTestSim("M", 5);
    const inner = simSend(t);
    // Every page of the v2 space listing answers like the first one, with the same next-page token.
    const stuck: Send = async (req) => {
      const url = new URL(req.url);
      if (!url.pathname.endsWith("/wiki/api/v2/spaces")) return inner(req);
      url.searchParams.delete("cursor");
      const res = await inner({ ...req, url: url.toString() });
      const body = JSON.parse(await res.text()) as { _links?: { next?: string } };
      body._links = { ...body._links, next: "/wiki/api/v2/spaces?cursor=stuck" };
      return {
        status: res.status,
        headers: { get: (n: string) => (n.toLowerCase() === "link" ? null : res.headers.get(n)) },
        text: async () => JSON.stringify(body),
      };
    };
    const r = await discover(t, {}, stuck);
    expect(stateOf(r, "confluence")).toBe("failed");
    expect(r.snapshot.statuses.find((s) => s.product === "confluence")?.reasons[0]).toMatch(
      /next-page token did not change/,
    );
  });

  it("H1/H6: rate limits and 503s with Retry-After are waited out and the run completes", async () => {
    const t = makeTestSim("S", 5);
    t.sim.limiter.rules = [{ api: "jira", limit: 5, windowMs: 200, reason: "jira-burst-based" }];
    t.sim.faults.rules = [{ api: "confluence", kind: "status", status: 503, retryAfterSeconds: 0, probability: 0.3 }];
    const r = await discover(t);
    expect(r.outcome).toBe("complete");
    expect((t.sim.limiter.rejected.get("jira") ?? 0) + (t.sim.faults.fired.get("status") ?? 0)).toBeGreaterThan(0);
  });

  it("H9/H16: resets and truncated bodies are retried for reads, and the run completes", async () => {
    const t = makeTestSim("S", 5);
    t.sim.faults.rules = [
      { api: "jira", kind: "reset", probability: 0.2 },
      { api: "admin", kind: "truncate", times: 2 },
    ];
    const r = await discover(t);
    expect(r.outcome).toBe("complete");
    expect(t.sim.faults.fired.get("truncate")).toBe(2);
  });
});
