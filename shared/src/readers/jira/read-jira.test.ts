import {
  JIRA_PAGE_CAPS,
  type JiraEntityCounts,
  jiraCallBreakdown,
  minimumJiraCalls,
  readJira,
} from "@accessmap/shared/readers/jira/read-jira";
import type { ProgressEvent } from "@accessmap/shared/readers/reader";
import { AuthError, MissingIdentityError, SchemaMismatchError, ServerError } from "@accessmap/shared/transport/errors";
import { reply, scriptedSend, testTransport } from "@accessmap/shared/transport/test-kit";
import type { RawRequest, RawResponse } from "@accessmap/shared/transport/transport";
import { describe, expect, it } from "vitest";

// ---------------------------------------------------------------- a scripted Jira

interface FakeProject {
  id: string;
  key: string;
  name: string;
  style: string;
  archived: boolean;
  lead: string;
  schemeId: number;
  /** role id → role name and actors */
  roles: Record<string, { name: string; users: string[]; groups: string[] }>;
}

interface FakeJira {
  users: Array<Record<string, unknown>>;
  groups: Array<{ groupId: string; name: string; members: string[] }>;
  adminGroups: string[];
  siteAdminGroups: string[];
  projects: FakeProject[];
  schemes: Array<{ id: number; name: string; permissions: unknown[] }>;
  appRoles: unknown[];
}

const BASE = "https://acme.atlassian.net/rest/api/3";

function pageBean<T>(items: readonly T[], url: URL, cap: number) {
  const startAt = Number(url.searchParams.get("startAt") ?? 0);
  const maxResults = Math.min(Number(url.searchParams.get("maxResults") ?? 50), cap);
  const values = items.slice(startAt, startAt + maxResults);
  return { startAt, maxResults, total: items.length, isLast: startAt + values.length >= items.length, values };
}

/** Answers the reader's calls from `data`, the way Jira does (page caps clamped silently); `override` goes first. */
function fakeJira(data: FakeJira, override?: (url: URL) => RawResponse | Error | undefined) {
  return (req: RawRequest): RawResponse | Error => {
    const url = new URL(req.url);
    const special = override?.(url);
    if (special) return special;
    const path = url.pathname.replace("/rest/api/3", "");
    if (path === "/users/search") {
      const startAt = Number(url.searchParams.get("startAt") ?? 0);
      const max = Math.min(Number(url.searchParams.get("maxResults") ?? 50), 1000);
      return reply(200, data.users.slice(startAt, startAt + max));
    }
    if (path === "/group/bulk") {
      const type = url.searchParams.get("accessType");
      const allowed = type === "admin" ? data.adminGroups : type === "site-admin" ? data.siteAdminGroups : null;
      const groups = data.groups
        .filter((g) => !allowed || allowed.includes(g.groupId))
        .map(({ groupId, name }) => ({ groupId, name }));
      return reply(200, pageBean(groups, url, 50));
    }
    if (path === "/group/member") {
      const group = data.groups.find((g) => g.groupId === url.searchParams.get("groupId"));
      if (!group) return reply(404, { errorMessages: ["group not found"] });
      return reply(
        200,
        pageBean(
          group.members.map((accountId) => ({ accountId })),
          url,
          50,
        ),
      );
    }
    if (path === "/project/search") {
      const projects = data.projects.map((p) => ({
        id: p.id,
        key: p.key,
        name: p.name,
        projectTypeKey: "software",
        style: p.style,
        archived: p.archived,
        lead: { accountId: p.lead },
      }));
      return reply(200, pageBean(projects, url, 100));
    }
    if (path === "/permissionscheme") return reply(200, { permissionSchemes: data.schemes });
    if (path === "/applicationrole") return reply(200, data.appRoles);
    const m = /^\/project\/([^/]+)\/(role|permissionscheme)(?:\/(\d+))?$/.exec(path);
    const project = data.projects.find((p) => p.id === m?.[1]);
    if (!m || !project) return reply(404, { errorMessages: ["No project could be found"] });
    if (m[2] === "permissionscheme") return reply(200, { id: project.schemeId, name: `scheme ${project.schemeId}` });
    if (!m[3]) {
      return reply(
        200,
        Object.fromEntries(
          Object.entries(project.roles).map(([id, r]) => [r.name, `${BASE}/project/${project.id}/role/${id}`]),
        ),
      );
    }
    const role = project.roles[m[3]];
    if (!role) return reply(404, { errorMessages: ["role not found"] });
    return reply(200, {
      id: Number(m[3]),
      name: role.name,
      actors: [
        ...role.groups.map((groupId) => ({
          type: "atlassian-group-role-actor",
          actorGroup: { groupId, name: groupId },
        })),
        ...role.users.map((accountId) => ({ type: "atlassian-user-role-actor", actorUser: { accountId } })),
      ],
    });
  };
}

