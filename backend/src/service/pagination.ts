/**
 * Pagination for every list the API returns: `?limit=` (1–200, default 50) and an opaque `?cursor=` taken from the
 * previous page's `next` (null on the last page). A cursor is base64url JSON naming the list it belongs to, so a
 * cursor of one list given to another is refused (400 `invalid_cursor`). Cursors carry positions only, never
 * authority: every page is authorized as the first one was.
 *
 * @module
 */
import { z } from "zod";
import { ApiError } from "./errors.js";

export const MAX_PAGE_LIMIT = 200;
export const DEFAULT_PAGE_LIMIT = 50;

/** The query parameters of a paginated list. */
export const PageQuery = z.object({
  limit: z.coerce
    .number()
    .int("must be an integer")
    .min(1, "must be at least 1")
    .max(MAX_PAGE_LIMIT, `must be at most ${MAX_PAGE_LIMIT}`)
    .default(DEFAULT_PAGE_LIMIT)
    .describe(`Page size, 1–${MAX_PAGE_LIMIT}.`),
  cursor: z.string().min(1).max(1024).optional().describe("The `next` value of the previous page."),
});

/** A page of `item`: the items and the cursor of the next page (null on the last). */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next: z.string().nullable().describe("Pass as `cursor` for the next page; null on the last page."),
  });
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

/** Encodes a position in the list `kind`. */
export function encodeCursor(kind: string, position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify({ k: kind, ...position }), "utf8").toString("base64url");
}

/** Decodes a cursor of the list `kind` with `shape`; 400 `invalid_cursor` for anything else. */
export function decodeCursor<S extends z.ZodRawShape>(
  kind: string,
  cursor: string | undefined,
  shape: S,
): z.infer<z.ZodObject<S>> | null {
  if (cursor === undefined) return null;
  const bad = () => new ApiError(400, "invalid_cursor", "query.cursor: not a cursor of this list");
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  const parsed = z.object({ k: z.literal(kind), ...shape }).safeParse(raw);
  if (!parsed.success) throw bad();
  return parsed.data as z.infer<z.ZodObject<S>>;
}

/**
 * One page of an in-memory list by offset. When the list belongs to a model version, the cursor carries it: a
 * cursor of another version answers 409 `cursor_stale` (the list changed; start again).
 */
export function pageByOffset<T>(
  kind: string,
  all: readonly T[],
  query: { limit: number; cursor?: string | undefined },
  version?: number,
): Page<T> {
  const pos = decodeCursor(kind, query.cursor, { o: z.number().int().min(0), v: z.number().int().optional() });
  if (pos && version !== undefined && pos.v !== version) {
    throw new ApiError(
      409,
      "cursor_stale",
      "the model changed since this cursor was issued: request the first page again",
    );
  }
  const offset = pos?.o ?? 0;
  const items = all.slice(offset, offset + query.limit);
  const end = offset + items.length;
  const next =
    end < all.length ? encodeCursor(kind, version !== undefined ? { o: end, v: version } : { o: end }) : null;
  return { items, next };
}

/**
 * One page of a list sorted by a unique string key (ascending, or descending for newest-first lists): the cursor
 * holds the last key returned, so items added or removed meanwhile neither repeat nor get skipped.
 */
export function pageByKey<T>(
  kind: string,
  sorted: readonly T[],
  keyOf: (item: T) => string,
  query: { limit: number; cursor?: string | undefined },
  order: "asc" | "desc" = "asc",
): Page<T> {
  const pos = decodeCursor(kind, query.cursor, { a: z.string() });
  const after = pos?.a;
  const start =
    after === undefined ? 0 : sorted.findIndex((x) => (order === "asc" ? keyOf(x) > after : keyOf(x) < after));
  if (start < 0) return { items: [], next: null };
  const items = sorted.slice(start, start + query.limit);
  const last = items[items.length - 1];
  const next =
    start + items.length < sorted.length && last !== undefined ? encodeCursor(kind, { a: keyOf(last) }) : null;
  return { items, next };
}
