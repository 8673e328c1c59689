import type { ProgressEvent } from "@accessmap/shared/readers/reader";
import { BitbucketSection } from "@accessmap/shared/snapshot/schema";
import {
  MissingIdentityError,
  NotFoundError,
  SchemaMismatchError,
  ServerError,
} from "@accessmap/shared/transport/errors";
import { reply, scriptedSend, testTransport, VirtualClock } from "@accessmap/shared/transport/test-kit";
import type { RawRequest, RawResponse } from "@accessmap/shared/transport/transport";
import { describe, expect, it } from "vitest";
import {
  bitbucketCallBreakdown,
  FALLBACK_REASON,
  minimumBitbucketCalls,
  NO_PERMISSIONS_REASON,
  readBitbucket,
} from "./read-bitbucket.js";

const API = "https://api.bitbucket.org";

/** A small fake of the Bitbucket API: paths → items (paged like Bitbucket: pagelen ≤ 100, absolute `next`). */
interface Fake {
  members: unknown[];
  groups: unknown[];
  projects: Array<{ key: string; users: unknown[]; groups: unknown[] }>;
  repos: Array<{
    slug: string;
    project: string;
    main: string | null;
    users: unknown[];
    groups: unknown[];
    restrictions: unknown[];
  }>;
  effective: unknown[];
  /** Path fragments answered with this status. */
  refuse?: Array<[RegExp, number]>;
}

const u = (n: number) => ({
  account_id: `acc-${n}`,
  uuid: `{u-${n}}`,
  display_name: `User ${n}`,
  nickname: `user${n}`,
});
const userGrant = (n: number, permission: string) => ({ permission, user: u(n) });
const groupGrant = (slug: string, permission: string) => ({ permission, group: { slug, name: slug } });

function fakeFake(overrides: Partial<Fake> = {}): Fake {
  return {
    members: Array.from({ length: 130 }, (_, i) => ({ permission: i === 0 ? "owner" : "member", user: u(i) })),
    groups: [
      { slug: "devs", name: "Developers", permission: "write", members: [u(1), u(2)] },
      { slug: "admins", name: "Admins", permission: null, members: [] },
    ],
    projects: [
      { key: "CORE", users: [userGrant(3, "admin")], groups: [groupGrant("devs", "write")] },
      { key: "WEB", users: [], groups: [] },
    ],
    repos: [
      {
        slug: "api",
        project: "CORE",
        main: "main",
        users: [userGrant(4, "write")],
        groups: [groupGrant("admins", "admin")],
        restrictions: [
          { id: 1, kind: "push", branch_match_kind: "glob", pattern: "main", users: [], groups: [] },
          {
            id: 2,
            kind: "require_approvals_to_merge",
            branch_match_kind: "branching_model",
            branch_type: "production",
            value: 2,
          },
        ],
      },
      { slug: "web", project: "WEB", main: "master", users: [], groups: [], restrictions: [] },
      { slug: "empty", project: "WEB", main: null, users: [], groups: [], restrictions: [] },
    ],
    effective: [
      { permission: "admin", user: { account_id: "acc-0" }, repository: { uuid: "{R-API}", full_name: "acme/api" } },
      { permission: "write", user: { account_id: "acc-4" }, repository: { uuid: "{r-api}", full_name: "acme/api" } },
      { permission: "read", user: { account_id: "acc-1" }, repository: { uuid: "{r-web}", full_name: "acme/web" } },
    ],
    ...overrides,
  };
}

function paged(req: RawRequest, items: readonly unknown[]): RawResponse {
  const url = new URL(req.url);
  const pagelen = Math.min(100, Math.max(10, Number(url.searchParams.get("pagelen") ?? 10)));
  const page = Number(url.searchParams.get("page") ?? 1);
  const values = items.slice((page - 1) * pagelen, page * pagelen);
  const body: Record<string, unknown> = { pagelen, page, size: items.length, values };
  if (page * pagelen < items.length) {
    url.searchParams.set("page", String(page + 1));
    body.next = url.toString();
  }
  return reply(200, body);
}

