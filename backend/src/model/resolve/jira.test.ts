import type { JiraSection } from "@accessmap/shared/snapshot/schema";
import { describe, expect, it } from "vitest";
import { buildModel } from "../build-model.js";
import {
  admin,
  adminUser,
  grant,
  HOST,
  jira,
  jiraProject,
  jiraUser,
  onResource,
  paths,
  products,
  snapshot,
} from "../testing.js";

const JIRA = products("jira-software");
const scheme = { id: "s1", name: "Default" };

/** A site where `a`, `b`, `c` hold Jira, `x` does not, `gone` is inactive and `susp` suspended. */
function model(j: Partial<JiraSection>, extraUsers: ReturnType<typeof adminUser>[] = []) {
  return buildModel(
    snapshot({
      admin: admin({
        users: [
          adminUser("a", { productAccess: JIRA }),
          adminUser("b", { productAccess: JIRA }),
          adminUser("c", { productAccess: JIRA }),
          adminUser("x"),
          adminUser("gone", { accountStatus: "inactive", status: "deactivated", productAccess: JIRA }),
          adminUser("susp", { membershipStatus: "suspended", status: "suspended", productAccess: JIRA }),
          ...extraUsers,
        ],
      }),
      jira: jira({ permissionSchemes: [scheme], projects: [jiraProject("P", "s1")], ...j }),
    }),
  );
}

const groups = {
  groups: [
    { groupId: "g1", name: "devs" },
    { groupId: "g2", name: "qa" },
  ],
  groupMembers: [
    { groupId: "g1", accountId: "a" },
    { groupId: "g1", accountId: "x" },
    { groupId: "g1", accountId: "gone" },
    { groupId: "g2", accountId: "b" },
  ],
};

