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
import type { ZodType } from "zod";
import { PaginationError } from "../transport/errors.js";
import type { QueryValue, Transport } from "../transport/transport.js";
import {
  assertCursorChanged,
  assertPageBudget,
  DEFAULT_MAX_PAGES,
  Deduper,
  newStats,
  type PageStats,
} from "./guards.js";

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

/** The walk's statistics, registered with the transport's paging report. */
function walkStats<P, T>(o: WalkOptions<P, T>): PageStats {
  const stats = o.stats ?? newStats();
  o.transport.paging.track(o.endpoint, stats);
  return stats;
}

/** Admin API cursor pagination (GET; v1 and v2). */
export async function* adminCursorPages<T>(
  o: WalkOptions<{ data: T[]; links?: { next?: string | null } | null }, T>,
): AsyncGenerator<T[]> {
  const stats = walkStats(o);
  const dedupe = new Deduper(o.key, stats);
  let cursor: string | null = null;
  for (;;) {
    assertPageBudget(o.endpoint, stats.pages + 1, o.maxPages ?? DEFAULT_MAX_PAGES);
    const { data } = await o.transport.request({
      path: o.path,
      query: { ...o.query, ...(cursor ? { cursor } : {}) },
      schema: o.schema,
      endpoint: o.endpoint,
      signal: o.signal,
    });
    stats.pages += 1;
    yield dedupe.filter(data.data);
    const next = cursorFrom(data.links?.next);
    if (!next) return;
    assertCursorChanged(o.endpoint, cursor, next);
    cursor = next;
  }
}

/**
 * Admin v2 search POSTs: the cursor goes in the body. With `cursorAlone`, later pages send only the cursor, which
 * carries the whole query (`POST /v2/orgs/{orgId}/workspaces`: "When a cursor is provided in the request body, no
 * other properties may be present").
 */
