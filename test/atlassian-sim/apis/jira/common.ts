/**
 * Request plumbing shared by the Jira REST v3 routes: URLs built from the request (so `self` links point at the
 * simulator), query-parameter parsing in Jira's conventions, lookups that answer Jira's 404 bodies, and the mapping
 * of state conflicts to Jira `ErrorCollection` responses.
 */
import type { Context } from "hono";
import type { SimEnv } from "../../http/env.js";
import { jiraError } from "../../http/errors.js";
import { baseOf } from "../../http/pagination.js";
import { SimConflict, type SimState } from "../../state.js";
import type { JiraProject, JiraRole, SimGroup } from "../../tenant/model.js";
import { JiraAccess } from "./access.js";

export type JiraContext = Context<SimEnv>;

/** `https://<site>/rest/api/3`, as seen by the client. */
export function restBase(c: JiraContext): string {
  return baseOf(c, "/rest/api/3");
}

/** `https://<site>`: the site root (Jira's `baseUrl`). */
export function siteBase(c: JiraContext): string {
  return restBase(c).slice(0, -"/rest/api/3".length);
}

/** Values of a repeatable query parameter, also accepting comma-separated lists (`expand=a,b`, `status=live,archived`). */
export function queryList(c: JiraContext, name: string): string[] {
  return (c.req.queries(name) ?? [])
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

/** Jira booleans: `true` (any case) is true; anything else, including absence, is the default. */
export function queryBool(c: JiraContext, name: string, def = false): boolean {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return def;
  return raw.toLowerCase() === "true";
}

/** The access evaluator for the authenticated caller (Basic-auth product user). */
export function callerAccess(c: JiraContext): JiraAccess {
  const caller = c.get("productCaller");
  return new JiraAccess(c.get("sim").state, caller.accountId, {
    siteAdmin: caller.siteAdmin,
    browseUsers: caller.browseUsers,
  });
}

/** Finds a project by id or key; the key is case-sensitive, as the spec says for `projectIdOrKey`. */
export function findProject(state: SimState, idOrKey: string): JiraProject | undefined {
  const byId = /^\d+$/.test(idOrKey);
  return state.tenant.jira.projects.find((p) => (byId ? p.id === idOrKey : p.key === idOrKey));
}

/** Jira's 404 for a project that does not exist or that the caller may not see (the two are indistinguishable). */
export function projectNotFound(c: JiraContext, idOrKey: string) {
  const kind = /^\d+$/.test(idOrKey) ? "id" : "key";
  return jiraError(c, 404, `No project could be found with ${kind} '${idOrKey}'.`);
}

/** Finds a project role by its numeric path id. */
export function findRole(state: SimState, rawId: string): JiraRole | undefined {
  const id = /^\d+$/.test(rawId) ? Number(rawId) : Number.NaN;
  return state.tenant.jira.roles.find((r) => r.id === id);
}

/** Resolves the group named by `groupId` or `groupname` (the two are exclusive); `undefined` when neither is given. */
export function groupFromQuery(c: JiraContext): { group: SimGroup } | { error: Response } | undefined {
  const state = c.get("sim").state;
  const groupId = c.req.query("groupId");
  const groupName = c.req.query("groupname") ?? c.req.query("groupName");
  if (groupId && groupName) {
    return { error: jiraError(c, 400, "You must specify either groupname or groupId, not both.") };
  }
  if (groupId) {
    const group = state.groupsById.get(groupId);
    return group ? { group } : { error: jiraError(c, 404, `No group with id '${groupId}' exists.`) };
  }
  if (groupName) {
    const group = state.groupsByName.get(groupName.toLowerCase());
    return group ? { group } : { error: jiraError(c, 404, `No group with name '${groupName}' exists.`) };
  }
  return undefined;
}

/** Reads a JSON object body; `null` when the body is missing or not an object. */
export async function jsonObject(c: JiraContext): Promise<Record<string, unknown> | null> {
  const body: unknown = await c.req.json().catch(() => null);
  return body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

/** A string array field of a request body; `null` when present but not an array of strings. */
export function stringArray(value: unknown): string[] | null {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) return null;
  return value as string[];
}

/** Maps a state conflict to a Jira error; anything else is rethrown (a simulator bug, answered 500 by app.ts). */
export function conflictResponse(c: JiraContext, err: unknown) {
  if (!(err instanceof SimConflict)) throw err;
  switch (err.kind) {
    case "not-found":
      return jiraError(c, 404, err.message);
    case "exists":
    case "idp-managed":
    case "invalid":
      return jiraError(c, 400, err.message);
  }
}

/** 32-bit FNV-1a: stable numeric ids for objects the model does not number (role actors). */
export function stableId(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return 10_000 + (h % 2_000_000_000);
}

/** Jira's timestamp style, e.g. `2021-04-22T05:37:05.000+0000`. */
export function jiraTimestamp(date: Date): string {
  return date.toISOString().replace("Z", "+0000");
}
