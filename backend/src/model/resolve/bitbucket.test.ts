import type { BitbucketSection } from "@accessmap/shared/snapshot/schema";
import { describe, expect, it } from "vitest";
import { buildModel } from "../build-model.js";
import {
  admin,
  adminUser,
  bbMember,
  bbProject,
  bbRepo,
  bitbucket,
  onResource,
  paths,
  products,
  snapshot,
  WS,
} from "../testing.js";

const BB = products("bitbucket");

/** `own` owns the workspace; `a`, `b` are members, `col` a collaborator, `gone` an inactive member; `out` is no member. */
function model(b: Partial<BitbucketSection>) {
  return buildModel(
    snapshot({
      admin: admin({
        users: [
          adminUser("own", { productAccess: BB }),
          adminUser("a", { productAccess: BB }),
          adminUser("b", { productAccess: BB }),
          adminUser("col", { productAccess: BB }),
          adminUser("gone", { accountStatus: "inactive", status: "deactivated", productAccess: BB }),
          adminUser("out"),
        ],
      }),
      bitbucket: bitbucket({
        members: [
          bbMember("own", "owner"),
          bbMember("a"),
          bbMember("b"),
          bbMember("col", "collaborator"),
          bbMember("gone"),
        ],
        groups: [{ slug: "devs", name: "Developers" }],
        groupMembers: [
          { groupSlug: "devs", accountId: "a" },
          { groupSlug: "devs", accountId: "b" },
        ],
        projects: [bbProject("PRJ")],
        repositories: [bbRepo("api", "PRJ")],
        ...b,
      }),
    }),
  );
}

const user = (projectKey: string, principalId: string, permission: string) => ({
  projectKey,
  principalType: "user" as const,
  principalId,
  permission,
});
const group = (projectKey: string, principalId: string, permission: string) => ({
  projectKey,
  principalType: "group" as const,
  principalId,
  permission,
});
const repoGrant = (
  principalType: "user" | "group",
  principalId: string,
  permission: string,
  source: "explicit" | "effective" = "explicit",
) => ({ repoSlug: "api", principalType, principalId, permission, source });

describe("Bitbucket workspace", () => {
  it("members carry owner, collaborator or member on the workspace; inactive members are dormant", () => {
    const m = model({});
    expect(onResource(m, "bitbucket_workspace", WS).filter((r) => !r.endsWith(":bitbucket"))).toEqual([
      "a:member",
      "b:member",
      "col:collaborator",
      "own:owner",
    ]);
    expect(onResource(m, "bitbucket_workspace", WS, true)).toEqual(["gone:bitbucket", "gone:member"]);
  });

  it("owners are admin on every project and repository", () => {
    const m = model({});
    expect(onResource(m, "bitbucket_project", `${WS}/PRJ`)).toEqual(["own:admin"]);
    expect(onResource(m, "bitbucket_repo", `${WS}/api`)).toEqual(["own:admin"]);
    expect(paths(m.access, "own", "bitbucket_repo", `${WS}/api`, "admin")).toEqual(["workspace owner"]);
  });
});

