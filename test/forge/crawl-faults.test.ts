/**
 * The Forge path's failure modes (issue #6 Acceptance), through the real `@forge/api` / `@forge/events`, the
 * simulator and the real backend:
 *
 * - 429s from the products during a crawl (the simulator's own rate limiter, burst and points-based quota, on a
 *   virtual clock): the shared transport waits them out and the committed sections are complete;
 * - install-time 401 and 403, from the product (permission propagation) and from the backend at registration:
 *   each asks Forge to retry, and the retry registers the installation and starts the crawl;
 * - a consumer running out of time mid-part: while reading, the job puts that part back on the queue and the next
 *   invocation reads it (and nothing before it) again, sending everything once; killed while sending, the
 *   re-delivered job resends its batches under the same seqs, stored once; a part's job delivered twice is stored
 *   once;
 * - a retried batch (a lost answer) is covered by crawl.test.ts.
 */
import { type FitIssuer, startFitIssuer } from "@accessmap/backend/service/fit-testing";
import { MAX_RESUMES, runCrawlJob, startCrawl } from "@accessmap/forge-app/crawl/crawl";
import { handleLifecycle } from "@accessmap/forge-app/events/forward";
import { forgeTransport } from "@accessmap/forge-app/transport/forge-transport";
import type { CrawlSectionName } from "@accessmap/shared/wire/forge";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ORIGIN } from "../atlassian-sim/testing.js";
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

async function setup(): Promise<ForgeHarness> {
  for (const s of open.splice(0)) await s.close();
  const s = await forgeHarness(issuer);
  open.push(s);
  return s;
}

type Deps = Parameters<typeof runCrawlJob>[1];

/** Runs queued crawl jobs as Forge would, in order, until the queue is empty. */
async function drain(s: Shim, deps: Deps = {}) {
  const outcomes = [];
  while (s.pushed.length > 0) {
    const job = s.pushed.shift()!;
    outcomes.push(await runCrawlJob({ body: job.body }, { sleep: async () => {}, ...deps }));
  }
  return outcomes;
}

/** A section as comparable sets: each list as a set of row strings (with its length), scalars as they are. */
function asSets(section: unknown) {
  return Object.fromEntries(
    Object.entries((section ?? {}) as Record<string, unknown>).map(([k, v]) =>
      Array.isArray(v) ? [k, { n: v.length, rows: new Set(v.map((r) => JSON.stringify(r))) }] : [k, v],
    ),
  );
}

/** The Jira and Confluence sections now committed equal those standalone discovery committed first. */
async function expectSameAsStandalone(
  s: ForgeHarness,
  standalone: Awaited<ReturnType<ForgeHarness["h"]["currentSnapshot"]>>,
) {
  const now = await s.h.currentSnapshot();
  for (const section of ["jira", "confluence"] as const) {
    expect(asSets(now[section]), section).toEqual(asSets(standalone[section]));
  }
  return now;
}

/** The seqs of the batches the app sent for one run, in order. */
const batchSeqs = (s: ForgeHarness, runId: string) =>
  s.requests.filter((r) => r.path === `/forge/v1/crawls/${runId}/batches`).map((r) => (r.body as { seq: number }).seq);

/** Product calls the shim answered, by status. */
const productStatuses = (s: Shim, product: string) =>
  s.calls.filter((c) => c.type === "fpp" && c.remote === product).map((c) => c.status);

