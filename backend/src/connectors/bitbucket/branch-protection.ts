/**
 * Branch protection of a repository's main branch, derived from its branch restrictions (reference §2.6, "Deriving
 * the booleans"; spec `POST /repositories/{workspace}/{repo_slug}/branch-restrictions`). Pure: no I/O.
 *
 * Matching a restriction against branch B:
 * - `branch_match_kind: glob`: `pattern` matched against B, where `*` matches zero or more characters (any, `/`
 *   included) and every other character matches itself ("`'foo*'` will match `'foo'` and `'foobar'`").
 * - `branch_match_kind: branching_model`: matches when `branch_type` is `production` and B is the repository's main
 *   branch. Assumption, stated: the connector does not read each repository's branching model (one more call per
 *   repository), so it takes the production branch to be the main branch, as the simulator models it
 *   (`productionBranch` is the main branch whenever a production restriction exists). Other branch types
 *   (development, release, feature, bugfix, hotfix) are taken not to match the main branch.
 *
 * Overlapping matches are allowed: any matching restriction of a kind makes that boolean true, and counts take the
 * largest `value` among matching restrictions.
 */
import type { BranchProtection } from "@accessmap/shared/snapshot/schema";
import type { BbBranchRestriction } from "./schemas.js";

/** Kinds that guard the branch itself: who may push, force-push, delete, or merge into it. */
const BRANCH_GUARDS: ReadonlySet<string> = new Set(["push", "force", "delete", "restrict_merges"]);

/**
 * Merge checks: kinds that add a condition a pull request must meet before it merges into the branch. Kinds that
 * only change behaviour (`allow_auto_merge_when_builds_pass`, `reset_pullrequest_approvals_on_change`,
 * `smart_reset_pullrequest_approvals`, `reset_pullrequest_changes_requested_on_change`) and `enforce_merge_checks`
 * (which turns the other checks from warnings into blockers, and gates nothing by itself) are not merge checks.
 * The approval kinds count only with `value` ≥ 1 (zero approvals required is no check).
 */
const MERGE_CHECKS: ReadonlySet<string> = new Set([
  "require_tasks_to_be_completed",
  "require_approvals_to_merge",
  "require_default_reviewer_approvals_to_merge",
  "require_no_changes_requested",
  "require_passing_builds_to_merge",
  "require_commits_behind",
  "require_all_dependencies_merged",
]);

/** Kinds whose boolean needs `value` ≥ 1 (reference §2.6). */
const COUNTED = new Set(["require_approvals_to_merge", "require_default_reviewer_approvals_to_merge"]);

/** Bitbucket's glob: `*` matches zero or more characters; every other character matches itself. */
export function globMatches(pattern: string, branch: string): boolean {
  const source = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${source}$`, "s").test(branch);
}

/** Whether one restriction applies to `branch`, the repository's main branch `mainBranch` or another branch. */
export function restrictionMatches(r: BbBranchRestriction, branch: string, mainBranch: string): boolean {
  if (r.branch_match_kind === "branching_model") return r.branch_type === "production" && branch === mainBranch;
  // `glob` is the default match kind; a restriction without a pattern matches nothing.
  return typeof r.pattern === "string" && r.pattern.length > 0 && globMatches(r.pattern, branch);
}

/** Whether a matching restriction actually requires something (approval kinds need `value` ≥ 1). */
function effective(r: BbBranchRestriction): boolean {
  return !COUNTED.has(r.kind) || (r.value ?? 0) >= 1;
}

/**
 * The protection of the main branch `branch` of repository `repoSlug`.
 *
 * `default_branch_protected` is true when at least one matching restriction is a branch guard (`push`, `force`,
 * `delete`, `restrict_merges`) or a merge check (see `MERGE_CHECKS`; approval kinds with `value` ≥ 1). It is false
 * when nothing matches, or only behaviour modifiers (`allow_auto_merge_when_builds_pass`, the approval resets,
 * `enforce_merge_checks` alone) do.
 */
export function deriveBranchProtection(
  repoSlug: string,
  branch: string,
  restrictions: readonly BbBranchRestriction[],
): BranchProtection {
  const matching = restrictions.filter((r) => restrictionMatches(r, branch, branch) && effective(r));
  const has = (kind: string) => matching.some((r) => r.kind === kind);
  const approvals = matching
    .filter((r) => r.kind === "require_approvals_to_merge")
    .map((r) => r.value ?? 0)
    .reduce<number | null>((max, v) => (max === null || v > max ? v : max), null);
  return {
    repoSlug,
    branch,
    default_branch_protected: matching.some((r) => BRANCH_GUARDS.has(r.kind) || MERGE_CHECKS.has(r.kind)),
    allow_auto_merge_when_builds_pass: has("allow_auto_merge_when_builds_pass"),
    require_passing_builds_to_merge: has("require_passing_builds_to_merge"),
    enforce_merge_checks: has("enforce_merge_checks"),
    require_approvals_to_merge: has("require_approvals_to_merge"),
    require_default_reviewer_approvals_to_merge: has("require_default_reviewer_approvals_to_merge"),
    require_tasks_to_be_completed: has("require_tasks_to_be_completed"),
    approvalsRequired: approvals,
  };
}
