/**
 * One pagination driver per Atlassian style (reference §2, §5). Each is an async generator yielding one page of
 * items at a time, so callers stream pages into the snapshot without holding raw responses:
 *
 * - Admin: cursor in `links.next` (v2: a cursor string; v1: a URL carrying `cursor`), sent back as `cursor`;
 * - SCIM: 1-based `startIndex`, advanced by the number of resources received (RFC 7644 §3.4.2.4);
 * - Jira PageBean: `startAt` advanced by the server's `maxResults` (it reports the clamped size) until `isLast`;
 * - Jira bare arrays: `startAt` advanced by what was received, until an empty page (there is no total);
 * - Confluence v2: `_links.next` or the `Link` header, relative to the site; absent means last page;
 * - Bitbucket: the absolute `next` URL.
 */

import {
  assertCursorChanged,
  assertPageBudget,
  DEFAULT_MAX_PAGES,
  Deduper,
  newStats,
  type PageStats,
} from "@accessmap/shared/pagination/guards";
import { PaginationError } from "@accessmap/shared/transport/errors";
import type { HeaderSource } from "@accessmap/shared/transport/rate-limit-headers";
import type { QueryValue, Transport } from "@accessmap/shared/transport/transport";
import type { ZodType } from "zod";

export interface WalkOptions<P, T> {
  transport: Transport;
  path: string;
  query?: Record<string, QueryValue>;
  /** Schema of one whole page response. */
  schema: ZodType<P>;
  endpoint: string;
  /** Dedup key of an item; without it duplicates are not checked. */
  key?: (item: T) => string;
  stats?: PageStats;
  maxPages?: number;
  signal?: AbortSignal;
}

/** One page request: where to go next. */
interface PageRequest {
  path: string;
  query?: Record<string, QueryValue> | undefined;
  /** A read-only POST body (Admin v2 searches); absent for GET. */
  json?: Record<string, unknown>;
}

/** What a style makes of one page: its items (null: yield nothing) and the next request (null: the end). */
interface PageStep<T> {
  items: T[] | null;
  next: PageRequest | null;
  /** The position the next request asks for, checked to differ from the previous one (a server looping). */
  position?: string;
}

/**
 * The one paging loop: page budget, request, statistics, dedup and the no-repeat guard are the same for every style;
 * `advance` is what differs (where the next page is, and when the listing ends).
 */
async function* walk<P, T>(
  o: WalkOptions<P, T>,
  first: PageRequest,
  advance: (data: P, headers: HeaderSource, req: PageRequest, stats: PageStats) => PageStep<T>,
): AsyncGenerator<T[]> {
  const stats = o.stats ?? newStats();
  o.transport.paging.track(o.endpoint, stats);
  const dedupe = new Deduper(o.key, stats);
  let req: PageRequest | null = first;
  let previous: string | null = null;
  while (req) {
    assertPageBudget(o.endpoint, stats.pages + 1, o.maxPages ?? DEFAULT_MAX_PAGES);
    const { data, headers } = await o.transport.request({
      ...(req.json ? { method: "POST" as const, readOnlyPost: true, json: req.json } : {}),
      path: req.path,
      query: req.query,
      schema: o.schema,
      endpoint: o.endpoint,
      signal: o.signal,
    });
    stats.pages += 1;
    const step = advance(data, headers, req, stats);
    if (step.items) yield dedupe.filter(step.items);
    if (step.next && step.position !== undefined) {
      assertCursorChanged(o.endpoint, previous, step.position);
      previous = step.position;
    }
    req = step.next;
  }
}

type AdminPage<T> = { data: T[]; links?: { next?: string | null } | null };

/** Admin API cursor pagination (GET; v1 and v2). */
export function adminCursorPages<T>(o: WalkOptions<AdminPage<T>, T>): AsyncGenerator<T[]> {
  return walk(o, { path: o.path, query: o.query }, (data) => {
    const cursor = cursorFrom(data.links?.next);
    return {
      items: data.data,
      next: cursor ? { path: o.path, query: { ...o.query, cursor } } : null,
      position: cursor ?? undefined,
    };
  });
}

/**
 * Admin v2 search POSTs: the cursor goes in the body. With `cursorAlone`, later pages send only the cursor, which
 * carries the whole query (`POST /v2/orgs/{orgId}/workspaces`: "When a cursor is provided in the request body, no
 * other properties may be present").
 */
export function adminSearchPages<T>(
  o: WalkOptions<AdminPage<T>, T> & { body: Record<string, unknown>; cursorAlone?: boolean },
): AsyncGenerator<T[]> {
  return walk(o, { path: o.path, query: o.query, json: o.body }, (data) => {
    const cursor = cursorFrom(data.links?.next);
    const json = o.cursorAlone ? { cursor } : { ...o.body, cursor };
    return {
      items: data.data,
      next: cursor ? { path: o.path, query: o.query, json } : null,
      position: cursor ?? undefined,
    };
  });
}

/** `links.next` is a bare cursor (v2) or a URL with a `cursor` parameter (v1). */
function cursorFrom(next: string | null | undefined): string | null {
  if (!next) return null;
  if (/^https?:\/\//i.test(next) || next.startsWith("/")) {
    const url = new URL(next, "http://relative.invalid");
    return url.searchParams.get("cursor") ?? null;
  }
  return next;
}

