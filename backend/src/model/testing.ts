/**
 * Small hand-written snapshots for the model's unit tests: every section with empty defaults, and row helpers with
 * sensible values, so each test states only what its rule needs.
 */
import type {
  AdminSection,
  AdminUser,
  BitbucketSection,
  ConfluenceSection,
  JiraSection,
  ScimSection,
  Snapshot,
} from "@accessmap/shared/snapshot/schema";
import type { AccessEntry, Model, ResourceType } from "./types.js";

export const HOST = "acme.atlassian.net";
export const ORG_ID = "org-1";
export const WS = "acme";

export function snapshot(parts: Partial<Snapshot> = {}): Snapshot {
  return {
    version: 1,
    runId: "run-1",
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:01:00.000Z",
    site: HOST,
    statuses: [],
    notes: [],
    admin: null,
    scim: null,
    jira: null,
    confluence: null,
    bitbucket: null,
    ...parts,
  };
}

export function adminUser(accountId: string, over: Partial<AdminUser> = {}): AdminUser {
  return {
    accountId,
    accountType: "atlassian",
    accountStatus: "active",
    status: "active",
    membershipStatus: "active",
    displayName: `User ${accountId}`,
    email: `${accountId}@acme.example`,
    claimStatus: "managed",
    billable: true,
    userType: "human",
    productAccess: [],
    lastActive: null,
    addedToOrg: null,
    ...over,
  };
}

/** Product access rows for `adminUser({ productAccess: products("jira-software", "confluence") })`. */
export const products = (...keys: string[]) => keys.map((key) => ({ key, lastActive: null }));

export function admin(over: Partial<AdminSection> = {}): AdminSection {
  return {
    org: { id: ORG_ID, name: "Acme" },
    directories: [],
    users: [],
    groups: [],
    groupMembers: [],
    orgAdmins: [],
    workspaces: [
      { id: "w-jira", name: "acme", type: "jira-software", url: `https://${HOST}` },
      { id: "w-conf", name: "acme", type: "confluence", url: `https://${HOST}` },
      { id: "w-bb", name: "acme", type: "bitbucket", url: `https://bitbucket.org/${WS}` },
    ],
    ...over,
  };
}

export function jira(over: Partial<JiraSection> = {}): JiraSection {
  return {
    users: [],
    groups: [],
    groupMembers: [],
    adminGroupIds: [],
    siteAdminGroupIds: [],
    projects: [],
    roles: [],
    roleActors: [],
    permissionSchemes: [],
    grants: [],
    applicationRoles: [],
    ...over,
  };
}

export function jiraUser(accountId: string, over: Partial<JiraSection["users"][number]> = {}) {
  return {
    accountId,
    accountType: "atlassian",
    active: true,
    displayName: `User ${accountId}`,
    email: null,
    appType: null,
    ...over,
  };
}

export function jiraProject(key: string, schemeId: string, over: Partial<JiraSection["projects"][number]> = {}) {
  return {
    id: `id-${key}`,
    key,
    name: `Project ${key}`,
    projectTypeKey: "software",
    style: "classic",
    archived: false,
    leadAccountId: null,
    permissionSchemeId: schemeId,
    ...over,
  };
}

let grantSeq = 0;
export function grant(
  schemeId: string,
  permission: string,
  holderType: string,
  parameter: string | null = null,
  value: string | null = parameter,
): JiraSection["grants"][number] {
  grantSeq++;
  return {
    schemeId,
    grantId: String(grantSeq),
    permission,
    holderType,
    parameter,
    value,
    conditional: ["reporter", "assignee", "userCustomField", "groupCustomField", "sd.customer.portal.only"].includes(
      holderType,
    ),
  };
}

export function confluence(over: Partial<ConfluenceSection> = {}): ConfluenceSection {
  return {
    users: [],
    groups: [],
    groupMembers: [],
    adminGroupIds: [],
    siteAdminGroupIds: [],
    spaces: [],
    spacePermissions: [],
    roleMode: null,
    roles: [],
    roleAssignments: [],
    ...over,
  };
}

export function space(key: string, over: Partial<ConfluenceSection["spaces"][number]> = {}) {
  return {
    id: `sp-${key}`,
    key,
    name: `Space ${key}`,
    type: "global",
    status: "current",
    anonymousAccess: false,
    unlicensedAccess: false,
    ...over,
  };
}

export function confluenceUser(accountId: string, over: Partial<ConfluenceSection["users"][number]> = {}) {
  return {
    accountId,
    accountType: "atlassian",
    accountStatus: "active",
    displayName: `User ${accountId}`,
    email: null,
    externalCollaborator: false,
    ...over,
  };
}

export function bitbucket(over: Partial<BitbucketSection> = {}): BitbucketSection {
  return {
    workspace: { uuid: "{ws}", slug: WS, name: "Acme" },
    permissionMode: "admin",
    members: [],
    groups: [],
    groupMembers: [],
    projects: [],
    repositories: [],
    projectPermissions: [],
    repositoryPermissions: [],
    branchProtection: [],
    ...over,
  };
}

export function bbMember(accountId: string, permission = "member") {
  return { accountId, uuid: `{u-${accountId}}`, nickname: null, displayName: `User ${accountId}`, permission };
}

export function bbProject(key: string, over: Partial<BitbucketSection["projects"][number]> = {}) {
  return {
    uuid: `{p-${key}}`,
    key,
    name: `Project ${key}`,
    description: null,
    is_private: true,
    has_publicly_visible_repos: false,
    ...over,
  };
}

export function bbRepo(
  slug: string,
  projectKey: string | null,
  over: Partial<BitbucketSection["repositories"][number]> = {},
) {
  return {
    uuid: `{r-${slug}}`,
    slug,
    name: slug,
    is_private: true,
    project_key: projectKey,
    fork_policy: "no_public_forks",
    mainbranch: "main",
    ...over,
  };
}

export function scim(users: ScimSection["users"]): ScimSection {
  return { directoryId: "dir-1", users, groups: [] };
}

/** Keys `principal|product|resourceType|resourceId|permission` of a model's entries. */
export const keys = (entries: readonly AccessEntry[]): string[] =>
  entries.map((e) => `${e.principal}|${e.product}|${e.resourceType}|${e.resourceId}|${e.permission}`);

/** One entry, or undefined. */
export function entry(
  entries: readonly AccessEntry[],
  principal: string,
  resourceType: ResourceType,
  resourceId: string,
  permission: string,
): AccessEntry | undefined {
  return entries.find(
    (e) =>
      e.principal === principal &&
      e.resourceType === resourceType &&
      e.resourceId === resourceId &&
      e.permission === permission,
  );
}

/** The path descriptions of one entry. */
export function paths(
  entries: readonly AccessEntry[],
  principal: string,
  resourceType: ResourceType,
  resourceId: string,
  permission: string,
): string[] | undefined {
  return entry(entries, principal, resourceType, resourceId, permission)?.via.map((v) => v.description);
}

/** Entries of one resource as `principal:permission`, sorted. */
export function onResource(model: Model, resourceType: ResourceType, resourceId: string, dormant = false): string[] {
  return (dormant ? model.dormant : model.access)
    .filter((e) => e.resourceType === resourceType && e.resourceId === resourceId)
    .map((e) => `${e.principal}:${e.permission}`)
    .sort();
}
