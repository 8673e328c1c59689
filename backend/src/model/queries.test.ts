import type { Snapshot } from "@accessmap/shared/snapshot/schema";
import { describe, expect, it } from "vitest";
import { buildModel } from "./build-model.js";
import { accessOf, diffModels, indexModel, pseudoPrincipalsOf, search, whoCanAccess, why } from "./queries.js";
import {
  admin,
  adminUser,
  bbMember,
  bbProject,
  bbRepo,
  bitbucket,
  confluence,
  grant,
  HOST,
  jira,
  jiraProject,
  products,
  scim,
  snapshot,
  space,
  WS,
} from "./testing.js";

const BOTH = products("jira-software", "confluence");

/**
 * `a` holds Jira and Confluence (and an IdP identity); `j` only Jira; `x` neither; `gone` is inactive. Project P:
 * BROWSE for product-users:jira and anonymous, EDIT for a (user) and the devs group; a reporter grant. Space S:
 * read for a, comment for unlicensed users.
 */
function base(over: Partial<Snapshot> = {}): Snapshot {
  return snapshot({
    admin: admin({
      users: [
        adminUser("a", { displayName: "Ann Lee", email: "Ann@Acme.example", productAccess: BOTH }),
        adminUser("j", { displayName: "Jo", productAccess: products("jira-software") }),
        adminUser("x", { displayName: "Xavier" }),
        adminUser("gone", { accountStatus: "inactive", status: "deactivated", productAccess: BOTH }),
      ],
      groups: [{ groupId: "g1", name: "devs", description: null }],
      groupMembers: [
        { groupId: "g1", accountId: "a" },
        { groupId: "g1", accountId: "gone" },
      ],
    }),
    scim: scim([
      {
        scimId: "s1",
        externalId: "00uANN",
        userName: "ann@acme.example",
        displayName: "Ann Lee",
        email: "ann@acme.example",
        active: true,
        accountId: "a",
      },
    ]),
    jira: jira({
      permissionSchemes: [{ id: "s1", name: "Default" }],
      projects: [jiraProject("P", "s1")],
      grants: [
        grant("s1", "BROWSE_PROJECTS", "applicationRole"),
        grant("s1", "BROWSE_PROJECTS", "anyone"),
        grant("s1", "EDIT_ISSUES", "user", "a"),
        grant("s1", "EDIT_ISSUES", "group", "devs", "g1"),
        grant("s1", "EDIT_ISSUES", "reporter"),
      ],
    }),
    confluence: confluence({
      spaces: [space("S")],
      spacePermissions: [
        { spaceId: "sp-S", principalType: "user", principalId: "a", operation: "read:space" },
        { spaceId: "sp-S", principalType: "unlicensed", principalId: null, operation: "create:comment" },
      ],
    }),
    ...over,
  });
}

