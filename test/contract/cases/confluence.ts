/**
 * Contract cases of the simulated Confluence Cloud APIs: v2 (`confluence-v2-openapi-v2.v3`, path keys relative to
 * `/wiki/api/v2`) and v1 (`confluence-v1-swagger.v3`, path keys carrying `/wiki/rest/api`). The runner shares one
 * simulator between all cases, so every write case puts the state back as it found it.
 */

import type { ConfluenceSpace } from "../../atlassian-sim/tenant/model.js";
import type { TestSim } from "../../atlassian-sim/testing.js";
import type { ContractCase, UnspecifiedRoute } from "../case.js";

const V2_SPEC = "confluence-v2-openapi-v2.v3" as const;
const V1_SPEC = "confluence-v1-swagger.v3" as const;

const spaces = (t: TestSim) => t.sim.state.tenant.confluence.spaces;
const firstSpace = (t: TestSim, pred: (s: ConfluenceSpace) => boolean = () => true): ConfluenceSpace => {
  const s = spaces(t).find(pred);
  if (!s) throw new Error("the tenant has no such space");
  return s;
};
/** The group with the most members, so member pages are full. */
const biggestGroup = (t: TestSim) =>
  [...t.sim.state.tenant.groups].sort((a, b) => b.members.length - a.members.length)[0]!;
/** An org-managed group and an active account that is not in it: a membership write that can be undone. */
const membershipTarget = (t: TestSim) => {
  const state = t.sim.state;
  const group = state.tenant.groups.find((g) => g.source === "admin")!;
  const account = state.tenant.accounts.find((a) => a.status === "active" && !group.members.includes(a.accountId))!;
  return { group, account };
};
/**
 * An active account by its Confluence standing: `true` a Confluence admin, `false` a licensed non-admin, `null`
 * one without Confluence (and no admin group).
 */
const confluenceUser = (t: TestSim, admin: boolean | null): string => {
  const state = t.sim.state;
  const conf = state.tenant.confluence;
  const adminGroups = [...conf.adminGroups, ...conf.siteAdminGroups, ...state.tenant.jira.siteAdminGroups];
  const a = state.tenant.accounts.find((x) => {
    if (x.status !== "active" || x.suspended) return false;
    const isAdmin = state.groupIdsOf(x.accountId).some((g) => adminGroups.includes(g));
    if (admin === null) return !isAdmin && !state.hasProduct(x, "confluence");
    return isAdmin === admin && state.hasProduct(x, "confluence");
  });
  if (!a) throw new Error("the tenant has no such account");
  return a.accountId;
};
const post = (body: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(body) });

/** Adds a read permission for a group that has none in the space, through the state; returns its id. */
const grantRead = (t: TestSim, space: ConfluenceSpace): string => {
  const state = t.sim.state;
  const group = state.tenant.groups.find(
    (g) => !space.permissions.some((p) => p.principal.type === "group" && p.principal.id === g.groupId),
  )!;
  return state.addSpacePermission(
    space.id,
    { type: "group", id: group.groupId },
    { key: "read", targetType: "space" },
    "contract",
  ).id;
};

const v2 = (
  name: string,
  method: ContractCase["method"],
  route: string,
  specPath: string,
  expectStatus: number,
  send: ContractCase["send"],
): ContractCase => ({ name, api: "confluence", method, route, specPath, expectStatus, send, spec: V2_SPEC });

const v1 = (
  name: string,
  method: ContractCase["method"],
  route: string,
  expectStatus: number,
  send: ContractCase["send"],
): ContractCase => ({
  name,
  api: "confluence",
  method,
  route,
  specPath: route.replace(/:(\w+)/g, "{$1}"),
  expectStatus,
  send,
  spec: V1_SPEC,
});

