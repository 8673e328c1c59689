/**
 * Jira permissions: permission schemes and their grants (`GET /permissionscheme[/{id}[/permission[/{id}]]]`,
 * `GET /project/{projectKeyOrId}/permissionscheme`), the permission catalogue (`GET /permissions`), and permission
 * checks for the caller (`GET /mypermissions`) or any account (`POST /permissions/check`, read-only, Jira admins
 * only when another account is named). Spec: jira-platform-swagger-v3, groups "Permission schemes", "Permissions",
 * "Project permission schemes".
 */
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { jiraError } from "../../http/errors.js";
import type { SimState } from "../../state.js";
import type { JiraPermissionScheme, JiraProject } from "../../tenant/model.js";
import { JiraAccess } from "./access.js";
import { PERMISSIONS, PERMISSIONS_BY_KEY } from "./catalogue.js";
import {
  callerAccess,
  findProject,
  type JiraContext,
  jsonObject,
  projectNotFound,
  queryList,
  restBase,
} from "./common.js";
import { renderGrant, renderGrants, renderScheme, SCHEME_EXPAND } from "./render.js";

/** `POST /permissions/check`: "≤1000 projects and 1000 issues" per request. */
const CHECK_MAX_IDS = 1000;

function findScheme(state: SimState, rawId: string): JiraPermissionScheme | undefined {
  const id = /^\d+$/.test(rawId) ? Number(rawId) : Number.NaN;
  return state.tenant.jira.permissionSchemes.find((s) => s.id === id);
}

function schemeNotFound(c: JiraContext, rawId: string) {
  return jiraError(c, 404, `A permission scheme with ID '${rawId}' does not exist.`);
}

/** Whether the account holds a project permission in at least one live project (Jira's no-context answer). */
function inAnyProject(access: JiraAccess, projects: readonly JiraProject[], key: string): boolean {
  return projects.some((p) => !p.archived && access.has(p, key));
}

