/**
 * Contract cases of the simulated Admin API (`admin-organization-swagger.v3`, server path `/admin`, so the path keys
 * drop the `/admin` of the routes). The switched-off v1 lifecycle and search endpoints validate against the
 * 2026-07-22 document, the last one listing them; their cases switch the simulator to serve them and back.
 * The runner shares one simulator between all cases, so writes pick their targets when they run and are undone.
 */
import type { SimState } from "../../atlassian-sim/state.js";
import type { SimAccount, SimGroup } from "../../atlassian-sim/tenant/model.js";
import type { TestSim } from "../../atlassian-sim/testing.js";
import type { ContractCase, UnspecifiedRoute } from "../case.js";

const CURRENT = "admin-organization-swagger.v3" as const;
const LEGACY = "admin-organization-swagger.v3.2026-07-22" as const;

/** A case whose spec path is the route without `/admin`, `:name` written `{name}`. */
const c = (
  name: string,
  method: ContractCase["method"],
  route: string,
  expectStatus: number,
  send: ContractCase["send"],
  spec: ContractCase["spec"] = CURRENT,
): ContractCase => ({
  name,
  api: "admin",
  method,
  route,
  spec,
  specPath: route.replace(/^\/admin/, "").replace(/:(\w+)/g, "{$1}"),
  expectStatus,
  send,
});

const s = (t: TestSim) => t.sim.state;
const org = (t: TestSim) => s(t).tenant.org.id;
const dir = (t: TestSim) => s(t).directoryId;
const v1 = (t: TestSim) => `/admin/v1/orgs/${org(t)}`;
const v2 = (t: TestSim) => `/admin/v2/orgs/${org(t)}`;
const post = (body: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(body) });
const del: RequestInit = { method: "DELETE" };
const scopedKey = (t: TestSim) => ({ authorization: `Bearer ${s(t).tenant.credentials.scopedAdminApiKey}` });

/** An active, unsuspended, managed account with groups that is neither an org admin nor an API caller. */
const plainMember = (t: TestSim): SimAccount => {
  const st = s(t);
  const callers = [st.tenant.credentials.productUser.accountId, st.tenant.credentials.limitedProductUser.accountId];
  return st.tenant.accounts.find(
    (a) =>
      a.managed &&
      a.accountType === "atlassian" &&
      a.status === "active" &&
      !a.suspended &&
      !st.removedFromDirectory.has(a.accountId) &&
      !st.tenant.orgAdmins.includes(a.accountId) &&
      !callers.includes(a.accountId) &&
      st.groupIdsOf(a.accountId).length > 0,
  )!;
};
const adminGroup = (t: TestSim, name: string): SimGroup => s(t).tenant.groups.find((g) => g.name === name)!;
const syncedGroup = (t: TestSim): SimGroup => s(t).tenant.groups.find((g) => g.source === "scim")!;
/** An admin-managed team group the account is not in (adding to it needs no licence seat). */
const teamGroupWithout = (t: TestSim, a: SimAccount): SimGroup => {
  const st = s(t);
  const jira = new Set(st.tenant.jira.applicationRoles.flatMap((r) => r.groups));
  return st.tenant.groups.find(
    (g) => g.source === "admin" && !jira.has(g.groupId) && !st.groupIdsOf(a.accountId).includes(g.groupId),
  )!;
};

/** Runs a write, then puts the account back as it was (products, groups, org admin, billing, suspension). */
async function restoring(st: SimState, a: SimAccount, write: () => Promise<Response>): Promise<Response> {
  const snapshot = { ...a, products: a.products.map((p) => ({ ...p })) };
  const groups = st.groupIdsOf(a.accountId);
  const wasAdmin = st.tenant.orgAdmins.includes(a.accountId);
  const wasRemoved = st.removedFromDirectory.has(a.accountId);
  const res = await write();
  Object.assign(a, snapshot);
  for (const g of groups) if (st.groupsById.has(g)) st.addMember(g, a.accountId, "contract", { force: true });
  a.products = snapshot.products;
  if (wasAdmin && !st.tenant.orgAdmins.includes(a.accountId)) st.tenant.orgAdmins.push(a.accountId);
  if (!wasRemoved) st.removedFromDirectory.delete(a.accountId);
  return res;
}