function serve(fake: Fake) {
  return scriptedSend([
    (req) => {
      const path = new URL(req.url).pathname;
      for (const [pattern, status] of fake.refuse ?? []) {
        if (pattern.test(path)) return reply(status, { type: "error", error: { message: `refused ${status}` } });
      }
      let m: RegExpExecArray | null;
      if (path === "/2.0/workspaces/acme") return reply(200, { uuid: "{w}", slug: "acme", name: "Acme" });
      if (path === "/2.0/workspaces/acme/permissions") return paged(req, fake.members);
      if (path === "/1.0/groups/acme") return reply(200, fake.groups);
      if (path === "/2.0/workspaces/acme/projects") {
        return paged(
          req,
          fake.projects.map((p) => ({ uuid: `{p-${p.key}}`, key: p.key, name: p.key, is_private: true })),
        );
      }
      if (path === "/2.0/repositories/acme") {
        return paged(
          req,
          fake.repos.map((r) => ({
            uuid: `{r-${r.slug}}`,
            slug: r.slug,
            name: r.slug,
            is_private: r.slug !== "web",
            fork_policy: "no_forks",
            project: { key: r.project },
            ...(r.main ? { mainbranch: { name: r.main } } : {}),
          })),
        );
      }
      if (path === "/2.0/workspaces/acme/permissions/repositories") return paged(req, fake.effective);
      m = /^\/2\.0\/workspaces\/acme\/projects\/([^/]+)\/permissions-config\/(users|groups)$/.exec(path);
      if (m) {
        const p = fake.projects.find((x) => x.key === m?.[1]);
        if (!p) return reply(404, { type: "error", error: { message: "no project" } });
        return paged(req, m[2] === "users" ? p.users : p.groups);
      }
      m =
        /^\/2\.0\/repositories\/acme\/([^/]+)\/(permissions-config\/users|permissions-config\/groups|branch-restrictions)$/.exec(
          path,
        );
      if (m) {
        const r = fake.repos.find((x) => x.slug === m?.[1]);
        if (!r) return reply(404, { type: "error", error: { message: "no repo" } });
        const items = m[2] === "branch-restrictions" ? r.restrictions : m[2]?.endsWith("users") ? r.users : r.groups;
        return paged(req, items);
      }
      return reply(404, { type: "error", error: { message: `unknown ${path}` } });
    },
  ]);
}

function setup(fake: Fake, schemaMode: "throw" | "warn" = "throw") {
  const send = serve(fake);
  const { transport } = testTransport(send, new VirtualClock(), {
    product: "bitbucket",
    baseUrl: API,
    schemaMode,
    retry: { maxRetries: 0 },
  });
  const paths = () => send.requests.map((r) => new URL(r.url).pathname);
  const count = (re: RegExp) => paths().filter((p) => re.test(p)).length;
  return { send, transport, paths, count };
}

const PC = /permissions-config/;
const BR = /branch-restrictions$/;

