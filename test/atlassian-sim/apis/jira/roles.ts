/**
 * Jira project roles: the role map and role details of a project, the actors of a role in a project (read, add,
 * replace, remove), and the global role list. Role-actor writes go through `SimState.setJiraRoleActors`.
 * Spec: jira-platform-swagger-v3, groups "Project roles" and "Project role actors".
 */
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { jiraError } from "../../http/errors.js";
import type { JiraProject, JiraRole, JiraRoleActors } from "../../tenant/model.js";
import type { JiraAccess } from "./access.js";
import {
  callerAccess,
  conflictResponse,
  findProject,
  findRole,
  type JiraContext,
  jsonObject,
  projectNotFound,
  queryBool,
  restBase,
  stringArray,
} from "./common.js";
import { renderProjectRole } from "./render.js";

const NOT_ADMIN = "You cannot edit the configuration of this project.";
const JIRA_ADMIN_REQUIRED = "You are not authorized to perform this action. Administrator privileges are required.";

type Resolved = { project: JiraProject; role: JiraRole; access: JiraAccess } | { error: Response };

/**
 * Resolves `:projectIdOrKey` and `:id` for the caller. A project the caller cannot see is "not found"; one it may
 * see but not administer answers `deniedStatus` (the spec documents 404 for reads and deletes, 401 for POST/PUT).
 */
function resolve(c: JiraContext, deniedStatus: 401 | 404): Resolved {
  const state = c.get("sim").state;
  const idOrKey = c.req.param("projectIdOrKey") ?? "";
  const project = findProject(state, idOrKey);
  const access = callerAccess(c);
  if (!project || !access.canView(project)) return { error: projectNotFound(c, idOrKey) };
  if (!access.canAdminister(project)) return { error: jiraError(c, deniedStatus, NOT_ADMIN) };
  const role = findRole(state, c.req.param("id") ?? "");
  if (!role) return { error: jiraError(c, 404, `Could not find project role with id '${c.req.param("id")}'.`) };
  return { project, role, access };
}

function actorsOf(project: JiraProject, role: JiraRole): JiraRoleActors {
  return project.roleActors[String(role.id)] ?? { users: [], groups: [] };
}

/**
 * Group ids from names or ids (the `ActorsMap` `group` and `groupId` fields cannot be combined); account ids must
 * exist. Returns an error response for the first unknown principal, as Jira does ("the user or group is not found").
 * When adding (`adding` lists the role's current users), a user who is not an actor yet must be active: the spec
 * answers 404 when "the group or user is not active".
 */
function principals(
  c: JiraContext,
  users: string[],
  groupNames: string[],
  groupIds: string[],
  adding?: readonly string[],
): { users: string[]; groups: string[] } | { error: Response } {
  const state = c.get("sim").state;
  if (groupNames.length > 0 && groupIds.length > 0) {
    return { error: jiraError(c, 400, "You cannot specify both group names and group IDs.") };
  }
  for (const u of users) {
    const a = state.accountsById.get(u);
    if (!a) return { error: jiraError(c, 404, `The user with account ID '${u}' does not exist.`) };
    if (adding && a.status !== "active" && !adding.includes(u)) {
      return { error: jiraError(c, 404, `The user with account ID '${u}' is not active.`) };
    }
  }
  const groups: string[] = [];
  for (const name of groupNames) {
    const g = state.groupsByName.get(name.toLowerCase());
    if (!g) return { error: jiraError(c, 404, `The group '${name}' does not exist.`) };
    groups.push(g.groupId);
  }
  for (const id of groupIds) {
    if (!state.groupsById.has(id)) return { error: jiraError(c, 404, `The group with ID '${id}' does not exist.`) };
    groups.push(id);
  }
  return { users, groups };
}

