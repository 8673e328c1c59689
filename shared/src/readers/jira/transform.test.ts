import {
  projectRoleName,
  roleIdFromUrl,
  toApplicationRole,
  toGrant,
  toGrants,
  toGroup,
  toGroupMember,
  toProject,
  toRoleActors,
  toUser,
} from "@accessmap/shared/readers/jira/transform";
import { MissingIdentityError } from "@accessmap/shared/transport/errors";
import { describe, expect, it } from "vitest";

describe("toUser", () => {
  it("keeps what Jira states and maps a hidden or empty email to null", () => {
    expect(
      toUser({ accountId: "a1", accountType: "atlassian", active: true, displayName: "Ann", emailAddress: "a@x.io" }),
    ).toEqual({
      accountId: "a1",
      accountType: "atlassian",
      active: true,
      displayName: "Ann",
      email: "a@x.io",
      appType: null,
    });
    expect(
      toUser({ accountId: "a2", accountType: "app", active: false, displayName: "Bot", appType: "service" }),
    ).toEqual({
      accountId: "a2",
      accountType: "app",
      active: false,
      displayName: "Bot",
      email: null,
      appType: "service",
    });
    expect(toUser({ accountId: "a3", active: true, displayName: "C", emailAddress: "" }).email).toBeNull();
  });

  it("records an absent account type as Jira's own `unknown`", () => {
    expect(toUser({ accountId: "a1", active: true, displayName: "A" }).accountType).toBe("unknown");
  });

  it("fails on a user without an accountId instead of inventing one", () => {
    expect(() => toUser({ accountId: "", active: true })).toThrow(MissingIdentityError);
  });
});

describe("groups", () => {
  it("keys groups and memberships by groupId and accountId", () => {
    expect(toGroup({ groupId: "g1", name: "devs" })).toEqual({ groupId: "g1", name: "devs" });
    expect(toGroupMember("g1", { accountId: "a1" })).toEqual({ groupId: "g1", accountId: "a1" });
    expect(() => toGroup({ groupId: "", name: "x" })).toThrow(MissingIdentityError);
    expect(() => toGroupMember("g1", { accountId: "" })).toThrow(MissingIdentityError);
  });
});

describe("toProject", () => {
  const base = { id: 10001, key: "ALP", name: "Alpha", projectTypeKey: "software" };

  it("stringifies the numeric id, takes the lead's accountId and the scheme id given", () => {
    expect(toProject({ ...base, style: "classic", archived: true, lead: { accountId: "a1" } }, "10000")).toEqual({
      id: "10001",
      key: "ALP",
      name: "Alpha",
      projectTypeKey: "software",
      style: "classic",
      archived: true,
      leadAccountId: "a1",
      permissionSchemeId: "10000",
    });
  });

  it("derives the style from `simplified`, treats an absent `archived` as live and an absent lead as null", () => {
    const row = toProject({ ...base, simplified: true }, null);
    expect(row.style).toBe("next-gen");
    expect(row.archived).toBe(false);
    expect(row.leadAccountId).toBeNull();
    expect(row.permissionSchemeId).toBeNull();
    expect(toProject({ ...base, simplified: false }, null).style).toBe("classic");
    expect(toProject({ ...base, projectTypeKey: null }, null)).toMatchObject({
      style: "unknown",
      projectTypeKey: "unknown",
    });
  });

  it("fails on a project without a key", () => {
    expect(() => toProject({ ...base, key: "" }, null)).toThrow(MissingIdentityError);
  });
});

describe("roleIdFromUrl", () => {
  it("reads the id at the end of the role's self URL", () => {
    expect(roleIdFromUrl("https://acme.atlassian.net/rest/api/3/project/MKY/role/10360")).toBe("10360");
    expect(roleIdFromUrl("https://acme.atlassian.net/rest/api/3/project/10001/role/10002/")).toBe("10002");
  });

  it("fails when the URL carries no role id", () => {
    expect(() => roleIdFromUrl("https://acme.atlassian.net/rest/api/3/project/MKY")).toThrow(MissingIdentityError);
  });
});