describe("readBitbucket — admin mode", () => {
  it("reads everything at pagelen 100 and derives main-branch protection", async () => {
    const fake = fakeFake();
    const { transport, send, count } = setup(fake);
    const events: ProgressEvent[] = [];
    const r = await readBitbucket(
      { transport, progress: (e) => events.push(e) },
      { workspace: "acme", skipBranchProtection: false },
    );

    expect(BitbucketSection.parse(r.section)).toBeTruthy();
    expect(r.reasons).toEqual([]);
    expect(r.section.permissionMode).toBe("admin");
    expect(r.section.workspace).toEqual({ uuid: "{w}", slug: "acme", name: "Acme" });
    expect(r.section.members).toHaveLength(130);
    expect(r.section.members[0]).toMatchObject({ accountId: "acc-0", uuid: "{u-0}", permission: "owner" });
    expect(r.section.groups).toEqual([
      { slug: "devs", name: "Developers" },
      { slug: "admins", name: "Admins" },
    ]);
    expect(r.section.groupMembers).toEqual([
      { groupSlug: "devs", accountId: "acc-1" },
      { groupSlug: "devs", accountId: "acc-2" },
    ]);
    expect(r.section.projects.map((p) => [p.key, p.has_publicly_visible_repos])).toEqual([
      ["CORE", false],
      ["WEB", true],
    ]);
    expect(r.section.repositories.map((x) => [x.slug, x.project_key, x.mainbranch])).toEqual([
      ["api", "CORE", "main"],
      ["web", "WEB", "master"],
      ["empty", "WEB", null],
    ]);
    expect(r.section.projectPermissions).toEqual([
      { projectKey: "CORE", principalType: "user", principalId: "acc-3", permission: "admin" },
      { projectKey: "CORE", principalType: "group", principalId: "devs", permission: "write" },
    ]);
    expect(r.section.repositoryPermissions).toEqual([
      { repoSlug: "api", principalType: "user", principalId: "acc-4", permission: "write", source: "explicit" },
      { repoSlug: "api", principalType: "group", principalId: "admins", permission: "admin", source: "explicit" },
    ]);
    expect(r.section.branchProtection).toEqual([
      expect.objectContaining({
        repoSlug: "api",
        branch: "main",
        default_branch_protected: true,
        approvalsRequired: 2,
      }),
      expect.objectContaining({ repoSlug: "web", branch: "master", default_branch_protected: false }),
    ]);
    expect(r.counts).toEqual({
      members: 130,
      groups: 2,
      groupMembers: 2,
      projects: 2,
      repositories: 3,
      projectPermissions: 2,
      repositoryPermissions: 2,
      branchProtection: 2,
    });

    // Every 2.0 listing asks for pagelen=100; `next` links are followed as given.
    for (const req of send.requests) {
      const url = new URL(req.url);
      if (url.pathname.startsWith("/2.0/") && url.pathname !== "/2.0/workspaces/acme")
        expect(url.searchParams.get("pagelen")).toBe("100");
    }
    expect(count(/\/2\.0\/workspaces\/acme\/permissions$/)).toBe(2);
    expect(count(/\/members$/)).toBe(0);
    expect(count(/permissions\/repositories$/)).toBe(0);
    // The empty repository has no main branch: no branch-restrictions call for it.
    expect(count(BR)).toBe(2);
    expect(send.requests.every((q) => q.method === "GET")).toBe(true);
    expect(new Set(events.map((e) => e.phase))).toEqual(
      new Set([
        "workspace",
        "members",
        "groups",
        "projects",
        "repositories",
        "repository permissions",
        "project permissions",
        "branch restrictions",
      ]),
    );

    // The call count is the benchmark's lower bound exactly (token request excluded here).
    const shape = {
      members: 130,
      projects: fake.projects.map((p) => ({ users: p.users.length, groups: p.groups.length })),
      repositories: fake.repos.map((x) => ({
        users: x.users.length,
        groups: x.groups.length,
        branchRestrictions: x.restrictions.length,
        hasMainBranch: x.main !== null,
      })),
      effectivePermissions: fake.effective.length,
    };
    expect(send.requests.length).toBe(minimumBitbucketCalls(shape, { mode: "admin" }) - 1);
  });

  it("skipBranchProtection sends no branch-restrictions call", async () => {
    const { transport, count } = setup(fakeFake());
    const r = await readBitbucket({ transport }, { workspace: "acme", skipBranchProtection: true });
    expect(count(BR)).toBe(0);
    expect(r.section.branchProtection).toEqual([]);
    expect(r.reasons).toEqual([]);
  });

  it("a repository deleted during the run (404) is named and left out; the rest is read", async () => {
    const fake = fakeFake();
    const { transport } = setup({ ...fake, refuse: [[/\/repositories\/acme\/web\/permissions-config/, 404]] });
    const r = await readBitbucket({ transport }, { workspace: "acme", skipBranchProtection: true });
    expect(r.section.permissionMode).toBe("admin");
    expect(r.reasons).toEqual([expect.stringMatching(/^repository permissions of web: Bitbucket answered 404/)]);
    expect(r.section.repositoryPermissions).toHaveLength(2);
  });

  it("a 404 on the probe moves the probe to the next repository", async () => {
    const fake = fakeFake();
    const { transport, count } = setup({ ...fake, refuse: [[/\/repositories\/acme\/api\/permissions-config/, 404]] });
    const r = await readBitbucket({ transport }, { workspace: "acme", skipBranchProtection: true });
    expect(r.section.permissionMode).toBe("admin");
    expect(r.reasons.join()).toMatch(/repository permissions of api: Bitbucket answered 404/);
    expect(count(/\/repositories\/acme\/(web|empty)\/permissions-config\/users$/)).toBe(2);
  });

  it("project permissions refused (no project:admin): one call, one reason, repositories still read", async () => {
    const { transport, count } = setup({ ...fakeFake(), refuse: [[/\/projects\/[^/]+\/permissions-config/, 403]] });
    const r = await readBitbucket({ transport }, { workspace: "acme", skipBranchProtection: true });
    expect(r.section.permissionMode).toBe("admin");
    expect(count(/\/projects\/[^/]+\/permissions-config/)).toBe(1);
    expect(r.reasons).toEqual([expect.stringMatching(/^project permissions: .*project:admin/)]);
    expect(r.section.projectPermissions).toEqual([]);
    expect(r.section.repositoryPermissions).toHaveLength(2);
  });
});

