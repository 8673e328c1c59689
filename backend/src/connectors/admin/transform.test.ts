import { MissingIdentityError } from "@accessmap/shared/transport/errors";
import { describe, expect, it } from "vitest";
import {
  groupIdFromRef,
  mergeAdminUser,
  toDirectory,
  toGroup,
  toGroupMembers,
  toOrg,
  toV1User,
  toV2User,
  toWorkspace,
} from "./transform.js";

const JIRA_ARI = "ari:cloud:jira::site/c1";
const keys = new Map([[JIRA_ARI, "jira-software"]]);

describe("org, directories, groups, workspaces", () => {
  it("keeps ids and names, falling back to the id for a missing name", () => {
    expect(toOrg({ id: "o1", attributes: { name: "Acme" } })).toEqual({ id: "o1", name: "Acme" });
    expect(toOrg({ id: "o1" })).toEqual({ id: "o1", name: "o1" });
    expect(toDirectory({ directoryId: "d1", name: "Okta" })).toEqual({ directoryId: "d1", name: "Okta" });
    expect(toGroup({ id: "g1", name: "devs", description: "" })).toEqual({
      groupId: "g1",
      name: "devs",
      description: null,
    });
    expect(toGroup({ id: "g1", name: "devs", description: "All devs" }).description).toBe("All devs");
  });

  it("reads a group id from an identity ARI or a plain id", () => {
    expect(groupIdFromRef("ari:cloud:identity::group/1234-abcd")).toBe("1234-abcd");
    expect(groupIdFromRef("1234-abcd")).toBe("1234-abcd");
    expect(() => groupIdFromRef("ari:cloud:identity::group/")).toThrow(MissingIdentityError);
  });

  it("takes a workspace's product key, name and host URL", () => {
    expect(
      toWorkspace({
        id: JIRA_ARI,
        attributes: { name: "Acme", typeKey: "jira-software", type: "jira", hostUrl: "https://acme.atlassian.net" },
      }),
    ).toEqual({ id: JIRA_ARI, name: "Acme", type: "jira-software", url: "https://acme.atlassian.net" });
    expect(toWorkspace({ id: "w1", attributes: { type: "bitbucket" } })).toEqual({
      id: "w1",
      name: "w1",
      type: "bitbucket",
      url: null,
    });
  });

  it("fails on a record without its identity instead of inventing one", () => {
    expect(() => toGroup({ id: "", name: "x" })).toThrow(MissingIdentityError);
    expect(() => toWorkspace({ id: "" })).toThrow(MissingIdentityError);
    expect(() => toV2User({ accountId: "" })).toThrow(MissingIdentityError);
    expect(() => toV1User({ account_id: "" })).toThrow(MissingIdentityError);
  });
});

describe("v2 users", () => {
  it("reads memberships from the groups expansion and org admin from platformRoles", () => {
    const row = toV2User({
      accountId: "a1",
      platformRoles: ["atlassian/site-admin", "atlassian/org-admin"],
      groups: [{ id: "ari:cloud:identity::group/g1" }, { id: "g2" }, { id: "ari:cloud:identity::group/g1" }],
    });
    expect(row.orgAdmin).toBe(true);
    expect(toGroupMembers(row)).toEqual([
      { groupId: "g1", accountId: "a1" },
      { groupId: "g2", accountId: "a1" },
    ]);
    expect(toV2User({ accountId: "a2", platformRoles: ["atlassian/site-admin"] }).orgAdmin).toBe(false);
  });
});

describe("mergeAdminUser", () => {
  const v2 = toV2User({
    accountId: "a1",
    accountType: "atlassian",
    accountStatus: "active",
    status: "suspended",
    membershipStatus: "suspended",
    claimStatus: "managed",
    name: "Ann",
    email: "ann@acme.io",
    addedToOrg: "2024-01-01T00:00:00Z",
    productAccess: [{ id: JIRA_ARI, key: "jira", lastActiveTimestamp: "2025-01-02T00:00:00Z" }],
  });
  const v1 = toV1User({
    account_id: "a1",
    account_type: "atlassian",
    account_status: "active",
    name: "Ann V1",
    email: "ann@acme.io",
    access_billable: true,
    last_active: "2025-01-03T00:00:00Z",
    product_access: [{ key: "confluence", last_active: "2025-01-03T00:00:00Z" }],
  });

  it("takes billable and product access from v1, statuses from v2", () => {
    expect(mergeAdminUser(v2, v1, keys)).toEqual({
      accountId: "a1",
      accountType: "atlassian",
      accountStatus: "active",
      status: "suspended",
      membershipStatus: "suspended",
      displayName: "Ann",
      email: "ann@acme.io",
      claimStatus: "managed",
      billable: true,
      userType: "human",
      productAccess: [{ key: "confluence", lastActive: "2025-01-03T00:00:00Z" }],
      lastActive: "2025-01-03T00:00:00Z",
      addedToOrg: "2024-01-01T00:00:00Z",
    });
  });

  it("without v1, maps v2 product access to the workspace's product key and derives the last activity", () => {
    const u = mergeAdminUser(v2, undefined, keys);
    expect(u.billable).toBeNull();
    expect(u.productAccess).toEqual([{ key: "jira-software", lastActive: "2025-01-02T00:00:00Z" }]);
    expect(u.lastActive).toBe("2025-01-02T00:00:00Z");
    // An instance no workspace names keeps v2's own key.
    expect(mergeAdminUser(v2, undefined, new Map()).productAccess[0]?.key).toBe("jira");
  });

  it("without v2, keeps v1's view and leaves the v2-only fields null", () => {
    const app = toV1User({ account_id: "bot", account_type: "app", account_status: "active", name: "Bot" });
    expect(mergeAdminUser(undefined, app, keys)).toMatchObject({
      accountId: "bot",
      accountType: "app",
      userType: "service_account",
      status: null,
      membershipStatus: null,
      claimStatus: null,
      email: null,
      billable: null,
      productAccess: [],
      addedToOrg: null,
    });
  });

  it("states unknown for a type or status neither source gives, and labels a nameless user by id", () => {
    const u = mergeAdminUser(toV2User({ accountId: "a9" }), undefined, keys);
    expect(u).toMatchObject({ accountType: "unknown", accountStatus: "unknown", displayName: "a9", lastActive: null });
  });
});
