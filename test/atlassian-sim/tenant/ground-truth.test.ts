import { describe, expect, it } from "vitest";
import { generateTenant } from "./generate.js";
import {
  computeGroundTruth,
  conditionalGrants,
  csvField,
  GROUND_TRUTH_CSV_HEADER,
  groundTruthCsvChunks,
  groundTruthToCsv,
} from "./ground-truth.js";
import type { GroundTruthRow, ProductKey, SimAccount, SimTenant } from "./model.js";

const NOW = "2026-11-01T00:00:00.000Z";

function account(accountId: string, products: ProductKey[], over: Partial<SimAccount> = {}): SimAccount {
  return {
    accountId,
    accountType: "atlassian",
    status: "active",
    suspended: false,
    displayName: accountId,
    email: `${accountId}@acme.example`,
    emailVisible: true,
    managed: true,
    externalCollaborator: false,
    billable: true,
    products: products.map((key) => ({ key, lastActive: NOW })),
    lastActive: NOW,
    addedToOrg: NOW,
    appType: null,
    bitbucketUuid: products.includes("bitbucket") ? `{${accountId}}` : null,
    bitbucketNickname: products.includes("bitbucket") ? accountId : null,
    title: null,
    department: null,
    ...over,
  };
}

const ROLE_DEV = "10002";
const ROLE_ADMIN = "10003";
const VIEWER = "role-viewer";
const EDITOR = "role-editor";

/**
 * A tiny tenant that exercises every rule:
 * - alice: every product; reaches BROWSE_PROJECTS through a user grant, a group and a role (one row).
 * - bob: deactivated, in all the same places → nothing.
 * - carol: suspended, in the same Jira places → nothing.
 * - dave: Confluence only; in the Jira `devs` group and role → no Jira rows.
 * - lead: Jira; project lead, in `jira-admins` (role actor group of Administrators).
 * - erin: Bitbucket owner. frank: project read, repository admin on `r2`. gina: create-repo via a group.
 */
