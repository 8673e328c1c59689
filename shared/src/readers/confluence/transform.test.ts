import {
  fromV1Permission,
  fromV2Permission,
  toGroup,
  toGroupMember,
  toRole,
  toRoleAssignment,
  toSpace,
  toUser,
  toV1SpaceAccess,
} from "@accessmap/shared/readers/confluence/transform";
import { MissingIdentityError } from "@accessmap/shared/transport/errors";
import { describe, expect, it } from "vitest";

const op = (operation: string, targetType: string) => ({ operation, targetType });

describe("Confluence transforms", () => {
  it("users: an empty email is hidden (null), never an address; missing values fall back, never invent an id", () => {
    expect(
      toUser({
        accountId: "a1",
        accountType: "app",
        accountStatus: "inactive",
        email: "",
        displayName: "",
        publicName: "Bot",
        isExternalCollaborator: true,
      }),
    ).toEqual({
      accountId: "a1",
      accountType: "app",
      accountStatus: "inactive",
      displayName: "Bot",
      email: null,
      externalCollaborator: true,
    });
    expect(toUser({ accountId: "a2", email: "x@example.com" })).toEqual({
      accountId: "a2",
      accountType: "unknown",
      accountStatus: "unknown",
      displayName: "a2",
      email: "x@example.com",
      externalCollaborator: false,
    });
    expect(() => toUser({ accountId: "" })).toThrow(MissingIdentityError);
  });

  it("groups and members keep their ids", () => {
    expect(toGroup({ id: "g1", name: "devs" })).toEqual({ groupId: "g1", name: "devs" });
    expect(toGroup({ id: "g2", name: null })).toEqual({ groupId: "g2", name: "g2" });
    expect(() => toGroup({ id: "" })).toThrow(MissingIdentityError);
    expect(toGroupMember("g1", { accountId: "a1" })).toEqual({ groupId: "g1", accountId: "a1" });
    expect(() => toGroupMember("g1", { accountId: "" })).toThrow(MissingIdentityError);
  });

  it("v1 permissions: one row per subject, and principal-less rows for anonymous and unlicensed access", () => {
    expect(
      fromV1Permission("7", {
        operation: op("create", "page"),
        anonymousAccess: false,
        unlicensedAccess: false,
        subjects: { user: { results: [{ accountId: "a1" }, { accountId: "a2" }] }, group: { results: [{ id: "g1" }] } },
      }),
    ).toEqual([
      { spaceId: "7", principalType: "user", principalId: "a1", operation: "create:page" },
      { spaceId: "7", principalType: "user", principalId: "a2", operation: "create:page" },
      { spaceId: "7", principalType: "group", principalId: "g1", operation: "create:page" },
    ]);
    expect(fromV1Permission("7", { operation: op("read", "space"), anonymousAccess: true })).toEqual([
      { spaceId: "7", principalType: "anonymous", principalId: null, operation: "read:space" },
    ]);
    expect(fromV1Permission("7", { operation: op("create", "comment"), unlicensedAccess: true })).toEqual([
      { spaceId: "7", principalType: "unlicensed", principalId: null, operation: "create:comment" },
    ]);
    expect(() =>
      fromV1Permission("7", { operation: op("read", "space"), subjects: { group: { results: [{ id: "" }] } } }),
    ).toThrow(MissingIdentityError);
  });

  it("v1 space access: numeric ids become strings, and the flags follow the rows", () => {
    const access = toV1SpaceAccess({
      id: 65_600,
      key: "ENG",
      permissions: [
        { operation: op("read", "space"), anonymousAccess: true, unlicensedAccess: false },
        { operation: op("read", "space"), subjects: { user: { results: [{ accountId: "a1" }] } } },
      ],
    });
    expect(access).toMatchObject({ spaceId: "65600", key: "ENG", anonymousAccess: true, unlicensedAccess: false });
    expect(access.permissions).toHaveLength(2);
    expect(toV1SpaceAccess({ id: 1, key: "X" })).toMatchObject({ anonymousAccess: false, permissions: [] });
  });

  it("v2 permissions: user, group and role rows; an unknown principal type is returned as null", () => {
    expect(
      fromV2Permission("7", { principal: { type: "role", id: "r1" }, operation: { key: "read", targetType: "space" } }),
    ).toEqual({ spaceId: "7", principalType: "role", principalId: "r1", operation: "read:space" });
    expect(
      fromV2Permission("7", {
        principal: { type: "GROUP", id: "g1" },
        operation: { key: "read", targetType: "space" },
      }),
    ).toMatchObject({ principalType: "group", principalId: "g1" });
    expect(
      fromV2Permission("7", { principal: { type: "team", id: "t" }, operation: { key: "read", targetType: "space" } }),
    ).toBeNull();
    expect(() =>
      fromV2Permission("7", { principal: { type: "user", id: null }, operation: { key: "read", targetType: "space" } }),
    ).toThrow(MissingIdentityError);
  });

  it("spaces carry v1's anonymous and unlicensed flags; missing labels fall back to the key", () => {
    expect(
      toSpace(
        { id: "7", key: "ENG", name: "Engineering", type: "knowledge_base", status: "archived" },
        { anonymousAccess: true, unlicensedAccess: false },
      ),
    ).toEqual({
      id: "7",
      key: "ENG",
      name: "Engineering",
      type: "knowledge_base",
      status: "archived",
      anonymousAccess: true,
      unlicensedAccess: false,
    });
    expect(toSpace({ id: 8, key: "K" }, { anonymousAccess: false, unlicensedAccess: false })).toMatchObject({
      id: "8",
      name: "K",
      type: "unknown",
      status: "unknown",
    });
    expect(() => toSpace({ id: 9, key: "" }, { anonymousAccess: false, unlicensedAccess: false })).toThrow(
      MissingIdentityError,
    );
  });

  it("roles and role assignments: USER, GROUP and ACCESS_CLASS principals; others are returned as null", () => {
    expect(toRole({ id: 5, name: "Viewer" })).toEqual({ id: "5", name: "Viewer" });
    const a = (principalType: string) => ({ principal: { principalType, principalId: "p1" }, roleId: "r1" });
    expect(toRoleAssignment("7", a("USER"))).toEqual({
      spaceId: "7",
      roleId: "r1",
      principalType: "user",
      principalId: "p1",
    });
    expect(toRoleAssignment("7", a("GROUP"))?.principalType).toBe("group");
    expect(toRoleAssignment("7", a("ACCESS_CLASS"))?.principalType).toBe("access_class");
    expect(toRoleAssignment("7", a("ROBOT"))).toBeNull();
    expect(() => toRoleAssignment("7", { principal: { principalType: "USER", principalId: "" }, roleId: "r" })).toThrow(
      MissingIdentityError,
    );
  });
});
