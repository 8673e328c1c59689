/**
 * Pure transforms from SCIM resources (see `schemas.ts`) to rows of the snapshot's SCIM section. Attribute names are
 * matched case-insensitively (RFC 7643 §2.1) and booleans may be the strings `"True"`/`"False"` (reliability case
 * S12). Identity fields (`id`, `userName`, member `value`) go through `requireId`; other missing fields become null.
 */
import { requireId } from "@accessmap/shared/readers/reader";
import type { ScimIdentity, ScimSection } from "@accessmap/shared/snapshot/schema";
import { ATLASSIAN_EXTENSION, type ScimGroup, type ScimUser } from "./schemas.js";

export type ScimGroupRow = ScimSection["groups"][number];

/** An attribute by name: the exact spelling first, else any casing of it. */
export function attr(obj: unknown, name: string): unknown {
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) return undefined;
  const record = obj as Record<string, unknown>;
  if (name in record) return record[name];
  const lower = name.toLowerCase();
  const key = Object.keys(record).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : record[key];
}

/** A string attribute, or null when absent, empty or not a string. */
function str(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/** A SCIM boolean: `true`/`false`, or those words as strings in any case; null otherwise. */
export function scimBool(value: unknown): boolean | null {
  if (typeof value === "boolean") return value;
  if (typeof value === "string") {
    const v = value.trim().toLowerCase();
    if (v === "true") return true;
    if (v === "false") return false;
  }
  return null;
}

/** The primary email (`primary: true`, or `"True"`), else the first one with a value; null when none. */
function emailOf(emails: unknown): string | null {
  if (!Array.isArray(emails)) return null;
  const withValue = emails.filter((e) => str(attr(e, "value")) !== null);
  const primary = withValue.find((e) => scimBool(attr(e, "primary")) === true) ?? withValue[0];
  return primary === undefined ? null : str(attr(primary, "value"));
}

/** A SCIM user as an IdP-side identity, linked to its Atlassian account when the extension names one. */
export function toScimIdentity(u: ScimUser): ScimIdentity {
  const scimId = requireId(str(attr(u, "id")), "SCIM user", "id");
  const extension = attr(u, ATLASSIAN_EXTENSION);
  return {
    scimId,
    externalId: str(attr(u, "externalId")),
    userName: requireId(str(attr(u, "userName")), "SCIM user", "userName"),
    displayName: str(attr(u, "displayName")),
    email: emailOf(attr(u, "emails")),
    // Atlassian always states `active`. Should a directory leave it out, the user is kept as active: an access
    // review must show someone who may still sign in rather than hide them (RFC 7643 leaves its meaning to the server).
    active: scimBool(attr(u, "active")) ?? true,
    accountId: str(attr(extension, "atlassianAccountId")),
  };
}

/** A SCIM group with the SCIM ids of its user members (a nested `Group` member is not a user and is left out). */
export function toScimGroup(g: ScimGroup): ScimGroupRow {
  const scimId = requireId(str(attr(g, "id")), "SCIM group", "id");
  const members = attr(g, "members");
  const memberScimIds = new Set<string>();
  for (const m of Array.isArray(members) ? members : []) {
    if (str(attr(m, "type"))?.toLowerCase() === "group") continue;
    memberScimIds.add(requireId(str(attr(m, "value")), "SCIM group member", "value"));
  }
  return { scimId, displayName: str(attr(g, "displayName")) ?? scimId, memberScimIds: [...memberScimIds] };
}

/** The directory id in a SCIM base URL's path (`…/scim/directory/{directoryId}`), or null. */
export function directoryIdFromPath(pathname: string): string | null {
  const m = /\/scim\/directory\/([^/]+)/.exec(pathname);
  return m?.[1] ? decodeURIComponent(m[1]) : null;
}