function tinyTenant(): SimTenant {
  const accounts = [
    account("alice", ["jira-software", "confluence", "bitbucket"]),
    account("bob", ["jira-software", "confluence", "bitbucket"], { status: "inactive", billable: false }),
    account("carol", ["jira-software", "confluence"], { suspended: true, billable: false }),
    account("dave", ["confluence"]),
    account("lead", ["jira-software"]),
    account("erin", ["bitbucket"]),
    account("frank", ["bitbucket"]),
    account("gina", ["bitbucket"]),
    account("cust", [], { accountType: "customer", managed: false, billable: false }),
  ];
  return {
    version: 1,
    seed: 0,
    size: "S",
    generatedAt: NOW,
    org: { id: "org-1", name: "Acme" },
    sites: [
      { cloudId: "cloud-1", host: "acme.atlassian.net", name: "acme", products: ["jira-software", "confluence"] },
    ],
    directories: [{ directoryId: "dir-1", name: "Acme" }],
    accounts,
    groups: [
      { groupId: "g-devs", name: "devs", description: "", members: ["alice", "bob", "carol", "dave"], source: "admin" },
      { groupId: "g-jira-admins", name: "jira-admins", description: "", members: ["lead", "bob"], source: "admin" },
      { groupId: "g-site-admins", name: "site-admins", description: "", members: ["alice", "bob"], source: "admin" },
      { groupId: "g-empty", name: "empty", description: "", members: [], source: "admin" },
    ],
    orgAdmins: ["alice", "bob"],
    identities: [],
    scim: { directoryId: "dir-1", users: [], groups: [] },
    jira: {
      projects: [
        {
          id: "10000",
          key: "P1",
          name: "Project One",
          projectTypeKey: "software",
          style: "classic",
          archived: false,
          leadAccountId: "lead",
          permissionSchemeId: 1,
          roleActors: {
            [ROLE_DEV]: { users: ["alice", "bob", "carol", "dave", "cust"], groups: ["g-empty"] },
            [ROLE_ADMIN]: { users: [], groups: ["g-jira-admins"] },
          },
        },
        {
          id: "10001",
          key: "ARCH",
          name: "Archived",
          projectTypeKey: "business",
          style: "next-gen",
          archived: true,
          leadAccountId: "bob",
          permissionSchemeId: 2,
          roleActors: {},
        },
      ],
      roles: [
        { id: 10002, name: "Developers", description: "" },
        { id: 10003, name: "Administrators", description: "" },
      ],
      permissionSchemes: [
        {
          id: 1,
          name: "Scheme one",
          description: "",
          grants: [
            { id: 1, permission: "BROWSE_PROJECTS", holder: { type: "user", parameter: "alice", value: "alice" } },
            { id: 2, permission: "BROWSE_PROJECTS", holder: { type: "group", parameter: "devs", value: "g-devs" } },
            {
              id: 3,
              permission: "BROWSE_PROJECTS",
              holder: { type: "projectRole", parameter: ROLE_DEV, value: ROLE_DEV },
            },
            { id: 4, permission: "BROWSE_PROJECTS", holder: { type: "anyone" } },
            { id: 5, permission: "CREATE_ISSUES", holder: { type: "group" } },
            { id: 6, permission: "ADD_COMMENTS", holder: { type: "applicationRole" } },
            { id: 7, permission: "EDIT_ISSUES", holder: { type: "applicationRole", parameter: "jira-software" } },
            { id: 8, permission: "ADMINISTER_PROJECTS", holder: { type: "projectLead" } },
            {
              id: 9,
              permission: "DELETE_ISSUES",
              holder: { type: "projectRole", parameter: ROLE_ADMIN, value: ROLE_ADMIN },
            },
            { id: 10, permission: "CLOSE_ISSUES", holder: { type: "reporter" } },
            { id: 11, permission: "RESOLVE_ISSUES", holder: { type: "assignee" } },
            {
              id: 12,
              permission: "EDIT_ISSUES",
              holder: { type: "userCustomField", parameter: "customfield_1", value: "customfield_1" },
            },
            {
              id: 13,
              permission: "BROWSE_PROJECTS",
              holder: { type: "groupCustomField", parameter: "customfield_2", value: "customfield_2" },
            },
            { id: 14, permission: "CREATE_ISSUES", holder: { type: "sd.customer.portal.only" } },
            { id: 15, permission: "LINK_ISSUES", holder: { type: "user", parameter: "bob", value: "bob" } },
            { id: 16, permission: "LINK_ISSUES", holder: { type: "group", parameter: "empty", value: "g-empty" } },
          ],
        },
        {
          id: 2,
          name: "Archived scheme",
          description: "",
          grants: [{ id: 20, permission: "BROWSE_PROJECTS", holder: { type: "projectLead" } }],
        },
      ],
      applicationRoles: [
        {
          key: "jira-software",
          name: "Jira Software",
          groups: ["g-devs", "g-jira-admins", "g-site-admins"],
          defaultGroups: ["g-devs"],
          numberOfSeats: 10,
          hasUnlimitedSeats: false,
        },
      ],
      adminGroups: ["g-jira-admins"],
      siteAdminGroups: ["g-site-admins"],
    },
    confluence: {
      spaces: [
        {
          id: "1",
          key: "DOCS",
          name: "Docs",
          type: "global",
          status: "current",
          authorAccountId: "alice",
          createdAt: NOW,
          homepageId: "100",
          permissions: [
            { id: "1", principal: { type: "user", id: "alice" }, operation: { key: "read", targetType: "space" } },
            { id: "2", principal: { type: "group", id: "g-devs" }, operation: { key: "read", targetType: "space" } },
            { id: "3", principal: { type: "group", id: "g-devs" }, operation: { key: "create", targetType: "page" } },
            { id: "4", principal: { type: "role", id: VIEWER }, operation: { key: "read", targetType: "space" } },
            { id: "5", principal: { type: "anonymous" }, operation: { key: "read", targetType: "space" } },
            { id: "6", principal: { type: "unlicensed" }, operation: { key: "read", targetType: "space" } },
            { id: "7", principal: { type: "user", id: "lead" }, operation: { key: "administer", targetType: "space" } },
          ],
          roleAssignments: [
            { principal: { type: "USER", id: "dave" }, roleId: VIEWER },
            // No `role` permission rows for the editor role: the assignment alone confers its operations.
            { principal: { type: "GROUP", id: "g-site-admins" }, roleId: EDITOR },
          ],
        },
        {
          id: "2",
          key: "~alice",
          name: "alice",
          type: "personal",
          status: "archived",
          authorAccountId: "alice",
          createdAt: NOW,
          homepageId: "101",
          permissions: [
            {
              id: "8",
              principal: { type: "user", id: "alice" },
              operation: { key: "administer", targetType: "space" },
            },
          ],
          roleAssignments: [],
        },
      ],
      roles: [
        { id: VIEWER, name: "Viewer", description: "", type: "SYSTEM", operations: ["read:space"] },
        { id: EDITOR, name: "Editor", description: "", type: "CUSTOM", operations: ["read:space", "update:page"] },
      ],
      roleMode: "ROLES_TRANSITION",
      adminGroups: [],
      siteAdminGroups: [],
    },
    bitbucket: {
      workspace: { uuid: "{ws}", slug: "acme", name: "Acme", isPrivate: true, createdOn: NOW },
      members: [
        { accountId: "alice", permission: "member" },
        { accountId: "bob", permission: "owner" },
        { accountId: "erin", permission: "owner" },
        { accountId: "frank", permission: "member" },
        { accountId: "gina", permission: "collaborator" },
      ],
      groups: [
        { slug: "team", name: "Team", permission: "admin", autoAdd: false, members: ["gina", "bob"] },
        { slug: "readers", name: "Readers", permission: null, autoAdd: true, members: ["frank", "alice"] },
      ],
      projects: [
        {
          uuid: "{p}",
          key: "PRJ",
          name: "Project",
          description: "",
          isPrivate: true,
          createdOn: NOW,
          users: [
            { accountId: "frank", permission: "read" },
            { accountId: "bob", permission: "admin" },
          ],
          groups: [
            { slug: "team", permission: "create-repo" },
            { slug: "readers", permission: "read" },
          ],
        },
      ],
      repos: [
        repo("r1", true, [], []),
        repo("r2", false, [{ accountId: "frank", permission: "admin" }], []),
        repo("r3", true, [{ accountId: "alice", permission: "read" }], [{ slug: "readers", permission: "write" }]),
      ],
    },
    events: [],
    credentials: {
      adminApiKey: "k",
      scopedAdminApiKey: "s",
      scimToken: "t",
      productUser: { email: "alice@acme.example", token: "x", accountId: "alice" },
      limitedProductUser: { email: "lead@acme.example", token: "y", accountId: "lead" },
      bitbucketAdminConsumer: { key: "a", secret: "b", ownerAccountId: "erin" },
      bitbucketMemberConsumer: { key: "c", secret: "d", ownerAccountId: "frank" },
      bitbucketWebhookSecret: "w",
    },
  };
}

