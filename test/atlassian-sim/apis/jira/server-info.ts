/**
 * `GET /rest/api/3/serverInfo`: what Jira Cloud says about itself. The version and build are those of the Jira
 * Cloud release the vendored specification was generated from (`info.version` 1001.0.0-SNAPSHOT-96fbf6fa); the
 * base URL is the simulated site as the client reaches it. Spec: jira-platform-swagger-v3, group "Server info".
 */
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { jiraTimestamp, siteBase } from "./common.js";

const VERSION = "1001.0.0-SNAPSHOT";
const SCM_INFO = "96fbf6fa";
const BUILD_NUMBER = 100_291;

/** Routes for Jira server information. */
export function serverInfoRoutes(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  app.get("/rest/api/3/serverInfo", (c) => {
    const state = c.get("sim").state;
    const baseUrl = siteBase(c);
    return c.json({
      baseUrl,
      displayUrl: baseUrl,
      version: VERSION,
      versionNumbers: [1001, 0, 0],
      deploymentType: "Cloud",
      buildNumber: BUILD_NUMBER,
      buildDate: jiraTimestamp(new Date(state.tenant.generatedAt)),
      serverTime: jiraTimestamp(new Date()),
      scmInfo: SCM_INFO,
      serverTitle: state.site.name,
      serverTimeZone: "Etc/UTC",
    });
  });
  return app;
}