describe("Jira scheme holders", () => {
  it("user → the account", () => {
    const m = model({ grants: [grant("s1", "BROWSE_PROJECTS", "user", "a")] });
    expect(onResource(m, "jira_project", "P")).toEqual(["a:BROWSE_PROJECTS"]);
    expect(paths(m.access, "a", "jira_project", "P", "BROWSE_PROJECTS")).toEqual([
      'permission scheme "Default" → user',
    ]);
    expect(m.access.find((e) => e.product === "jira")!.via[0]!.kind).toBe("jira.scheme.user");
  });

  it("group → its members who hold Jira (the rest dormant); a group named only by name resolves too", () => {
    const m = model({
      ...groups,
      grants: [grant("s1", "EDIT_ISSUES", "group", "devs", "g1"), grant("s1", "ADD_COMMENTS", "group", "QA", null)],
    });
    expect(onResource(m, "jira_project", "P")).toEqual(["a:EDIT_ISSUES", "b:ADD_COMMENTS"]);
    expect(onResource(m, "jira_project", "P", true)).toEqual(["gone:EDIT_ISSUES", "x:EDIT_ISSUES"]);
    expect(paths(m.access, "a", "jira_project", "P", "EDIT_ISSUES")).toEqual([
      'permission scheme "Default" → group "devs"',
    ]);
  });

  it("group without a group → product-users:jira, stored once", () => {
    const m = model({ grants: [grant("s1", "BROWSE_PROJECTS", "group")] });
    expect(onResource(m, "jira_project", "P")).toEqual(["product-users:jira:BROWSE_PROJECTS"]);
  });

  it("projectRole → the role's users and group-actor members in that project only", () => {
    const m = model({
      ...groups,
      projects: [jiraProject("P", "s1"), jiraProject("Q", "s1")],
      roles: [{ id: "10002", name: "Developers" }],
      roleActors: [
        {
          projectId: "id-P",
          roleId: "10002",
          roleName: "Project P - Developers",
          actorType: "user",
          accountId: "c",
          groupId: null,
        },
        {
          projectId: "id-P",
          roleId: "10002",
          roleName: "Project P - Developers",
          actorType: "group",
          accountId: null,
          groupId: "g2",
        },
        {
          projectId: "id-Q",
          roleId: "10002",
          roleName: "Project Q - Developers",
          actorType: "user",
          accountId: "a",
          groupId: null,
        },
      ],
      grants: [grant("s1", "WORK_ON_ISSUES", "projectRole", "10002")],
    });
    expect(onResource(m, "jira_project", "P")).toEqual(["b:WORK_ON_ISSUES", "c:WORK_ON_ISSUES"]);
    expect(onResource(m, "jira_project", "Q")).toEqual(["a:WORK_ON_ISSUES"]);
    expect(paths(m.access, "b", "jira_project", "P", "WORK_ON_ISSUES")).toEqual([
      'permission scheme "Default" → project role "Project P - Developers" → group "qa"',
    ]);
    expect(paths(m.access, "c", "jira_project", "P", "WORK_ON_ISSUES")).toEqual([
      'permission scheme "Default" → project role "Project P - Developers" → user',
    ]);
  });

  it("projectLead → the lead", () => {
    const m = model({
      projects: [jiraProject("P", "s1", { leadAccountId: "b" })],
      grants: [grant("s1", "ADMINISTER_PROJECTS", "projectLead")],
    });
    expect(onResource(m, "jira_project", "P")).toEqual(["b:ADMINISTER_PROJECTS"]);
    expect(paths(m.access, "b", "jira_project", "P", "ADMINISTER_PROJECTS")).toEqual([
      'permission scheme "Default" → project lead',
    ]);
  });

  it("applicationRole with a key → every account holding that product; without → product-users:jira", () => {
    const m = model(
      {
        grants: [
          grant("s1", "ADD_COMMENTS", "applicationRole", "jira-software", null),
          grant("s1", "BROWSE_PROJECTS", "applicationRole"),
          grant("s1", "CREATE_ISSUES", "applicationRole", "jira-servicedesk", null),
        ],
      },
      [adminUser("agent", { productAccess: products("jira-servicedesk") })],
    );
    expect(onResource(m, "jira_project", "P")).toEqual([
      "a:ADD_COMMENTS",
      "agent:CREATE_ISSUES",
      "b:ADD_COMMENTS",
      "c:ADD_COMMENTS",
      "product-users:jira:BROWSE_PROJECTS",
    ]);
    // Grants to every licensed user are not multiplied into dormant rows for the accounts that cannot use Jira.
    expect(m.dormant.filter((e) => e.product === "jira")).toEqual([]);
  });

  it("anyone → anonymous", () => {
    const m = model({ grants: [grant("s1", "BROWSE_PROJECTS", "anyone")] });
    expect(onResource(m, "jira_project", "P")).toEqual(["anonymous:BROWSE_PROJECTS"]);
    expect(paths(m.access, "anonymous", "jira_project", "P", "BROWSE_PROJECTS")).toEqual([
      'permission scheme "Default" → anyone (public access)',
    ]);
  });

  it("reporter, assignee, custom fields and portal-only are conditional, never expanded", () => {
    const m = model({
      projects: [jiraProject("P", "s1"), jiraProject("Q", "s1")],
      grants: [
        grant("s1", "EDIT_ISSUES", "reporter"),
        grant("s1", "CLOSE_ISSUES", "assignee"),
        grant("s1", "BROWSE_PROJECTS", "groupCustomField", "customfield_10050"),
        grant("s1", "EDIT_ISSUES", "userCustomField", "customfield_10051"),
        grant("s1", "CREATE_ISSUES", "sd.customer.portal.only"),
      ],
    });
    expect(m.access.filter((e) => e.product === "jira")).toEqual([]);
    expect(m.conditional.filter((c) => c.projectKey === "P")).toEqual([
      {
        projectKey: "P",
        permission: "BROWSE_PROJECTS",
        holderType: "groupCustomField",
        parameter: "customfield_10050",
      },
      { projectKey: "P", permission: "CLOSE_ISSUES", holderType: "assignee", parameter: null },
      { projectKey: "P", permission: "CREATE_ISSUES", holderType: "sd.customer.portal.only", parameter: null },
      { projectKey: "P", permission: "EDIT_ISSUES", holderType: "reporter", parameter: null },
      { projectKey: "P", permission: "EDIT_ISSUES", holderType: "userCustomField", parameter: "customfield_10051" },
    ]);
    expect(m.conditional).toHaveLength(10);
  });

  it("an unknown holder type is listed as conditional and named in the notes", () => {
    const m = model({ grants: [grant("s1", "BROWSE_PROJECTS", "futureHolder", "z")] });
    expect(m.conditional).toEqual([
      { projectKey: "P", permission: "BROWSE_PROJECTS", holderType: "futureHolder", parameter: "z" },
    ]);
    expect(m.notes.join("\n")).toMatch(/futureHolder/);
  });

  it("one account reaching one permission three ways: one entry, three paths sorted by description", () => {
    const m = model({
      ...groups,
      projects: [jiraProject("P", "s1", { leadAccountId: "a" })],
      grants: [
        grant("s1", "BROWSE_PROJECTS", "user", "a"),
        grant("s1", "BROWSE_PROJECTS", "group", "devs", "g1"),
        grant("s1", "BROWSE_PROJECTS", "projectLead"),
      ],
    });
    const entries = m.access.filter((e) => e.principal === "a" && e.resourceType === "jira_project");
    expect(entries).toHaveLength(1);
    expect(entries[0]!.via.map((v) => v.description)).toEqual([
      'permission scheme "Default" → group "devs"',
      'permission scheme "Default" → project lead',
      'permission scheme "Default" → user',
    ]);
  });
});