describe("accessOf", () => {
  const idx = indexModel(buildModel(base()));

  it("lists the account's own entries with paths, and the pseudo-principal entries that include it", () => {
    const r = accessOf(idx, "a")!;
    expect(r.pseudoPrincipals).toEqual(["anonymous", "product-users:jira"]);
    expect(r.direct.map((e) => `${e.resourceType}:${e.resourceId}:${e.permission}`)).toEqual([
      `site:${HOST}:confluence`,
      `site:${HOST}:jira-software`,
      "confluence_space:S:read:space",
      "jira_project:P:EDIT_ISSUES",
    ]);
    expect(r.direct.find((e) => e.permission === "EDIT_ISSUES")!.via.map((v) => v.description)).toEqual([
      'permission scheme "Default" → group "devs"',
      'permission scheme "Default" → user',
    ]);
    expect(r.throughPseudo.map((e) => `${e.principal}:${e.permission}`)).toEqual([
      "anonymous:BROWSE_PROJECTS",
      "product-users:jira:BROWSE_PROJECTS",
    ]);
  });

  it("finds the person by identity id or email (case-insensitive), too", () => {
    expect(accessOf(idx, "00uANN")!.accountId).toBe("a");
    expect(accessOf(idx, "ANN@acme.EXAMPLE")!.accountId).toBe("a");
    expect(accessOf(idx, "00uANN")!.identity!.id).toBe("00uANN");
    expect(accessOf(idx, "nobody@nowhere.example")).toBeNull();
  });

  it("a Jira-only account gets unlicensed:confluence; an account that cannot sign in only anonymous, with its dormant grants", () => {
    expect(accessOf(idx, "j")!.pseudoPrincipals).toEqual(["anonymous", "product-users:jira", "unlicensed:confluence"]);
    // In model order: product, resource, permission, principal.
    expect(accessOf(idx, "j")!.throughPseudo.map((e) => `${e.principal}:${e.permission}`)).toEqual([
      "unlicensed:confluence:create:comment",
      "anonymous:BROWSE_PROJECTS",
      "product-users:jira:BROWSE_PROJECTS",
    ]);
    const gone = accessOf(idx, "gone")!;
    expect(gone.pseudoPrincipals).toEqual(["anonymous"]);
    expect(gone.direct).toEqual([]);
    expect(gone.dormant.map((e) => `${e.resourceId}:${e.permission}`)).toEqual([
      `${HOST}:confluence`,
      `${HOST}:jira-software`,
      "P:EDIT_ISSUES",
    ]);
  });

  it("pseudoPrincipalsOf an unknown account is anonymous only", () => {
    expect(pseudoPrincipalsOf(null)).toEqual(["anonymous"]);
  });
});

describe("whoCanAccess", () => {
  const idx = indexModel(buildModel(base()));

  it("lists accounts with paths and each pseudo-principal once, plus conditional grants", () => {
    const r = whoCanAccess(idx, "jira_project", "P");
    expect(r.resource!.name).toBe("Project P");
    expect(r.accounts.map((e) => `${e.principal}:${e.permission}`)).toEqual(["a:EDIT_ISSUES"]);
    expect(r.pseudo.map((e) => `${e.principal}:${e.permission}`)).toEqual([
      "anonymous:BROWSE_PROJECTS",
      "product-users:jira:BROWSE_PROJECTS",
    ]);
    expect(r.conditional).toEqual([
      { projectKey: "P", permission: "EDIT_ISSUES", holderType: "reporter", parameter: null },
    ]);
  });

  it("filters by permission, and answers an unknown resource with nothing", () => {
    expect(whoCanAccess(idx, "jira_project", "P", "BROWSE_PROJECTS").accounts).toEqual([]);
    expect(whoCanAccess(idx, "jira_project", "P", "BROWSE_PROJECTS").pseudo).toHaveLength(2);
    expect(whoCanAccess(idx, "jira_project", "P", "BROWSE_PROJECTS").conditional).toEqual([]);
    expect(whoCanAccess(idx, "jira_project", "NOPE")).toEqual({
      resource: null,
      accounts: [],
      pseudo: [],
      conditional: [],
    });
  });
});

describe("why", () => {
  const idx = indexModel(buildModel(base()));

  it("gives every path: the account's own and the pseudo-principals'", () => {
    const r = why(idx, "a", "jira_project", "P", "BROWSE_PROJECTS");
    expect(r.granted).toBe(true);
    expect(r.direct).toBeNull();
    expect(r.explanation).toEqual([
      'holds BROWSE_PROJECTS on jira_project P as anonymous through permission scheme "Default" → anyone (public access)',
      'holds BROWSE_PROJECTS on jira_project P as product-users:jira through permission scheme "Default" → any licensed user (application role)',
    ]);
    const edit = why(idx, "a", "jira_project", "P", "EDIT_ISSUES");
    expect(edit.direct!.via).toHaveLength(2);
    expect(edit.explanation).toContain(
      "may hold EDIT_ISSUES on jira_project P on some issues: reporter depends on the issue",
    );
  });

  it("explains a dormant grant and a pseudo-principal that does not apply", () => {
    const r = why(idx, "gone", "jira_project", "P", "EDIT_ISSUES");
    expect(r.granted).toBe(false);
    expect(r.dormant!.via.map((v) => v.description)).toEqual(['permission scheme "Default" → group "devs"']);
    expect(r.explanation[0]).toBe(
      'would hold EDIT_ISSUES on jira_project P through permission scheme "Default" → group "devs", but the account is inactive (dormant)',
    );
    const x = why(idx, "x", "jira_project", "P", "BROWSE_PROJECTS");
    expect(x.granted).toBe(true);
    expect(x.explanation).toContain(
      "product-users:jira holds BROWSE_PROJECTS on jira_project P, but the account cannot use Jira",
    );
  });

  it("says when no path grants the permission", () => {
    expect(why(idx, "x", "confluence_space", "S", "read:space").explanation).toEqual([
      "no path grants read:space on confluence_space S",
    ]);
  });
});

