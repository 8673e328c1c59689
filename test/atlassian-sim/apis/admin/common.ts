/**
 * Shared pieces of the simulated Admin API (`api.atlassian.com/admin`): the organization guard (an unknown org id,
 * or a scoped API key, finds no organization), the error bodies of both generations, absolute links built from the
 * request URL, opaque query cursors, and query-array parsing.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { SimEnv } from "../../http/env.js";
import { adminV2Error } from "../../http/errors.js";
import type { SimState } from "../../state.js";

export type AdminContext = Context<SimEnv>;

/**
 * Both generations share the `{"errors":[{id,status,code,title,detail}]}` body (v1 `Errors.ApplicationErrors.Model`
 * with `ADMIN-…` codes, v2 `Errors` with `ADMIN-UAM-…` codes); only 401/429 from the gateway are `ProxyError`.
 */
export function adminError(
  c: AdminContext,
  status: ContentfulStatusCode,
  code: string,
  title: string,
  detail?: string,
) {
  return adminV2Error(c, status, code, title, detail);
}

/** v1 `Error.OrgNotFound` (`ADMIN-404-2`). */
export function v1OrgNotFound(c: AdminContext) {
  return adminError(
    c,
    404,
    "ADMIN-404-2",
    "Organization not found",
    "The organization does not exist or the API key cannot access it.",
  );
}

/** v2 organization not found (`ADMIN-UAM-404-2`). */
export function v2OrgNotFound(c: AdminContext) {
  return adminError(c, 404, "ADMIN-UAM-404-2", "Organization not found", "We couldn’t find the organization.");
}

/** v2 400 Bad Request (`ADMIN-UAM-400-1`). */
export function v2BadRequest(c: AdminContext, detail: string) {
  return adminError(c, 400, "ADMIN-UAM-400-1", "Bad Request", detail);
}

/** v2 404 for an unknown directory, user or group (`ADMIN-UAM-404-1`, `-404-3` for groups). */
export function v2NotFound(c: AdminContext, what: "directory" | "user" | "group", id: string) {
  return what === "group"
    ? adminError(c, 404, "ADMIN-UAM-404-3", "Group Not Found", `We couldn’t find the group ${id}.`)
    : adminError(c, 404, "ADMIN-UAM-404-1", "Unknown Resource", `We couldn’t find the ${what} ${id}.`);
}

/** Whether the caller's key sees this organization: the unscoped key sees the tenant's org, a scoped key sees none. */
export function seesOrg(c: AdminContext, orgId: string | undefined): boolean {
  return !c.get("adminKeyScoped") && orgId === c.get("sim").state.tenant.org.id;
}

type OrgHandler = (c: AdminContext, state: SimState) => Response | Promise<Response>;

/** Wraps a v1 handler: answers `ADMIN-404-2` when the key does not see `:orgId`. */
export function v1Org(handler: OrgHandler) {
  return (c: AdminContext) => (seesOrg(c, c.req.param("orgId")) ? handler(c, c.get("sim").state) : v1OrgNotFound(c));
}

/** Wraps a v2 handler: answers `ADMIN-UAM-404-2` when the key does not see `:orgId`. */
export function v2Org(handler: OrgHandler) {
  return (c: AdminContext) => (seesOrg(c, c.req.param("orgId")) ? handler(c, c.get("sim").state) : v2OrgNotFound(c));
}

/** Which directory a v2 request addresses: `-` (every directory) or one directory by id. */
export interface DirectoryScope {
  /** The path value: `-` or a directory id. */
  id: string;
  /** True for `-`, which widens the operation to all directories the key may manage. */
  all: boolean;
  /** The directory holding the org's users and groups (every account lives in the SCIM-linked directory). */
  home: string;
}

type DirectoryHandler = (c: AdminContext, state: SimState, dir: DirectoryScope) => Response | Promise<Response>;

/** Wraps a v2 directory handler: checks the org, then that `:directoryId` is `-` or a directory of the org. */
export function v2Directory(handler: DirectoryHandler) {
  return v2Org((c, state) => {
    const id = c.req.param("directoryId") ?? "";
    const all = id === "-";
    if (!all && !state.tenant.directories.some((d) => d.directoryId === id) && id !== state.directoryId) {
      return v2NotFound(c, "directory", id);
    }
    return handler(c, state, { id, all, home: state.directoryId });
  });
}

/** The absolute base of the Admin API (`…/admin`) on the simulator's origin, for `self` and `next` links. */
export function adminBase(c: AdminContext): string {
  const url = new URL(c.req.url);
  const i = url.pathname.search(/\/admin\/v\d\//);
  return `${url.origin}${i >= 0 ? url.pathname.slice(0, i) : ""}/admin`;
}

/** The request URL with some query parameters replaced. */
export function urlWith(c: AdminContext, params: Record<string, string | undefined>): string {
  const url = new URL(c.req.url);
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  return url.toString();
}

/**
 * The values of an array query parameter. The documents declare OpenAPI's default `form`/`explode` style
 * (`?ids=a&ids=b`); comma-separated values (`?ids=a,b`) are accepted too, as the Admin gateway does.
 */
export function queryList(c: AdminContext, name: string): string[] | undefined {
  const raw = c.req.queries(name);
  if (!raw || raw.length === 0) return undefined;
  return raw
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

/** A boolean query parameter: `true`/`false`, else undefined. */
export function queryBool(c: AdminContext, name: string): boolean | undefined {
  const v = c.req.query(name);
  return v === "true" ? true : v === "false" ? false : undefined;
}

/**
 * Opaque cursors that carry the whole query, as Atlassian's v2 cursors do ("If present, all other parameters are
 * discarded when searching"): the tag names the listing, so a cursor from another listing is refused.
 */
export function encodeQueryCursor(tag: string, offset: number, query: unknown): string {
  return Buffer.from(JSON.stringify({ t: tag, o: offset, q: query }), "utf8").toString("base64url");
}

/** Decodes a cursor made by `encodeQueryCursor` for the same tag; null when it is foreign or malformed. */
export function decodeQueryCursor(tag: string, cursor: string): { offset: number; query: unknown } | null {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as {
      t?: unknown;
      o?: unknown;
      q?: unknown;
    };
    if (parsed.t !== tag || typeof parsed.o !== "number" || !Number.isInteger(parsed.o) || parsed.o < 0) return null;
    return { offset: parsed.o, query: parsed.q };
  } catch {
    return null;
  }
}

/** Reads a JSON request body; an empty body is `{}`, a malformed one is null. */
export async function jsonBody(c: AdminContext): Promise<Record<string, unknown> | null> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
