/**
 * Confluence v1 groups: `GET /group`, `GET /group/{groupId}/membersByGroupId`, and the site-admin membership writes
 * `POST` / `DELETE /group/userByGroupId`. Groups are the organization's groups, so a change made here shows in Admin,
 * SCIM and Jira, and the other way round.
 */
import type { Context, Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { confluenceV1Error } from "../../http/errors.js";
import { clampPageSize, parseOffset } from "../../http/pagination.js";
import { SimConflict } from "../../state.js";
import type { SimGroup } from "../../tenant/model.js";
import { viewOf } from "./access.js";
import { v1Group, v1User } from "./render.js";
import { v1Page } from "./v1-paging.js";

const V1 = "/wiki/rest/api";
/** Groups and members: `limit` default 200, "restricted by fixed system limits" of 200 (reference §2.5). */
const V1_GROUP_LIMIT = 200;
const ACCESS_TYPES = ["user", "admin", "site-admin"];

/** Group names in Confluence's order: alphabetical, ascending ("ordered alphabetically … by group name"). */
function byName(a: SimGroup, b: SimGroup): number {
  const x = a.name.toLowerCase();
  const y = b.name.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Maps a state conflict of a membership write to Confluence's v1 error. */
function conflictResponse(c: Context<SimEnv>, err: unknown, notFoundStatus: 400 | 404) {
  if (!(err instanceof SimConflict)) throw err;
  if (err.kind === "not-found") return confluenceV1Error(c, notFoundStatus, err.message);
  return confluenceV1Error(c, 400, err.message);
}

/** Registers the v1 group routes. */
export function registerV1Groups(app: Hono<SimEnv>): void {
  app.get(`${V1}/group`, (c) => {
    const view = viewOf(c);
    const { tenant } = view.state;
    const accessType = c.req.query("accessType");
    if (accessType !== undefined && !ACCESS_TYPES.includes(accessType)) {
      return confluenceV1Error(c, 400, `Invalid accessType: ${accessType}`);
    }
    // `user`: groups granted "Can use" Confluence; `admin` / `site-admin`: the tenant's configured admin groups.
    const ids =
      accessType === "user"
        ? new Set(view.state.confluenceAccessGroupIds())
        : accessType === "admin"
          ? new Set(tenant.confluence.adminGroups)
          : accessType === "site-admin"
            ? new Set(tenant.confluence.siteAdminGroups)
            : null;
    const groups = tenant.groups.filter((g) => ids === null || ids.has(g.groupId)).sort(byName);
    const start = parseOffset(c.req.query("start"));
    const limit = clampPageSize(c.req.query("limit"), V1_GROUP_LIMIT, V1_GROUP_LIMIT);
    return c.json(v1Page(c, groups, start, limit, (g) => v1Group(c, g)));
  });

  app.get(`${V1}/group/:groupId/membersByGroupId`, (c) => {
    const view = viewOf(c);
    if (!view.caller.browseUsers) return confluenceV1Error(c, 403, "User does not have permission to view users");
    const group = view.state.groupsById.get(c.req.param("groupId"));
    if (!group) return confluenceV1Error(c, 404, `No group found with id: ${c.req.param("groupId")}`);
    // This operation documents a 400 for a limit above 200 instead of clamping it.
    const limit = clampPageSize(c.req.query("limit"), V1_GROUP_LIMIT, Number.MAX_SAFE_INTEGER);
    if (limit > V1_GROUP_LIMIT) return confluenceV1Error(c, 400, `Limit must not be greater than ${V1_GROUP_LIMIT}`);
    const start = parseOffset(c.req.query("start"));
    // Only the page's members are rendered: groups can hold tens of thousands of accounts.
    const page = v1Page(c, group.members, start, limit, (id) => v1User(c, view, view.state.requireAccount(id)));
    const withTotal = c.req.query("shouldReturnTotalSize") === "true";
    return c.json(withTotal ? { ...page, totalSize: group.members.length } : page);
  });

  app.post(`${V1}/group/userByGroupId`, async (c) => {
    const view = viewOf(c);
    if (!view.caller.siteAdmin)
      return confluenceV1Error(c, 403, "User must be a site admin to change group membership");
    const groupId = c.req.query("groupId");
    const body = (await c.req.json().catch(() => null)) as { accountId?: unknown } | null;
    const accountId = body?.accountId;
    if (!groupId || typeof accountId !== "string" || accountId === "") {
      return confluenceV1Error(c, 400, "groupId and accountId are required");
    }
    if (!view.state.groupsById.has(groupId)) return confluenceV1Error(c, 404, `No group found with id: ${groupId}`);
    try {
      // Adding an existing member changes nothing and still answers 201.
      view.state.addMember(groupId, accountId, view.caller.accountId);
    } catch (err) {
      return conflictResponse(c, err, 400);
    }
    return c.body(null, 201);
  });

  app.delete(`${V1}/group/userByGroupId`, (c) => {
    const view = viewOf(c);
    if (!view.caller.siteAdmin)
      return confluenceV1Error(c, 403, "User must be a site admin to change group membership");
    const groupId = c.req.query("groupId");
    const accountId = c.req.query("accountId");
    if (!groupId || !accountId) return confluenceV1Error(c, 400, "groupId and accountId are required");
    try {
      // Removing a non-member answers 204 (spec: "A 204 is returned if the user is not part of the group").
      view.state.removeMember(groupId, accountId, view.caller.accountId);
    } catch (err) {
      return conflictResponse(c, err, 404);
    }
    return c.body(null, 204);
  });
}
