/**
 * Behaviour of the simulated Jira Cloud REST v3 API: authentication, pagination walks with silent clamping (bare
 * arrays and PageBeans), filters, what the limited product user (no Browse users and groups) sees, project
 * visibility against the ground truth, role actors and permission-scheme grants against the tenant, and writes that
 * land in the shared state where the other APIs see them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { computeGroundTruth } from "../tenant/ground-truth.js";
import { ANONYMOUS, JIRA_PRODUCT_USERS } from "../tenant/model.js";
import { makeTestSim, type TestSim } from "../testing.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Json = Record<string, any>;

const API = "/rest/api/3";

async function json(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}

async function getJson(t: TestSim, path: string, opts: { limited?: boolean } = {}): Promise<Json> {
  const res = await t.site(`${API}${path}`, opts);
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return json(res);
}

/** Walks a bare-array listing by `startAt` until a short page, returning every item and the page sizes. */
async function walkArray(t: TestSim, path: string, maxResults: number, opts: { limited?: boolean } = {}) {
  const items: Json[] = [];
  const pageSizes: number[] = [];
  for (let startAt = 0; ; ) {
    const sep = path.includes("?") ? "&" : "?";
    const page = (await getJson(
      t,
      `${path}${sep}startAt=${startAt}&maxResults=${maxResults}`,
      opts,
    )) as unknown as Json[];
    items.push(...page);
    pageSizes.push(page.length);
    if (page.length === 0 || page.length < Math.min(maxResults, 1000)) break;
    startAt += page.length;
  }
  return { items, pageSizes };
}

/** Follows a PageBean through `nextPage` (an absolute URL on the simulator), checking the page invariants. */
async function walkPageBean(t: TestSim, first: string, opts: { limited?: boolean } = {}) {
  const values: Json[] = [];
  const pages: Json[] = [];
  let path: string | undefined = `${API}${first}`;
  while (path) {
    const res = await t.site(path, opts);
    expect(res.status).toBe(200);
    const body = await json(res);
    pages.push(body);
    expect(body.startAt).toBe(values.length);
    values.push(...body.values);
    expect(body.total).toBeGreaterThanOrEqual(values.length);
    if (body.isLast) {
      expect(body.nextPage).toBeUndefined();
      path = undefined;
    } else {
      const next = new URL(body.nextPage as string);
      expect(next.pathname.startsWith("/site/rest/api/3/")).toBe(true);
      path = `${next.pathname.slice("/site".length)}${next.search}`;
    }
  }
  return { values, pages };
}

function ids(items: Json[], field: string): string[] {
  return items.map((i) => String(i[field]));
}

describe("Jira REST v3: authentication and errors", () => {
  const t = makeTestSim("S", 3);

  it("refuses missing and wrong credentials with a 401 ErrorCollection", async () => {
    const none = await t.fetch(`/site${API}/users/search`);
    expect(none.status).toBe(401);
    expect(await json(none)).toEqual({ errorMessages: [expect.any(String)], errors: {} });
    const user = t.sim.state.tenant.credentials.productUser;
    const wrong = await t.fetch(`/site${API}/users/search`, {
      headers: { authorization: `Basic ${Buffer.from(`${user.email}:nope`).toString("base64")}` },
    });
    expect(wrong.status).toBe(401);
  });

  it("answers an unknown project with Jira's 404 ErrorCollection, by key and by id", async () => {
    const byKey = await t.site(`${API}/project/NOPE`);
    expect(byKey.status).toBe(404);
    expect(await json(byKey)).toEqual({ errorMessages: ["No project could be found with key 'NOPE'."], errors: {} });
    const byId = await t.site(`${API}/project/99999/role`);
    expect(byId.status).toBe(404);
    expect((await json(byId)).errorMessages).toEqual(["No project could be found with id '99999'."]);
    expect((await t.site(`${API}/project/NOPE/permissionscheme`)).status).toBe(404);
    expect((await t.site(`${API}/mypermissions?projectKey=NOPE&permissions=BROWSE_PROJECTS`)).status).toBe(404);
  });

  it("answers unknown schemes, roles and users with 404", async () => {
    expect((await t.site(`${API}/permissionscheme/1`)).status).toBe(404);
    expect((await t.site(`${API}/permissionscheme/abc/permission`)).status).toBe(404);
    expect((await t.site(`${API}/role/1`)).status).toBe(404);
    expect((await t.site(`${API}/user?accountId=nobody`)).status).toBe(404);
    expect((await t.site(`${API}/applicationrole/jira-nope`)).status).toBe(404);
  });
});