describe("why, for Bitbucket levels", () => {
  it("answers a lower level from the highest one, which includes it", () => {
    const m = buildModel(
      snapshot({
        admin: admin({ users: [adminUser("own", { productAccess: products("bitbucket") })] }),
        bitbucket: bitbucket({
          members: [bbMember("own", "owner")],
          projects: [bbProject("PRJ")],
          repositories: [bbRepo("api", "PRJ")],
        }),
      }),
    );
    const r = why(indexModel(m), "own", "bitbucket_repo", `${WS}/api`, "read");
    expect(r.granted).toBe(true);
    expect(r.direct).toBeNull();
    expect(r.impliedBy!.permission).toBe("admin");
    expect(r.explanation).toEqual([`holds read on bitbucket_repo ${WS}/api as part of admin, through workspace owner`]);
  });
});

describe("diffModels", () => {
  it("reports grants added and removed, accounts added, deactivated and removed, and membership changes", () => {
    const before = buildModel(base());
    const s = base();
    s.admin!.users = s
      .admin!.users.filter((u) => u.accountId !== "x")
      .map((u) => (u.accountId === "j" ? { ...u, membershipStatus: "suspended", status: "suspended" } : u));
    s.admin!.users.push(adminUser("new", { productAccess: products("confluence") }));
    s.admin!.groupMembers = [{ groupId: "g1", accountId: "new" }];
    const after = buildModel(s);
    const d = diffModels(before, after);
    expect(d.accountsAdded).toEqual(["new"]);
    expect(d.accountsRemoved).toEqual(["x"]);
    expect(d.accountsDeactivated).toEqual(["j"]);
    expect(d.membershipsAdded).toEqual([{ group: "g1", accountId: "new" }]);
    expect(d.membershipsRemoved).toEqual([
      { group: "g1", accountId: "a" },
      { group: "g1", accountId: "gone" },
    ]);
    expect(d.grantsAdded.map((e) => `${e.principal}:${e.resourceId}:${e.permission}`)).toEqual([
      `new:${HOST}:confluence`,
    ]);
    expect(d.grantsRemoved.map((e) => `${e.principal}:${e.resourceId}:${e.permission}`)).toEqual([
      `j:${HOST}:jira-software`,
    ]);
    expect(diffModels(before, before).grantsAdded).toEqual([]);
  });
});

describe("search", () => {
  const idx = indexModel(buildModel(base()));

  it("matches accounts by name, email and id, groups, and resources by name and id, case-insensitively", () => {
    expect(search(idx, "ann").accounts.map((a) => a.accountId)).toEqual(["a"]);
    expect(search(idx, "ACME.EXAMPLE").accounts.map((a) => a.accountId)).toEqual(["a", "gone", "j", "x"]);
    expect(search(idx, "gone").accounts.map((a) => a.accountId)).toEqual(["gone"]);
    expect(search(idx, "dev").groups.map((g) => g.key)).toEqual(["g1"]);
    expect(search(idx, "project p").resources.map((r) => r.id)).toEqual(["P"]);
    expect(search(idx, "s").resources.map((r) => r.id)[0]).toBe("S");
    expect(search(idx, "  ")).toEqual({ accounts: [], groups: [], resources: [] });
  });
});
