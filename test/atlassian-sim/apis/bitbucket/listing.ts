/**
 * One Bitbucket 2.0 list response: BBQL filter (`q`) and sort (`sort`) where the endpoint supports them, then the
 * `{size, page, pagelen, next, previous, values}` page (pagelen 10–100, default 10, silently clamped), rendering
 * only the items on the page.
 */
import type { Context } from "hono";
import { bitbucketError } from "../../http/errors.js";
import { bitbucketPage } from "../../http/pagination.js";
import { BbqlError, type BbqlFields, bbqlFilter, bbqlSort } from "./bbql.js";

export interface ListOptions<T> {
  /** Fields for `q=` and `sort=`; omitted for endpoints that "do not support BBQL" (they ignore both). */
  fields?: BbqlFields<T>;
}

/** Answers a paged list of `items`, rendering the page's items with `render`. */
export function listResponse<T>(
  c: Context,
  items: readonly T[],
  render: (item: T) => unknown,
  opts: ListOptions<T> = {},
) {
  let selected = items;
  if (opts.fields) {
    try {
      selected = bbqlSort(bbqlFilter(items, c.req.query("q"), opts.fields), c.req.query("sort"), opts.fields);
    } catch (e) {
      if (e instanceof BbqlError) return bitbucketError(c, 400, "Invalid query", e.message);
      throw e;
    }
  }
  const body = bitbucketPage(c, selected);
  body.values = (body.values as T[]).map(render);
  return c.json(body);
}
