/**
 * Confluence v2 spaces: `GET /spaces`, `GET /spaces/{id}`, `GET /spaces/{id}/permissions` and the RBAC (EAP)
 * `GET /spaces/{id}/role-assignments`, with cursor pagination (`Link` header and `_links.next`).
 */
import type { Context, Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { encodeCursor } from "../../http/pagination.js";
import type { ConfluenceRoleAssignment, ConfluenceSpace } from "../../tenant/model.js";
import { type ConfluenceView, viewOf, visibleSpaces } from "./access.js";
import { v2PermissionAssignment, v2Permissions, v2Space, wikiBase } from "./render.js";
import { flag, integerId, v2BadRequest, v2NotFound, v2Page } from "./v2-common.js";

const V2 = "/wiki/api/v2";
const SPACE_TYPES = [
  "global",
  "collaboration",
  "knowledge_base",
  "personal",
  "system",
  "onboarding",
  "xflow_sample_space",
];
const SPACE_STATUSES = ["current", "archived"];
const SORTS = ["id", "-id", "key", "-key", "name", "-name"];
const PRINCIPAL_TYPES = ["USER", "GROUP", "ACCESS_CLASS"];
/** `include-*` lists on `GET /spaces/{id}` carry at most 50 items (spec: "limited to 50"). */
const EMBED_LIMIT = 50;

/** All values of a multi-valued query parameter, whether repeated or comma-separated. */
function listParam(c: Context<SimEnv>, name: string): string[] {
  return (c.req.queries(name) ?? [])
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

const permissionsTag = (spaceId: string) => `space-permissions:${spaceId}`;
const roleAssignmentsTag = (spaceId: string) => `space-role-assignments:${spaceId}`;

/** The space with this path id if the caller may view it. */
function findSpace(view: ConfluenceView, rawId: string): ConfluenceSpace | undefined {
  const id = integerId(rawId);
  const space = id ? view.state.tenant.confluence.spaces.find((s) => s.id === id) : undefined;
  return space && view.canView(space) ? space : undefined;
}

function renderAssignment(a: ConfluenceRoleAssignment) {
  return { principal: { principalType: a.principal.type, principalId: a.principal.id }, roleId: a.roleId };
}

/** An embedded `include-*` list: the first 50 items, `meta.hasMore` and a cursor for the full listing. */
function embedded<T, R>(items: readonly T[], tag: string, self: string, render: (item: T) => R) {
  const hasMore = items.length > EMBED_LIMIT;
  return {
    results: items.slice(0, EMBED_LIMIT).map(render),
    meta: { hasMore, ...(hasMore ? { cursor: encodeCursor(tag, EMBED_LIMIT) } : {}) },
    _links: { self },
  };
}

/** Registers the v2 space routes. */
export function registerV2Spaces(app: Hono<SimEnv>): void {
  app.get(`${V2}/spaces`, (c) => {
    const view = viewOf(c);
    const ids = listParam(c, "ids");
    const keys = new Set(listParam(c, "keys"));
    const type = c.req.query("type");
    const status = c.req.query("status");
    const sort = c.req.query("sort") ?? "id";
    if (ids.length > 250 || keys.size > 250) return v2BadRequest(c, "At most 250 ids or keys may be given");
    if (ids.some((id) => !integerId(id))) return v2BadRequest(c, "ids must be integers");
    if (type !== undefined && !SPACE_TYPES.includes(type)) return v2BadRequest(c, `Invalid space type: ${type}`);
    if (status !== undefined && !SPACE_STATUSES.includes(status)) return v2BadRequest(c, `Invalid status: ${status}`);
    if (!SORTS.includes(sort)) return v2BadRequest(c, `Invalid sort: ${sort}`);
    const idSet = new Set(ids);
    const spaces = visibleSpaces(view).filter(
      (s) =>
        (idSet.size === 0 || idSet.has(s.id)) &&
        (keys.size === 0 || keys.has(s.key)) &&
        (type === undefined || s.type === type) &&
        (status === undefined || s.status === status),
    );
    const field = sort.replace(/^-/, "") as "id" | "key" | "name";
    const dir = sort.startsWith("-") ? -1 : 1;
    spaces.sort((a, b) => {
      const d = field === "id" ? Number(a.id) - Number(b.id) : a[field] < b[field] ? -1 : a[field] > b[field] ? 1 : 0;
      return dir * (d || Number(a.id) - Number(b.id));
    });
    const includeIcon = c.req.query("include-icon") === "true";
    return v2Page(c, spaces, `spaces:${sort}`, (s) => v2Space(s, includeIcon));
  });

  app.get(`${V2}/spaces/:id`, (c) => {
    const view = viewOf(c);
    const space = findSpace(view, c.req.param("id"));
    if (!space) return integerId(c.req.param("id")) ? v2NotFound(c) : v2BadRequest(c, "Space id must be an integer");
    const body: Record<string, unknown> = v2Space(space, flag(c, "include-icon"));
    if (flag(c, "include-permissions")) {
      body.permissions = embedded(
        v2Permissions(space),
        permissionsTag(space.id),
        `${V2}/spaces/${space.id}/permissions`,
        v2PermissionAssignment,
      );
    }
    if (flag(c, "include-role-assignments")) {
      body.roleAssignments = embedded(
        space.roleAssignments,
        roleAssignmentsTag(space.id),
        `${V2}/spaces/${space.id}/role-assignments`,
        renderAssignment,
      );
    }
    body._links = { ...(body._links as object), base: wikiBase(c) };
    return c.json(body);
  });

  app.get(`${V2}/spaces/:id/permissions`, (c) => {
    const view = viewOf(c);
    const space = findSpace(view, c.req.param("id"));
    if (!space) return integerId(c.req.param("id")) ? v2NotFound(c) : v2BadRequest(c, "Space id must be an integer");
    return v2Page(c, v2Permissions(space), permissionsTag(space.id), v2PermissionAssignment);
  });

  app.get(`${V2}/spaces/:id/role-assignments`, (c) => {
    const view = viewOf(c);
    const space = findSpace(view, c.req.param("id"));
    if (!space) return integerId(c.req.param("id")) ? v2NotFound(c) : v2BadRequest(c, "Space id must be an integer");
    const roleId = c.req.query("role-id");
    const roleType = c.req.query("role-type");
    const principalId = c.req.query("principal-id");
    const principalType = c.req.query("principal-type");
    if ((principalId === undefined) !== (principalType === undefined)) {
      return v2BadRequest(c, "principal-id and principal-type must be given together");
    }
    if (principalType !== undefined && !PRINCIPAL_TYPES.includes(principalType)) {
      return v2BadRequest(c, `Invalid principal-type: ${principalType}`);
    }
    const roleTypes = new Map(view.state.tenant.confluence.roles.map((r) => [r.id, r.type]));
    const items = space.roleAssignments.filter(
      (a) =>
        (roleId === undefined || a.roleId === roleId) &&
        (roleType === undefined || roleTypes.get(a.roleId) === roleType) &&
        (principalType === undefined || (a.principal.type === principalType && a.principal.id === principalId)),
    );
    return v2Page(c, items, roleAssignmentsTag(space.id), renderAssignment);
  });
}