export const cases: ContractCase[] = [
  // ---------------------------------------------------------------- v2 spaces
  v2("first page, clamped", "GET", "/wiki/api/v2/spaces", "/spaces", 200, (t) =>
    t.site("/wiki/api/v2/spaces?limit=1000"),
  ),
  v2("filtered page with icons", "GET", "/wiki/api/v2/spaces", "/spaces", 200, (t) =>
    t.site("/wiki/api/v2/spaces?type=personal&status=current&limit=1&include-icon=true&sort=-key"),
  ),
  v2("invalid cursor", "GET", "/wiki/api/v2/spaces", "/spaces", 400, (t) => t.site("/wiki/api/v2/spaces?cursor=bogus")),
  v2("no credentials", "GET", "/wiki/api/v2/spaces", "/spaces", 401, (t) => t.fetch("/site/wiki/api/v2/spaces")),
  v2("with permissions and role assignments", "GET", "/wiki/api/v2/spaces/:id", "/spaces/{id}", 200, (t) => {
    const s = firstSpace(t, (x) => x.roleAssignments.length > 0);
    return t.site(`/wiki/api/v2/spaces/${s.id}?include-permissions=true&include-role-assignments=true`);
  }),
  v2("unknown space", "GET", "/wiki/api/v2/spaces/:id", "/spaces/{id}", 404, (t) => t.site("/wiki/api/v2/spaces/1")),
  v2("permission assignments", "GET", "/wiki/api/v2/spaces/:id/permissions", "/spaces/{id}/permissions", 200, (t) =>
    t.site(`/wiki/api/v2/spaces/${firstSpace(t).id}/permissions?limit=5`),
  ),
  v2(
    "permissions of an unknown space",
    "GET",
    "/wiki/api/v2/spaces/:id/permissions",
    "/spaces/{id}/permissions",
    404,
    (t) => t.site("/wiki/api/v2/spaces/1/permissions"),
  ),
  v2("role assignments", "GET", "/wiki/api/v2/spaces/:id/role-assignments", "/spaces/{id}/role-assignments", 200, (t) =>
    t.site(`/wiki/api/v2/spaces/${firstSpace(t, (s) => s.roleAssignments.length > 0).id}/role-assignments`),
  ),
  v2(
    "role assignments of an unknown space",
    "GET",
    "/wiki/api/v2/spaces/:id/role-assignments",
    "/spaces/{id}/role-assignments",
    404,
    (t) => t.site("/wiki/api/v2/spaces/1/role-assignments"),
  ),
  // ---------------------------------------------------------------- v2 roles (EAP)
  v2("space roles", "GET", "/wiki/api/v2/space-roles", "/space-roles", 200, (t) => t.site("/wiki/api/v2/space-roles")),
  v2("principal without its type", "GET", "/wiki/api/v2/space-roles", "/space-roles", 400, (t) =>
    t.site("/wiki/api/v2/space-roles?principal-id=x"),
  ),
  v2("one space role", "GET", "/wiki/api/v2/space-roles/:id", "/space-roles/{id}", 200, (t) =>
    t.site(`/wiki/api/v2/space-roles/${t.sim.state.tenant.confluence.roles[0]!.id}`),
  ),
  v2("unknown space role", "GET", "/wiki/api/v2/space-roles/:id", "/space-roles/{id}", 404, (t) =>
    t.site("/wiki/api/v2/space-roles/404"),
  ),
  v2("space role mode", "GET", "/wiki/api/v2/space-role-mode", "/space-role-mode", 200, (t) =>
    t.site("/wiki/api/v2/space-role-mode"),
  ),
  v2("space permission catalogue", "GET", "/wiki/api/v2/space-permissions", "/space-permissions", 200, (t) =>
    t.site("/wiki/api/v2/space-permissions?limit=5"),
  ),
  // ---------------------------------------------------------------- v2 users
  v2("bulk users", "POST", "/wiki/api/v2/users-bulk", "/users-bulk", 200, (t) =>
    t.site(
      "/wiki/api/v2/users-bulk",
      post({ accountIds: t.sim.state.tenant.accounts.slice(0, 20).map((a) => a.accountId) }),
    ),
  ),
  v2("bulk users as a caller without Browse users", "POST", "/wiki/api/v2/users-bulk", "/users-bulk", 200, (t) =>
    t.site("/wiki/api/v2/users-bulk", {
      ...post({ accountIds: t.sim.state.tenant.accounts.slice(0, 5).map((a) => a.accountId) }),
      limited: true,
    }),
  ),
  v2("more than 250 account ids", "POST", "/wiki/api/v2/users-bulk", "/users-bulk", 400, (t) =>
    t.site("/wiki/api/v2/users-bulk", post({ accountIds: Array.from({ length: 251 }, (_, i) => `a${i}`) })),
  ),

  // ---------------------------------------------------------------- v1 groups
  v1("all groups", "GET", "/wiki/rest/api/group", 200, (t) => t.site("/wiki/rest/api/group?limit=5")),
  v1("site-admin groups", "GET", "/wiki/rest/api/group", 200, (t) =>
    t.site("/wiki/rest/api/group?accessType=site-admin"),
  ),
  v1("members with total size", "GET", "/wiki/rest/api/group/:groupId/membersByGroupId", 200, (t) =>
    t.site(`/wiki/rest/api/group/${biggestGroup(t).groupId}/membersByGroupId?limit=10&shouldReturnTotalSize=true`),
  ),
  v1("limit above 200", "GET", "/wiki/rest/api/group/:groupId/membersByGroupId", 400, (t) =>
    t.site(`/wiki/rest/api/group/${biggestGroup(t).groupId}/membersByGroupId?limit=201`),
  ),
  v1("caller without Browse users", "GET", "/wiki/rest/api/group/:groupId/membersByGroupId", 403, (t) =>
    t.site(`/wiki/rest/api/group/${biggestGroup(t).groupId}/membersByGroupId`, { limited: true }),
  ),
  v1("add a member", "POST", "/wiki/rest/api/group/userByGroupId", 201, async (t) => {
    const { group, account } = membershipTarget(t);
    const res = await t.site(
      `/wiki/rest/api/group/userByGroupId?groupId=${group.groupId}`,
      post({ accountId: account.accountId }),
    );
    t.sim.state.removeMember(group.groupId, account.accountId, "contract");
    return res;
  }),
  v1("add a member as a non site admin", "POST", "/wiki/rest/api/group/userByGroupId", 403, (t) => {
    const { group, account } = membershipTarget(t);
    return t.site(`/wiki/rest/api/group/userByGroupId?groupId=${group.groupId}`, {
      ...post({ accountId: account.accountId }),
      limited: true,
    });
  }),
  v1("add a member to an unknown group", "POST", "/wiki/rest/api/group/userByGroupId", 404, (t) =>
    t.site(
      "/wiki/rest/api/group/userByGroupId?groupId=unknown",
      post({ accountId: membershipTarget(t).account.accountId }),
    ),
  ),
  v1("remove a member", "DELETE", "/wiki/rest/api/group/userByGroupId", 204, (t) => {
    const { group, account } = membershipTarget(t);
    t.sim.state.addMember(group.groupId, account.accountId, "contract");
    return t.site(`/wiki/rest/api/group/userByGroupId?groupId=${group.groupId}&accountId=${account.accountId}`, {
      method: "DELETE",
    });
  }),
  v1("remove a member as a non site admin", "DELETE", "/wiki/rest/api/group/userByGroupId", 403, (t) => {
    const { group, account } = membershipTarget(t);
    return t.site(`/wiki/rest/api/group/userByGroupId?groupId=${group.groupId}&accountId=${account.accountId}`, {
      method: "DELETE",
      limited: true,
    });
  }),
  v1("remove a member of an unknown group", "DELETE", "/wiki/rest/api/group/userByGroupId", 404, (t) =>
    t.site(`/wiki/rest/api/group/userByGroupId?groupId=unknown&accountId=${membershipTarget(t).account.accountId}`, {
      method: "DELETE",
    }),
  ),

  // ---------------------------------------------------------------- v1 users
  v1("user", "GET", "/wiki/rest/api/user", 200, (t) =>
    t.site(`/wiki/rest/api/user?accountId=${t.sim.state.tenant.accounts[0]!.accountId}`),
  ),
  v1("user seen without Browse users", "GET", "/wiki/rest/api/user", 200, (t) =>
    t.site(`/wiki/rest/api/user?accountId=${t.sim.state.tenant.accounts[1]!.accountId}`, { limited: true }),
  ),
  v1("unknown user", "GET", "/wiki/rest/api/user", 404, (t) => t.site("/wiki/rest/api/user?accountId=nobody")),
  v1("current user with operations (site admin)", "GET", "/wiki/rest/api/user/current", 200, (t) =>
    t.site("/wiki/rest/api/user/current?expand=operations"),
  ),
  v1("current user acting through the Forge proxy (not an admin)", "GET", "/wiki/rest/api/user/current", 200, (t) =>
    t.siteAs(confluenceUser(t, false), "/wiki/rest/api/user/current?expand=operations"),
  ),
  v1("current user without Confluence", "GET", "/wiki/rest/api/user/current", 403, (t) =>
    t.siteAs(confluenceUser(t, null), "/wiki/rest/api/user/current"),
  ),
  v1("group memberships", "GET", "/wiki/rest/api/user/memberof", 200, (t) =>
    t.site(`/wiki/rest/api/user/memberof?accountId=${t.sim.state.tenant.credentials.productUser.accountId}`),
  ),
  v1("all users", "GET", "/wiki/rest/api/search/user", 200, (t) =>
    t.site("/wiki/rest/api/search/user?cql=type%3Duser&sitePermissionTypeFilter=all&limit=10"),
  ),
  v1("external collaborators", "GET", "/wiki/rest/api/search/user", 200, (t) =>
    t.site("/wiki/rest/api/search/user?cql=type%3Duser&sitePermissionTypeFilter=externalCollaborator"),
  ),
  v1("unparseable cql", "GET", "/wiki/rest/api/search/user", 400, (t) =>
    t.site("/wiki/rest/api/search/user?cql=space%3DFOO"),
  ),

  // ---------------------------------------------------------------- v1 spaces
  v1("spaces with permissions", "GET", "/wiki/rest/api/space", 200, (t) =>
    t.site("/wiki/rest/api/space?expand=permissions&limit=3"),
  ),
  v1("invalid status", "GET", "/wiki/rest/api/space", 400, (t) => t.site("/wiki/rest/api/space?status=deleted")),
  v1("space with anonymous access", "GET", "/wiki/rest/api/space/:spaceKey", 200, (t) => {
    const s = firstSpace(t, (x) => x.permissions.some((p) => p.principal.type === "anonymous"));
    return t.site(`/wiki/rest/api/space/${s.key}?expand=permissions`);
  }),
  v1("space with unlicensed access", "GET", "/wiki/rest/api/space/:spaceKey", 200, (t) => {
    const s = firstSpace(t, (x) => x.permissions.some((p) => p.principal.type === "unlicensed"));
    return t.site(`/wiki/rest/api/space/${s.key}?expand=permissions`);
  }),
  v1("unknown space", "GET", "/wiki/rest/api/space/:spaceKey", 404, (t) => t.site("/wiki/rest/api/space/NOSUCHSPACE")),
  v1("add a permission", "POST", "/wiki/rest/api/space/:spaceKey/permission", 200, async (t) => {
    const s = firstSpace(t, (x) => x.type !== "personal");
    const group = t.sim.state.tenant.groups.find(
      (g) => !s.permissions.some((p) => p.principal.type === "group" && p.principal.id === g.groupId),
    )!;
    const res = await t.site(
      `/wiki/rest/api/space/${s.key}/permission`,
      post({ subject: { type: "group", identifier: group.groupId }, operation: { key: "read", target: "space" } }),
    );
    const added = s.permissions.filter((p) => p.principal.type === "group" && p.principal.id === group.groupId);
    t.sim.state.removeSpacePermissions(
      s.id,
      added.map((p) => p.id),
      "contract",
    );
    return res;
  }),
  v1("permission without read space", "POST", "/wiki/rest/api/space/:spaceKey/permission", 400, (t) => {
    const s = firstSpace(t, (x) => x.type !== "personal");
    const group = t.sim.state.tenant.groups.find(
      (g) => !s.permissions.some((p) => p.principal.type === "group" && p.principal.id === g.groupId),
    )!;
    return t.site(
      `/wiki/rest/api/space/${s.key}/permission`,
      post({ subject: { type: "group", identifier: group.groupId }, operation: { key: "create", target: "page" } }),
    );
  }),
  v1("permission in an unknown space", "POST", "/wiki/rest/api/space/:spaceKey/permission", 404, (t) =>
    t.site(
      "/wiki/rest/api/space/NOSUCHSPACE/permission",
      post({ subject: { type: "user", identifier: "anonymous" }, operation: { key: "read", target: "space" } }),
    ),
  ),
  v1("remove a permission", "DELETE", "/wiki/rest/api/space/:spaceKey/permission/:id", 204, (t) => {
    const s = firstSpace(t, (x) => x.type !== "personal");
    return t.site(`/wiki/rest/api/space/${s.key}/permission/${grantRead(t, s)}`, { method: "DELETE" });
  }),
  v1("remove an unknown permission", "DELETE", "/wiki/rest/api/space/:spaceKey/permission/:id", 404, (t) =>
    t.site(`/wiki/rest/api/space/${firstSpace(t).key}/permission/1`, { method: "DELETE" }),
  ),
  v1("remove the last admin permission", "DELETE", "/wiki/rest/api/space/:spaceKey/permission/:id", 400, (t) => {
    const s = firstSpace(
      t,
      (x) => x.type === "personal" && x.permissions.filter((p) => p.operation.key === "administer").length === 1,
    );
    const admin = s.permissions.find((p) => p.operation.key === "administer")!;
    return t.site(`/wiki/rest/api/space/${s.key}/permission/${admin.id}`, { method: "DELETE" });
  }),
];

/** Every Confluence route the simulator serves is in a published specification. */
export const unspecified: UnspecifiedRoute[] = [];
