import { MissingIdentityError } from "@accessmap/shared/transport/errors";
import { describe, expect, it } from "vitest";
import { ATLASSIAN_EXTENSION } from "./schemas.js";
import { directoryIdFromPath, scimBool, toScimGroup, toScimIdentity } from "./transform.js";

describe("toScimIdentity", () => {
  it("keeps the SCIM id, the primary email and the linked account id", () => {
    expect(
      toScimIdentity({
        id: "s1",
        externalId: "okta-1",
        userName: "ann@acme.io",
        displayName: "Ann",
        emails: [
          { value: "home@x.io", type: "home" },
          { value: "ann@acme.io", type: "work", primary: true },
        ],
        active: true,
        [ATLASSIAN_EXTENSION]: { atlassianAccountId: "acc-1" },
      }),
    ).toEqual({
      scimId: "s1",
      externalId: "okta-1",
      userName: "ann@acme.io",
      displayName: "Ann",
      email: "ann@acme.io",
      active: true,
      accountId: "acc-1",
    });
  });

  it("S12: reads string booleans and odd-case attribute names leniently", () => {
    const u = toScimIdentity({
      id: "s2",
      UserName: "bob",
      Active: "False",
      Emails: [{ Value: "b1@x.io" }, { value: "b2@x.io", primary: "True" }],
    } as never);
    expect(u).toMatchObject({ userName: "bob", active: false, email: "b2@x.io" });
    expect(toScimIdentity({ id: "s3", userName: "c", active: "TRUE" }).active).toBe(true);
    expect(scimBool("yes")).toBeNull();
  });

  it("takes the first email when none is primary; null for absent optional fields and an absent link", () => {
    const u = toScimIdentity({ id: "s4", userName: "d", emails: [{ value: "" }, { value: "d@x.io" }], active: true });
    expect(u).toMatchObject({ email: "d@x.io", externalId: null, displayName: null, accountId: null });
    expect(toScimIdentity({ id: "s5", userName: "e", active: false, emails: [] }).email).toBeNull();
  });

  it("keeps a user whose directory omits `active` as active (never hides possible access)", () => {
    expect(toScimIdentity({ id: "s6", userName: "f" }).active).toBe(true);
  });

  it("fails on a user without id or userName", () => {
    expect(() => toScimIdentity({ id: "", userName: "x" })).toThrow(MissingIdentityError);
    expect(() => toScimIdentity({ id: "s7" })).toThrow(MissingIdentityError);
  });
});

describe("toScimGroup", () => {
  it("lists user members by SCIM id, once each, leaving nested groups out", () => {
    expect(
      toScimGroup({
        id: "g1",
        displayName: "Engineering",
        members: [{ value: "s1", type: "User" }, { value: "s2" }, { value: "s1" }, { value: "g9", type: "Group" }],
      }),
    ).toEqual({ scimId: "g1", displayName: "Engineering", memberScimIds: ["s1", "s2"] });
    expect(toScimGroup({ id: "g2" })).toEqual({ scimId: "g2", displayName: "g2", memberScimIds: [] });
  });

  it("fails on a member reference without a value", () => {
    expect(() => toScimGroup({ id: "g1", displayName: "x", members: [{ type: "User" }] })).toThrow(
      MissingIdentityError,
    );
  });
});

describe("directoryIdFromPath", () => {
  it("reads the directory id from the SCIM base URL's path", () => {
    expect(directoryIdFromPath("/scim/directory/d-123/")).toBe("d-123");
    expect(directoryIdFromPath("/admin-api/scim/directory/d-123")).toBe("d-123");
    expect(directoryIdFromPath("/scim/")).toBeNull();
  });
});