/** Serves the switched-off v1 endpoints for one request. */
async function legacy(t: TestSim, send: () => Promise<Response>): Promise<Response> {
  const before = t.sim.adminV1Legacy;
  t.sim.adminV1Legacy = "served";
  try {
    return await send();
  } finally {
    t.sim.adminV1Legacy = before;
  }
}

const V2_DIR = "/admin/v2/orgs/:orgId/directories/:directoryId";

export const cases: ContractCase[] = [
  // ---------------------------------------------------------------- v1 organizations
  c("the key's organizations", "GET", "/admin/v1/orgs", 200, (t) => t.admin("/admin/v1/orgs")),
  c("a scoped key sees none", "GET", "/admin/v1/orgs", 200, (t) =>
    t.admin("/admin/v1/orgs", { headers: scopedKey(t) }),
  ),
  c("wrong key", "GET", "/admin/v1/orgs", 401, (t) =>
    t.admin("/admin/v1/orgs", { headers: { authorization: "Bearer x" } }),
  ),
  c("foreign cursor", "GET", "/admin/v1/orgs", 400, (t) => t.admin("/admin/v1/orgs?cursor=Zm9vOjE")),
  c("the organization", "GET", "/admin/v1/orgs/:orgId", 200, (t) => t.admin(v1(t))),
  c("scoped key: organization not found", "GET", "/admin/v1/orgs/:orgId", 404, (t) =>
    t.admin(v1(t), { headers: scopedKey(t) }),
  ),
  c("managed accounts, first page", "GET", "/admin/v1/orgs/:orgId/users", 200, (t) => t.admin(`${v1(t)}/users`)),
  c("managed accounts, invalid cursor", "GET", "/admin/v1/orgs/:orgId/users", 400, (t) =>
    t.admin(`${v1(t)}/users?cursor=bm9wZQ`),
  ),
  c("managed accounts of an unknown org", "GET", "/admin/v1/orgs/:orgId/users", 404, (t) =>
    t.admin("/admin/v1/orgs/no-such-org/users"),
  ),
  c("last-active dates", "GET", "/admin/v1/orgs/:orgId/directory/users/:accountId/last-active-dates", 200, (t) =>
    t.admin(`${v1(t)}/directory/users/${s(t).tenant.orgAdmins[0]}/last-active-dates`),
  ),
  c(
    "last-active dates of an unknown user",
    "GET",
    "/admin/v1/orgs/:orgId/directory/users/:accountId/last-active-dates",
    404,
    (t) => t.admin(`${v1(t)}/directory/users/nobody/last-active-dates`),
  ),
  c("verified domains", "GET", "/admin/v1/orgs/:orgId/domains", 200, (t) => t.admin(`${v1(t)}/domains`)),
  c("one domain", "GET", "/admin/v1/orgs/:orgId/domains/:domainId", 200, async (t) => {
    const list = (await (await t.admin(`${v1(t)}/domains`)).json()) as { data: Array<{ id: string }> };
    return t.admin(`${v1(t)}/domains/${list.data[0]!.id}`);
  }),
  c("unknown domain", "GET", "/admin/v1/orgs/:orgId/domains/:domainId", 404, (t) => t.admin(`${v1(t)}/domains/nope`)),
  c(
    "assign org admin, then revoke it",
    "POST",
    "/admin/v1/orgs/:orgId/users/:userId/role-assignments/assign",
    204,
    async (t) => {
      const a = plainMember(t);
      const res = await t.admin(
        `${v1(t)}/users/${a.accountId}/role-assignments/assign`,
        post({ role: "atlassian/org-admin" }),
      );
      s(t).revokeOrgAdmin(a.accountId, "contract");
      return res;
    },
  ),
  c("assign an unsupported role", "POST", "/admin/v1/orgs/:orgId/users/:userId/role-assignments/assign", 400, (t) =>
    t.admin(`${v1(t)}/users/${plainMember(t).accountId}/role-assignments/assign`, post({ role: "atlassian/admin" })),
  ),
  c(
    "revoke org admin (assigned first)",
    "POST",
    "/admin/v1/orgs/:orgId/users/:userId/role-assignments/revoke",
    204,
    async (t) => {
      const a = plainMember(t);
      s(t).assignOrgAdmin(a.accountId, "contract");
      return t.admin(`${v1(t)}/users/${a.accountId}/role-assignments/revoke`, post({ role: "atlassian/org-admin" }));
    },
  ),
  c("revoke from an unknown user", "POST", "/admin/v1/orgs/:orgId/users/:userId/role-assignments/revoke", 404, (t) =>
    t.admin(`${v1(t)}/users/nobody/role-assignments/revoke`, post({ role: "atlassian/org-admin" })),
  ),

  // ---------------------------------------------------------------- v1 audit log
  c("events, clamped limit", "GET", "/admin/v1/orgs/:orgId/events", 200, (t) => t.admin(`${v1(t)}/events?limit=900`)),
  c("events by product", "GET", "/admin/v1/orgs/:orgId/events", 200, (t) => t.admin(`${v1(t)}/events?product=jira`)),
  c("events with a bad time", "GET", "/admin/v1/orgs/:orgId/events", 400, (t) => t.admin(`${v1(t)}/events?from=soon`)),
  c("event stream, ascending", "GET", "/admin/v1/orgs/:orgId/events-stream", 200, (t) =>
    t.admin(`${v1(t)}/events-stream?limit=10`),
  ),
  c("event stream, descending", "GET", "/admin/v1/orgs/:orgId/events-stream", 200, (t) =>
    t.admin(`${v1(t)}/events-stream?sortOrder=desc&limit=10`),
  ),
  c("event stream, bad cursor", "GET", "/admin/v1/orgs/:orgId/events-stream", 400, (t) =>
    t.admin(`${v1(t)}/events-stream?cursor=bm9wZQ`),
  ),
  c("one event", "GET", "/admin/v1/orgs/:orgId/events/:eventId", 200, (t) =>
    t.admin(`${v1(t)}/events/${s(t).tenant.events[0]!.id}`),
  ),
  c("unknown event", "GET", "/admin/v1/orgs/:orgId/events/:eventId", 404, (t) => t.admin(`${v1(t)}/events/nope`)),
  c("event actions", "GET", "/admin/v1/orgs/:orgId/event-actions", 200, (t) => t.admin(`${v1(t)}/event-actions`)),
  c("event actions of an unknown org", "GET", "/admin/v1/orgs/:orgId/event-actions", 404, (t) =>
    t.admin("/admin/v1/orgs/nope/event-actions"),
  ),

  // ---------------------------------------------------------------- v2 directories and users
  c("directories", "GET", "/admin/v2/orgs/:orgId/directories", 200, (t) => t.admin(`${v2(t)}/directories?limit=500`)),
  c("directories with a bad cursor", "GET", "/admin/v2/orgs/:orgId/directories", 400, (t) =>
    t.admin(`${v2(t)}/directories?cursor=nope`),
  ),
  c("user search, every expand, clamped limit", "POST", `${V2_DIR}/users/search`, 200, (t) =>
    t.admin(
      `${v2(t)}/directories/-/users/search`,
      post({ limit: 500, expand: ["platformRoles", "counts.resources", "productAccess", "groups"] }),
    ),
  ),
  c("user search in the real directory, filtered", "POST", `${V2_DIR}/users/search`, 200, (t) =>
    t.admin(
      `${v2(t)}/directories/${dir(t)}/users/search`,
      post({ status: ["active", "suspended"], claimStatus: "managed" }),
    ),
  ),
  c("user search over a filter cap", "POST", `${V2_DIR}/users/search`, 400, (t) =>
    t.admin(`${v2(t)}/directories/-/users/search`, post({ accountIds: Array.from({ length: 11 }, (_, i) => `a${i}`) })),
  ),
  c("user search in an unknown directory", "POST", `${V2_DIR}/users/search`, 404, (t) =>
    t.admin(`${v2(t)}/directories/nope/users/search`, post({})),
  ),
  c("users (deprecated list)", "GET", `${V2_DIR}/users`, 200, (t) => t.admin(`${v2(t)}/directories/-/users?limit=5`)),
  c("users (deprecated list), bad enum", "GET", `${V2_DIR}/users`, 400, (t) =>
    t.admin(`${v2(t)}/directories/-/users?status=sleeping`),
  ),
  c("user count", "GET", `${V2_DIR}/users/count`, 200, (t) =>
    t.admin(`${v2(t)}/directories/-/users/count?claimStatus=managed`),
  ),
  c("user stats", "GET", `${V2_DIR}/users/stats`, 200, (t) => t.admin(`${v2(t)}/directories/-/users/stats`)),
  c("user details", "GET", `${V2_DIR}/users/:userId`, 200, (t) =>
    t.admin(`${v2(t)}/directories/-/users/${s(t).tenant.orgAdmins[0]}`),
  ),
  c("unknown user", "GET", `${V2_DIR}/users/:userId`, 404, (t) => t.admin(`${v2(t)}/directories/-/users/nobody`)),
  c("user role assignments", "GET", `${V2_DIR}/users/:accountId/role-assignments`, 200, (t) =>
    t.admin(`${v2(t)}/directories/-/users/${s(t).tenant.orgAdmins[0]}/role-assignments`),
  ),
  c("role assignments of an unknown user", "GET", `${V2_DIR}/users/:accountId/role-assignments`, 404, (t) =>
    t.admin(`${v2(t)}/directories/-/users/nobody/role-assignments`),
  ),
  c("suspend, then restore", "POST", `${V2_DIR}/users/:accountId/suspend`, 204, (t) => {
    const a = plainMember(t);
    return restoring(s(t), a, () =>
      t.admin(`${v2(t)}/directories/${dir(t)}/users/${a.accountId}/suspend`, { method: "POST" }),
    );
  }),
  c("suspend an unknown user", "POST", `${V2_DIR}/users/:accountId/suspend`, 404, (t) =>
    t.admin(`${v2(t)}/directories/${dir(t)}/users/nobody/suspend`, { method: "POST" }),
  ),
  c("restore (suspended first)", "POST", `${V2_DIR}/users/:accountId/restore`, 204, (t) => {
    const a = plainMember(t);
    return restoring(s(t), a, () => {
      s(t).suspend(a.accountId, "contract");
      return t.admin(`${v2(t)}/directories/${dir(t)}/users/${a.accountId}/restore`, { method: "POST" });
    });
  }),
  c("remove from the directory, then put back", "DELETE", `${V2_DIR}/users/:accountId`, 204, (t) => {
    const a = plainMember(t);
    return restoring(s(t), a, () => t.admin(`${v2(t)}/directories/${dir(t)}/users/${a.accountId}`, del));
  }),
  c("remove an unknown user", "DELETE", `${V2_DIR}/users/:accountId`, 404, (t) =>
    t.admin(`${v2(t)}/directories/${dir(t)}/users/nobody`, del),
  ),

  // ---------------------------------------------------------------- v2 groups
  c("group search with counts, clamped limit", "POST", `${V2_DIR}/groups/search`, 200, (t) =>
    t.admin(`${v2(t)}/directories/-/groups/search`, post({ limit: 500, expand: ["counts.users", "counts.resources"] })),
  ),
  c("groups of a member", "POST", `${V2_DIR}/groups/search`, 200, (t) =>
    t.admin(`${v2(t)}/directories/${dir(t)}/groups/search`, post({ accountIds: [plainMember(t).accountId] })),
  ),
  c("group search: ids and names together", "POST", `${V2_DIR}/groups/search`, 400, (t) =>
    t.admin(`${v2(t)}/directories/-/groups/search`, post({ groupIds: ["a"], groupNames: ["b"] })),
  ),
  c("groups (deprecated list)", "GET", `${V2_DIR}/groups`, 200, (t) =>
    t.admin(`${v2(t)}/directories/-/groups?limit=5&includeUsers=true`),
  ),
  c("groups (deprecated list), unknown directory", "GET", `${V2_DIR}/groups`, 404, (t) =>
    t.admin(`${v2(t)}/directories/nope/groups`),
  ),
  c("group count", "GET", `${V2_DIR}/groups/count`, 200, (t) => t.admin(`${v2(t)}/directories/-/groups/count`)),
  c("group stats", "GET", `${V2_DIR}/groups/stats`, 200, (t) => t.admin(`${v2(t)}/directories/-/groups/stats`)),
  c("group details", "GET", `${V2_DIR}/groups/:groupId`, 200, (t) =>
    t.admin(`${v2(t)}/directories/-/groups/${adminGroup(t, "jira-admins").groupId}`),
  ),
  c("unknown group", "GET", `${V2_DIR}/groups/:groupId`, 404, (t) => t.admin(`${v2(t)}/directories/-/groups/nope`)),
  c("group role assignments", "GET", `${V2_DIR}/groups/:groupId/role-assignments`, 200, (t) =>
    t.admin(`${v2(t)}/directories/-/groups/${adminGroup(t, "site-admins").groupId}/role-assignments`),
  ),
  c("create a group, then delete it", "POST", `${V2_DIR}/groups`, 201, async (t) => {
    const res = await t.admin(
      `${v2(t)}/directories/${dir(t)}/groups`,
      post({ name: "contract-created", description: "x" }),
    );
    const g = s(t).groupsByName.get("contract-created");
    if (g) s(t).deleteGroup(g.groupId, "contract");
    return res;
  }),
  c("create a duplicate group", "POST", `${V2_DIR}/groups`, 409, (t) =>
    t.admin(`${v2(t)}/directories/${dir(t)}/groups`, post({ name: "jira-admins" })),
  ),
  c("delete a group (created first)", "DELETE", `${V2_DIR}/groups/:groupId`, 204, (t) => {
    const g = s(t).createGroup("contract-deleted", "", "admin", "contract");
    return t.admin(`${v2(t)}/directories/${dir(t)}/groups/${g.groupId}`, del);
  }),
  c("delete a group that grants admin access", "DELETE", `${V2_DIR}/groups/:groupId`, 403, (t) =>
    t.admin(`${v2(t)}/directories/${dir(t)}/groups/${adminGroup(t, "jira-admins").groupId}`, del),
  ),
  c("add a member, then remove", "POST", `${V2_DIR}/groups/:groupId/memberships`, 204, async (t) => {
    const a = plainMember(t);
    const g = teamGroupWithout(t, a);
    const res = await t.admin(
      `${v2(t)}/directories/${dir(t)}/groups/${g.groupId}/memberships`,
      post({ accountId: a.accountId }),
    );
    s(t).removeMember(g.groupId, a.accountId, "contract");
    return res;
  }),
  c("add an existing member", "POST", `${V2_DIR}/groups/:groupId/memberships`, 409, (t) => {
    const a = plainMember(t);
    const g = s(t).groupsById.get(
      s(t)
        .groupIdsOf(a.accountId)
        .find((id) => s(t).groupsById.get(id)?.source === "admin")!,
    )!;
    return t.admin(`${v2(t)}/directories/${dir(t)}/groups/${g.groupId}/memberships`, post({ accountId: a.accountId }));
  }),
  c("add to an IdP-synced group", "POST", `${V2_DIR}/groups/:groupId/memberships`, 403, (t) =>
    t.admin(
      `${v2(t)}/directories/${dir(t)}/groups/${syncedGroup(t).groupId}/memberships`,
      post({ accountId: plainMember(t).accountId }),
    ),
  ),
  c("remove a member (added first)", "DELETE", `${V2_DIR}/groups/:groupId/memberships/:accountId`, 204, (t) => {
    const a = plainMember(t);
    const g = teamGroupWithout(t, a);
    s(t).addMember(g.groupId, a.accountId, "contract");
    return t.admin(`${v2(t)}/directories/${dir(t)}/groups/${g.groupId}/memberships/${a.accountId}`, del);
  }),
  c("remove a non-member", "DELETE", `${V2_DIR}/groups/:groupId/memberships/:accountId`, 404, (t) => {
    const a = plainMember(t);
    return t.admin(
      `${v2(t)}/directories/${dir(t)}/groups/${teamGroupWithout(t, a).groupId}/memberships/${a.accountId}`,
      del,
    );
  }),

  // ---------------------------------------------------------------- v2 workspaces
  c("workspaces", "POST", "/admin/v2/orgs/:orgId/workspaces", 200, (t) => t.admin(`${v2(t)}/workspaces`, post({}))),
  c("workspaces filtered by type", "POST", "/admin/v2/orgs/:orgId/workspaces", 200, (t) =>
    t.admin(
      `${v2(t)}/workspaces`,
      post({ limit: 1, query: { and: [{ field: { name: "attributes.type", values: ["jira"] } }] } }),
    ),
  ),
  c("workspaces: a cursor with other properties", "POST", "/admin/v2/orgs/:orgId/workspaces", 400, (t) =>
    t.admin(`${v2(t)}/workspaces`, post({ cursor: "abc", limit: 5 })),
  ),
  c("workspaces of an unknown org", "POST", "/admin/v2/orgs/:orgId/workspaces", 404, (t) =>
    t.admin("/admin/v2/orgs/nope/workspaces", post({})),
  ),

  // ---------------------------------------------------------------- v1 endpoints switched off after 2026-06-30
  c(
    "legacy user search",
    "POST",
    "/admin/v1/orgs/:orgId/users/search",
    200,
    (t) =>
      legacy(t, () =>
        t.admin(`${v1(t)}/users/search`, post({ limit: 20, expand: ["NAME", "EMAIL", "EMAIL_VERIFIED"] })),
      ),
    LEGACY,
  ),
  c(
    "legacy user search, bad body",
    "POST",
    "/admin/v1/orgs/:orgId/users/search",
    400,
    (t) => legacy(t, () => t.admin(`${v1(t)}/users/search`, post({ accountStatuses: ["SLEEPING"] }))),
    LEGACY,
  ),
  c(
    "legacy group search",
    "POST",
    "/admin/v1/orgs/:orgId/groups/search",
    200,
    (t) => legacy(t, () => t.admin(`${v1(t)}/groups/search`, post({ expand: ["ROLE_ASSIGNMENTS"] }))),
    LEGACY,
  ),
  c(
    "legacy suspend, then restore",
    "POST",
    "/admin/v1/orgs/:orgId/directory/users/:accountId/suspend-access",
    200,
    (t) => {
      const a = plainMember(t);
      return restoring(s(t), a, () =>
        legacy(t, () => t.admin(`${v1(t)}/directory/users/${a.accountId}/suspend-access`, { method: "POST" })),
      );
    },
    LEGACY,
  ),
  c(
    "legacy suspend an unknown user",
    "POST",
    "/admin/v1/orgs/:orgId/directory/users/:accountId/suspend-access",
    404,
    (t) => legacy(t, () => t.admin(`${v1(t)}/directory/users/nobody/suspend-access`, { method: "POST" })),
    LEGACY,
  ),
  c(
    "legacy restore (suspended first)",
    "POST",
    "/admin/v1/orgs/:orgId/directory/users/:accountId/restore-access",
    200,
    (t) => {
      const a = plainMember(t);
      return restoring(s(t), a, () => {
        s(t).suspend(a.accountId, "contract");
        return legacy(t, () => t.admin(`${v1(t)}/directory/users/${a.accountId}/restore-access`, { method: "POST" }));
      });
    },
    LEGACY,
  ),
  c(
    "legacy remove from the org, then put back",
    "DELETE",
    "/admin/v1/orgs/:orgId/directory/users/:accountId",
    204,
    (t) => {
      const a = plainMember(t);
      return restoring(s(t), a, () => legacy(t, () => t.admin(`${v1(t)}/directory/users/${a.accountId}`, del)));
    },
    LEGACY,
  ),
  c(
    "legacy create a group, then delete it",
    "POST",
    "/admin/v1/orgs/:orgId/directory/groups",
    200,
    async (t) => {
      const res = await legacy(t, () => t.admin(`${v1(t)}/directory/groups`, post({ name: "contract-legacy" })));
      const g = s(t).groupsByName.get("contract-legacy");
      if (g) s(t).deleteGroup(g.groupId, "contract");
      return res;
    },
    LEGACY,
  ),
  c(
    "legacy delete a group (created first)",
    "DELETE",
    "/admin/v1/orgs/:orgId/directory/groups/:groupId",
    200,
    (t) => {
      const g = s(t).createGroup("contract-legacy-deleted", "", "admin", "contract");
      return legacy(t, () => t.admin(`${v1(t)}/directory/groups/${g.groupId}`, del));
    },
    LEGACY,
  ),
  c(
    "legacy delete a non-empty group",
    "DELETE",
    "/admin/v1/orgs/:orgId/directory/groups/:groupId",
    409,
    (t) => {
      const team = teamGroupWithout(t, plainMember(t));
      const g = s(t).tenant.groups.find(
        (x) =>
          x.groupId !== team.groupId &&
          x.source === "admin" &&
          x.members.length > 0 &&
          !["site-admins", "jira-admins", "confluence-admins", "jira-software-users"].includes(x.name),
      )!;
      return legacy(t, () => t.admin(`${v1(t)}/directory/groups/${g.groupId}`, del));
    },
    LEGACY,
  ),
  c(
    "legacy add a member, then remove",
    "POST",
    "/admin/v1/orgs/:orgId/directory/groups/:groupId/memberships",
    200,
    async (t) => {
      const a = plainMember(t);
      const g = teamGroupWithout(t, a);
      const res = await legacy(t, () =>
        t.admin(`${v1(t)}/directory/groups/${g.groupId}/memberships`, post({ account_id: a.accountId })),
      );
      s(t).removeMember(g.groupId, a.accountId, "contract");
      return res;
    },
    LEGACY,
  ),
  c(
    "legacy add to an IdP-synced group",
    "POST",
    "/admin/v1/orgs/:orgId/directory/groups/:groupId/memberships",
    403,
    (t) =>
      legacy(t, () =>
        t.admin(
          `${v1(t)}/directory/groups/${syncedGroup(t).groupId}/memberships`,
          post({ account_id: plainMember(t).accountId }),
        ),
      ),
    LEGACY,
  ),
  c(
    "legacy remove a member (added first)",
    "DELETE",
    "/admin/v1/orgs/:orgId/directory/groups/:groupId/memberships/:accountId",
    200,
    (t) => {
      const a = plainMember(t);
      const g = teamGroupWithout(t, a);
      s(t).addMember(g.groupId, a.accountId, "contract");
      return legacy(t, () => t.admin(`${v1(t)}/directory/groups/${g.groupId}/memberships/${a.accountId}`, del));
    },
    LEGACY,
  ),
  c(
    "legacy remove from an unknown group",
    "DELETE",
    "/admin/v1/orgs/:orgId/directory/groups/:groupId/memberships/:accountId",
    404,
    (t) => legacy(t, () => t.admin(`${v1(t)}/directory/groups/nope/memberships/${plainMember(t).accountId}`, del)),
    LEGACY,
  ),
];

/** Every Admin route is in one of the two published documents. */
export const unspecified: UnspecifiedRoute[] = [];
