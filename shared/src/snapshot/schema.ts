/**
 * The normalized discovery snapshot, version 1: what each product says about identities and permissions, keyed by
 * stable ids (accountId, groupId, project id/key, space id/key, Bitbucket uuid/slug), never by email.
 *
 * One section per source. Sections hold the product's own view; joining accounts across products and resolving
 * effective access happen later, in the model builder. A product that could not be read completely says so in its
 * status and keeps whatever it could read; nothing here is invented to fill a gap.
 */
import { z } from "zod";

export const SNAPSHOT_VERSION = 1 as const;

/** A vendor enum we record as-is: the known values are listed for the type, new ones pass through. */
function openEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z.union([z.enum(values), z.string()]) as unknown as z.ZodType<T[number] | (string & {})>;
}

export const ProductName = z.enum(["admin", "scim", "jira", "confluence", "bitbucket"]);
export type ProductName = z.infer<typeof ProductName>;

export const ProductState = z.enum(["complete", "partial", "failed", "skipped"]);
export type ProductState = z.infer<typeof ProductState>;

/** How far a product's read got, and why it stopped short. */
export const ProductStatus = z.object({
  product: ProductName,
  state: ProductState,
  /** Sentences a user can act on, e.g. "group members: 403 — the product user lacks Browse users and groups". */
  reasons: z.array(z.string()),
  /** Entities read, by kind. */
  counts: z.record(z.string(), z.number().int().nonnegative()),
  /** HTTP calls made for this product. */
  calls: z.number().int().nonnegative(),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type ProductStatus = z.infer<typeof ProductStatus>;

export const AccountType = openEnum(["atlassian", "app", "customer", "unknown"]);
export const AccountStatus = openEnum(["active", "inactive", "closed", "unknown"]);

const GroupMember = z.object({ groupId: z.string(), accountId: z.string() });

// ---------------------------------------------------------------- Admin

export const AdminUser = z.object({
  accountId: z.string(),
  accountType: AccountType,
  accountStatus: AccountStatus,
  /** v2 composite status: active, suspended, deactivated, … */
  status: z.string().nullable(),
  membershipStatus: z.string().nullable(),
  displayName: z.string(),
  email: z.string().nullable(),
  claimStatus: z.string().nullable(),
  /** Admin v1 `access_billable`; null when v1 did not report the account. */
  billable: z.boolean().nullable(),
  /** Derived: `service_account` for app accounts, else `human` (Veza OAA `user_type`). */
  userType: z.enum(["human", "service_account"]),
  productAccess: z.array(z.object({ key: z.string(), lastActive: z.string().nullable() })),
  lastActive: z.string().nullable(),
  addedToOrg: z.string().nullable(),
});
export type AdminUser = z.infer<typeof AdminUser>;

export const AdminSection = z.object({
  org: z.object({ id: z.string(), name: z.string() }),
  directories: z.array(z.object({ directoryId: z.string(), name: z.string() })),
  users: z.array(AdminUser),
  groups: z.array(z.object({ groupId: z.string(), name: z.string(), description: z.string().nullable() })),
  groupMembers: z.array(GroupMember),
  /** accountIds holding the org-admin role. */
  orgAdmins: z.array(z.string()),
  /** Sites and products (Admin workspaces). */
  workspaces: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      /** Product type, e.g. `jira-software`, `confluence`, `bitbucket`. */
      type: z.string(),
      /** Site host or Bitbucket workspace URL. */
      url: z.string().nullable(),
    }),
  ),
  /**
   * Product access granted through groups (group role assignments with the product's `atlassian/user` role), by
   * product key (`jira-software`, `confluence`, …). The only Admin view of the product access of accounts Admin
   * does not list (app and customer accounts). Absent when not read.
   */
  groupProductAccess: z.array(z.object({ groupId: z.string(), key: z.string() })).optional(),
});
export type AdminSection = z.infer<typeof AdminSection>;

// ---------------------------------------------------------------- SCIM (IdP-side identities)

