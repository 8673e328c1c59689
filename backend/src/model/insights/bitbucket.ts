/**
 * Bitbucket insights, from repository attributes and paths.
 *
 * - `public-repositories`: repositories with `is_private: false` — anyone on the internet can read (and fork) them.
 *   Severity: **medium** (often intended for open source; each one needs an owner who says so).
 * - `private-repositories-allow-forks`: private repositories whose `fork_policy` is `allow_forks`, so a copy can be
 *   made outside the workspace's control (public forks included). Severity: **low**.
 * - `unprotected-default-branches`: repositories whose default branch has no branch restriction
 *   (`default_branch_protected: false`; repositories where protection was not read are not counted). Severity:
 *   **high** when the repository is public, else **medium**.
 * - `fallback-repository-access`: repository access known only through the fallback mode — the OAuth consumer could
 *   not read permissions-config, so accessmap saw each user's effective level but not where it comes from (path kind
 *   `bitbucket.repository.effective`). One row per repository. Severity: **info** (a gap in what is known).
 */
import { resourceKey } from "../types.js";
import { Evidence, type Finding, finding, type InsightContext, plural } from "./types.js";

const repos = (ctx: InsightContext) => ctx.model.resources.filter((r) => r.type === "bitbucket_repo");

const repoRow = (r: { id: string; name: string }, detail: string) => ({
  product: "bitbucket" as const,
  resourceType: "bitbucket_repo" as const,
  resourceId: r.id,
  resourceName: r.name,
  detail,
});

export function publicRepositories(ctx: InsightContext): Finding | null {
  const ev = new Evidence(ctx.maxEvidence);
  for (const r of repos(ctx))
    if (r.attributes.is_private === false)
      ev.add(repoRow(r, `public; fork policy ${String(r.attributes.fork_policy ?? "unknown")}`));
  return finding("public-repositories", ev, {
    title: `${plural(ev.count, "public repository", "public repositories")}`,
    severity: "medium",
    remediation:
      "Confirm each public repository is meant to be open source and has an owner; make the others private (Repository settings → Access level) and check their history for secrets.",
  });
}

export function privateRepositoriesAllowForks(ctx: InsightContext): Finding | null {
  const ev = new Evidence(ctx.maxEvidence);
  for (const r of repos(ctx))
    if (r.attributes.is_private === true && r.attributes.fork_policy === "allow_forks")
      ev.add(repoRow(r, "private, but forks allowed (public forks included)"));
  return finding("private-repositories-allow-forks", ev, {
    title: `${plural(ev.count, "private repository", "private repositories")} allowing forks`,
    severity: "low",
    remediation: "Set the fork policy to `no_public_forks` (or `no_forks`) so private code cannot be copied out.",
  });
}

export function unprotectedDefaultBranches(ctx: InsightContext): Finding | null {
  const ev = new Evidence(ctx.maxEvidence);
  let publicOnes = 0;
  for (const r of repos(ctx)) {
    if (r.attributes.default_branch_protected !== false) continue;
    const isPublic = r.attributes.is_private === false;
    if (isPublic) publicOnes++;
    ev.add(
      repoRow(
        r,
        `default branch ${String(r.attributes.mainbranch ?? "(unknown)")} has no restriction${isPublic ? "; public repository" : ""}`,
      ),
    );
  }
  return finding("unprotected-default-branches", ev, {
    title: `${plural(ev.count, "repository", "repositories")} whose default branch is not protected`,
    severity: publicOnes > 0 ? "high" : "medium",
    remediation:
      "Add a branch restriction on each default branch: no direct pushes or deletion, merges through pull requests with at least one approval and passing builds.",
    metrics: { repositories: ev.count, public: publicOnes },
  });
}

export function fallbackRepositoryAccess(ctx: InsightContext): Finding | null {
  const perRepo = new Map<string, { id: string; accounts: number }>();
  for (const e of ctx.model.access) {
    if (e.resourceType !== "bitbucket_repo") continue;
    if (!e.via.some((v) => v.kind === "bitbucket.repository.effective")) continue;
    const r = perRepo.get(e.resourceId) ?? { id: e.resourceId, accounts: 0 };
    r.accounts++;
    perRepo.set(e.resourceId, r);
  }
  const ev = new Evidence(ctx.maxEvidence);
  let entries = 0;
  for (const id of [...perRepo.keys()].sort()) {
    const r = perRepo.get(id)!;
    entries += r.accounts;
    const name = ctx.resourceNames.get(resourceKey({ type: "bitbucket_repo", id })) ?? "";
    ev.add(repoRow({ id, name }, `${plural(r.accounts, "grant")} known only as effective levels (source not visible)`));
  }
  return finding("fallback-repository-access", ev, {
    title: `${plural(ev.count, "repository", "repositories")} whose access is known only through the fallback mode (${plural(entries, "grant")})`,
    severity: "info",
    remediation:
      "Give the Bitbucket OAuth consumer workspace admin rights (or use an admin's consumer) and run discovery again, so project, group and explicit repository grants become visible.",
    metrics: { repositories: ev.count, grants: entries },
  });
}
