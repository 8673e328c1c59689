/**
 * Contract cases of the simulated Jira Cloud platform REST API v3 (`jira-platform-swagger-v3.v3`, path keys carrying
 * `/rest/api/3`). The runner shares one simulator between all cases, so every write case puts the state back as it
 * found it.
 */
import type { JiraProject, SimAccount, SimGroup } from "../../atlassian-sim/tenant/model.js";
import type { TestSim } from "../../atlassian-sim/testing.js";
import type { ContractCase, UnspecifiedRoute } from "../case.js";

const SPEC = "jira-platform-swagger-v3.v3" as const;
const API = "/rest/api/3";

const jira = (t: TestSim) => t.sim.state.tenant.jira;
const liveProject = (t: TestSim): JiraProject => jira(t).projects.find((p) => !p.archived)!;
const scheme = (t: TestSim) => jira(t).permissionSchemes[0]!;
/** The group with the most members, so member pages are full. */
const biggestGroup = (t: TestSim): SimGroup =>
  [...t.sim.state.tenant.groups].sort((a, b) => b.members.length - a.members.length)[0]!;
/** An org-managed group and an active account that is not in it: a membership write that can be undone. */
const membershipTarget = (t: TestSim): { group: SimGroup; account: SimAccount } => {
  const state = t.sim.state;
  const group = state.tenant.groups.find((g) => g.source === "admin")!;
  const account = state.tenant.accounts.find((a) => a.status === "active" && !group.members.includes(a.accountId))!;
  return { group, account };
};
const json = (method: "POST" | "PUT", body: unknown): RequestInit => ({ method, body: JSON.stringify(body) });

/** Runs a role-actor write and restores the role's actors afterwards. */
async function withRoleRestored(t: TestSim, write: (p: JiraProject, roleId: number) => Promise<Response>) {
  const project = liveProject(t);
  const role = jira(t).roles[0]!;
  const saved = project.roleActors[String(role.id)] ?? { users: [], groups: [] };
  const copy = { users: [...saved.users], groups: [...saved.groups] };
  try {
    return await write(project, role.id);
  } finally {
    t.sim.state.setJiraRoleActors(project.id, role.id, copy, "contract");
  }
}

/** A role-actor target: an active account that is not an actor of the role yet. */
const newActor = (t: TestSim, project: JiraProject, roleId: number): string =>
  t.sim.state.tenant.accounts.find(
    (a) => a.status === "active" && !(project.roleActors[String(roleId)]?.users ?? []).includes(a.accountId),
  )!.accountId;

const j = (
  name: string,
  method: ContractCase["method"],
  route: string,
  expectStatus: number,
  send: ContractCase["send"],
): ContractCase => ({
  name,
  api: "jira",
  method,
  route,
  specPath: route.replace(/:(\w+)/g, "{$1}"),
  expectStatus,
  send,
  spec: SPEC,
});