describe("429s from the products during a crawl", () => {
  it("waits out burst and points-based quota 429s as the products ask, and commits complete sections", async () => {
    const s = await setup();
    const standalone = await s.h.currentSnapshot();
    // A virtual clock for the transport: waits are counted, never slept.
    let now = Date.parse("2026-03-02T09:00:00Z");
    const waits: number[] = [];
    const clock = () => now;
    const sleep = async (ms: number) => {
      waits.push(ms);
      now += ms;
    };
    // Every fourth call of each product is refused: Jira by the points-based app quota (Retry-After with the
    // `Beta-RateLimit` policy headers), Confluence by the burst limit (X-RateLimit-Reset only), as the products
    // publish them (the simulator's `http/rate-limit.ts` renders the same headers).
    const seen = { jira: 0, confluence: 0 };
    const injected = { jira: 0, confluence: 0 };
    const shim = s.reshim({
      productFault: (product) => {
        const p = product as "jira" | "confluence";
        if (++seen[p] % 4 !== 0) return null;
        injected[p]++;
        const headers: Record<string, string> =
          p === "jira"
            ? {
                "content-type": "application/json",
                "retry-after": "7",
                "ratelimit-reason": "jira-quota-tenant-based",
                "beta-ratelimit-policy": '"global-app-quota";q=100;w=60',
                "beta-ratelimit": '"global-app-quota";r=0;t=7',
                "x-ratelimit-remaining": "0",
              }
            : {
                "content-type": "application/json",
                "ratelimit-reason": "confluence-burst-based",
                "x-ratelimit-reset": new Date(now + 3_000).toISOString(),
                "x-ratelimit-remaining": "0",
              };
        return new Response(JSON.stringify({ message: "Rate limit exceeded." }), { status: 429, headers });
      },
    });
    const transport = (section: CrawlSectionName) => forgeTransport(section, { clock, sleep, concurrency: 1 });

    await startCrawl();
    const outcomes = await drain(shim, { transport, sleep });
    expect(outcomes.map((o) => [o.section, o.state])).toEqual([
      ["jira", "committed"],
      ["confluence", "committed"],
    ]);
    expect(injected.jira).toBeGreaterThan(2);
    expect(injected.confluence).toBeGreaterThan(1);
    expect(productStatuses(shim, "jira").filter((x) => x === 429)).toHaveLength(injected.jira);
    expect(productStatuses(shim, "confluence").filter((x) => x === 429)).toHaveLength(injected.confluence);
    // Each refusal was waited out as asked: 7 s for the quota, until the reset for the burst limit.
    expect(waits.filter((w) => w >= 7_000).length).toBeGreaterThanOrEqual(injected.jira);
    expect(waits.filter((w) => w >= 2_000).length).toBeGreaterThanOrEqual(injected.jira + injected.confluence);
    // Nothing missing or doubled, and both sections complete.
    const committed = await expectSameAsStandalone(s, standalone);
    for (const product of ["jira", "confluence"]) {
      expect(committed.statuses.find((x) => x.product === product)?.state).toBe("complete");
    }
  });
});

describe("install-time 401 and 403", () => {
  const event = { eventType: "avi:forge:installed:app", id: "i-1", app: { id: "app", version: "1" } };

  it("retries on a 403 from the product (the app user's access has not propagated), then registers and crawls", async () => {
    const s = await setup();
    let lag = 2;
    const shim = s.reshim({ productFault: () => (lag-- > 0 ? new Response("{}", { status: 403 }) : null) });
    const ctx = { installContext: "ari:cloud:confluence::site/cloud-1" };
    expect(await handleLifecycle(event, ctx)).toMatchObject({
      _retry: true,
      retryOptions: { retryReason: "FUNCTION_RETRY_REQUEST" },
    });
    expect(await handleLifecycle(event, ctx)).toMatchObject({ _retry: true });
    // Nothing reached the backend while the product refused.
    expect(s.requests).toEqual([]);
    const started = await handleLifecycle(event, ctx);
    expect(started).toMatchObject({ crawl: [expect.stringMatching(/^crawl-/), expect.stringMatching(/^crawl-/)] });
    expect(s.requests[0]).toEqual({
      method: "POST",
      path: "/forge/v1/installations",
      body: { product: "confluence", siteUrl: null, cloudId: "cloud-1" },
    });
    expect(shim.pushed).toHaveLength(1);
  });

  it("retries on a 401 and on a 403 from the backend at registration, then registers and crawls", async () => {
    const s = await setup();
    const answers = [401, 403];
    s.remoteFault = (path) => {
      const status = path === "/forge/v1/installations" ? answers.shift() : undefined;
      return status
        ? new Response(JSON.stringify({ error: { code: "unauthenticated", message: "not yet" } }), { status })
        : null;
    };
    const ctx = { installContext: "ari:cloud:jira::site/cloud-1", siteUrl: "https://acme.atlassian.net" };
    expect(await handleLifecycle(event, ctx)).toMatchObject({ _retry: true });
    expect(await handleLifecycle(event, ctx)).toMatchObject({ _retry: true });
    // A refused registration goes no further: no event forwarded, no crawl started.
    expect(s.requests.map((r) => r.path)).toEqual(["/forge/v1/installations", "/forge/v1/installations"]);
    expect(s.shim.pushed).toEqual([]);

    expect(await handleLifecycle(event, ctx)).toMatchObject({ crawl: [expect.any(String), expect.any(String)] });
    const registrations = s.requests.filter((r) => r.path === "/forge/v1/installations");
    expect(registrations).toHaveLength(3);
    expect(registrations[2]!.body).toEqual({
      product: "jira",
      siteUrl: "https://acme.atlassian.net",
      cloudId: "cloud-1",
    });
    const answered = s.shim.calls.filter((c) => c.path === "/forge/v1/installations").map((c) => c.status);
    expect(answered).toEqual([401, 403, 200]);
    expect(s.shim.pushed).toHaveLength(1);
  });
});