export async function* adminSearchPages<T>(
  o: WalkOptions<{ data: T[]; links?: { next?: string | null } | null }, T> & {
    body: Record<string, unknown>;
    cursorAlone?: boolean;
  },
): AsyncGenerator<T[]> {
  const stats = walkStats(o);
  const dedupe = new Deduper(o.key, stats);
  let cursor: string | null = null;
  for (;;) {
    assertPageBudget(o.endpoint, stats.pages + 1, o.maxPages ?? DEFAULT_MAX_PAGES);
    const { data } = await o.transport.request({
      method: "POST",
      readOnlyPost: true,
      path: o.path,
      query: o.query,
      json: cursor ? (o.cursorAlone ? { cursor } : { ...o.body, cursor }) : o.body,
      schema: o.schema,
      endpoint: o.endpoint,
      signal: o.signal,
    });
    stats.pages += 1;
    yield dedupe.filter(data.data);
    const next = cursorFrom(data.links?.next);
    if (!next) return;
    assertCursorChanged(o.endpoint, cursor, next);
    cursor = next;
  }
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

/** SCIM ListResponse pagination. */
export async function* scimPages<T>(
  o: WalkOptions<{ totalResults: number; startIndex?: number; itemsPerPage?: number; Resources?: T[] }, T> & {
    count: number;
  },
): AsyncGenerator<T[]> {
  const stats = walkStats(o);
  const dedupe = new Deduper(o.key, stats);
  let startIndex = 1;
  let firstTotal: number | null = null;
  for (;;) {
    assertPageBudget(o.endpoint, stats.pages + 1, o.maxPages ?? DEFAULT_MAX_PAGES);
    const { data } = await o.transport.request({
      path: o.path,
      query: { ...o.query, startIndex, count: o.count },
      schema: o.schema,
      endpoint: o.endpoint,
      signal: o.signal,
    });
    stats.pages += 1;
    const resources = data.Resources ?? [];
    if (firstTotal === null) firstTotal = data.totalResults;
    else if (firstTotal !== data.totalResults) stats.inconsistent = true;
    if (data.startIndex !== undefined && data.startIndex !== startIndex) stats.inconsistent = true;
    yield dedupe.filter(resources);
    // Advance by what was received, not by `count`: servers may return fewer (S6).
    if (resources.length === 0) {
      if (startIndex <= data.totalResults) stats.inconsistent = true;
      return;
    }
    startIndex += resources.length;
    if (startIndex > data.totalResults) return;
  }
}

/** Jira PageBean (`startAt`/`maxResults`/`isLast`). */
export async function* jiraPageBeanPages<T>(
  o: WalkOptions<{ values?: T[]; startAt?: number; maxResults?: number; isLast?: boolean; total?: number }, T> & {
    pageSize: number;
  },
): AsyncGenerator<T[]> {
  const stats = walkStats(o);
  const dedupe = new Deduper(o.key, stats);
  let startAt = 0;
  for (;;) {
    assertPageBudget(o.endpoint, stats.pages + 1, o.maxPages ?? DEFAULT_MAX_PAGES);
    const { data } = await o.transport.request({
      path: o.path,
      query: { ...o.query, startAt, maxResults: o.pageSize },
      schema: o.schema,
      endpoint: o.endpoint,
      signal: o.signal,
    });
    stats.pages += 1;
    const values = data.values ?? [];
    yield dedupe.filter(values);
    const isLast =
      data.isLast ?? (data.total !== undefined ? startAt + values.length >= data.total : values.length === 0);
    if (isLast) return;
    // The returned maxResults is the server's real (clamped) page size; an empty but unfinished page still advances.
    const step = Math.max(values.length, data.maxResults ?? 0);
    if (step <= 0)
      throw new PaginationError(o.endpoint, "no-progress", "the page neither ended the listing nor advanced it");
    startAt += step;
  }
}

/** Jira endpoints that return a bare array (e.g. `users/search`): continue until an empty page. */
export async function* jiraArrayPages<T>(o: WalkOptions<T[], T> & { pageSize: number }): AsyncGenerator<T[]> {
  const stats = walkStats(o);
  const dedupe = new Deduper(o.key, stats);
  let startAt = 0;
  for (;;) {
    assertPageBudget(o.endpoint, stats.pages + 1, o.maxPages ?? DEFAULT_MAX_PAGES);
    const { data } = await o.transport.request({
      path: o.path,
      query: { ...o.query, startAt, maxResults: o.pageSize },
      schema: o.schema,
      endpoint: o.endpoint,
      signal: o.signal,
    });
    stats.pages += 1;
    if (data.length === 0) return;
    yield dedupe.filter(data);
    // No total and a silently clamped page size: only an empty page proves the end (H14).
    startAt += data.length;
  }
}

/** Confluence v2 cursor pagination via `_links.next` or the `Link` header. */
export async function* confluenceCursorPages<T>(
  o: WalkOptions<{ results: T[]; _links?: { next?: string | null } | null }, T>,
): AsyncGenerator<T[]> {
  const stats = walkStats(o);
  const dedupe = new Deduper(o.key, stats);
  let path = o.path;
  let query = o.query;
  let previous: string | null = null;
  for (;;) {
    assertPageBudget(o.endpoint, stats.pages + 1, o.maxPages ?? DEFAULT_MAX_PAGES);
    const { data, headers } = await o.transport.request({
      path,
      query,
      schema: o.schema,
      endpoint: o.endpoint,
      signal: o.signal,
    });
    stats.pages += 1;
    yield dedupe.filter(data.results);
    const next = data._links?.next ?? linkNext(headers.get("link"));
    if (!next) return;
    assertCursorChanged(o.endpoint, previous, next);
    previous = next;
    path = next;
    query = undefined;
  }
}

/**
 * Confluence v1 offset pagination (`start` + `limit`): follows `_links.next`, which is relative to the site's
 * `/wiki` context (`_links.context`), not to the host; absent means last page. The server may clamp `limit`
 * ("restricted by fixed system limits"), so the link, not arithmetic on the requested size, says where to go.
 */
export async function* confluenceV1Pages<T>(
  o: WalkOptions<{ results: T[]; _links?: { next?: string | null; context?: string | null } | null }, T> & {
    pageSize: number;
  },
): AsyncGenerator<T[]> {
  const stats = walkStats(o);
  const dedupe = new Deduper(o.key, stats);
  let path = o.path;
  let query: Record<string, QueryValue> | undefined = { ...o.query, start: 0, limit: o.pageSize };
  let previous: string | null = null;
  for (;;) {
    assertPageBudget(o.endpoint, stats.pages + 1, o.maxPages ?? DEFAULT_MAX_PAGES);
    const { data } = await o.transport.request({
      path,
      query,
      schema: o.schema,
      endpoint: o.endpoint,
      signal: o.signal,
    });
    stats.pages += 1;
    yield dedupe.filter(data.results);
    const next = data._links?.next;
    if (!next) return;
    assertCursorChanged(o.endpoint, previous, next);
    previous = next;
    path = /^https?:\/\//i.test(next) ? next : `${data._links?.context ?? "/wiki"}${next}`;
    query = undefined;
  }
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
export async function* bitbucketPages<T>(
  o: WalkOptions<{ values?: T[]; next?: string | null }, T>,
): AsyncGenerator<T[]> {
  const stats = walkStats(o);
  const dedupe = new Deduper(o.key, stats);
  let path = o.path;
  let query = o.query;
  let previous: string | null = null;
  for (;;) {
    assertPageBudget(o.endpoint, stats.pages + 1, o.maxPages ?? DEFAULT_MAX_PAGES);
    const { data } = await o.transport.request({
      path,
      query,
      schema: o.schema,
      endpoint: o.endpoint,
      signal: o.signal,
    });
    stats.pages += 1;
    yield dedupe.filter(data.values ?? []);
    if (!data.next) return;
    assertCursorChanged(o.endpoint, previous, data.next);
    previous = data.next;
    path = data.next;
    query = undefined;
  }
}

/** Collects every page of a driver into one array (for small listings). */
export async function collect<T>(pages: AsyncGenerator<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}
