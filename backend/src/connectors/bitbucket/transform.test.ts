import { MissingIdentityError } from "@accessmap/shared/transport/errors";
import { describe, expect, it } from "vitest";
import type { BbEffectivePermission, BbMembership, BbRepository } from "./schemas.js";
import {
  toEffectivePermission,
  toGroup,
  toGroupMembers,
  toMember,
  toProject,
  toProjectGroupGrant,
  toRepository,
  toRepoUserGrant,
  toWorkspace,
} from "./transform.js";

const user = { account_id: "557058:aa", uuid: "{u-1}", display_name: "Ada", nickname: "ada" };

describe("Bitbucket transforms", () => {
  it("a member is keyed by account_id and keeps uuid, nickname and level", () => {
    expect(toMember({ permission: "owner", user })).toEqual({
      accountId: "557058:aa",
      uuid: "{u-1}",
      nickname: "ada",
      displayName: "Ada",
      permission: "owner",
    });
  });

  it("a member without account_id or uuid fails the read", () => {
    const noId = { permission: "member", user: { ...user, account_id: undefined } } as unknown as BbMembership;
    expect(() => toMember(noId)).toThrow(MissingIdentityError);
    const noUuid = { permission: "member", user: { ...user, uuid: "" } } as BbMembership;
    expect(() => toMember(noUuid)).toThrow(MissingIdentityError);
  });

  it("a missing display name falls back to the nickname, then the account id; empty strings become null", () => {
    const m = toMember({
      permission: "member",
      user: { account_id: "x", uuid: "{x}", display_name: "", nickname: "" },
    });
    expect(m.displayName).toBe("x");
    expect(m.nickname).toBeNull();
  });

  it("the workspace name falls back to its slug", () => {
    expect(toWorkspace({ uuid: "{w}", slug: "acme" })).toEqual({ uuid: "{w}", slug: "acme", name: "acme" });
  });

  it("a 1.0 group gives a group row and one membership row per member", () => {
    const g = { slug: "devs", name: "Developers", members: [{ account_id: "a" }, { account_id: "b" }] };
    expect(toGroup(g)).toEqual({ slug: "devs", name: "Developers" });
    expect(toGroupMembers(g)).toEqual([
      { groupSlug: "devs", accountId: "a" },
      { groupSlug: "devs", accountId: "b" },
    ]);
    expect(toGroupMembers({ slug: "empty", members: null })).toEqual([]);
    expect(() => toGroupMembers({ slug: "g", members: [{ account_id: "" }] })).toThrow(MissingIdentityError);
  });

  it("a project: empty description is null; has_publicly_visible_repos falls back to the listed repositories", () => {
    const p = { uuid: "{p}", key: "CORE", name: "Core", description: "", is_private: true };
    expect(toProject(p, true)).toEqual({
      uuid: "{p}",
      key: "CORE",
      name: "Core",
      description: null,
      is_private: true,
      has_publicly_visible_repos: true,
    });
    expect(toProject({ ...p, has_publicly_visible_repos: false }, true).has_publicly_visible_repos).toBe(false);
  });

  it("a repository without project, fork policy or main branch keeps nulls", () => {
    const r: BbRepository = { uuid: "{r}", slug: "empty", name: "Empty", is_private: true, mainbranch: null };
    expect(toRepository(r)).toEqual({
      uuid: "{r}",
      slug: "empty",
      name: "Empty",
      is_private: true,
      project_key: null,
      fork_policy: null,
      mainbranch: null,
    });
    expect(
      toRepository({ ...r, project: { key: "CORE" }, fork_policy: "no_forks", mainbranch: { name: "main" } }),
    ).toMatchObject({ project_key: "CORE", fork_policy: "no_forks", mainbranch: "main" });
  });

  it("explicit grants name users by account id and groups by slug", () => {
    expect(toRepoUserGrant("api", { permission: "write", user: { account_id: "a" } })).toEqual({
      repoSlug: "api",
      principalType: "user",
      principalId: "a",
      permission: "write",
      source: "explicit",
    });
    expect(toProjectGroupGrant("CORE", { permission: "create-repo", group: { slug: "devs" } })).toEqual({
      projectKey: "CORE",
      principalType: "group",
      principalId: "devs",
      permission: "create-repo",
    });
  });

  it("an effective permission finds its repository by uuid (any case), else by full_name, else fails", () => {
    const slugs = new Map([["{abc}", "api"]]);
    const row = (repository: BbEffectivePermission["repository"]): BbEffectivePermission => ({
      permission: "read",
      user: { account_id: "a" },
      repository,
    });
    expect(toEffectivePermission(row({ uuid: "{ABC}", full_name: "acme/other" }), slugs)).toEqual({
      repoSlug: "api",
      principalType: "user",
      principalId: "a",
      permission: "read",
      source: "effective",
    });
    expect(toEffectivePermission(row({ uuid: "{zzz}", full_name: "acme/web" }), slugs).repoSlug).toBe("web");
    expect(() => toEffectivePermission(row({ name: "web" }), slugs)).toThrow(MissingIdentityError);
  });
});
