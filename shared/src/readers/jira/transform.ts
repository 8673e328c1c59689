/**
 * Pure transforms from Jira REST v3 objects (see `schemas.ts`) to rows of the snapshot's Jira section. Identity
 * fields go through `requireId`, so a record without one fails the read instead of being keyed by a guess; other
 * missing fields become null (never ""), or, where the snapshot needs a value, the vendor's own "unknown".
 */

import type {
  JiraApplicationRole,
  JiraGrant,
  JiraGroup,
  JiraGroupMember,
  JiraPermissionScheme,
  JiraProject,
  JiraProjectRole,
  JiraRoleActor,
  JiraUser,
} from "@accessmap/shared/readers/jira/schemas";
import { requireId } from "@accessmap/shared/readers/reader";
import type { JiraSection } from "@accessmap/shared/snapshot/schema";

export type JiraUserRow = JiraSection["users"][number];
export type JiraGroupRow = JiraSection["groups"][number];
export type JiraGroupMemberRow = JiraSection["groupMembers"][number];
export type JiraProjectRow = JiraSection["projects"][number];
export type JiraRoleRow = JiraSection["roles"][number];
export type JiraRoleActorRow = JiraSection["roleActors"][number];
export type JiraSchemeRow = JiraSection["permissionSchemes"][number];
export type JiraGrantRow = JiraSection["grants"][number];
export type JiraApplicationRoleRow = JiraSection["applicationRoles"][number];

/**
 * Holder types whose grant depends on the issue (its reporter, assignee, a user or group picked in a custom field)
 * or only opens the customer portal: they never expand to a fixed set of accounts (spec: `GET /permissionscheme`,
 * "Holder object").
 */
export const CONDITIONAL_HOLDER_TYPES: ReadonlySet<string> = new Set([
  "reporter",
  "assignee",
  "userCustomField",
  "groupCustomField",
  "sd.customer.portal.only",
]);

/** Role-actor types Jira reports (`RoleActor.type`). */
const USER_ACTOR = "atlassian-user-role-actor";
const GROUP_ACTOR = "atlassian-group-role-actor";

/** An optional string: absent, null and "" all become null. */
function orNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === "" ? null : value;
}

/** A user as `GET /users/search` lists it. `emailAddress` is absent when the profile or the caller's rights hide it. */
export function toUser(u: JiraUser): JiraUserRow {
  const accountId = requireId(u.accountId, "Jira user", "accountId");
  return {
    accountId,
    accountType: u.accountType ?? "unknown",
    active: u.active,
    // Jira always sends a display name ("Former user" for closed accounts); the id is the only honest label otherwise.
    displayName: orNull(u.displayName) ?? accountId,
    email: orNull(u.emailAddress),
    appType: orNull(u.appType),
  };
}

export function toGroup(g: JiraGroup): JiraGroupRow {
  return { groupId: requireId(g.groupId, "Jira group", "groupId"), name: g.name };
}

/** One membership row for a member listed by `GET /group/member`. */
export function toGroupMember(groupId: string, member: JiraGroupMember): JiraGroupMemberRow {
  return { groupId, accountId: requireId(member.accountId, "Jira group member", "accountId") };
}

/**
 * A project from `GET /project/search?expand=lead`, with the id of the permission scheme read separately (null
 * when it could not be read). `style` falls back on `simplified` (team-managed = `next-gen`); Jira's project search
 * flags only archived projects, so an absent `archived` means live.
 */
export function toProject(p: JiraProject, permissionSchemeId: string | null): JiraProjectRow {
  const style =
    orNull(p.style) ?? (p.simplified === true ? "next-gen" : p.simplified === false ? "classic" : "unknown");
  return {
    id: String(requireId(p.id, "Jira project", "id")),
    key: requireId(p.key, "Jira project", "key"),
    name: p.name,
    projectTypeKey: orNull(p.projectTypeKey) ?? "unknown",
    style,
    archived: p.archived === true,
    leadAccountId: orNull(p.lead?.accountId),
    permissionSchemeId,
  };
}

