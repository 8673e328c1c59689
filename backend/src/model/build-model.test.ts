import type { Snapshot } from "@accessmap/shared/snapshot/schema";
import { describe, expect, it } from "vitest";
import { buildModel } from "./build-model.js";
import {
  admin,
  adminUser,
  bbMember,
  bbProject,
  bbRepo,
  bitbucket,
  confluence,
  confluenceUser,
  grant,
  HOST,
  jira,
  jiraProject,
  jiraUser,
  keys,
  ORG_ID,
  products,
  snapshot,
  space,
  WS,
} from "./testing.js";

function full(): Snapshot {
  return snapshot({
    admin: admin({
      users: [adminUser("a", { productAccess: products("jira-software", "confluence", "bitbucket") }), adminUser("b")],
      orgAdmins: ["a"],
    }),
    jira: jira({
      users: [jiraUser("a"), jiraUser("b")],
      permissionSchemes: [{ id: "s1", name: "Default" }],
      projects: [jiraProject("P", "s1", { archived: true, style: "next-gen" }), jiraProject("A", "s1")],
      grants: [grant("s1", "BROWSE_PROJECTS", "user", "a"), grant("s1", "BROWSE_PROJECTS", "anyone")],
    }),
    confluence: confluence({
      users: [confluenceUser("a")],
      spaces: [space("S", { anonymousAccess: true, type: "personal", status: "archived" })],
      spacePermissions: [{ spaceId: "sp-S", principalType: "anonymous", principalId: null, operation: "read:space" }],
    }),
    bitbucket: bitbucket({
      members: [bbMember("a", "owner")],
      projects: [bbProject("PRJ", { has_publicly_visible_repos: true })],
      repositories: [bbRepo("api", "PRJ", { is_private: false, fork_policy: "allow_forks" }), bbRepo("lib", null)],
      branchProtection: [
        {
          repoSlug: "api",
          branch: "main",
          default_branch_protected: true,
          allow_auto_merge_when_builds_pass: false,
          require_passing_builds_to_merge: true,
          enforce_merge_checks: false,
          require_approvals_to_merge: true,
          require_default_reviewer_approvals_to_merge: false,
          require_tasks_to_be_completed: false,
          approvalsRequired: 2,
        },
      ],
    }),
  });
}