/** Routes for Jira project roles. */
export function rolesRoutes(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  app.get("/rest/api/3/project/:projectIdOrKey/role", (c) => {
    const state = c.get("sim").state;
    const idOrKey = c.req.param("projectIdOrKey");
    const project = findProject(state, idOrKey);
    const access = callerAccess(c);
    if (!project || !access.canView(project) || !access.canAdminister(project)) return projectNotFound(c, idOrKey);
    const base = restBase(c);
    return c.json(
      Object.fromEntries(state.tenant.jira.roles.map((r) => [r.name, `${base}/project/${project.id}/role/${r.id}`])),
    );
  });

  app.get("/rest/api/3/project/:projectIdOrKey/roledetails", (c) => {
    const state = c.get("sim").state;
    const idOrKey = c.req.param("projectIdOrKey");
    const project = findProject(state, idOrKey);
    const access = callerAccess(c);
    if (!project || !access.canView(project)) return projectNotFound(c, idOrKey);
    const currentMember = queryBool(c, "currentMember");
    const base = restBase(c);
    const scheme = state.tenant.jira.permissionSchemes.find((s) => s.id === project.permissionSchemeId);
    // `admin`: the role is granted Administer Projects by the project's permission scheme.
    const adminRoles = new Set(
      (scheme?.grants ?? [])
        .filter((g) => g.permission === "ADMINISTER_PROJECTS" && g.holder.type === "projectRole")
        .map((g) => g.holder.value ?? g.holder.parameter),
    );
    const roles = state.tenant.jira.roles.filter((r) => !currentMember || access.inRole(project, String(r.id)));
    return c.json(
      roles.map((r) => ({
        self: `${base}/project/${project.id}/role/${r.id}`,
        name: r.name,
        id: r.id,
        description: r.description,
        admin: adminRoles.has(String(r.id)),
        default: false,
        roleConfigurable: true,
        translatedName: r.name,
        type: "DEFAULT",
      })),
    );
  });

  app.get("/rest/api/3/project/:projectIdOrKey/role/:id", (c) => {
    const r = resolve(c, 404);
    if ("error" in r) return r.error;
    const ctx = { base: restBase(c), browseUsers: r.access.browseUsers };
    const state = c.get("sim").state;
    return c.json(renderProjectRole(state, r.project, r.role, ctx, queryBool(c, "excludeInactiveUsers")));
  });

  // Add actors: body `ActorsMap {user[], group[] | groupId[]}`; returns the role with all its actors.
  app.post("/rest/api/3/project/:projectIdOrKey/role/:id", async (c) => {
    const r = resolve(c, 401);
    if ("error" in r) return r.error;
    const body = await jsonObject(c);
    const users = stringArray(body?.user);
    const groupNames = stringArray(body?.group);
    const groupIds = stringArray(body?.groupId);
    if (!body || !users || !groupNames || !groupIds) {
      return jiraError(c, 400, "The request body must be an object with the arrays 'user', 'group' or 'groupId'.");
    }
    if (users.length + groupNames.length + groupIds.length === 0) {
      return jiraError(c, 400, "You must specify at least one user or group to add.");
    }
    const current = actorsOf(r.project, r.role);
    const add = principals(c, users, groupNames, groupIds, current.users);
    if ("error" in add) return add.error;
    return applyActors(c, r, { users: [...current.users, ...add.users], groups: [...current.groups, ...add.groups] });
  });

  // Replace actors: body `ProjectRoleActorsUpdateBean {categorisedActors: {<actor type>: [...]}}`.
  app.put("/rest/api/3/project/:projectIdOrKey/role/:id", async (c) => {
    const r = resolve(c, 401);
    if ("error" in r) return r.error;
    const body = await jsonObject(c);
    const categorised = body?.categorisedActors;
    if (!categorised || typeof categorised !== "object" || Array.isArray(categorised)) {
      return jiraError(c, 400, "The request body must contain 'categorisedActors'.");
    }
    const map = categorised as Record<string, unknown>;
    const known = ["atlassian-user-role-actor", "atlassian-group-role-actor", "atlassian-group-role-actor-id"];
    const unknownType = Object.keys(map).find((k) => !known.includes(k));
    if (unknownType) return jiraError(c, 400, `Unknown role actor type '${unknownType}'.`);
    const users = stringArray(map["atlassian-user-role-actor"]);
    const groupNames = stringArray(map["atlassian-group-role-actor"]);
    const groupIds = stringArray(map["atlassian-group-role-actor-id"]);
    if (!users || !groupNames || !groupIds) return jiraError(c, 400, "Each role actor type must list strings.");
    const next = principals(c, users, groupNames, groupIds, actorsOf(r.project, r.role).users);
    if ("error" in next) return next.error;
    return applyActors(c, r, next);
  });

  // Remove one actor: `?user=` or `?group=` or `?groupId=`; removing a principal that is not an actor is a no-op.
  app.delete("/rest/api/3/project/:projectIdOrKey/role/:id", (c) => {
    const r = resolve(c, 404);
    if ("error" in r) return r.error;
    const user = c.req.query("user");
    const group = c.req.query("group");
    const groupId = c.req.query("groupId");
    if ([user, group, groupId].filter((v) => v).length !== 1) {
      return jiraError(c, 400, "Specify exactly one of the query parameters 'user', 'group' or 'groupId'.");
    }
    const target = principals(c, user ? [user] : [], group ? [group] : [], groupId ? [groupId] : []);
    if ("error" in target) return target.error;
    const current = actorsOf(r.project, r.role);
    const removeUsers = new Set(target.users);
    const removeGroups = new Set(target.groups);
    const res = applyActors(c, r, {
      users: current.users.filter((u) => !removeUsers.has(u)),
      groups: current.groups.filter((g) => !removeGroups.has(g)),
    });
    return res.status === 200 ? c.body(null, 204) : res;
  });

  app.get("/rest/api/3/role", (c) => {
    if (!callerAccess(c).jiraAdmin) return jiraError(c, 403, JIRA_ADMIN_REQUIRED);
    const base = restBase(c);
    // The tenant defines no default actors for roles, so each role's (default) actor list is empty.
    return c.json(
      c.get("sim").state.tenant.jira.roles.map((r) => ({
        self: `${base}/role/${r.id}`,
        name: r.name,
        id: r.id,
        description: r.description,
        actors: [],
      })),
    );
  });

  app.get("/rest/api/3/role/:id", (c) => {
    if (!callerAccess(c).jiraAdmin) return jiraError(c, 403, JIRA_ADMIN_REQUIRED);
    const role = findRole(c.get("sim").state, c.req.param("id"));
    if (!role) return jiraError(c, 404, `Could not find project role with id '${c.req.param("id")}'.`);
    return c.json({
      self: `${restBase(c)}/role/${role.id}`,
      name: role.name,
      id: role.id,
      description: role.description,
      actors: [],
    });
  });

  return app;
}

/** Stores the new actors and answers the role as Jira does after a change (200 with the complete actor list). */
function applyActors(
  c: JiraContext,
  r: { project: JiraProject; role: JiraRole; access: JiraAccess },
  actors: JiraRoleActors,
): Response {
  const state = c.get("sim").state;
  try {
    state.setJiraRoleActors(r.project.id, r.role.id, actors, c.get("productCaller").accountId);
  } catch (err) {
    return conflictResponse(c, err);
  }
  const ctx = { base: restBase(c), browseUsers: r.access.browseUsers };
  return c.json(renderProjectRole(state, r.project, r.role, ctx), 200);
}