function user(i: number, emailVisible = true) {
  return {
    accountId: `acc-${i}`,
    accountType: i % 10 === 9 ? "app" : "atlassian",
    active: i % 7 !== 0,
    displayName: `User ${i}`,
    ...(emailVisible ? { emailAddress: `user${i}@acme.io` } : {}),
  };
}

/** 2,500 users (three full-or-partial pages), 60 groups (two pages), a 120-member group, two projects. */
function sampleJira(): FakeJira {
  const users = Array.from({ length: 2500 }, (_, i) => user(i, i % 5 !== 0));
  const groups = Array.from({ length: 60 }, (_, i) => ({
    groupId: `g-${String(i).padStart(2, "0")}`,
    name: `group-${i}`,
    members: i === 0 ? users.slice(0, 120).map((u) => u.accountId) : [`acc-${i}`],
  }));
  return {
    users,
    groups,
    adminGroups: ["g-01"],
    siteAdminGroups: ["g-00"],
    projects: [
      {
        id: "10001",
        key: "ALP",
        name: "Alpha",
        style: "classic",
        archived: false,
        lead: "acc-1",
        schemeId: 10000,
        roles: {
          "10002": { name: "Administrators", users: ["acc-1"], groups: ["g-01"] },
          "10003": { name: "Developers", users: ["acc-2", "acc-3"], groups: [] },
        },
      },
      {
        id: "10002",
        key: "BET",
        name: "Beta",
        style: "next-gen",
        archived: true,
        lead: "acc-4",
        schemeId: 10001,
        roles: { "10010": { name: "Member", users: [], groups: ["g-02"] } },
      },
    ],
    schemes: [
      {
        id: 10000,
        name: "Default",
        permissions: [
          { id: 1, permission: "BROWSE_PROJECTS", holder: { type: "projectRole", parameter: "10003", value: "10003" } },
          { id: 2, permission: "BROWSE_PROJECTS", holder: { type: "reporter" } },
          { id: 3, permission: "CREATE_ISSUES", holder: { type: "group" } },
        ],
      },
      { id: 10001, name: "Open", permissions: [{ id: 4, permission: "BROWSE_PROJECTS", holder: { type: "anyone" } }] },
    ],
    appRoles: [
      {
        key: "jira-software",
        name: "Jira",
        groupDetails: [{ groupId: "g-03", name: "group-3" }],
        defaultGroupsDetails: [{ groupId: "g-03", name: "group-3" }],
      },
    ],
  };
}

function setup(data: FakeJira, override?: (url: URL) => RawResponse | Error | undefined, schemaMode?: "warn") {
  const send = scriptedSend([fakeJira(data, override)]);
  const { transport } = testTransport(send, undefined, schemaMode ? { schemaMode } : {});
  const calls = (pathPart: string) => send.requests.filter((r) => new URL(r.url).pathname.endsWith(pathPart));
  return { send, transport, calls };
}

// ---------------------------------------------------------------- tests

