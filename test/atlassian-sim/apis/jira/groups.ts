/**
 * Jira groups: `GET /group/bulk` (PageBean, filters by id, name, access type and application), `GET /group/member`
 * (PageBean, 1–50 per page, inactive members on request), and the site-admin writes `POST|DELETE /group` and
 * `POST|DELETE /group/user`. Writes go through SimState, so they show in Admin, SCIM and Confluence at once.
 * Groups synced from an identity provider cannot be changed here, as in Atlassian (the IdP owns them).
 * Spec: jira-platform-swagger-v3, group "Groups".
 */
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { jiraError } from "../../http/errors.js";
import { clampPageSize, jiraPageBean, parseOffset } from "../../http/pagination.js";
import type { SimState } from "../../state.js";
import type { SimGroup } from "../../tenant/model.js";
import {
  callerAccess,
  conflictResponse,
  groupFromQuery,
  type JiraContext,
  jsonObject,
  queryBool,
  restBase,
} from "./common.js";
import { isActive, type RenderContext, renderGroupName, renderUserDetails } from "./render.js";

/** `group/bulk` and `group/member`: default and maximum page size 50 ("number should be between 1 and 50"). */
const GROUP_PAGE_MAX = 50;
/** Members embedded in a `Group` response ("A maximum of 50 users is returned"). */
const EMBEDDED_MEMBERS = 50;

const ACCESS_TYPES = new Set(["site-admin", "admin", "user"]);
const APPLICATION_KEYS = new Set(["jira-servicedesk", "jira-software", "jira-product-discovery", "jira-core"]);

const SITE_ADMIN_REQUIRED = "You do not have permission to manage groups. Site administration permission is required.";

/** The groupIds a `group/bulk` access-type / application filter admits; `null` when it admits every group. */
function accessFilter(state: SimState, accessType: string | undefined, applicationKey: string | undefined) {
  const jira = state.tenant.jira;
  if (accessType === "site-admin") return new Set(jira.siteAdminGroups);
  if (accessType === "admin") return new Set(jira.adminGroups);
  if (accessType === "user" || applicationKey) {
    const roles = jira.applicationRoles.filter((r) => !applicationKey || r.key === applicationKey);
    return new Set(roles.flatMap((r) => r.groups));
  }
  return null;
}

/** `Group` as the write operations return it, with the first members embedded. */
function renderGroup(state: SimState, group: SimGroup, ctx: RenderContext) {
  const members = group.members.slice(0, EMBEDDED_MEMBERS).flatMap((id) => {
    const a = state.accountsById.get(id);
    return a ? [renderUserDetails(a, ctx)] : [];
  });
  return {
    ...renderGroupName(group, ctx.base),
    users: {
      size: group.members.length,
      items: members,
      "max-results": EMBEDDED_MEMBERS,
      "start-index": 0,
      "end-index": Math.max(0, members.length - 1),
    },
    expand: "users",
  };
}

/** Site-admin gate of the group writes. */
function requireSiteAdmin(c: JiraContext) {
  return c.get("productCaller").siteAdmin ? null : jiraError(c, 403, SITE_ADMIN_REQUIRED);
}

