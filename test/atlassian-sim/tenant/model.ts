/**
 * The simulator's data model: one coherent Atlassian Cloud organization that every simulated API (Admin, SCIM,
 * Jira, Confluence, Bitbucket) renders from, so a change made through one API shows in all of them.
 *
 * Plain data only (arrays and records, no classes or Sets), so a tenant serializes byte-for-byte deterministically.
 * Indexes and mutations live in `../state.ts`.
 */

export type SizePreset = "S" | "M" | "L" | "XL";

/** Atlassian account types as Admin v1 reports them (`User.account_type`). */
export type AccountType = "atlassian" | "app" | "customer";
/** Atlassian account status (`User.account_status`). */
export type AccountStatus = "active" | "inactive" | "closed";
/** Product keys of Admin v1 `product_access[].key` that the tenant uses. */
export type ProductKey = "jira-software" | "confluence" | "bitbucket";

export interface ProductAccess {
  key: ProductKey;
  /** ISO-8601 timestamp of last activity in the product, or null when never active. */
  lastActive: string | null;
}

export interface SimAccount {
  accountId: string;
  accountType: AccountType;
  status: AccountStatus;
  /** Org access suspended through the Admin API (v2 `membershipStatus: suspended`); the account itself stays active. */
  suspended: boolean;
  displayName: string;
  /** The account's email. Always visible to an org admin; product APIs hide it when `emailVisible` is false. */
  email: string;
  /** False when the user chose to hide their email, or the caller lacks Browse users and groups. */
  emailVisible: boolean;
  /** On a verified domain of the org (Admin v2 `claimStatus: managed`). */
  managed: boolean;
  /** Confluence guest / Jira external collaborator. */
  externalCollaborator: boolean;
  /** Admin v1 `access_billable`. */
  billable: boolean;
  products: ProductAccess[];
  /** ISO-8601, max of the product last-active dates, or null. */
  lastActive: string | null;
  /** ISO-8601 date the account was added to the org. */
  addedToOrg: string;
  /** For app accounts: Jira `appType`. */
  appType: "service" | "agent" | null;
  /** Bitbucket user uuid (braced) when the account uses Bitbucket, else null. */
  bitbucketUuid: string | null;
  /** Bitbucket nickname when the account uses Bitbucket. */
  bitbucketNickname: string | null;
  title: string | null;
  department: string | null;
}

export interface SimGroup {
  groupId: string;
  name: string;
  description: string;
  /** accountIds, in insertion order. */
  members: string[];
  /** `scim` groups are synced from the IdP: the Admin API refuses membership changes to them. */
  source: "admin" | "scim";
}

export interface SimSite {
  /** Atlassian cloud id of the site. */
  cloudId: string;
  /** Site host, e.g. `acme.atlassian.net`. */
  host: string;
  name: string;
  products: Array<"jira-software" | "confluence">;
}

export interface SimDirectory {
  directoryId: string;
  name: string;
}

/** An identity in the IdP: what an IdP export file or the SCIM directory holds about a person. */
export interface SimIdentity {
  idpId: string;
  login: string;
  email: string;
  displayName: string;
  status: "active" | "deactivated";
}

export interface ScimUser {
  /** SCIM resource id (not the Atlassian account id). */
  id: string;
  externalId: string;
  userName: string;
  displayName: string;
  givenName: string;
  familyName: string;
  email: string;
  active: boolean;
  title: string | null;
  department: string | null;
  organization: string | null;
  /** The linked Atlassian account (SCIM extension `atlassianAccountId`). */
  accountId: string;
  created: string;
  lastModified: string;
  /** Attributes only the SCIM API shows (RFC 7643 §4.1), kept so they round-trip; absent when never set. */
  profile?: ScimUserProfile;
}

/** Optional SCIM user attributes that no other API exposes. */
export interface ScimUserProfile {
  formattedName?: string;
  middleName?: string;
  honorificPrefix?: string;
  honorificSuffix?: string;
  nickName?: string;
  preferredLanguage?: string;
  timezone?: string;
  phoneNumbers?: Array<{ value: string; type?: string; primary?: boolean }>;
}

export interface ScimGroup {
  id: string;
  displayName: string;
  /** SCIM user ids. */
  members: string[];
  /** The Atlassian group this SCIM group is synced to. */
  groupId: string;
  /** The IdP's identifier for the group, when the client sent one. */
  externalId?: string;
  created: string;
  lastModified: string;
}

export interface AuditEvent {
  id: string;
  /** ISO-8601. */
  time: string;
  action: string;
  actorAccountId: string;
  /** Target objects, e.g. `{ type: "user", id }`, `{ type: "group", id }`. */
  targets: Array<{ type: string; id: string; name?: string }>;
  product: "admin" | "jira" | "confluence" | "bitbucket";
}