describe("readJira", () => {
  it("reads every entity at the largest page sizes, in exactly the minimum number of calls", async () => {
    const data = sampleJira();
    const { send, transport, calls } = setup(data);
    const events: ProgressEvent[] = [];
    const result = await readJira({ transport, progress: (e) => events.push(e) });
    const s = result.section;

    expect(result.reasons).toEqual([]);
    expect(s.users).toHaveLength(2500);
    expect(s.users.find((u) => u.accountId === "acc-0")).toMatchObject({ email: null, active: false });
    expect(s.users.find((u) => u.accountId === "acc-9")).toMatchObject({ accountType: "app", email: "user9@acme.io" });
    expect(s.groups).toHaveLength(60);
    expect(s.adminGroupIds).toEqual(["g-01"]);
    expect(s.siteAdminGroupIds).toEqual(["g-00"]);
    expect(s.groupMembers).toHaveLength(120 + 59);
    expect(s.projects).toEqual([
      {
        id: "10001",
        key: "ALP",
        name: "Alpha",
        projectTypeKey: "software",
        style: "classic",
        archived: false,
        leadAccountId: "acc-1",
        permissionSchemeId: "10000",
      },
      {
        id: "10002",
        key: "BET",
        name: "Beta",
        projectTypeKey: "software",
        style: "next-gen",
        archived: true,
        leadAccountId: "acc-4",
        permissionSchemeId: "10001",
      },
    ]);
    expect(s.roles).toEqual(
      expect.arrayContaining([
        { id: "10002", name: "Administrators" },
        { id: "10003", name: "Developers" },
        { id: "10010", name: "Member" },
      ]),
    );
    expect(s.roleActors.map((a) => `${a.roleName}|${a.actorType}|${a.accountId ?? a.groupId}`).sort()).toEqual([
      "Alpha - Administrators|group|g-01",
      "Alpha - Administrators|user|acc-1",
      "Alpha - Developers|user|acc-2",
      "Alpha - Developers|user|acc-3",
      "Beta - Member|group|g-02",
    ]);
    expect(s.grants).toHaveLength(4);
    expect(s.grants.find((g) => g.grantId === "2")).toMatchObject({ holderType: "reporter", conditional: true });
    expect(s.grants.find((g) => g.grantId === "3")).toMatchObject({
      holderType: "group",
      parameter: null,
      value: null,
    });
    expect(s.applicationRoles).toEqual([
      { key: "jira-software", name: "Jira", groupIds: ["g-03"], defaultGroupIds: ["g-03"] },
    ]);
    expect(result.counts).toEqual({
      users: 2500,
      groups: 60,
      groupMembers: 179,
      projects: 2,
      roleActors: 5,
      permissionSchemes: 2,
      grants: 4,
      applicationRoles: 1,
    });

    // Largest page sizes, inactive members, archived projects with their leads, every grant.
    const q = (r: RawRequest) => new URL(r.url).searchParams;
    expect(calls("/users/search").every((r) => q(r).get("maxResults") === "1000")).toBe(true);
    expect(calls("/group/bulk").every((r) => q(r).get("maxResults") === "50")).toBe(true);
    expect(calls("/group/member").every((r) => q(r).get("maxResults") === "50")).toBe(true);
    expect(calls("/group/member").every((r) => q(r).get("includeInactiveUsers") === "true")).toBe(true);
    expect(calls("/group/bulk").map((r) => q(r).get("accessType"))).toEqual([null, null, "admin", "site-admin"]);
    const search = q(calls("/project/search")[0] as RawRequest);
    expect(search.getAll("status")).toEqual(["live", "archived"]);
    expect(search.get("expand")).toBe("lead");
    expect(search.get("maxResults")).toBe("100");
    expect(q(calls("/permissionscheme").find((r) => !r.url.includes("/project/")) as RawRequest).get("expand")).toBe(
      "permissions",
    );
    expect(send.requests.every((r) => r.method === "GET")).toBe(true);

    const expected = minimumJiraCalls({
      users: 2500,
      groups: 60,
      groupsMembers: data.groups.map((g) => g.members.length),
      projects: 2,
      rolesPerProject: [2, 1],
      adminGroups: 1,
      siteAdminGroups: 1,
    });
    expect(send.requests).toHaveLength(expected);
    expect(calls("/users/search")).toHaveLength(4); // 1000 + 1000 + 500 + the empty page
    expect(calls("/group/member")).toHaveLength(3 + 59);

    expect(new Set(events.map((e) => e.phase))).toEqual(
      new Set(["users", "groups", "group members", "projects", "project roles and schemes", "permission schemes"]),
    );
    expect(events.filter((e) => e.phase === "group members").at(-1)).toMatchObject({ done: 60, total: 60 });
  });

  it("keeps users, groups and projects when group members are forbidden, and says what to do", async () => {
    const data = sampleJira();
    const { calls, transport } = setup(data, (url) =>
      url.pathname.endsWith("/group/member")
        ? reply(403, { errorMessages: ["You do not have the permission to view the members of this group."] })
        : undefined,
    );
    const result = await readJira({ transport });
    expect(result.section.groupMembers).toEqual([]);
    expect(result.section.users).toHaveLength(2500);
    expect(result.section.groups).toHaveLength(60);
    expect(result.section.projects).toHaveLength(2);
    expect(result.reasons).toHaveLength(1);
    expect(result.reasons[0]).toMatch(/^group members: .*403.*"Browse users and groups" global permission/);
    expect(result.reasons[0]).toMatch(/Global permissions/);
    // The first 403 stops the fan-out: at most one call per worker, not one per group.
    expect(calls("/group/member").length).toBeLessThanOrEqual(8);
  });

  it("says so when Jira hides every email address", async () => {
    const data = sampleJira();
    data.users = data.users.map(({ emailAddress: _hidden, ...u }) => u);
    const { transport } = setup(data);
    const result = await readJira({ transport });
    expect(result.section.users.every((u) => u.email === null)).toBe(true);
    expect(result.reasons).toEqual([
      expect.stringMatching(/^user emails: .*no email address for any of the 2500 users/),
    ]);
  });

  it("reports groups and members once when the group listing itself is forbidden", async () => {
    const { calls, transport } = setup(sampleJira(), (url) =>
      url.pathname.endsWith("/group/bulk") ? reply(403, { errorMessages: ["Browse users and groups"] }) : undefined,
    );
    const result = await readJira({ transport });
    expect(result.section.groups).toEqual([]);
    expect(result.section.adminGroupIds).toEqual([]);
    expect(result.section.groupMembers).toEqual([]);
    expect(calls("/group/member")).toHaveLength(0);
    expect(result.reasons).toEqual([
      expect.stringMatching(/^groups and group members: Jira answered 403.*"Browse users and groups"/),
    ]);
  });

  it("marks a project deleted mid-run partial, by name, and keeps the rest", async () => {
    const { transport } = setup(sampleJira(), (url) =>
      url.pathname.includes("/project/10002/")
        ? reply(404, { errorMessages: ["No project could be found"] })
        : undefined,
    );
    const result = await readJira({ transport });
    expect(result.reasons).toHaveLength(2);
    expect(result.reasons[0]).toMatch(/^project roles of Beta \(BET\): Jira answered 404/);
    expect(result.reasons[1]).toMatch(/^permission scheme of Beta \(BET\): Jira answered 404/);
    expect(result.section.roleActors.every((a) => a.projectId === "10001")).toBe(true);
    expect(result.section.roleActors).toHaveLength(4);
    expect(result.section.projects.find((p) => p.key === "BET")?.permissionSchemeId).toBeNull();
    expect(result.section.projects.find((p) => p.key === "ALP")?.permissionSchemeId).toBe("10000");
    expect(result.section.grants).toHaveLength(4);
  });

  it("keeps the other roles of a project when one role disappears", async () => {
    const { transport } = setup(sampleJira(), (url) =>
      url.pathname.endsWith("/project/10001/role/10003") ? reply(404, { errorMessages: ["no role"] }) : undefined,
    );
    const result = await readJira({ transport });
    expect(result.reasons).toEqual([expect.stringMatching(/^project roles of Alpha \(ALP\)/)]);
    expect(result.section.roleActors.map((a) => a.roleName).sort()).toEqual([
      "Alpha - Administrators",
      "Alpha - Administrators",
      "Beta - Member",
    ]);
  });

  it("names every project whose permission scheme is forbidden in one reason", async () => {
    const { transport } = setup(sampleJira(), (url) =>
      url.pathname.endsWith("/permissionscheme") && url.pathname.includes("/project/")
        ? reply(403, { errorMessages: ["You do not have permission to view the configuration of this project."] })
        : undefined,
    );
    const result = await readJira({ transport });
    expect(result.reasons).toEqual([
      expect.stringMatching(/^permission scheme of Alpha \(ALP\), Beta \(BET\): Jira answered 403.*Administer Jira/),
    ]);
    expect(result.section.projects.map((p) => p.permissionSchemeId)).toEqual([null, null]);
  });

  it("explains a forbidden application-role listing", async () => {
    const { transport } = setup(sampleJira(), (url) =>
      url.pathname.endsWith("/applicationrole") ? reply(403, { errorMessages: ["not an admin"] }) : undefined,
    );
    const result = await readJira({ transport });
    expect(result.section.applicationRoles).toEqual([]);
    expect(result.reasons).toEqual([
      expect.stringMatching(/^application roles: .*"Administer Jira" global permission/),
    ]);
  });

  it("treats Jira's 404 for an empty project search as no projects", async () => {
    const data = sampleJira();
    const { transport } = setup(data, (url) =>
      url.pathname.endsWith("/project/search") ? reply(404, { errorMessages: ["No projects found"] }) : undefined,
    );
    const result = await readJira({ transport });
    expect(result.section.projects).toEqual([]);
    expect(result.reasons).toEqual([]);
  });

  it("fails on a 401: a bad credential is not a partial read", async () => {
    const { transport } = setup(sampleJira(), () => reply(401, { errorMessages: ["Unauthorized"] }));
    await expect(readJira({ transport })).rejects.toBeInstanceOf(AuthError);
  });

  it("fails when a project's roles keep answering 5xx after the transport's retries", async () => {
    const { calls, transport } = setup(sampleJira(), (url) =>
      url.pathname.endsWith("/project/10001/role") ? reply(502, "Bad Gateway") : undefined,
    );
    await expect(readJira({ transport })).rejects.toBeInstanceOf(ServerError);
    expect(calls("/project/10001/role")).toHaveLength(5); // one call and four retries, all in the transport
  });

  it("fails on a user without an accountId (schema mismatch in tests, missing identity in production)", async () => {
    const data = sampleJira();
    data.users[3] = { active: true, displayName: "No id" };
    await expect(readJira({ transport: setup(data).transport })).rejects.toBeInstanceOf(SchemaMismatchError);
    await expect(readJira({ transport: setup(data, undefined, "warn").transport })).rejects.toBeInstanceOf(
      MissingIdentityError,
    );
  });

  it("fails on a role actor group without a groupId", async () => {
    const { transport } = setup(sampleJira(), (url) =>
      url.pathname.endsWith("/project/10002/role/10010")
        ? reply(200, {
            id: 10010,
            name: "Member",
            actors: [{ type: "atlassian-group-role-actor", actorGroup: { name: "x" } }],
          })
        : undefined,
    );
    await expect(readJira({ transport })).rejects.toBeInstanceOf(MissingIdentityError);
  });
});

