/**
 * Effective Bitbucket access, as `GET /workspaces/{ws}/permissions/repositories` reports it: "the highest level of
 * permission the user has. This does not distinguish between direct and indirect (group) privileges" (spec).
 *
 * The rules are those of `tenant/ground-truth.ts` (which has no per-repository entry point, so they are restated
 * here and a test checks both agree): only workspace members with Bitbucket access count; workspace owners are
 * admin everywhere; a project grant (user or group) is inherited by its repositories, `create-repo` counting as
 * `write`; a repository's own user and group grants add to that; the highest level wins. The 1.0 group
 * `permission` field grants nothing.
 *
 * The whole table is computed once per state revision (every mutation bumps it) and cached, so paging through a
 * large workspace costs one computation, not one per page.
 */
import type { SimState } from "../../state.js";
import { hasProductAccess } from "../../tenant/ground-truth.js";
import type {
  BitbucketMember,
  BitbucketProjectPermission,
  BitbucketRepo,
  BitbucketRepoPermission,
} from "../../tenant/model.js";

export const REPO_LEVELS: readonly BitbucketRepoPermission[] = ["read", "write", "admin"];
export const PROJECT_LEVELS: readonly BitbucketProjectPermission[] = ["read", "write", "create-repo", "admin"];

/** Rank of a repository level (read 1, write 2, admin 3; anything else 0). */
export function repoRank(p: unknown): number {
  return REPO_LEVELS.indexOf(p as BitbucketRepoPermission) + 1;
}

/** Rank of a project level (read 1, write 2, create-repo 3, admin 4; anything else 0). */
function projectRank(p: unknown): number {
  return PROJECT_LEVELS.indexOf(p as BitbucketProjectPermission) + 1;
}

/** Project rank → the repository rank it confers (create-repo counts as write). */
const INHERITED = [0, 1, 2, 2, 3];

export interface EffectiveRow {
  repo: BitbucketRepo;
  accountId: string;
  permission: BitbucketRepoPermission;
}

export interface WorkspaceAccess {
  /** Workspace members who have Bitbucket access, in member order. */
  members: BitbucketMember[];
  memberById: Map<string, BitbucketMember>;
  /** accountId → effective project level (owners excluded: they are admin everywhere), per project key. */
  projectLevels: Map<string, Map<string, BitbucketProjectPermission>>;
  /** accountId → effective level, per repository slug. */
  repoLevels: Map<string, Map<string, BitbucketRepoPermission>>;
  /** Every (repository, account) pair with access: repositories in tenant order, then accounts by display name. */
  rows: EffectiveRow[];
  /** The rows of each repository. */
  rowsByRepo: Map<string, EffectiveRow[]>;
}

const cache = new WeakMap<SimState, { revision: number; access: WorkspaceAccess }>();

/** The workspace's membership and effective repository permissions for the current state. */
export function workspaceAccess(state: SimState): WorkspaceAccess {
  const hit = cache.get(state);
  if (hit && hit.revision === state.revision) return hit.access;
  const access = compute(state);
  cache.set(state, { revision: state.revision, access });
  return access;
}

function compute(state: SimState): WorkspaceAccess {
  const bb = state.tenant.bitbucket;
  const members = bb.members.filter((m) => {
    const a = state.accountsById.get(m.accountId);
    return a !== undefined && hasProductAccess(a, "bitbucket");
  });
  const memberById = new Map(members.map((m) => [m.accountId, m]));
  const owners = members.filter((m) => m.permission === "owner").map((m) => m.accountId);
  const groupMembers = new Map(bb.groups.map((g) => [g.slug, g.members.filter((id) => memberById.has(id))]));
  const raise = (levels: Map<string, number>, accountId: string, rank: number) => {
    if (rank > 0 && memberById.has(accountId) && (levels.get(accountId) ?? 0) < rank) levels.set(accountId, rank);
  };

  const projectLevels = new Map<string, Map<string, number>>();
  for (const p of bb.projects) {
    const levels = new Map<string, number>();
    for (const u of p.users) raise(levels, u.accountId, projectRank(u.permission));
    for (const g of p.groups)
      for (const m of groupMembers.get(g.slug) ?? []) raise(levels, m, projectRank(g.permission));
    projectLevels.set(p.key, levels);
  }

  const displayName = (id: string) => state.accountsById.get(id)?.displayName ?? "";
  const repoLevels = new Map<string, Map<string, BitbucketRepoPermission>>();
  const rowsByRepo = new Map<string, EffectiveRow[]>();
  const rows: EffectiveRow[] = [];
  for (const repo of bb.repos) {
    const levels = new Map<string, number>();
    for (const [id, rank] of projectLevels.get(repo.projectKey) ?? []) levels.set(id, INHERITED[rank] ?? 0);
    for (const u of repo.users) raise(levels, u.accountId, repoRank(u.permission));
    for (const g of repo.groups)
      for (const m of groupMembers.get(g.slug) ?? []) raise(levels, m, repoRank(g.permission));
    for (const o of owners) raise(levels, o, repoRank("admin"));
    const named = new Map<string, BitbucketRepoPermission>();
    for (const [id, rank] of levels) named.set(id, REPO_LEVELS[rank - 1]!);
    repoLevels.set(repo.slug, named);
    const repoRows = [...named]
      .map(([accountId, permission]) => ({ repo, accountId, permission, name: displayName(accountId) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.accountId < b.accountId ? -1 : 1))
      .map(({ repo: r, accountId, permission }) => ({ repo: r, accountId, permission }));
    rowsByRepo.set(repo.slug, repoRows);
    for (const row of repoRows) rows.push(row);
  }
  const namedProjectLevels = new Map(
    [...projectLevels].map(([key, levels]) => [
      key,
      new Map([...levels].map(([id, rank]) => [id, PROJECT_LEVELS[rank - 1]!] as const)),
    ]),
  );
  return { members, memberById, projectLevels: namedProjectLevels, repoLevels, rows, rowsByRepo };
}

/** Whether the account is an owner of the workspace (with Bitbucket access). */
export function isOwner(access: WorkspaceAccess, accountId: string): boolean {
  return access.memberById.get(accountId)?.permission === "owner";
}

/** Whether the account can see a repository: it is public, or the account has an effective level on it. */
export function canSeeRepo(access: WorkspaceAccess, accountId: string, repo: BitbucketRepo): boolean {
  return !repo.isPrivate || access.repoLevels.get(repo.slug)?.has(accountId) === true;
}

/**
 * The keys of the projects an account can see: public projects, projects it holds a grant on (directly or through a
 * group), and projects holding a repository it can see; owners see all.
 */
export function visibleProjectKeys(access: WorkspaceAccess, state: SimState, accountId: string): Set<string> {
  const bb = state.tenant.bitbucket;
  if (isOwner(access, accountId)) return new Set(bb.projects.map((p) => p.key));
  const keys = new Set<string>();
  for (const p of bb.projects) if (!p.isPrivate || access.projectLevels.get(p.key)?.has(accountId)) keys.add(p.key);
  for (const r of bb.repos) if (canSeeRepo(access, accountId, r)) keys.add(r.projectKey);
  return keys;
}