describe("a consumer running out of time mid-part", () => {
  it("requeues the same run when reading runs out of time; the next invocation sends everything once", async () => {
    const s = await setup();
    const standalone = await s.h.currentSnapshot();
    // The fifth Jira call hangs until the chunk's reading deadline aborts it, as a slow product would.
    let n = 0;
    const shim = s.reshim({
      productFault: (product, _path, init) => {
        if (product !== "jira" || ++n !== 5) return null;
        return new Promise((_resolve, reject) => {
          const signal = init.signal!;
          const abort = () => reject(new DOMException("The operation was aborted.", "AbortError"));
          if (signal.aborted) abort();
          else signal.addEventListener("abort", abort, { once: true });
        });
      },
    });
    const job = await startCrawl(["jira"]);
    const first = shim.pushed.shift()!;
    // 61 s left: the chunk keeps 60 s to send, so reading gets the minimum budget (1 s) and is cut short.
    const cut = await runCrawlJob({ body: first.body }, { remainingMs: () => 61_000, sleep: async () => {} });
    expect(cut).toMatchObject({ section: "jira", runId: job.runs[0]!.runId, state: "requeued", batches: 0 });
    // Nothing of the run was sent; the same run is back on the queue.
    expect(s.requests.filter((r) => r.path.includes("/crawls/") && r.path.endsWith("/batches"))).toEqual([]);
    expect(shim.pushed).toHaveLength(1);
    expect(shim.pushed[0]!.body).toEqual({
      ...first.body,
      progress: { part: 0, at: { kind: "directory" }, seq: 0, counts: {} },
      resumes: 1,
    });

    const [done] = await drain(shim, { limits: { maxRows: 100, maxBytes: 1_000_000 } });
    expect(done).toMatchObject({ runId: job.runs[0]!.runId, state: "committed" });
    expect(done!.batches).toBeGreaterThan(3);
    // Each batch went out once, in order.
    expect(batchSeqs(s, job.runs[0]!.runId)).toEqual([...Array(done!.batches).keys()]);
    await expectSameAsStandalone(s, standalone);
    expect(shim.pushed).toEqual([]);
  });

  it("gives up after MAX_RESUMES cut-short invocations instead of requeueing forever", async () => {
    const s = await setup();
    const shim = s.reshim({
      productFault: (product, _path, init) =>
        product === "jira"
          ? new Promise((_resolve, reject) =>
              init.signal!.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")), {
                once: true,
              }),
            )
          : null,
    });
    await startCrawl(["jira"]);
    const job = shim.pushed.shift()!;
    await expect(
      runCrawlJob({ body: { ...job.body, resumes: MAX_RESUMES } }, { remainingMs: () => 61_000 }),
    ).rejects.toThrow(/abort/i);
    expect(shim.pushed).toEqual([]);
  });

  it("killed while sending: the re-delivered job resends under the same seqs, each stored once", async () => {
    const s = await setup();
    const standalone = await s.h.currentSnapshot();
    const job = await startCrawl(["jira"]);
    const body = s.shim.pushed.shift()!.body;
    const runId = job.runs[0]!.runId;
    // The invocation dies (its time is up) while sending the fourth batch.
    let sent = 0;
    s.remoteFault = (path) =>
      path.endsWith("/batches") && ++sent === 4 ? new Error("Forge: function invocation timed out") : null;
    const limits = { maxRows: 100, maxBytes: 1_000_000 };
    await expect(runCrawlJob({ body }, { sleep: async () => {}, limits })).rejects.toThrow(/timed out/);
    expect(await s.h.t.store.listCrawlBatches(s.h.tenantId, runId)).toHaveLength(3);
    expect(s.shim.pushed).toEqual([]);

    // Forge delivers the job again.
    s.remoteFault = null;
    const again = await runCrawlJob({ body }, { sleep: async () => {}, limits });
    expect(again).toMatchObject({ runId, state: "committed" });
    // The first three went out twice (the backend kept one of each: its count check at completion passed), the
    // fourth died on the way the first time.
    const all = [...Array(again.batches).keys()];
    expect(batchSeqs(s, runId)).toEqual([0, 1, 2, 3, ...all]);
    const audit = await s.h.t.store.listAudit(s.h.tenantId, { action: "forge.crawl.complete" });
    expect(audit.entries).toHaveLength(1);
    await expectSameAsStandalone(s, standalone);
  });
  it("cut short in the middle of the project parts, resumes at that part without reading earlier parts again", async () => {
    const s = await setup();
    const standalone = await s.h.currentSnapshot();
    const projects = standalone.jira!.projects.length;
    expect(projects).toBeGreaterThanOrEqual(4);
    const deps = { sleep: async () => {}, partsPerJob: 1, partSizes: { projects: 1 } };
    const job = await startCrawl(["jira"]);
    const runId = job.runs[0]!.runId;
    // The directory and the first two project parts go through.
    for (let i = 0; i < 3; i++) {
      expect((await runCrawlJob({ body: s.shim.pushed.shift()!.body }, deps)).state).toBe("continued");
    }
    const third = s.shim.pushed.shift()!;
    expect(third.body).toMatchObject({ progress: { part: 3, at: { kind: "projects", startAt: 2 } } });
    const sentBefore = batchSeqs(s, runId);
    const callsBefore = [...s.shim.calls];

    // The third project part's second role call hangs until the reading deadline aborts it.
    let n = 0;
    const shim = s.reshim({
      productFault: (product, path, init) => {
        if (product !== "jira" || !/\/role\/\d+/.test(path) || ++n !== 2) return null;
        return new Promise((_resolve, reject) => {
          const abort = () => reject(new DOMException("The operation was aborted.", "AbortError"));
          if (init.signal!.aborted) abort();
          else init.signal!.addEventListener("abort", abort, { once: true });
        });
      },
    });
    const cut = await runCrawlJob({ body: third.body }, { ...deps, remainingMs: () => 61_000 });
    expect(cut).toMatchObject({ state: "requeued", parts: 0, batches: 0 });
    // Nothing of the part was sent, and that same part is back on the queue.
    expect(batchSeqs(s, runId)).toEqual(sentBefore);
    expect(shim.pushed).toEqual([{ queueName: "crawl-jobs", body: { ...third.body, resumes: 1 } }]);

    const rest = await drain(shim, deps);
    expect(rest.at(-1)).toMatchObject({ runId, state: "committed" });
    await expectSameAsStandalone(s, standalone);
    // Each seq went out once, in order, across all parts.
    const seqs = batchSeqs(s, runId);
    expect(seqs).toEqual([...seqs.keys()]);

    // Product calls: the directory once in all; each project page once, the cut one twice; each project's
    // scheme once, but for the cut part's project, read again.
    const jira = [...callsBefore, ...shim.calls]
      .filter((c) => c.type === "fpp" && c.remote === "jira")
      .map((c) => c.path);
    const count = (re: RegExp) => jira.filter((p) => re.test(p)).length;
    expect(count(/\/users\/search/)).toBe(Math.ceil(standalone.jira!.users.length / 1000) + 1);
    expect(count(/\/permissionscheme\?/)).toBe(1);
    const pages = jira
      .filter((p) => p.includes("/project/search"))
      .map((p) => new URL(p, ORIGIN).searchParams.get("startAt"));
    const expectedPages = Array.from({ length: projects }, (_, i) => String(i));
    expect(pages.sort()).toEqual([...expectedPages, "2"].sort());
    const schemeCalls = jira.filter((p) => /\/project\/[^/]+\/permissionscheme$/.test(p));
    expect(schemeCalls).toHaveLength(projects + 1);
    expect(new Set(schemeCalls).size).toBe(projects);
  });

  it("a project deleted between two parts shifts the listing: the next part steps back, missing and doubling none", async () => {
    const s = await setup();
    const deps = { sleep: async () => {}, partsPerJob: 1, partSizes: { projects: 2 } };
    await startCrawl(["jira"]);
    // The directory and the first project page (the first two projects by key) go through.
    for (let i = 0; i < 2; i++) await runCrawlJob({ body: s.shim.pushed.shift()!.body }, deps);
    const jira = s.h.sim.sim.state.tenant.jira;
    const byKey = [...jira.projects].sort((a, b) => (a.key < b.key ? -1 : 1));
    // The first project is deleted: every later one moves one place forward in the listing.
    jira.projects = jira.projects.filter((p) => p.id !== byKey[0]!.id);
    s.h.sim.sim.state.revision++;
    const outcomes = await drain(s.shim, deps);
    expect(outcomes.at(-1)?.state).toBe("committed");
    const committed = (await s.h.currentSnapshot()).jira!.projects.map((p) => p.key);
    expect(committed.sort()).toEqual(byKey.map((p) => p.key).sort());
  });

  it("a part's job delivered twice is stored once, and its duplicate chain ends as already complete", async () => {
    const s = await setup();
    const standalone = await s.h.currentSnapshot();
    const deps = { sleep: async () => {}, partsPerJob: 1, partSizes: { projects: 2 } };
    const job = await startCrawl(["jira"]);
    const runId = job.runs[0]!.runId;
    await runCrawlJob({ body: s.shim.pushed.shift()!.body }, deps);
    const second = s.shim.pushed.shift()!;
    await runCrawlJob({ body: second.body }, deps);
    const stored = await s.h.t.store.listCrawlBatches(s.h.tenantId, runId);
    // Forge delivers the project part's job again: the same seqs, answered as duplicates, nothing stored twice.
    const again = await runCrawlJob({ body: second.body }, deps);
    expect(again).toMatchObject({ state: "continued", parts: 1 });
    expect(await s.h.t.store.listCrawlBatches(s.h.tenantId, runId)).toHaveLength(stored.length);
    const resent = s.shim.calls.filter((c) => c.type === "frc" && c.path.endsWith("/batches")).slice(-again.batches);
    expect(resent.every((c) => c.status === 202)).toBe(true);
    // Both deliveries queued the next part: the two chains run on; the first commits, the second finds it done.
    expect(s.shim.pushed).toHaveLength(2);
    const outcomes = await drain(s.shim, deps);
    expect(outcomes.filter((o) => o.state === "committed")).toHaveLength(1);
    expect(outcomes.filter((o) => o.state === "already-complete")).toHaveLength(1);
    const audit = await s.h.t.store.listAudit(s.h.tenantId, { action: "forge.crawl.complete" });
    expect(audit.entries).toHaveLength(1);
    await expectSameAsStandalone(s, standalone);
  });
});
