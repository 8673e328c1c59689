/**
 * Response schemas of the Jira Cloud platform REST v3 calls the Jira reader makes
 * (`../shared/atlassian-specs/jira-platform-swagger-v3.v3.json`).
 *
 * Policy: objects are loose (keys Jira adds later pass through), identity fields are required (a record without its
 * accountId, groupId, id or key is a real shape error and fails the read), everything else is optional or nullable,
 * and vendor enums (`accountType`, `projectTypeKey`, holder `type`) are plain strings so a new value never breaks a
 * read. Jira numbers most ids (project role, permission scheme, grant): they are accepted as numbers or strings and
 * kept as strings in the snapshot.
 */
import { z } from "zod";

/** A Jira id: numeric in most responses (`int64`), a string in some (project `id`). */
const JiraId = z.union([z.number(), z.string()]);

/** Jira `PageBean` (`startAt`/`maxResults`/`isLast`/`total`/`values`). */
function pageBean<T extends z.ZodType>(item: T) {
  return z.looseObject({
    values: z.array(item).optional(),
    startAt: z.number().optional(),
    maxResults: z.number().optional(),
    isLast: z.boolean().optional(),
    total: z.number().optional(),
  });
}

/**
 * `User` (`GET /users/search`); `emailAddress` is absent when hidden. `active` is required too: the snapshot has no
 * "unknown" for it, and guessing either way would misstate who can sign in.
 */
export const JiraUserSchema = z.looseObject({
  accountId: z.string(),
  accountType: z.string().optional(),
  active: z.boolean(),
  displayName: z.string().nullish(),
  emailAddress: z.string().nullish(),
  appType: z.string().nullish(),
});
export type JiraUser = z.infer<typeof JiraUserSchema>;

/** `GET /users/search` answers a bare array. */
export const JiraUsersPageSchema = z.array(JiraUserSchema);

/** `GroupDetails` (`GET /group/bulk`). The spec marks `groupId` nullable; without it a group cannot be keyed. */
export const JiraGroupSchema = z.looseObject({
  groupId: z.string(),
  name: z.string(),
});
export type JiraGroup = z.infer<typeof JiraGroupSchema>;

export const JiraGroupPageSchema = pageBean(JiraGroupSchema);
/** `UserDetails` (`GET /group/member`): only the member's identity is needed; the user row comes from `users/search`. */
export const JiraGroupMemberSchema = z.looseObject({ accountId: z.string() });
export type JiraGroupMember = z.infer<typeof JiraGroupMemberSchema>;

export const JiraGroupMemberPageSchema = pageBean(JiraGroupMemberSchema);

/** `Project` (`GET /project/search?expand=lead`). */
export const JiraProjectSchema = z.looseObject({
  id: JiraId,
  key: z.string(),
  name: z.string(),
  projectTypeKey: z.string().nullish(),
  style: z.string().nullish(),
  simplified: z.boolean().nullish(),
  archived: z.boolean().nullish(),
  lead: z.looseObject({ accountId: z.string().nullish() }).nullish(),
});
export type JiraProject = z.infer<typeof JiraProjectSchema>;

export const JiraProjectPageSchema = pageBean(JiraProjectSchema);

/** `GET /project/{id}/role`: role name → the role's self URL, which ends in the role id. */
export const JiraProjectRoleMapSchema = z.record(z.string(), z.string());

/** `RoleActor`: a user (`actorUser.accountId`) or a group (`actorGroup.groupId`). */
export const JiraRoleActorSchema = z.looseObject({
  type: z.string(),
  displayName: z.string().nullish(),
  actorUser: z.looseObject({ accountId: z.string().nullish() }).nullish(),
  actorGroup: z
    .looseObject({ groupId: z.string().nullish(), name: z.string().nullish(), displayName: z.string().nullish() })
    .nullish(),
});
export type JiraRoleActor = z.infer<typeof JiraRoleActorSchema>;

/** `ProjectRole` (`GET /project/{id}/role/{roleId}`), with its actors in that project. */
export const JiraProjectRoleSchema = z.looseObject({
  id: JiraId,
  name: z.string(),
  actors: z.array(JiraRoleActorSchema).nullish(),
});
export type JiraProjectRole = z.infer<typeof JiraProjectRoleSchema>;

/** `PermissionGrant`: `holder.parameter`/`holder.value` are absent for holders without a target (e.g. `anyone`). */
export const JiraGrantSchema = z.looseObject({
  id: JiraId,
  permission: z.string(),
  holder: z.looseObject({
    type: z.string(),
    parameter: z.string().nullish(),
    value: z.string().nullish(),
  }),
});
export type JiraGrant = z.infer<typeof JiraGrantSchema>;

/** `PermissionScheme`; `permissions` is present when an `expand` was asked for. */
export const JiraPermissionSchemeSchema = z.looseObject({
  id: JiraId,
  name: z.string(),
  permissions: z.array(JiraGrantSchema).nullish(),
});
export type JiraPermissionScheme = z.infer<typeof JiraPermissionSchemeSchema>;

/** `PermissionSchemes` (`GET /permissionscheme`): every scheme at once, not paginated. */
export const JiraPermissionSchemesSchema = z.looseObject({
  permissionSchemes: z.array(JiraPermissionSchemeSchema),
});

/** `GET /project/{id}/permissionscheme` without expand: only the scheme's identity is needed. */
export const JiraProjectSchemeSchema = z.looseObject({
  id: JiraId,
  name: z.string().nullish(),
});

/** `GroupName`, as application roles list their groups. */
const JiraGroupNameSchema = z.looseObject({
  groupId: z.string(),
  name: z.string().nullish(),
});

/** `ApplicationRole` (`GET /applicationrole`). Group ids come from `groupDetails`/`defaultGroupsDetails`. */
export const JiraApplicationRoleSchema = z.looseObject({
  key: z.string(),
  name: z.string().nullish(),
  groupDetails: z.array(JiraGroupNameSchema).nullish(),
  defaultGroupsDetails: z.array(JiraGroupNameSchema).nullish(),
});
export type JiraApplicationRole = z.infer<typeof JiraApplicationRoleSchema>;

export const JiraApplicationRolesSchema = z.array(JiraApplicationRoleSchema);