describe("Jira REST v3: users", () => {
  let t: TestSim;
  beforeAll(() => {
    t = makeTestSim("M", 5);
  });

  it("users/search walks every account exactly once at 1000 per page", async () => {
    const { items, pageSizes } = await walkArray(t, "/users/search", 1000);
    const accounts = t.sim.state.tenant.accounts;
    expect(accounts.length).toBeGreaterThan(1000);
    expect(pageSizes.slice(0, -1).every((n) => n === 1000)).toBe(true);
    expect(ids(items, "accountId")).toEqual(accounts.map((a) => a.accountId));
    // All account kinds and states are listed, as the spec says ("including active users, inactive users and
    // previously deleted users"), customers and apps included.
    const types = new Set(items.map((u) => u.accountType));
    expect(types).toEqual(new Set(["atlassian", "app", "customer"]));
    expect(items.some((u) => u.active === false)).toBe(true);
    expect(items.some((u) => u.displayName === "Former user")).toBe(true);
  });

  it("silently clamps maxResults above 1000 to 1000 (users/search and users)", async () => {
    for (const path of ["/users/search", "/users"]) {
      const page = (await getJson(t, `${path}?maxResults=5000`)) as unknown as Json[];
      expect(page.length).toBe(1000);
    }
    const dflt = (await getJson(t, "/users")) as unknown as Json[];
    expect(dflt.length).toBe(50);
  });

  it("walks with a small page size too", async () => {
    const { items } = await walkArray(t, "/users", 333);
    expect(new Set(ids(items, "accountId")).size).toBe(t.sim.state.tenant.accounts.length);
  });

  it("hides emails the account hides, and every email from the limited user", async () => {
    const accounts = t.sim.state.tenant.accounts;
    const hidden = accounts.find((a) => !a.emailVisible && a.status === "active");
    const visible = accounts.find((a) => a.emailVisible && a.status === "active");
    expect(hidden && visible).toBeTruthy();
    const all = (await getJson(t, "/users/search?maxResults=1000&startAt=0")) as unknown as Json[];
    const full = [...all, ...((await getJson(t, "/users/search?maxResults=1000&startAt=1000")) as unknown as Json[])];
    const byId = new Map(full.map((u) => [u.accountId, u]));
    expect(byId.get(hidden?.accountId)?.emailAddress).toBeUndefined();
    expect(byId.get(visible?.accountId)?.emailAddress).toBe(visible?.email);

    const limited = (await getJson(t, "/users/search?maxResults=1000", { limited: true })) as unknown as Json[];
    expect(limited.length).toBe(1000);
    expect(limited.every((u) => u.emailAddress === undefined || u.emailAddress === null)).toBe(true);
  });

  it("reports app accounts with their appType and closed accounts as inactive former users", async () => {
    const app = t.sim.state.tenant.accounts.find((a) => a.accountType === "app" && a.appType);
    const u = await getJson(t, `/user?accountId=${app?.accountId}`);
    expect(u.accountType).toBe("app");
    expect(u.appType).toBe(app?.appType);
    const closed = t.sim.state.tenant.accounts.find((a) => a.status === "closed");
    const c = await getJson(t, `/user?accountId=${closed?.accountId}`);
    expect(c).toMatchObject({ active: false, displayName: "Former user" });
    expect(c.emailAddress).toBeUndefined();
  });

  it("GET /user expands groups and application roles; /user/groups lists the same groups", async () => {
    const many = t.sim.state.tenant.accounts.find(
      (a) => a.status === "active" && t.sim.state.groupIdsOf(a.accountId).length > 5,
    );
    expect(many).toBeDefined();
    const accountId = many?.accountId ?? "";
    const plain = await getJson(t, `/user?accountId=${accountId}`);
    expect(plain.groups.items).toEqual([]);
    expect(plain.groups.size).toBe(t.sim.state.groupIdsOf(accountId).length);
    const expanded = await getJson(t, `/user?accountId=${accountId}&expand=groups,applicationRoles`);
    expect(new Set(ids(expanded.groups.items, "groupId"))).toEqual(new Set(t.sim.state.groupIdsOf(accountId)));
    expect(expanded.applicationRoles.items.map((r: Json) => r.key)).toContain("jira-software");
    const groups = (await getJson(t, `/user/groups?accountId=${accountId}`)) as unknown as Json[];
    expect(ids(groups, "groupId")).toEqual(ids(expanded.groups.items, "groupId"));
  });

  it("user/bulk returns the named accounts as a PageBean, skipping unknown ids", async () => {
    const [a, b] = t.sim.state.tenant.accounts;
    const page = await getJson(t, `/user/bulk?accountId=${a?.accountId}&accountId=unknown&accountId=${b?.accountId}`);
    expect(page).toMatchObject({ startAt: 0, maxResults: 10, total: 2, isLast: true });
    expect(ids(page.values, "accountId")).toEqual([a?.accountId, b?.accountId]);
    expect((await t.site(`${API}/user/bulk`)).status).toBe(400);
  });

  it("user/search matches active users by name prefix, caps at 1000, and is empty for the limited user", async () => {
    const target = t.sim.state.tenant.accounts.find((a) => a.status === "active" && !a.suspended);
    const word = (target?.displayName.split(" ")[0] ?? "").slice(0, 3);
    const found = (await getJson(
      t,
      `/user/search?query=${encodeURIComponent(word)}&maxResults=1000`,
    )) as unknown as Json[];
    expect(ids(found, "accountId")).toContain(target?.accountId);
    expect(found.every((u) => u.active === true)).toBe(true);
    const exact = (await getJson(t, `/user/search?accountId=${target?.accountId}`)) as unknown as Json[];
    expect(ids(exact, "accountId")).toEqual([target?.accountId]);
    // One-letter prefixes match many people; the search never reaches past the thousandth match.
    const wide = (await getJson(t, "/user/search?query=a&startAt=990&maxResults=100")) as unknown as Json[];
    expect(wide.length).toBeLessThanOrEqual(10);
    expect(await getJson(t, `/user/search?query=${encodeURIComponent(word)}`, { limited: true })).toEqual([]);
    expect((await t.site(`${API}/user/search`)).status).toBe(400);
  });

  it("refuses /user and /user/groups to the limited user (Browse users and groups)", async () => {
    const id = t.sim.state.tenant.accounts[0]?.accountId;
    expect((await t.site(`${API}/user?accountId=${id}`, { limited: true })).status).toBe(403);
    expect((await t.site(`${API}/user/groups?accountId=${id}`, { limited: true })).status).toBe(403);
  });

  it("GET /myself is the caller, with its own email", async () => {
    const me = await getJson(t, "/myself", { limited: true });
    const creds = t.sim.state.tenant.credentials.limitedProductUser;
    expect(me.accountId).toBe(creds.accountId);
    expect(me.emailAddress?.toLowerCase()).toBe(creds.email.toLowerCase());
  });
});