/** Routes for Jira groups. */
export function groupsRoutes(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  app.get("/rest/api/3/group/bulk", (c) => {
    const access = callerAccess(c);
    if (!access.browseUsers) return jiraError(c, 403, "Browse users and groups permission is required to view groups.");
    const accessType = c.req.query("accessType") || undefined;
    const applicationKey = c.req.query("applicationKey") || undefined;
    if (accessType && !ACCESS_TYPES.has(accessType)) {
      return jiraError(c, 400, `Invalid accessType '${accessType}'. Valid values: site-admin, admin, user.`);
    }
    if (applicationKey && !APPLICATION_KEYS.has(applicationKey)) {
      return jiraError(c, 400, `Invalid applicationKey '${applicationKey}'.`);
    }
    const state = c.get("sim").state;
    const ids = new Set(c.req.queries("groupId") ?? []);
    const names = new Set((c.req.queries("groupName") ?? []).map((n) => n.toLowerCase()));
    const allowed = accessFilter(state, accessType, applicationKey);
    const groups = state.tenant.groups
      .filter((g) => ids.size === 0 || ids.has(g.groupId))
      .filter((g) => names.size === 0 || names.has(g.name.toLowerCase()))
      .filter((g) => allowed === null || allowed.has(g.groupId))
      .sort((a, b) => a.name.localeCompare(b.name) || a.groupId.localeCompare(b.groupId))
      .map((g) => ({ name: g.name, groupId: g.groupId }));
    const startAt = parseOffset(c.req.query("startAt"));
    const maxResults = clampPageSize(c.req.query("maxResults"), GROUP_PAGE_MAX, GROUP_PAGE_MAX);
    return c.json(jiraPageBean(c, groups, startAt, maxResults));
  });

  app.get("/rest/api/3/group/member", (c) => {
    const access = callerAccess(c);
    // "Browse users and groups" or "Administer Jira".
    if (!access.browseUsers && !access.jiraAdmin) {
      return jiraError(c, 403, "You do not have the permission to view the members of this group.");
    }
    const found = groupFromQuery(c);
    if (!found) return jiraError(c, 400, "You must specify a group name or a group ID.");
    if ("error" in found) return found.error;
    const state = c.get("sim").state;
    const includeInactive = queryBool(c, "includeInactiveUsers");
    const ctx = { base: restBase(c), browseUsers: access.browseUsers };
    const members = [];
    for (const id of found.group.members) {
      const a = state.accountsById.get(id);
      if (a && (includeInactive || isActive(a))) members.push(a);
    }
    const startAt = parseOffset(c.req.query("startAt"));
    const maxResults = clampPageSize(c.req.query("maxResults"), GROUP_PAGE_MAX, GROUP_PAGE_MAX);
    // Render only the page: groups can hold tens of thousands of members.
    const page = jiraPageBean(c, members, startAt, maxResults);
    page.values = (page.values as typeof members).map((a) => renderUserDetails(a, ctx));
    return c.json(page);
  });

  app.post("/rest/api/3/group", async (c) => {
    const denied = requireSiteAdmin(c);
    if (denied) return denied;
    const body = await jsonObject(c);
    const name = typeof body?.name === "string" ? body.name.trim() : "";
    if (!name) return jiraError(c, 400, "You must specify a group name to create the group.");
    const state = c.get("sim").state;
    if (state.groupsByName.has(name.toLowerCase()))
      return jiraError(c, 400, `A group with name '${name}' already exists.`);
    try {
      const group = state.createGroup(name, "", "admin", c.get("productCaller").accountId);
      return c.json(renderGroup(state, group, { base: restBase(c), browseUsers: true }), 201);
    } catch (err) {
      return conflictResponse(c, err);
    }
  });

  app.delete("/rest/api/3/group", (c) => {
    const denied = requireSiteAdmin(c);
    if (denied) return denied;
    const found = groupFromQuery(c);
    if (!found) return jiraError(c, 400, "You must specify a group name or a group ID.");
    if ("error" in found) return found.error;
    if (found.group.source === "scim") {
      return jiraError(
        c,
        400,
        `The group '${found.group.name}' is managed by your identity provider and cannot be deleted here.`,
      );
    }
    // swapGroup/swapGroupId move comment and worklog restrictions; the tenant has no comments or worklogs.
    try {
      c.get("sim").state.deleteGroup(found.group.groupId, c.get("productCaller").accountId);
    } catch (err) {
      return conflictResponse(c, err);
    }
    return c.body(null, 200);
  });

  app.post("/rest/api/3/group/user", async (c) => {
    const denied = requireSiteAdmin(c);
    if (denied) return denied;
    const found = groupFromQuery(c);
    if (!found) return jiraError(c, 400, "You must specify a group name or a group ID.");
    if ("error" in found) return found.error;
    const body = await jsonObject(c);
    const accountId = typeof body?.accountId === "string" ? body.accountId : "";
    if (!accountId) return jiraError(c, 400, "The 'accountId' must be provided.");
    const state = c.get("sim").state;
    if (!state.accountsById.has(accountId)) {
      return jiraError(c, 404, "Specified user does not exist or you do not have required permissions");
    }
    const group = found.group;
    try {
      const added = state.addMember(group.groupId, accountId, c.get("productCaller").accountId);
      if (!added) return jiraError(c, 400, `Cannot add user. '${accountId}' is already a member of '${group.name}'.`);
    } catch (err) {
      return conflictResponse(c, err);
    }
    return c.json(renderGroup(state, group, { base: restBase(c), browseUsers: true }), 201);
  });

  app.delete("/rest/api/3/group/user", (c) => {
    const denied = requireSiteAdmin(c);
    if (denied) return denied;
    const found = groupFromQuery(c);
    if (!found) return jiraError(c, 400, "You must specify a group name or a group ID.");
    if ("error" in found) return found.error;
    const accountId = c.req.query("accountId");
    if (!accountId) return jiraError(c, 400, "The 'accountId' query parameter needs to be provided");
    const state = c.get("sim").state;
    if (!state.accountsById.has(accountId)) {
      return jiraError(c, 404, "Specified user does not exist or you do not have required permissions");
    }
    try {
      const removed = state.removeMember(found.group.groupId, accountId, c.get("productCaller").accountId);
      if (!removed) {
        return jiraError(c, 400, `Cannot remove user. '${accountId}' is not a member of '${found.group.name}'.`);
      }
    } catch (err) {
      return conflictResponse(c, err);
    }
    return c.body(null, 200);
  });

  return app;
}