export const ScimIdentity = z.object({
  scimId: z.string(),
  externalId: z.string().nullable(),
  userName: z.string(),
  displayName: z.string().nullable(),
  email: z.string().nullable(),
  active: z.boolean(),
  /** The linked Atlassian account, from the Atlassian SCIM extension. */
  accountId: z.string().nullable(),
});
export type ScimIdentity = z.infer<typeof ScimIdentity>;

export const ScimSection = z.object({
  directoryId: z.string(),
  users: z.array(ScimIdentity),
  groups: z.array(z.object({ scimId: z.string(), displayName: z.string(), memberScimIds: z.array(z.string()) })),
});
export type ScimSection = z.infer<typeof ScimSection>;

// ---------------------------------------------------------------- Jira

export const JiraHolderType = openEnum([
  "anyone",
  "applicationRole",
  "assignee",
  "group",
  "groupCustomField",
  "projectLead",
  "projectRole",
  "reporter",
  "sd.customer.portal.only",
  "user",
  "userCustomField",
]);

export const JiraSection = z.object({
  users: z.array(
    z.object({
      accountId: z.string(),
      accountType: AccountType,
      active: z.boolean(),
      displayName: z.string(),
      email: z.string().nullable(),
      appType: z.string().nullable(),
    }),
  ),
  groups: z.array(z.object({ groupId: z.string(), name: z.string() })),
  groupMembers: z.array(GroupMember),
  /** Groups Jira reports with `accessType=admin` / `site-admin`. */
  adminGroupIds: z.array(z.string()),
  siteAdminGroupIds: z.array(z.string()),
  projects: z.array(
    z.object({
      id: z.string(),
      key: z.string(),
      name: z.string(),
      projectTypeKey: z.string(),
      style: openEnum(["classic", "next-gen"]),
      archived: z.boolean(),
      leadAccountId: z.string().nullable(),
      permissionSchemeId: z.string().nullable(),
    }),
  ),
  roles: z.array(z.object({ id: z.string(), name: z.string() })),
  /** One row per actor of a role in a project; `roleName` is `<project name> - <role name>`. */
  roleActors: z.array(
    z.object({
      projectId: z.string(),
      roleId: z.string(),
      roleName: z.string(),
      actorType: z.enum(["user", "group"]),
      accountId: z.string().nullable(),
      groupId: z.string().nullable(),
    }),
  ),
  permissionSchemes: z.array(z.object({ id: z.string(), name: z.string() })),
  grants: z.array(
    z.object({
      schemeId: z.string(),
      grantId: z.string(),
      permission: z.string(),
      holderType: JiraHolderType,
      /** group name, role id, accountId, application key, field id — as Jira states it; null when absent. */
      parameter: z.string().nullable(),
      /** groupId for group holders, role id, accountId; null when absent. */
      value: z.string().nullable(),
      /** reporter, assignee, custom-field and portal-only holders depend on the issue: never expanded to accounts. */
      conditional: z.boolean(),
    }),
  ),
  applicationRoles: z.array(
    z.object({
      key: z.string(),
      name: z.string(),
      groupIds: z.array(z.string()),
      defaultGroupIds: z.array(z.string()),
    }),
  ),
});
export type JiraSection = z.infer<typeof JiraSection>;

// ---------------------------------------------------------------- Confluence

export const ConfluenceSection = z.object({
  users: z.array(
    z.object({
      accountId: z.string(),
      accountType: AccountType,
      accountStatus: AccountStatus,
      displayName: z.string(),
      email: z.string().nullable(),
      externalCollaborator: z.boolean(),
    }),
  ),
  groups: z.array(z.object({ groupId: z.string(), name: z.string() })),
  groupMembers: z.array(GroupMember),
  adminGroupIds: z.array(z.string()),
  siteAdminGroupIds: z.array(z.string()),
  spaces: z.array(
    z.object({
      id: z.string(),
      key: z.string(),
      name: z.string(),
      type: z.string(),
      status: z.string(),
      anonymousAccess: z.boolean(),
      unlicensedAccess: z.boolean(),
    }),
  ),
  spacePermissions: z.array(
    z.object({
      spaceId: z.string(),
      principalType: z.enum(["user", "group", "role", "anonymous", "unlicensed"]),
      principalId: z.string().nullable(),
      /** `operation:target`, e.g. `read:space`. */
      operation: z.string(),
    }),
  ),
  roleMode: z.string().nullable(),
  roles: z.array(z.object({ id: z.string(), name: z.string() })),
  roleAssignments: z.array(
    z.object({
      spaceId: z.string(),
      roleId: z.string(),
      /** `access_class`: a class of users (v2 `ACCESS_CLASS`, e.g. `anonymous-users`, `all-licensed-users`). */
      principalType: z.enum(["user", "group", "access_class"]),
      principalId: z.string(),
    }),
  ),
});
export type ConfluenceSection = z.infer<typeof ConfluenceSection>;

