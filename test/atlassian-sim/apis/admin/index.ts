/**
 * The simulated Admin API (`api.atlassian.com/admin`), as the admin-organization specification describes it:
 * v1 organizations, managed accounts, domains, audit log and org-admin roles; v2 directories, users, groups and
 * workspaces; and the switched-off v1 lifecycle and search endpoints behind `SimContext.adminV1Legacy`.
 */
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { eventsRoutes } from "./events.js";
import { groupsV2Routes } from "./groups-v2.js";
import { legacyV1Routes } from "./legacy-v1.js";
import { orgsV1Routes } from "./orgs-v1.js";
import { usersV2Routes } from "./users-v2.js";
import { workspacesRoutes } from "./workspaces.js";

/** The Admin API's routes, registered with their full path under the api.atlassian.com host. */
export function adminApi(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  // Legacy first: `POST /v1/orgs/:orgId/users/search` must not be read as a user id by any later route.
  app.route("/", legacyV1Routes());
  app.route("/", orgsV1Routes());
  app.route("/", eventsRoutes());
  app.route("/", usersV2Routes());
  app.route("/", groupsV2Routes());
  app.route("/", workspacesRoutes());
  return app;
}
