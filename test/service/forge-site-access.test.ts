/**
 * `siteAccess: "forge"`: the Forge app reads Jira and Confluence, so a full sync never calls the site. It carries
 * the sections the app's crawls delivered (from the current snapshot, with the crawl's times and a reason saying
 * who reads them) and reads everything else itself; a section no crawl has delivered yet is `skipped`, not failed.
 */
import { crawlListKeys } from "@accessmap/backend/events/forge";
import { type FitIssuer, startFitIssuer } from "@accessmap/backend/service/fit-testing";
import type { Snapshot } from "@accessmap/shared/snapshot/schema";
import { FORGE_ADMIN_PATHS } from "@accessmap/shared/wire/admin";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, adminHarness } from "./forge-admin-helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Body = any;

let issuer: FitIssuer;
let a: AdminHarness;

beforeAll(async () => {
  issuer = await startFitIssuer();
});
afterAll(async () => issuer.close());
afterEach(async () => a?.close());

async function currentSnapshot(): Promise<Snapshot> {
  const p = (await a.t.store.getCurrentPointer(a.tenantId))!;
  return (await a.t.store.readSnapshotData(a.tenantId, p.version))!.snapshot!;
}

/** Delivers a Jira section as the Forge app's crawl would: start, one batch, complete. */
async function crawlJira(section: Record<string, unknown>): Promise<void> {
  const started: Body = await (
    await a.call("POST", "/forge/v1/crawls", { principal: null, json: { section: "jira" } })
  ).json();
  const batch = await a.call("POST", `/forge/v1/crawls/${started.runId}/batches`, {
    principal: null,
    json: { seq: 0, section: "jira", rows: section },
  });
  expect(batch.status).toBe(202);
  const counts = Object.fromEntries(crawlListKeys("jira").map((k) => [k, (section[k] as unknown[]).length]));
  const done = await a.call("POST", `/forge/v1/crawls/${started.runId}/complete`, {
    principal: null,
    json: { counts },
  });
  expect(done.status, await done.clone().text()).toBe(200);
}

describe("siteAccess forge", () => {
  it("carries the crawl-delivered sections through a full sync that never calls the site", async () => {
    a = await adminHarness(issuer);
    const first = await currentSnapshot();
    // The site is now read by the Forge app: no product token.
    const patched = await a.operator("PATCH", `/v1/tenants/${a.tenantId}`, {
      siteAccess: "forge",
      productUser: null,
      productToken: null,
    });
    expect(patched.status).toBe(200);

    // The app crawls Jira (a project renamed since, so the crawl's data is recognisable).
    const jira = structuredClone(first.jira!) as Snapshot["jira"] & object;
    jira.projects[0]!.name = "Renamed by the crawl";
    await crawlJira(jira as unknown as Record<string, unknown>);
    const crawled = await currentSnapshot();
    const crawlStatus = crawled.statuses.find((s) => s.product === "jira")!;
    expect(crawlStatus.reasons[0]).toMatch(/^read by the Forge app \(crawl /);

    const siteCalls = a.sim.sim.log.total("jira") + a.sim.sim.log.total("confluence");
    const result = await a.fullSync();
    expect(result.outcome).toBe("complete");
    expect(result.readByForge).toEqual(["jira", "confluence"]);
    expect(a.sim.sim.log.total("jira") + a.sim.sim.log.total("confluence")).toBe(siteCalls);

    const after = await currentSnapshot();
    expect(after.jira).toEqual(jira);
    expect(after.jira!.projects[0]!.name).toBe("Renamed by the crawl");
    expect(after.confluence).toEqual(first.confluence);
    const status = after.statuses.find((s) => s.product === "jira")!;
    expect(status).toMatchObject({ state: "complete", calls: 0, finishedAt: crawlStatus.finishedAt });
    expect(status.reasons.at(-1)).toMatch(/^read by the Forge app, not by this sync: the app's last crawl/);
    // The other sources were read by this sync.
    expect(after.statuses.map((s) => s.product)).toEqual(["admin", "scim", "jira", "confluence", "bitbucket"]);
    expect(after.statuses.find((s) => s.product === "admin")!.calls).toBeGreaterThan(0);
    expect(after.notes.join(" ")).not.toMatch(/no usable credentials/);

    // A second sync keeps one carry reason, not one per sync.
    await a.fullSync();
    const again = (await currentSnapshot()).statuses.find((s) => s.product === "jira")!;
    expect(again.reasons.filter((r) => r.startsWith("read by the Forge app, not by this sync"))).toHaveLength(1);

    // The page's overview shows Jira as read when its crawl was patched in.
    const o: Body = await (await a.call("GET", FORGE_ADMIN_PATHS.overview)).json();
    expect(o.current.products.find((p: Body) => p.product === "jira")).toMatchObject({
      state: "complete",
      readAt: crawlStatus.finishedAt,
    });
  });

  it("marks a section no crawl has delivered yet as skipped, and still reads the rest", async () => {
    a = await adminHarness(issuer, {
      sync: false,
      config: { siteAccess: "forge", productUser: undefined, productToken: undefined },
    });
    const result = await a.fullSync();
    expect(result.outcome).toBe("complete");
    expect(a.sim.sim.log.total("jira") + a.sim.sim.log.total("confluence")).toBe(0);
    const s = await currentSnapshot();
    expect(s.jira).toBeNull();
    expect(s.statuses.find((x) => x.product === "jira")).toMatchObject({
      state: "skipped",
      reasons: [expect.stringMatching(/no crawl has delivered it yet/)],
    });
    expect(s.bitbucket).not.toBeNull();
  });
});
