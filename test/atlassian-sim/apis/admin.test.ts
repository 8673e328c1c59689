/**
 * Behaviour of the simulated Admin API: authentication and the scoped key, v1 and v2 pagination walked to the end
 * with clamping, every v2 filter and its cap, the switched-off v1 endpoints, and writes reflected in the state and
 * in the other simulated APIs.
 */
import { describe, expect, it } from "vitest";
import { HOST_PREFIXES } from "../app.js";
import { makeTestSim, type TestSim } from "../testing.js";
import { V1_USERS_PAGE_SIZE } from "./admin/orgs-v1.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Json = Record<string, any>;

async function call(t: TestSim, method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await t.admin(path, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
}

function ids(t: TestSim) {
  const s = t.sim.state;
  return { org: s.tenant.org.id, dir: s.directoryId, v2: `/admin/v2/orgs/${s.tenant.org.id}` };
}

/** The accounts Admin v2 lists for `-`: Atlassian accounts (app and customer accounts live in no directory). */
function listedAccounts(t: TestSim) {
  return t.sim.state.tenant.accounts.filter((a) => a.accountType === "atlassian");
}

/** Walks `POST …/users/search` following `links.next` (cursor alone after the first page). */
async function walkUserSearch(t: TestSim, body: Json): Promise<{ users: Json[]; pageSizes: number[] }> {
  const { v2 } = ids(t);
  const users: Json[] = [];
  const pageSizes: number[] = [];
  let request: Json = body;
  for (let i = 0; i < 1000; i++) {
    const r = await call(t, "POST", `${v2}/directories/-/users/search`, request);
    expect(r.status).toBe(200);
    users.push(...r.body.data);
    pageSizes.push(r.body.data.length);
    if (!r.body.links.next) return { users, pageSizes };
    request = { cursor: r.body.links.next };
  }
  throw new Error("pagination did not end");
}

describe("Admin API authentication", () => {
  const t = makeTestSim("S", 1);
  const { org, v2 } = ids(t);

  it("answers 401 with the gateway's ProxyError body to a missing or wrong key", async () => {
    for (const authorization of [undefined, "Bearer not-the-key", "Basic abc"]) {
      const res = await t.fetch(`${HOST_PREFIXES.adminApi}/admin/v1/orgs`, {
        headers: authorization ? { authorization } : {},
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ code: 401, message: "Unauthorized" });
    }
    const v2res = await t.fetch(`${HOST_PREFIXES.adminApi}${v2}/directories`, {
      headers: { authorization: "Bearer x" },
    });
    expect(v2res.status).toBe(401);
    expect(await v2res.json()).toEqual({ code: 401, message: "Unauthorized" });
  });

  it("a scoped admin key finds no organization", async () => {
    const scoped = { authorization: `Bearer ${t.sim.state.tenant.credentials.scopedAdminApiKey}` };
    const list = await t.admin("/admin/v1/orgs", { headers: scoped });
    expect(list.status).toBe(200);
    expect(((await list.json()) as Json).data).toEqual([]);
    const one = await t.admin(`/admin/v1/orgs/${org}`, { headers: scoped });
    expect(one.status).toBe(404);
    expect(((await one.json()) as Json).errors[0].code).toBe("ADMIN-404-2");
    const search = await t.admin(`${v2}/directories/-/users/search`, { method: "POST", headers: scoped, body: "{}" });
    expect(search.status).toBe(404);
    expect(((await search.json()) as Json).errors[0].code).toBe("ADMIN-UAM-404-2");
  });

  it("an unknown org id is not found in either generation", async () => {
    expect((await call(t, "GET", "/admin/v1/orgs/not-an-org/users")).status).toBe(404);
    const r = await call(t, "GET", "/admin/v2/orgs/not-an-org/directories");
    expect(r.status).toBe(404);
    expect(r.body.errors[0]).toMatchObject({ status: "404", code: "ADMIN-UAM-404-2" });
  });
});

describe("Admin v1 organization endpoints", () => {
  const t = makeTestSim("M", 2);
  const { org } = ids(t);

  it("lists the org the key sees, with links under the simulator's origin", async () => {
    const r = await call(t, "GET", "/admin/v1/orgs");
    expect(r.body.data).toHaveLength(1);
    expect(r.body.data[0]).toMatchObject({ id: org, type: "orgs", attributes: { name: t.sim.state.tenant.org.name } });
    expect(r.body.data[0].links.self).toBe(`http://sim.test${HOST_PREFIXES.adminApi}/admin/v1/orgs/${org}`);
    expect((await call(t, "GET", `/admin/v1/orgs/${org}`)).body.data.id).toBe(org);
  });

  it("walks every managed account exactly once through links.next, in fixed pages", async () => {
    const seen: string[] = [];
    let url: string | undefined = `${HOST_PREFIXES.adminApi}/admin/v1/orgs/${org}/users`;
    let total = 0;
    while (url) {
      const res = await t.fetch(url.replace("http://sim.test", ""), {
        headers: { authorization: `Bearer ${t.sim.state.tenant.credentials.adminApiKey}` },
      });
      const body = (await res.json()) as Json;
      expect(body.data.length).toBeLessThanOrEqual(V1_USERS_PAGE_SIZE);
      seen.push(...body.data.map((u: Json) => u.account_id));
      total = body.meta.total;
      url = body.links.next;
    }
    const managed = t.sim.state.tenant.accounts.filter((a) => a.managed).map((a) => a.accountId);
    expect(seen).toEqual(managed);
    expect(new Set(seen).size).toBe(seen.length);
    expect(total).toBe(managed.length);
  });

  it("reports billing and current product access; a suspended account has none", async () => {
    const r = await call(t, "GET", `/admin/v1/orgs/${org}/users`);
    const suspended = t.sim.state.tenant.accounts.find((a) => a.managed && a.suspended);
    const user = r.body.data[0];
    expect(user).toHaveProperty("access_billable");
    expect(user.product_access.length).toBeGreaterThan(0);
    expect(user.product_access[0]).toHaveProperty("url");
    if (suspended) {
      let url: string | undefined = `/admin/v1/orgs/${org}/users`;
      while (url) {
        const page: { status: number; body: Json } = await call(t, "GET", url);
        const found = page.body.data.find((u: Json) => u.account_id === suspended.accountId);
        if (found) {
          expect(found.product_access).toEqual([]);
          break;
        }
        url = page.body.links.next?.replace(`http://sim.test${HOST_PREFIXES.adminApi}`, "");
      }
    }
  });

  it("rejects a foreign cursor with ADMIN-400-1", async () => {
    const r = await call(t, "GET", `/admin/v1/orgs/${org}/users?cursor=bm90LWEtY3Vyc29y`);
    expect(r.status).toBe(400);
    expect(r.body.errors[0].code).toBe("ADMIN-400-1");
  });

  it("reports last-active dates per product and 404s an unknown account", async () => {
    const a = t.sim.state.tenant.accounts.find((x) => x.products.some((p) => p.lastActive))!;
    const r = await call(t, "GET", `/admin/v1/orgs/${org}/directory/users/${a.accountId}/last-active-dates`);
    expect(r.status).toBe(200);
    expect(r.body.data.added_to_org).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(r.body.data.product_access.length).toBe(a.products.filter((p) => p.lastActive).length);
    const missing = await call(t, "GET", `/admin/v1/orgs/${org}/directory/users/nobody/last-active-dates`);
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0].code).toBe("ADMIN-404-8");
  });

  it("lists verified domains and gets one by id", async () => {
    const r = await call(t, "GET", `/admin/v1/orgs/${org}/domains`);
    expect(r.body.data.length).toBeGreaterThan(0);
    const d = r.body.data[0];
    expect(d.attributes.claim.status).toBe("verified");
    expect((await call(t, "GET", `/admin/v1/orgs/${org}/domains/${d.id}`)).body.data.attributes.name).toBe(
      d.attributes.name,
    );
    expect((await call(t, "GET", `/admin/v1/orgs/${org}/domains/nope`)).status).toBe(404);
  });
});