describe("Jira REST v3: groups (read)", () => {
  let t: TestSim;
  beforeAll(() => {
    t = makeTestSim("M", 5);
  });

  /** The largest group, for member paging. */
  function bigGroup() {
    return [...t.sim.state.tenant.groups].sort((a, b) => b.members.length - a.members.length)[0]!;
  }

  it("group/member pages at 50 (clamped), active members only unless includeInactiveUsers=true", async () => {
    const group = bigGroup();
    const state = t.sim.state;
    const active = group.members.filter((id) => {
      const a = state.accountsById.get(id);
      return a?.status === "active" && !a.suspended;
    });
    expect(active.length).toBeGreaterThan(100);
    expect(active.length).toBeLessThan(group.members.length);

    const onlyActive = await walkPageBean(t, `/group/member?groupId=${group.groupId}&maxResults=500`);
    expect(onlyActive.pages.every((p) => p.maxResults === 50)).toBe(true);
    expect(onlyActive.pages.slice(0, -1).every((p) => p.values.length === 50)).toBe(true);
    expect(ids(onlyActive.values, "accountId")).toEqual(active);
    expect(onlyActive.values.every((u) => u.active === true)).toBe(true);

    const all = await walkPageBean(t, `/group/member?groupId=${group.groupId}&includeInactiveUsers=true`);
    expect(ids(all.values, "accountId")).toEqual(group.members);
    expect(all.pages[0]?.total).toBe(group.members.length);
    expect(all.values.some((u) => u.active === false)).toBe(true);
  });

  it("group/member accepts the group name, and refuses the limited user with 403", async () => {
    const group = bigGroup();
    const byName = await getJson(t, `/group/member?groupname=${encodeURIComponent(group.name)}&maxResults=5`);
    expect(byName.maxResults).toBe(5);
    expect(byName.values.length).toBe(5);
    const denied = await t.site(`${API}/group/member?groupId=${group.groupId}`, { limited: true });
    expect(denied.status).toBe(403);
    expect(await json(denied)).toEqual({ errorMessages: [expect.any(String)], errors: {} });
    expect((await t.site(`${API}/group/member?groupId=nope`)).status).toBe(404);
    expect((await t.site(`${API}/group/member`)).status).toBe(400);
  });

  it("group/bulk walks every group once, sorted by name, at most 50 per page", async () => {
    const { values, pages } = await walkPageBean(t, "/group/bulk?maxResults=200");
    expect(pages.every((p) => p.maxResults === 50)).toBe(true);
    const names = values.map((g) => g.name as string);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect(new Set(ids(values, "groupId"))).toEqual(new Set(t.sim.state.tenant.groups.map((g) => g.groupId)));
    expect(values.length).toBe(t.sim.state.tenant.groups.length);
    expect(Object.keys(values[0] ?? {}).sort()).toEqual(["groupId", "name"]);
  });

  it("group/bulk filters by access type, application and id/name", async () => {
    const jira = t.sim.state.tenant.jira;
    const namesOf = (groupIds: string[]) => new Set(groupIds.map((id) => t.sim.state.groupsById.get(id)?.name));
    const names = async (query: string) =>
      new Set((await walkPageBean(t, `/group/bulk?${query}`)).values.map((g) => g.name));
    expect(await names("accessType=site-admin")).toEqual(namesOf(jira.siteAdminGroups));
    expect(await names("accessType=admin")).toEqual(namesOf(jira.adminGroups));
    expect(await names("accessType=user")).toEqual(namesOf(jira.applicationRoles.flatMap((r) => r.groups)));
    const sd = jira.applicationRoles.find((r) => r.key === "jira-servicedesk");
    expect(await names("accessType=user&applicationKey=jira-servicedesk")).toEqual(namesOf(sd?.groups ?? []));
    const g = t.sim.state.tenant.groups[3]!;
    expect(await names(`groupId=${g.groupId}`)).toEqual(new Set([g.name]));
    expect(await names(`groupName=${encodeURIComponent(g.name.toUpperCase())}`)).toEqual(new Set([g.name]));
    expect((await t.site(`${API}/group/bulk?accessType=owner`)).status).toBe(400);
    expect((await t.site(`${API}/group/bulk`, { limited: true })).status).toBe(403);
  });
});