/** Routes for Jira permission schemes and permission checks. */
export function permissionsRoutes(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  app.get("/rest/api/3/permissionscheme", (c) => {
    const state = c.get("sim").state;
    const base = restBase(c);
    const expand = new Set(queryList(c, "expand"));
    return c.json({
      permissionSchemes: state.tenant.jira.permissionSchemes.map((s) => renderScheme(state, s, base, expand)),
    });
  });

  app.get("/rest/api/3/permissionscheme/:schemeId", (c) => {
    const state = c.get("sim").state;
    const scheme = findScheme(state, c.req.param("schemeId"));
    if (!scheme) return schemeNotFound(c, c.req.param("schemeId"));
    return c.json(renderScheme(state, scheme, restBase(c), new Set(queryList(c, "expand"))));
  });

  app.get("/rest/api/3/permissionscheme/:schemeId/permission", (c) => {
    const state = c.get("sim").state;
    const scheme = findScheme(state, c.req.param("schemeId"));
    if (!scheme) return schemeNotFound(c, c.req.param("schemeId"));
    return c.json({ expand: SCHEME_EXPAND, permissions: renderGrants(state, scheme, restBase(c)) });
  });

  app.get("/rest/api/3/permissionscheme/:schemeId/permission/:permissionId", (c) => {
    const state = c.get("sim").state;
    const scheme = findScheme(state, c.req.param("schemeId"));
    if (!scheme) return schemeNotFound(c, c.req.param("schemeId"));
    const raw = c.req.param("permissionId");
    const grant = scheme.grants.find((g) => String(g.id) === raw);
    const rendered = grant ? renderGrant(state, grant, restBase(c)) : null;
    if (!rendered) return jiraError(c, 404, `A permission grant with ID '${raw}' does not exist in the scheme.`);
    return c.json(rendered);
  });

  app.get("/rest/api/3/project/:projectKeyOrId/permissionscheme", (c) => {
    const state = c.get("sim").state;
    const idOrKey = c.req.param("projectKeyOrId");
    const project = findProject(state, idOrKey);
    const access = callerAccess(c);
    if (!project || !access.canView(project)) return projectNotFound(c, idOrKey);
    // "Administer Jira global permission or Administer projects project permission."
    if (!access.canAdminister(project)) {
      return jiraError(c, 403, "You do not have permission to view the configuration of this project.");
    }
    const scheme = state.tenant.jira.permissionSchemes.find((s) => s.id === project.permissionSchemeId);
    if (!scheme) return jiraError(c, 404, `The project '${project.key}' has no permission scheme.`);
    return c.json(renderScheme(state, scheme, restBase(c), new Set(queryList(c, "expand"))));
  });

  app.get("/rest/api/3/permissions", (c) =>
    c.json({ permissions: Object.fromEntries(PERMISSIONS.map((p) => [p.key, { ...p }])) }),
  );

  app.get("/rest/api/3/mypermissions", (c) => {
    const state = c.get("sim").state;
    const keys = queryList(c, "permissions");
    if (keys.length === 0) return jiraError(c, 400, "The 'permissions' query parameter is required.");
    const unknown = keys.filter((k) => !PERMISSIONS_BY_KEY.has(k));
    if (unknown.length > 0) {
      return c.json(
        { errorMessages: [], errors: Object.fromEntries(unknown.map((k) => [k, "Unrecognized permission"])) },
        400,
      );
    }
    if (c.req.query("issueKey") || c.req.query("issueId")) {
      // The tenant has no issues.
      return jiraError(c, 404, "Issue does not exist or you do not have permission to see it.");
    }
    const access = callerAccess(c);
    const idOrKey = c.req.query("projectKey") || c.req.query("projectId");
    let project: JiraProject | undefined;
    if (idOrKey) {
      project = findProject(state, idOrKey);
      if (!project || !access.canView(project)) return projectNotFound(c, idOrKey);
    }
    const projects = state.tenant.jira.projects;
    const result: Record<string, unknown> = {};
    for (const key of keys) {
      const def = PERMISSIONS_BY_KEY.get(key);
      if (!def) continue;
      const have =
        def.type === "GLOBAL"
          ? access.globalPermissions().has(key)
          : project
            ? access.has(project, key)
            : inAnyProject(access, projects, key);
      result[key] = { ...def, havePermission: have };
    }
    return c.json({ permissions: result });
  });

  app.post("/rest/api/3/permissions/check", async (c) => {
    const state = c.get("sim").state;
    const body = (await jsonObject(c)) ?? {};
    const caller = callerAccess(c);
    const accountId = typeof body.accountId === "string" && body.accountId ? body.accountId : undefined;
    if (accountId && accountId !== caller.accountId && !caller.jiraAdmin) {
      return jiraError(c, 403, "Only Jira administrators can perform this operation.");
    }
    const access = accountId && accountId !== caller.accountId ? new JiraAccess(state, accountId) : caller;
    const globals = Array.isArray(body.globalPermissions) ? body.globalPermissions.map(String) : [];
    const requests = Array.isArray(body.projectPermissions) ? (body.projectPermissions as unknown[]) : [];
    const errors: Record<string, string> = {};
    for (const k of globals) if (PERMISSIONS_BY_KEY.get(k)?.type !== "GLOBAL") errors[k] = "Unrecognized permission";
    const parsed: Array<{ permissions: string[]; projects: string[]; issues: number }> = [];
    for (const raw of requests) {
      const r = (raw ?? {}) as Record<string, unknown>;
      const permissions = Array.isArray(r.permissions) ? r.permissions.map(String) : [];
      if (permissions.length === 0) {
        return jiraError(c, 400, "At least one project permission must be provided in projectPermissions.");
      }
      for (const k of permissions)
        if (PERMISSIONS_BY_KEY.get(k)?.type !== "PROJECT") errors[k] = "Unrecognized permission";
      const projects = Array.isArray(r.projects) ? r.projects.map(String) : [];
      const issues = Array.isArray(r.issues) ? r.issues.length : 0;
      if (projects.length > CHECK_MAX_IDS || issues > CHECK_MAX_IDS) {
        return jiraError(c, 400, `At most ${CHECK_MAX_IDS} projects and ${CHECK_MAX_IDS} issues can be checked.`);
      }
      parsed.push({ permissions, projects, issues });
    }
    if (Object.keys(errors).length > 0) return c.json({ errorMessages: [], errors }, 400);
    const all = state.tenant.jira.projects;
    const byId = new Map(all.map((p) => [p.id, p]));
    // One entry per permission, merging the requests that name it (the response lists are `uniqueItems`).
    const granted = new Map<string, Set<number>>();
    for (const r of parsed) {
      // Without explicit projects or issues, Jira answers for every project; unknown ids are dropped.
      const scope = r.projects.length > 0 ? r.projects.flatMap((id) => byId.get(id) ?? []) : r.issues > 0 ? [] : all;
      for (const permission of r.permissions) {
        const ids = granted.get(permission) ?? new Set<number>();
        for (const p of scope) if (!p.archived && access.has(p, permission)) ids.add(Number(p.id));
        granted.set(permission, ids);
      }
    }
    const held = access.globalPermissions();
    return c.json({
      globalPermissions: [...new Set(globals)].filter((k) => held.has(k)),
      // The tenant has no issues, so no issue ids are ever granted.
      projectPermissions: [...granted].map(([permission, ids]) => ({ permission, projects: [...ids], issues: [] })),
    });
  });

  return app;
}