// ---------------------------------------------------------------- Jira

/** Jira permission-scheme holder types (GET /permissionscheme description). */
export type JiraHolderType =
  | "anyone"
  | "applicationRole"
  | "assignee"
  | "group"
  | "groupCustomField"
  | "projectLead"
  | "projectRole"
  | "reporter"
  | "sd.customer.portal.only"
  | "user"
  | "userCustomField";

export interface JiraGrant {
  id: number;
  permission: string;
  holder: {
    type: JiraHolderType;
    /** group: group name; projectRole: role id; user: accountId; applicationRole: app key or absent; fields: field id. */
    parameter?: string;
    /** group: groupId; projectRole: role id; user: accountId. */
    value?: string;
  };
}

export interface JiraPermissionScheme {
  id: number;
  name: string;
  description: string;
  grants: JiraGrant[];
}

export interface JiraRole {
  id: number;
  name: string;
  description: string;
}

export interface JiraRoleActors {
  /** accountIds */
  users: string[];
  /** groupIds */
  groups: string[];
}

export interface JiraProject {
  id: string;
  key: string;
  name: string;
  projectTypeKey: "software" | "business" | "service_desk";
  style: "classic" | "next-gen";
  archived: boolean;
  leadAccountId: string;
  permissionSchemeId: number;
  /** role id (as string) → actors of that role in this project */
  roleActors: Record<string, JiraRoleActors>;
}

export interface JiraApplicationRole {
  key: "jira-software" | "jira-servicedesk" | "jira-core";
  name: string;
  /** groupIds whose members get this application. */
  groups: string[];
  defaultGroups: string[];
  numberOfSeats: number;
  hasUnlimitedSeats: boolean;
}

export interface SimJira {
  projects: JiraProject[];
  roles: JiraRole[];
  permissionSchemes: JiraPermissionScheme[];
  applicationRoles: JiraApplicationRole[];
  /** groupIds that Jira reports with `accessType=admin` (Administer Jira). */
  adminGroups: string[];
  /** groupIds that Jira reports with `accessType=site-admin`. */
  siteAdminGroups: string[];
}

// ---------------------------------------------------------------- Confluence

export type ConfluencePrincipal =
  | { type: "user"; id: string }
  | { type: "group"; id: string }
  | { type: "role"; id: string }
  /** Anonymous access (v1 `anonymousAccess: true`). */
  | { type: "anonymous" }
  /** Unlicensed access (v1 `unlicensedAccess: true`): logged-in users without a Confluence licence. */
  | { type: "unlicensed" };

export interface ConfluenceSpacePermission {
  id: string;
  principal: ConfluencePrincipal;
  operation: { key: string; targetType: string };
}

export interface ConfluenceRoleAssignment {
  principal: { type: "USER" | "GROUP"; id: string };
  roleId: string;
}

export interface ConfluenceSpace {
  id: string;
  key: string;
  name: string;
  type: "global" | "personal" | "collaboration" | "knowledge_base";
  status: "current" | "archived";
  /** Owner of a personal space; the creator otherwise. */
  authorAccountId: string;
  createdAt: string;
  homepageId: string;
  permissions: ConfluenceSpacePermission[];
  roleAssignments: ConfluenceRoleAssignment[];
}

export interface ConfluenceSpaceRole {
  id: string;
  name: string;
  description: string;
  type: "SYSTEM" | "CUSTOM";
  /** The space-permission operations a role carries, as `key:targetType`. */
  operations: string[];
}

export interface SimConfluence {
  spaces: ConfluenceSpace[];
  roles: ConfluenceSpaceRole[];
  /** `GET /space-role-mode`. */
  roleMode: "PRE_ROLES" | "ROLES_TRANSITION" | "ROLES";
  /** groupIds reported with `accessType=admin` / `site-admin`. */
  adminGroups: string[];
  siteAdminGroups: string[];
}

// ---------------------------------------------------------------- Bitbucket

export type BitbucketWorkspacePermission = "owner" | "collaborator" | "member";
export type BitbucketProjectPermission = "read" | "write" | "create-repo" | "admin";
export type BitbucketRepoPermission = "read" | "write" | "admin";
export type BitbucketForkPolicy = "allow_forks" | "no_public_forks" | "no_forks";

export interface BitbucketMember {
  accountId: string;
  permission: BitbucketWorkspacePermission;
}

export interface BitbucketGroup {
  slug: string;
  name: string;
  /** Workspace-level default permission of the group (1.0 API), or null. */
  permission: "read" | "write" | "admin" | null;
  autoAdd: boolean;
  /** accountIds */
  members: string[];
}

export interface BitbucketUserGrant<P> {
  accountId: string;
  permission: P;
}

