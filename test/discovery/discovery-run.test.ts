/**
 * Discovery runs against the in-process simulator through the real entry point `runDiscovery`: statuses, the
 * read-only guarantee, and failures explained in words a user can act on. The H/D fault rows are in
 * `reading-faults.test.ts`.
 */
import { runDiscovery } from "@accessmap/backend/discovery/run-discovery";
import type { Send } from "@accessmap/shared/transport/transport";
import { describe, expect, it } from "vitest";
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

describe("failures explained in words a user can act on", () => {
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
});
