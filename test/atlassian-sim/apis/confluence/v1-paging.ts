/**
 * Confluence v1 offset pagination: `start` + `limit`, the page's `size`, and `_links.next` relative to the site's
 * `/wiki` base (`_links.base` + `_links.next` is the next page), absent on the last page.
 */
import type { Context } from "hono";
import type { SimEnv } from "../../http/env.js";
import { wikiBase } from "./render.js";

/** `_links` of a v1 collection, with `next` when more items follow. */
export function v1Links(c: Context<SimEnv>, nextStart: number | null, limit: number): Record<string, string> {
  const url = new URL(c.req.url);
  const base = wikiBase(c);
  const wiki = url.pathname.indexOf("/wiki/");
  const relative = (u: URL) => `${wiki >= 0 ? u.pathname.slice(wiki + "/wiki".length) : u.pathname}${u.search}`;
  const links: Record<string, string> = {
    base,
    context: "/wiki",
    self: `${base}${relative(new URL(url.pathname, url))}`,
  };
  if (nextStart !== null) {
    url.searchParams.set("start", String(nextStart));
    url.searchParams.set("limit", String(limit));
    links.next = relative(url);
  }
  return links;
}

/** One v1 page `{results, start, limit, size, _links}` cut from `items`. */
export function v1Page<T, R>(
  c: Context<SimEnv>,
  items: readonly T[],
  start: number,
  limit: number,
  render: (item: T) => R,
): { results: R[]; start: number; limit: number; size: number; _links: Record<string, string> } {
  const slice = items.slice(start, start + limit);
  const end = start + slice.length;
  return {
    results: slice.map(render),
    start,
    limit,
    size: slice.length,
    _links: v1Links(c, end < items.length ? end : null, limit),
  };
}
