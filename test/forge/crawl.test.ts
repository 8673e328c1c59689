/**
 * The Forge crawl end to end, offline: the REAL `@forge/api` / `@forge/events` through the runtime shim, product
 * calls to the in-process simulator (S tenant), `invokeRemote` to the REAL backend app verifying a locally signed
 * FIT. Acceptance: the Jira and Confluence sections the Forge path commits equal, as sets, those of standalone
 * discovery. Also: a lost batch answer is resent with the same seq and stored once; a retried job after commit is a
 * no-op; product events are forwarded; a 401/403 at install time asks Forge to retry.
 */

import { buildModel } from "@accessmap/backend/model/build-model";
import { type FitIssuer, startFitIssuer } from "@accessmap/backend/service/fit-testing";
import { type CrawlDeps, runCrawlJob, startCrawl } from "@accessmap/forge-app/crawl/crawl";
import { forwardEvent, handleLifecycle } from "@accessmap/forge-app/events/forward";
import { forgeTransport } from "@accessmap/forge-app/transport/forge-transport";
import { readConfluence } from "@accessmap/shared/readers/confluence/read-confluence";
import { readJira } from "@accessmap/shared/readers/jira/read-jira";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Shim } from "./forge-runtime-shim.js";
import { type ForgeHarness, forgeHarness } from "./harness.js";

let issuer: FitIssuer;
beforeAll(async () => {
  issuer = await startFitIssuer();
});
afterAll(() => issuer.close());

const open: ForgeHarness[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function setup(opts: { installationId?: string; size?: "S" | "M" } = {}): Promise<ForgeHarness> {
  // One shim at a time: the globals are process-wide.
  for (const s of open.splice(0)) await s.close();
  const s = await forgeHarness(issuer, opts);
  open.push(s);
  return s;
}

/** Runs queued crawl jobs as Forge would, in order, until the queue is empty. */
async function drain(s: Shim, maxRows = 2_000, deps: CrawlDeps = {}) {
  const outcomes = [];
  while (s.pushed.length > 0) {
    const job = s.pushed.shift()!;
    expect(job.queueName).toBe("crawl-jobs");
    // A job carries run ids and a small position, never rows or id lists.
    expect(JSON.stringify(job.body).length).toBeLessThan(4_000);
    outcomes.push(
      await runCrawlJob(
        { body: job.body },
        { sleep: async () => {}, limits: { maxRows, maxBytes: 1_000_000 }, ...deps },
      ),
    );
  }
  return outcomes;
}

/** Calls by path (query left out; ids kept, so a call repeated for the same project or space counts twice). */
function byEndpoint(calls: Array<{ path: string }>): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of calls) {
    const path = c.path.split("?")[0]!;
    out.set(path, (out.get(path) ?? 0) + 1);
  }
  return out;
}

/** Product calls the shim answered so far, by product. */
const productCalls = (s: Shim, product: "jira" | "confluence") =>
  s.calls.filter((c) => c.type === "fpp" && c.remote === product);

/** A section as comparable sets: each list as a set of row strings (with its length), scalars as they are. */
function asSets(section: Record<string, unknown> | undefined) {
  return Object.fromEntries(
    Object.entries(section ?? {}).map(([k, v]) =>
      Array.isArray(v) ? [k, { n: v.length, rows: new Set(v.map((r) => JSON.stringify(r))) }] : [k, v],
    ),
  );
}

