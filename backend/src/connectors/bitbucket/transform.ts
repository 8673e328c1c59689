/**
 * Pure transforms from Bitbucket Cloud objects (see `schemas.ts`) to rows of the snapshot's Bitbucket section.
 * Identity fields go through `requireId`, so a record without one fails the read instead of being keyed by a
 * guess; other missing fields become null (never ""). Users are keyed by `account_id`, the Atlassian account id
 * (Bitbucket user objects carry no email, reference §6).
 */
import { requireId } from "@accessmap/shared/readers/reader";
import type { BitbucketSection } from "@accessmap/shared/snapshot/schema";
import type {
  BbEffectivePermission,
  BbGroupGrant,
  BbGroupV1,
  BbMembership,
  BbProject,
  BbRepository,
  BbUserGrant,
  BbWorkspace,
} from "./schemas.js";

export type BbWorkspaceRow = BitbucketSection["workspace"];
export type BbMemberRow = BitbucketSection["members"][number];
export type BbGroupRow = BitbucketSection["groups"][number];
export type BbGroupMemberRow = BitbucketSection["groupMembers"][number];
export type BbProjectRow = BitbucketSection["projects"][number];
export type BbRepositoryRow = BitbucketSection["repositories"][number];
export type BbProjectPermissionRow = BitbucketSection["projectPermissions"][number];
export type BbRepositoryPermissionRow = BitbucketSection["repositoryPermissions"][number];

/** An optional string: absent, null and "" all become null. */
function orNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === "" ? null : value;
}

export function toWorkspace(ws: BbWorkspace): BbWorkspaceRow {
  const slug = requireId(ws.slug, "Bitbucket workspace", "slug");
  return { uuid: requireId(ws.uuid, "Bitbucket workspace", "uuid"), slug, name: orNull(ws.name) ?? slug };
}

/** A member and their workspace permission level (`owner` | `collaborator` | `member`), from `/permissions`. */
export function toMember(m: BbMembership): BbMemberRow {
  const accountId = requireId(m.user?.account_id, "Bitbucket workspace member", "account_id");
  return {
    accountId,
    uuid: requireId(m.user.uuid, "Bitbucket workspace member", "uuid"),
    nickname: orNull(m.user.nickname),
    // Bitbucket always sends a display name; the account id is the only honest label otherwise.
    displayName: orNull(m.user.display_name) ?? orNull(m.user.nickname) ?? accountId,
    permission: m.permission,
  };
}

export function toGroup(g: BbGroupV1): BbGroupRow {
  const slug = requireId(g.slug, "Bitbucket group", "slug");
  return { slug, name: orNull(g.name) ?? slug };
}

/** The membership rows of one 1.0 group, one per listed member. */
export function toGroupMembers(g: BbGroupV1): BbGroupMemberRow[] {
  const groupSlug = requireId(g.slug, "Bitbucket group", "slug");
  return (g.members ?? []).map((m) => ({
    groupSlug,
    accountId: requireId(m.account_id, "Bitbucket group member", "account_id"),
  }));
}

/**
 * A project. `has_publicly_visible_repos` is computed by Bitbucket; when absent, `hasPublicRepos` (whether a public
 * repository of this project was listed — public repositories are listed to every caller) stands in.
 */
export function toProject(p: BbProject, hasPublicRepos: boolean): BbProjectRow {
  const key = requireId(p.key, "Bitbucket project", "key");
  return {
    uuid: requireId(p.uuid, "Bitbucket project", "uuid"),
    key,
    name: orNull(p.name) ?? key,
    description: orNull(p.description),
    is_private: p.is_private,
    has_publicly_visible_repos: p.has_publicly_visible_repos ?? hasPublicRepos,
  };
}

export function toRepository(r: BbRepository): BbRepositoryRow {
  const slug = requireId(r.slug, "Bitbucket repository", "slug");
  return {
    uuid: requireId(r.uuid, "Bitbucket repository", "uuid"),
    slug,
    name: orNull(r.name) ?? slug,
    is_private: r.is_private,
    project_key: orNull(r.project?.key),
    fork_policy: orNull(r.fork_policy),
    mainbranch: orNull(r.mainbranch?.name),
  };
}

/** An explicit user grant on a project (`permissions-config/users`). */
export function toProjectUserGrant(projectKey: string, g: BbUserGrant): BbProjectPermissionRow {
  return {
    projectKey,
    principalType: "user",
    principalId: requireId(g.user?.account_id, "Bitbucket project permission user", "account_id"),
    permission: g.permission,
  };
}

/** An explicit group grant on a project (`permissions-config/groups`), the group named by slug. */
export function toProjectGroupGrant(projectKey: string, g: BbGroupGrant): BbProjectPermissionRow {
  return {
    projectKey,
    principalType: "group",
    principalId: requireId(g.group?.slug, "Bitbucket project permission group", "slug"),
    permission: g.permission,
  };
}

/** An explicit user grant on a repository (`permissions-config/users`). */
export function toRepoUserGrant(repoSlug: string, g: BbUserGrant): BbRepositoryPermissionRow {
  return {
    repoSlug,
    principalType: "user",
    principalId: requireId(g.user?.account_id, "Bitbucket repository permission user", "account_id"),
    permission: g.permission,
    source: "explicit",
  };
}

/** An explicit group grant on a repository (`permissions-config/groups`). */
export function toRepoGroupGrant(repoSlug: string, g: BbGroupGrant): BbRepositoryPermissionRow {
  return {
    repoSlug,
    principalType: "group",
    principalId: requireId(g.group?.slug, "Bitbucket repository permission group", "slug"),
    permission: g.permission,
    source: "explicit",
  };
}

/**
 * A user's effective level on a repository (the workspace's `permissions/repositories` listing). The embedded
 * repository has no `slug`: it is found by `uuid` among the listed repositories (`slugByUuid`), else taken from
 * `full_name` (`workspace/slug`); without either the row cannot be keyed and the read fails.
 */
export function toEffectivePermission(
  row: BbEffectivePermission,
  slugByUuid: ReadonlyMap<string, string>,
): BbRepositoryPermissionRow {
  const uuid = orNull(row.repository?.uuid);
  const fromFullName = orNull(row.repository?.full_name?.split("/").slice(1).join("/"));
  return {
    repoSlug: requireId(
      (uuid ? slugByUuid.get(uuid.toLowerCase()) : undefined) ?? fromFullName,
      "Bitbucket repository permission",
      "repository",
    ),
    principalType: "user",
    principalId: requireId(row.user?.account_id, "Bitbucket repository permission user", "account_id"),
    permission: row.permission,
    source: "effective",
  };
}
