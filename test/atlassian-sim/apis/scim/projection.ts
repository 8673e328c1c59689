/**
 * `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): which attributes of a rendered resource are
 * returned. `id` and `schemas` are always returned; names match case-insensitively and may be fully qualified
 * (`urn:…:enterprise:2.0:User:department`) or name sub-attributes (`name.givenName`, `emails.value`).
 */
import type { Context } from "hono";
import type { SimEnv } from "../../http/env.js";
import { isObject } from "./common.js";
import { parsePath } from "./paths.js";

type Json = Record<string, unknown>;

/** Attributes returned whatever the request asks (RFC 7643 §3.1 `returned: always`). */
const ALWAYS = new Set(["id", "schemas"]);

/** The key segments of one requested attribute: `[attr]`, `[attr, sub]`, or `[extensionUrn, attr?, sub?]`. */
function segments(raw: string): string[] | null {
  try {
    const p = parsePath(raw);
    const core = [p.attr, ...(p.sub ? [p.sub] : [])].filter((s) => s !== "");
    return p.extension ? [p.extension, ...core] : core;
  } catch {
    // An attribute the client names wrongly is simply not returned, as for any unknown attribute.
    return null;
  }
}

function list(raw: string | undefined): string[][] {
  if (!raw) return [];
  return raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(segments)
    .filter((s): s is string[] => s !== null && s.length > 0);
}

function keyOf(obj: Json, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

function copyPath(src: Json, dst: Json, path: string[]): void {
  const [head, ...rest] = path;
  const key = head === undefined ? undefined : keyOf(src, head);
  if (key === undefined) return;
  const value = src[key];
  if (rest.length === 0) {
    dst[key] = value;
    return;
  }
  if (Array.isArray(value)) {
    const out = (Array.isArray(dst[key]) ? dst[key] : value.map(() => ({}))) as Json[];
    value.forEach((item, i) => {
      if (isObject(item) && out[i]) copyPath(item, out[i], rest);
    });
    dst[key] = out;
  } else if (isObject(value)) {
    const out = isObject(dst[key]) ? dst[key] : {};
    copyPath(value, out, rest);
    dst[key] = out;
  }
}

function removePath(obj: Json, path: string[]): void {
  const [head, ...rest] = path;
  const key = head === undefined ? undefined : keyOf(obj, head);
  if (key === undefined) return;
  if (rest.length === 0) {
    delete obj[key];
    return;
  }
  const value = obj[key];
  if (Array.isArray(value)) for (const item of value) if (isObject(item)) removePath(item, rest);
  if (isObject(value)) removePath(value, rest);
}

/** The resource reduced to what `attributes` / `excludedAttributes` ask for, keys kept in their rendered order. */
export function project(resource: Json, attributes: string | undefined, excluded: string | undefined): Json {
  const include = list(attributes);
  const exclude = list(excluded);
  let out = resource;
  if (include.length > 0) {
    const picked: Json = {};
    for (const key of Object.keys(resource)) if (ALWAYS.has(key)) picked[key] = resource[key];
    for (const path of include) copyPath(resource, picked, path);
    out = Object.fromEntries(Object.keys(resource).flatMap((k) => (k in picked ? [[k, picked[k]]] : [])));
  }
  if (exclude.length > 0) {
    out = structuredClone(out);
    for (const path of exclude)
      if (!(path.length === 1 && ALWAYS.has((path[0] ?? "").toLowerCase()))) removePath(out, path);
  }
  return out;
}

/** A projector bound to the request's `attributes` and `excludedAttributes` query parameters. */
export function projector(c: Context<SimEnv>): (resource: Json) => Json {
  const attributes = c.req.query("attributes");
  const excluded = c.req.query("excludedAttributes");
  if (!attributes && !excluded) return (r) => r;
  return (r) => project(r, attributes, excluded);
}
