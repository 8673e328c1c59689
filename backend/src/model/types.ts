/**
 * The merged model, version 1: accounts joined across products, IdP identities linked to them, unified groups,
 * resources, and effective access — principal × resource × native permission with every path that grants it.
 *
 * Pseudo-principals stand for many accounts and are stored once: `anonymous` (anyone, even logged out),
 * `product-users:jira` (any logged-in account with Jira), `unlicensed:confluence` (logged-in users without a
 * Confluence licence). Queries about one account include them; exports expand them only on request.
 */

export const MODEL_VERSION = 1 as const;

export const ANONYMOUS = "anonymous";
export const JIRA_PRODUCT_USERS = "product-users:jira";
export const CONFLUENCE_UNLICENSED = "unlicensed:confluence";
export const PSEUDO_PRINCIPALS = [ANONYMOUS, JIRA_PRODUCT_USERS, CONFLUENCE_UNLICENSED] as const;

import type { AccessProduct, ResourceType } from "@accessmap/shared/model/resource-types";

export type { AccessProduct, ResourceType };

/** Canonical categories that let questions span products. */
export type CanonicalPermission = "data_read" | "data_write" | "data_create" | "data_delete" | "metadata" | "admin";

export interface Resource {
  type: ResourceType;
  /** The CSV `resource_id`: org id, site host, Jira project key, space key, workspace slug, `ws/PROJECTKEY`, `ws/repo-slug`. */
  id: string;
  name: string;
  product: AccessProduct;
  /** `type:id` of the containing resource (site for projects and spaces, workspace for Bitbucket projects, …). */
  parent: string | null;
  /** Product facts used by insights and exports (is_private, fork_policy, archived, anonymous_access, …). */
  attributes: Record<string, string | number | boolean | null>;
}

/** `type:id`, the key of a resource in indexes and `parent`. */
export const resourceKey = (r: { type: ResourceType; id: string }) => `${r.type}:${r.id}`;

export interface ProductUse {
  key: string;
  lastActive: string | null;
}

export interface Account {
  accountId: string;
  displayName: string;
  email: string | null;
  accountType: string;
  /** active | inactive | closed | unknown */
  status: string;
  suspended: boolean;
  billable: boolean | null;
  userType: "human" | "service_account";
  externalCollaborator: boolean;
  products: ProductUse[];
  lastActive: string | null;
  /** Sources that reported the account. */
  seenIn: Array<"admin" | "scim" | "jira" | "confluence" | "bitbucket">;
  bitbucketUuid: string | null;
  /** The linked IdP identity, or null. */
  identityId: string | null;
}

export interface Identity {
  /** IdP id (externalId or the IdP export's id), else the SCIM id. */
  id: string;
  source: "scim" | "idp-file";
  login: string;
  email: string | null;
  displayName: string | null;
  status: "active" | "deactivated";
  accountId: string | null;
  /** How the link was made: by account id, by email (case-insensitive), or not at all. */
  match: "account-id" | "email" | "ambiguous" | "unmatched";
  /** For an ambiguous match: every account it could be. */
  candidates: string[];
}

export interface Group {
  /** groupId for org groups; `bitbucket:<slug>` for Bitbucket workspace groups. */
  key: string;
  groupId: string | null;
  bitbucketSlug: string | null;
  name: string;
  scope: "org" | "bitbucket";
  /** accountIds */
  members: string[];
}

/** One step of a derivation, e.g. a scheme grant to a group, then the account's membership of that group. */
export interface ViaPath {
  /** Machine-readable kind, e.g. `jira.scheme.group`, `confluence.space.role`, `bitbucket.workspace.owner`. */
  kind: string;
  /** Human-readable, e.g. `permission scheme "Default" → group "jira-users"`. */
  description: string;
}

export interface AccessEntry {
  /** accountId or a pseudo-principal. */
  principal: string;
  product: AccessProduct;
  resourceType: ResourceType;
  resourceId: string;
  /** The native permission name. */
  permission: string;
  /** Every path that grants it, sorted by description. The builder shares arrays between entries: read-only. */
  via: ViaPath[];
}

export interface CorrelationReport {
  /** Identities linked to no account. */
  unmatchedIdentities: string[];
  /** Identities that match several accounts. */
  ambiguousIdentities: string[];
  /** Accounts that several identities claim (none of them by account id): left unlinked, reported here. */
  ambiguousAccounts?: string[];
  /** Accounts with product access and no identity (only when an identity source exists). */
  accountsWithoutIdentity: string[];
  /** Whether any identity source (SCIM or IdP file) was available. */
  identitySourceAvailable: boolean;
}

export interface Model {
  version: typeof MODEL_VERSION;
  builtAt: string;
  snapshotRunId: string;
  org: { id: string; name: string } | null;
  site: string | null;
  accounts: Account[];
  identities: Identity[];
  groups: Group[];
  resources: Resource[];
  /** Effective access, sorted by (product, resourceType, resourceId, permission, principal). */
  access: AccessEntry[];
  /** Grants held by accounts that lack the product (or are inactive): reported, never effective. */
  dormant: AccessEntry[];
  /** Jira grants that depend on the issue (reporter, assignee, custom fields, portal-only): never expanded. */
  conditional: Array<{ projectKey: string; permission: string; holderType: string; parameter: string | null }>;
  correlation: CorrelationReport;
  /** Copied from the snapshot: per-source completeness. */
  statuses: Array<{ product: string; state: string; reasons: string[] }>;
  notes: string[];
}