function repo(
  slug: string,
  isPrivate: boolean,
  users: SimTenant["bitbucket"]["repos"][number]["users"],
  groups: SimTenant["bitbucket"]["repos"][number]["groups"],
): SimTenant["bitbucket"]["repos"][number] {
  return {
    uuid: `{${slug}}`,
    slug,
    name: slug,
    description: "",
    projectKey: "PRJ",
    isPrivate,
    forkPolicy: "no_forks",
    mainbranch: "main",
    createdOn: NOW,
    overridesProject: users.length + groups.length > 0,
    users,
    groups,
    branchRestrictions: [],
    productionBranch: null,
  };
}

const row = (
  principal: string,
  product: GroundTruthRow["product"],
  resourceType: GroundTruthRow["resourceType"],
  resourceId: string,
  permission: string,
): GroundTruthRow => ({ principal, product, resourceType, resourceId, permission });

const EXPECTED: GroundTruthRow[] = [
  // admin
  row("alice", "admin", "bitbucket_workspace", "acme", "bitbucket"),
  row("erin", "admin", "bitbucket_workspace", "acme", "bitbucket"),
  row("frank", "admin", "bitbucket_workspace", "acme", "bitbucket"),
  row("gina", "admin", "bitbucket_workspace", "acme", "bitbucket"),
  row("alice", "admin", "org", "org-1", "org-admin"),
  row("alice", "admin", "site", "acme.atlassian.net", "confluence"),
  row("dave", "admin", "site", "acme.atlassian.net", "confluence"),
  row("alice", "admin", "site", "acme.atlassian.net", "jira-software"),
  row("lead", "admin", "site", "acme.atlassian.net", "jira-software"),
  // Bitbucket: owner ⇒ admin; gina's create-repo (via group) ⇒ write on repositories; frank raised on r2.
  row("alice", "bitbucket", "bitbucket_project", "acme/PRJ", "read"),
  row("erin", "bitbucket", "bitbucket_project", "acme/PRJ", "admin"),
  row("gina", "bitbucket", "bitbucket_project", "acme/PRJ", "create-repo"),
  row("frank", "bitbucket", "bitbucket_project", "acme/PRJ", "read"),
  row("alice", "bitbucket", "bitbucket_repo", "acme/r1", "read"),
  row("frank", "bitbucket", "bitbucket_repo", "acme/r1", "read"),
  row("erin", "bitbucket", "bitbucket_repo", "acme/r1", "admin"),
  row("gina", "bitbucket", "bitbucket_repo", "acme/r1", "write"),
  row("alice", "bitbucket", "bitbucket_repo", "acme/r2", "read"),
  row("anonymous", "bitbucket", "bitbucket_repo", "acme/r2", "read"),
  row("erin", "bitbucket", "bitbucket_repo", "acme/r2", "admin"),
  row("frank", "bitbucket", "bitbucket_repo", "acme/r2", "admin"),
  row("gina", "bitbucket", "bitbucket_repo", "acme/r2", "write"),
  row("alice", "bitbucket", "bitbucket_repo", "acme/r3", "write"),
  row("frank", "bitbucket", "bitbucket_repo", "acme/r3", "write"),
  row("gina", "bitbucket", "bitbucket_repo", "acme/r3", "write"),
  row("erin", "bitbucket", "bitbucket_repo", "acme/r3", "admin"),
  row("alice", "bitbucket", "bitbucket_workspace", "acme", "member"),
  row("erin", "bitbucket", "bitbucket_workspace", "acme", "owner"),
  row("frank", "bitbucket", "bitbucket_workspace", "acme", "member"),
  row("gina", "bitbucket", "bitbucket_workspace", "acme", "collaborator"),
  // Confluence: dave by role (explicit role row and the role itself); alice through the editor role's operations.
  row("alice", "confluence", "confluence_space", "DOCS", "read:space"),
  row("dave", "confluence", "confluence_space", "DOCS", "read:space"),
  row("anonymous", "confluence", "confluence_space", "DOCS", "read:space"),
  row("unlicensed:confluence", "confluence", "confluence_space", "DOCS", "read:space"),
  row("alice", "confluence", "confluence_space", "DOCS", "create:page"),
  row("dave", "confluence", "confluence_space", "DOCS", "create:page"),
  row("alice", "confluence", "confluence_space", "DOCS", "update:page"),
  row("alice", "confluence", "confluence_space", "~alice", "administer:space"),
  // Jira: archived, team-managed project still counts, but its lead is inactive.
  row("alice", "jira", "jira_project", "P1", "BROWSE_PROJECTS"),
  row("anonymous", "jira", "jira_project", "P1", "BROWSE_PROJECTS"),
  row("product-users:jira", "jira", "jira_project", "P1", "CREATE_ISSUES"),
  row("product-users:jira", "jira", "jira_project", "P1", "ADD_COMMENTS"),
  row("alice", "jira", "jira_project", "P1", "EDIT_ISSUES"),
  row("lead", "jira", "jira_project", "P1", "EDIT_ISSUES"),
  row("lead", "jira", "jira_project", "P1", "ADMINISTER_PROJECTS"),
  row("lead", "jira", "jira_project", "P1", "DELETE_ISSUES"),
  row("lead", "jira", "site", "acme.atlassian.net", "ADMINISTER"),
  row("alice", "jira", "site", "acme.atlassian.net", "SYSTEM_ADMIN"),
  row("alice", "jira", "site", "acme.atlassian.net", "ADMINISTER"), // site admins also hold Administer Jira
];

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const order = (a: GroundTruthRow, b: GroundTruthRow) =>
  cmp(a.product, b.product) ||
  cmp(a.resourceType, b.resourceType) ||
  cmp(a.resourceId, b.resourceId) ||
  cmp(a.permission, b.permission) ||
  cmp(a.principal, b.principal);
