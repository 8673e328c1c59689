/**
 * Pure transforms from Confluence v1/v2 objects (see `schemas.ts`) to rows of the snapshot's Confluence section.
 * Identity fields go through `requireId`, so a record without one fails the read instead of being keyed by a guess;
 * other missing fields become null (never ""), or, where the snapshot needs a value, the vendor's own "unknown".
 */

import type {
  V1Group,
  V1Member,
  V1Space,
  V1SpacePermission,
  V2Permission,
  V2RoleAssignment,
  V2Space,
  V2SpaceRole,
  V2User,
} from "@accessmap/shared/readers/confluence/schemas";
import { requireId } from "@accessmap/shared/readers/reader";
import type { ConfluenceSection } from "@accessmap/shared/snapshot/schema";

export type ConfluenceUserRow = ConfluenceSection["users"][number];
export type ConfluenceGroupRow = ConfluenceSection["groups"][number];
export type ConfluenceGroupMemberRow = ConfluenceSection["groupMembers"][number];
export type ConfluenceSpaceRow = ConfluenceSection["spaces"][number];
export type ConfluencePermissionRow = ConfluenceSection["spacePermissions"][number];
export type ConfluenceRoleRow = ConfluenceSection["roles"][number];
export type ConfluenceRoleAssignmentRow = ConfluenceSection["roleAssignments"][number];

/** An optional string: absent, null and "" all become null. */
function orNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === "" ? null : value;
}

/** Confluence's `operation:targetType` (`read:space`, `create:page`, `administer:space`, …). */
function operationName(key: string, targetType: string): string {
  return `${key}:${targetType}`;
}

/** A group from v1 `GET /group` (or a v1 permission subject). */
export function toGroup(g: V1Group): ConfluenceGroupRow {
  const groupId = requireId(g.id, "Confluence group", "id");
  return { groupId, name: orNull(g.name) ?? groupId };
}

/** One membership row for a member listed by v1 `GET /group/{groupId}/membersByGroupId`. */
export function toGroupMember(groupId: string, member: V1Member): ConfluenceGroupMemberRow {
  return { groupId, accountId: requireId(member.accountId, "Confluence group member", "accountId") };
}

/**
 * The rows of one v1 `SpacePermission`: one per user and group subject, or one anonymous / unlicensed row (no
 * principal id: they stand for every anonymous visitor, every logged-in user without a Confluence licence).
 */
export function fromV1Permission(spaceId: string, p: V1SpacePermission): ConfluencePermissionRow[] {
  const operation = operationName(p.operation.operation, p.operation.targetType);
  const rows: ConfluencePermissionRow[] = [];
  if (p.anonymousAccess) rows.push({ spaceId, principalType: "anonymous", principalId: null, operation });
  if (p.unlicensedAccess) rows.push({ spaceId, principalType: "unlicensed", principalId: null, operation });
  for (const u of p.subjects?.user?.results ?? []) {
    const principalId = requireId(u.accountId, "Confluence space permission user", "accountId");
    rows.push({ spaceId, principalType: "user", principalId, operation });
  }
  for (const g of p.subjects?.group?.results ?? []) {
    const principalId = requireId(g.id, "Confluence space permission group", "id");
    rows.push({ spaceId, principalType: "group", principalId, operation });
  }
  return rows;
}

/** What v1 `expand=permissions` says about one space. */
export interface V1SpaceAccess {
  spaceId: string;
  key: string;
  anonymousAccess: boolean;
  unlicensedAccess: boolean;
  /** Every row v1 states: users, groups, anonymous and unlicensed. */
  permissions: ConfluencePermissionRow[];
}

/** The access v1 states for a space: its permission rows and whether anonymous or unlicensed users hold any. */
export function toV1SpaceAccess(s: V1Space): V1SpaceAccess {
  const spaceId = String(requireId(s.id, "Confluence space", "id"));
  const permissions = (s.permissions ?? []).flatMap((p) => fromV1Permission(spaceId, p));
  return {
    spaceId,
    key: requireId(s.key, "Confluence space", "key"),
    anonymousAccess: permissions.some((r) => r.principalType === "anonymous"),
    unlicensedAccess: permissions.some((r) => r.principalType === "unlicensed"),
    permissions,
  };
}

/** v2 principal types the snapshot records; v2 names only these three (reference §2.5). */
const V2_PRINCIPALS = new Set(["user", "group", "role"]);

/**
 * The row of one v2 `SpacePermissionAssignment`, or null for a principal type v2 did not name when this was written
 * (the caller reports those rather than drop them silently).
 */
export function fromV2Permission(spaceId: string, p: V2Permission): ConfluencePermissionRow | null {
  const type = p.principal.type.toLowerCase();
  if (!V2_PRINCIPALS.has(type)) return null;
  return {
    spaceId,
    principalType: type as "user" | "group" | "role",
    principalId: requireId(p.principal.id, `Confluence space permission ${type}`, "principal.id"),
    operation: operationName(p.operation.key, p.operation.targetType),
  };
}

/** A space from v2 `GET /spaces`, with the anonymous / unlicensed flags v1 stated for it. */
export function toSpace(
  s: V2Space,
  access: { anonymousAccess: boolean; unlicensedAccess: boolean },
): ConfluenceSpaceRow {
  const key = requireId(s.key, "Confluence space", "key");
  return {
    id: String(requireId(s.id, "Confluence space", "id")),
    key,
    // v2 always names a space; the key is the only honest label otherwise.
    name: orNull(s.name) ?? key,
    type: orNull(s.type) ?? "unknown",
    status: orNull(s.status) ?? "unknown",
    anonymousAccess: access.anonymousAccess,
    unlicensedAccess: access.unlicensedAccess,
  };
}

/** A space role from v2 `GET /space-roles`. */
export function toRole(r: V2SpaceRole): ConfluenceRoleRow {
  const id = String(requireId(r.id, "Confluence space role", "id"));
  return { id, name: orNull(r.name) ?? id };
}

const ROLE_PRINCIPALS: Readonly<Record<string, ConfluenceRoleAssignmentRow["principalType"]>> = {
  USER: "user",
  GROUP: "group",
  ACCESS_CLASS: "access_class",
};

/** A role assignment from v2 `GET /spaces/{id}/role-assignments`, or null for an unknown principal type. */
export function toRoleAssignment(spaceId: string, a: V2RoleAssignment): ConfluenceRoleAssignmentRow | null {
  const principalType = ROLE_PRINCIPALS[a.principal.principalType.toUpperCase()];
  if (!principalType) return null;
  return {
    spaceId,
    roleId: String(requireId(a.roleId, "Confluence role assignment", "roleId")),
    principalType,
    principalId: requireId(a.principal.principalId, "Confluence role assignment", "principal.principalId"),
  };
}

/**
 * A user from v2 `POST /users-bulk`. Confluence sends `email: ""` when the user hides it or the caller may not
 * browse users: that is "not visible" (null), never an address.
 */
export function toUser(u: V2User): ConfluenceUserRow {
  const accountId = requireId(u.accountId, "Confluence user", "accountId");
  return {
    accountId,
    accountType: orNull(u.accountType) ?? "unknown",
    accountStatus: orNull(u.accountStatus) ?? "unknown",
    displayName: orNull(u.displayName) ?? orNull(u.publicName) ?? accountId,
    email: orNull(u.email),
    externalCollaborator: u.isExternalCollaborator ?? false,
  };
}