describe("Jira REST v3: projects", () => {
  let t: TestSim;
  beforeAll(() => {
    t = makeTestSim("L", 7);
  });

  it("project/search clamps maxResults to 100 and walks live projects once, by key", async () => {
    const projects = t.sim.state.tenant.jira.projects;
    expect(projects.length).toBeGreaterThan(100);
    const { values, pages } = await walkPageBean(t, "/project/search?maxResults=1000");
    expect(pages.every((p) => p.maxResults === 100)).toBe(true);
    expect(pages[0]?.values.length).toBe(100);
    const live = projects.filter((p) => !p.archived).map((p) => p.key);
    expect(values.map((p) => p.key)).toEqual([...live].sort());
    expect(values.every((p) => p.archived === false)).toBe(true);
    const dflt = await getJson(t, "/project/search");
    expect(dflt.maxResults).toBe(50);
  });

  it("filters archived projects by status", async () => {
    const projects = t.sim.state.tenant.jira.projects;
    const archived = projects.filter((p) => p.archived).map((p) => p.key);
    expect(archived.length).toBeGreaterThan(0);
    const onlyArchived = await walkPageBean(t, "/project/search?status=archived");
    expect(onlyArchived.values.map((p) => p.key)).toEqual([...archived].sort());
    expect(onlyArchived.values.every((p) => p.archived === true)).toBe(true);
    const both = await walkPageBean(t, "/project/search?status=live&status=archived&maxResults=100");
    expect(both.values.length).toBe(projects.length);
    const comma = await walkPageBean(t, "/project/search?status=live,archived&maxResults=100");
    expect(comma.values.length).toBe(projects.length);
    expect((await t.site(`${API}/project/search?status=gone`)).status).toBe(400);
  });

  it("renders style, type and the lead on request", async () => {
    const projects = t.sim.state.tenant.jira.projects;
    const { values } = await walkPageBean(t, "/project/search?expand=lead,description&maxResults=100");
    const byKey = new Map(values.map((p) => [p.key, p]));
    for (const p of projects.filter((x) => !x.archived)) {
      const r = byKey.get(p.key);
      expect(r).toMatchObject({
        id: p.id,
        style: p.style,
        projectTypeKey: p.projectTypeKey,
        simplified: p.style === "next-gen",
      });
      expect(r?.lead.accountId).toBe(p.leadAccountId);
    }
    expect(values.some((p) => p.style === "next-gen")).toBe(true);
    const one = await getJson(t, `/project/${projects[0]?.key}`);
    expect(one.lead.accountId).toBe(projects[0]?.leadAccountId);
    expect(Object.keys(one.roles).length).toBe(t.sim.state.tenant.jira.roles.length);
    const byId = await getJson(t, `/project/${projects[0]?.id}`);
    expect(byId.key).toBe(projects[0]?.key);
  });

  it("shows the limited user exactly the live projects the ground truth lets it browse", async () => {
    const limitedId = t.sim.state.tenant.credentials.limitedProductUser.accountId;
    const principals = new Set([limitedId, ANONYMOUS, JIRA_PRODUCT_USERS]);
    const browsable = new Set(
      computeGroundTruth(t.sim.state.tenant)
        .filter(
          (r) =>
            r.resourceType === "jira_project" &&
            (r.permission === "BROWSE_PROJECTS" || r.permission === "ADMINISTER_PROJECTS") &&
            principals.has(r.principal),
        )
        .map((r) => r.resourceId),
    );
    const live = new Set(t.sim.state.tenant.jira.projects.filter((p) => !p.archived).map((p) => p.key));
    const expected = [...browsable].filter((k) => live.has(k)).sort();
    const { values } = await walkPageBean(t, "/project/search?maxResults=100", { limited: true });
    expect(values.map((p) => p.key)).toEqual(expected);
    expect(expected.length).toBeLessThan(live.size);
    const hidden = [...live].find((k) => !browsable.has(k));
    expect((await t.site(`${API}/project/${hidden}`, { limited: true })).status).toBe(404);
  });
});

