import { describe, expect, it } from "vitest";
import { deriveBranchProtection, globMatches, restrictionMatches } from "./branch-protection.js";
import type { BbBranchRestriction } from "./schemas.js";

const glob = (kind: string, pattern: string, value: number | null = null): BbBranchRestriction => ({
  kind,
  branch_match_kind: "glob",
  pattern,
  value,
});
const model = (kind: string, branchType: string, value: number | null = null): BbBranchRestriction => ({
  kind,
  branch_match_kind: "branching_model",
  branch_type: branchType,
  pattern: "",
  value,
});

describe("globMatches (Bitbucket glob: `*` is zero or more characters, the rest literal)", () => {
  it.each([
    ["*", "main", true],
    ["*", "feature/x", true],
    ["main", "main", true],
    ["main", "mainline", false],
    ["foo*", "foo", true],
    ["foo*", "foobar", true],
    ["foo*", "barfoo", false],
    ["ma*", "main", true],
    ["ma*", "master", true],
    ["release/*", "main", false],
    ["release/*", "release/1.0", true],
    ["*/hotfix", "team/hotfix", true],
    ["a.b", "axb", false],
    ["a.b", "a.b", true],
    ["v(1)+", "v(1)+", true],
    ["[main]", "m", false],
  ])("%s vs %s → %s", (pattern, branch, expected) => {
    expect(globMatches(pattern, branch)).toBe(expected);
  });
});

describe("restrictionMatches", () => {
  it("a branching-model restriction matches the main branch only for the production type", () => {
    expect(restrictionMatches(model("push", "production"), "main", "main")).toBe(true);
    expect(restrictionMatches(model("push", "production"), "develop", "main")).toBe(false);
    expect(restrictionMatches(model("push", "development"), "main", "main")).toBe(false);
    expect(restrictionMatches(model("push", "release"), "main", "main")).toBe(false);
  });

  it("a glob restriction without a pattern matches nothing; a missing match kind means glob", () => {
    expect(restrictionMatches({ kind: "push", branch_match_kind: "glob", pattern: "" }, "main", "main")).toBe(false);
    expect(restrictionMatches({ kind: "push", pattern: "main" }, "main", "main")).toBe(true);
  });
});

describe("deriveBranchProtection", () => {
  it("no restrictions: nothing protected, no approval count", () => {
    expect(deriveBranchProtection("r", "main", [])).toEqual({
      repoSlug: "r",
      branch: "main",
      default_branch_protected: false,
      allow_auto_merge_when_builds_pass: false,
      require_passing_builds_to_merge: false,
      enforce_merge_checks: false,
      require_approvals_to_merge: false,
      require_default_reviewer_approvals_to_merge: false,
      require_tasks_to_be_completed: false,
      approvalsRequired: null,
    });
  });

  it("restrictions on other branches do not count", () => {
    const p = deriveBranchProtection("r", "main", [glob("push", "release/*"), model("force", "development")]);
    expect(p.default_branch_protected).toBe(false);
  });

  it.each(["push", "force", "delete", "restrict_merges"])("a matching %s restriction protects the branch", (kind) => {
    expect(deriveBranchProtection("r", "main", [glob(kind, "main")]).default_branch_protected).toBe(true);
  });

  it("each boolean follows its kind; overlapping matches take the largest approval count", () => {
    const p = deriveBranchProtection("r", "master", [
      glob("require_approvals_to_merge", "master", 1),
      model("require_approvals_to_merge", "production", 3),
      glob("require_approvals_to_merge", "ma*", 2),
      glob("require_approvals_to_merge", "release/*", 5),
      glob("require_passing_builds_to_merge", "*", 1),
      model("require_tasks_to_be_completed", "production"),
      glob("require_default_reviewer_approvals_to_merge", "master", 1),
      glob("allow_auto_merge_when_builds_pass", "master"),
      glob("enforce_merge_checks", "*"),
    ]);
    expect(p).toMatchObject({
      default_branch_protected: true,
      allow_auto_merge_when_builds_pass: true,
      require_passing_builds_to_merge: true,
      enforce_merge_checks: true,
      require_approvals_to_merge: true,
      require_default_reviewer_approvals_to_merge: true,
      require_tasks_to_be_completed: true,
      approvalsRequired: 3,
    });
  });

  it("an approval restriction requiring zero approvals is no check", () => {
    const p = deriveBranchProtection("r", "main", [
      glob("require_approvals_to_merge", "main", 0),
      glob("require_default_reviewer_approvals_to_merge", "main", null),
    ]);
    expect(p.require_approvals_to_merge).toBe(false);
    expect(p.require_default_reviewer_approvals_to_merge).toBe(false);
    expect(p.approvalsRequired).toBeNull();
    expect(p.default_branch_protected).toBe(false);
  });

  it("behaviour modifiers alone do not protect the branch", () => {
    const p = deriveBranchProtection("r", "main", [
      glob("allow_auto_merge_when_builds_pass", "main"),
      glob("enforce_merge_checks", "main"),
      glob("reset_pullrequest_approvals_on_change", "main"),
      glob("smart_reset_pullrequest_approvals", "*"),
    ]);
    expect(p.default_branch_protected).toBe(false);
    expect(p.allow_auto_merge_when_builds_pass).toBe(true);
    expect(p.enforce_merge_checks).toBe(true);
  });

  it.each([
    "require_no_changes_requested",
    "require_commits_behind",
    "require_all_dependencies_merged",
    "require_passing_builds_to_merge",
    "require_tasks_to_be_completed",
  ])("a matching merge check (%s) protects the branch", (kind) => {
    expect(deriveBranchProtection("r", "main", [glob(kind, "*", 1)]).default_branch_protected).toBe(true);
  });
});
