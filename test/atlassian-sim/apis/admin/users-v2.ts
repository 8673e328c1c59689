/**
 * Admin v2 directories and users: the directory list, user search (preferred) and the deprecated list, counts and
 * stats, one user's details and role assignments, and the lifecycle writes (suspend, restore, remove from the
 * directory). `directoryId` may be `-` for every directory. Pages carry opaque cursors in `links.next`, `limit` is
 * clamped to 100 (the spec's maximum), and every write goes through `SimState`, so Jira, Confluence and SCIM see it.
 */
import { type Context, Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { clampPageSize } from "../../http/pagination.js";
import type { SimState } from "../../state.js";
import type { SimAccount } from "../../tenant/model.js";
import {
  extendedProfileOf,
  inDirectory,
  listedInV2,
  membershipStatusOf,
  mfaEnabledOf,
  nicknameOf,
  pictureOf,
  statusOf,
} from "./accounts.js";
import {
  type AdminContext,
  adminError,
  type DirectoryScope,
  decodeQueryCursor,
  encodeQueryCursor,
  jsonBody,
  queryList,
  v2BadRequest,
  v2Directory,
  v2NotFound,
  v2Org,
} from "./common.js";
import { assignmentMatches, type ResourceAssignment, RoleIndex, resourceForProduct } from "./roles.js";
import { matchUsers, parseUserQuery, type UserExpand, userQueryFromSearchParams } from "./user-query.js";

/** v2 page caps: `limit` 1–100 (searches default to 50, lists to 20). */
export const V2_MAX_LIMIT = 100;

/** The audit-log actor of writes made with the org API key: the org admin who owns it. */
export function keyOwner(state: SimState): string {
  return state.tenant.orgAdmins[0] ?? "api-key";
}

/** A v2 page of `items[offset…]`: `links` hold cursors (`LinkPageCursor`) that carry the query and page size. */
export function v2Page<T>(
  items: readonly T[],
  tag: string,
  offset: number,
  limit: number,
  query: Record<string, unknown>,
) {
  const cursor = (o: number) => encodeQueryCursor(tag, o, { ...query, limit });
  const end = offset + limit;
  return {
    values: items.slice(offset, end),
    links: {
      self: cursor(offset),
      ...(end < items.length ? { next: cursor(end) } : {}),
      ...(offset > 0 ? { prev: cursor(Math.max(0, offset - limit)) } : {}),
    },
  };
}

/**
 * Resolves the paging of a v2 request: with a cursor, the query it carries replaces every other parameter (as the
 * spec says of `cursor`), except an explicit `limit`; without one, the request's own query applies.
 */
export function resolvePaging(
  tag: string,
  cursor: unknown,
  rawLimit: unknown,
  query: Record<string, unknown>,
  defaultLimit: number,
): { offset: number; limit: number; query: Record<string, unknown> } | null {
  if (typeof cursor === "string" && cursor !== "") {
    const decoded = decodeQueryCursor(tag, cursor);
    if (!decoded?.query || typeof decoded.query !== "object") return null;
    const carried = decoded.query as Record<string, unknown>;
    const limit = clampPageSize((rawLimit ?? carried.limit) as string | number | undefined, defaultLimit, V2_MAX_LIMIT);
    return { offset: decoded.offset, limit, query: carried };
  }
  return {
    offset: 0,
    limit: clampPageSize(rawLimit as string | number | undefined, defaultLimit, V2_MAX_LIMIT),
    query,
  };
}

type ExpandOf<Q extends { expand?: readonly string[] }> = NonNullable<Q["expand"]>[number];

/**
 * One page of a v2 directory listing, for both the search POST and the deprecated GET list: paging (with the cursor's
 * carried query), the query check, matching and rendering. Invalid cursors and queries answer 400.
 */
export function v2Listing<Q extends { expand?: readonly string[] }, T>(
  c: Context<SimEnv>,
  state: SimState,
  tag: string,
  request: { cursor: unknown; limit: unknown; query: Record<string, unknown>; defaultLimit: number },
  parse: (raw: Record<string, unknown>) => { ok: true; query: Q } | { ok: false; error: string },
  match: (query: Q, roles: RoleIndex) => readonly T[],
  render: (item: T, roles: RoleIndex, expand: ReadonlySet<ExpandOf<Q>>) => unknown,
): Response {
  const paging = resolvePaging(tag, request.cursor, request.limit, request.query, request.defaultLimit);
  if (!paging) return v2BadRequest(c, "cursor: invalid cursor");
  const parsed = parse(paging.query);
  if (!parsed.ok) return v2BadRequest(c, parsed.error);
  const roles = new RoleIndex(state);
  const page = v2Page(match(parsed.query, roles), tag, paging.offset, paging.limit, parsed.query);
  const expand = new Set<ExpandOf<Q>>((parsed.query.expand ?? []) as readonly ExpandOf<Q>[]);
  return c.json({ data: page.values.map((item) => render(item, roles, expand)), links: page.links });
}

/** The fields every v2 user shape shares (`MultiDirectoryUser`, `MultiDirectoryUserDetailsData`). */
function userCore(state: SimState, a: SimAccount) {
  const profile = extendedProfileOf(state, a);
  const picture = pictureOf(a);
  const mfa = mfaEnabledOf(a);
  return {
    accountId: a.accountId,
    accountType: "atlassian" as const,
    accountStatus: a.status,
    status: statusOf(state, a),
    membershipStatus: membershipStatusOf(state, a),
    claimStatus: a.managed ? ("managed" as const) : ("unmanaged" as const),
    name: a.displayName,
    nickname: nicknameOf(state, a),
    email: a.email,
    emailVerified: true,
    picture,
    avatar: picture,
    addedToOrg: a.addedToOrg,
    ...(profile.jobTitle ? { jobTitle: profile.jobTitle } : {}),
    ...(profile.department ? { department: profile.department } : {}),
    ...(profile.organization ? { organization: profile.organization } : {}),
    ...(profile.location ? { location: profile.location } : {}),
    ...(profile.zoneinfo ? { timeZone: profile.zoneinfo } : {}),
    // "these new fields will be returned for managed accounts" (Admin changelog): how it joined, and 2SV.
    ...(a.managed ? { managementSource: state.scimUserByAccount.has(a.accountId) ? "synced" : "invited" } : {}),
    ...(mfa !== undefined ? { mfaEnabled: mfa } : {}),
  };
}

/** `MultiDirectoryUser`, with the fields `expand` asks for. */
export function directoryUser(state: SimState, a: SimAccount, expand: ReadonlySet<UserExpand>, roles: RoleIndex) {
  const out: Record<string, unknown> = userCore(state, a);
  if (expand.has("platformRoles")) out.platformRoles = roles.platformRoles(a);
  if (expand.has("counts.resources")) out.counts = { resources: roles.userAssignments(a).length };
  if (expand.has("productAccess")) {
    out.productAccess = a.products.flatMap((p) => {
      const resource = resourceForProduct(state, p.key);
      if (!resource) return [];
      return [{ id: resource.id, key: resource.owner, ...(p.lastActive ? { lastActiveTimestamp: p.lastActive } : {}) }];
    });
  }
  if (expand.has("groups")) {
    // `MultiDirectoryUserGroup.id` is the group's identity ARI (spec example `ari:cloud:identity::group/<id>`).
    out.groups = state.groupIdsOf(a.accountId).flatMap((id) => {
      const g = state.groupsById.get(id);
      return g
        ? [{ id: `ari:cloud:identity::group/${g.groupId}`, name: g.name, description: g.description || null }]
        : [];
    });
  }
  return out;
}

/** `MultiDirectoryUserRoleAssignment`. */
function userRoleAssignment(state: SimState, a: SimAccount, r: ResourceAssignment) {
  return {
    directoryId: r.directoryId,
    resourceId: r.resourceId,
    resourceOwner: r.resourceOwner,
    roleAssignments: [...r.roles].map(([role, methods]) => ({ role, roleAssignmentMethods: [...methods] })),
    roles: [...r.roles.keys()],
    // Null for platform roles, which belong to no directory; the enum has no null, so the field is left out.
    ...(r.directoryId ? { userDirectoryStatus: membershipStatusOf(state, a) } : {}),
  };
}

/**
 * The account addressed by a lifecycle write, when it is a member of the directory. Writes name one directory:
 * the specification offers `-` ("increase the operation scope to all directories") on reads only.
 */
function directoryMember(c: AdminContext, state: SimState, dir: DirectoryScope): SimAccount | Response {
  if (dir.all) return v2NotFound(c, "directory", dir.id);
  const accountId = c.req.param("accountId") ?? "";
  const a = state.accountsById.get(accountId);
  return a && inDirectory(state, a) ? a : v2NotFound(c, "user", accountId);
}

/** Routes of the v2 directory and user endpoints. */
export function usersV2Routes(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  const base = "/admin/v2/orgs/:orgId/directories/:directoryId";

  app.get(
    "/admin/v2/orgs/:orgId/directories",
    v2Org((c, state) => {
      const raw: Record<string, unknown> = {};
      const accountId = c.req.query("accountId");
      const directoryIds = queryList(c, "directoryIds");
      const searchTerm = c.req.query("searchTerm");
      if (accountId) raw.accountId = accountId;
      if (directoryIds) raw.directoryIds = directoryIds;
      if (searchTerm) raw.searchTerm = searchTerm;
      if (directoryIds && directoryIds.length > 10) return v2BadRequest(c, "directoryIds: at most 10 items");
      const paging = resolvePaging("directories", c.req.query("cursor"), c.req.query("limit"), raw, 20);
      if (!paging) return v2BadRequest(c, "cursor: invalid cursor");
      const q = paging.query as { accountId?: string; directoryIds?: string[]; searchTerm?: string };
      const member = q.accountId ? state.accountsById.get(q.accountId) : undefined;
      const dirs = state.tenant.directories.filter((d) => {
        if (q.directoryIds && !q.directoryIds.includes(d.directoryId)) return false;
        if (q.searchTerm && !d.name.toLowerCase().includes(q.searchTerm.toLowerCase())) return false;
        // Every account of the org lives in the SCIM-linked directory.
        if (q.accountId && !(member && d.directoryId === state.directoryId && inDirectory(state, member))) return false;
        return true;
      });
      const page = v2Page(dirs, "directories", paging.offset, paging.limit, q);
      return c.json({
        data: page.values.map((d) => ({ directoryId: d.directoryId, name: d.name })),
        links: page.links,
      });
    }),
  );

  app.post(
    `${base}/users/search`,
    v2Directory(async (c, state, dir) => {
      const body = await jsonBody(c);
      if (!body) return v2BadRequest(c, "The request body is not valid JSON.");
      return v2Listing(
        c,
        state,
        "users-search",
        { cursor: body.cursor, limit: body.limit, query: body, defaultLimit: 50 },
        parseUserQuery,
        (q, roles) => matchUsers(state, dir, q, roles),
        (a, roles, expand) => directoryUser(state, a, expand, roles),
      );
    }),
  );

  // Deprecated ("will no longer work after June 30, 2027"), still served.
  app.get(
    `${base}/users`,
    v2Directory((c, state, dir) => {
      const raw = userQueryFromSearchParams(c);
      if (typeof raw === "string") return v2BadRequest(c, raw);
      return v2Listing(
        c,
        state,
        "users-list",
        { cursor: c.req.query("cursor"), limit: c.req.query("limit"), query: raw, defaultLimit: 20 },
        parseUserQuery,
        (q, roles) => matchUsers(state, dir, q, roles),
        // The deprecated list takes no expand.
        (a, roles) => directoryUser(state, a, new Set(), roles),
      );
    }),
  );

  app.get(
    `${base}/users/count`,
    v2Directory((c, state, dir) => {
      const raw = userQueryFromSearchParams(c);
      if (typeof raw === "string") return v2BadRequest(c, raw);
      const parsed = parseUserQuery(raw);
      if (!parsed.ok) return v2BadRequest(c, parsed.error);
      return c.json({ count: matchUsers(state, dir, parsed.query, new RoleIndex(state)).length });
    }),
  );

  app.get(
    `${base}/users/stats`,
    v2Directory((c, state, dir) => {
      const roles = new RoleIndex(state);
      const users = matchUsers(state, dir, {}, roles);
      const byStatus = new Map<string, number>();
      const byRole = new Map<string, number>();
      for (const a of users) {
        byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
        const held = new Set(roles.userAssignments(a).flatMap((r) => [...r.roles.keys()]));
        for (const role of held) byRole.set(role, (byRole.get(role) ?? 0) + 1);
      }
      return c.json({
        accountStatus: [...byStatus].map(([status, count]) => ({ status, count })),
        roles: [...byRole].sort(([x], [y]) => x.localeCompare(y)).map(([roleId, count]) => ({ roleId, count })),
      });
    }),
  );

  // The document declares this operation's path parameter as `accountId` although the template says `{userId}`
  // (a known defect, PROVENANCE.md); the route follows the template.
  app.get(
    `${base}/users/:userId`,
    v2Directory((c, state, dir) => {
      const userId = c.req.param("userId") ?? "";
      const a = state.accountsById.get(userId);
      const visible = a && (dir.all ? listedInV2(state, a) : dir.id === dir.home && inDirectory(state, a));
      if (!a || !visible) return v2NotFound(c, "user", userId);
      const roles = new RoleIndex(state);
      return c.json({
        data: {
          ...userCore(state, a),
          platformRoles: roles.platformRoles(a),
          counts: { resources: roles.userAssignments(a).length },
        },
      });
    }),
  );

  app.get(
    `${base}/users/:accountId/role-assignments`,
    v2Directory((c, state) => {
      const accountId = c.req.param("accountId") ?? "";
      const a = state.accountsById.get(accountId);
      if (!a || !listedInV2(state, a)) return v2NotFound(c, "user", accountId);
      const raw: Record<string, unknown> = {};
      for (const name of ["directoryIds", "resourceOwners", "resourceIds", "roleIds"]) {
        const list = queryList(c, name);
        if (list) raw[name] = list;
      }
      const caps: Record<string, number> = { directoryIds: 10, resourceOwners: 10, resourceIds: 20, roleIds: 10 };
      for (const [name, cap] of Object.entries(caps)) {
        if (((raw[name] as string[] | undefined)?.length ?? 0) > cap)
          return v2BadRequest(c, `${name}: at most ${cap} items`);
      }
      const paging = resolvePaging(
        `role-assignments:${accountId}`,
        c.req.query("cursor"),
        c.req.query("limit"),
        raw,
        20,
      );
      if (!paging) return v2BadRequest(c, "cursor: invalid cursor");
      const f = paging.query as {
        directoryIds?: string[];
        resourceOwners?: string[];
        resourceIds?: string[];
        roleIds?: string[];
      };
      const assignments = new RoleIndex(state)
        .userAssignments(a)
        .filter((r) => assignmentMatches(r, f))
        .filter((r) => !f.directoryIds || (r.directoryId !== null && f.directoryIds.includes(r.directoryId)));
      const page = v2Page(assignments, `role-assignments:${accountId}`, paging.offset, paging.limit, f);
      return c.json({ data: page.values.map((r) => userRoleAssignment(state, a, r)), links: page.links });
    }),
  );

  // "You’re not billed for a user when their access is suspended. They regain their roles and group memberships
  // when you restore their access."
  app.post(
    `${base}/users/:accountId/suspend`,
    v2Directory((c, state, dir) => {
      const a = directoryMember(c, state, dir);
      if (a instanceof Response) return a;
      if (!a.suspended) state.suspend(a.accountId, keyOwner(state));
      return c.body(null, 204);
    }),
  );

  app.post(
    `${base}/users/:accountId/restore`,
    v2Directory((c, state, dir) => {
      const a = directoryMember(c, state, dir);
      if (a instanceof Response) return a;
      if (a.suspended) state.restore(a.accountId, keyOwner(state));
      return c.body(null, 204);
    }),
  );

  // "You must invite the user to your organization again… You’ll need to assign their roles and group memberships again."
  app.delete(
    `${base}/users/:accountId`,
    v2Directory((c, state, dir) => {
      const a = directoryMember(c, state, dir);
      if (a instanceof Response) return a;
      if (state.tenant.orgAdmins.length === 1 && state.tenant.orgAdmins[0] === a.accountId) {
        return adminError(
          c,
          403,
          "ADMIN-UAM-403-1",
          "Forbidden",
          "The organization's last org admin can't be removed.",
        );
      }
      state.removeFromOrg(a.accountId, keyOwner(state));
      return c.body(null, 204);
    }),
  );

  return app;
}
