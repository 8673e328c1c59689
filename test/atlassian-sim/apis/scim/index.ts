/**
 * The Atlassian User Provisioning (SCIM 2.0) API of the simulator, under `/scim/directory/{directoryId}` on
 * api.atlassian.com (spec admin-user-provisioning-swagger.v3.json, reference §2.3). Authentication (the directory's
 * Bearer key, 401 `Failure` body) is applied by the app before these handlers run.
 */
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { scimError } from "../../http/errors.js";
import { SimConflict } from "../../state.js";
import { ScimProblem } from "./common.js";
import {
  RESOURCE_TYPE,
  RESOURCE_TYPES,
  registerDiscovery,
  SCHEMA,
  SCHEMAS,
  SERVICE_PROVIDER_CONFIG,
} from "./discovery.js";
import { GROUP, GROUPS, registerGroups } from "./groups.js";
import { registerUsers, USER, USERS } from "./users.js";

/** Each served path and the methods it allows; any other method answers 405 (RFC 7644 §3.12). */
const ALLOWED: ReadonlyArray<[string, string]> = [
  [USERS, "GET, POST"],
  [USER, "GET, PUT, PATCH, DELETE"],
  [GROUPS, "GET, POST"],
  [GROUP, "GET, PUT, PATCH, DELETE"],
  [SERVICE_PROVIDER_CONFIG, "GET"],
  [RESOURCE_TYPES, "GET"],
  [RESOURCE_TYPE, "GET"],
  [SCHEMAS, "GET"],
  [SCHEMA, "GET"],
];

/** Builds the SCIM routes. */
export function scimApi(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  // A directory other than the key's: the spec documents 404 "The directory … does not exist" with a ScimError.
  app.use("/scim/directory/:directoryId/*", async (c, next) => {
    if (c.req.param("directoryId") !== c.get("sim").state.directoryId) {
      return scimError(c, 404, `Directory ${c.req.param("directoryId")} does not exist`);
    }
    await next();
  });

  registerUsers(app);
  registerGroups(app);
  registerDiscovery(app);

  // Registered after the real handlers, so they only answer the methods no handler took.
  for (const [path, allow] of ALLOWED) {
    app.all(path, (c) => {
      c.header("Allow", allow);
      return scimError(c, 405, `Method ${c.req.method} is not supported on this endpoint`);
    });
  }
  // Unknown SCIM endpoints (e.g. `/Bulk`, `/Me`, `/.search`: Atlassian supports none) answer a SCIM 404.
  app.all("/scim/*", (c) => scimError(c, 404, `No SCIM endpoint at ${new URL(c.req.url).pathname}`));

  app.onError((err, c) => {
    if (err instanceof ScimProblem) return scimError(c, err.status, err.message, err.scimType);
    if (err instanceof SimConflict) {
      if (err.kind === "exists") return scimError(c, 409, err.message, "uniqueness");
      if (err.kind === "not-found") return scimError(c, 404, err.message);
      return scimError(c, 400, err.message, "invalidValue");
    }
    console.error("simulator SCIM error", c.req.method, c.req.path, err);
    return scimError(c, 500, "Internal error. You can retry calls.");
  });
  return app;
}