describe("Jira access and dormant grants", () => {
  it("an account without Jira, an inactive one and a suspended one hold nothing but what anonymous holds; their grants are dormant", () => {
    const m = model({
      grants: [
        grant("s1", "BROWSE_PROJECTS", "user", "x"),
        grant("s1", "BROWSE_PROJECTS", "user", "gone"),
        grant("s1", "BROWSE_PROJECTS", "user", "susp"),
        grant("s1", "VIEW_DEV_TOOLS", "anyone"),
      ],
    });
    expect(onResource(m, "jira_project", "P")).toEqual(["anonymous:VIEW_DEV_TOOLS"]);
    expect(onResource(m, "jira_project", "P", true)).toEqual([
      "gone:BROWSE_PROJECTS",
      "susp:BROWSE_PROJECTS",
      "x:BROWSE_PROJECTS",
    ]);
    expect(paths(m.dormant, "x", "jira_project", "P", "BROWSE_PROJECTS")).toEqual([
      'permission scheme "Default" → user',
    ]);
  });

  it("without Admin, Jira access comes from the application roles' groups and Jira's active flag", () => {
    const m = buildModel(
      snapshot({
        jira: jira({
          users: [jiraUser("a"), jiraUser("b"), jiraUser("off", { active: false })],
          groups: [{ groupId: "ju", name: "jira-users" }],
          groupMembers: [
            { groupId: "ju", accountId: "a" },
            { groupId: "ju", accountId: "off" },
          ],
          applicationRoles: [
            { key: "jira-software", name: "Jira Software", groupIds: ["ju"], defaultGroupIds: ["ju"] },
          ],
          permissionSchemes: [scheme],
          projects: [jiraProject("P", "s1")],
          grants: ["a", "b", "off"].map((id) => grant("s1", "BROWSE_PROJECTS", "user", id)),
        }),
      }),
    );
    expect(onResource(m, "jira_project", "P")).toEqual(["a:BROWSE_PROJECTS"]);
    expect(onResource(m, "jira_project", "P", true)).toEqual(["b:BROWSE_PROJECTS", "off:BROWSE_PROJECTS"]);
    expect(m.notes.join("\n")).toMatch(/Jira access comes from the Jira application roles/);
    // The site row names the evidence.
    expect(paths(m.access, "a", "site", HOST, "jira-software")).toEqual([
      'Jira application role "Jira Software" → group "jira-users"',
    ]);
  });

  it("global: admin groups → ADMINISTER; site-admin groups → SYSTEM_ADMIN and ADMINISTER, on the site", () => {
    const m = model({ ...groups, adminGroupIds: ["g2"], siteAdminGroupIds: ["g1"] });
    expect(onResource(m, "site", HOST).filter((r) => !r.endsWith("jira-software"))).toEqual([
      "a:ADMINISTER",
      "a:SYSTEM_ADMIN",
      "b:ADMINISTER",
    ]);
    expect(paths(m.access, "a", "site", HOST, "ADMINISTER")).toEqual([
      'site administrators group "devs" (Jira administrator by default)',
    ]);
    expect(paths(m.access, "b", "site", HOST, "ADMINISTER")).toEqual([
      'Jira global permission "Administer Jira" → group "qa"',
    ]);
    expect(onResource(m, "site", HOST, true)).toEqual([
      "gone:ADMINISTER",
      "gone:SYSTEM_ADMIN",
      "gone:jira-software",
      "susp:jira-software",
      "x:ADMINISTER",
      "x:SYSTEM_ADMIN",
    ]);
  });

  it("projects whose scheme could not be read are named in the notes", () => {
    const m = model({ projects: [jiraProject("P", "s1"), jiraProject("N", "s1", { permissionSchemeId: null })] });
    expect(m.notes.join("\n")).toMatch(/permission scheme of 1 project/);
  });
});
