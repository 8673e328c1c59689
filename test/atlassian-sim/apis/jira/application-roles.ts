/**
 * Jira application roles (product licences): `GET /applicationrole` and `GET /applicationrole/{key}`, with the
 * role's groups by name and by id, its default groups and its seat counts. Jira admins only.
 * Spec: jira-platform-swagger-v3, group "Application roles".
 */
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { jiraError } from "../../http/errors.js";
import { callerAccess, restBase } from "./common.js";
import { renderApplicationRole } from "./render.js";

const ADMIN_REQUIRED = "You are not authorized to perform this action. Administrator privileges are required.";

/** Routes for Jira application roles. */
export function applicationRolesRoutes(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  app.get("/rest/api/3/applicationrole", (c) => {
    if (!callerAccess(c).jiraAdmin) return jiraError(c, 403, ADMIN_REQUIRED);
    const state = c.get("sim").state;
    const base = restBase(c);
    return c.json(state.tenant.jira.applicationRoles.map((r) => renderApplicationRole(state, r, base)));
  });

  app.get("/rest/api/3/applicationrole/:key", (c) => {
    if (!callerAccess(c).jiraAdmin) return jiraError(c, 403, ADMIN_REQUIRED);
    const state = c.get("sim").state;
    const key = c.req.param("key");
    const role = state.tenant.jira.applicationRoles.find((r) => r.key === key);
    if (!role) return jiraError(c, 404, `The application role with key '${key}' does not exist.`);
    return c.json(renderApplicationRole(state, role, restBase(c)));
  });

  return app;
}