type ScimPage<T> = { totalResults: number; startIndex?: number; itemsPerPage?: number; Resources?: T[] };

/** SCIM ListResponse pagination. */
export function scimPages<T>(o: WalkOptions<ScimPage<T>, T> & { count: number }): AsyncGenerator<T[]> {
  const at = (startIndex: number) => ({ path: o.path, query: { ...o.query, startIndex, count: o.count } });
  let startIndex = 1;
  let firstTotal: number | null = null;
  return walk(o, at(1), (data, _headers, _req, stats) => {
    const resources = data.Resources ?? [];
    if (firstTotal === null) firstTotal = data.totalResults;
    else if (firstTotal !== data.totalResults) stats.inconsistent = true;
    if (data.startIndex !== undefined && data.startIndex !== startIndex) stats.inconsistent = true;
    // Advance by what was received, not by `count`: servers may return fewer (S6).
    if (resources.length === 0) {
      if (startIndex <= data.totalResults) stats.inconsistent = true;
      return { items: resources, next: null };
    }
    startIndex += resources.length;
    return { items: resources, next: startIndex > data.totalResults ? null : at(startIndex) };
  });
}

type PageBean<T> = { values?: T[]; startAt?: number; maxResults?: number; isLast?: boolean; total?: number };

/** Jira PageBean (`startAt`/`maxResults`/`isLast`). */
export function jiraPageBeanPages<T>(o: WalkOptions<PageBean<T>, T> & { pageSize: number }): AsyncGenerator<T[]> {
  const at = (startAt: number) => ({ path: o.path, query: { ...o.query, startAt, maxResults: o.pageSize } });
  let startAt = 0;
  return walk(o, at(0), (data) => {
    const values = data.values ?? [];
    const isLast =
      data.isLast ?? (data.total !== undefined ? startAt + values.length >= data.total : values.length === 0);
    if (isLast) return { items: values, next: null };
    // The returned maxResults is the server's real (clamped) page size; an empty but unfinished page still advances.
    const step = Math.max(values.length, data.maxResults ?? 0);
    if (step <= 0)
      throw new PaginationError(o.endpoint, "no-progress", "the page neither ended the listing nor advanced it");
    startAt += step;
    return { items: values, next: at(startAt) };
  });
}

/** Jira endpoints that return a bare array (e.g. `users/search`): continue until an empty page. */
export function jiraArrayPages<T>(o: WalkOptions<T[], T> & { pageSize: number }): AsyncGenerator<T[]> {
  const at = (startAt: number) => ({ path: o.path, query: { ...o.query, startAt, maxResults: o.pageSize } });
  let startAt = 0;
  return walk(o, at(0), (data) => {
    if (data.length === 0) return { items: null, next: null };
    // No total and a silently clamped page size: only an empty page proves the end (H14).
    startAt += data.length;
    return { items: data, next: at(startAt) };
  });
}

/** Confluence v2 cursor pagination via `_links.next` or the `Link` header. */
export function confluenceCursorPages<T>(
  o: WalkOptions<{ results: T[]; _links?: { next?: string | null } | null }, T>,
): AsyncGenerator<T[]> {
  return walk(o, { path: o.path, query: o.query }, (data, headers) => {
    const next = data._links?.next ?? linkNext(headers.get("link"));
    return { items: data.results, next: next ? { path: next } : null, position: next ?? undefined };
  });
}

/**
 * Confluence v1 offset pagination (`start` + `limit`): follows `_links.next`, which is relative to the site's
 * `/wiki` context (`_links.context`), not to the host; absent means last page. The server may clamp `limit`
 * ("restricted by fixed system limits"), so the link, not arithmetic on the requested size, says where to go.
 */
export function confluenceV1Pages<T>(
  o: WalkOptions<{ results: T[]; _links?: { next?: string | null; context?: string | null } | null }, T> & {
    pageSize: number;
  },
): AsyncGenerator<T[]> {
  return walk(o, { path: o.path, query: { ...o.query, start: 0, limit: o.pageSize } }, (data) => {
    const next = data._links?.next;
    if (!next) return { items: data.results, next: null };
    const path = /^https?:\/\//i.test(next) ? next : `${data._links?.context ?? "/wiki"}${next}`;
    return { items: data.results, next: { path }, position: next };
  });
}

/** The `rel="next"` target of an RFC 8288 `Link` header. */
export function linkNext(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part.trim());
    if (m?.[1]) return m[1];
  }
  return null;
}

/** Bitbucket pagination via the absolute `next` URL. */
export function bitbucketPages<T>(o: WalkOptions<{ values?: T[]; next?: string | null }, T>): AsyncGenerator<T[]> {
  return walk(o, { path: o.path, query: o.query }, (data) => ({
    items: data.values ?? [],
    next: data.next ? { path: data.next } : null,
    position: data.next ?? undefined,
  }));
}

/** Collects every page of a driver into one array (for small listings). */
export async function collect<T>(pages: AsyncGenerator<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}
