/**
 * Confluence v1 spaces (deprecated in favour of v2, still served): `GET /space`, `GET /space/{spaceKey}` with
 * `expand=permissions` — the only API that shows anonymous and unlicensed access — and the space-admin writes
 * `POST /space/{spaceKey}/permission` and `DELETE /space/{spaceKey}/permission/{id}`.
 */
import type { Context, Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { confluenceV1Error } from "../../http/errors.js";
import { clampPageSize, parseOffset } from "../../http/pagination.js";
import type { ConfluencePrincipal, ConfluenceSpace, ConfluenceSpacePermission } from "../../tenant/model.js";
import { type ConfluenceView, viewOf, visibleSpaces } from "./access.js";
import { v1Space, v1SpaceType, wikiBase } from "./render.js";
import { v1Page } from "./v1-paging.js";

const V1 = "/wiki/rest/api";
/** `GET /space`: `limit` default 25; the fixed system cap is not published (VERIFY), 250 assumed. */
const SPACE_DEFAULT_LIMIT = 25;
const SPACE_MAX_LIMIT = 250;

/** Valid `operation.key` → `operation.target` combinations (SpacePermissionRequest description). */
const VALID_OPERATIONS: Readonly<Record<string, readonly string[]>> = {
  create: ["page", "blogpost", "comment", "attachment"],
  read: ["space"],
  delete: ["page", "blogpost", "comment", "attachment", "space"],
  export: ["space"],
  administer: ["space"],
  archive: ["page"],
  restrict_content: ["space"],
};

/** The `expand` values, comma-separated or repeated. */
function expandOf(c: Context<SimEnv>): Set<string> {
  return new Set((c.req.queries("expand") ?? []).flatMap((v) => v.split(",")).map((v) => v.trim()));
}

/** The space with this key if the caller may view it. */
function findSpace(view: ConfluenceView, key: string): ConfluenceSpace | undefined {
  const space = view.state.tenant.confluence.spaces.find((s) => s.key === key);
  return space && view.canView(space) ? space : undefined;
}

const samePrincipal = (a: ConfluencePrincipal, b: ConfluencePrincipal) =>
  a.type === b.type && ("id" in a ? a.id : "") === ("id" in b ? b.id : "");

/** The request's subject as a tenant principal, or an error message. */
function principalOf(
  view: ConfluenceView,
  subject: { type?: unknown; identifier?: unknown },
): ConfluencePrincipal | string {
  const id = subject.identifier;
  if (typeof id !== "string" || id === "") return "subject.identifier is required";
  if (subject.type === "user") {
    if (id === "anonymous") return { type: "anonymous" };
    return view.state.accountsById.has(id) ? { type: "user", id } : `No user found with accountId: ${id}`;
  }
  if (subject.type === "group") {
    // groupId, or the group name that is still accepted while its support is being deprecated.
    const group = view.state.groupsById.get(id) ?? view.state.groupsByName.get(id.toLowerCase());
    return group ? { type: "group", id: group.groupId } : `No group found with groupName or groupId: ${id}`;
  }
  return "subject.type must be user or group";
}

/** v1 `PermissionSubject` of a principal this API can grant: a user, `anonymous`, or a group. */
function subjectOf(p: ConfluencePrincipal) {
  if (p.type === "group") return { type: "group", identifier: p.id };
  return { type: "user", identifier: p.type === "user" || p.type === "role" ? p.id : "anonymous" };
}

/** `SpacePermissionV2`, the answer to an added permission. */
function renderCreated(c: Context<SimEnv>, space: ConfluenceSpace, p: ConfluenceSpacePermission) {
  return {
    id: Number(p.id),
    subject: subjectOf(p.principal),
    operation: { key: p.operation.key, target: p.operation.targetType },
    _links: { self: `${wikiBase(c)}/rest/api/space/${space.key}/permission/${p.id}` },
  };
}

/** Registers the v1 space routes. */
export function registerV1Spaces(app: Hono<SimEnv>): void {
  app.get(`${V1}/space`, (c) => {
    const view = viewOf(c);
    const keys = new Set(c.req.queries("spaceKey") ?? []);
    const ids = new Set(c.req.queries("spaceId") ?? []);
    const type = c.req.query("type");
    const status = c.req.query("status");
    if (status !== undefined && status !== "current" && status !== "archived") {
      return confluenceV1Error(c, 400, `Invalid status: ${status}`);
    }
    if (type !== undefined && type !== "global" && type !== "personal") {
      return confluenceV1Error(c, 400, `Invalid type: ${type}`);
    }
    // "ordered alphabetically in ascending order by space key".
    const spaces = visibleSpaces(view)
      .filter(
        (s) =>
          (keys.size === 0 || keys.has(s.key)) &&
          (ids.size === 0 || ids.has(s.id)) &&
          (type === undefined || v1SpaceType(s) === type) &&
          (status === undefined || s.status === status),
      )
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const start = parseOffset(c.req.query("start"));
    const limit = clampPageSize(c.req.query("limit"), SPACE_DEFAULT_LIMIT, SPACE_MAX_LIMIT);
    const expand = expandOf(c);
    return c.json(v1Page(c, spaces, start, limit, (s) => v1Space(c, view, s, expand)));
  });

  app.get(`${V1}/space/:spaceKey`, (c) => {
    const view = viewOf(c);
    const space = findSpace(view, c.req.param("spaceKey"));
    if (!space) return confluenceV1Error(c, 404, `No space with key : ${c.req.param("spaceKey")}`);
    return c.json(v1Space(c, view, space, expandOf(c)));
  });

  app.post(`${V1}/space/:spaceKey/permission`, async (c) => {
    const view = viewOf(c);
    const space = findSpace(view, c.req.param("spaceKey"));
    if (!space) return confluenceV1Error(c, 404, `No space with key : ${c.req.param("spaceKey")}`);
    if (!view.canAdminister(space)) return confluenceV1Error(c, 403, "User is not authorized to administer the space");
    const body = (await c.req.json().catch(() => null)) as {
      subject?: { type?: unknown; identifier?: unknown };
      operation?: { key?: unknown; target?: unknown };
    } | null;
    const key = body?.operation?.key;
    const target = body?.operation?.target;
    if (typeof key !== "string" || typeof target !== "string" || !VALID_OPERATIONS[key]?.includes(target)) {
      return confluenceV1Error(c, 400, `Invalid operation: ${String(key)} ${String(target)}`);
    }
    const principal = principalOf(view, body?.subject ?? {});
    if (typeof principal === "string") return confluenceV1Error(c, 400, principal);
    const held = space.permissions.filter((p) => samePrincipal(p.principal, principal));
    if (held.some((p) => p.operation.key === key && p.operation.targetType === target)) {
      return confluenceV1Error(c, 400, "Permission already exists for the given user or group");
    }
    if (!(key === "read" && target === "space") && !held.some((p) => p.operation.key === "read")) {
      return confluenceV1Error(c, 400, "'read space' permission doesn't exist for the given user or group");
    }
    const created = view.state.addSpacePermission(
      space.id,
      principal,
      { key, targetType: target },
      view.caller.accountId,
    );
    return c.json(renderCreated(c, space, created));
  });

  app.delete(`${V1}/space/:spaceKey/permission/:id`, (c) => {
    const view = viewOf(c);
    const space = findSpace(view, c.req.param("spaceKey"));
    if (!space) return confluenceV1Error(c, 404, `No space with key : ${c.req.param("spaceKey")}`);
    if (!view.canAdminister(space)) return confluenceV1Error(c, 403, "User is not authorized to administer the space");
    const target = space.permissions.find((p) => p.id === c.req.param("id"));
    if (!target) return confluenceV1Error(c, 404, `No permission with id ${c.req.param("id")} in space ${space.key}`);
    // "removing Read Space permission for a user or group will remove all the space permissions for that user or group".
    const isRead = target.operation.key === "read" && target.operation.targetType === "space";
    const removed = isRead ? space.permissions.filter((p) => samePrincipal(p.principal, target.principal)) : [target];
    const adminsLeft = space.permissions.filter(
      (p) => p.operation.key === "administer" && p.principal.type !== "role" && !removed.includes(p),
    ).length;
    if (adminsLeft === 0)
      return confluenceV1Error(c, 400, "All of the admin permissions cannot be removed from a space");
    view.state.removeSpacePermissions(
      space.id,
      removed.map((p) => p.id),
      view.caller.accountId,
    );
    return c.body(null, 204);
  });
}
