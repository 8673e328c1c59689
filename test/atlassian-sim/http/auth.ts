/**
 * Authentication per API, as the real ones do it: Admin and user management take the org API key as a Bearer token,
 * SCIM a directory key, Jira and Confluence Basic `email:api_token`, Bitbucket a Bearer access token from the OAuth
 * token endpoint. Failures return each API's own 401 body. Privileges are attached to the context for the handlers.
 *
 * One simulator-only scheme stands in for Forge's product proxy acting as a user (`asUser()`), for tests of the
 * Forge app: `Authorization: SimForgeUser <token> <accountId>`, accepted by Jira and Confluence only while
 * `SimContext.forgeUserProxyToken` is set and matches. The caller is then that account, with the privileges the
 * tenant gives it (`forgeUserCaller`). The Basic path is unchanged.
 */
import { timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { SimContext } from "../context.js";
import type { ApiName, ProductCaller, SimEnv } from "./env.js";
import {
  adminProxyError,
  bitbucketError,
  confluenceV1Error,
  confluenceV2Error,
  jiraError,
  scimAuthFailure,
} from "./errors.js";

/** Constant-time string comparison. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function bearer(c: Context): string | null {
  const h = c.req.header("authorization") ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1] ?? null;
}

/** Parses `Authorization: Basic base64(user:password)`. */
export function basicCredentials(c: Context): { user: string; password: string } | null {
  const h = c.req.header("authorization") ?? "";
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(h);
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const i = decoded.indexOf(":");
  if (i < 0) return null;
  return { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/**
 * The caller behind a `SimForgeUser` credential, or null when the request does not use the scheme (or the stand-in
 * is off, or the token is wrong). Privileges come from the tenant: site admins are the members of the Jira or
 * Confluence site-admin groups; Browse users and groups follows the default configuration (every user with Jira or
 * Confluence, except the limited product user). Suspended and inactive accounts cannot sign in.
 */
export function forgeUserCaller(c: Context, sim: SimContext): ProductCaller | null {
  const expected = sim.forgeUserProxyToken;
  const m = /^SimForgeUser\s+(\S+)\s+(\S+)$/.exec(c.req.header("authorization") ?? "");
  if (!expected || !m?.[1] || !m[2] || !safeEqual(m[1], expected)) return null;
  const state = sim.state;
  const account = state.accountsById.get(m[2]);
  if (account?.status !== "active" || account.suspended) return null;
  const groups = new Set(state.groupIdsOf(account.accountId));
  const siteAdminGroups = [...state.tenant.jira.siteAdminGroups, ...state.tenant.confluence.siteAdminGroups];
  const siteAdmin = siteAdminGroups.some((g) => groups.has(g));
  const limited = state.tenant.credentials.limitedProductUser.accountId === account.accountId;
  const hasSiteProduct = state.hasProduct(account, "jira-software") || state.hasProduct(account, "confluence");
  return { accountId: account.accountId, browseUsers: !limited && (hasSiteProduct || siteAdmin), siteAdmin };
}

/** The authentication middleware for one API. */
export function authFor(api: ApiName): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    const sim = c.get("sim");
    const creds = sim.state.tenant.credentials;
    switch (api) {
      case "admin":
      case "user-management": {
        const key = bearer(c);
        if (key && safeEqual(key, creds.adminApiKey)) c.set("adminKeyScoped", false);
        else if (key && safeEqual(key, creds.scopedAdminApiKey)) c.set("adminKeyScoped", true);
        // The user-management API documents its own 401 body, `{"key":"unauthorized"}`.
        else if (api === "user-management") return c.json({ key: "unauthorized" }, 401);
        else return adminProxyError(c, 401, "Unauthorized");
        break;
      }
      case "scim": {
        const key = bearer(c);
        if (!key || !safeEqual(key, creds.scimToken)) return scimAuthFailure(c, 401, "Unauthorized");
        break;
      }
      case "jira":
      case "confluence": {
        const forgeUser = forgeUserCaller(c, sim);
        if (forgeUser) {
          c.set("productCaller", forgeUser);
          break;
        }
        const basic = basicCredentials(c);
        const users = [
          { ...creds.productUser, browseUsers: true, siteAdmin: true },
          { ...creds.limitedProductUser, browseUsers: false, siteAdmin: false },
        ];
        const match = basic
          ? users.find((u) => u.email.toLowerCase() === basic.user.toLowerCase() && safeEqual(u.token, basic.password))
          : undefined;
        const account = match ? sim.state.accountsById.get(match.accountId) : undefined;
        if (!match || !account || account.status !== "active") {
          if (api === "jira") return jiraError(c, 401, "Client must be authenticated to access this resource.");
          return c.req.path.includes("/wiki/rest/api/")
            ? confluenceV1Error(c, 401, "This request requires authentication.")
            : confluenceV2Error(c, 401, "UNAUTHORIZED", "Unauthorized; scope does not match");
        }
        c.set("productCaller", {
          accountId: match.accountId,
          browseUsers: match.browseUsers,
          siteAdmin: match.siteAdmin,
        });
        break;
      }
      case "bitbucket": {
        const token = bearer(c);
        const found = token ? sim.bitbucketTokens.lookup(token) : "unknown";
        if (found === "expired") return bitbucketError(c, 401, "Access token expired.");
        if (found === "unknown")
          return bitbucketError(c, 401, "Unauthorized", "Token is invalid or not supported for this endpoint.");
        const admin = found.consumerKey === creds.bitbucketAdminConsumer.key;
        const owner = admin
          ? (sim.state.tenant.bitbucket.members.find((m) => m.permission === "owner")?.accountId ?? "")
          : creds.bitbucketMemberConsumer.ownerAccountId;
        c.set("bitbucketCaller", { consumerKey: found.consumerKey, ownerAccountId: owner, admin });
        break;
      }
      case "bitbucket-oauth":
        break;
    }
    await next();
  };
}
