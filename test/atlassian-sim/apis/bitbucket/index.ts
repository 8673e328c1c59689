/**
 * The simulated Bitbucket Cloud API on api.bitbucket.org: the 2.0 REST API (workspaces, members, projects,
 * repositories, explicit and effective permissions, branch restrictions, the caller) and the 1.0 groups API.
 * Authentication (OAuth Bearer tokens) is done by the app before these handlers run; `bitbucketCaller` names the
 * consumer and its owner.
 */
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { registerGroupsV1Routes } from "./groups-v1.js";
import { registerEffectivePermissionRoutes } from "./permissions.js";
import { registerPermissionsConfigRoutes } from "./permissions-config.js";
import { registerRepositoryRoutes } from "./repositories.js";
import { registerWorkspaceRoutes } from "./workspaces.js";

/** Routes of api.bitbucket.org, registered with their full paths (`/2.0/...`, `/1.0/groups/...`). */
export function bitbucketApi(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  registerWorkspaceRoutes(app);
  registerEffectivePermissionRoutes(app);
  registerRepositoryRoutes(app);
  registerPermissionsConfigRoutes(app);
  registerGroupsV1Routes(app);
  return app;
}
