/**
 * Size presets of the generated tenant. The generator produces exactly these counts for accounts, groups, Jira
 * projects, permission schemes, roles, spaces (personal spaces included), Bitbucket projects, repositories and
 * workspace groups; the number of audit events is approximate (± a few per cent).
 */
import type { SizePreset } from "./model.js";

export interface SizeSpec {
  /** All accounts: people, app accounts and customer accounts. */
  accounts: number;
  /** Org groups (system, team, empty and unused ones). */
  groups: number;
  jiraProjects: number;
  /** Global Jira project roles (Administrators, Developers, …). */
  jiraRoles: number;
  permissionSchemes: number;
  /** Confluence spaces, personal spaces included. */
  spaces: number;
  bitbucketProjects: number;
  repos: number;
  /** Bitbucket workspace groups. */
  bitbucketGroups: number;
  /** Audit events. */
  events: number;
  /** Org admins (including the product user and one deactivated admin). */
  orgAdmins: number;
  /** Groups the designated "member of many groups" person belongs to. */
  manyGroupsUser: number;
}

export const SIZES: Readonly<Record<SizePreset, Readonly<SizeSpec>>> = {
  S: {
    accounts: 50,
    groups: 12,
    jiraProjects: 5,
    jiraRoles: 8,
    permissionSchemes: 5,
    spaces: 4,
    bitbucketProjects: 3,
    repos: 8,
    bitbucketGroups: 3,
    events: 40,
    orgAdmins: 3,
    manyGroupsUser: 9,
  },
  M: {
    accounts: 2_000,
    groups: 150,
    jiraProjects: 60,
    jiraRoles: 10,
    permissionSchemes: 12,
    spaces: 40,
    bitbucketProjects: 10,
    repos: 150,
    bitbucketGroups: 10,
    events: 400,
    orgAdmins: 4,
    manyGroupsUser: 25,
  },
  L: {
    accounts: 20_000,
    groups: 1_000,
    jiraProjects: 400,
    jiraRoles: 11,
    permissionSchemes: 40,
    spaces: 300,
    bitbucketProjects: 40,
    repos: 1_000,
    bitbucketGroups: 30,
    events: 2_000,
    orgAdmins: 6,
    manyGroupsUser: 40,
  },
  XL: {
    accounts: 100_000,
    groups: 4_000,
    jiraProjects: 1_500,
    jiraRoles: 12,
    permissionSchemes: 100,
    spaces: 1_000,
    bitbucketProjects: 120,
    repos: 4_000,
    bitbucketGroups: 80,
    events: 8_000,
    orgAdmins: 8,
    manyGroupsUser: 60,
  },
};

export const SIZE_PRESETS: readonly SizePreset[] = ["S", "M", "L", "XL"];

export function isSizePreset(s: string): s is SizePreset {
  return (SIZE_PRESETS as readonly string[]).includes(s);
}
