/** The /forge routes with real FIT verification against a local JWKS (J1, J2, J9 at the HTTP layer). */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/sqlite.js";
import { type FitIssuer, startFitIssuer } from "./fit-testing.js";
import { type TestService, tenantBody, testService } from "./testing.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Body = any;

const OTHER_APP = "ari:cloud:ecosystem::app/99999999-8888-7777-6666-555555555555";
const INSTALLATION = "ari:cloud:ecosystem::installation/aaaa";

let issuer: FitIssuer;
beforeAll(async () => {
  issuer = await startFitIssuer();
});
afterAll(() => issuer.close());

let t: TestService;
afterEach(async () => t?.close());

const fit = (opts: { aud?: string; installationId?: string } = {}) =>
  issuer.mint(opts.installationId ?? INSTALLATION, opts.aud ? { aud: opts.aud } : {});

async function forgeService(): Promise<TestService> {
  const store = await openSqliteStore({ path: ":memory:" });
  return testService({ store, ...issuer.verifierFor(store) });
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
