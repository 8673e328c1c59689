/** The /forge routes with real FIT verification against a local JWKS (J1, J2, J9 at the HTTP layer). */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FIT_ISSUER, FitVerifier } from "../security/fit.js";
import { openSqliteStore } from "../store/sqlite.js";
import { ForgeTenantIndex } from "./auth.js";
import { type TestService, tenantBody, testService } from "./testing.js";

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

let t: TestService;
afterEach(async () => t?.close());

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

async function forgeService(): Promise<TestService> {
  const store = await openSqliteStore({ path: ":memory:" });
  const forgeIndex = new ForgeTenantIndex(store, { refreshMs: 0 });
  const verifier = new FitVerifier({ appId: APP_ID, jwksUrl, resolveTenant: forgeIndex.resolve });
  return testService({ store, forgeIndex, fit: verifier });
}

describe("/forge routes", () => {
  it("act for the installation's tenant, and audit as forge:<installation>", async () => {
    t = await forgeService();
    const created = (await (
      await t.call("POST", "/v1/tenants", { json: tenantBody("acme", { forgeInstallationId: INSTALLATION }) })
    ).json()) as { id: string };
    const token = await fit();
    const status = await t.call("GET", "/forge/v1/status", { token });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ tenantId: created.id, installationId: INSTALLATION, current: null });
    const sync = await t.call("POST", "/forge/v1/syncs", { token });
    expect(sync.status).toBe(202);
    expect(await sync.json()).toMatchObject({ created: true, job: { requestedBy: `forge:${INSTALLATION}` } });
    const audit = await t.store.listAudit(created.id, { action: "sync.request" });
    expect(audit.entries[0]?.actor).toBe(`forge:${INSTALLATION}`);
    expect((await t.call("GET", "/forge/v1/insights", { token })).status).toBe(404);
  });

  it("answers 401 for a bad or foreign token and 403 for an unknown installation", async () => {
    t = await forgeService();
    await t.call("POST", "/v1/tenants", { json: tenantBody("acme", { forgeInstallationId: INSTALLATION }) });
    expect((await t.call("GET", "/forge/v1/status", { token: null })).status).toBe(401);
    expect((await t.call("GET", "/forge/v1/status", { token: await fit({ aud: OTHER_APP }) })).status).toBe(401);
    const unknown = await t.call("GET", "/forge/v1/status", { token: await fit({ installationId: "other" }) });
    expect(unknown.status).toBe(403);
    expect(((await unknown.json()) as Body).error.code).toBe("forbidden");
    expect(
      t.logs.some((l) => l.includes("Forge installation not registered") && l.includes('"installationId":"other"')),
    ).toBe(true);
    // The operator token and API keys are not Forge credentials.
    expect((await t.call("GET", "/forge/v1/status", { token: t.operator })).status).toBe(401);
    // And a FIT is not a /v1 credential.
    expect((await t.call("GET", "/v1/tenants", { token: await fit() })).status).toBe(401);
  });
});