describe("readBitbucket — fallback mode", () => {
  it("one 403 probe on permissions-config switches to the workspace's effective permissions", async () => {
    const fake = fakeFake();
    const { transport, count } = setup({ ...fake, refuse: [[PC, 403]] });
    const r = await readBitbucket({ transport }, { workspace: "acme", skipBranchProtection: true });
    expect(count(PC)).toBe(1);
    expect(count(/permissions\/repositories$/)).toBe(1);
    expect(r.section.permissionMode).toBe("fallback");
    expect(r.section.projectPermissions).toEqual([]);
    expect(r.section.repositoryPermissions).toEqual([
      { repoSlug: "api", principalType: "user", principalId: "acc-0", permission: "admin", source: "effective" },
      { repoSlug: "api", principalType: "user", principalId: "acc-4", permission: "write", source: "effective" },
      { repoSlug: "web", principalType: "user", principalId: "acc-1", permission: "read", source: "effective" },
    ]);
    expect(r.section.repositoryPermissions.every((p) => p.principalType === "user")).toBe(true);
    expect(r.reasons).toEqual([FALLBACK_REASON]);
    expect(FALLBACK_REASON).toContain(
      "the OAuth consumer's owner lacks Repositories: Admin / workspace admin, so per-repository permissions come " +
        "from the workspace's effective-permission listing: group grants and project inheritance are not visible",
    );
  });

  it("when the fallback is refused too, repository permissions are missing with their reason", async () => {
    const { transport } = setup({
      ...fakeFake(),
      refuse: [
        [PC, 403],
        [/permissions\/repositories$/, 403],
      ],
    });
    const r = await readBitbucket({ transport }, { workspace: "acme", skipBranchProtection: true });
    expect(r.section.permissionMode).toBe("fallback");
    expect(r.section.repositoryPermissions).toEqual([]);
    expect(r.reasons).toEqual([NO_PERMISSIONS_REASON]);
  });

  it("branch restrictions refused: one call, a reason naming repository:admin", async () => {
    const { transport, count } = setup({ ...fakeFake(), refuse: [[BR, 403]] });
    const r = await readBitbucket({ transport }, { workspace: "acme", skipBranchProtection: false });
    expect(count(BR)).toBe(1);
    expect(r.section.branchProtection).toEqual([]);
    expect(r.reasons).toEqual([expect.stringMatching(/^branch protection: .*repository:admin/)]);
  });

  it("groups refused (not a workspace admin): partial, members still read", async () => {
    const { transport } = setup({ ...fakeFake(), refuse: [[/^\/1\.0\/groups/, 403]] });
    const r = await readBitbucket({ transport }, { workspace: "acme", skipBranchProtection: true });
    expect(r.section.groups).toEqual([]);
    expect(r.section.members).toHaveLength(130);
    expect(r.reasons).toEqual([expect.stringMatching(/^groups: .*workspace admins/)]);
  });
});

