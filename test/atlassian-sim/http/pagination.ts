/**
 * Pagination in each Atlassian API's own style, with page caps silently clamped as the real servers do
 * (`../shared/reference/atlassian-api.md` §5): clients must follow what the server returns, not what they asked for.
 */
import type { Context } from "hono";

/** Parses a page-size parameter and clamps it into [min, max]; a missing or bad value gives the default. */
export function clampPageSize(raw: string | number | undefined | null, def: number, max: number, min = 1): number {
  const n = typeof raw === "number" ? raw : raw === undefined || raw === null || raw === "" ? Number.NaN : Number(raw);
  if (!Number.isFinite(n)) return def;
  return Math.max(min, Math.min(max, Math.trunc(n)));
}

/** Parses a non-negative offset (`startAt`, `start`); bad values give 0. */
export function parseOffset(raw: string | undefined | null): number {
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0;
}

/**
 * Opaque cursors: the offset, salted with a per-listing tag so a cursor from one listing is refused by another.
 * Real cursors are opaque too; clients must only echo them.
 */
export function encodeCursor(tag: string, offset: number): string {
  return Buffer.from(`${tag}:${offset}`, "utf8").toString("base64url");
}

/** Decodes a cursor made by `encodeCursor` for the same tag; returns null for a foreign or malformed cursor. */
export function decodeCursor(tag: string, cursor: string | undefined | null): number | null {
  if (!cursor) return 0;
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const sep = text.lastIndexOf(":");
  if (sep < 0 || text.slice(0, sep) !== tag) return null;
  const n = Number(text.slice(sep + 1));
  return Number.isInteger(n) && n >= 0 ? n : null;
}

export interface CursorPage<T> {
  values: T[];
  /** Cursor of the next page, or undefined on the last page. */
  next: string | undefined;
}

/** Cuts one page out of `items` at a cursor position. */
export function cursorPage<T>(items: readonly T[], tag: string, offset: number, limit: number): CursorPage<T> {
  const values = items.slice(offset, offset + limit);
  const end = offset + values.length;
  return { values, next: end < items.length ? encodeCursor(tag, end) : undefined };
}

/** Jira `PageBean`: `{self,nextPage,maxResults,startAt,total,isLast,values}`. */
export function jiraPageBean<T>(c: Context, items: readonly T[], startAt: number, maxResults: number) {
  const values = items.slice(startAt, startAt + maxResults);
  const isLast = startAt + values.length >= items.length;
  const self = new URL(c.req.url);
  const body: Record<string, unknown> = {
    self: self.toString(),
    maxResults,
    startAt,
    total: items.length,
    isLast,
    values,
  };
  if (!isLast) {
    const next = new URL(c.req.url);
    next.searchParams.set("startAt", String(startAt + values.length));
    next.searchParams.set("maxResults", String(maxResults));
    body.nextPage = next.toString();
  }
  return body;
}

/** SCIM `ListResponse` (RFC 7644 §3.4.2): 1-based `startIndex`, `count` capped by the server. */
export function scimListResponse<T>(
  items: readonly T[],
  startIndexRaw: string | undefined,
  countRaw: string | undefined,
  maxCount: number,
) {
  const startIndex = Math.max(1, Math.trunc(Number(startIndexRaw)) || 1);
  const count = clampPageSize(countRaw, maxCount, maxCount, 0);
  const page = items.slice(startIndex - 1, startIndex - 1 + count);
  return {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
    totalResults: items.length,
    startIndex,
    itemsPerPage: page.length,
    Resources: page,
  };
}

/**
 * Confluence v2 cursor page: the next page is announced both in the `Link` header and in `_links.next`
 * (a relative URL), and their absence marks the last page.
 */
export function confluenceCursorPage<T>(c: Context, items: readonly T[], tag: string, limit: number) {
  const offset = decodeCursor(tag, c.req.query("cursor"));
  if (offset === null) return null;
  const page = cursorPage(items, tag, offset, limit);
  const links: Record<string, string> = { base: baseOf(c, "/wiki") };
  if (page.next) {
    const next = new URL(c.req.url);
    next.searchParams.set("cursor", page.next);
    next.searchParams.set("limit", String(limit));
    const relative = relativeFrom(next, "/wiki");
    links.next = relative;
    c.header("Link", `<${relative}>; rel="next", <${links.base}>; rel="base"`);
  }
  return { results: page.values, _links: links };
}

/** Bitbucket page: `{size,page,pagelen,next,values}` with `next` an absolute URL. */
export function bitbucketPage<T>(c: Context, items: readonly T[], defaultPagelen = 10) {
  const pagelen = clampPageSize(c.req.query("pagelen"), defaultPagelen, 100, 10);
  const pageNo = Math.max(1, Math.trunc(Number(c.req.query("page"))) || 1);
  const start = (pageNo - 1) * pagelen;
  const values = items.slice(start, start + pagelen);
  const body: Record<string, unknown> = { size: items.length, page: pageNo, pagelen, values };
  if (start + values.length < items.length) {
    const next = new URL(c.req.url);
    next.searchParams.set("page", String(pageNo + 1));
    next.searchParams.set("pagelen", String(pagelen));
    body.next = next.toString();
  }
  if (pageNo > 1) {
    const prev = new URL(c.req.url);
    prev.searchParams.set("page", String(pageNo - 1));
    body.previous = prev.toString();
  }
  return body;
}

/** The absolute URL of the simulated host up to and including `marker` (e.g. the site's `/wiki`). */
export function baseOf(c: Context, marker: string): string {
  const url = new URL(c.req.url);
  const i = url.pathname.indexOf(marker);
  return `${url.origin}${i >= 0 ? url.pathname.slice(0, i + marker.length) : ""}`;
}

function relativeFrom(url: URL, marker: string): string {
  const i = url.pathname.indexOf(marker);
  return `${i >= 0 ? url.pathname.slice(i) : url.pathname}${url.search}`;
}
