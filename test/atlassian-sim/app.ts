/**
 * The simulator's HTTP application: every simulated Atlassian API mounted under the prefix that stands for its
 * host, each behind the same chain — request log, latency and faults, rate limit, authentication.
 *
 *   /admin-api      api.atlassian.com   (Admin `/admin/v1|v2`, user management `/users`, SCIM `/scim`)
 *   /site           <site>.atlassian.net (Jira `/rest/api/3`, Confluence `/wiki/api/v2` and `/wiki/rest/api`)
 *   /bitbucket-api  api.bitbucket.org   (`/2.0`, `/1.0/groups`)
 *   /bitbucket      bitbucket.org       (`/site/oauth2/access_token`)
 *   /_sim           control endpoints (request log, limits, faults, ground truth)
 */

import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { matchedRoutes } from "hono/route";
import { adminApi } from "./apis/admin.js";
import { bitbucketApi } from "./apis/bitbucket.js";
import { bitbucketOAuthApi } from "./apis/bitbucket-oauth.js";
import { confluenceApi } from "./apis/confluence.js";
import { jiraApi } from "./apis/jira.js";
import { scimApi } from "./apis/scim.js";
import { userManagementApi } from "./apis/user-management.js";
import type { SimContext } from "./context.js";
import { controlApi } from "./control.js";
import { authFor } from "./http/auth.js";
import type { ApiName, SimEnv } from "./http/env.js";
import { foreignNext, slowBody, statusFault, truncateBody } from "./http/faults.js";

interface Mount {
  api: ApiName;
  /** The prefix standing for the API's host. */
  host: string;
  /** The API's own path prefix under that host. */
  prefix: string;
  routes: () => Hono<SimEnv>;
}

/** Base paths of the simulated hosts, relative to the simulator's origin. */
export const HOST_PREFIXES = {
  adminApi: "/admin-api",
  site: "/site",
  bitbucketApi: "/bitbucket-api",
  bitbucket: "/bitbucket",
} as const;

const MOUNTS: Mount[] = [
  { api: "admin", host: HOST_PREFIXES.adminApi, prefix: "/admin", routes: adminApi },
  { api: "user-management", host: HOST_PREFIXES.adminApi, prefix: "/users", routes: userManagementApi },
  { api: "scim", host: HOST_PREFIXES.adminApi, prefix: "/scim", routes: scimApi },
  { api: "jira", host: HOST_PREFIXES.site, prefix: "/rest", routes: jiraApi },
  { api: "confluence", host: HOST_PREFIXES.site, prefix: "/wiki", routes: confluenceApi },
  { api: "bitbucket-oauth", host: HOST_PREFIXES.bitbucket, prefix: "/site/oauth2", routes: bitbucketOAuthApi },
  { api: "bitbucket", host: HOST_PREFIXES.bitbucketApi, prefix: "", routes: bitbucketApi },
];

/**
 * The route template an API module registered for this request, without the host prefix: the first matching
 * handler in registration order, which is the one Hono lets answer (e.g. `/project/search` before
 * `/project/:projectIdOrKey`).
 */
function routeOf(c: Context, host: string): string {
  for (const r of matchedRoutes(c)) {
    if (r.method !== "ALL") return r.path.startsWith(host) ? r.path.slice(host.length) || "/" : r.path;
  }
  return "(unmatched)";
}

/** Log, latency, faults and rate limit for one API, wrapped around its handlers. */
function chain(mount: Mount): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    const sim = c.get("sim");
    const route = routeOf(c, mount.host);
    const method = c.req.method;
    c.set("api", mount.api);
    const url = new URL(c.req.url);
    let reset = false;
    try {
      const delay = sim.faults.delayFor(mount.api, route);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const fault = sim.faults.pick(mount.api, method, route);
      if (fault?.kind === "reset") {
        reset = true;
        resetConnection(c);
      }
      if (fault?.kind === "status") {
        c.res = statusFault(c, mount.api, fault);
        return;
      }
      const limited = sim.limiter.check(c, mount.api, method, route);
      if (limited) {
        c.res = limited;
        return;
      }
      await next();
      if (fault?.kind === "truncate") c.res = await truncateBody(c.res);
      if (fault?.kind === "slow-body") c.res = await slowBody(c.res, fault.slowBodyMs ?? 2000);
      if (fault?.kind === "foreign-next") c.res = await foreignNext(c.res, url.origin);
    } finally {
      const status = reset ? 0 : c.res.status;
      const bytes = reset || !c.res.body ? 0 : await bodySize(c.res);
      sim.log.record({ api: mount.api, method, route, url: `${url.pathname}${url.search}`, status, bytes });
    }
  };
}

/** Size of a response body as it will be sent; streaming (slow) bodies are not read here. */
async function bodySize(res: Response): Promise<number> {
  const declared = res.headers.get("content-length");
  if (declared) return Number(declared);
  if (res.body instanceof ReadableStream && !res.headers.get("content-type")?.includes("json")) return 0;
  return (await res.clone().arrayBuffer()).byteLength;
}

/** Drops the TCP connection (node server), or fails the in-process request as a network error would. */
function resetConnection(c: Context): never {
  const incoming = (c.env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming;
  incoming?.socket?.destroy();
  throw new TypeError("fetch failed", { cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) });
}

/** Builds the simulator's Hono application around a context. */
export function createSimApp(sim: SimContext): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  app.use("*", async (c, next) => {
    c.set("sim", sim);
    await next();
  });
  for (const m of MOUNTS) {
    const base = `${m.host}${m.prefix}`;
    app.use(`${base}/*`, chain(m), authFor(m.api));
    app.route(m.host, m.routes());
  }
  app.route("/_sim", controlApi());
  app.onError((err, c) => {
    if (err instanceof TypeError && (err.cause as { code?: string } | undefined)?.code === "ECONNRESET") throw err;
    console.error("simulator error", c.req.method, c.req.path, err);
    return c.json({ message: "Internal simulator error" }, 500);
  });
  return app;
}

/** Every route the simulated APIs serve, as `(api, method, route)` with the route relative to its host. */
export function listServedRoutes(): Array<{ api: ApiName; method: string; route: string }> {
  const out: Array<{ api: ApiName; method: string; route: string }> = [];
  for (const m of MOUNTS) {
    for (const r of m.routes().routes) {
      if (r.method === "ALL") continue;
      out.push({ api: m.api, method: r.method, route: r.path });
    }
  }
  const seen = new Set<string>();
  return out.filter((r) => {
    const key = `${r.api} ${r.method} ${r.route}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