const key = (r: GroundTruthRow) => `${r.principal}|${r.product}|${r.resourceType}|${r.resourceId}|${r.permission}`;

describe("computeGroundTruth on a hand-built tenant", () => {
  const rows = computeGroundTruth(tinyTenant());
  const has = (r: GroundTruthRow) => rows.some((x) => key(x) === key(r));

  it("produces exactly the expected table, sorted", () => {
    expect(rows).toEqual([...EXPECTED].sort(order));
  });

  it("gives one row for a permission reached through a user grant, a group and a role", () => {
    const browse = rows.filter(
      (r) => r.principal === "alice" && r.resourceId === "P1" && r.permission === "BROWSE_PROJECTS",
    );
    expect(browse).toHaveLength(1);
  });

  it("maps a group grant without a group to product-users:jira, anyone to anonymous", () => {
    expect(has(row("product-users:jira", "jira", "jira_project", "P1", "CREATE_ISSUES"))).toBe(true);
    expect(has(row("anonymous", "jira", "jira_project", "P1", "BROWSE_PROJECTS"))).toBe(true);
  });

  it("expands an applicationRole grant with a parameter to every Jira user", () => {
    const edit = rows.filter((r) => r.resourceId === "P1" && r.permission === "EDIT_ISSUES").map((r) => r.principal);
    expect(edit).toEqual(["alice", "lead"]);
  });

  it("gives deactivated and suspended accounts nothing", () => {
    expect(rows.filter((r) => r.principal === "bob" || r.principal === "carol")).toEqual([]);
  });

  it("gives nothing in a product the account lacks, and nothing to customers", () => {
    expect(rows.filter((r) => r.principal === "dave" && r.product === "jira")).toEqual([]);
    expect(rows.filter((r) => r.principal === "cust")).toEqual([]);
  });

  it("maps create-repo on the project to write on its repositories", () => {
    expect(has(row("gina", "bitbucket", "bitbucket_project", "acme/PRJ", "create-repo"))).toBe(true);
    expect(
      rows.filter((r) => r.principal === "gina" && r.resourceType === "bitbucket_repo").map((r) => r.permission),
    ).toEqual(["write", "write", "write"]);
  });

  it("lets a repository's own grant raise the inherited level, emitting only the highest", () => {
    const frank = rows.filter((r) => r.principal === "frank" && r.resourceId === "acme/r2");
    expect(frank.map((r) => r.permission)).toEqual(["admin"]);
  });

  it("gives workspace owners admin on every project and repository", () => {
    const erin = rows.filter(
      (r) => r.principal === "erin" && r.product === "bitbucket" && r.resourceType !== "bitbucket_workspace",
    );
    expect(erin.map((r) => `${r.resourceId}:${r.permission}`)).toEqual([
      "acme/PRJ:admin",
      "acme/r1:admin",
      "acme/r2:admin",
      "acme/r3:admin",
    ]);
  });

  it("gives anonymous read on public repositories only", () => {
    expect(
      rows.filter((r) => r.principal === "anonymous" && r.product === "bitbucket").map((r) => r.resourceId),
    ).toEqual(["acme/r2"]);
  });

  it("confers a space role's operations through its assignments, with or without role permission rows", () => {
    expect(has(row("alice", "confluence", "confluence_space", "DOCS", "update:page"))).toBe(true);
    expect(has(row("dave", "confluence", "confluence_space", "DOCS", "read:space"))).toBe(true);
  });

  it("emits one row per (principal, resource, permission)", () => {
    expect(new Set(rows.map(key)).size).toBe(rows.length);
  });
});