describe("Bitbucket projects and repositories", () => {
  it("project level is the highest of user and group grants; only the highest is an entry, every path kept", () => {
    const m = model({
      projectPermissions: [user("PRJ", "a", "read"), group("PRJ", "devs", "write"), user("PRJ", "b", "create-repo")],
    });
    expect(onResource(m, "bitbucket_project", `${WS}/PRJ`)).toEqual(["a:write", "b:create-repo", "own:admin"]);
    expect(paths(m.access, "a", "bitbucket_project", `${WS}/PRJ`, "write")).toEqual([
      'project PRJ → group "Developers" (devs): write',
      "project PRJ → user: read",
    ]);
  });

  it("repositories inherit the project level, create-repo counting as write", () => {
    const m = model({ projectPermissions: [user("PRJ", "b", "create-repo"), user("PRJ", "a", "admin")] });
    expect(onResource(m, "bitbucket_repo", `${WS}/api`)).toEqual(["a:admin", "b:write", "own:admin"]);
    expect(paths(m.access, "b", "bitbucket_repo", `${WS}/api`, "write")).toEqual(["project PRJ → user: create-repo"]);
  });

  it("repository grants add to the inherited level: the highest wins, every path kept", () => {
    const m = model({
      projectPermissions: [group("PRJ", "devs", "write")],
      repositoryPermissions: [repoGrant("user", "a", "admin"), repoGrant("group", "devs", "read")],
    });
    expect(onResource(m, "bitbucket_repo", `${WS}/api`)).toEqual(["a:admin", "b:write", "own:admin"]);
    expect(paths(m.access, "a", "bitbucket_repo", `${WS}/api`, "admin")).toEqual([
      'project PRJ → group "Developers" (devs): write',
      'repository → group "Developers" (devs): read',
      "repository → user: admin",
    ]);
  });

  it("an owner reaching a repository three ways: one admin entry with three paths", () => {
    const m = model({
      groupMembers: [{ groupSlug: "devs", accountId: "own" }],
      projectPermissions: [group("PRJ", "devs", "write")],
      repositoryPermissions: [repoGrant("user", "own", "read")],
    });
    expect(paths(m.access, "own", "bitbucket_repo", `${WS}/api`, "admin")).toEqual([
      'project PRJ → group "Developers" (devs): write',
      "repository → user: read",
      "workspace owner",
    ]);
    expect(onResource(m, "bitbucket_repo", `${WS}/api`).filter((r) => r.startsWith("own:"))).toEqual(["own:admin"]);
  });

  it("grants to non-members and to inactive members are dormant", () => {
    const m = model({ projectPermissions: [user("PRJ", "out", "write"), user("PRJ", "gone", "read")] });
    expect(onResource(m, "bitbucket_project", `${WS}/PRJ`, true)).toEqual(["gone:read", "out:write"]);
    expect(onResource(m, "bitbucket_project", `${WS}/PRJ`)).toEqual(["own:admin"]);
  });

  it("fallback mode: each user's effective level, its source not visible", () => {
    const m = model({
      permissionMode: "fallback",
      repositoryPermissions: [
        repoGrant("user", "a", "write", "effective"),
        repoGrant("user", "own", "admin", "effective"),
      ],
    });
    expect(onResource(m, "bitbucket_repo", `${WS}/api`)).toEqual(["a:write", "own:admin"]);
    expect(paths(m.access, "a", "bitbucket_repo", `${WS}/api`, "write")).toEqual([
      "effective (source not visible without admin rights)",
    ]);
    expect(paths(m.access, "own", "bitbucket_repo", `${WS}/api`, "admin")).toEqual([
      "effective (source not visible without admin rights)",
      "workspace owner",
    ]);
    expect(m.notes.join("\n")).toMatch(/lacks admin rights/);
  });

  it("public repositories add anonymous read", () => {
    const m = model({ repositories: [bbRepo("api", "PRJ", { is_private: false }), bbRepo("priv", "PRJ")] });
    expect(onResource(m, "bitbucket_repo", `${WS}/api`)).toEqual(["anonymous:read", "own:admin"]);
    expect(onResource(m, "bitbucket_repo", `${WS}/priv`)).toEqual(["own:admin"]);
    expect(paths(m.access, "anonymous", "bitbucket_repo", `${WS}/api`, "read")).toEqual(["public repository"]);
  });

  it("unknown levels and groups are named in the notes", () => {
    const m = model({ projectPermissions: [user("PRJ", "a", "superuser"), group("PRJ", "ghosts", "read")] });
    expect(m.notes.join("\n")).toMatch(/superuser/);
    expect(m.notes.join("\n")).toMatch(/ghosts/);
  });
});
