/**
 * Product events through the real `@forge/api` and the real backend. For a tenant whose Jira and Confluence the
 * backend reads itself, an event is forwarded and the backend re-reads; for one the app reads (`siteAccess: forge`),
 * the backend's answer asks the app to crawl the section, once per section per window, and the app starts the crawl.
 */
import { type FitIssuer, startFitIssuer } from "@accessmap/backend/service/fit-testing";
import { handleProductEvent } from "@accessmap/forge-app/events/forward";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ForgeHarness, forgeHarness } from "./harness.js";

let issuer: FitIssuer;
beforeAll(async () => {
  issuer = await startFitIssuer();
});
afterAll(() => issuer.close());

let s: ForgeHarness | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const projectEvent = { eventType: "avi:jira:updated:project", project: { key: "PRJ" } };

describe("Forge product events", () => {
  it("with siteAccess forge: the first event starts a crawl of its section, the next within the window does not", async () => {
    s = await forgeHarness(issuer);
    const patched = await s.h.t.call("PATCH", `/v1/tenants/${s.h.tenantId}`, { json: { siteAccess: "forge" } });
    expect(patched.status).toBe(200);

    const first = await handleProductEvent(projectEvent);
    expect(first).toMatchObject({ accepted: 1, crawl: [expect.stringMatching(/^crawl-/)] });
    expect(s.shim.pushed).toHaveLength(1);
    expect(s.shim.pushed[0]?.body).toMatchObject({ runs: [{ section: "jira" }] });

    // A burst of events is one crawl; another section gets its own.
    expect(await handleProductEvent(projectEvent)).toEqual({ accepted: 1 });
    const space = await handleProductEvent({ eventType: "avi:confluence:updated:space:V2", space: { key: "S" } });
    expect(space).toMatchObject({ crawl: [expect.stringMatching(/^crawl-/)] });
    expect(s.shim.pushed).toHaveLength(2);
    // The backend queued nothing for itself: it cannot read these sections.
    await s.h.t.services.events.idle();
    expect(s.h.outcomes).toEqual([]);
  });

  it("with the backend reading the site: the event is queued for a re-read, and no crawl starts", async () => {
    s = await forgeHarness(issuer);
    expect(await handleProductEvent(projectEvent)).toEqual({ accepted: 1 });
    expect(s.shim.pushed).toHaveLength(0);
    await s.h.t.services.events.idle();
    expect(s.h.outcomes.length).toBeGreaterThan(0);
  });
});