/**
 * The role id at the end of a role's self URL, as `GET /project/{id}/role` lists them
 * (`…/rest/api/3/project/MKY/role/10360`); fails the read when the URL carries none.
 */
export function roleIdFromUrl(url: string): string {
  const m = /\/role\/(\d+)\/?(?:[?#].*)?$/.exec(url);
  return requireId(m?.[1], "Jira project role", "id (in its self URL)");
}

/** `<project name> - <role name>`: how the model names a Jira project role. */
export function projectRoleName(projectName: string, roleName: string): string {
  return `${projectName} - ${roleName}`;
}

export function toRole(role: JiraProjectRole): JiraRoleRow {
  return { id: String(requireId(role.id, "Jira project role", "id")), name: role.name };
}

/**
 * The actors of one role in one project. Actors of a type the snapshot cannot hold are returned separately so the
 * reader can say they were left out.
 */
export function toRoleActors(
  project: { id: string; name: string },
  role: JiraProjectRole,
): { rows: JiraRoleActorRow[]; unknownTypes: string[] } {
  const roleId = String(requireId(role.id, "Jira project role", "id"));
  const roleName = projectRoleName(project.name, role.name);
  const rows: JiraRoleActorRow[] = [];
  const unknownTypes: string[] = [];
  for (const a of role.actors ?? []) {
    const row = toRoleActor(project.id, roleId, roleName, a);
    if (row) rows.push(row);
    else unknownTypes.push(a.type);
  }
  return { rows, unknownTypes };
}

function toRoleActor(projectId: string, roleId: string, roleName: string, a: JiraRoleActor): JiraRoleActorRow | null {
  switch (a.type) {
    case USER_ACTOR:
      return {
        projectId,
        roleId,
        roleName,
        actorType: "user",
        accountId: requireId(orNull(a.actorUser?.accountId), "Jira role actor", "actorUser.accountId"),
        groupId: null,
      };
    case GROUP_ACTOR:
      return {
        projectId,
        roleId,
        roleName,
        actorType: "group",
        accountId: null,
        groupId: requireId(orNull(a.actorGroup?.groupId), "Jira role actor", "actorGroup.groupId"),
      };
    default:
      return null;
  }
}

export function toScheme(s: JiraPermissionScheme): JiraSchemeRow {
  return { id: String(requireId(s.id, "Jira permission scheme", "id")), name: s.name };
}

/**
 * One grant of a scheme, as Jira states it. A holder without `parameter`/`value` keeps them null: a `group` holder
 * without a group means any logged-in user, an `applicationRole` holder without a key means any licensed user.
 */
export function toGrant(schemeId: string, g: JiraGrant): JiraGrantRow {
  return {
    schemeId,
    grantId: String(requireId(g.id, "Jira permission grant", "id")),
    permission: g.permission,
    holderType: g.holder.type,
    parameter: orNull(g.holder.parameter),
    value: orNull(g.holder.value),
    conditional: CONDITIONAL_HOLDER_TYPES.has(g.holder.type),
  };
}

/** Every grant of a scheme read with `expand=permissions`. */
export function toGrants(s: JiraPermissionScheme): JiraGrantRow[] {
  const schemeId = String(requireId(s.id, "Jira permission scheme", "id"));
  return (s.permissions ?? []).map((g) => toGrant(schemeId, g));
}

/** An application role (product licence) with its groups and default groups by id. */
export function toApplicationRole(r: JiraApplicationRole): JiraApplicationRoleRow {
  const key = requireId(r.key, "Jira application role", "key");
  return {
    key,
    name: orNull(r.name) ?? key,
    groupIds: (r.groupDetails ?? []).map((g) => requireId(g.groupId, "Jira application role group", "groupId")),
    defaultGroupIds: (r.defaultGroupsDetails ?? []).map((g) =>
      requireId(g.groupId, "Jira application role default group", "groupId"),
    ),
  };
}
