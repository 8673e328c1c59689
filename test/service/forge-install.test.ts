/**
 * Forge installation registration and uninstall with real FITs: a new installation gets its own tenant (Forge site
 * access, named after the site, pinned to the token's cloud id), a second registration is idempotent and adds the
 * product, auto-registration off answers 403 telling the operator what to do; an uninstall deletes the tenant and
 * its data, the installation's tokens then get 403, a second uninstall is harmless, and a reinstall starts afresh.
 */
import { type FitIssuer, startFitIssuer } from "@accessmap/backend/service/fit-testing";
import { FORGE_ADMIN_PATHS } from "@accessmap/shared/wire/admin";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, adminHarness, INSTALLATION } from "./forge-admin-helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Body = any;

let issuer: FitIssuer;
let a: AdminHarness;

beforeAll(async () => {
  issuer = await startFitIssuer();
});
afterAll(async () => issuer.close());
afterEach(async () => a?.close());

const NEW_INSTALLATION = "ari:cloud:ecosystem::installation/new-site";
const register = (product: "jira" | "confluence", opts: { installationId?: string; cloudId?: string | null } = {}) =>
  a.call("POST", FORGE_ADMIN_PATHS.installations, {
    installationId: opts.installationId ?? NEW_INSTALLATION,
    principal: null,
    json: {
      product,
      siteUrl: "https://acme-corp.atlassian.net",
      cloudId: opts.cloudId === undefined ? "cloud-1" : opts.cloudId,
    },
  });

describe("POST /forge/v1/installations", () => {
  it("creates a tenant for a new installation, then is idempotent and adds the other product", async () => {
    a = await adminHarness(issuer);
    const before = (await a.t.store.listTenants()).length;
    const res = await register("jira");
    expect(res.status).toBe(201);
    const created: Body = await res.json();
    expect(created.created).toBe(true);
    const tenant = (await a.t.store.getTenant(created.tenantId))!;
    expect(tenant.name).toBe("acme-corp.atlassian.net");
    expect(tenant.config).toMatchObject({
      products: ["jira"],
      siteAccess: "forge",
      atlassianUrl: "https://acme-corp.atlassian.net",
      forgeInstallationId: NEW_INSTALLATION,
      forgeCloudId: "cloud-1",
    });
    expect(tenant.hasSecrets).toBe(false);
    expect(await a.t.store.listTenants()).toHaveLength(before + 1);

    // The installation's tokens now reach its own tenant: the admin page works at once.
    const settings: Body = await (
      await a.call("GET", FORGE_ADMIN_PATHS.settings, { installationId: NEW_INSTALLATION })
    ).json();
    expect(settings).toMatchObject({ products: ["jira"], siteAccess: "forge", secretsSet: [] });

    const again = await register("confluence");
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ tenantId: created.tenantId, created: false });
    expect((await a.t.store.getTenant(created.tenantId))!.config.products).toEqual(["jira", "confluence"]);
    const same = await register("jira");
    expect(same.status).toBe(200);
    expect(await a.t.store.listTenants()).toHaveLength(before + 1);

    const audit = (await a.t.store.listAudit(created.tenantId, { limit: 50 })).entries.filter(
      (e) => e.action === "forge.installation.register",
    );
    expect(audit.map((e) => e.details.created)).toEqual([false, true]);
    expect(audit.every((e) => e.actor === `forge:${NEW_INSTALLATION}`)).toBe(true);
  });

  it("names a second site with the same host apart, and refuses a cloud id that contradicts the token", async () => {
    a = await adminHarness(issuer);
    expect((await register("jira")).status).toBe(201);
    const other = await register("jira", { installationId: `${NEW_INSTALLATION}-2`, cloudId: "cloud-1" });
    expect(other.status).toBe(201);
    const t = (await a.t.store.getTenant(((await other.json()) as Body).tenantId))!;
    expect(t.name).toBe("acme-corp.atlassian.net (2)");
    const mismatch = await register("jira", { installationId: `${NEW_INSTALLATION}-3`, cloudId: "another-cloud" });
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as Body).error.details.issues[0].path).toBe("body.cloudId");
  });

  it("with auto-registration off, refuses an unbound installation with 403 naming what to do", async () => {
    a = await adminHarness(issuer, { ctx: { forgeAutoRegister: false } });
    const before = (await a.t.store.listTenants()).length;
    const res = await register("jira");
    expect(res.status).toBe(403);
    const message = ((await res.json()) as Body).error.message;
    expect(message).toContain(NEW_INSTALLATION);
    expect(message).toMatch(/operator binds installation/);
    expect(await a.t.store.listTenants()).toHaveLength(before);
    // A bound installation still registers (idempotent) with auto-registration off.
    const bound = await register("confluence", { installationId: INSTALLATION });
    expect(bound.status).toBe(200);
  });

  it("refuses another app's token with 401", async () => {
    a = await adminHarness(issuer);
    const res = await a.call("POST", FORGE_ADMIN_PATHS.installations, {
      installationId: NEW_INSTALLATION,
      aud: "ari:cloud:ecosystem::app/someone-else",
      json: { product: "jira", siteUrl: null, cloudId: null },
    });
    expect(res.status).toBe(401);
  });
});

describe("POST /forge/v1/uninstall", () => {
  it("deletes the tenant and its data; the installation then gets 403; a second call is harmless; a reinstall starts afresh", async () => {
    a = await adminHarness(issuer);
    const tenantId = a.tenantId;
    expect((await a.t.store.listSnapshots(tenantId)).length).toBeGreaterThan(0);
    expect((await a.call("POST", FORGE_ADMIN_PATHS.syncs, { json: {} })).status).toBe(202);

    const res = await a.call("POST", FORGE_ADMIN_PATHS.uninstall, { principal: null });
    expect(res.status).toBe(204);
    expect(await a.t.store.getTenant(tenantId)).toBeNull();
    expect(await a.t.store.getCurrentPointer(tenantId)).toBeNull();
    expect(await a.t.store.listSnapshots(tenantId)).toEqual([]);
    expect(await a.t.store.listJobs({ tenantId })).toEqual([]);
    expect(await a.t.services.models.get(tenantId)).toBeNull();
    const line = a.t.logs.find((l) => l.includes("forge uninstall: the tenant and its data were deleted"));
    expect(line).toContain(INSTALLATION);
    const creds = a.sim.sim.state.tenant.credentials;
    for (const l of a.t.logs)
      for (const s of [creds.adminApiKey, creds.scimToken, creds.bitbucketAdminConsumer.secret]) {
        expect(l).not.toContain(s);
      }

    expect((await a.call("GET", FORGE_ADMIN_PATHS.settings)).status).toBe(403);
    expect((await a.call("GET", FORGE_ADMIN_PATHS.overview)).status).toBe(403);
    expect((await a.call("POST", FORGE_ADMIN_PATHS.uninstall, { principal: null })).status).toBe(204);

    const again = await a.call("POST", FORGE_ADMIN_PATHS.installations, {
      principal: null,
      json: { product: "jira", siteUrl: "https://acme-corp.atlassian.net", cloudId: "cloud-1" },
    });
    expect(again.status).toBe(201);
    const fresh: Body = await again.json();
    expect(fresh.tenantId).not.toBe(tenantId);
    const overview: Body = await (await a.call("GET", FORGE_ADMIN_PATHS.overview)).json();
    expect(overview.current).toBeNull();
  });
});
