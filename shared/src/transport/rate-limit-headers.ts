/**
 * Reading Atlassian's rate-limit signals from response headers (reference §3; RFC 9110 §10.2.3 for Retry-After).
 * Pure functions: the governor decides what to do with them.
 */

/** A case-insensitive header lookup, as both undici and Forge responses provide. */
export interface HeaderSource {
  get(name: string): string | null;
}

/** Upper bound for any server-requested wait we honour, so a bogus header cannot park a sync for days. */
export const MAX_SERVER_WAIT_MS = 60 * 60 * 1000;

/**
 * Parses `Retry-After`: delta-seconds or an HTTP-date. Returns milliseconds in [0, MAX_SERVER_WAIT_MS], or
 * undefined for anything else (negative, NaN, garbage).
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) {
    const ms = Number(v) * 1000;
    return Number.isFinite(ms) ? Math.min(ms, MAX_SERVER_WAIT_MS) : undefined;
  }
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (!Number.isFinite(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_SERVER_WAIT_MS);
}

/** Parses `X-RateLimit-Reset` (ISO-8601 on Atlassian; epoch seconds tolerated) into a wait in ms from now. */
export function parseReset(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  let at: number;
  if (/^\d{9,11}$/.test(v)) at = Number(v) * 1000;
  else at = Date.parse(v);
  if (!Number.isFinite(at)) return undefined;
  return Math.min(Math.max(0, at - now), MAX_SERVER_WAIT_MS);
}

export interface RateLimitSignals {
  /** Server-requested wait before the next attempt (Retry-After, then X-RateLimit-Reset). */
  waitMs: number | undefined;
  /** `RateLimit-Reason`, e.g. `jira-quota-tenant-based` or `jira-burst-based`. */
  reason: string | null;
  /** The server says fewer than 20% of the budget remain (`X-RateLimit-NearLimit`, or `Beta-RateLimit` shown). */
  nearLimit: boolean;
  limit: number | undefined;
  remaining: number | undefined;
  /** Time until the current window resets, when stated. */
  resetMs: number | undefined;
}

function intHeader(h: HeaderSource, name: string): number | undefined {
  const v = h.get(name);
  if (v === null) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Reads every rate-limit signal a response carries. */
export function readRateLimitSignals(h: HeaderSource, now: number): RateLimitSignals {
  const retryAfter = parseRetryAfter(h.get("retry-after"), now);
  const resetMs = parseReset(h.get("x-ratelimit-reset"), now);
  const beta = h.get("beta-ratelimit");
  let betaReset: number | undefined;
  if (beta) {
    const t = /;\s*t=(\d+)/.exec(beta)?.[1];
    if (t) betaReset = Number(t) * 1000;
  }
  return {
    waitMs: retryAfter ?? resetMs,
    reason: h.get("ratelimit-reason"),
    nearLimit: h.get("x-ratelimit-nearlimit")?.toLowerCase() === "true" || beta !== null,
    limit: intHeader(h, "x-ratelimit-limit"),
    remaining: intHeader(h, "x-ratelimit-remaining"),
    resetMs: resetMs ?? betaReset,
  };
}

/** Whether a `RateLimit-Reason` names a quota (pause the whole product) rather than a burst (slow one endpoint). */
export function isQuotaReason(reason: string | null): boolean {
  return reason?.includes("quota") ?? false;
}
