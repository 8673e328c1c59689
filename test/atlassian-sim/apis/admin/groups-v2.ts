/**
 * Admin v2 groups: search (preferred) and the deprecated list, counts and stats, one group's details and role
 * assignments, create and delete, and membership changes. Groups synced from the identity provider (`source: scim`)
 * refuse membership changes and deletion ("You can’t add a user to a group synced from an identity provider");
 * groups that grant admin access or are a product's default group cannot be deleted (`ADMIN-403-6`, `-403-7`).
 * There is no members endpoint in v2: members are listed with `POST …/users/search {"groupIds":[id]}`.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { SimEnv } from "../../http/env.js";
import { SimConflict, type SimState } from "../../state.js";
import type { SimGroup } from "../../tenant/model.js";
import { inDirectory } from "./accounts.js";
import {
  type AdminContext,
  adminError,
  type DirectoryScope,
  jsonBody,
  queryBool,
  queryList,
  v2BadRequest,
  v2Directory,
  v2NotFound,
} from "./common.js";
import { assignmentMatches, type ResourceAssignment, RoleIndex } from "./roles.js";
import { parseSortQuery } from "./user-query.js";
import { keyOwner, resolvePaging, v2Listing, v2Page } from "./users-v2.js";

const GROUP_EXPANDS = ["counts.resources", "counts.users"] as const;
type GroupExpand = (typeof GROUP_EXPANDS)[number];

/** `MultiDirectoryGroupSearchRequest` minus paging, with its caps and exclusivity rules. */
const groupQuerySchema = z
  .object({
    accountIds: z.array(z.string()).max(10).optional(),
    directoryIds: z.array(z.string()).max(10).optional(),
    expand: z.array(z.enum(GROUP_EXPANDS)).max(2).optional(),
    groupIds: z.array(z.string()).max(10).optional(),
    groupNames: z.array(z.string()).max(100).optional(),
    resourceIds: z.array(z.string()).max(20).optional(),
    resourceOwners: z.array(z.string()).max(10).optional(),
    roleIds: z.array(z.string()).max(10).optional(),
    searchTerm: z.string().optional(),
    sortBy: z
      .array(z.object({ field: z.literal("name"), direction: z.enum(["asc", "desc"]) }))
      .max(1)
      .optional(),
  })
  .refine((q) => !(q.groupIds !== undefined && q.groupNames !== undefined), {
    message: "groupIds and groupNames are mutually exclusive",
    path: ["groupNames"],
  })
  .refine((q) => !(q.searchTerm !== undefined && q.groupNames !== undefined), {
    message: "searchTerm and groupNames are mutually exclusive",
    path: ["groupNames"],
  });

type GroupQuery = z.infer<typeof groupQuerySchema>;

function parseGroupQuery(raw: Record<string, unknown>): { ok: true; query: GroupQuery } | { ok: false; error: string } {
  const { cursor: _cursor, limit: _limit, ...rest } = raw;
  const clean = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null && v !== undefined));
  const result = groupQuerySchema.safeParse(clean);
  if (result.success) return { ok: true, query: result.data };
  const issue = result.error.issues[0];
  return { ok: false, error: `${issue?.path.join(".") || "(body)"}: ${issue?.message ?? "invalid"}` };
}

/** The group filters of a query string (deprecated `GET …/groups`, `GET …/groups/count`). */
function groupQueryFromSearchParams(c: AdminContext): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const name of ["directoryIds", "accountIds", "groupIds", "resourceOwners", "resourceIds", "roleIds"]) {
    const list = queryList(c, name);
    if (list) raw[name] = list;
  }
  const searchTerm = c.req.query("searchTerm");
  if (searchTerm !== undefined) raw.searchTerm = searchTerm;
  const sortBy = parseSortQuery(c.req.query("sortBy"), "name");
  if (sortBy !== undefined) raw.sortBy = sortBy;
  // `counts` is an object parameter; form/explode serializes its properties as parameters of their own.
  const expand: GroupExpand[] = [];
  if (queryBool(c, "includeUsers") ?? queryBool(c, "counts.includeUsers")) expand.push("counts.users");
  if (queryBool(c, "includeResources") ?? queryBool(c, "counts.includeResources")) expand.push("counts.resources");
  if (expand.length > 0) raw.expand = expand;
  return raw;
}

