/**
 * The simulated Jira Cloud platform REST API v3 (`https://<site>/rest/api/3`): users, groups, projects, project
 * roles, permission schemes and checks, application roles and server info, rendered from the shared tenant.
 * Routes carry their full path; app.ts mounts them under the site's host prefix after auth, limits and faults.
 */
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { applicationRolesRoutes } from "./application-roles.js";
import { groupsRoutes } from "./groups.js";
import { permissionsRoutes } from "./permissions.js";
import { projectsRoutes } from "./projects.js";
import { rolesRoutes } from "./roles.js";
import { serverInfoRoutes } from "./server-info.js";
import { usersRoutes } from "./users.js";

/** All Jira REST v3 routes. */
export function jiraApi(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  for (const routes of [
    usersRoutes,
    groupsRoutes,
    projectsRoutes,
    rolesRoutes,
    permissionsRoutes,
    applicationRolesRoutes,
    serverInfoRoutes,
  ]) {
    app.route("/", routes());
  }
  return app;
}
