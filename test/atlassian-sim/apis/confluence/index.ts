/**
 * The Confluence Cloud REST APIs under the site host: v2 (`/wiki/api/v2`, cursor pages) and v1 (`/wiki/rest/api`,
 * start/limit pages), over the same tenant as every other simulated API.
 */
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { registerV1Groups } from "./v1-groups.js";
import { registerV1Spaces } from "./v1-spaces.js";
import { registerV1Users } from "./v1-users.js";
import { registerV2Roles } from "./v2-roles.js";
import { registerV2Spaces } from "./v2-spaces.js";
import { registerV2Users } from "./v2-users.js";

/** The Confluence routes, registered with their full paths (`/wiki/...`). */
export function confluenceApi(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  registerV2Spaces(app);
  registerV2Roles(app);
  registerV2Users(app);
  registerV1Groups(app);
  registerV1Users(app);
  registerV1Spaces(app);
  return app;
}