export interface BitbucketGroupGrant<P> {
  slug: string;
  permission: P;
}

export interface BitbucketProject {
  uuid: string;
  key: string;
  name: string;
  description: string;
  isPrivate: boolean;
  createdOn: string;
  users: Array<BitbucketUserGrant<BitbucketProjectPermission>>;
  groups: Array<BitbucketGroupGrant<BitbucketProjectPermission>>;
}

export interface BitbucketBranchRestriction {
  id: number;
  kind: string;
  branchMatchKind: "glob" | "branching_model";
  pattern: string;
  branchType: "production" | "development" | "bugfix" | "release" | "feature" | "hotfix" | null;
  value: number | null;
  /** accountIds exempted (push / restrict_merges only). */
  users: string[];
  /** group slugs exempted. */
  groups: string[];
}

export interface BitbucketRepo {
  uuid: string;
  slug: string;
  name: string;
  description: string;
  projectKey: string;
  isPrivate: boolean;
  forkPolicy: BitbucketForkPolicy;
  mainbranch: string;
  createdOn: string;
  /** True when the repository has its own explicit grants beyond its project's. */
  overridesProject: boolean;
  users: Array<BitbucketUserGrant<BitbucketRepoPermission>>;
  groups: Array<BitbucketGroupGrant<BitbucketRepoPermission>>;
  branchRestrictions: BitbucketBranchRestriction[];
  /** The branching model's production branch name, used by `branch_match_kind: branching_model`. */
  productionBranch: string | null;
}

export interface SimBitbucket {
  workspace: { uuid: string; slug: string; name: string; isPrivate: boolean; createdOn: string };
  members: BitbucketMember[];
  groups: BitbucketGroup[];
  projects: BitbucketProject[];
  repos: BitbucketRepo[];
}

// ---------------------------------------------------------------- credentials

export interface SimCredentials {
  /** Unscoped org API key: sees the organization. */
  adminApiKey: string;
  /** A scoped API key: valid, but finds no organization. */
  scopedAdminApiKey: string;
  /** SCIM directory API key. */
  scimToken: string;
  /** Integration user with Browse users and groups and site admin. */
  productUser: { email: string; token: string; accountId: string };
  /** A product user without Browse users and groups: sees `email: null` and gets 403 from `group/member`. */
  limitedProductUser: { email: string; token: string; accountId: string };
  /** OAuth consumer whose owner has Repositories: Admin (and workspace admin). */
  bitbucketAdminConsumer: { key: string; secret: string; ownerAccountId: string };
  /** OAuth consumer without admin rights: 403 from `permissions-config`. */
  bitbucketMemberConsumer: { key: string; secret: string; ownerAccountId: string };
  /** Secret of the workspace webhook (`X-Hub-Signature`). */
  bitbucketWebhookSecret: string;
}

// ---------------------------------------------------------------- the tenant

export interface SimTenant {
  /** Format version of this structure. */
  version: 1;
  seed: number;
  size: SizePreset;
  /** Fixed "now" of the generated data, ISO-8601; last-active dates are relative to it. */
  generatedAt: string;
  org: { id: string; name: string };
  sites: SimSite[];
  directories: SimDirectory[];
  accounts: SimAccount[];
  groups: SimGroup[];
  /** accountIds holding the org-admin role. */
  orgAdmins: string[];
  /** The IdP's people (SCIM-provisioned and not), as an IdP export would list them. */
  identities: SimIdentity[];
  scim: { directoryId: string; users: ScimUser[]; groups: ScimGroup[] };
  jira: SimJira;
  confluence: SimConfluence;
  bitbucket: SimBitbucket;
  events: AuditEvent[];
  credentials: SimCredentials;
}

// ---------------------------------------------------------------- ground truth

/** Pseudo-principals that stand for many accounts at once (stored once, never multiplied per account). */
export const ANONYMOUS = "anonymous";
export const JIRA_PRODUCT_USERS = "product-users:jira";
export const CONFLUENCE_UNLICENSED = "unlicensed:confluence";

export type AccessProduct = "admin" | "jira" | "confluence" | "bitbucket";
export type ResourceType =
  | "org"
  | "site"
  | "jira_project"
  | "confluence_space"
  | "bitbucket_workspace"
  | "bitbucket_project"
  | "bitbucket_repo";

/** One row of the effective-access table: principal × resource × native permission. */
export interface GroundTruthRow {
  /** An accountId, or one of the pseudo-principals above. */
  principal: string;
  product: AccessProduct;
  resourceType: ResourceType;
  /** org id, site host, Jira project key, space key, workspace slug, `workspace/PROJECTKEY`, `workspace/repo-slug`. */
  resourceId: string;
  permission: string;
}
