/**
 * Confluence representations of the tenant's accounts, groups and spaces, in the shapes of the v2 OpenAPI document
 * (`confluence-v2-openapi-v2.v3.json`: User, SpaceBulk, SpacePermissionAssignment) and the v1 Swagger document
 * (`confluence-v1-swagger.v3.json`: User, Group, Space, SpacePermission).
 */
import type { Context } from "hono";
import type { SimEnv } from "../../http/env.js";
import { baseOf } from "../../http/pagination.js";
import type { ConfluenceSpace, ConfluenceSpacePermission, SimAccount, SimGroup } from "../../tenant/model.js";
import type { ConfluenceView } from "./access.js";

/** The Confluence site base, e.g. `https://acme.atlassian.net/wiki` (under the simulator's origin). */
export function wikiBase(c: Context<SimEnv>): string {
  return baseOf(c, "/wiki");
}

const AVATAR = "/wiki/aa-avatar/default.png";

/** v2 `User` (POST /users-bulk). */
export function v2User(view: ConfluenceView, a: SimAccount, personalSpaceId: string | undefined) {
  return {
    accountId: a.accountId,
    accountType: a.accountType,
    accountStatus: a.status,
    email: view.emailOf(a),
    publicName: a.displayName,
    displayName: a.displayName,
    isExternalCollaborator: a.externalCollaborator,
    ...(personalSpaceId ? { personalSpaceId } : {}),
    profilePicture: { path: AVATAR, isDefault: true },
  };
}

/**
 * v1 `User`. `accountType` is `atlassian` | `app` | "" in v1 (customer accounts have no v1 type); `type` is
 * `known` for every real account.
 */
export function v1User(c: Context<SimEnv>, view: ConfluenceView, a: SimAccount) {
  return {
    type: "known",
    accountId: a.accountId,
    accountType: a.accountType === "customer" ? "" : a.accountType,
    email: view.emailOf(a),
    publicName: a.displayName,
    profilePicture: { path: AVATAR, width: 48, height: 48, isDefault: true },
    displayName: a.displayName,
    isExternalCollaborator: a.externalCollaborator,
    _expandable: { operations: "", personalSpace: "" },
    _links: { self: `${wikiBase(c)}/rest/api/user?accountId=${encodeURIComponent(a.accountId)}` },
  };
}

/** v1 `Group`. */
export function v1Group(c: Context<SimEnv>, g: SimGroup) {
  return {
    type: "group" as const,
    name: g.name,
    id: g.groupId,
    _links: { self: `${wikiBase(c)}/rest/api/group/by-id?id=${encodeURIComponent(g.groupId)}` },
  };
}

/** v2 `SpaceBulk` (also the base of `SpaceSingle`). */
export function v2Space(s: ConfluenceSpace, includeIcon: boolean) {
  return {
    id: s.id,
    key: s.key,
    name: s.name,
    type: s.type,
    status: s.status,
    authorId: s.authorAccountId,
    createdAt: s.createdAt,
    homepageId: s.homepageId,
    ...(includeIcon ? { icon: { path: "/wiki/images/logo/default-space-logo-256.png" } } : {}),
    _links: { webui: `/spaces/${s.key}` },
  };
}

/** The permissions v2 can represent: its principal is only `user`, `group` or `role` (no anonymous, no unlicensed). */
export function v2Permissions(s: ConfluenceSpace): ConfluenceSpacePermission[] {
  return s.permissions.filter(
    (p) => p.principal.type === "user" || p.principal.type === "group" || p.principal.type === "role",
  );
}

/** v2 `SpacePermissionAssignment`. */
export function v2PermissionAssignment(p: ConfluenceSpacePermission) {
  const principal = p.principal as { type: "user" | "group" | "role"; id: string };
  return {
    id: p.id,
    principal: { type: principal.type, id: principal.id },
    operation: { key: p.operation.key, targetType: p.operation.targetType },
  };
}

/**
 * v1 `SpacePermission`: one entry per grant, its subject under `subjects.user` or `subjects.group`, or no subject
 * with `anonymousAccess` / `unlicensedAccess` true. Grants v1 cannot express are left out: role principals (v1
 * predates space roles) and groups deleted since (the simulator no longer knows their name).
 */
export function v1SpacePermissions(c: Context<SimEnv>, view: ConfluenceView, s: ConfluenceSpace) {
  const out: Array<Record<string, unknown>> = [];
  for (const p of s.permissions) {
    const base = {
      id: Number(p.id),
      operation: { operation: p.operation.key, targetType: p.operation.targetType },
      anonymousAccess: p.principal.type === "anonymous",
      unlicensedAccess: p.principal.type === "unlicensed",
    };
    if (p.principal.type === "anonymous" || p.principal.type === "unlicensed") {
      out.push(base);
    } else if (p.principal.type === "user") {
      const account = view.state.accountsById.get(p.principal.id);
      if (!account) continue;
      out.push({ ...base, subjects: { user: { results: [v1User(c, view, account)], size: 1 } } });
    } else if (p.principal.type === "group") {
      const group = view.state.groupsById.get(p.principal.id);
      if (!group) continue;
      out.push({ ...base, subjects: { group: { results: [v1Group(c, group)], size: 1 } } });
    }
  }
  return out;
}

/** v1 knows `global` and `personal` spaces; the newer types (collaboration, knowledge base) are global spaces. */
export function v1SpaceType(s: ConfluenceSpace): "global" | "personal" {
  return s.type === "personal" ? "personal" : "global";
}

/** v1 `Space`, with `permissions` when expanded. */
export function v1Space(c: Context<SimEnv>, view: ConfluenceView, s: ConfluenceSpace, expand: Set<string>) {
  const expandable: Record<string, string> = {
    settings: `/rest/api/space/${s.key}/settings`,
    metadata: "",
    operations: "",
    lookAndFeel: `/rest/api/settings/lookandfeel?spaceKey=${s.key}`,
    identifiers: "",
    icon: "",
    description: "",
    theme: `/rest/api/space/${s.key}/theme`,
    history: "",
    homepage: `/rest/api/content/${s.homepageId}`,
  };
  const body: Record<string, unknown> = {
    id: Number(s.id),
    key: s.key,
    name: s.name,
    type: v1SpaceType(s),
    status: s.status,
  };
  if (expand.has("permissions")) body.permissions = v1SpacePermissions(c, view, s);
  else expandable.permissions = "";
  body._expandable = expandable;
  body._links = { webui: `/spaces/${s.key}`, self: `${wikiBase(c)}/rest/api/space/${s.key}` };
  return body;
}
