import { describe, expect, it } from "vitest";
import { canonicalPermission } from "./canonical.js";

describe("canonicalPermission", () => {
  it("maps Jira permission keys", () => {
    expect(canonicalPermission("jira", "BROWSE_PROJECTS")).toBe("data_read");
    expect(canonicalPermission("jira", "CREATE_ISSUES")).toBe("data_create");
    expect(canonicalPermission("jira", "EDIT_ISSUES")).toBe("data_write");
    expect(canonicalPermission("jira", "DELETE_ISSUES")).toBe("data_delete");
    expect(canonicalPermission("jira", "ADMINISTER_PROJECTS")).toBe("admin");
    expect(canonicalPermission("jira", "SYSTEM_ADMIN")).toBe("admin");
    expect(canonicalPermission("jira", "ASSIGNABLE_USER")).toBe("metadata");
  });

  it("maps Confluence operations by their operation part", () => {
    expect(canonicalPermission("confluence", "read:space")).toBe("data_read");
    expect(canonicalPermission("confluence", "export:space")).toBe("data_read");
    expect(canonicalPermission("confluence", "create:page")).toBe("data_create");
    expect(canonicalPermission("confluence", "archive:page")).toBe("data_write");
    expect(canonicalPermission("confluence", "delete:attachment")).toBe("data_delete");
    expect(canonicalPermission("confluence", "administer:space")).toBe("admin");
    expect(canonicalPermission("confluence", "restrict_content:space")).toBe("admin");
  });

  it("maps Bitbucket levels and workspace roles, and Admin roles and product keys", () => {
    expect(
      ["read", "write", "create-repo", "admin", "owner", "member"].map((p) => canonicalPermission("bitbucket", p)),
    ).toEqual(["data_read", "data_write", "data_create", "admin", "admin", "metadata"]);
    expect(canonicalPermission("admin", "org-admin")).toBe("admin");
    expect(canonicalPermission("admin", "jira-software")).toBe("metadata");
  });

  it("maps anything unknown to metadata, never to data access", () => {
    expect(canonicalPermission("jira", "SOME_NEW_PERMISSION")).toBe("metadata");
    expect(canonicalPermission("confluence", "frobnicate:space")).toBe("metadata");
    expect(canonicalPermission("bitbucket", "superuser")).toBe("metadata");
  });
});
