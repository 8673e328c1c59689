/**
 * The simulator's request log: counters per API, route, method and status, plus a bounded ring of recent requests,
 * so tests and benchmarks can count calls and prove that a discovery sent no write.
 */
import type { ApiName } from "./env.js";

export interface LoggedRequest {
  seq: number;
  api: ApiName;
  method: string;
  /** The route template the request matched, e.g. `/rest/api/3/project/:projectIdOrKey/role`. */
  route: string;
  /** The concrete path and query. */
  url: string;
  status: number;
  /** True when the request changes state (any method but GET/HEAD, except the documented read-only POSTs). */
  write: boolean;
  /** Bytes of the response body as sent (0 for a reset connection). */
  bytes: number;
}

export interface RequestCounter {
  api: ApiName;
  method: string;
  route: string;
  status: number;
  count: number;
  bytes: number;
}

/**
 * POST routes that only read: searches and the token endpoint. Everything else that is not GET/HEAD is a write.
 * Keys are `api route`, route as registered in the API module.
 */
const READ_ONLY_POSTS = new Set([
  "admin /admin/v2/orgs/:orgId/directories/:directoryId/users/search",
  "admin /admin/v2/orgs/:orgId/directories/:directoryId/groups/search",
  "admin /admin/v2/orgs/:orgId/workspaces",
  "admin /admin/v1/orgs/:orgId/users/search",
  "admin /admin/v1/orgs/:orgId/groups/search",
  "confluence /wiki/api/v2/users-bulk",
  "jira /rest/api/3/permissions/check",
  "bitbucket-oauth /site/oauth2/access_token",
]);

/** Whether a request with this method and route changes state. */
export function isWrite(api: ApiName, method: string, route: string): boolean {
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return false;
  return !(method === "POST" && READ_ONLY_POSTS.has(`${api} ${route}`));
}

export class RequestLog {
  private seq = 0;
  private readonly counters = new Map<string, RequestCounter>();
  private readonly recent: LoggedRequest[] = [];

  constructor(private readonly capacity = 20_000) {}

  record(entry: Omit<LoggedRequest, "seq" | "write">): void {
    this.seq += 1;
    const full: LoggedRequest = { ...entry, seq: this.seq, write: isWrite(entry.api, entry.method, entry.route) };
    const key = `${entry.api} ${entry.method} ${entry.route} ${entry.status}`;
    const counter = this.counters.get(key);
    if (counter) {
      counter.count += 1;
      counter.bytes += entry.bytes;
    } else {
      this.counters.set(key, {
        api: entry.api,
        method: entry.method,
        route: entry.route,
        status: entry.status,
        count: 1,
        bytes: entry.bytes,
      });
    }
    this.recent.push(full);
    if (this.recent.length > this.capacity) this.recent.splice(0, this.recent.length - this.capacity);
  }

  /** All counters, sorted for stable output. */
  counts(): RequestCounter[] {
    return [...this.counters.values()].sort(
      (a, b) =>
        a.api.localeCompare(b.api) ||
        a.route.localeCompare(b.route) ||
        a.method.localeCompare(b.method) ||
        a.status - b.status,
    );
  }

  /** Total requests, optionally for one API. */
  total(api?: ApiName): number {
    let n = 0;
    for (const c of this.counters.values()) if (!api || c.api === api) n += c.count;
    return n;
  }

  /** Writes among the recent requests (every write is also in the counters). */
  writes(): LoggedRequest[] {
    return this.recent.filter((r) => r.write);
  }

  /** Number of write requests ever recorded. */
  writeCount(): number {
    let n = 0;
    for (const c of this.counters.values()) if (isWrite(c.api, c.method, c.route)) n += c.count;
    return n;
  }

  entries(limit = 1000): LoggedRequest[] {
    return this.recent.slice(-limit);
  }

  reset(): void {
    this.counters.clear();
    this.recent.length = 0;
  }
}