describe("Admin v1 org-admin role assignment", () => {
  it("assigns and revokes the org-admin role in tenant.orgAdmins, visible as a v2 platform role", async () => {
    const t = makeTestSim("S", 3);
    const { org, v2 } = ids(t);
    const a = t.sim.state.tenant.accounts.find(
      (x) =>
        x.accountType === "atlassian" && x.status === "active" && !t.sim.state.tenant.orgAdmins.includes(x.accountId),
    )!;
    const path = `/admin/v1/orgs/${org}/users/${a.accountId}/role-assignments`;
    expect((await call(t, "POST", `${path}/assign`, { role: "atlassian/org-admin" })).status).toBe(204);
    expect(t.sim.state.tenant.orgAdmins).toContain(a.accountId);
    const details = await call(t, "GET", `${v2}/directories/-/users/${a.accountId}`);
    expect(details.body.data.platformRoles).toContain("atlassian/org-admin");
    expect((await call(t, "POST", `${path}/revoke`, { role: "atlassian/org-admin" })).status).toBe(204);
    expect(t.sim.state.tenant.orgAdmins).not.toContain(a.accountId);
    expect((await call(t, "POST", `${path}/assign`, { role: "atlassian/site-admin" })).status).toBe(400);
    const inactive = t.sim.state.tenant.accounts.find((x) => x.status === "inactive")!;
    const r = await call(t, "POST", `/admin/v1/orgs/${org}/users/${inactive.accountId}/role-assignments/assign`, {
      role: "atlassian/org-admin",
    });
    expect(r.body.errors[0].code).toBe("ADMIN-UAM-400-2");
  });
});

