/**
 * Forge ingestion with real FITs against a local JWKS: product events (ack fast, re-read the section, patch) and
 * crawl batches (retried batch idempotent, count mismatch 409 with nothing committed, completion patches the
 * section), unknown installation 403, wrong audience 401.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FIT_ISSUER, FitVerifier } from "@accessmap/backend/security/fit";
import { ForgeTenantIndex } from "@accessmap/backend/service/auth";
import { openSqliteStore } from "@accessmap/backend/store/sqlite";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type EventsHarness, eventsHarness } from "./helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Body = any;

const APP_ID = "ari:cloud:ecosystem::app/11111111-2222-3333-4444-555555555555";
const OTHER_APP = "ari:cloud:ecosystem::app/99999999-8888-7777-6666-555555555555";
const INSTALLATION = "ari:cloud:ecosystem::installation/aaaa";

let server: Server;
let jwksUrl = "";
let privateKey: CryptoKey;
let jwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
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

let h: EventsHarness;
afterEach(async () => {
  await h?.t.services.events.idle();
  await h?.t.close();
});

async function fit(opts: { aud?: string; installationId?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    app: { id: APP_ID, installationId: opts.installationId ?? INSTALLATION },
    context: { cloudId: "cloud-1" },
  })
    .setProtectedHeader({ alg: "RS256", kid: "k1" })
    .setIssuer(FIT_ISSUER)
    .setAudience(opts.aud ?? APP_ID)
    .setIssuedAt(now)
    .setExpirationTime(now + 25)
    .sign(privateKey);
}

async function forgeHarness(sync = true): Promise<EventsHarness> {
  const store = await openSqliteStore({ path: ":memory:" });
  const forgeIndex = new ForgeTenantIndex(store, { refreshMs: 0 });
  const verifier = new FitVerifier({ appId: APP_ID, jwksUrl, resolveTenant: forgeIndex.resolve });
  const harness = await eventsHarness({ ctx: { store, forgeIndex, fit: verifier }, sync });
  const bind = await harness.t.call("PATCH", `/v1/tenants/${harness.tenantId}`, {
    json: { forgeInstallationId: INSTALLATION },
  });
  expect(bind.status).toBe(200);
  harness.t.services.forgeIndex.invalidate();
  return harness;
}

const post = (h: EventsHarness, path: string, token: string, json: unknown) => h.t.call("POST", path, { token, json });

describe("POST /forge/v1/events", () => {
  it("acknowledges at once and patches the Confluence section after a space-permission event", async () => {
    h = await forgeHarness();
    const before = (await h.t.store.getCurrentPointer(h.tenantId))!.version;
    const token = await fit();
    const started = performance.now();
    const res = await post(h, "/forge/v1/events", token, {
      events: [
        {
          eventType: "avi:confluence:permissions_updated:space:V2",
          payload: { space: { key: "ENG" } },
          receivedAt: new Date().toISOString(),
        },
        { eventType: "avi:jira:created:issue", payload: {}, receivedAt: new Date().toISOString() },
      ],
    });
    expect(res.status).toBe(202);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(await res.json()).toEqual({ accepted: 1, ignored: 1 });
    await h.t.services.events.idle();
    expect(h.outcomes.at(-1)).toMatchObject({ outcome: "patched", sections: ["confluence"] });
    expect((await h.t.store.getCurrentPointer(h.tenantId))!.version).toBeGreaterThan(before);
  });

  it("J2/J9: a token of another app is 401, an unknown installation 403, a malformed body 400", async () => {
    h = await forgeHarness(false);
    const body = { events: [{ eventType: "avi:jira:updated:project", payload: {}, receivedAt: "now" }] };
    expect((await post(h, "/forge/v1/events", await fit({ aud: OTHER_APP }), body)).status).toBe(401);
    expect((await post(h, "/forge/v1/events", await fit({ installationId: "other" }), body)).status).toBe(403);
    expect(
      (await post(h, "/forge/v1/crawls", await fit({ installationId: "other" }), { section: "jira" })).status,
    ).toBe(403);
    expect((await post(h, "/forge/v1/events", await fit(), { events: [] })).status).toBe(400);
    expect((await post(h, "/forge/v1/events", await fit(), { events: [{ eventType: 1 }] })).status).toBe(400);
  });
});

describe("Forge crawls", () => {
  it("assembles batches (a retried batch is idempotent), checks counts, and commits the section", async () => {
    h = await forgeHarness();
    const token = await fit();
    const jira = (await h.currentSnapshot()).jira!;
    const start = await post(h, "/forge/v1/crawls", token, { section: "jira" });
    expect(start.status).toBe(201);
    const { runId } = (await start.json()) as Body;
    const half = Math.ceil(jira.users.length / 2);
    const batches = [
      { seq: 0, section: "jira", rows: { users: jira.users.slice(0, half), groups: jira.groups } },
      {
        seq: 1,
        section: "jira",
        rows: {
          users: jira.users.slice(half),
          groupMembers: jira.groupMembers,
          adminGroupIds: jira.adminGroupIds,
          siteAdminGroupIds: jira.siteAdminGroupIds,
          projects: jira.projects,
          roles: jira.roles,
          roleActors: jira.roleActors,
          permissionSchemes: jira.permissionSchemes,
          grants: jira.grants,
          applicationRoles: jira.applicationRoles,
        },
      },
    ];
    for (const b of batches) {
      const r = await post(h, `/forge/v1/crawls/${runId}/batches`, token, b);
      expect(r.status).toBe(202);
      expect(((await r.json()) as Body).duplicate).toBe(false);
    }
    // The Forge app retries batch 1 (its answer was lost): accepted, stored once.
    const retry = await post(h, `/forge/v1/crawls/${runId}/batches`, token, batches[1]);
    expect(retry.status).toBe(202);
    expect(((await retry.json()) as Body).duplicate).toBe(true);

    const counts = Object.fromEntries(Object.entries(jira).map(([k, v]) => [k, (v as unknown[]).length]));
    const before = (await h.t.store.getCurrentPointer(h.tenantId))!.version;
    const done = await post(h, `/forge/v1/crawls/${runId}/complete`, token, { counts });
    expect(done.status).toBe(200);
    const body = (await done.json()) as Body;
    expect(body).toMatchObject({ runId, outcome: "committed", counts });
    expect(body.version).toBeGreaterThan(before);
    const snap = await h.currentSnapshot();
    expect(snap.jira).toEqual(jira);
    expect(snap.statuses.find((s) => s.product === "jira")?.reasons.join()).toMatch(/read by the Forge app/);
    // Completing twice is a conflict; the batches are gone.
    expect((await post(h, `/forge/v1/crawls/${runId}/complete`, token, { counts })).status).toBe(409);
    expect(await h.t.store.listCrawlBatches(h.tenantId, runId)).toEqual([]);
  });

  it("a count mismatch is 409 with the differing counts, and nothing is committed", async () => {
    h = await forgeHarness();
    const token = await fit();
    const confluence = (await h.currentSnapshot()).confluence!;
    const { runId } = (await (await post(h, "/forge/v1/crawls", token, { section: "confluence" })).json()) as Body;
    await post(h, `/forge/v1/crawls/${runId}/batches`, token, {
      seq: 0,
      section: "confluence",
      rows: { ...confluence, users: confluence.users.slice(1) },
    });
    const counts = Object.fromEntries(
      Object.entries(confluence)
        .filter(([, v]) => Array.isArray(v))
        .map(([k, v]) => [k, (v as unknown[]).length]),
    );
    const before = (await h.t.store.getCurrentPointer(h.tenantId))!.version;
    const r = await post(h, `/forge/v1/crawls/${runId}/complete`, token, { counts });
    expect(r.status).toBe(409);
    expect(((await r.json()) as Body).error.details.differing).toEqual({
      users: { announced: confluence.users.length, received: confluence.users.length - 1 },
    });
    expect((await h.t.store.getCurrentPointer(h.tenantId))!.version).toBe(before);
  });

  it("refuses batches of the wrong section or with unknown keys, unknown runs, and invalid rows at completion", async () => {
    h = await forgeHarness(false);
    const token = await fit();
    const { runId } = (await (await post(h, "/forge/v1/crawls", token, { section: "jira" })).json()) as Body;
    const wrong = await post(h, `/forge/v1/crawls/${runId}/batches`, token, {
      seq: 0,
      section: "confluence",
      rows: {},
    });
    expect(wrong.status).toBe(400);
    const unknownKey = await post(h, `/forge/v1/crawls/${runId}/batches`, token, {
      seq: 0,
      section: "jira",
      rows: { spaces: [] },
    });
    expect(unknownKey.status).toBe(400);
    const missing = `crawl-${"0".repeat(8)}-0000-0000-0000-${"0".repeat(12)}`;
    expect(
      (await post(h, `/forge/v1/crawls/${missing}/batches`, token, { seq: 0, section: "jira", rows: {} })).status,
    ).toBe(404);
    await post(h, `/forge/v1/crawls/${runId}/batches`, token, { seq: 0, section: "jira", rows: { users: [{ x: 1 }] } });
    const invalid = await post(h, `/forge/v1/crawls/${runId}/complete`, token, { counts: { users: 1 } });
    expect(invalid.status).toBe(400);
    // Without a current model, a valid crawl starts one.
    const { runId: run2 } = (await (await post(h, "/forge/v1/crawls", token, { section: "jira" })).json()) as Body;
    const user = {
      accountId: "a1",
      accountType: "atlassian",
      active: true,
      displayName: "A",
      email: null,
      appType: null,
    };
    await post(h, `/forge/v1/crawls/${run2}/batches`, token, { seq: 0, section: "jira", rows: { users: [user] } });
    const done = await post(h, `/forge/v1/crawls/${run2}/complete`, token, { counts: { users: 1 } });
    expect(done.status).toBe(200);
    expect((await h.currentSnapshot()).jira?.users).toEqual([user]);
  });
});
