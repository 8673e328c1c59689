/**
 * Response schemas of the Confluence Cloud calls the Confluence reader makes: v2 (`/wiki/api/v2`,
 * `../shared/atlassian-specs/confluence-v2-openapi-v2.v3.json`) and v1 (`/wiki/rest/api`,
 * `confluence-v1-swagger.v3.json`).
 *
 * Policy: objects are loose (keys Confluence adds later pass through), identity fields are required (a record
 * without its accountId, group id, space id or key is a real shape error and fails the read), everything else is
 * optional or nullable, and vendor enums (`accountType`, space `type`, principal types, role mode) are plain
 * strings so a new value never breaks a read. v1 numbers space and permission ids; v2 sends strings: both are
 * accepted and kept as strings in the snapshot.
 */
import { z } from "zod";

/** An id Confluence sends as a number in v1 and as a string in v2. */
const ConfluenceId = z.union([z.number(), z.string()]);

/** v2 `_links` of a cursor page: `next` is relative to the site (`/wiki/api/v2/...`), absent on the last page. */
const V2Links = z.looseObject({ next: z.string().nullish(), base: z.string().nullish() }).nullish();

/** v2 `MultiEntityResult<T>`. */
function v2Page<T extends z.ZodType>(item: T) {
  return z.looseObject({ results: z.array(item), _links: V2Links });
}

/** v1 collection `{results, start, limit, size, _links}`; `_links.next` is relative to `_links.context` (`/wiki`). */
function v1Page<T extends z.ZodType>(item: T) {
  return z.looseObject({
    results: z.array(item),
    start: z.number().nullish(),
    limit: z.number().nullish(),
    size: z.number().nullish(),
    _links: z
      .looseObject({ next: z.string().nullish(), context: z.string().nullish(), base: z.string().nullish() })
      .nullish(),
  });
}

// ---------------------------------------------------------------- v1 groups and members

/** v1 `Group` (`GET /group`, v1 `subjects.group`). `id` is the groupId. */
export const V1GroupSchema = z.looseObject({ id: z.string(), name: z.string().nullish() });
export type V1Group = z.infer<typeof V1GroupSchema>;
export const V1GroupPageSchema = v1Page(V1GroupSchema);

/** v1 `User` as a group member: only its identity is kept; the user row comes from v2 `users-bulk`. */
export const V1MemberSchema = z.looseObject({ accountId: z.string() });
export type V1Member = z.infer<typeof V1MemberSchema>;
export const V1MemberPageSchema = v1Page(V1MemberSchema);

// ---------------------------------------------------------------- v1 spaces with permissions

/**
 * v1 `SpacePermission`: a grant to the users in `subjects.user`, the groups in `subjects.group`, or, with no subject,
 * to anonymous users (`anonymousAccess`) or to logged-in users without a Confluence licence (`unlicensedAccess`).
 * v1 is the only API that states those two (v2 principals are only user, group and role).
 */
export const V1SpacePermissionSchema = z.looseObject({
  id: ConfluenceId.nullish(),
  operation: z.looseObject({ operation: z.string(), targetType: z.string() }),
  anonymousAccess: z.boolean().nullish(),
  unlicensedAccess: z.boolean().nullish(),
  subjects: z
    .looseObject({
      user: z.looseObject({ results: z.array(V1MemberSchema).nullish() }).nullish(),
      group: z.looseObject({ results: z.array(V1GroupSchema).nullish() }).nullish(),
    })
    .nullish(),
});
export type V1SpacePermission = z.infer<typeof V1SpacePermissionSchema>;

/** v1 `Space` with `expand=permissions`. */
export const V1SpaceSchema = z.looseObject({
  id: ConfluenceId,
  key: z.string(),
  permissions: z.array(V1SpacePermissionSchema).nullish(),
});
export type V1Space = z.infer<typeof V1SpaceSchema>;
export const V1SpacePageSchema = v1Page(V1SpaceSchema);

// ---------------------------------------------------------------- v2 spaces, permissions, roles

/** v2 `SpaceBulk`. */
export const V2SpaceSchema = z.looseObject({
  id: ConfluenceId,
  key: z.string(),
  name: z.string().nullish(),
  type: z.string().nullish(),
  status: z.string().nullish(),
  authorId: z.string().nullish(),
});
export type V2Space = z.infer<typeof V2SpaceSchema>;
export const V2SpacePageSchema = v2Page(V2SpaceSchema);

/** v2 `SpacePermissionAssignment`: principal `user` | `group` | `role` with its id, and an `operation:targetType`. */
export const V2PermissionSchema = z.looseObject({
  id: ConfluenceId.nullish(),
  principal: z.looseObject({ type: z.string(), id: z.string().nullish() }),
  operation: z.looseObject({ key: z.string(), targetType: z.string() }),
});
export type V2Permission = z.infer<typeof V2PermissionSchema>;
export const V2PermissionPageSchema = v2Page(V2PermissionSchema);

/** v2 `SpaceRoleAssignment`: principal `USER` | `GROUP` | `ACCESS_CLASS`. */
export const V2RoleAssignmentSchema = z.looseObject({
  principal: z.looseObject({ principalType: z.string(), principalId: z.string() }),
  roleId: ConfluenceId,
});
export type V2RoleAssignment = z.infer<typeof V2RoleAssignmentSchema>;
export const V2RoleAssignmentPageSchema = v2Page(V2RoleAssignmentSchema);

/** An `include-*` list embedded in `GET /spaces/{id}`: at most 50 items, `meta.cursor` continues the full listing. */
function embedded<T extends z.ZodType>(item: T) {
  return z
    .looseObject({
      results: z.array(item),
      meta: z.looseObject({ hasMore: z.boolean().nullish(), cursor: z.string().nullish() }).nullish(),
    })
    .nullish();
}

/** v2 `SpaceSingle` with `include-permissions` and (role sites) `include-role-assignments`. */
export const V2SpaceDetailSchema = z.looseObject({
  id: ConfluenceId,
  key: z.string(),
  permissions: embedded(V2PermissionSchema),
  roleAssignments: embedded(V2RoleAssignmentSchema),
});
export type V2SpaceDetail = z.infer<typeof V2SpaceDetailSchema>;

/** v2 `SpaceRole`. */
export const V2SpaceRoleSchema = z.looseObject({ id: ConfluenceId, name: z.string().nullish() });
export type V2SpaceRole = z.infer<typeof V2SpaceRoleSchema>;
export const V2SpaceRolePageSchema = v2Page(V2SpaceRoleSchema);

/** `GET /space-role-mode`: `PRE_ROLES` | `ROLES_TRANSITION` | `ROLES`. */
export const V2RoleModeSchema = z.looseObject({ mode: z.string().nullish() });

// ---------------------------------------------------------------- v2 users

/**
 * v2 `User` (`POST /users-bulk`). `email` is "" (not absent) when the user's privacy setting or the caller's rights
 * hide it.
 */
export const V2UserSchema = z.looseObject({
  accountId: z.string(),
  accountType: z.string().nullish(),
  accountStatus: z.string().nullish(),
  email: z.string().nullish(),
  displayName: z.string().nullish(),
  publicName: z.string().nullish(),
  isExternalCollaborator: z.boolean().nullish(),
});
export type V2User = z.infer<typeof V2UserSchema>;
export const V2UsersBulkSchema = z.looseObject({ results: z.array(V2UserSchema) });
