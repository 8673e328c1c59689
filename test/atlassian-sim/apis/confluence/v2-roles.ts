/**
 * Confluence v2 role-based access (EAP, "Role-Based Access Controls Beta"): `GET /space-roles`,
 * `GET /space-roles/{id}`, `GET /space-role-mode` and the catalogue `GET /space-permissions`.
 */
import type { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import type { ConfluenceSpaceRole } from "../../tenant/model.js";
import { viewOf } from "./access.js";
import { wikiBase } from "./render.js";
import { v2BadRequest, v2NotFound, v2Page } from "./v2-common.js";

const V2 = "/wiki/api/v2";
const PRINCIPAL_TYPES = ["USER", "GROUP", "ACCESS_CLASS"];

/**
 * Confluence's space permissions, as the space-permissions admin screen names them. Ids are `operation:target`,
 * the form the tenant's roles list in `operations`; every permission needs View space (`read:space`).
 */
const SPACE_PERMISSIONS: ReadonlyArray<{ id: string; displayName: string; description: string }> = [
  { id: "read:space", displayName: "View space", description: "View the space and its content" },
  { id: "delete:space", displayName: "Delete own", description: "Delete content the user created" },
  { id: "create:page", displayName: "Add pages", description: "Create pages in the space" },
  { id: "archive:page", displayName: "Archive pages", description: "Archive pages in the space" },
  { id: "delete:page", displayName: "Delete pages", description: "Delete pages in the space" },
  { id: "create:blogpost", displayName: "Add blogs", description: "Create blog posts in the space" },
  { id: "delete:blogpost", displayName: "Delete blogs", description: "Delete blog posts in the space" },
  { id: "create:comment", displayName: "Add comments", description: "Comment on content in the space" },
  { id: "delete:comment", displayName: "Delete comments", description: "Delete comments in the space" },
  { id: "create:attachment", displayName: "Add attachments", description: "Attach files to content in the space" },
  { id: "delete:attachment", displayName: "Delete attachments", description: "Delete attachments in the space" },
  { id: "restrict_content:space", displayName: "Add/Delete restrictions", description: "Restrict content" },
  { id: "export:space", displayName: "Export space", description: "Export the space" },
  { id: "administer:space", displayName: "Admin space", description: "Administer the space and its permissions" },
];

function renderRole(r: ConfluenceSpaceRole) {
  return { id: r.id, type: r.type, name: r.name, description: r.description, spacePermissions: [...r.operations] };
}

/** The catalogue: Confluence's permissions, plus any operation a tenant role carries that the table lacks. */
function catalogue(roles: readonly ConfluenceSpaceRole[]) {
  const known = new Set(SPACE_PERMISSIONS.map((p) => p.id));
  const extra = [...new Set(roles.flatMap((r) => r.operations))].filter((op) => !known.has(op)).sort();
  return [
    ...SPACE_PERMISSIONS,
    ...extra.map((id) => ({ id, displayName: id.replace(":", " "), description: `Permission ${id}` })),
  ].map((p) => ({ ...p, requiredPermissionIds: p.id === "read:space" ? [] : ["read:space"] }));
}

/** Registers the v2 space-role routes. */
export function registerV2Roles(app: Hono<SimEnv>): void {
  app.get(`${V2}/space-roles`, (c) => {
    const view = viewOf(c);
    const conf = view.state.tenant.confluence;
    const spaceId = c.req.query("space-id");
    const roleType = c.req.query("role-type");
    const principalId = c.req.query("principal-id");
    const principalType = c.req.query("principal-type");
    if ((principalId === undefined) !== (principalType === undefined)) {
      return v2BadRequest(c, "principal-id and principal-type must be given together");
    }
    if (principalType !== undefined && !PRINCIPAL_TYPES.includes(principalType)) {
      return v2BadRequest(c, `Invalid principal-type: ${principalType}`);
    }
    let spaces = conf.spaces;
    if (spaceId !== undefined) {
      const space = conf.spaces.find((s) => s.id === spaceId);
      if (!space || !view.canView(space)) return v2NotFound(c);
      spaces = [space];
    }
    // With a principal, only the roles that principal holds (in the given space, or in any space).
    let held: Set<string> | null = null;
    if (principalType !== undefined) {
      held = new Set();
      for (const s of spaces) {
        for (const a of s.roleAssignments) {
          if (a.principal.type === principalType && a.principal.id === principalId) held.add(a.roleId);
        }
      }
    }
    const roles = conf.roles.filter(
      (r) => (roleType === undefined || r.type === roleType) && (held === null || held.has(r.id)),
    );
    return v2Page(c, roles, "space-roles", renderRole);
  });

  app.get(`${V2}/space-roles/:id`, (c) => {
    // The spec types this id as an integer; the tenant's role ids are opaque strings, so any id is looked up.
    const id = c.req.param("id");
    const role = viewOf(c).state.tenant.confluence.roles.find((r) => r.id === id);
    if (!role) return v2NotFound(c);
    return c.json({ ...renderRole(role), _links: { base: wikiBase(c) } });
  });

  app.get(`${V2}/space-role-mode`, (c) => c.json({ mode: viewOf(c).state.tenant.confluence.roleMode }));

  app.get(`${V2}/space-permissions`, (c) => {
    return v2Page(c, catalogue(viewOf(c).state.tenant.confluence.roles), "space-permission-catalogue", (p) => p);
  });
}