describe("buildModel", () => {
  it("is deterministic and sorted: access by product, resource type, resource id, permission, principal", () => {
    const m = buildModel(full());
    expect(buildModel(full())).toEqual(m);
    const k = m.access.map((e) => [e.product, e.resourceType, e.resourceId, e.permission, e.principal].join("\u0000"));
    expect([...k].sort()).toEqual(k);
    expect(new Set(k).size).toBe(k.length);
    expect(m.builtAt).toBe("2026-01-01T00:01:00.000Z");
    expect(buildModel(full(), { builtAt: "x" }).builtAt).toBe("x");
    expect(m.org).toEqual({ id: ORG_ID, name: "Acme" });
    expect(m.site).toBe(HOST);
  });

  it("describes every resource with its product facts and parent", () => {
    const m = buildModel(full());
    expect(m.resources.map((r) => `${r.type}:${r.id} < ${r.parent}`)).toEqual([
      `org:${ORG_ID} < null`,
      `site:${HOST} < org:${ORG_ID}`,
      `jira_project:A < site:${HOST}`,
      `jira_project:P < site:${HOST}`,
      `confluence_space:S < site:${HOST}`,
      `bitbucket_workspace:${WS} < org:${ORG_ID}`,
      `bitbucket_project:${WS}/PRJ < bitbucket_workspace:${WS}`,
      `bitbucket_repo:${WS}/api < bitbucket_project:${WS}/PRJ`,
      `bitbucket_repo:${WS}/lib < bitbucket_workspace:${WS}`,
    ]);
    const attrs = (type: string, id: string) => m.resources.find((r) => r.type === type && r.id === id)!.attributes;
    expect(attrs("jira_project", "P")).toMatchObject({
      archived: true,
      style: "next-gen",
      permission_scheme: "Default",
    });
    expect(attrs("confluence_space", "S")).toMatchObject({
      anonymous_access: true,
      unlicensed_access: false,
      type: "personal",
      status: "archived",
    });
    expect(attrs("bitbucket_workspace", WS)).toMatchObject({
      permission_mode: "admin",
      has_publicly_visible_repos: true,
    });
    expect(attrs("bitbucket_project", `${WS}/PRJ`)).toMatchObject({
      is_private: true,
      has_publicly_visible_repos: true,
    });
    expect(attrs("bitbucket_repo", `${WS}/api`)).toMatchObject({
      is_private: false,
      fork_policy: "allow_forks",
      default_branch_protected: true,
      require_approvals_to_merge: true,
      require_passing_builds_to_merge: true,
      approvals_required: 2,
    });
    // No branch-protection row: unknown, not "unprotected".
    expect(attrs("bitbucket_repo", `${WS}/lib`)).toMatchObject({ default_branch_protected: null });
  });

  it("stores each pseudo-principal once per resource and permission", () => {
    const m = buildModel(full());
    const anon = m.access
      .filter((e) => e.principal === "anonymous")
      .map((e) => `${e.resourceType}:${e.resourceId}:${e.permission}`);
    expect(anon).toEqual([
      `bitbucket_repo:${WS}/api:read`,
      "confluence_space:S:read:space",
      "jira_project:A:BROWSE_PROJECTS",
      "jira_project:P:BROWSE_PROJECTS",
    ]);
  });

  it("handles every section being null, and names failed sources", () => {
    const empty = buildModel(
      snapshot({
        statuses: [
          {
            product: "jira",
            state: "failed",
            reasons: ["jira: 401"],
            counts: {},
            calls: 1,
            startedAt: "",
            finishedAt: "",
          },
        ],
      }),
    );
    expect(empty.access).toEqual([]);
    expect(empty.accounts).toEqual([]);
    expect(empty.resources).toEqual([]);
    expect(empty.org).toBeNull();
    expect(empty.statuses).toEqual([{ product: "jira", state: "failed", reasons: ["jira: 401"] }]);
    expect(empty.notes.join("\n")).toMatch(/jira: no data \(failed\)/);
  });

  it("resolves the products that were read when others failed", () => {
    const s = full();
    s.jira = null;
    s.admin = null;
    const m = buildModel(s);
    // Without Admin, product access comes from the products themselves (Bitbucket membership, Confluence activity).
    expect(keys(m.access)).toEqual([
      `a|admin|bitbucket_workspace|${WS}|bitbucket`,
      `a|admin|site|${HOST}|confluence`,
      `a|bitbucket|bitbucket_project|${WS}/PRJ|admin`,
      `a|bitbucket|bitbucket_repo|${WS}/api|admin`,
      `anonymous|bitbucket|bitbucket_repo|${WS}/api|read`,
      `a|bitbucket|bitbucket_repo|${WS}/lib|admin`,
      `a|bitbucket|bitbucket_workspace|${WS}|owner`,
      "anonymous|confluence|confluence_space|S|read:space",
    ]);
    expect(m.notes.join("\n")).toMatch(/Confluence: without the Admin API/);
  });

  it("keeps app accounts as service accounts and lists conditional grants separately", () => {
    const s = full();
    s.jira!.users.push(jiraUser("app", { accountType: "app" }));
    s.jira!.grants.push(grant("s1", "EDIT_ISSUES", "assignee"));
    const m = buildModel(s);
    expect(m.accounts.find((a) => a.accountId === "app")).toMatchObject({
      userType: "service_account",
      seenIn: ["jira"],
    });
    expect(m.conditional.map((c) => `${c.projectKey}:${c.holderType}`)).toEqual(["A:assignee", "P:assignee"]);
  });
});