describe("Forge crawl through the real @forge/api and the real backend", () => {
  it("commits the same sections and model as standalone discovery (M tenant, compared as sets)", async () => {
    const s = await setup({ size: "M" });
    const standalone = await s.h.currentSnapshot();
    expect(standalone.jira?.users.length).toBeGreaterThan(0);

    const job = await startCrawl();
    expect(job.runs.map((r) => r.section)).toEqual(["jira", "confluence"]);
    // Small parts, one per job: many jobs, each a directory or one page of projects or spaces.
    const outcomes = await drain(s.shim, 2_000, { partSizes: { projects: 4, spaces: 5 }, partsPerJob: 1 });
    expect(outcomes.filter((o) => o.state !== "continued").map((o) => [o.section, o.state])).toEqual([
      ["jira", "committed"],
      ["confluence", "committed"],
    ]);
    expect(outcomes.every((o) => o.parts === 1)).toBe(true);
    const jobs = (section: string) => outcomes.filter((o) => o.section === section).length;
    const m = standalone;
    // The directory, then one part per page of 4 projects or 5 spaces (the last page may come back empty).
    expect(jobs("jira")).toBeGreaterThanOrEqual(1 + Math.ceil(m.jira!.projects.length / 4));
    expect(jobs("jira")).toBeLessThanOrEqual(2 + Math.ceil(m.jira!.projects.length / 4));
    expect(jobs("confluence")).toBeGreaterThanOrEqual(1 + Math.ceil(m.confluence!.spaces.length / 5));
    expect(jobs("confluence")).toBeLessThanOrEqual(2 + Math.ceil(m.confluence!.spaces.length / 5));
    const forge = await s.h.currentSnapshot();
    expect(forge.statuses.find((x) => x.product === "jira")?.reasons.join()).toMatch(/read by the Forge app/);
    expect(asSets(forge.jira as Record<string, unknown>)).toEqual(asSets(standalone.jira as Record<string, unknown>));
    expect(asSets(forge.confluence as Record<string, unknown>)).toEqual(
      asSets(standalone.confluence as Record<string, unknown>),
    );
    // The same model: every effective access entry (with its paths) and every account, as sets.
    const [a, b] = [buildModel(standalone), buildModel(forge)];
    expect(a.access.length).toBeGreaterThan(1_000);
    expect(new Set(b.access.map((e) => JSON.stringify(e)))).toEqual(new Set(a.access.map((e) => JSON.stringify(e))));
    expect(new Set(b.accounts.map((e) => JSON.stringify(e)))).toEqual(
      new Set(a.accounts.map((e) => JSON.stringify(e))),
    );
    // Every product call went through requestJira/requestConfluence, every backend call through invokeRemote.
    expect(s.shim.calls.filter((c) => c.type === "fpp" && c.remote === "jira").length).toBeGreaterThan(5);
    expect(s.shim.calls.filter((c) => c.type === "fpp" && c.remote === "confluence").length).toBeGreaterThan(3);
  });

  it("reads nothing twice: per endpoint the calls of a whole-section read, plus a listing page per part (M tenant)", async () => {
    const s = await setup({ size: "M" });
    await readJira({ transport: forgeTransport("jira") });
    await readConfluence({ transport: forgeTransport("confluence") });
    const whole = {
      jira: byEndpoint(productCalls(s.shim, "jira")),
      confluence: byEndpoint(productCalls(s.shim, "confluence")),
    };
    s.shim.calls.length = 0;

    await startCrawl();
    const outcomes = await drain(s.shim, 2_000, { partsPerJob: 1, partSizes: { projects: 10, spaces: 10 } });
    const parts = (section: string) => outcomes.filter((o) => o.section === section).length - 1;
    expect(parts("jira")).toBeGreaterThan(5);
    expect(parts("confluence")).toBeGreaterThan(2);
    const parted = {
      jira: byEndpoint(productCalls(s.shim, "jira")),
      confluence: byEndpoint(productCalls(s.shim, "confluence")),
    };

    // Per project or space, per group and in the directory: the very calls of the whole read.
    const listings = [
      "/rest/api/3/project/search",
      "/wiki/api/v2/spaces",
      "/wiki/rest/api/space",
      "/wiki/api/v2/users-bulk",
    ];
    for (const product of ["jira", "confluence"] as const) {
      const rest = (m: Map<string, number>) => [...m].filter(([k]) => !listings.includes(k)).sort();
      expect(rest(parted[product]), product).toEqual(rest(whole[product]));
    }
    // Each project or space part reads one page of its listing (and v1's grants of that page's spaces).
    expect(parted.jira.get("/rest/api/3/project/search")).toBe(parts("jira"));
    expect(parted.confluence.get("/wiki/api/v2/spaces")).toBe(parts("confluence"));
    expect(parted.confluence.get("/wiki/rest/api/space")).toBeLessThanOrEqual(parts("confluence"));
    // Accounts are resolved per part: at most one more users-bulk call per part.
    const bulk = (m: Map<string, number>) => m.get("/wiki/api/v2/users-bulk") ?? 0;
    expect(bulk(parted.confluence)).toBeLessThanOrEqual(bulk(whole.confluence) + parts("confluence"));
    // In all, within a few percent of the whole read even with parts this small.
    for (const product of ["jira", "confluence"] as const) {
      const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
      expect(total(parted[product]), product).toBeLessThanOrEqual(Math.ceil(total(whole[product]) * 1.05));
    }
  });

  it("resends a batch whose answer was lost with the same seq (stored once), and a retried job is a no-op", async () => {
    const s = await setup();
    const job = await startCrawl(["jira"]);
    const run = job.runs[0]!;
    s.loseAnswer(/\/batches$/);
    const jobBody = s.shim.pushed[0]!.body;
    const [first] = await drain(s.shim, 100);
    expect(first).toMatchObject({ section: "jira", runId: run.runId, state: "committed" });
    expect(first!.batches).toBeGreaterThan(3);
    const batchCalls = s.shim.calls.filter((c) => c.type === "frc" && c.path.endsWith("/batches"));
    expect(batchCalls.length).toBe(first!.batches + 1);
    const sent = Object.values(first!.counts).reduce((a, b) => a + b, 0);
    expect(sent).toBeGreaterThan(0);
    // Forge retries the whole job (say its answer timed out): the run is complete, nothing is sent twice.
    const again = await runCrawlJob({ body: jobBody }, { sleep: async () => {} });
    expect(again.state).toBe("already-complete");
    const audit = await s.h.t.store.listAudit(s.h.tenantId, { action: "forge.crawl.complete" });
    expect(audit.entries).toHaveLength(1);
  });

  it("forwards product events, and asks Forge to retry on a 401/403 (install-time propagation)", async () => {
    await setup();
    const ok = await forwardEvent({ eventType: "avi:jira:updated:project", project: { key: "PRJ" } });
    expect(ok).toEqual({ accepted: 1 });

    // The backend does not know this installation yet: 403 → a retry request, not a failure.
    const early = await setup({ installationId: "ari:cloud:ecosystem::installation/not-yet" });
    const retry = await forwardEvent({ eventType: "avi:confluence:created:space:V2", space: { key: "S" } });
    expect(retry).toMatchObject({ _retry: true, retryOptions: { retryReason: "FUNCTION_RETRY_REQUEST" } });
    expect((retry as { retryOptions: { retryAfter: number } }).retryOptions.retryAfter).toBeGreaterThan(0);
    expect(early.shim.calls.at(-1)?.status).toBe(403);
  });

  it("on install, retries while the app user's Jira access has not propagated, then starts a crawl", async () => {
    const s = await setup();
    let lag = 1;
    const shim = s.reshim({ productFault: () => (lag-- > 0 ? new Response("{}", { status: 401 }) : null) });
    const event = { eventType: "avi:forge:installed:app", id: "i-1", app: { id: issuer.appId, version: "1" } };
    const ctx = { installContext: "ari:cloud:jira::site/cloud-1" };
    expect(await handleLifecycle(event, ctx)).toMatchObject({ _retry: true });
    const started = await handleLifecycle(event, ctx);
    expect(started).toMatchObject({ crawl: [expect.stringMatching(/^crawl-/), expect.stringMatching(/^crawl-/)] });
    expect(shim.pushed).toHaveLength(1);
  });
});
