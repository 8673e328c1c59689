/**
 * Jira users: `GET /users/search` and `/users` (every account, bare array), `GET /user` (one, with `groups` and
 * `applicationRoles` expands), `GET /user/groups`, `GET /user/bulk` (PageBean), `GET /user/search` (active users
 * matching a query, first 1000 only) and `GET /myself`. Spec: jira-platform-swagger-v3, group "Users".
 */
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { jiraError } from "../../http/errors.js";
import { clampPageSize, jiraPageBean, parseOffset } from "../../http/pagination.js";
import type { SimAccount } from "../../tenant/model.js";
import type { JiraAccess } from "./access.js";
import { callerAccess, type JiraContext, queryList, restBase } from "./common.js";
import {
  existingGroups,
  isActive,
  type RenderContext,
  renderApplicationRole,
  renderGroupName,
  renderUser,
} from "./render.js";

/** `users/search`: "maxResults … (limited to 1000)"; default 50. */
const ALL_USERS_MAX = 1000;
/** `user/search` returns matches "up to the thousandth user". */
const USER_SEARCH_LIMIT = 1000;
/** `user/bulk`: default 10 (spec); the spec's example shows a page of 100, taken as the server cap. */
const BULK_DEFAULT = 10;
const BULK_MAX = 100;

const USER_NOT_FOUND = "Specified user does not exist or you do not have required permissions";
const BROWSE_USERS_REQUIRED = "Browse users and groups permission is required to view users.";

function renderContext(c: JiraContext, access: JiraAccess): RenderContext {
  return { base: restBase(c), browseUsers: access.browseUsers };
}

/** A `User` with the `groups` and `applicationRoles` lists Jira adds to single-user reads (`/user`, `/myself`). */
function renderFullUser(c: JiraContext, a: SimAccount, ctx: RenderContext) {
  const state = c.get("sim").state;
  const expand = new Set(queryList(c, "expand"));
  const groups = existingGroups(state, state.groupIdsOf(a.accountId)).sort((x, y) => x.name.localeCompare(y.name));
  const groupSet = new Set(groups.map((g) => g.groupId));
  const roles = isActive(a)
    ? state.tenant.jira.applicationRoles.filter((r) => r.groups.some((g) => groupSet.has(g)))
    : [];
  return {
    ...renderUser(a, ctx),
    groups: {
      size: groups.length,
      items: expand.has("groups") ? groups.map((g) => renderGroupName(g, ctx.base)) : [],
    },
    applicationRoles: {
      size: roles.length,
      items: expand.has("applicationRoles") ? roles.map((r) => renderApplicationRole(state, r, ctx.base)) : [],
    },
    expand: "groups,applicationRoles",
  };
}

/** Every account, including inactive, closed, app and customer accounts, in a stable order. */
function allUsers(c: JiraContext) {
  const access = callerAccess(c);
  const ctx = renderContext(c, access);
  const startAt = parseOffset(c.req.query("startAt"));
  const maxResults = clampPageSize(c.req.query("maxResults"), 50, ALL_USERS_MAX, 0);
  const accounts = c.get("sim").state.tenant.accounts.slice(startAt, startAt + maxResults);
  return c.json(accounts.map((a) => renderUser(a, ctx)));
}

/** Prefix match on the display name (any word) or, where visible, the email address. */
function matchesQuery(a: SimAccount, q: string, ctx: RenderContext): boolean {
  const name = a.displayName.toLowerCase();
  if (name.startsWith(q) || name.split(/\s+/).some((w) => w.startsWith(q))) return true;
  return ctx.browseUsers && a.emailVisible && a.email.toLowerCase().startsWith(q);
}

/** Routes for Jira users. */
export function usersRoutes(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  app.get("/rest/api/3/users/search", allUsers);
  app.get("/rest/api/3/users", allUsers);

  app.get("/rest/api/3/user", (c) => {
    const access = callerAccess(c);
    if (!access.browseUsers) return jiraError(c, 403, BROWSE_USERS_REQUIRED);
    const accountId = c.req.query("accountId");
    if (!accountId) return jiraError(c, 400, "The 'accountId' query parameter needs to be provided");
    const a = c.get("sim").state.accountsById.get(accountId);
    if (!a) return jiraError(c, 404, USER_NOT_FOUND);
    return c.json(renderFullUser(c, a, renderContext(c, access)));
  });

  app.get("/rest/api/3/myself", (c) => {
    const access = callerAccess(c);
    const a = access.account;
    if (!a) return jiraError(c, 401, "Client must be authenticated to access this resource.");
    // Users always see their own email address.
    return c.json(renderFullUser(c, a, { base: restBase(c), browseUsers: true }));
  });

  app.get("/rest/api/3/user/groups", (c) => {
    const access = callerAccess(c);
    if (!access.browseUsers) return jiraError(c, 403, BROWSE_USERS_REQUIRED);
    const accountId = c.req.query("accountId");
    if (!accountId) return jiraError(c, 400, "The 'accountId' query parameter needs to be provided");
    const state = c.get("sim").state;
    if (!state.accountsById.has(accountId)) return jiraError(c, 404, USER_NOT_FOUND);
    const base = restBase(c);
    const groups = existingGroups(state, state.groupIdsOf(accountId)).sort((x, y) => x.name.localeCompare(y.name));
    return c.json(groups.map((g) => renderGroupName(g, base)));
  });

  app.get("/rest/api/3/user/bulk", (c) => {
    const ids = c.req.queries("accountId") ?? [];
    if (ids.length === 0) return jiraError(c, 400, "accountId is required.");
    const state = c.get("sim").state;
    const ctx = renderContext(c, callerAccess(c));
    // Unknown account ids are left out, not reported.
    const seen = new Set<string>();
    const users = [];
    for (const id of ids) {
      const a = state.accountsById.get(id);
      if (a && !seen.has(id)) {
        seen.add(id);
        users.push(renderUser(a, ctx));
      }
    }
    const startAt = parseOffset(c.req.query("startAt"));
    const maxResults = clampPageSize(c.req.query("maxResults"), BULK_DEFAULT, BULK_MAX);
    return c.json(jiraPageBean(c, users, startAt, maxResults));
  });

  app.get("/rest/api/3/user/search", (c) => {
    const query = c.req.query("query");
    const accountId = c.req.query("accountId");
    const property = c.req.query("property");
    if (!query && !accountId && !property) {
      return jiraError(c, 400, "The query parameter 'query', 'accountId' or 'property' must be provided.");
    }
    if (query && accountId)
      return jiraError(c, 400, "The query parameters 'query' and 'accountId' cannot be combined.");
    const access = callerAccess(c);
    // "Anonymous calls or calls by users without the required permission return empty search results."
    if (!access.browseUsers) return c.json([]);
    const ctx = renderContext(c, access);
    const q = query?.trim().toLowerCase() ?? "";
    const matches: SimAccount[] = [];
    // The tenant has no user properties, so a property query matches nobody.
    if (!property) {
      for (const a of c.get("sim").state.tenant.accounts) {
        if (matches.length >= USER_SEARCH_LIMIT) break;
        if (!isActive(a)) continue;
        if (accountId ? a.accountId === accountId : matchesQuery(a, q, ctx)) matches.push(a);
      }
    }
    const startAt = parseOffset(c.req.query("startAt"));
    const maxResults = clampPageSize(c.req.query("maxResults"), 50, USER_SEARCH_LIMIT, 0);
    return c.json(matches.slice(startAt, startAt + maxResults).map((a) => renderUser(a, ctx)));
  });

  return app;
}
