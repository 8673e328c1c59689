/**
 * Behaviour of the simulated user-management API: who may be managed, the privileges an IdP-provisioned account
 * withholds, profile and email changes and the account lifecycle reflected in the state, Admin and Jira, and the
 * API-token listing and revocation.
 */
import { describe, expect, it } from "vitest";
import { HOST_PREFIXES } from "../app.js";
import type { SimAccount } from "../tenant/model.js";
import { makeTestSim, type TestSim } from "../testing.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Json = Record<string, any>;

async function call(t: TestSim, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await t.admin(path, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
}

/** A managed account that is not provisioned from the IdP and not one of the simulator's API callers. */
function plainManaged(t: TestSim): SimAccount {
  const s = t.sim.state;
  const callers = [s.tenant.credentials.productUser.accountId, s.tenant.credentials.limitedProductUser.accountId];
  return s.tenant.accounts.find(
    (a) =>
      a.managed &&
      a.accountType === "atlassian" &&
      a.status === "active" &&
      !s.scimUserByAccount.has(a.accountId) &&
      !callers.includes(a.accountId),
  )!;
}

function scimManaged(t: TestSim): SimAccount {
  const s = t.sim.state;
  return s.tenant.accounts.find((a) => a.managed && a.status === "active" && s.scimUserByAccount.has(a.accountId))!;
}

describe("user management: who can be managed", () => {
  const t = makeTestSim("S", 21);

  it("answers 401 with the API's own body to a missing or wrong key", async () => {
    const a = plainManaged(t);
    const res = await t.fetch(`${HOST_PREFIXES.adminApi}/users/${a.accountId}/manage`, {
      headers: { authorization: "Bearer wrong" },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ key: "unauthorized" });
  });

  it("refuses a scoped key, unknown accounts and accounts the org does not manage", async () => {
    const a = plainManaged(t);
    const scoped = await t.admin(`/users/${a.accountId}/manage/profile`, {
      headers: { authorization: `Bearer ${t.sim.state.tenant.credentials.scopedAdminApiKey}` },
    });
    expect(scoped.status).toBe(403);
    expect(await scoped.json()).toEqual({ key: "forbidden" });
    expect(await call(t, "GET", "/users/nobody/manage")).toEqual({ status: 404, body: { key: "accountNotFound" } });
    const unmanaged = t.sim.state.tenant.accounts.find((x) => !x.managed)!;
    expect(await call(t, "GET", `/users/${unmanaged.accountId}/manage/profile`)).toEqual({
      status: 403,
      body: { key: "forbidden" },
    });
  });

  it("describes every privilege, or the ones asked for", async () => {
    const a = plainManaged(t);
    const all = await call(t, "GET", `/users/${a.accountId}/manage`);
    expect(Object.keys(all.body).sort()).toEqual(
      [
        "apiToken.delete",
        "apiToken.read",
        "email.set",
        "lifecycle.delete",
        "lifecycle.enablement",
        "profile",
        "profile.read",
        "profile.write",
      ].sort(),
    );
    expect(all.body["profile.write"].name).toEqual({ allowed: true });
    const some = await call(t, "GET", `/users/${a.accountId}/manage?privileges=email.set&privileges=lifecycle.delete`);
    expect(some.body).toEqual({ "email.set": { allowed: true }, "lifecycle.delete": { allowed: true } });
  });

  it("withholds what the identity provider manages for a provisioned account", async () => {
    const a = scimManaged(t);
    const r = await call(t, "GET", `/users/${a.accountId}/manage`);
    const scim = { allowed: false, reason: { key: "externalDirectory.scim" } };
    expect(r.body["email.set"]).toEqual(scim);
    expect(r.body["lifecycle.enablement"]).toEqual(scim);
    expect(r.body["profile.write"].name).toEqual(scim);
    expect(r.body["profile.write"]["extended_profile.location"]).toEqual({ allowed: true });
    const disable = await call(t, "POST", `/users/${a.accountId}/manage/lifecycle/disable`, {});
    expect(disable).toEqual({ status: 403, body: { key: "forbidden.action", context: scim } });
    expect(a.status).toBe("active");
    const rename = await call(t, "PATCH", `/users/${a.accountId}/manage/profile`, { name: "Someone Else" });
    expect(rename.status).toBe(403);
    expect(rename.body).toEqual({ key: "forbidden.fieldMutation", context: { name: scim } });
  });
});

describe("user management: profile and email", () => {
  it("reads and updates the profile, visible in Admin v2 and Jira", async () => {
    const t = makeTestSim("S", 22);
    const a = plainManaged(t);
    const got = await call(t, "GET", `/users/${a.accountId}/manage/profile`);
    expect(got.body.account).toMatchObject({ account_id: a.accountId, name: a.displayName, email: a.email });
    const patched = await call(t, "PATCH", `/users/${a.accountId}/manage/profile`, {
      ...got.body.account,
      name: "Renamed Person",
      nickname: "renny",
      extended_profile: { job_title: "Staff Engineer", location: "Lisbon" },
      zoneinfo: "Europe/Lisbon",
    });
    expect(patched.status).toBe(200);
    expect(patched.body.account).toMatchObject({
      name: "Renamed Person",
      nickname: "renny",
      zoneinfo: "Europe/Lisbon",
      extended_profile: { job_title: "Staff Engineer", location: "Lisbon" },
    });
    expect(a.displayName).toBe("Renamed Person");
    expect(a.title).toBe("Staff Engineer");
    const org = t.sim.state.tenant.org.id;
    const v2 = await call(t, "GET", `/admin/v2/orgs/${org}/directories/-/users/${a.accountId}`);
    expect(v2.body.data).toMatchObject({
      name: "Renamed Person",
      nickname: "renny",
      location: "Lisbon",
      timeZone: "Europe/Lisbon",
    });
    const jira = (await (await t.site(`/rest/api/3/user?accountId=${a.accountId}`)).json()) as Json;
    expect(jira.displayName).toBe("Renamed Person");
  });

  it("rejects constraint violations and read-only changes with fieldConstraintsViolated", async () => {
    const t = makeTestSim("S", 23);
    const a = plainManaged(t);
    const long = await call(t, "PATCH", `/users/${a.accountId}/manage/profile`, { nickname: "x".repeat(31) });
    expect(long).toEqual({
      status: 400,
      body: {
        key: "fieldConstraintsViolated",
        context: { fieldViolations: [{ field: "nickname", violations: [{ key: "maxLength" }] }] },
      },
    });
    const email = await call(t, "PATCH", `/users/${a.accountId}/manage/profile`, { email: "new@x.test" });
    expect(email.body.context.fieldViolations[0]).toEqual({ field: "email", violations: [{ key: "readOnly" }] });
    const res = await t.admin(`/users/${a.accountId}/manage/profile`, { method: "PATCH", body: "{not json" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ key: "bodyParseFailure" });
  });

  it("sets the email on a claimed domain only", async () => {
    const t = makeTestSim("S", 24);
    const a = plainManaged(t);
    const domain = a.email.split("@")[1]!;
    expect(
      (await call(t, "PUT", `/users/${a.accountId}/manage/email`, { email: `renamed.person@${domain}` })).status,
    ).toBe(204);
    expect(a.email).toBe(`renamed.person@${domain}`);
    const foreign = await call(t, "PUT", `/users/${a.accountId}/manage/email`, { email: "someone@gmail.com" });
    expect(foreign).toEqual({
      status: 403,
      body: { key: "forbidden.unclaimedDomain", context: { domain: "gmail.com" } },
    });
    expect((await call(t, "PUT", `/users/${a.accountId}/manage/email`, { email: "not-an-email" })).status).toBe(400);
    const other = t.sim.state.tenant.accounts.find((x) => x.managed && x.accountId !== a.accountId)!;
    const taken = await call(t, "PUT", `/users/${a.accountId}/manage/email`, { email: other.email });
    expect(taken.body.context.fieldViolations[0].violations[0].key).toBe("unique");
  });
});

describe("user management: lifecycle", () => {
  it("deactivates and reactivates the account everywhere", async () => {
    const t = makeTestSim("S", 25);
    const a = plainManaged(t);
    const org = t.sim.state.tenant.org.id;
    const disable = await call(t, "POST", `/users/${a.accountId}/manage/lifecycle/disable`, { message: "Leaver" });
    expect(disable.status).toBe(204);
    expect(a.status).toBe("inactive");
    const v2 = await call(t, "GET", `/admin/v2/orgs/${org}/directories/-/users/${a.accountId}`);
    expect(v2.body.data).toMatchObject({ accountStatus: "inactive", status: "deactivated" });
    const jira = (await (await t.site(`/rest/api/3/user?accountId=${a.accountId}`)).json()) as Json;
    expect(jira.active).toBe(false);
    expect((await call(t, "POST", `/users/${a.accountId}/manage/lifecycle/enable`)).status).toBe(204);
    expect(a.status).toBe("active");
  });

  it("deletes with a grace period, refuses reactivation meanwhile, and cancels the deletion", async () => {
    const t = makeTestSim("S", 26);
    const a = plainManaged(t);
    const org = t.sim.state.tenant.org.id;
    const del = await call(t, "POST", `/users/${a.accountId}/manage/lifecycle/delete`);
    expect(del.status).toBe(200);
    expect(typeof del.body.message).toBe("string");
    expect(a.status).toBe("closed");
    const v2 = await call(t, "GET", `/admin/v2/orgs/${org}/directories/-/users/${a.accountId}`);
    expect(v2.body.data.status).toBe("for_deletion");
    const enable = await call(t, "POST", `/users/${a.accountId}/manage/lifecycle/enable`);
    expect(enable.status).toBe(409);
    expect(enable.body).toMatchObject({ key: "conflict.lifecycleErrors", context: { accountId: a.accountId } });
    expect((await call(t, "POST", `/users/${a.accountId}/manage/lifecycle/delete`)).status).toBe(409);
    expect((await call(t, "POST", `/users/${a.accountId}/manage/lifecycle/cancel-delete`)).status).toBe(200);
    expect(a.status).toBe("active");
    expect(await call(t, "POST", `/users/${a.accountId}/manage/lifecycle/cancel-delete`)).toEqual({
      status: 404,
      body: { key: "notFound" },
    });
  });
});

describe("user management: API tokens", () => {
  it("lists a managed account's tokens and revokes one", async () => {
    const t = makeTestSim("S", 27);
    const state = t.sim.state;
    let withTokens: { a: SimAccount; tokens: Json[] } | undefined;
    for (const a of state.tenant.accounts.filter((x) => x.managed && x.accountType === "atlassian")) {
      const r = await call(t, "GET", `/users/${a.accountId}/manage/api-tokens`);
      expect(r.status).toBe(200);
      if ((r.body as unknown as Json[]).length > 0) {
        withTokens = { a, tokens: r.body as unknown as Json[] };
        break;
      }
    }
    expect(withTokens).toBeDefined();
    const { a, tokens } = withTokens!;
    expect(tokens[0]).toMatchObject({
      id: expect.any(String),
      label: expect.any(String),
      createdAt: expect.any(String),
    });
    const id = tokens[0]!.id as string;
    expect((await call(t, "DELETE", `/users/${a.accountId}/manage/api-tokens/${id}`)).status).toBe(204);
    const after = (await call(t, "GET", `/users/${a.accountId}/manage/api-tokens`)).body as unknown as Json[];
    expect(after.map((x) => x.id)).not.toContain(id);
    expect(state.tenant.events.at(-1)?.action).toBe("api_token_revoked");
    expect(await call(t, "DELETE", `/users/${a.accountId}/manage/api-tokens/${id}`)).toEqual({
      status: 404,
      body: { key: "notFound" },
    });
  });
});