describe("Jira REST v3: roles and permission schemes", () => {
  const t = makeTestSim("S", 3);

  it("reports every project's role actors as the tenant holds them", async () => {
    const state = t.sim.state;
    const roleIds = new Set(state.tenant.jira.roles.map((r) => r.id));
    for (const project of state.tenant.jira.projects) {
      const map = await getJson(t, `/project/${project.key}/role`);
      expect(Object.keys(map).length).toBe(roleIds.size);
      for (const [name, url] of Object.entries(map)) {
        const m = /\/project\/(\d+)\/role\/(\d+)$/.exec(url as string);
        expect(m?.[1]).toBe(project.id);
        const role = await getJson(t, `/project/${project.key}/role/${m?.[2]}`);
        expect(role.name).toBe(name);
        const expected = project.roleActors[String(role.id)] ?? { users: [], groups: [] };
        const users = role.actors.filter((a: Json) => a.type === "atlassian-user-role-actor");
        const groups = role.actors.filter((a: Json) => a.type === "atlassian-group-role-actor");
        expect(users.map((a: Json) => a.actorUser.accountId)).toEqual(expected.users);
        expect(groups.map((a: Json) => a.actorGroup.groupId)).toEqual(
          expected.groups.filter((g) => state.groupsById.has(g)),
        );
        for (const g of groups) expect(g.actorGroup.name).toBe(state.groupsById.get(g.actorGroup.groupId)?.name);
      }
    }
  });

  it("excludeInactiveUsers drops inactive user actors", async () => {
    const state = t.sim.state;
    let checked = 0;
    for (const project of state.tenant.jira.projects) {
      for (const [roleId, actors] of Object.entries(project.roleActors)) {
        const inactive = actors.users.filter((u) => state.accountsById.get(u)?.status !== "active");
        if (inactive.length === 0) continue;
        const role = await getJson(t, `/project/${project.key}/role/${roleId}?excludeInactiveUsers=true`);
        const listed = role.actors.map((a: Json) => a.actorUser?.accountId).filter(Boolean);
        for (const u of inactive) expect(listed).not.toContain(u);
        checked++;
      }
    }
    // Make the check meaningful even when the tenant has no inactive actor: deactivate one.
    if (checked === 0) {
      const project = state.tenant.jira.projects[0]!;
      const [roleId, actors] = Object.entries(project.roleActors).find(([, a]) => a.users.length > 0)!;
      const victim = actors.users[0]!;
      state.setAccountActive(victim, false, "test");
      const role = await getJson(t, `/project/${project.key}/role/${roleId}?excludeInactiveUsers=true`);
      expect(role.actors.map((a: Json) => a.actorUser?.accountId)).not.toContain(victim);
      state.setAccountActive(victim, true, "test");
    }
  });

  it("roledetails flags the roles the scheme lets administer the project; currentMember filters", async () => {
    const project = t.sim.state.tenant.jira.projects[0]!;
    const details = (await getJson(t, `/project/${project.key}/roledetails`)) as unknown as Json[];
    expect(details.length).toBe(t.sim.state.tenant.jira.roles.length);
    expect(details.find((r) => r.name === "Administrators")?.admin).toBe(true);
    const mine = (await getJson(t, `/project/${project.key}/roledetails?currentMember=true`)) as unknown as Json[];
    expect(mine.length).toBeLessThan(details.length);
  });

  it("lists the global roles to a Jira admin and refuses others", async () => {
    const roles = (await getJson(t, "/role")) as unknown as Json[];
    expect(roles.map((r) => r.id)).toEqual(t.sim.state.tenant.jira.roles.map((r) => r.id));
    const one = await getJson(t, `/role/${roles[0]?.id}`);
    expect(one.name).toBe(roles[0]?.name);
    expect((await t.site(`${API}/role`, { limited: true })).status).toBe(403);
  });

  it("permission scheme grants include every holder type the tenant uses", async () => {
    const state = t.sim.state;
    const tenantTypes = new Set(state.tenant.jira.permissionSchemes.flatMap((s) => s.grants.map((g) => g.holder.type)));
    expect(tenantTypes.size).toBe(11);
    const all = await getJson(t, "/permissionscheme?expand=permissions");
    expect(all.permissionSchemes.length).toBe(state.tenant.jira.permissionSchemes.length);
    const served = new Set(all.permissionSchemes.flatMap((s: Json) => s.permissions.map((g: Json) => g.holder.type)));
    expect(served).toEqual(tenantTypes);
    const plain = await getJson(t, "/permissionscheme");
    expect(plain.permissionSchemes[0].permissions).toBeUndefined();

    for (const scheme of state.tenant.jira.permissionSchemes) {
      const grants = await getJson(t, `/permissionscheme/${scheme.id}/permission`);
      expect(grants.permissions.map((g: Json) => g.id)).toEqual(scheme.grants.map((g) => g.id));
      for (const g of grants.permissions) {
        if (g.holder.type === "group" && g.holder.value) {
          expect(g.holder.parameter).toBe(state.groupsById.get(g.holder.value)?.name);
        }
        if (g.holder.type === "projectRole") expect(g.holder.parameter).toBe(g.holder.value);
      }
      const single = await getJson(t, `/permissionscheme/${scheme.id}/permission/${scheme.grants[0]?.id}`);
      expect(single.permission).toBe(scheme.grants[0]?.permission);
    }
  });

  it("reports each project's scheme to admins, 403 to a user who cannot administer it", async () => {
    const state = t.sim.state;
    for (const p of state.tenant.jira.projects) {
      const s = await getJson(t, `/project/${p.key}/permissionscheme`);
      expect(s.id).toBe(p.permissionSchemeId);
      expect(s.self).toMatch(new RegExp(`/rest/api/3/permissionscheme/${p.permissionSchemeId}$`));
    }
    const limitedId = state.tenant.credentials.limitedProductUser.accountId;
    const visibleNotAdmin = state.tenant.jira.projects.find(
      (p) =>
        !p.archived &&
        !Object.values(p.roleActors).some((a) => a.users.includes(limitedId)) &&
        p.leadAccountId !== limitedId,
    );
    if (visibleNotAdmin) {
      const res = await t.site(`${API}/project/${visibleNotAdmin.key}/permissionscheme`, { limited: true });
      expect([403, 404]).toContain(res.status);
    }
  });

  it("catalogues permissions and answers mypermissions for the caller", async () => {
    const catalogue = await getJson(t, "/permissions");
    expect(catalogue.permissions.ADMINISTER).toMatchObject({ key: "ADMINISTER", type: "GLOBAL", id: "0" });
    expect(catalogue.permissions.BROWSE_PROJECTS).toMatchObject({ type: "PROJECT", id: "10" });
    const admin = await getJson(t, "/mypermissions?permissions=ADMINISTER,USER_PICKER,BROWSE_PROJECTS");
    expect(admin.permissions.ADMINISTER.havePermission).toBe(true);
    expect(admin.permissions.USER_PICKER.havePermission).toBe(true);
    const limited = await getJson(t, "/mypermissions?permissions=ADMINISTER,USER_PICKER", { limited: true });
    expect(limited.permissions.ADMINISTER.havePermission).toBe(false);
    expect(limited.permissions.USER_PICKER.havePermission).toBe(false);
    expect((await t.site(`${API}/mypermissions`)).status).toBe(400);
    const bad = await t.site(`${API}/mypermissions?permissions=NOT_A_PERMISSION`);
    expect(bad.status).toBe(400);
    expect((await json(bad)).errors).toEqual({ NOT_A_PERMISSION: "Unrecognized permission" });
  });

  it("answers mypermissions for a user acting through the Forge-proxy stand-in, from the tenant's admin groups", async () => {
    const state = t.sim.state;
    const jira = state.tenant.jira;
    const active = state.tenant.accounts.filter((a) => a.status === "active" && !a.suspended);
    const inGroups = (id: string, groups: string[]) => state.groupIdsOf(id).some((g) => groups.includes(g));
    const jiraAdmin = active.find(
      (a) => state.hasProduct(a, "jira-software") && inGroups(a.accountId, jira.adminGroups),
    )!;
    const siteAdmin = active.find((a) => inGroups(a.accountId, jira.siteAdminGroups))!;
    const plain = active.find(
      (a) =>
        state.hasProduct(a, "jira-software") &&
        !inGroups(a.accountId, [
          ...jira.adminGroups,
          ...jira.siteAdminGroups,
          ...state.tenant.confluence.siteAdminGroups,
        ]),
    )!;
    const administer = async (id: string) => {
      const res = await t.siteAs(id, `${API}/mypermissions?permissions=ADMINISTER`);
      expect(res.status).toBe(200);
      return (await json(res)).permissions.ADMINISTER.havePermission as boolean;
    };
    expect(await administer(jiraAdmin.accountId)).toBe(true);
    expect(await administer(siteAdmin.accountId)).toBe(true);
    expect(await administer(plain.accountId)).toBe(false);
  });

  it("permissions/check agrees with the ground truth for an account, and is Jira-admin only for others", async () => {
    const state = t.sim.state;
    const gt = computeGroundTruth(state.tenant);
    const subject = state.tenant.jira.projects[0]!.leadAccountId;
    const res = await t.site(`${API}/permissions/check`, {
      method: "POST",
      body: JSON.stringify({ accountId: subject, projectPermissions: [{ permissions: ["BROWSE_PROJECTS"] }] }),
    });
    expect(res.status).toBe(200);
    const body = await json(res);
    const byId = new Map(state.tenant.jira.projects.map((p) => [p.id, p.key]));
    const granted = body.projectPermissions[0].projects.map((id: number) => byId.get(String(id))).sort();
    const expected = [
      ...new Set(
        gt
          .filter(
            (r) =>
              r.resourceType === "jira_project" &&
              r.permission === "BROWSE_PROJECTS" &&
              [subject, ANONYMOUS, JIRA_PRODUCT_USERS].includes(r.principal),
          )
          .map((r) => r.resourceId),
      ),
    ]
      .filter((k) => !state.tenant.jira.projects.find((p) => p.key === k)?.archived)
      .sort();
    expect(granted).toEqual(expected);
    const denied = await t.site(`${API}/permissions/check`, {
      method: "POST",
      limited: true,
      body: JSON.stringify({ accountId: subject, globalPermissions: ["ADMINISTER"] }),
    });
    expect(denied.status).toBe(403);
  });

  it("application roles list their groups by name and id, with licence counts", async () => {
    const state = t.sim.state;
    const roles = (await getJson(t, "/applicationrole")) as unknown as Json[];
    expect(roles.map((r) => r.key)).toEqual(state.tenant.jira.applicationRoles.map((r) => r.key));
    const software = roles.find((r) => r.key === "jira-software")!;
    const model = state.tenant.jira.applicationRoles.find((r) => r.key === "jira-software")!;
    expect(software.groupDetails.map((g: Json) => g.groupId)).toEqual(model.groups);
    expect(software.groups).toEqual(model.groups.map((g) => state.groupsById.get(g)?.name));
    const licensed = new Set(
      model.groups
        .flatMap((g) => state.groupsById.get(g)?.members ?? [])
        .filter((id) => {
          const a = state.accountsById.get(id);
          return a?.status === "active" && !a.suspended && a.accountType === "atlassian";
        }),
    );
    expect(software.userCount).toBe(licensed.size);
    expect(software.remainingSeats).toBe(Math.max(0, model.numberOfSeats - licensed.size));
    expect(await getJson(t, "/applicationrole/jira-software")).toEqual(software);
    expect((await t.site(`${API}/applicationrole`, { limited: true })).status).toBe(403);
  });

  it("serverInfo names the simulated site as the base URL", async () => {
    const info = await getJson(t, "/serverInfo");
    expect(info.deploymentType).toBe("Cloud");
    expect(info.baseUrl).toMatch(/\/site$/);
  });
});

