/**
 * The admin page's connection test against the simulator, with the tenant's credentials made wrong through its
 * configuration: every credential ok as generated; then a refused admin key, a key with scopes, a wrong org id, a
 * refused Bitbucket consumer, a consumer whose owner is not a workspace admin, a refused SCIM key, a SCIM URL of a
 * directory that does not exist, and a refused product token, each explained in its own plain words, never with a
 * secret. With Forge site access the product token is not checked: the Forge app reads the site.
 */
import { type FitIssuer, startFitIssuer } from "@accessmap/backend/service/fit-testing";
import { FORGE_ADMIN_PATHS } from "@accessmap/shared/wire/admin";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HOST_PREFIXES } from "../atlassian-sim/app.js";
import { type AdminHarness, adminHarness, LOCAL_ORIGIN } from "./forge-admin-helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Body = any;

let issuer: FitIssuer;
let a: AdminHarness;

beforeAll(async () => {
  issuer = await startFitIssuer();
});
afterAll(async () => issuer.close());
afterEach(async () => a?.close());

async function test(): Promise<{ checks: Body[]; text: string }> {
  const res = await a.call("POST", FORGE_ADMIN_PATHS.connectionTest, { json: {} });
  expect(res.status).toBe(200);
  const text = await res.text();
  return { checks: (JSON.parse(text) as Body).checks, text };
}

const check = (checks: Body[], credential: string) => checks.find((c) => c.credential === credential);

async function save(change: Record<string, unknown>, lifecycle: Record<string, unknown> = {}): Promise<void> {
  const form = await a.form();
  const res = await a.call("PUT", FORGE_ADMIN_PATHS.settings, {
    json: { ...form, ...change, lifecycle: { ...form.lifecycle, ...lifecycle } },
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

describe("POST /forge/v1/connection-test", () => {
  it("reports every credential ok as the simulator generated them", async () => {
    a = await adminHarness(issuer, { sync: false });
    const { checks } = await test();
    expect(checks.map((c: Body) => [c.credential, c.result])).toEqual([
      ["adminApiKey", "ok"],
      ["productToken", "ok"],
      ["bitbucket", "ok"],
      ["scimToken", "ok"],
    ]);
    expect(check(checks, "adminApiKey").message).toContain(a.sim.sim.state.tenant.org.name);
  });

  it("tells a refused admin key, a key with scopes and a wrong organization id apart", async () => {
    a = await adminHarness(issuer, { sync: false });
    const creds = a.sim.sim.state.tenant.credentials;
    await save({ adminApiKey: "not-the-key" });
    let r = await test();
    expect(check(r.checks, "adminApiKey")).toMatchObject({ result: "failed" });
    expect(check(r.checks, "adminApiKey").message).toMatch(
      /refused the admin API key \(HTTP 401\).*Create a new API key/,
    );

    await save({ adminApiKey: creds.scopedAdminApiKey });
    r = await test();
    expect(check(r.checks, "adminApiKey").message).toMatch(/^This key has scopes; create an API key without scopes/);
    expect(r.text).not.toContain(creds.scopedAdminApiKey);

    await save({ adminApiKey: creds.adminApiKey, orgId: "00000000-0000-0000-0000-000000000000" });
    r = await test();
    expect(check(r.checks, "adminApiKey").message).toMatch(
      /sees no organization with this id .*Check the organization id/,
    );
    // The others are untouched by the admin key's trouble.
    expect(check(r.checks, "bitbucket").result).toBe("ok");
  });

  it("tells a refused Bitbucket consumer from one whose owner is not a workspace admin, and a wrong workspace", async () => {
    a = await adminHarness(issuer, { sync: false });
    const member = a.sim.sim.state.tenant.credentials.bitbucketMemberConsumer;
    await save({ bitbucketOAuthSecret: "wrong-secret-value" });
    let r = await test();
    expect(check(r.checks, "bitbucket")).toMatchObject({ result: "failed" });
    expect(check(r.checks, "bitbucket").message).toMatch(/refused the OAuth consumer's key and secret/);
    expect(r.text).not.toContain("wrong-secret-value");

    await save({ bitbucketOAuthKey: member.key, bitbucketOAuthSecret: member.secret });
    r = await test();
    expect(check(r.checks, "bitbucket").message).toMatch(/its owner is not an admin of workspace/);
    expect(r.text).not.toContain(member.secret);

    await save({ workspace: "no-such-workspace" });
    r = await test();
    expect(check(r.checks, "bitbucket").message).toMatch(/no workspace "no-such-workspace".*Check the workspace id/);
  });

  it("tells a refused SCIM key from a directory that does not exist", async () => {
    a = await adminHarness(issuer, { sync: false });
    await save({}, { scimToken: "not-the-scim-key" });
    let r = await test();
    expect(check(r.checks, "scimToken")).toMatchObject({ result: "failed" });
    expect(check(r.checks, "scimToken").message).toMatch(/refused the API key \(HTTP 401\)\. Regenerate it/);

    const creds = a.sim.sim.state.tenant.credentials;
    await save(
      {},
      {
        scimToken: creds.scimToken,
        scimUrl: `${LOCAL_ORIGIN}${HOST_PREFIXES.adminApi}/scim/directory/no-such-directory`,
      },
    );
    r = await test();
    expect(check(r.checks, "scimToken").message).toMatch(/directory was not found \(HTTP 404\)\. Check the SCIM URL/);
  });

  it("tells a refused product token, and checks none when the Forge app reads the site", async () => {
    a = await adminHarness(issuer, { sync: false });
    expect((await a.operator("PATCH", `/v1/tenants/${a.tenantId}`, { productToken: "wrong-token" })).status).toBe(200);
    let r = await test();
    expect(check(r.checks, "productToken").message).toMatch(/refused the product user's API token \(HTTP 401\)/);
    expect(r.text).not.toContain("wrong-token");

    const toForge = await a.operator("PATCH", `/v1/tenants/${a.tenantId}`, {
      siteAccess: "forge",
      productUser: null,
      productToken: null,
    });
    expect(toForge.status).toBe(200);
    r = await test();
    expect(check(r.checks, "productToken")).toBeUndefined();
    expect(check(r.checks, "forge")).toMatchObject({ result: "ok", message: expect.stringMatching(/Forge app/) });
  });

  it("skips what is not configured", async () => {
    a = await adminHarness(issuer, { sync: false });
    await save({ adminApiKey: null, orgId: "" }, { scimToken: null, scimUrl: "" });
    const { checks } = await test();
    expect(check(checks, "adminApiKey").result).toBe("skipped");
    expect(check(checks, "scimToken").result).toBe("skipped");
  });
});
