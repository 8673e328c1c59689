import { describe, expect, it } from "vitest";
import {
  ENTERPRISE_USER,
  eqFilter,
  patchOperations,
  replacedResource,
  toGroupView,
  toUserView,
  userBody,
} from "./scim-client.js";

describe("toUserView", () => {
  it("reads Atlassian's user resource", () => {
    const u = toUserView({
      schemas: [],
      id: "s1",
      externalId: "ext",
      userName: "ann@acme.com",
      name: { givenName: "Ann", familyName: "Lee" },
      displayName: "Ann Lee",
      emails: [{ value: "other@acme.com" }, { value: "ann@acme.com", type: "work", primary: true }],
      title: "Engineer",
      active: true,
      groups: [{ value: "g1", display: "team-a" }],
      [ENTERPRISE_USER]: { department: "R&D", organization: "Acme" },
      "urn:scim:schemas:extension:atlassian-external:1.0": { atlassianAccountId: "712020:a" },
      meta: { version: 'W/"3"' },
    });
    expect(u).toEqual({
      id: "s1",
      userName: "ann@acme.com",
      externalId: "ext",
      active: true,
      accountId: "712020:a",
      email: "ann@acme.com",
      displayName: "Ann Lee",
      givenName: "Ann",
      familyName: "Lee",
      title: "Engineer",
      department: "R&D",
      organization: "Acme",
      groups: [{ id: "g1", name: "team-a" }],
      version: 'W/"3"',
    });
  });

  it('is lenient (S12): "False", odd casing, primary as a string, empty strings as null (S11)', () => {
    const u = toUserView({
      ID: "s2",
      UserName: "bob@acme.com",
      Active: "False",
      Emails: [{ Value: "bob@acme.com", Primary: "True" }],
      title: "",
      Meta: { LastModified: "2026-01-01T00:00:00Z", Version: "v9" },
    });
    expect(u).toMatchObject({
      id: "s2",
      userName: "bob@acme.com",
      active: false,
      email: "bob@acme.com",
      title: null,
      version: "v9",
    });
  });

  it("refuses a resource without an id", () => {
    expect(() => toUserView({ userName: "x" })).toThrow(/without id/);
  });
});

describe("toGroupView", () => {
  it("keeps user members and leaves nested groups out", () => {
    expect(
      toGroupView({
        id: "g",
        displayName: "team",
        members: [{ value: "u1" }, { value: "g2", type: "Group" }, { value: "u2", type: "User" }],
      }),
    ).toEqual({ id: "g", displayName: "team", members: ["u1", "u2"] });
  });
});

describe("requests", () => {
  it("writes eq filters with escaped values", () => {
    expect(eqFilter("userName", 'a"b\\c')).toBe('userName eq "a\\"b\\\\c"');
  });

  it("builds PATCH operations: lowercase ops, paths, remove for an empty value", () => {
    expect(patchOperations({ active: false, title: "", department: "R&D", email: "n@x.io", givenName: null })).toEqual([
      { op: "replace", path: "active", value: false },
      { op: "remove", path: "title" },
      { op: "replace", path: `${ENTERPRISE_USER}:department`, value: "R&D" },
      { op: "replace", path: "emails", value: [{ value: "n@x.io", type: "work", primary: true }] },
      { op: "remove", path: "name.givenName" },
    ]);
  });

  it("builds a full user body without unset attributes", () => {
    expect(userBody({ userName: "a@x.io", email: "a@x.io", active: true, department: "R&D", title: null })).toEqual({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
      userName: "a@x.io",
      emails: [{ value: "a@x.io", type: "work", primary: true }],
      active: true,
      [ENTERPRISE_USER]: { department: "R&D" },
    });
  });
});

describe("replacedResource", () => {
  it("keeps what it does not change, drops read-only attributes, and applies the changes (S17 PUT fallback)", () => {
    const resource = {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      id: "s1",
      userName: "a@x.io",
      Title: "Old",
      nickName: "Zed",
      phoneNumbers: [{ value: "+47 1", type: "work" }],
      name: { givenName: "A", familyName: "B" },
      groups: [{ value: "g" }],
      "urn:scim:schemas:extension:atlassian-external:1.0": { atlassianAccountId: "acc" },
      meta: { resourceType: "User" },
      active: true,
    };
    expect(replacedResource(resource, { title: "New", givenName: null, department: "R&D", active: false })).toEqual({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
      userName: "a@x.io",
      title: "New",
      nickName: "Zed",
      phoneNumbers: [{ value: "+47 1", type: "work" }],
      name: { familyName: "B" },
      [ENTERPRISE_USER]: { department: "R&D" },
      active: false,
    });
    expect(resource.Title).toBe("Old");
  });
});
