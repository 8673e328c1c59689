/**
 * Response schemas of the Bitbucket Cloud calls the connector makes (`../shared/atlassian-specs/bitbucket-swagger.json`,
 * and the 1.0 groups API of reference §6, which the 2.0 spec does not describe).
 *
 * Policy: objects are loose (keys Bitbucket adds later pass through); identity fields are required (a user without
 * `account_id`, a repository without `uuid`/`slug`, a project without `key`, a group without `slug` is a real shape
 * error and fails the read); other fields are optional or nullable; vendor enums (`permission`, `kind`,
 * `fork_policy`, `branch_type`) are plain strings so a new value never breaks a read. `is_private` is required: the
 * snapshot has no "unknown" for it, and guessing either way would misstate who can see a repository.
 */
import { z } from "zod";

/** The 2.0 list wrapper `{size?, page?, pagelen, next?, previous?, values}`; `next` is an absolute URL. */
function page<T extends z.ZodType>(item: T) {
  return z.looseObject({
    values: z.array(item).optional(),
    next: z.string().nullish(),
    size: z.number().optional(),
    page: z.number().optional(),
    pagelen: z.number().optional(),
  });
}

/** `workspace` (`GET /2.0/workspaces/{workspace}`). */
export const BbWorkspaceSchema = z.looseObject({
  uuid: z.string(),
  slug: z.string(),
  name: z.string().nullish(),
});
export type BbWorkspace = z.infer<typeof BbWorkspaceSchema>;

/**
 * `account`/`user` as embedded in memberships and permissions. Bitbucket users carry no email; `account_id` is the
 * Atlassian account id that keys every account (reference §6), `uuid` the braced Bitbucket id.
 */
export const BbUserSchema = z.looseObject({
  account_id: z.string(),
  uuid: z.string(),
  display_name: z.string().nullish(),
  nickname: z.string().nullish(),
  type: z.string().optional(),
});
export type BbUser = z.infer<typeof BbUserSchema>;

/** `workspace_membership` with its `permission` (`GET /2.0/workspaces/{workspace}/permissions`). */
export const BbMembershipSchema = z.looseObject({
  permission: z.string(),
  user: BbUserSchema,
});
export type BbMembership = z.infer<typeof BbMembershipSchema>;
export const BbMembershipPageSchema = page(BbMembershipSchema);

/** A 1.0 user in a group's `members`. */
export const BbUserV1Schema = z.looseObject({
  account_id: z.string(),
  uuid: z.string().nullish(),
  display_name: z.string().nullish(),
});

/** A 1.0 group (`GET /1.0/groups/{workspace}`): a bare array, each group with its members. */
export const BbGroupV1Schema = z.looseObject({
  slug: z.string(),
  name: z.string().nullish(),
  /** Legacy workspace-level default permission; it grants nothing today (reference §6), so it is not kept. */
  permission: z.string().nullish(),
  auto_add: z.boolean().nullish(),
  members: z.array(BbUserV1Schema).nullish(),
});
export type BbGroupV1 = z.infer<typeof BbGroupV1Schema>;
export const BbGroupsV1Schema = z.array(BbGroupV1Schema);

/** `project` (`GET /2.0/workspaces/{workspace}/projects`). */
export const BbProjectSchema = z.looseObject({
  uuid: z.string(),
  key: z.string(),
  name: z.string().nullish(),
  description: z.string().nullish(),
  is_private: z.boolean(),
  has_publicly_visible_repos: z.boolean().nullish(),
});
export type BbProject = z.infer<typeof BbProjectSchema>;
export const BbProjectPageSchema = page(BbProjectSchema);

/** `repository` (`GET /2.0/repositories/{workspace}`); `mainbranch` is absent for an empty repository. */
export const BbRepositorySchema = z.looseObject({
  uuid: z.string(),
  slug: z.string(),
  name: z.string().nullish(),
  full_name: z.string().nullish(),
  is_private: z.boolean(),
  fork_policy: z.string().nullish(),
  project: z.looseObject({ key: z.string() }).nullish(),
  mainbranch: z.looseObject({ name: z.string().nullish() }).nullish(),
});
export type BbRepository = z.infer<typeof BbRepositorySchema>;
export const BbRepositoryPageSchema = page(BbRepositorySchema);

/** `project_user_permission` / `repository_user_permission` (`permissions-config/users`). */
export const BbUserGrantSchema = z.looseObject({
  permission: z.string(),
  user: z.looseObject({ account_id: z.string() }),
});
export type BbUserGrant = z.infer<typeof BbUserGrantSchema>;
export const BbUserGrantPageSchema = page(BbUserGrantSchema);

/** `project_group_permission` / `repository_group_permission` (`permissions-config/groups`). */
export const BbGroupGrantSchema = z.looseObject({
  permission: z.string(),
  group: z.looseObject({ slug: z.string(), name: z.string().nullish() }),
});
export type BbGroupGrant = z.infer<typeof BbGroupGrantSchema>;
export const BbGroupGrantPageSchema = page(BbGroupGrantSchema);

/**
 * `repository_permission` (`GET /2.0/workspaces/{workspace}/permissions/repositories`): the user's effective level.
 * The embedded repository has `uuid`, `name` and `full_name` (`workspace/slug`) but no `slug`.
 */
export const BbEffectivePermissionSchema = z.looseObject({
  permission: z.string(),
  user: z.looseObject({ account_id: z.string() }),
  repository: z.looseObject({
    uuid: z.string().nullish(),
    full_name: z.string().nullish(),
    name: z.string().nullish(),
  }),
});
export type BbEffectivePermission = z.infer<typeof BbEffectivePermissionSchema>;
export const BbEffectivePermissionPageSchema = page(BbEffectivePermissionSchema);

/**
 * `branchrestriction`. The published schema is loose; live payloads carry `kind`, `branch_match_kind` (`glob` |
 * `branching_model`), `pattern`, `branch_type` and `value` (reference §2.6).
 */
export const BbBranchRestrictionSchema = z.looseObject({
  id: z.union([z.number(), z.string()]).optional(),
  kind: z.string(),
  branch_match_kind: z.string().nullish(),
  pattern: z.string().nullish(),
  branch_type: z.string().nullish(),
  value: z.number().nullish(),
});
export type BbBranchRestriction = z.infer<typeof BbBranchRestrictionSchema>;
export const BbBranchRestrictionPageSchema = page(BbBranchRestrictionSchema);