/** Why a group may not be deleted: synced from the IdP, a default group, or one that grants admin access. */
export function deleteRefusal(g: SimGroup, assignments: ResourceAssignment[]): { code: string; detail: string } | null {
  if (g.source === "scim") {
    return { code: "ADMIN-403-5", detail: "This group is synced from an identity provider. Delete it there." };
  }
  if (assignments.some((a) => a.defaultRole !== null)) {
    return { code: "ADMIN-403-6", detail: "This group is a default group of a product and can't be deleted." };
  }
  const grantsAdmin = assignments.some(
    (a) => a.roles.has("atlassian/admin") || a.roles.has("atlassian/site-admin") || a.roles.has("atlassian/org-admin"),
  );
  if (grantsAdmin)
    return { code: "ADMIN-403-7", detail: "This group grants admin access to a product and can't be deleted." };
  return null;
}

/** `MultiDirectoryGroup`, with the counts `expand` asks for. */
function directoryGroup(state: SimState, g: SimGroup, roles: RoleIndex, expand: ReadonlySet<GroupExpand>) {
  const assignments = roles.groupAssignments(g.groupId);
  const counts: Record<string, number> = {};
  if (expand.has("counts.users")) counts.users = g.members.length;
  if (expand.has("counts.resources")) counts.resources = assignments.length;
  return {
    id: g.groupId,
    name: g.name,
    description: g.description,
    directoryId: state.directoryId,
    externalSynced: g.source === "scim",
    managedBy: g.source === "scim" ? "external" : "admins",
    managementAccess: {
      readable: true,
      modifiable: g.source !== "scim",
      deletable: deleteRefusal(g, assignments) === null,
    },
    ...(Object.keys(counts).length > 0 ? { counts } : {}),
  };
}

/** The groups matching a query, in the tenant's stable order (or by name when `sortBy` asks). */
function matchGroups(state: SimState, dir: DirectoryScope, q: GroupQuery, roles: RoleIndex): SimGroup[] {
  if (!dir.all && dir.id !== dir.home) return [];
  if (q.directoryIds && !q.directoryIds.includes(dir.home)) return [];
  const ids = q.groupIds ? new Set(q.groupIds) : undefined;
  const names = q.groupNames ? new Set(q.groupNames.map((n) => n.toLowerCase())) : undefined;
  const term = q.searchTerm?.toLowerCase();
  let ofMembers: Set<string> | undefined;
  if (q.accountIds) {
    ofMembers = new Set();
    for (const id of q.accountIds) for (const g of state.groupsOfAccount.get(id) ?? []) ofMembers.add(g);
  }
  const roleFilter =
    q.roleIds || q.resourceIds || q.resourceOwners
      ? { roleIds: q.roleIds, resourceIds: q.resourceIds, resourceOwners: q.resourceOwners }
      : undefined;
  const out = state.tenant.groups.filter((g) => {
    if (ids && !ids.has(g.groupId)) return false;
    if (names && !names.has(g.name.toLowerCase())) return false;
    if (term && !g.name.toLowerCase().includes(term)) return false;
    if (ofMembers && !ofMembers.has(g.groupId)) return false;
    if (roleFilter && !roles.groupAssignments(g.groupId).some((a) => assignmentMatches(a, roleFilter))) return false;
    return true;
  });
  const sort = q.sortBy?.[0];
  if (sort) {
    const sign = sort.direction === "desc" ? -1 : 1;
    out.sort((x, y) => sign * x.name.toLowerCase().localeCompare(y.name.toLowerCase()));
  }
  return out;
}

/** Whether adding the account to the group needs a Jira seat the licence no longer has. */
export function seatLimitExceeded(state: SimState, g: SimGroup, accountId: string): boolean {
  const role = state.tenant.jira.applicationRoles.find((r) => r.key === "jira-software");
  if (!role || role.hasUnlimitedSeats || !role.groups.includes(g.groupId)) return false;
  const account = state.accountsById.get(accountId);
  if (!account || account.products.some((p) => p.key === "jira-software")) return false;
  const used = state.tenant.accounts.filter((a) => state.hasProduct(a, "jira-software")).length;
  return used >= role.numberOfSeats;
}