describe("Jira REST v3: writes", () => {
  it("creates a group, adds and removes a member, and deletes it, all visible in the shared state", async () => {
    const t = makeTestSim("S", 3);
    const state = t.sim.state;
    const created = await t.site(`${API}/group`, { method: "POST", body: JSON.stringify({ name: "jira-made" }) });
    expect(created.status).toBe(201);
    const group = await json(created);
    expect(group).toMatchObject({ name: "jira-made", users: { size: 0 } });
    expect(state.groupsById.get(group.groupId)?.name).toBe("jira-made");
    const dup = await t.site(`${API}/group`, { method: "POST", body: JSON.stringify({ name: "JIRA-MADE" }) });
    expect(dup.status).toBe(400);

    const member = state.tenant.accounts.find((a) => a.status === "active" && a.accountType === "atlassian")!;
    const added = await t.site(`${API}/group/user?groupId=${group.groupId}`, {
      method: "POST",
      body: JSON.stringify({ accountId: member.accountId }),
    });
    expect(added.status).toBe(201);
    expect((await json(added)).users.items.map((u: Json) => u.accountId)).toEqual([member.accountId]);
    expect(state.groupIdsOf(member.accountId)).toContain(group.groupId);
    const members = await getJson(t, `/group/member?groupId=${group.groupId}`);
    expect(ids(members.values, "accountId")).toEqual([member.accountId]);
    const again = await t.site(`${API}/group/user?groupId=${group.groupId}`, {
      method: "POST",
      body: JSON.stringify({ accountId: member.accountId }),
    });
    expect(again.status).toBe(400);

    const removed = await t.site(`${API}/group/user?groupId=${group.groupId}&accountId=${member.accountId}`, {
      method: "DELETE",
    });
    expect(removed.status).toBe(200);
    expect(state.groupIdsOf(member.accountId)).not.toContain(group.groupId);

    const deleted = await t.site(`${API}/group?groupId=${group.groupId}`, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(state.groupsById.has(group.groupId)).toBe(false);
    expect((await t.site(`${API}/group?groupId=${group.groupId}`, { method: "DELETE" })).status).toBe(404);
  });

  it("membership changes move Jira product access, as Admin sees it", async () => {
    const t = makeTestSim("S", 3);
    const state = t.sim.state;
    const jiraUsers = state.groupsByName.get("jira-software-users")!;
    const outsider = state.tenant.accounts.find(
      (a) =>
        a.status === "active" &&
        !a.suspended &&
        a.accountType === "atlassian" &&
        !a.products.some((p) => p.key === "jira-software"),
    );
    expect(outsider).toBeDefined();
    const id = outsider?.accountId ?? "";
    const add = await t.site(`${API}/group/user?groupId=${jiraUsers.groupId}`, {
      method: "POST",
      body: JSON.stringify({ accountId: id }),
    });
    expect(add.status).toBe(201);
    expect(state.accountsById.get(id)?.products.map((p) => p.key)).toContain("jira-software");
    const mine = await getJson(t, "/applicationrole/jira-software");
    expect(mine.userCount).toBeGreaterThan(0);
  });

  it("refuses group writes to the limited user and to IdP-synced groups", async () => {
    const t = makeTestSim("S", 3);
    const state = t.sim.state;
    expect(
      (await t.site(`${API}/group`, { method: "POST", limited: true, body: JSON.stringify({ name: "x" }) })).status,
    ).toBe(403);
    const synced = state.tenant.groups.find((g) => g.source === "scim");
    expect(synced).toBeDefined();
    const account = state.tenant.accounts.find((a) => a.status === "active" && !synced?.members.includes(a.accountId))!;
    const before = state.revision;
    const res = await t.site(`${API}/group/user?groupId=${synced?.groupId}`, {
      method: "POST",
      body: JSON.stringify({ accountId: account.accountId }),
    });
    expect(res.status).toBe(400);
    expect((await t.site(`${API}/group?groupId=${synced?.groupId}`, { method: "DELETE" })).status).toBe(400);
    expect(state.revision).toBe(before);
    expect(
      (
        await t.site(`${API}/group/user?groupId=${synced?.groupId}`, {
          method: "POST",
          body: JSON.stringify({ accountId: "nobody" }),
        })
      ).status,
    ).toBe(404);
  });

  it("adds, replaces and removes role actors, reflected in the state and in permission checks", async () => {
    const t = makeTestSim("S", 3);
    const state = t.sim.state;
    const project = state.tenant.jira.projects.find((p) => !p.archived)!;
    const role = state.tenant.jira.roles.find((r) => r.name === "Viewers")!;
    const person = state.tenant.accounts.find(
      (a) =>
        a.status === "active" &&
        !a.suspended &&
        a.products.some((p) => p.key === "jira-software") &&
        !(project.roleActors[String(role.id)]?.users ?? []).includes(a.accountId),
    )!;
    const team = state.tenant.groups.find((g) => g.source === "admin" && g.members.length > 0)!;
    const url = `${API}/project/${project.key}/role/${role.id}`;

    const added = await t.site(url, {
      method: "POST",
      body: JSON.stringify({ user: [person.accountId], groupId: [team.groupId] }),
    });
    expect(added.status).toBe(200);
    const after = await json(added);
    expect(after.actors.map((a: Json) => a.actorUser?.accountId ?? a.actorGroup?.groupId)).toEqual(
      expect.arrayContaining([person.accountId, team.groupId]),
    );
    expect(project.roleActors[String(role.id)]?.users).toContain(person.accountId);
    expect(project.roleActors[String(role.id)]?.groups).toContain(team.groupId);

    const replaced = await t.site(url, {
      method: "PUT",
      body: JSON.stringify({ categorisedActors: { "atlassian-user-role-actor": [person.accountId] } }),
    });
    expect(replaced.status).toBe(200);
    expect(project.roleActors[String(role.id)]).toEqual({ users: [person.accountId], groups: [] });

    const removed = await t.site(`${url}?user=${person.accountId}`, { method: "DELETE" });
    expect(removed.status).toBe(204);
    expect(project.roleActors[String(role.id)]).toEqual({ users: [], groups: [] });

    const unknown = await t.site(url, { method: "POST", body: JSON.stringify({ user: ["nobody"] }) });
    expect(unknown.status).toBe(404);
    // "the group or user is not active" → 404.
    const inactive = state.tenant.accounts.find((a) => a.status === "inactive")!;
    const refused = await t.site(url, { method: "POST", body: JSON.stringify({ user: [inactive.accountId] }) });
    expect(refused.status).toBe(404);
    expect(project.roleActors[String(role.id)]?.users).not.toContain(inactive.accountId);
    const both = await t.site(url, { method: "POST", body: JSON.stringify({ group: ["x"], groupId: ["y"] }) });
    expect(both.status).toBe(400);
    const denied = await t.site(url, {
      method: "POST",
      limited: true,
      body: JSON.stringify({ user: [person.accountId] }),
    });
    expect([401, 404]).toContain(denied.status);
  });
});
