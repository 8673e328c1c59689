/** Shared pieces of the Confluence v2 handlers: page size, cursor pages and the v2 error bodies. */
import type { Context } from "hono";
import type { SimEnv } from "../../http/env.js";
import { confluenceV2Error } from "../../http/errors.js";
import { clampPageSize, confluenceCursorPage } from "../../http/pagination.js";

/** v2 page size: `limit` 1–250, default 25; larger values are clamped (reference §2.5). */
export const V2_MAX_LIMIT = 250;
export const V2_DEFAULT_LIMIT = 25;

/** The request's page size, clamped into 1–250. */
export function v2Limit(c: Context<SimEnv>): number {
  return clampPageSize(c.req.query("limit"), V2_DEFAULT_LIMIT, V2_MAX_LIMIT);
}

/** A v2 400 for a bad parameter. */
export function v2BadRequest(c: Context<SimEnv>, title: string) {
  return confluenceV2Error(c, 400, "INVALID_REQUEST_PARAMETER", title);
}

/** A v2 404 (unknown id, or an object the caller may not view: Confluence does not tell them apart). */
export function v2NotFound(c: Context<SimEnv>) {
  return confluenceV2Error(c, 404, "NOT_FOUND", "Not Found");
}

/**
 * A cursor page of `items` rendered with `render`, or the v2 400 for a cursor this listing did not issue.
 * `tag` names the listing so a cursor from another listing is refused.
 */
export function v2Page<T, R>(c: Context<SimEnv>, items: readonly T[], tag: string, render: (item: T) => R): Response {
  const page = confluenceCursorPage(c, items, tag, v2Limit(c));
  if (!page) return v2BadRequest(c, "Invalid cursor: the cursor is malformed or belongs to another request");
  return c.json({ results: page.results.map(render), _links: page._links });
}

/** A positive integer path id (the specs type space and role ids as integers), or null. */
export function integerId(raw: string): string | null {
  return /^\d+$/.test(raw) ? raw : null;
}

/** A boolean query flag (`true`/`false`), absent → false. */
export function flag(c: Context<SimEnv>, name: string): boolean {
  return c.req.query(name) === "true";
}
