/**
 * Rate limits with the headers each API publishes (`../shared/reference/atlassian-api.md` §3):
 * Jira/Confluence `X-RateLimit-*`, `X-RateLimit-NearLimit`, `RateLimit-Reason`, `Beta-RateLimit*`;
 * Admin `X-RateLimit-Reset` as ISO-8601; Bitbucket's hourly window with `X-RateLimit-Resource`.
 * Fixed windows on the real clock, because clients must actually wait them out.
 */
import type { Context } from "hono";
import type { ApiName } from "./env.js";
import { adminProxyError, bitbucketError, confluenceV2Error, jiraError, scimError } from "./errors.js";

export interface RateLimitRule {
  api: ApiName;
  /** A route template (as the API module registers it) to limit on its own; absent: the API's shared bucket. */
  route?: string;
  method?: string;
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
  /** Jira/Confluence `RateLimit-Reason`; a `*-quota-*` reason also emits the `Beta-RateLimit` headers. */
  reason?: string;
}

interface Window {
  start: number;
  used: number;
}

/** The state of every configured limit; `check` is called once per request before the handler. */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  rules: RateLimitRule[] = [];
  /** Number of 429s sent, per API. */
  readonly rejected = new Map<ApiName, number>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Counts the request; returns a 429 response when a limit is exhausted, else sets the headers and returns null. */
  check(c: Context, api: ApiName, method: string, route: string): Response | null {
    const now = this.clock();
    let tightest: { rule: RateLimitRule; win: Window } | null = null;
    for (const [i, rule] of this.rules.entries()) {
      if (rule.api !== api || (rule.route && rule.route !== route) || (rule.method && rule.method !== method)) continue;
      const key = String(i);
      let win = this.windows.get(key);
      if (!win || now >= win.start + rule.windowMs) {
        win = { start: now, used: 0 };
        this.windows.set(key, win);
      }
      if (win.used >= rule.limit) {
        this.rejected.set(api, (this.rejected.get(api) ?? 0) + 1);
        return this.reject(c, api, rule, win, now);
      }
      win.used += 1;
      if (!tightest || rule.limit - win.used < tightest.rule.limit - tightest.win.used) tightest = { rule, win };
    }
    if (tightest) this.setHeaders(c, api, tightest.rule, tightest.win, now);
    return null;
  }

  private setHeaders(c: Context, api: ApiName, rule: RateLimitRule, win: Window, now: number): void {
    const remaining = Math.max(0, rule.limit - win.used);
    c.header("X-RateLimit-Limit", String(rule.limit));
    c.header("X-RateLimit-Remaining", String(remaining));
    const resetAt = new Date(win.start + rule.windowMs);
    if (api === "admin" || api === "user-management") c.header("X-RateLimit-Reset", resetAt.toISOString());
    if (api === "bitbucket") c.header("X-RateLimit-Resource", rule.route ? `api:${rule.route}` : "api");
    if (remaining < rule.limit * 0.2) c.header("X-RateLimit-NearLimit", "true");
    if ((api === "jira" || api === "confluence") && rule.reason?.includes("quota")) {
      const windowSeconds = Math.round(rule.windowMs / 1000);
      c.header("Beta-RateLimit-Policy", `"global-app-quota";q=${rule.limit};w=${windowSeconds}`);
      if (win.used >= rule.limit * 0.8) {
        const t = Math.max(0, Math.ceil((win.start + rule.windowMs - now) / 1000));
        c.header("Beta-RateLimit", `"global-app-quota";r=${remaining};t=${t}`);
      }
    }
  }

  private reject(c: Context, api: ApiName, rule: RateLimitRule, win: Window, now: number): Response {
    const resetMs = win.start + rule.windowMs;
    const retryAfter = Math.max(1, Math.ceil((resetMs - now) / 1000));
    c.header("Retry-After", String(retryAfter));
    c.header("X-RateLimit-Limit", String(rule.limit));
    c.header("X-RateLimit-Remaining", "0");
    c.header("X-RateLimit-Reset", new Date(resetMs).toISOString());
    switch (api) {
      case "jira":
        c.header("RateLimit-Reason", rule.reason ?? "jira-burst-based");
        return jiraError(c, 429, "Rate limit exceeded.");
      case "confluence":
        c.header("RateLimit-Reason", rule.reason ?? "confluence-quota-tenant-based");
        return confluenceV2Error(c, 429, "TOO_MANY_REQUESTS", "Rate limit exceeded");
      case "admin":
      case "user-management":
        return adminProxyError(c, 429, "Rate limit exceeded");
      case "scim":
        return scimError(c, 429, "Too many requests");
      case "bitbucket":
      case "bitbucket-oauth":
        c.header("X-RateLimit-Resource", rule.route ? `api:${rule.route}` : "api");
        return bitbucketError(c, 429, "Rate limit for this resource has been exceeded");
    }
  }

  reset(): void {
    this.windows.clear();
    this.rejected.clear();
  }
}