describe("minimumJiraCalls", () => {
  const empty: JiraEntityCounts = { users: 0, groups: 0, groupsMembers: [], projects: 0, rolesPerProject: [] };

  it("counts one call for every listing of an empty site, and the empty page that ends the user listing", () => {
    // users (1 empty page), group/bulk ×3, project search, permission schemes, application roles.
    expect(minimumJiraCalls(empty)).toBe(7);
  });

  it("pages every listing at its cap; bare arrays need one extra empty page", () => {
    const b = (c: Partial<JiraEntityCounts>) => jiraCallBreakdown({ ...empty, ...c });
    expect(b({ users: 999 })["GET /rest/api/3/users/search"]).toBe(2);
    expect(b({ users: 1000 })["GET /rest/api/3/users/search"]).toBe(2);
    expect(b({ users: 1001 })["GET /rest/api/3/users/search"]).toBe(3);
    expect(b({ groups: 50 })["GET /rest/api/3/group/bulk"]).toBe(3);
    expect(b({ groups: 51, adminGroups: 51 })["GET /rest/api/3/group/bulk"]).toBe(2 + 2 + 1);
    expect(b({ groupsMembers: [0, 50, 51, 150] })["GET /rest/api/3/group/member"]).toBe(1 + 1 + 2 + 3);
    expect(b({ projects: 100 })["GET /rest/api/3/project/search"]).toBe(1);
    expect(b({ projects: 101 })["GET /rest/api/3/project/search"]).toBe(2);
  });

  it("adds the role list, each role and the scheme per project", () => {
    const counts = { ...empty, projects: 3, rolesPerProject: [5, 5, 3] };
    const b = jiraCallBreakdown(counts);
    expect(b["GET /rest/api/3/project/{id}/role"]).toBe(3);
    expect(b["GET /rest/api/3/project/{id}/role/{roleId}"]).toBe(13);
    expect(b["GET /rest/api/3/project/{id}/permissionscheme"]).toBe(3);
    expect(minimumJiraCalls(counts)).toBe(7 + 3 + 13 + 3);
  });

  it("takes other caps for a server that clamps lower", () => {
    const caps = { ...JIRA_PAGE_CAPS, users: 100 };
    expect(jiraCallBreakdown({ ...empty, users: 250 }, caps)["GET /rest/api/3/users/search"]).toBe(4);
  });
});