export const cases: ContractCase[] = [
  // ---------------------------------------------------------------- users
  j("all users, clamped page", "GET", `${API}/users/search`, 200, (t) => t.site(`${API}/users/search?maxResults=5000`)),
  j("all users as the limited user (no emails)", "GET", `${API}/users/search`, 200, (t) =>
    t.site(`${API}/users/search?startAt=3&maxResults=20`, { limited: true }),
  ),
  j("all users, default path", "GET", `${API}/users`, 200, (t) => t.site(`${API}/users?maxResults=10`)),
  j("one user with groups and application roles", "GET", `${API}/user`, 200, (t) => {
    const id = t.sim.state.tenant.credentials.productUser.accountId;
    return t.site(`${API}/user?accountId=${id}&expand=groups,applicationRoles`);
  }),
  j("an app account", "GET", `${API}/user`, 200, (t) => {
    const app = t.sim.state.tenant.accounts.find((a) => a.accountType === "app")!;
    return t.site(`${API}/user?accountId=${app.accountId}`);
  }),
  j("unknown user", "GET", `${API}/user`, 404, (t) => t.site(`${API}/user?accountId=nobody`)),
  j("user read without Browse users and groups", "GET", `${API}/user`, 403, (t) =>
    t.site(`${API}/user?accountId=${t.sim.state.tenant.accounts[0]!.accountId}`, { limited: true }),
  ),
  j("no credentials", "GET", `${API}/user`, 401, (t) => t.fetch(`/site${API}/user?accountId=x`)),
  j("the caller", "GET", `${API}/myself`, 200, (t) => t.site(`${API}/myself?expand=groups`)),
  j("a user's groups", "GET", `${API}/user/groups`, 200, (t) =>
    t.site(`${API}/user/groups?accountId=${t.sim.state.tenant.credentials.productUser.accountId}`),
  ),
  j("groups of an unknown user", "GET", `${API}/user/groups`, 404, (t) =>
    t.site(`${API}/user/groups?accountId=nobody`),
  ),
  j("bulk users", "GET", `${API}/user/bulk`, 200, (t) => {
    const [a, b, c] = t.sim.state.tenant.accounts;
    return t.site(
      `${API}/user/bulk?accountId=${a!.accountId}&accountId=${b!.accountId}&accountId=${c!.accountId}&maxResults=2`,
    );
  }),
  j("bulk users without accountId", "GET", `${API}/user/bulk`, 400, (t) => t.site(`${API}/user/bulk`)),
  j("user search", "GET", `${API}/user/search`, 200, (t) => t.site(`${API}/user/search?query=a&maxResults=20`)),
  j("user search without a query", "GET", `${API}/user/search`, 400, (t) => t.site(`${API}/user/search`)),

  // ---------------------------------------------------------------- groups
  j("groups, clamped page", "GET", `${API}/group/bulk`, 200, (t) => t.site(`${API}/group/bulk?maxResults=500`)),
  j("site-admin groups", "GET", `${API}/group/bulk`, 200, (t) => t.site(`${API}/group/bulk?accessType=site-admin`)),
  j("groups of an application", "GET", `${API}/group/bulk`, 200, (t) =>
    t.site(`${API}/group/bulk?accessType=user&applicationKey=jira-software`),
  ),
  j("groups without Browse users and groups", "GET", `${API}/group/bulk`, 403, (t) =>
    t.site(`${API}/group/bulk`, { limited: true }),
  ),
  j("invalid access type", "GET", `${API}/group/bulk`, 400, (t) => t.site(`${API}/group/bulk?accessType=owner`)),
  j("group members, clamped page", "GET", `${API}/group/member`, 200, (t) =>
    t.site(`${API}/group/member?groupId=${biggestGroup(t).groupId}&maxResults=500`),
  ),
  j("group members including inactive", "GET", `${API}/group/member`, 200, (t) =>
    t.site(`${API}/group/member?groupId=${biggestGroup(t).groupId}&includeInactiveUsers=true&startAt=1&maxResults=3`),
  ),
  j("group members for the limited user", "GET", `${API}/group/member`, 403, (t) =>
    t.site(`${API}/group/member?groupId=${biggestGroup(t).groupId}`, { limited: true }),
  ),
  j("members of an unknown group", "GET", `${API}/group/member`, 404, (t) =>
    t.site(`${API}/group/member?groupId=nope`),
  ),
  j("members without a group", "GET", `${API}/group/member`, 400, (t) => t.site(`${API}/group/member`)),
  j("create a group", "POST", `${API}/group`, 201, async (t) => {
    const res = await t.site(`${API}/group`, json("POST", { name: "contract-jira-group" }));
    const made = t.sim.state.groupsByName.get("contract-jira-group");
    if (made) t.sim.state.deleteGroup(made.groupId, "contract");
    return res;
  }),
  j("create a group with a taken name", "POST", `${API}/group`, 400, (t) =>
    t.site(`${API}/group`, json("POST", { name: t.sim.state.tenant.groups[0]!.name })),
  ),
  j("create a group as the limited user", "POST", `${API}/group`, 403, (t) =>
    t.site(`${API}/group`, { ...json("POST", { name: "x" }), limited: true }),
  ),
  j("delete a group", "DELETE", `${API}/group`, 200, (t) => {
    const g = t.sim.state.createGroup("contract-jira-doomed", "", "admin", "contract");
    return t.site(`${API}/group?groupId=${g.groupId}`, { method: "DELETE" });
  }),
  j("delete an unknown group", "DELETE", `${API}/group`, 404, (t) =>
    t.site(`${API}/group?groupId=nope`, { method: "DELETE" }),
  ),
  j("add a member", "POST", `${API}/group/user`, 201, async (t) => {
    const { group, account } = membershipTarget(t);
    const res = await t.site(
      `${API}/group/user?groupId=${group.groupId}`,
      json("POST", { accountId: account.accountId }),
    );
    t.sim.state.removeMember(group.groupId, account.accountId, "contract");
    return res;
  }),
  j("add an unknown account", "POST", `${API}/group/user`, 404, (t) =>
    t.site(`${API}/group/user?groupId=${membershipTarget(t).group.groupId}`, json("POST", { accountId: "nobody" })),
  ),
  j("add without an account", "POST", `${API}/group/user`, 400, (t) =>
    t.site(`${API}/group/user?groupId=${membershipTarget(t).group.groupId}`, json("POST", {})),
  ),
  j("remove a member", "DELETE", `${API}/group/user`, 200, (t) => {
    const { group, account } = membershipTarget(t);
    t.sim.state.addMember(group.groupId, account.accountId, "contract");
    return t.site(`${API}/group/user?groupId=${group.groupId}&accountId=${account.accountId}`, { method: "DELETE" });
  }),
  j("remove from an unknown group", "DELETE", `${API}/group/user`, 404, (t) =>
    t.site(`${API}/group/user?groupId=nope&accountId=x`, { method: "DELETE" }),
  ),

  // ---------------------------------------------------------------- projects
  j("projects, clamped page with lead", "GET", `${API}/project/search`, 200, (t) =>
    t.site(`${API}/project/search?maxResults=500&expand=lead,description,permissions`),
  ),
  j("live and archived projects", "GET", `${API}/project/search`, 200, (t) =>
    t.site(`${API}/project/search?status=live,archived&maxResults=2&startAt=1`),
  ),
  j("projects the limited user sees", "GET", `${API}/project/search`, 200, (t) =>
    t.site(`${API}/project/search`, { limited: true }),
  ),
  j("invalid project status", "GET", `${API}/project/search`, 400, (t) => t.site(`${API}/project/search?status=gone`)),
  j("one project by key", "GET", `${API}/project/:projectIdOrKey`, 200, (t) =>
    t.site(`${API}/project/${liveProject(t).key}`),
  ),
  j("an archived project by id", "GET", `${API}/project/:projectIdOrKey`, 200, (t) =>
    t.site(`${API}/project/${jira(t).projects.find((p) => p.archived)!.id}`),
  ),
  j("unknown project", "GET", `${API}/project/:projectIdOrKey`, 404, (t) => t.site(`${API}/project/NOPE`)),

  // ---------------------------------------------------------------- project roles
  j("role map of a project", "GET", `${API}/project/:projectIdOrKey/role`, 200, (t) =>
    t.site(`${API}/project/${liveProject(t).key}/role`),
  ),
  j("role map of an unknown project", "GET", `${API}/project/:projectIdOrKey/role`, 404, (t) =>
    t.site(`${API}/project/NOPE/role`),
  ),
  j("role details", "GET", `${API}/project/:projectIdOrKey/roledetails`, 200, (t) =>
    t.site(`${API}/project/${liveProject(t).key}/roledetails`),
  ),
  j("role details of an unknown project", "GET", `${API}/project/:projectIdOrKey/roledetails`, 404, (t) =>
    t.site(`${API}/project/NOPE/roledetails`),
  ),
  j("role actors", "GET", `${API}/project/:projectIdOrKey/role/:id`, 200, (t) => {
    const p = liveProject(t);
    const [roleId] =
      Object.entries(p.roleActors).find(([, a]) => a.users.length > 0 && a.groups.length > 0) ??
      Object.entries(p.roleActors)[0]!;
    return t.site(`${API}/project/${p.key}/role/${roleId}`);
  }),
  j("role actors, active users only", "GET", `${API}/project/:projectIdOrKey/role/:id`, 200, (t) =>
    t.site(`${API}/project/${liveProject(t).id}/role/${jira(t).roles[1]!.id}?excludeInactiveUsers=true`),
  ),
  j("unknown role", "GET", `${API}/project/:projectIdOrKey/role/:id`, 404, (t) =>
    t.site(`${API}/project/${liveProject(t).key}/role/1`),
  ),
  j("add role actors", "POST", `${API}/project/:projectIdOrKey/role/:id`, 200, (t) =>
    withRoleRestored(t, (p, roleId) =>
      t.site(
        `${API}/project/${p.key}/role/${roleId}`,
        json("POST", { user: [newActor(t, p, roleId)], groupId: [biggestGroup(t).groupId] }),
      ),
    ),
  ),
  j("add an unknown actor", "POST", `${API}/project/:projectIdOrKey/role/:id`, 404, (t) =>
    t.site(`${API}/project/${liveProject(t).key}/role/${jira(t).roles[0]!.id}`, json("POST", { user: ["nobody"] })),
  ),
  j("add actors with names and ids", "POST", `${API}/project/:projectIdOrKey/role/:id`, 400, (t) =>
    t.site(
      `${API}/project/${liveProject(t).key}/role/${jira(t).roles[0]!.id}`,
      json("POST", { group: ["a"], groupId: ["b"] }),
    ),
  ),
  j("replace role actors", "PUT", `${API}/project/:projectIdOrKey/role/:id`, 200, (t) =>
    withRoleRestored(t, (p, roleId) =>
      t.site(
        `${API}/project/${p.key}/role/${roleId}`,
        json("PUT", {
          categorisedActors: {
            "atlassian-user-role-actor": [newActor(t, p, roleId)],
            "atlassian-group-role-actor-id": [biggestGroup(t).groupId],
          },
        }),
      ),
    ),
  ),
  j("replace actors without categorisedActors", "PUT", `${API}/project/:projectIdOrKey/role/:id`, 400, (t) =>
    t.site(`${API}/project/${liveProject(t).key}/role/${jira(t).roles[0]!.id}`, json("PUT", {})),
  ),
  j("remove a role actor", "DELETE", `${API}/project/:projectIdOrKey/role/:id`, 204, (t) =>
    withRoleRestored(t, (p, roleId) => {
      const actor = newActor(t, p, roleId);
      const current = p.roleActors[String(roleId)] ?? { users: [], groups: [] };
      t.sim.state.setJiraRoleActors(
        p.id,
        roleId,
        { users: [...current.users, actor], groups: current.groups },
        "contract",
      );
      return t.site(`${API}/project/${p.key}/role/${roleId}?user=${actor}`, { method: "DELETE" });
    }),
  ),
  j("remove without naming an actor", "DELETE", `${API}/project/:projectIdOrKey/role/:id`, 400, (t) =>
    t.site(`${API}/project/${liveProject(t).key}/role/${jira(t).roles[0]!.id}`, { method: "DELETE" }),
  ),
  j("all project roles", "GET", `${API}/role`, 200, (t) => t.site(`${API}/role`)),
  j("project roles for a non-admin", "GET", `${API}/role`, 403, (t) => t.site(`${API}/role`, { limited: true })),
  j("one project role", "GET", `${API}/role/:id`, 200, (t) => t.site(`${API}/role/${jira(t).roles[0]!.id}`)),
  j("unknown project role", "GET", `${API}/role/:id`, 404, (t) => t.site(`${API}/role/1`)),

  // ---------------------------------------------------------------- permissions
  j("permission schemes", "GET", `${API}/permissionscheme`, 200, (t) => t.site(`${API}/permissionscheme`)),
  j("permission schemes with grants", "GET", `${API}/permissionscheme`, 200, (t) =>
    t.site(`${API}/permissionscheme?expand=all`),
  ),
  j("one permission scheme with grants", "GET", `${API}/permissionscheme/:schemeId`, 200, (t) =>
    t.site(`${API}/permissionscheme/${scheme(t).id}?expand=permissions`),
  ),
  j("unknown permission scheme", "GET", `${API}/permissionscheme/:schemeId`, 404, (t) =>
    t.site(`${API}/permissionscheme/1`),
  ),
  ...[0, 1, 2, 3, 4].map((i) =>
    j(`grants of scheme #${i}`, "GET", `${API}/permissionscheme/:schemeId/permission`, 200, (t) =>
      t.site(`${API}/permissionscheme/${jira(t).permissionSchemes[i]!.id}/permission`),
    ),
  ),
  j("grants of an unknown scheme", "GET", `${API}/permissionscheme/:schemeId/permission`, 404, (t) =>
    t.site(`${API}/permissionscheme/1/permission`),
  ),
  j("one grant", "GET", `${API}/permissionscheme/:schemeId/permission/:permissionId`, 200, (t) =>
    t.site(`${API}/permissionscheme/${scheme(t).id}/permission/${scheme(t).grants[0]!.id}`),
  ),
  j("unknown grant", "GET", `${API}/permissionscheme/:schemeId/permission/:permissionId`, 404, (t) =>
    t.site(`${API}/permissionscheme/${scheme(t).id}/permission/1`),
  ),
  j("a project's permission scheme", "GET", `${API}/project/:projectKeyOrId/permissionscheme`, 200, (t) =>
    t.site(`${API}/project/${liveProject(t).key}/permissionscheme?expand=permissions`),
  ),
  j("permission scheme of an unknown project", "GET", `${API}/project/:projectKeyOrId/permissionscheme`, 404, (t) =>
    t.site(`${API}/project/NOPE/permissionscheme`),
  ),
  j("permission catalogue", "GET", `${API}/permissions`, 200, (t) => t.site(`${API}/permissions`)),
  j("my permissions, global context", "GET", `${API}/mypermissions`, 200, (t) =>
    t.site(`${API}/mypermissions?permissions=ADMINISTER,USER_PICKER,BROWSE_PROJECTS`),
  ),
  j("my permissions in a project, limited user", "GET", `${API}/mypermissions`, 200, (t) =>
    t.site(`${API}/mypermissions?permissions=BROWSE_PROJECTS,ADMINISTER&projectKey=${jira(t).projects[3]!.key}`, {
      limited: true,
    }),
  ),
  j("my permissions without keys", "GET", `${API}/mypermissions`, 400, (t) => t.site(`${API}/mypermissions`)),
  j("my permissions in an unknown project", "GET", `${API}/mypermissions`, 404, (t) =>
    t.site(`${API}/mypermissions?permissions=BROWSE_PROJECTS&projectKey=NOPE`),
  ),
  j("bulk permission check for an account", "POST", `${API}/permissions/check`, 200, (t) =>
    t.site(
      `${API}/permissions/check`,
      json("POST", {
        accountId: liveProject(t).leadAccountId,
        globalPermissions: ["ADMINISTER", "USER_PICKER"],
        projectPermissions: [{ permissions: ["BROWSE_PROJECTS", "ADMINISTER_PROJECTS"] }],
      }),
    ),
  ),
  j("bulk permission check with an unknown key", "POST", `${API}/permissions/check`, 400, (t) =>
    t.site(`${API}/permissions/check`, json("POST", { globalPermissions: ["PERMISSION_123"] })),
  ),
  j("bulk permission check of another account by a non-admin", "POST", `${API}/permissions/check`, 403, (t) =>
    t.site(`${API}/permissions/check`, {
      ...json("POST", { accountId: liveProject(t).leadAccountId, globalPermissions: ["ADMINISTER"] }),
      limited: true,
    }),
  ),
  j("application roles", "GET", `${API}/applicationrole`, 200, (t) => t.site(`${API}/applicationrole`)),
  j("application roles for a non-admin", "GET", `${API}/applicationrole`, 403, (t) =>
    t.site(`${API}/applicationrole`, { limited: true }),
  ),
  j("one application role", "GET", `${API}/applicationrole/:key`, 200, (t) =>
    t.site(`${API}/applicationrole/jira-software`),
  ),
  j("unknown application role", "GET", `${API}/applicationrole/:key`, 404, (t) =>
    t.site(`${API}/applicationrole/nope`),
  ),
  j("server info", "GET", `${API}/serverInfo`, 200, (t) => t.site(`${API}/serverInfo`)),
];

/** Every Jira route the simulator serves is in the published specification. */
export const unspecified: UnspecifiedRoute[] = [];