describe("toRoleActors", () => {
  const project = { id: "10001", name: "Alpha" };

  it("names the role `<project name> - <role name>` and keeps user and group actors", () => {
    const out = toRoleActors(project, {
      id: 10002,
      name: "Developers",
      actors: [
        { type: "atlassian-group-role-actor", actorGroup: { groupId: "g1", name: "devs" } },
        { type: "atlassian-user-role-actor", actorUser: { accountId: "a1" } },
      ],
    });
    expect(projectRoleName("Alpha", "Developers")).toBe("Alpha - Developers");
    expect(out.unknownTypes).toEqual([]);
    expect(out.rows).toEqual([
      {
        projectId: "10001",
        roleId: "10002",
        roleName: "Alpha - Developers",
        actorType: "group",
        accountId: null,
        groupId: "g1",
      },
      {
        projectId: "10001",
        roleId: "10002",
        roleName: "Alpha - Developers",
        actorType: "user",
        accountId: "a1",
        groupId: null,
      },
    ]);
  });

  it("sets aside actor types the snapshot cannot hold, and treats a role without actors as empty", () => {
    const out = toRoleActors(project, { id: 1, name: "R", actors: [{ type: "atlassian-team-role-actor" }] });
    expect(out).toEqual({ rows: [], unknownTypes: ["atlassian-team-role-actor"] });
    expect(toRoleActors(project, { id: 1, name: "R" })).toEqual({ rows: [], unknownTypes: [] });
  });

  it("fails on a group actor without a groupId (a group name is not an identity)", () => {
    expect(() =>
      toRoleActors(project, {
        id: 1,
        name: "R",
        actors: [{ type: "atlassian-group-role-actor", actorGroup: { name: "devs" } }],
      }),
    ).toThrow(MissingIdentityError);
  });
});

describe("grants", () => {
  it("marks issue-dependent and portal-only holders conditional", () => {
    for (const type of ["reporter", "assignee", "userCustomField", "groupCustomField", "sd.customer.portal.only"]) {
      expect(toGrant("1", { id: 5, permission: "BROWSE_PROJECTS", holder: { type } }).conditional).toBe(true);
    }
    for (const type of ["anyone", "group", "user", "projectRole", "projectLead", "applicationRole"]) {
      expect(toGrant("1", { id: 5, permission: "BROWSE_PROJECTS", holder: { type } }).conditional).toBe(false);
    }
  });

  it("keeps parameter and value as Jira states them, null when absent (a group holder without a group)", () => {
    expect(
      toGrant("10000", {
        id: 10100,
        permission: "ADMINISTER_PROJECTS",
        holder: { type: "group", parameter: "admins", value: "g1" },
      }),
    ).toEqual({
      schemeId: "10000",
      grantId: "10100",
      permission: "ADMINISTER_PROJECTS",
      holderType: "group",
      parameter: "admins",
      value: "g1",
      conditional: false,
    });
    expect(toGrant("10000", { id: 1, permission: "BROWSE_PROJECTS", holder: { type: "group" } })).toMatchObject({
      parameter: null,
      value: null,
    });
  });

  it("reads every grant of a scheme, none when the scheme came without them", () => {
    const grants = toGrants({
      id: 7,
      name: "S",
      permissions: [
        { id: 1, permission: "BROWSE_PROJECTS", holder: { type: "anyone" } },
        { id: 2, permission: "CREATE_ISSUES", holder: { type: "projectRole", parameter: "10002", value: "10002" } },
      ],
    });
    expect(grants.map((g) => [g.schemeId, g.grantId, g.holderType])).toEqual([
      ["7", "1", "anyone"],
      ["7", "2", "projectRole"],
    ]);
    expect(toGrants({ id: 7, name: "S" })).toEqual([]);
  });

  it("fails on a grant without an id", () => {
    expect(() => toGrant("1", { id: "", permission: "X", holder: { type: "anyone" } })).toThrow(MissingIdentityError);
  });
});

describe("toApplicationRole", () => {
  it("takes group ids from groupDetails and defaultGroupsDetails", () => {
    expect(
      toApplicationRole({
        key: "jira-software",
        name: "Jira",
        groupDetails: [
          { groupId: "g1", name: "jira-software-users" },
          { groupId: "g2", name: "admins" },
        ],
        defaultGroupsDetails: [{ groupId: "g1", name: "jira-software-users" }],
      }),
    ).toEqual({ key: "jira-software", name: "Jira", groupIds: ["g1", "g2"], defaultGroupIds: ["g1"] });
    expect(toApplicationRole({ key: "jira-core" })).toEqual({
      key: "jira-core",
      name: "jira-core",
      groupIds: [],
      defaultGroupIds: [],
    });
  });

  it("fails on a licence group without a groupId", () => {
    expect(() => toApplicationRole({ key: "k", groupDetails: [{ groupId: "", name: "x" }] })).toThrow(
      MissingIdentityError,
    );
  });
});
