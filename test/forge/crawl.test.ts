/**
 * The Forge crawl end to end, offline: the REAL `@forge/api` / `@forge/events` through the runtime shim, product
 * calls to the in-process simulator (S tenant), `invokeRemote` to the REAL backend app verifying a locally signed
 * FIT. Acceptance: the Jira and Confluence sections the Forge path commits equal, as sets, those of standalone
 * discovery. Also: a lost batch answer is resent with the same seq and stored once; a retried job after commit is a
 * no-op; product events are forwarded; a 401/403 at install time asks Forge to retry.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FIT_ISSUER, FitVerifier } from "@accessmap/backend/security/fit";
import { ForgeTenantIndex } from "@accessmap/backend/service/auth";
import { openSqliteStore } from "@accessmap/backend/store/sqlite";
import { runCrawlJob, startCrawl } from "@accessmap/forge-app/crawl/crawl";
import { forwardEvent, handleLifecycle } from "@accessmap/forge-app/events/forward";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type EventsHarness, eventsHarness } from "../events/helpers.js";
import { installForgeShim, type Shim } from "./forge-runtime-shim.js";

const APP_ID = "ari:cloud:ecosystem::app/00000000-0000-4000-8000-000000000000";
const INSTALLATION = "ari:cloud:ecosystem::installation/forge-crawl";

let server: Server;
let jwksUrl = "";
let privateKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  privateKey = pair.privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function fit(installationId = INSTALLATION): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ app: { id: APP_ID, installationId }, context: { cloudId: "cloud-1" } })
    .setProtectedHeader({ alg: "RS256", kid: "k1" })
    .setIssuer(FIT_ISSUER)
    .setAudience(APP_ID)
    .setIssuedAt(now)
    .setExpirationTime(now + 25)
    .sign(privateKey);
}

let h: EventsHarness | undefined;
let shim: Shim | undefined;
afterEach(async () => {
  shim?.uninstall();
  shim = undefined;
  await h?.t.services.events.idle();
  await h?.t.close();
  h = undefined;
});

interface Setup {
  h: EventsHarness;
  shim: Shim;
  /** Drops the answer to the next matching remote call after the backend handled it (a lost response). */
  loseAnswer: (pattern: RegExp) => void;
}

async function setup(opts: { installationId?: string } = {}): Promise<Setup> {
  const store = await openSqliteStore({ path: ":memory:" });
  const forgeIndex = new ForgeTenantIndex(store, { refreshMs: 0 });
  const fitVerifier = new FitVerifier({ appId: APP_ID, jwksUrl, resolveTenant: forgeIndex.resolve });
  h = await eventsHarness({ ctx: { store, forgeIndex, fit: fitVerifier } });
  const bind = await h.t.call("PATCH", `/v1/tenants/${h.tenantId}`, { json: { forgeInstallationId: INSTALLATION } });
  expect(bind.status).toBe(200);
  h.t.services.forgeIndex.invalidate();
  const lose: RegExp[] = [];
  const harness = h;
  shim = installForgeShim({
    sim: h.sim,
    remote: async (remoteKey, path, init) => {
      expect(remoteKey).toBe("accessmap-backend");
      const headers = new Headers(init.headers as Record<string, string>);
      headers.set("authorization", `Bearer ${await fit(opts.installationId)}`);
      const res = await harness.t.app.request(path, { ...init, headers });
      const i = lose.findIndex((p) => p.test(path));
      if (i >= 0) {
        lose.splice(i, 1);
        return new Response(JSON.stringify({ error: { code: "unavailable", message: "lost" } }), { status: 502 });
      }
      return res;
    },
  });
  return { h, shim, loseAnswer: (p) => void lose.push(p) };
}

/** Runs queued crawl jobs as Forge would, in order, until the queue is empty. */
async function drain(s: Shim, maxRows = 2_000) {
  const outcomes = [];
  while (s.pushed.length > 0) {
    const job = s.pushed.shift()!;
    expect(job.queueName).toBe("crawl-jobs");
    outcomes.push(
      await runCrawlJob({ body: job.body }, { sleep: async () => {}, limits: { maxRows, maxBytes: 1_000_000 } }),
    );
  }
  return outcomes;
}

/** A section as comparable sets: each list as a set of row strings (with its length), scalars as they are. */
function asSets(section: Record<string, unknown> | undefined) {
  return Object.fromEntries(
    Object.entries(section ?? {}).map(([k, v]) =>
      Array.isArray(v) ? [k, { n: v.length, rows: new Set(v.map((r) => JSON.stringify(r))) }] : [k, v],
    ),
  );
}

describe("Forge crawl through the real @forge/api and the real backend", () => {
  it("commits the same Jira and Confluence sections as standalone discovery (S tenant, compared as sets)", async () => {
    const s = await setup();
    const standalone = await s.h.currentSnapshot();
    expect(standalone.jira?.users.length).toBeGreaterThan(0);

    const job = await startCrawl();
    expect(job.runs.map((r) => r.section)).toEqual(["jira", "confluence"]);
    const outcomes = await drain(s.shim);
    expect(outcomes.map((o) => [o.section, o.state])).toEqual([
      ["jira", "committed"],
      ["confluence", "committed"],
    ]);
    const forge = await s.h.currentSnapshot();
    expect(forge.statuses.find((x) => x.product === "jira")?.reasons.join()).toMatch(/read by the Forge app/);
    expect(asSets(forge.jira as Record<string, unknown>)).toEqual(asSets(standalone.jira as Record<string, unknown>));
    expect(asSets(forge.confluence as Record<string, unknown>)).toEqual(
      asSets(standalone.confluence as Record<string, unknown>),
    );
    // Every product call went through requestJira/requestConfluence, every backend call through invokeRemote.
    expect(s.shim.calls.filter((c) => c.type === "fpp" && c.remote === "jira").length).toBeGreaterThan(5);
    expect(s.shim.calls.filter((c) => c.type === "fpp" && c.remote === "confluence").length).toBeGreaterThan(3);
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
    const s = await setup();
    const ok = await forwardEvent({ eventType: "avi:jira:updated:project", project: { key: "PRJ" } });
    expect(ok).toEqual({ accepted: 1 });
    s.shim.uninstall();

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
    s.shim.uninstall();
    shim = installForgeShim({
      sim: s.h.sim,
      productFault: () => (lag-- > 0 ? new Response("{}", { status: 401 }) : null),
      remote: async (_k, path, init) => {
        const headers = new Headers(init.headers as Record<string, string>);
        headers.set("authorization", `Bearer ${await fit()}`);
        return s.h.t.app.request(path, { ...init, headers });
      },
    });
    const event = { eventType: "avi:forge:installed:app", id: "i-1", app: { id: APP_ID, version: "1" } };
    const ctx = { installContext: "ari:cloud:jira::site/cloud-1" };
    expect(await handleLifecycle(event, ctx)).toMatchObject({ _retry: true });
    const started = await handleLifecycle(event, ctx);
    expect(started).toMatchObject({ crawl: [expect.stringMatching(/^crawl-/), expect.stringMatching(/^crawl-/)] });
    expect(shim.pushed).toHaveLength(1);
  });
});