describe("readBitbucket — failures", () => {
  it("an unknown workspace fails the read", async () => {
    const { transport } = setup(fakeFake());
    await expect(
      readBitbucket({ transport }, { workspace: "nope", skipBranchProtection: true }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it("a member without account_id fails the read (schema in tests, requireId in production)", async () => {
    const members = [{ permission: "member", user: { uuid: "{u}", display_name: "No Id" } }];
    await expect(
      readBitbucket(
        { transport: setup(fakeFake({ members })).transport },
        { workspace: "acme", skipBranchProtection: true },
      ),
    ).rejects.toBeInstanceOf(SchemaMismatchError);
    await expect(
      readBitbucket(
        { transport: setup(fakeFake({ members }), "warn").transport },
        { workspace: "acme", skipBranchProtection: true },
      ),
    ).rejects.toBeInstanceOf(MissingIdentityError);
  });

  it("a server error on a fan-out call fails the read", async () => {
    const { transport } = setup({ ...fakeFake(), refuse: [[/\/repositories\/acme\/web\/branch-restrictions$/, 500]] });
    await expect(
      readBitbucket({ transport }, { workspace: "acme", skipBranchProtection: false }),
    ).rejects.toBeInstanceOf(ServerError);
  });
});

describe("minimumBitbucketCalls", () => {
  const shape = {
    members: 250,
    projects: [
      { users: 0, groups: 0 },
      { users: 101, groups: 3 },
    ],
    repositories: [
      { users: 1, groups: 1, branchRestrictions: 0 },
      { users: 0, groups: 0, branchRestrictions: 120 },
      { users: 0, groups: 0, branchRestrictions: 0, hasMainBranch: false },
    ],
    effectivePermissions: 201,
  };

  it("admin mode: token, workspace, pages of every listing, both permissions-config listings per item", () => {
    expect(bitbucketCallBreakdown(shape, { mode: "admin" })).toEqual({
      "POST /site/oauth2/access_token": 1,
      "GET /2.0/workspaces/{workspace}": 1,
      "GET /2.0/workspaces/{workspace}/permissions": 3,
      "GET /1.0/groups/{workspace}": 1,
      "GET /2.0/workspaces/{workspace}/projects": 1,
      "GET /2.0/repositories/{workspace}": 1,
      "GET /2.0/workspaces/{workspace}/projects/{project_key}/permissions-config/users": 3,
      "GET /2.0/workspaces/{workspace}/projects/{project_key}/permissions-config/groups": 2,
      "GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config/users": 3,
      "GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config/groups": 3,
      "GET /2.0/repositories/{workspace}/{repo_slug}/branch-restrictions": 3,
    });
    expect(minimumBitbucketCalls(shape, { mode: "admin" })).toBe(22);
    expect(minimumBitbucketCalls(shape, { mode: "admin", skipBranchProtection: true })).toBe(19);
  });

  it("fallback mode: one refused probe, the effective listing, one refused branch-restrictions probe", () => {
    expect(bitbucketCallBreakdown(shape, { mode: "fallback" })).toEqual({
      "POST /site/oauth2/access_token": 1,
      "GET /2.0/workspaces/{workspace}": 1,
      "GET /2.0/workspaces/{workspace}/permissions": 3,
      "GET /1.0/groups/{workspace}": 1,
      "GET /2.0/workspaces/{workspace}/projects": 1,
      "GET /2.0/repositories/{workspace}": 1,
      "GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config/users": 1,
      "GET /2.0/workspaces/{workspace}/permissions/repositories": 3,
      "GET /2.0/repositories/{workspace}/{repo_slug}/branch-restrictions": 1,
    });
    expect(minimumBitbucketCalls(shape, { mode: "fallback" })).toBe(13);
    expect(minimumBitbucketCalls(shape, { mode: "fallback", effectiveReadable: false })).toBe(11);
    expect(minimumBitbucketCalls(shape, { mode: "fallback", branchRestrictionsReadable: true })).toBe(15);
  });

  it("an empty workspace still costs one call per listing", () => {
    const empty = { members: 0, projects: [], repositories: [], effectivePermissions: 0 };
    expect(minimumBitbucketCalls(empty, { mode: "admin" })).toBe(6);
    expect(minimumBitbucketCalls(empty, { mode: "fallback" })).toBe(6);
  });
});
