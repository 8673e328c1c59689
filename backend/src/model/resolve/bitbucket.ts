/**
 * Bitbucket effective access. Workspace members hold `owner`, `collaborator` or `member` on the workspace. On a
 * project the level is the highest of the user grant, the grants of the account's groups and `admin` for workspace
 * owners (admin ⊃ create-repo ⊃ write ⊃ read); on a repository the highest of the inherited project level
 * (create-repo counts as write), the repository's own user and group grants, and `admin` for owners. Only the
 * highest level is an entry, but its `via` keeps every path with the level that path gives. Without admin rights
 * (`permissionMode: "fallback"`) only each user's effective repository level is visible; its path says so. Public
 * repositories add `(anonymous, read)`. Grants that reach an account without Bitbucket access, or one that is not a
 * workspace member, are dormant.
 */
import { ANONYMOUS, type ViaPath } from "../types.js";
import { ProductEmitter, q, type ResolveInput } from "./context.js";

const PROJECT_RANK: Readonly<Record<string, number>> = { read: 1, write: 2, "create-repo": 3, admin: 4 };
const PROJECT_LEVEL = ["", "read", "write", "create-repo", "admin"] as const;
const REPO_RANK: Readonly<Record<string, number>> = { read: 1, write: 2, admin: 3 };
const REPO_LEVEL = ["", "read", "write", "admin"] as const;
/** Project rank → the repository rank it confers (create-repo counts as write). */
const INHERITED = [0, 1, 2, 2, 3] as const;

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The paths to one account on one resource, and the highest rank among them. */
interface Level {
  rank: number;
  vias: ViaPath[];
}

function raise(levels: Map<string, Level>, accountId: string, rank: number, via: ViaPath): void {
  const l = levels.get(accountId);
  if (!l) levels.set(accountId, { rank, vias: [via] });
  else {
    if (rank > l.rank) l.rank = rank;
    if (!l.vias.includes(via)) l.vias.push(via);
  }
}

