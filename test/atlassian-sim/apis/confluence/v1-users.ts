/**
 * Confluence v1 users: `GET /user?accountId=`, `GET /user/current` (with `expand=operations`: the caller's global
 * operations, which is how an app asks whether its user administers Confluence), `GET /user/memberof?accountId=`
 * and the CQL user search `GET /search/user?cql=&sitePermissionTypeFilter=`.
 */
import type { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { confluenceV1Error } from "../../http/errors.js";
import { clampPageSize, parseOffset } from "../../http/pagination.js";
import type { SimAccount } from "../../tenant/model.js";
import { type ConfluenceView, globalOperations, viewOf } from "./access.js";
import { CqlError, parseUserCql } from "./cql.js";
import { v1Group, v1User, wikiBase } from "./render.js";
import { v1Links, v1Page } from "./v1-paging.js";

const V1 = "/wiki/rest/api";
/** memberof: `limit` default 200, capped at 200 like the other group listings. */
const MEMBEROF_LIMIT = 200;
/** search/user: `limit` default 25; the per-page cap is not published (VERIFY), 1000 assumed. */
const SEARCH_DEFAULT_LIMIT = 25;
const SEARCH_MAX_LIMIT = 1000;
/** "cql=type=user will return up to 10k users" (developer.atlassian.com searchUser): the search window. */
const SEARCH_WINDOW = 10_000;
const PERMISSION_FILTERS = ["all", "externalCollaborator", "none"];

/**
 * `sitePermissionTypeFilter`: `none` (default) "licensed users" — active, unsuspended accounts with Confluence
 * access that are not guests; `externalCollaborator` the guests; `all` every account.
 */
function permissionFilter(view: ConfluenceView, filter: string): (a: SimAccount) => boolean {
  switch (filter) {
    case "externalCollaborator":
      return (a) => a.externalCollaborator;
    case "all":
      return () => true;
    default:
      return (a) => !a.externalCollaborator && view.state.hasProduct(a, "confluence");
  }
}

/** Registers the v1 user routes. */
export function registerV1Users(app: Hono<SimEnv>): void {
  app.get(`${V1}/user`, (c) => {
    const view = viewOf(c);
    const accountId = c.req.query("accountId");
    if (!accountId) return confluenceV1Error(c, 400, "accountId is required");
    const account = view.state.accountsById.get(accountId);
    if (!account) return confluenceV1Error(c, 404, `No user found with accountId: ${accountId}`);
    return c.json(v1User(c, view, account));
  });

  // Registered before any `/user/:x` pattern could shadow it; the spec's `getCurrentUser`.
  app.get(`${V1}/user/current`, (c) => {
    const view = viewOf(c);
    const account = view.state.accountsById.get(view.caller.accountId);
    const operations = globalOperations(view);
    // 403: "Returned if the calling user does not have permission to use Confluence."
    if (!account || operations.length === 0) {
      return confluenceV1Error(c, 403, "The calling user does not have permission to use Confluence.");
    }
    const expand = new Set((c.req.queries("expand") ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()));
    const { _expandable, _links, ...user } = v1User(c, view, account);
    const base = wikiBase(c);
    return c.json({
      ...user,
      ...(expand.has("operations") ? { operations } : {}),
      _expandable: expand.has("operations") ? { personalSpace: _expandable.personalSpace } : _expandable,
      _links: { ..._links, base, context: "/wiki" },
    });
  });

  app.get(`${V1}/user/memberof`, (c) => {
    const view = viewOf(c);
    const accountId = c.req.query("accountId");
    if (!accountId) return confluenceV1Error(c, 400, "accountId is required");
    if (!view.state.accountsById.has(accountId)) {
      return confluenceV1Error(c, 404, `No user found with accountId: ${accountId}`);
    }
    const groups = view.state
      .groupIdsOf(accountId)
      .flatMap((id) => view.state.groupsById.get(id) ?? [])
      .sort((a, b) =>
        a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0,
      );
    const start = parseOffset(c.req.query("start"));
    const limit = clampPageSize(c.req.query("limit"), MEMBEROF_LIMIT, MEMBEROF_LIMIT);
    return c.json(v1Page(c, groups, start, limit, (g) => v1Group(c, g)));
  });

  app.get(`${V1}/search/user`, (c) => {
    const started = Date.now();
    const view = viewOf(c);
    const cql = c.req.query("cql");
    if (!cql) return confluenceV1Error(c, 400, "cql is required");
    const filter = c.req.query("sitePermissionTypeFilter") ?? "none";
    if (!PERMISSION_FILTERS.includes(filter)) {
      return confluenceV1Error(c, 400, `Invalid sitePermissionTypeFilter: ${filter}`);
    }
    let matches: (a: SimAccount) => boolean;
    try {
      matches = parseUserCql(cql);
    } catch (err) {
      if (err instanceof CqlError) return confluenceV1Error(c, 400, err.message);
      throw err;
    }
    const allowed = permissionFilter(view, filter);
    const found: SimAccount[] = [];
    for (const a of view.state.tenant.accounts) {
      if (allowed(a) && matches(a)) found.push(a);
      if (found.length >= SEARCH_WINDOW) break;
    }
    const start = parseOffset(c.req.query("start"));
    const limit = clampPageSize(c.req.query("limit"), SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT);
    const slice = found.slice(start, start + limit);
    const end = start + slice.length;
    return c.json({
      results: slice.map((a) => ({
        user: v1User(c, view, a),
        title: a.displayName,
        excerpt: "",
        url: `/people/${a.accountId}`,
        breadcrumbs: [],
        entityType: "user",
        iconCssClass: "aui-icon content-type-profile",
        lastModified: new Date(a.lastActive ?? a.addedToOrg).toISOString(),
        score: 0,
      })),
      start,
      limit,
      size: slice.length,
      totalSize: found.length,
      cqlQuery: cql,
      searchDuration: Date.now() - started,
      _links: v1Links(c, end < found.length ? end : null, limit),
    });
  });
}