/** Routes of the v2 group endpoints. */
export function groupsV2Routes(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  const base = "/admin/v2/orgs/:orgId/directories/:directoryId";
  /** Writes name one directory; `-` widens only reads ("The `-` character can be used to increase the operation scope"). */
  const writable = (dir: DirectoryScope) => !dir.all;

  app.post(
    `${base}/groups/search`,
    v2Directory(async (c, state, dir) => {
      const body = await jsonBody(c);
      if (!body) return v2BadRequest(c, "The request body is not valid JSON.");
      return v2Listing(
        c,
        state,
        "groups-search",
        { cursor: body.cursor, limit: body.limit, query: body, defaultLimit: 20 },
        parseGroupQuery,
        (q, roles) => matchGroups(state, dir, q, roles),
        (g, roles, expand) => directoryGroup(state, g, roles, expand),
      );
    }),
  );

  // Deprecated ("will no longer work after June 30, 2027"), still served.
  app.get(
    `${base}/groups`,
    v2Directory((c, state, dir) => {
      return v2Listing(
        c,
        state,
        "groups-list",
        {
          cursor: c.req.query("cursor"),
          limit: c.req.query("limit"),
          query: groupQueryFromSearchParams(c),
          defaultLimit: 20,
        },
        parseGroupQuery,
        (q, roles) => matchGroups(state, dir, q, roles),
        (g, roles, expand) => directoryGroup(state, g, roles, expand),
      );
    }),
  );

  app.get(
    `${base}/groups/count`,
    v2Directory((c, state, dir) => {
      const parsed = parseGroupQuery(groupQueryFromSearchParams(c));
      if (!parsed.ok) return v2BadRequest(c, parsed.error);
      return c.json({ count: matchGroups(state, dir, parsed.query, new RoleIndex(state)).length });
    }),
  );

  app.get(
    `${base}/groups/stats`,
    v2Directory((c, state, dir) => {
      const groups = matchGroups(state, dir, {}, new RoleIndex(state));
      const synced = groups.filter((g) => g.source === "scim").length;
      return c.json({
        totals: { all: groups.length, managed: groups.length - synced, synced },
        types: [{ type: "GROUP", count: groups.length }],
      });
    }),
  );

  app.get(
    `${base}/groups/:groupId`,
    v2Directory((c, state, dir) => {
      const groupId = c.req.param("groupId") ?? "";
      const g = state.groupsById.get(groupId);
      if (!g || (!dir.all && dir.id !== dir.home)) return v2NotFound(c, "group", groupId);
      const all = new Set<GroupExpand>(GROUP_EXPANDS);
      return c.json({ data: directoryGroup(state, g, new RoleIndex(state), all) });
    }),
  );

  app.get(
    `${base}/groups/:groupId/role-assignments`,
    v2Directory((c, state) => {
      const groupId = c.req.param("groupId") ?? "";
      if (!state.groupsById.has(groupId)) return v2NotFound(c, "group", groupId);
      const raw: Record<string, unknown> = {};
      const caps: Record<string, number> = { directoryIds: 10, resourceOwners: 10, resourceIds: 20, roleIds: 10 };
      for (const [name, cap] of Object.entries(caps)) {
        const list = queryList(c, name);
        if (list && list.length > cap) return v2BadRequest(c, `${name}: at most ${cap} items`);
        if (list) raw[name] = list;
      }
      const tag = `group-role-assignments:${groupId}`;
      const paging = resolvePaging(tag, c.req.query("cursor"), c.req.query("limit"), raw, 20);
      if (!paging) return v2BadRequest(c, "cursor: invalid cursor");
      const f = paging.query as {
        directoryIds?: string[];
        resourceOwners?: string[];
        resourceIds?: string[];
        roleIds?: string[];
      };
      const assignments = new RoleIndex(state)
        .groupAssignments(groupId)
        .filter((r) => assignmentMatches(r, f))
        .filter((r) => !f.directoryIds || (r.directoryId !== null && f.directoryIds.includes(r.directoryId)));
      const page = v2Page(assignments, tag, paging.offset, paging.limit, f);
      return c.json({
        data: page.values.map((r) => ({
          resourceId: r.resourceId,
          resourceOwner: r.resourceOwner,
          roles: [...r.roles.keys()],
          defaultRole: r.defaultRole,
        })),
        links: page.links,
      });
    }),
  );

  // 201 documents no body; the created group is returned so a client learns its id without searching by name.
  app.post(
    `${base}/groups`,
    v2Directory(async (c, state, dir) => {
      if (!writable(dir)) return v2NotFound(c, "directory", dir.id);
      const body = await jsonBody(c);
      const name = typeof body?.name === "string" ? body.name.trim() : "";
      if (!body || name === "") return v2BadRequest(c, "name: a group name is required");
      if (body.description !== undefined && body.description !== null && typeof body.description !== "string") {
        return v2BadRequest(c, "description: must be a string");
      }
      try {
        const g = state.createGroup(
          name,
          typeof body.description === "string" ? body.description : "",
          "admin",
          keyOwner(state),
        );
        return c.json(directoryGroup(state, g, new RoleIndex(state), new Set()), 201);
      } catch (e) {
        if (e instanceof SimConflict && e.kind === "exists") {
          return adminError(c, 409, "ADMIN-UAM-409-2", "Resource Conflicts", "A group with this name already exists.");
        }
        throw e;
      }
    }),
  );

  app.delete(
    `${base}/groups/:groupId`,
    v2Directory((c, state, dir) => {
      const groupId = c.req.param("groupId") ?? "";
      const g = state.groupsById.get(groupId);
      if (!writable(dir) || !g) return v2NotFound(c, g ? "directory" : "group", g ? dir.id : groupId);
      const refusal = deleteRefusal(g, new RoleIndex(state).groupAssignments(groupId));
      if (refusal) return adminError(c, 403, refusal.code, "Forbidden", refusal.detail);
      state.deleteGroup(groupId, keyOwner(state));
      return c.body(null, 204);
    }),
  );

  app.post(
    `${base}/groups/:groupId/memberships`,
    v2Directory(async (c, state, dir) => {
      const groupId = c.req.param("groupId") ?? "";
      const g = state.groupsById.get(groupId);
      if (!writable(dir) || !g) return v2NotFound(c, g ? "directory" : "group", g ? dir.id : groupId);
      const body = await jsonBody(c);
      const accountId = typeof body?.accountId === "string" ? body.accountId : "";
      if (accountId === "") return v2BadRequest(c, "accountId: required");
      const account = state.accountsById.get(accountId);
      if (!account || !inDirectory(state, account)) return v2NotFound(c, "user", accountId);
      if (g.source === "scim") {
        return adminError(
          c,
          403,
          "ADMIN-UAM-403-1",
          "Forbidden",
          "You can’t add a user to a group synced from an identity provider.",
        );
      }
      if (state.groupsOfAccount.get(accountId)?.has(groupId)) {
        return adminError(c, 409, "ADMIN-UAM-409-2", "Resource Conflicts", "The user is already in the group.");
      }
      if (seatLimitExceeded(state, g, accountId)) {
        return adminError(
          c,
          409,
          "ADMIN-UAM-409-3",
          "Product License Limit Exceeded",
          "You’ve exceeded your user limit for Jira.",
        );
      }
      state.addMember(groupId, accountId, keyOwner(state));
      return c.body(null, 204);
    }),
  );

  app.delete(
    `${base}/groups/:groupId/memberships/:accountId`,
    v2Directory((c, state, dir) => {
      const groupId = c.req.param("groupId") ?? "";
      const accountId = c.req.param("accountId") ?? "";
      const g = state.groupsById.get(groupId);
      if (!writable(dir) || !g) return v2NotFound(c, g ? "directory" : "group", g ? dir.id : groupId);
      if (!state.accountsById.has(accountId) || !state.groupsOfAccount.get(accountId)?.has(groupId)) {
        return v2NotFound(c, "user", accountId);
      }
      if (g.source === "scim") {
        return adminError(
          c,
          403,
          "ADMIN-UAM-403-1",
          "Forbidden",
          "You can’t remove a user from a group synced from an identity provider.",
        );
      }
      state.removeMember(groupId, accountId, keyOwner(state));
      return c.body(null, 204);
    }),
  );

  return app;
}