describe("conditionalGrants", () => {
  it("lists the grants that depend on the issue, sorted", () => {
    expect(conditionalGrants(tinyTenant())).toEqual([
      { projectKey: "P1", permission: "BROWSE_PROJECTS", holderType: "groupCustomField", parameter: "customfield_2" },
      { projectKey: "P1", permission: "CLOSE_ISSUES", holderType: "reporter", parameter: null },
      { projectKey: "P1", permission: "CREATE_ISSUES", holderType: "sd.customer.portal.only", parameter: null },
      { projectKey: "P1", permission: "EDIT_ISSUES", holderType: "userCustomField", parameter: "customfield_1" },
      { projectKey: "P1", permission: "RESOLVE_ISSUES", holderType: "assignee", parameter: null },
    ]);
  });
});

describe("CSV", () => {
  it("quotes per RFC 4180", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
  });

  it("writes the header and one line per row", () => {
    const rows = [row("a", "jira", "jira_project", "K,1", "BROWSE_PROJECTS")];
    expect(groundTruthToCsv(rows)).toBe(`${GROUND_TRUTH_CSV_HEADER}\r\na,jira,jira_project,"K,1",BROWSE_PROJECTS\r\n`);
  });

  it("chunks to the same text", () => {
    const rows = computeGroundTruth(tinyTenant());
    expect([...groundTruthCsvChunks(rows, 7)].join("")).toBe(groundTruthToCsv(rows));
    expect(groundTruthToCsv(rows).split("\r\n")).toHaveLength(rows.length + 2);
  });
});