export function resolveBitbucket(input: ResolveInput): void {
  const bb = input.snapshot.bitbucket;
  if (!bb) return;
  const { vias, notes, groups, scope } = input;
  const slug = bb.workspace.slug;
  const em = new ProductEmitter("bitbucket", input.access, input.dormant, input.eligible.bitbucket);
  const groupMembers = (s: string) => groups.bitbucketMembers.get(s);
  const groupLabel = (s: string) => {
    const name = groups.bitbucketNames.get(s);
    return name && name !== s ? `group ${q(name)} (${s})` : `group ${q(s)}`;
  };
  const unknownLevels = new Set<string>();
  const unknownGroups = new Set<string>();

  // Workspace membership (depends on members alone: only a full build emits it).
  const owners: string[] = [];
  const ws = scope === null ? em.resource("bitbucket_workspace", slug) : null;
  for (const m of bb.members) {
    ws?.permission(m.permission).account(
      m.accountId,
      vias.get("bitbucket.workspace.member", `workspace member (${m.permission})`),
    );
    if (m.permission === "owner") owners.push(m.accountId);
  }
  const ownerVia = vias.get("bitbucket.workspace.owner", "workspace owner");

  /** The rank of a grant's level, or 0 (noted) when unknown; notes a group grant whose group was not listed. */
  const check = (
    ranks: Readonly<Record<string, number>>,
    g: { permission: string; principalType: string; principalId: string },
  ) => {
    const rank = ranks[g.permission];
    if (!rank) {
      unknownLevels.add(g.permission);
      return 0;
    }
    if (g.principalType === "group" && !groupMembers(g.principalId)) unknownGroups.add(g.principalId);
    return rank;
  };
  /** Applies one user or group grant at a rank. */
  const apply = (
    levels: Map<string, Level>,
    principalType: "user" | "group",
    principalId: string,
    rank: number,
    via: ViaPath,
  ) => {
    if (principalType === "user") raise(levels, principalId, rank, via);
    else for (const m of groupMembers(principalId) ?? []) raise(levels, m, rank, via);
  };
  const label = (principalType: "user" | "group", principalId: string) =>
    principalType === "user" ? "user" : groupLabel(principalId);

  // Projects. A scoped run computes the levels of the projects in scope and of those its repositories inherit from.
  const projectGrants = new Map<string, (typeof bb.projectPermissions)[number][]>();
  for (const g of bb.projectPermissions) {
    const list = projectGrants.get(g.projectKey);
    if (list) list.push(g);
    else projectGrants.set(g.projectKey, [g]);
  }
  const inScopeRepo = (repoSlug: string) => scope === null || scope.bitbucketRepos.has(repoSlug);
  const neededProjects = new Set<string>();
  if (scope !== null) {
    for (const r of bb.repositories) if (r.project_key && inScopeRepo(r.slug)) neededProjects.add(r.project_key);
  }
  /** project key → account → inherited repository rank and the project's paths (owners excluded). */
  const inherited = new Map<string, Map<string, Level>>();
  for (const p of bb.projects) {
    const emit = scope === null || scope.bitbucketProjects.has(p.key);
    const needed = emit || neededProjects.has(p.key);
    const levels = new Map<string, Level>();
    const explicit = new Map<string, Level>();
    for (const g of projectGrants.get(p.key) ?? []) {
      const rank = check(PROJECT_RANK, g);
      if (!rank || !needed) continue;
      const via = vias.get(
        `bitbucket.project.${g.principalType}`,
        `project ${p.key} → ${label(g.principalType, g.principalId)}: ${g.permission}`,
      );
      apply(levels, g.principalType, g.principalId, rank, via);
      apply(explicit, g.principalType, g.principalId, INHERITED[rank]!, via);
    }
    if (!needed) continue;
    inherited.set(p.key, explicit);
    if (!emit) continue;
    for (const o of owners) raise(levels, o, PROJECT_RANK.admin!, ownerVia);
    const target = em.resource("bitbucket_project", `${slug}/${p.key}`);
    for (const [accountId, l] of levels) {
      const perm = target.permission(PROJECT_LEVEL[l.rank]!);
      for (const via of l.vias) perm.account(accountId, via);
    }
  }

  // Repositories.
  const repoGrants = new Map<string, (typeof bb.repositoryPermissions)[number][]>();
  for (const g of bb.repositoryPermissions) {
    const list = repoGrants.get(g.repoSlug);
    if (list) list.push(g);
    else repoGrants.set(g.repoSlug, [g]);
  }
  const effectiveVia = vias.get(
    "bitbucket.repository.effective",
    "effective (source not visible without admin rights)",
  );
  const publicVia = vias.get("bitbucket.repository.public", "public repository");
  for (const r of bb.repositories) {
    const emit = inScopeRepo(r.slug);
    const levels = new Map<string, Level>();
    const fromProject = emit && r.project_key ? inherited.get(r.project_key) : undefined;
    for (const [accountId, l] of fromProject ?? []) levels.set(accountId, { rank: l.rank, vias: [...l.vias] });
    for (const g of repoGrants.get(r.slug) ?? []) {
      const rank = check(REPO_RANK, g);
      if (!rank || !emit) continue;
      const via =
        g.source === "effective"
          ? effectiveVia
          : vias.get(
              `bitbucket.repository.${g.principalType}`,
              `repository → ${label(g.principalType, g.principalId)}: ${g.permission}`,
            );
      apply(levels, g.principalType, g.principalId, rank, via);
    }
    if (!emit) continue;
    for (const o of owners) raise(levels, o, REPO_RANK.admin!, ownerVia);
    const target = em.resource("bitbucket_repo", `${slug}/${r.slug}`);
    for (const [accountId, l] of levels) {
      const perm = target.permission(REPO_LEVEL[l.rank]!);
      for (const via of l.vias) perm.account(accountId, via);
    }
    if (!r.is_private) target.permission("read").pseudo(ANONYMOUS, publicVia);
  }

  if (unknownLevels.size > 0)
    notes.push(
      `Bitbucket: permission level(s) ${[...unknownLevels].sort(cmp).join(", ")} are not known; those grants are not shown.`,
    );
  if (unknownGroups.size > 0)
    notes.push(
      `Bitbucket: ${unknownGroups.size} group(s) named in grants were not listed (${[...unknownGroups].sort(cmp).slice(0, 5).join(", ")}); their members are unknown.`,
    );
  if (bb.permissionMode === "fallback")
    notes.push(
      "Bitbucket: the OAuth consumer lacks admin rights, so only each user's effective repository level is visible (no project or group grants).",
    );
}
