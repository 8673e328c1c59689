import { describe, expect, it } from "vitest";
import { cleanModel, makeModel, sampleModel } from "../test-fixtures.js";
import { buildOaaPayload, buildOaaPayloads, jiraRoleName, oaaId, oaaPropertyName } from "./oaa.js";
import { oaaPermissionTypes } from "./oaa-permissions.js";
import { OaaPayload, type OaaResource, validateOaaPayload } from "./oaa-schema.js";

const ids = <T extends { id?: string; name: string }>(list: T[]) => list.map((x) => x.id ?? x.name);

describe("OAA payloads", () => {
  it("every payload of the sample and the clean model matches the published template", () => {
    for (const model of [sampleModel(), cleanModel()]) {
      const payloads = buildOaaPayloads(model);
      expect(payloads.map((p) => p.product)).toEqual(["jira", "confluence", "bitbucket", "admin"]);
      for (const { payload } of payloads) {
        expect(OaaPayload.safeParse(payload).success).toBe(true);
        expect(validateOaaPayload(payload)).toEqual([]);
        // It survives JSON as is.
        expect(validateOaaPayload(JSON.parse(JSON.stringify(payload)))).toEqual([]);
      }
    }
  });

  it("an empty model still gives a valid payload per product", () => {
    for (const product of ["jira", "confluence", "bitbucket", "admin"] as const)
      expect(validateOaaPayload(buildOaaPayload(makeModel(), product))).toEqual([]);
  });

  it("is deterministic", () => {
    expect(JSON.stringify(buildOaaPayloads(sampleModel()))).toBe(JSON.stringify(buildOaaPayloads(sampleModel())));
  });

  it("Jira: users, identities, user_type, groups, roles, application and resource permissions", () => {
    const p = buildOaaPayload(sampleModel(), "jira");
    const app = p.applications[0]!;
    expect(app.name).toBe("Jira (acme.atlassian.net)");
    expect(app.application_type).toBe("atlassian_jira");
    expect(ids(app.local_users)).toEqual(["a1", "app1", "b1", "d1", "e1"]);

    const a1 = app.local_users.find((u) => u.id === "a1")!;
    expect(a1).toMatchObject({
      name: "Alice Admin",
      identities: ["a1@example.com", "alice@corp.example"],
      groups: ["g-devs", "product-users:jira"],
      is_active: true,
      last_login_at: "2025-05-22T00:00:00.000Z",
    });
    expect(a1.custom_properties).toMatchObject({ user_type: "human", account_type: "atlassian", idp_status: "active" });
    const app1 = app.local_users.find((u) => u.id === "app1")!;
    expect(app1.custom_properties).toMatchObject({ user_type: "service_account", account_type: "app" });
    expect(app1.identities).toBeUndefined();
    // The dormant account is a user, inactive, with no permissions.
    expect(app.local_users.find((u) => u.id === "d1")!.is_active).toBe(false);
    expect(p.identity_to_permissions.some((e) => e.identity === "d1")).toBe(false);

    // Groups: org groups and the pseudo-principals holding Jira access.
    expect(ids(app.local_groups)).toEqual(["g-devs", "anonymous", "product-users:jira"]);
    expect(app.local_groups.find((g) => g.id === "anonymous")!.custom_properties).toMatchObject({
      pseudo_principal: true,
      member_count: 0,
    });

    // Project roles, named `<project name> - <role name>`.
    expect(app.local_roles.map((r) => [r.name, r.permissions])).toEqual([
      ["Project, with comma - Administrators", ["ADMINISTER_PROJECTS"]],
      ["Project, with comma - Developers", ["BROWSE_PROJECTS"]],
    ]);

    const of = (identity: string) => p.identity_to_permissions.find((e) => e.identity === identity)!;
    expect(of("a1")).toEqual({
      identity: "a1",
      identity_type: "local_user",
      application_permissions: [{ application: app.name, permission: "ADMINISTER", apply_to_application: true }],
      role_assignments: [
        { application: app.name, role: "PROJ:Administrators", apply_to_application: false, resources: ["PROJ"] },
        { application: app.name, role: "PROJ:Developers", apply_to_application: false, resources: ["PROJ"] },
      ],
    });
    expect(of("b1").application_permissions).toEqual([
      { application: app.name, resources: ["PROJ"], permission: "BROWSE_PROJECTS" },
    ]);
    expect(of("b1").role_assignments?.map((r) => r.role)).toEqual(["PROJ:Administrators"]);
    expect(of("product-users:jira")).toMatchObject({
      identity_type: "local_group",
      application_permissions: [
        { resources: ["PROJ"], permission: "ADMINISTER_PROJECTS" },
        { resources: ["PROJ"], permission: "BROWSE_PROJECTS" },
      ],
    });

    // Permissions: canonical OAA types, project resources.
    const perm = (n: string) => p.permissions.find((x) => x.name === n)!;
    expect(perm("BROWSE_PROJECTS")).toEqual({
      name: "BROWSE_PROJECTS",
      permission_type: ["DataRead"],
      apply_to_sub_resources: false,
      resource_types: ["project"],
    });
    expect(perm("EDIT_ISSUES").permission_type).toEqual(["DataWrite"]);
    expect(perm("ADMINISTER").resource_types).toEqual([]);

    // The model's attributes as declared custom properties (nulls left out).
    expect(app.resources).toEqual([
      {
        id: "PROJ",
        name: "Project, with comma",
        resource_type: "project",
        custom_properties: { project_id: "10000", archived: false },
      },
    ]);
    expect(p.custom_property_definition.applications[0]!.resources).toEqual([
      {
        resource_type: "project",
        properties: { archived: "BOOLEAN", lead_account_id: "STRING", project_id: "STRING" },
      },
    ]);
  });

  it("Confluence: pseudo groups with the accounts they stand for", () => {
    const p = buildOaaPayload(sampleModel(), "confluence");
    const app = p.applications[0]!;
    expect(ids(app.local_groups)).toEqual(["g-devs", "anonymous", "unlicensed:confluence"]);
    // unlicensed:confluence → active accounts on the site without Confluence: app1, e1 (Jira) and cust1 (customer).
    const inUnlicensed = app.local_users.filter((u) => u.groups?.includes("unlicensed:confluence")).map((u) => u.id);
    expect(inUnlicensed).toEqual(["app1", "cust1", "e1"]);
    expect(app.resources.map((r) => [r.id, r.resource_type])).toEqual([["DOCS", "space"]]);
    const c1 = p.identity_to_permissions.find((e) => e.identity === "c1")!;
    expect(c1.application_permissions?.map((x) => x.permission)).toEqual(["create:page", "read:space"]);
    expect(p.permissions.find((x) => x.name === "create:page")!.permission_type).toEqual(["DataCreate"]);
  });

  it("Bitbucket: workspace → project → repository, with dots in ids encoded", () => {
    const p = buildOaaPayload(sampleModel(), "bitbucket");
    const [ws] = p.applications[0]!.resources as [OaaResource];
    expect(ws).toMatchObject({ id: "ws", resource_type: "workspace" });
    expect(ws.sub_resources!.map((r) => [r.id, r.resource_type])).toEqual([
      ["ws/CORE", "project"],
      ["ws/site%2Eio", "repository"],
    ]);
    expect(ws.sub_resources![0]!.sub_resources!.map((r) => r.id)).toEqual(["ws/api"]);
    const of = (identity: string) => p.identity_to_permissions.find((e) => e.identity === identity)!;
    expect(of("a1").application_permissions).toEqual([
      { application: p.applications[0]!.name, resources: ["ws.ws/CORE.ws/api"], permission: "admin" },
      { application: p.applications[0]!.name, resources: ["ws"], permission: "owner" },
    ]);
    expect(of("anonymous").application_permissions).toEqual([
      { application: p.applications[0]!.name, resources: ["ws.ws/site%2Eio"], permission: "read" },
    ]);
    expect(p.applications[0]!.local_groups.map((g) => [g.id, g.name])).toEqual([
      ["bitbucket:core", "Core team"],
      ["anonymous", "Anyone (anonymous access, logged out included)"],
    ]);
    expect(p.applications[0]!.local_users.find((u) => u.id === "a1")!.groups).toEqual(["bitbucket:core"]);
  });

  it("Admin: org with the site and the workspace beneath it", () => {
    const p = buildOaaPayload(sampleModel(), "admin");
    const [org] = p.applications[0]!.resources as [OaaResource];
    expect(org).toMatchObject({ id: "org-1", resource_type: "organization" });
    expect(org.sub_resources!.map((r) => [r.id, r.resource_type])).toEqual([
      ["acme%2Eatlassian%2Enet", "site"],
      ["ws", "workspace"],
    ]);
    const a1 = p.identity_to_permissions.find((e) => e.identity === "a1")!;
    expect(a1.application_permissions).toEqual([
      {
        application: p.applications[0]!.name,
        resources: ["org-1.acme%2Eatlassian%2Enet"],
        permission: "jira-software",
      },
      { application: p.applications[0]!.name, resources: ["org-1"], permission: "org-admin" },
    ]);
    expect(p.permissions.find((x) => x.name === "org-admin")!.permission_type).toEqual([
      "MetadataRead",
      "MetadataWrite",
      "MetadataCreate",
      "MetadataDelete",
    ]);
    expect(p.permissions.find((x) => x.name === "jira-software")!.permission_type).toEqual(["NonData"]);
    expect(p.applications[0]!.local_users).toHaveLength(sampleModel().accounts.length);
  });

  it("the validator catches broken references, undefined properties and duplicate ids", () => {
    const good = buildOaaPayload(sampleModel(), "jira");
    const broken = structuredClone(good);
    const app = broken.applications[0]!;
    app.local_users[0]!.custom_properties = { ...app.local_users[0]!.custom_properties, shoe_size: "42" };
    app.local_users[1]!.groups = ["no-such-group"];
    app.local_users.push({ ...app.local_users[0]!, id: "A1" });
    broken.identity_to_permissions[0]!.application_permissions = [
      { application: app.name, resources: ["NOPE"], permission: "NO_SUCH_PERMISSION" },
    ];
    const issues = validateOaaPayload(broken);
    expect(issues).toEqual(
      expect.arrayContaining([
        "local user a1: property shoe_size is not defined",
        expect.stringContaining("unknown group no-such-group"),
        "local user A1 is defined twice (ids are case-insensitive)",
        expect.stringContaining("unknown permission NO_SUCH_PERMISSION"),
        expect.stringContaining("unknown resource NOPE"),
      ]),
    );

    const shape = structuredClone(good) as unknown as Record<string, unknown>;
    delete shape.permissions;
    expect(validateOaaPayload(shape)[0]).toMatch(/permissions/);
    const badName = structuredClone(good);
    badName.custom_property_definition.applications[0]!.local_user_properties["bad-name"] = "STRING";
    expect(validateOaaPayload(badName).length).toBeGreaterThan(0);
    const badType = structuredClone(good);
    badType.permissions[0]!.permission_type = ["Everything" as never];
    expect(validateOaaPayload(badType).length).toBeGreaterThan(0);
  });

  it("helpers", () => {
    expect(oaaId("a.b%c")).toBe("a%2Eb%25c");
    expect(oaaPropertyName("projectId2")).toBe("projectid_");
    expect(oaaPropertyName("2x")).toBe("p__x");
    expect(jiraRoleName('permission scheme "S" → project role "Dev Team" → user')).toBe("Dev Team");
    expect(jiraRoleName('permission scheme "S" → project role "Dev" → group "g → h"')).toBe("Dev");
    expect(jiraRoleName('permission scheme "S" → group "g"')).toBeNull();
    expect(oaaPermissionTypes("bitbucket", "write")).toEqual(["DataRead", "DataWrite", "MetadataRead"]);
    expect(oaaPermissionTypes("jira", "SOMETHING_NEW")).toEqual(["NonData"]);
  });
});