describe("computeGroundTruth on generated tenants", () => {
  const t = generateTenant("M", 7);
  const rows = computeGroundTruth(t);
  const accounts = new Map(t.accounts.map((a) => [a.accountId, a]));

  it("is sorted and deduplicated", () => {
    for (let i = 1; i < rows.length; i++) expect(order(rows[i - 1]!, rows[i]!)).toBeLessThan(0);
  });

  it("only names active, unsuspended accounts holding the product, or pseudo-principals", () => {
    const productOf = { jira: "jira-software", confluence: "confluence", bitbucket: "bitbucket" } as const;
    for (const r of rows) {
      const a = accounts.get(r.principal);
      if (!a) {
        expect(["anonymous", "product-users:jira", "unlicensed:confluence"]).toContain(r.principal);
        continue;
      }
      expect(a.status).toBe("active");
      expect(a.suspended).toBe(false);
      if (r.product !== "admin") expect(a.products.map((p) => p.key)).toContain(productOf[r.product]);
    }
  });

  it("covers every project, every non-personal space and the workspace", () => {
    const ids = new Set(rows.map((r) => `${r.resourceType}:${r.resourceId}`));
    expect(t.jira.projects.filter((p) => !ids.has(`jira_project:${p.key}`))).toEqual([]);
    const spaces = t.confluence.spaces.filter((s) => s.type !== "personal");
    expect(spaces.filter((s) => !ids.has(`confluence_space:${s.key}`))).toEqual([]);
    expect(ids.has(`bitbucket_workspace:${t.bitbucket.workspace.slug}`)).toBe(true);
  });

  it("gives one Bitbucket level per account and resource", () => {
    const seen = new Set<string>();
    for (const r of rows) {
      if (r.product !== "bitbucket" || r.resourceType === "bitbucket_workspace") continue;
      const k = `${r.principal}|${r.resourceId}`;
      expect(seen.has(k)).toBe(false);
      seen.add(k);
    }
  });

  it("lists conditional grants with their holder types", () => {
    const types = new Set(conditionalGrants(t).map((c) => c.holderType));
    expect([...types].sort()).toEqual([
      "assignee",
      "groupCustomField",
      "reporter",
      "sd.customer.portal.only",
      "userCustomField",
    ]);
  });
});