// ---------------------------------------------------------------- Bitbucket

export const BranchProtection = z.object({
  repoSlug: z.string(),
  branch: z.string(),
  default_branch_protected: z.boolean(),
  allow_auto_merge_when_builds_pass: z.boolean(),
  require_passing_builds_to_merge: z.boolean(),
  enforce_merge_checks: z.boolean(),
  require_approvals_to_merge: z.boolean(),
  require_default_reviewer_approvals_to_merge: z.boolean(),
  require_tasks_to_be_completed: z.boolean(),
  /** Largest approval count among matching `require_approvals_to_merge` restrictions. */
  approvalsRequired: z.number().int().nullable(),
});
export type BranchProtection = z.infer<typeof BranchProtection>;

export const BitbucketSection = z.object({
  workspace: z.object({ uuid: z.string(), slug: z.string(), name: z.string() }),
  /** `admin`: permissions-config was readable; `fallback`: only the workspace's effective permissions were. */
  permissionMode: z.enum(["admin", "fallback"]),
  members: z.array(
    z.object({
      accountId: z.string(),
      uuid: z.string(),
      nickname: z.string().nullable(),
      displayName: z.string(),
      permission: openEnum(["owner", "collaborator", "member"]),
    }),
  ),
  groups: z.array(z.object({ slug: z.string(), name: z.string() })),
  groupMembers: z.array(z.object({ groupSlug: z.string(), accountId: z.string() })),
  projects: z.array(
    z.object({
      uuid: z.string(),
      key: z.string(),
      name: z.string(),
      /** Null when the project has none. */
      description: z.string().nullable(),
      is_private: z.boolean(),
      has_publicly_visible_repos: z.boolean(),
    }),
  ),
  repositories: z.array(
    z.object({
      uuid: z.string(),
      slug: z.string(),
      name: z.string(),
      is_private: z.boolean(),
      project_key: z.string().nullable(),
      /** `allow_forks` | `no_public_forks` | `no_forks`; null when Bitbucket did not say. */
      fork_policy: z.string().nullable(),
      mainbranch: z.string().nullable(),
    }),
  ),
  projectPermissions: z.array(
    z.object({
      projectKey: z.string(),
      principalType: z.enum(["user", "group"]),
      /** accountId for users, group slug for groups. */
      principalId: z.string(),
      permission: z.string(),
    }),
  ),
  repositoryPermissions: z.array(
    z.object({
      repoSlug: z.string(),
      principalType: z.enum(["user", "group"]),
      principalId: z.string(),
      permission: z.string(),
      /** `explicit` from permissions-config; `effective` from the fallback (no group source visible). */
      source: z.enum(["explicit", "effective"]),
    }),
  ),
  branchProtection: z.array(BranchProtection),
});
export type BitbucketSection = z.infer<typeof BitbucketSection>;

// ---------------------------------------------------------------- the snapshot

export const Snapshot = z.object({
  version: z.literal(SNAPSHOT_VERSION),
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** Site host read for Jira and Confluence, e.g. `acme.atlassian.net`. */
  site: z.string().nullable(),
  statuses: z.array(ProductStatus),
  /** Said when no admin key was configured: identities cannot be correlated with the IdP. */
  notes: z.array(z.string()),
  admin: AdminSection.nullable(),
  scim: ScimSection.nullable(),
  jira: JiraSection.nullable(),
  confluence: ConfluenceSection.nullable(),
  bitbucket: BitbucketSection.nullable(),
});
export type Snapshot = z.infer<typeof Snapshot>;