describe("Admin v2 user search", () => {
  const t = makeTestSim("M", 4);
  const { dir, v2 } = ids(t);

  it("walks every listed account exactly once, with the limit clamped at 100", async () => {
    const { users, pageSizes } = await walkUserSearch(t, { limit: 500 });
    const expected = listedAccounts(t).map((a) => a.accountId);
    expect(users.map((u) => u.accountId)).toEqual(expected);
    expect(pageSizes.slice(0, -1).every((n) => n === 100)).toBe(true);
    expect(pageSizes.length).toBe(Math.ceil(expected.length / 100));
    const count = await call(t, "GET", `${v2}/directories/-/users/count`);
    expect(count.body.count).toBe(expected.length);
  });

  it("defaults to 50 per page and the cursor carries the filters", async () => {
    const first = await call(t, "POST", `${v2}/directories/${dir}/users/search`, { accountStatus: ["active"] });
    expect(first.body.data).toHaveLength(50);
    const second = await call(t, "POST", `${v2}/directories/${dir}/users/search`, { cursor: first.body.links.next });
    expect(second.body.data.every((u: Json) => u.accountStatus === "active")).toBe(true);
    expect(second.body.links.prev).toBeDefined();
  });

  it("filters by accountIds, emails (exact), searchTerm, emailDomains and claimStatus", async () => {
    const sample = listedAccounts(t).slice(3, 8);
    const byIds = await call(t, "POST", `${v2}/directories/-/users/search`, {
      accountIds: sample.map((a) => a.accountId),
    });
    expect(byIds.body.data.map((u: Json) => u.accountId)).toEqual(sample.map((a) => a.accountId));

    const byEmail = await call(t, "POST", `${v2}/directories/-/users/search`, {
      emails: [sample[0]!.email.toUpperCase(), `x${sample[1]!.email}`],
    });
    expect(byEmail.body.data.map((u: Json) => u.accountId)).toEqual([sample[0]!.accountId]);

    const term = sample[2]!.displayName.split(" ")[0]!.toLowerCase();
    const byTerm = await walkUserSearch(t, { searchTerm: term, limit: 100 });
    expect(byTerm.users.map((u) => u.accountId)).toContain(sample[2]!.accountId);
    expect(byTerm.users.every((u) => `${u.name} ${u.email} ${u.nickname}`.toLowerCase().includes(term))).toBe(true);

    const domain = sample[0]!.email.split("@")[1]!;
    const byDomain = await walkUserSearch(t, { emailDomains: [domain], limit: 100 });
    expect(byDomain.users.length).toBe(listedAccounts(t).filter((a) => a.email.endsWith(`@${domain}`)).length);

    const unmanaged = await walkUserSearch(t, { claimStatus: "unmanaged", limit: 100 });
    expect(unmanaged.users.length).toBe(listedAccounts(t).filter((a) => !a.managed).length);
    expect(unmanaged.users.every((u) => u.claimStatus === "unmanaged")).toBe(true);
  });

  it("filters by groupIds: the members of the groups", async () => {
    const group = t.sim.state.tenant.groups.find((g) => g.members.length > 3)!;
    const r = await walkUserSearch(t, { groupIds: [group.groupId], limit: 100 });
    const listed = new Set(listedAccounts(t).map((a) => a.accountId));
    expect(new Set(r.users.map((u) => u.accountId))).toEqual(new Set(group.members.filter((m) => listed.has(m))));
  });

  it("filters by status, accountStatus and membershipStatus", async () => {
    const suspended = await walkUserSearch(t, { status: ["suspended"], limit: 100 });
    const expected = listedAccounts(t).filter((a) => a.status === "active" && a.suspended);
    expect(suspended.users.map((u) => u.accountId)).toEqual(expected.map((a) => a.accountId));
    expect(suspended.users.every((u) => u.membershipStatus === "suspended")).toBe(true);

    const inactive = await walkUserSearch(t, { accountStatus: ["inactive", "closed"], limit: 100 });
    expect(inactive.users.length).toBe(listedAccounts(t).filter((a) => a.status !== "active").length);
    expect(inactive.users.every((u) => u.status === "deactivated")).toBe(true);

    const members = await walkUserSearch(t, { membershipStatus: ["suspended"], limit: 100 });
    expect(members.users.length).toBe(listedAccounts(t).filter((a) => a.suspended).length);
  });

  it("filters by roleIds and resourceIds", async () => {
    const admins = await walkUserSearch(t, { roleIds: ["atlassian/org-admin"], limit: 100 });
    expect(new Set(admins.users.map((u) => u.accountId))).toEqual(new Set(t.sim.state.tenant.orgAdmins));
    const ws = await call(t, "POST", `${v2}/workspaces`, {});
    const confluence = ws.body.data.find((w: Json) => w.attributes.typeKey === "confluence");
    const onConfluence = await walkUserSearch(t, { resourceIds: [confluence.id], limit: 100 });
    expect(onConfluence.users.length).toBeGreaterThan(0);
  });

  it("expands platformRoles, counts.resources, productAccess and groups only when asked", async () => {
    const admin = t.sim.state.tenant.orgAdmins[0]!;
    const plain = await call(t, "POST", `${v2}/directories/-/users/search`, { accountIds: [admin] });
    expect(plain.body.data[0]).not.toHaveProperty("groups");
    expect(plain.body.data[0]).not.toHaveProperty("productAccess");
    const full = await call(t, "POST", `${v2}/directories/-/users/search`, {
      accountIds: [admin],
      expand: ["platformRoles", "counts.resources", "productAccess", "groups"],
    });
    const u = full.body.data[0];
    expect(u.platformRoles).toContain("atlassian/org-admin");
    expect(u.counts.resources).toBeGreaterThan(0);
    expect(u.productAccess[0].id).toMatch(/^ari:cloud:(jira|confluence|bitbucket)::/);
    expect(u.groups.length).toBe(t.sim.state.groupIdsOf(admin).length);
    expect(u.groups[0].id).toMatch(/^ari:cloud:identity::group\//);
  });

  it("answers 400 with the v2 error body when a filter exceeds its cap or is invalid", async () => {
    const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
    for (const body of [
      { accountIds: many(11, (i) => `a${i}`) },
      { groupIds: many(11, (i) => `g${i}`) },
      { emails: many(101, (i) => `u${i}@x.test`) },
      { emails: ["a@x.test"], searchTerm: "a" },
      { status: ["sleeping"] },
      { expand: ["everything"] },
    ]) {
      const r = await call(t, "POST", `${v2}/directories/-/users/search`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errors[0]).toMatchObject({ status: "400", code: "ADMIN-UAM-400-1" });
    }
    expect((await call(t, "POST", `${v2}/directories/-/users/search`, { cursor: "garbage" })).status).toBe(400);
  });

  it("404s an unknown directory and accepts the real id and `-`", async () => {
    expect((await call(t, "POST", `${v2}/directories/nope/users/search`, {})).status).toBe(404);
    const real = await call(t, "POST", `${v2}/directories/${dir}/users/search`, { limit: 1 });
    expect(real.body.data).toHaveLength(1);
    const dirs = await call(t, "GET", `${v2}/directories`);
    expect(dirs.body.data.map((d: Json) => d.directoryId)).toContain(dir);
  });

  it("still serves the deprecated GET list and the count with query filters", async () => {
    const r = await call(t, "GET", `${v2}/directories/-/users?limit=500&accountStatus=active`);
    expect(r.body.data).toHaveLength(100);
    const next = await call(t, "GET", `${v2}/directories/-/users?cursor=${encodeURIComponent(r.body.links.next)}`);
    expect(next.body.data[0].accountId).not.toBe(r.body.data[0].accountId);
    const count = await call(t, "GET", `${v2}/directories/-/users/count?accountStatus=active`);
    expect(count.body.count).toBe(listedAccounts(t).filter((a) => a.status === "active").length);
    expect((await call(t, "GET", `${v2}/directories/-/users/count?accountIds=${"a,".repeat(11)}`)).status).toBe(400);
  });

  it("gets one user's details and role assignments", async () => {
    const admin = t.sim.state.tenant.orgAdmins[0]!;
    const d = await call(t, "GET", `${v2}/directories/-/users/${admin}`);
    expect(d.body.data).toMatchObject({ accountId: admin, accountType: "atlassian", claimStatus: "managed" });
    const roles = await call(t, "GET", `${v2}/directories/-/users/${admin}/role-assignments?limit=1`);
    expect(roles.body.data).toHaveLength(1);
    expect(roles.body.data[0].roleAssignments[0]).toEqual({
      role: "atlassian/org-admin",
      roleAssignmentMethods: ["direct"],
    });
    expect(roles.body.links.next).toBeDefined();
    expect((await call(t, "GET", `${v2}/directories/-/users/nobody`)).status).toBe(404);
  });

  it("does not count searches as writes", async () => {
    const before = t.sim.log.writeCount();
    await call(t, "POST", `${v2}/directories/-/users/search`, {});
    await call(t, "POST", `${v2}/directories/-/groups/search`, {});
    await call(t, "POST", `${v2}/workspaces`, {});
    expect(t.sim.log.writeCount()).toBe(before);
  });
});

describe("Admin v2 groups", () => {
  const t = makeTestSim("M", 5);
  const { v2 } = ids(t);

  it("walks every group once with the limit clamped at 100", async () => {
    const seen: string[] = [];
    let body: Json = { limit: 1000 };
    for (;;) {
      const r = await call(t, "POST", `${v2}/directories/-/groups/search`, body);
      expect(r.body.data.length).toBeLessThanOrEqual(100);
      seen.push(...r.body.data.map((g: Json) => g.id));
      if (!r.body.links.next) break;
      body = { cursor: r.body.links.next };
    }
    expect(seen).toEqual(t.sim.state.tenant.groups.map((g) => g.groupId));
  });

  it("filters by groupIds, groupNames, accountIds and searchTerm, and expands counts.users", async () => {
    const g = t.sim.state.tenant.groups.find((x) => x.members.length > 0)!;
    const byId = await call(t, "POST", `${v2}/directories/-/groups/search`, {
      groupIds: [g.groupId],
      expand: ["counts.users"],
    });
    expect(byId.body.data).toHaveLength(1);
    expect(byId.body.data[0].counts.users).toBe(g.members.length);
    const byName = await call(t, "POST", `${v2}/directories/-/groups/search`, { groupNames: [g.name.toUpperCase()] });
    expect(byName.body.data.map((x: Json) => x.id)).toEqual([g.groupId]);
    const member = g.members[0]!;
    const ofMember = await call(t, "POST", `${v2}/directories/-/groups/search`, { accountIds: [member], limit: 100 });
    expect(new Set(ofMember.body.data.map((x: Json) => x.id))).toEqual(new Set(t.sim.state.groupIdsOf(member)));
    const term = await call(t, "POST", `${v2}/directories/-/groups/search`, { searchTerm: "JIRA", limit: 100 });
    expect(term.body.data.every((x: Json) => x.name.toLowerCase().includes("jira"))).toBe(true);
    for (const bad of [
      { groupIds: [g.groupId], groupNames: [g.name] },
      { searchTerm: "a", groupNames: [g.name] },
      { groupIds: Array.from({ length: 11 }, (_, i) => `g${i}`) },
    ]) {
      expect((await call(t, "POST", `${v2}/directories/-/groups/search`, bad)).status).toBe(400);
    }
  });

  it("serves the deprecated list, the count, details and role assignments", async () => {
    const list = await call(t, "GET", `${v2}/directories/-/groups?limit=5&includeUsers=true`);
    expect(list.body.data).toHaveLength(5);
    expect(list.body.data[0].counts).toHaveProperty("users");
    expect((await call(t, "GET", `${v2}/directories/-/groups/count`)).body.count).toBe(
      t.sim.state.tenant.groups.length,
    );
    const jiraUsers = t.sim.state.tenant.groups.find((g) => g.name === "jira-software-users")!;
    const details = await call(t, "GET", `${v2}/directories/-/groups/${jiraUsers.groupId}`);
    expect(details.body.data).toMatchObject({ id: jiraUsers.groupId, name: "jira-software-users" });
    const roles = await call(t, "GET", `${v2}/directories/-/groups/${jiraUsers.groupId}/role-assignments`);
    expect(roles.body.data[0]).toMatchObject({ roles: ["atlassian/user"], defaultRole: "atlassian/user" });
    expect((await call(t, "GET", `${v2}/directories/-/groups/nope`)).status).toBe(404);
  });
});

describe("Admin v2 writes", () => {
  it("creates a group (201), refuses a duplicate name (409) and deletes it (204)", async () => {
    const t = makeTestSim("S", 6);
    const { dir, v2 } = ids(t);
    const created = await call(t, "POST", `${v2}/directories/${dir}/groups`, {
      name: "release-managers",
      description: "x",
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(t.sim.state.groupsById.get(id)?.name).toBe("release-managers");
    const dup = await call(t, "POST", `${v2}/directories/${dir}/groups`, { name: "Release-Managers" });
    expect(dup.status).toBe(409);
    expect(dup.body.errors[0].status).toBe("409");
    expect((await call(t, "DELETE", `${v2}/directories/${dir}/groups/${id}`)).status).toBe(204);
    expect(t.sim.state.groupsById.has(id)).toBe(false);
    const admins = t.sim.state.tenant.groups.find((g) => g.name === "jira-admins")!;
    expect((await call(t, "DELETE", `${v2}/directories/${dir}/groups/${admins.groupId}`)).status).toBe(403);
    expect((await call(t, "POST", `${v2}/directories/-/groups`, { name: "via-dash" })).status).toBe(404);
  });

  it("adds and removes a membership, reflected in the state and in Jira", async () => {
    const t = makeTestSim("S", 7);
    const { dir, v2 } = ids(t);
    const state = t.sim.state;
    const group = state.tenant.groups.find((g) => g.source === "admin" && g.name === "jira-software-users")!;
    const account = state.tenant.accounts.find(
      (a) =>
        a.accountType === "atlassian" && a.status === "active" && !a.suspended && !group.members.includes(a.accountId),
    )!;
    const path = `${v2}/directories/${dir}/groups/${group.groupId}/memberships`;
    expect((await call(t, "POST", path, { accountId: account.accountId })).status).toBe(204);
    expect(state.groupIdsOf(account.accountId)).toContain(group.groupId);
    expect(account.products.some((p) => p.key === "jira-software")).toBe(true);
    const jira = await t.site(`/rest/api/3/user/groups?accountId=${account.accountId}`);
    expect(((await jira.json()) as Json[]).map((g) => g.groupId)).toContain(group.groupId);
    const again = await call(t, "POST", path, { accountId: account.accountId });
    expect(again.status).toBe(409);
    expect((await call(t, "DELETE", `${path}/${account.accountId}`)).status).toBe(204);
    expect(state.groupIdsOf(account.accountId)).not.toContain(group.groupId);
    expect((await call(t, "DELETE", `${path}/${account.accountId}`)).status).toBe(404);
    expect((await call(t, "POST", path, { accountId: "nobody" })).status).toBe(404);
  });

  it("refuses membership changes to a group synced from the identity provider", async () => {
    const t = makeTestSim("S", 8);
    const { dir, v2 } = ids(t);
    const synced = t.sim.state.tenant.groups.find((g) => g.source === "scim")!;
    const outsider = t.sim.state.tenant.accounts.find(
      (a) => a.accountType === "atlassian" && !synced.members.includes(a.accountId),
    )!;
    const path = `${v2}/directories/${dir}/groups/${synced.groupId}/memberships`;
    const add = await call(t, "POST", path, { accountId: outsider.accountId });
    expect(add.status).toBe(403);
    expect(add.body.errors[0].detail).toMatch(/identity provider/);
    expect(t.sim.state.groupIdsOf(outsider.accountId)).not.toContain(synced.groupId);
    if (synced.members[0]) {
      expect((await call(t, "DELETE", `${path}/${synced.members[0]}`)).status).toBe(403);
    }
    const search = await call(t, "POST", `${v2}/directories/-/groups/search`, { groupIds: [synced.groupId] });
    expect(search.body.data[0]).toMatchObject({ externalSynced: true, managementAccess: { modifiable: false } });
  });

  it("suspends and restores access, reflected in the state, Admin v1/v2 and Jira", async () => {
    const t = makeTestSim("S", 9);
    const { org, dir, v2 } = ids(t);
    const state = t.sim.state;
    const callers = [
      state.tenant.credentials.productUser.accountId,
      state.tenant.credentials.limitedProductUser.accountId,
    ];
    const a = state.tenant.accounts.find(
      (x) =>
        x.managed &&
        x.status === "active" &&
        !x.suspended &&
        !callers.includes(x.accountId) &&
        x.products.some((p) => p.key === "jira-software"),
    )!;
    expect((await call(t, "POST", `${v2}/directories/${dir}/users/${a.accountId}/suspend`)).status).toBe(204);
    expect(a.suspended).toBe(true);
    const v2user = await call(t, "GET", `${v2}/directories/-/users/${a.accountId}`);
    expect(v2user.body.data).toMatchObject({ status: "suspended", membershipStatus: "suspended" });
    const jira = (await (
      await t.site(`/rest/api/3/user?accountId=${a.accountId}&expand=applicationRoles`)
    ).json()) as Json;
    expect(jira.active).toBe(false);
    expect(jira.applicationRoles.size).toBe(0);
    const v1 = await call(t, "GET", `/admin/v1/orgs/${org}/users`);
    expect(v1.body.data.find((u: Json) => u.account_id === a.accountId)?.product_access ?? []).toEqual([]);
    expect(state.tenant.events.at(-1)?.action).toBe("user_suspended");
    expect((await call(t, "POST", `${v2}/directories/${dir}/users/${a.accountId}/restore`)).status).toBe(204);
    expect(a.suspended).toBe(false);
    expect((await call(t, "POST", `${v2}/directories/${dir}/users/nobody/suspend`)).status).toBe(404);
  });

  it("removes a user from the directory: groups gone, a managed account stays listed without membership", async () => {
    const t = makeTestSim("S", 10);
    const { dir, v2 } = ids(t);
    const state = t.sim.state;
    const a = state.tenant.accounts.find(
      (x) =>
        x.managed &&
        x.accountType === "atlassian" &&
        state.groupIdsOf(x.accountId).length > 0 &&
        !state.tenant.orgAdmins.includes(x.accountId),
    )!;
    expect((await call(t, "DELETE", `${v2}/directories/${dir}/users/${a.accountId}`)).status).toBe(204);
    expect(state.groupIdsOf(a.accountId)).toEqual([]);
    const d = await call(t, "GET", `${v2}/directories/-/users/${a.accountId}`);
    expect(d.body.data).toMatchObject({ membershipStatus: "no_membership", status: "not_invited" });
    expect((await call(t, "GET", `${v2}/directories/${dir}/users/${a.accountId}`)).status).toBe(404);
    expect((await call(t, "DELETE", `${v2}/directories/${dir}/users/${a.accountId}`)).status).toBe(404);
  });
});

describe("Admin audit log", () => {
  const t = makeTestSim("M", 12);
  const { org } = ids(t);

  it("pages the events newest first with the limit clamped at 500", async () => {
    const seen: string[] = [];
    let path: string | undefined = `/admin/v1/orgs/${org}/events?limit=1000`;
    while (path) {
      const r: { status: number; body: Json } = await call(t, "GET", path);
      expect(r.body.meta.page_size).toBe(500);
      seen.push(...r.body.data.map((e: Json) => e.id));
      path = r.body.links.next?.replace(`http://sim.test${HOST_PREFIXES.adminApi}`, "");
    }
    expect(seen).toEqual(t.sim.state.tenant.events.map((e) => e.id).reverse());
  });

  it("filters events by action and product", async () => {
    const r = await call(t, "GET", `/admin/v1/orgs/${org}/events?action=user_added_to_group&limit=500`);
    expect(r.body.data.length).toBe(t.sim.state.tenant.events.filter((e) => e.action === "user_added_to_group").length);
    const jira = await call(t, "GET", `/admin/v1/orgs/${org}/events?product=jira&limit=500`);
    expect(jira.body.data.length).toBe(t.sim.state.tenant.events.filter((e) => e.product === "jira").length);
    expect((await call(t, "GET", `/admin/v1/orgs/${org}/events?from=yesterday`)).status).toBe(400);
  });

  it("streams every event once, oldest first, and the end cursor polls new events", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const r = await call(
        t,
        "GET",
        `/admin/v1/orgs/${org}/events-stream?limit=150${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...r.body.data.map((e: Json) => e.id));
      cursor = r.body.meta.next;
      if (!r.body.links.next) break;
    }
    expect(seen).toEqual(t.sim.state.tenant.events.map((e) => e.id));
    const empty = await call(t, "GET", `/admin/v1/orgs/${org}/events-stream?cursor=${cursor}`);
    expect(empty.body.data).toEqual([]);
    t.sim.state.createGroup("new-after-poll", "", "admin", t.sim.state.tenant.orgAdmins[0]!);
    const fresh = await call(t, "GET", `/admin/v1/orgs/${org}/events-stream?cursor=${cursor}`);
    expect(fresh.body.data.map((e: Json) => e.attributes.action)).toEqual(["group_created"]);
    expect(fresh.body.data[0].attributes.processedAt).toBeDefined();
  });

  it("gets an event by id and lists event actions", async () => {
    const e = t.sim.state.tenant.events[0]!;
    const r = await call(t, "GET", `/admin/v1/orgs/${org}/events/${e.id}`);
    expect(r.body.data).toMatchObject({ id: e.id, type: "events", attributes: { action: e.action } });
    const missing = await call(t, "GET", `/admin/v1/orgs/${org}/events/nope`);
    expect(missing.body.errors[0].code).toBe("ADMIN-404-4");
    const actions = await call(t, "GET", `/admin/v1/orgs/${org}/event-actions`);
    expect(actions.body.data.map((a: Json) => a.id)).toContain(e.action);
  });
});

describe("Admin v1 endpoints switched off after 2026-06-30", () => {
  it("are gone by default, 404 when configured so, and served on request", async () => {
    const t = makeTestSim("S", 13);
    const { org } = ids(t);
    const a = t.sim.state.tenant.accounts.find((x) => x.managed && x.status === "active" && !x.suspended)!;
    const legacy = [
      ["POST", `/admin/v1/orgs/${org}/users/search`, {}],
      ["POST", `/admin/v1/orgs/${org}/groups/search`, {}],
      ["POST", `/admin/v1/orgs/${org}/directory/users/${a.accountId}/suspend-access`, undefined],
      ["POST", `/admin/v1/orgs/${org}/directory/users/${a.accountId}/restore-access`, undefined],
      ["DELETE", `/admin/v1/orgs/${org}/directory/users/${a.accountId}`, undefined],
      ["POST", `/admin/v1/orgs/${org}/directory/groups`, { name: "legacy" }],
    ] as const;
    for (const [method, path, body] of legacy) {
      const r = await call(t, method, path, body);
      expect(r.status, path).toBe(410);
      expect(r.body.errors[0].status).toBe("410");
    }
    expect(a.suspended).toBe(false);
    t.sim.adminV1Legacy = "not-found";
    expect((await call(t, "POST", `/admin/v1/orgs/${org}/users/search`, {})).status).toBe(404);

    t.sim.adminV1Legacy = "served";
    const search = await call(t, "POST", `/admin/v1/orgs/${org}/users/search`, {
      expand: ["NAME", "EMAIL"],
      limit: 10,
    });
    expect(search.status).toBe(200);
    expect(search.body.data).toHaveLength(10);
    expect(search.body.data[0]).toHaveProperty("email");
    const suspend = await call(t, "POST", `/admin/v1/orgs/${org}/directory/users/${a.accountId}/suspend-access`);
    expect(suspend.status).toBe(200);
    expect(a.suspended).toBe(true);
    const created = await call(t, "POST", `/admin/v1/orgs/${org}/directory/groups`, { name: "legacy-group" });
    const gid = created.body.groupId as string;
    const add = await call(t, "POST", `/admin/v1/orgs/${org}/directory/groups/${gid}/memberships`, {
      account_id: a.accountId,
    });
    expect(add.status).toBe(200);
    expect(t.sim.state.groupIdsOf(a.accountId)).toContain(gid);
    const del = await call(t, "DELETE", `/admin/v1/orgs/${org}/directory/groups/${gid}`);
    expect(del.status).toBe(409);
    expect((await call(t, "DELETE", `/admin/v1/orgs/${org}/directory/groups/${gid}?forceIfNotEmpty=true`)).status).toBe(
      200,
    );
    const scoped = await t.admin(`/admin/v1/orgs/${org}/users/search`, {
      method: "POST",
      body: "{}",
      headers: { authorization: `Bearer ${t.sim.state.tenant.credentials.scopedAdminApiKey}` },
    });
    expect(scoped.status).toBe(403);
  });
});

describe("Admin v2 workspaces", () => {
  const t = makeTestSim("S", 14);
  const { v2 } = ids(t);

  it("lists the sites' products and the Bitbucket workspace, filtered and paged in the body", async () => {
    const all = await call(t, "POST", `${v2}/workspaces`, {});
    expect(all.body.data.map((w: Json) => w.attributes.typeKey)).toEqual(["jira-software", "confluence", "bitbucket"]);
    expect(all.body.meta.total).toBe(3);
    const confluence = await call(t, "POST", `${v2}/workspaces`, {
      query: { field: { name: "attributes.typeKey", values: ["confluence"] } },
    });
    expect(confluence.body.data).toHaveLength(1);
    const paged = await call(t, "POST", `${v2}/workspaces`, { limit: 2 });
    expect(paged.body.data).toHaveLength(2);
    const rest = await call(t, "POST", `${v2}/workspaces`, { cursor: paged.body.links.next });
    expect(rest.body.data.map((w: Json) => w.attributes.typeKey)).toEqual(["bitbucket"]);
    const mixed = await call(t, "POST", `${v2}/workspaces`, { cursor: paged.body.links.next, limit: 5 });
    expect(mixed.status).toBe(400);
    expect(mixed.body.code).toBe("ADMIN-400-4");
  });
});
