/**
 * Behaviour of the simulated Bitbucket Cloud API (2.0 and the 1.0 groups API): authentication failures, paging with
 * clamping, BBQL filters, the member consumer's limited privileges, explicit and effective permissions (checked by
 * hand and against the tenant's ground truth), branch restrictions, the endpoints removed in 2026, and writes
 * reflected across APIs.
 */
import { describe, expect, it } from "vitest";
import { computeGroundTruth } from "../tenant/ground-truth.js";
import type { BitbucketRepo } from "../tenant/model.js";
import { makeTestSim, ORIGIN, type TestSim } from "../testing.js";
import { workspaceAccess } from "./bitbucket/effective.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Json = Record<string, any>;
type Page = Json & { values: Json[] };
const enc = encodeURIComponent;
const PREFIX = "/bitbucket-api";

async function json(res: Response, status = 200): Promise<Json> {
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBe(status);
  return JSON.parse(text);
}

/** Follows `next` links from a first page; returns every value and the pages seen. */
async function walk(t: TestSim, path: string, member = false) {
  const values: Json[] = [];
  const pages: Page[] = [];
  let next: string | undefined = path;
  while (next) {
    const page = (await json(await t.bitbucket(next, { member }))) as Page;
    pages.push(page);
    values.push(...page.values);
    const url: string | undefined = page.next as string | undefined;
    if (url) expect(url.startsWith(`${ORIGIN}${PREFIX}/2.0/`)).toBe(true);
    next = url?.slice(`${ORIGIN}${PREFIX}`.length);
  }
  return { values, pages };
}

/** Effective rows of the ground truth for Bitbucket repositories, as `slug account permission` strings. */
function groundTruthRepoRows(t: TestSim): string[] {
  const ws = t.sim.state.tenant.bitbucket.workspace.slug;
  return computeGroundTruth(t.sim.state.tenant)
    .filter((r) => r.resourceType === "bitbucket_repo" && r.principal !== "anonymous")
    .map((r) => `${r.resourceId.slice(ws.length + 1)} ${r.principal} ${r.permission}`)
    .sort();
}

const wsOf = (t: TestSim) => t.sim.state.tenant.bitbucket.workspace;

describe("authentication", () => {
  const t = makeTestSim("S", 3);
  const ws = wsOf(t).slug;

  it("answers 401 with Bitbucket's error body without, or with an unknown, token", async () => {
    const none = await json(await t.fetch(`${PREFIX}/2.0/workspaces/${ws}`), 401);
    expect(none.type).toBe("error");
    expect(typeof none.error.message).toBe("string");
    const bad = await json(
      await t.fetch(`${PREFIX}/2.0/workspaces/${ws}`, { headers: { authorization: "Bearer not-a-token" } }),
      401,
    );
    expect(bad.error.detail).toContain("Token is invalid");
  });

  it("answers 401 'Access token expired.' once tokens expire", async () => {
    await json(await t.bitbucket(`/2.0/workspaces/${ws}`));
    const token = (await (await t.bitbucket("/2.0/user")).json()) as unknown;
    expect(token).toBeTruthy();
    t.sim.bitbucketTokens.expireAll();
    const creds = t.sim.state.tenant.credentials.bitbucketAdminConsumer;
    const issued = await (
      await t.fetch("/bitbucket/site/oauth2/access_token", {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from(`${creds.key}:${creds.secret}`).toString("base64")}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: "grant_type=client_credentials",
      })
    ).json();
    t.sim.bitbucketTokens.expireAll();
    const expired = await json(
      await t.fetch(`${PREFIX}/2.0/workspaces/${ws}`, {
        headers: { authorization: `Bearer ${(issued as { access_token: string }).access_token}` },
      }),
      401,
    );
    expect(expired.error.message).toBe("Access token expired.");
  });
});

describe("workspace, members and permission levels", () => {
  const t = makeTestSim("M", 5);
  const ws = wsOf(t);
  const access = workspaceAccess(t.sim.state);

  it("serves the workspace by slug and by {uuid}, and 404s an unknown one", async () => {
    const bySlug = await json(await t.bitbucket(`/2.0/workspaces/${ws.slug}`));
    const byUuid = await json(await t.bitbucket(`/2.0/workspaces/${enc(ws.uuid)}`));
    expect(bySlug).toEqual(byUuid);
    expect(bySlug).toMatchObject({ type: "workspace", uuid: ws.uuid, slug: ws.slug, is_private: ws.isPrivate });
    expect(bySlug.links.self.href).toBe(`${ORIGIN}${PREFIX}/2.0/workspaces/${ws.slug}`);
    const missing = await json(await t.bitbucket("/2.0/workspaces/nope"), 404);
    expect(missing).toEqual({ type: "error", error: { message: "No workspace with identifier 'nope'." } });
  });

  it("pages members at 100 (pagelen=500 is clamped) and visits every member exactly once", async () => {
    expect(access.members.length).toBeGreaterThan(250);
    const { values, pages } = await walk(t, `/2.0/workspaces/${ws.slug}/members?pagelen=500`);
    expect(pages[0]!.pagelen).toBe(100);
    expect(pages[0]!.size).toBe(access.members.length);
    expect(pages.length).toBe(Math.ceil(access.members.length / 100));
    const ids = values.map((v) => v.user.account_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(access.members.map((m) => m.accountId));
    for (const v of values) {
      expect(v.type).toBe("workspace_membership");
      expect(v.user).not.toHaveProperty("email");
      expect(v.workspace.slug).toBe(ws.slug);
      expect(v).not.toHaveProperty("permission");
    }
  });

  it("defaults to 10 per page and clamps a small pagelen up to 10", async () => {
    expect((await json(await t.bitbucket(`/2.0/workspaces/${ws.slug}/members`))).pagelen).toBe(10);
    const small = await json(await t.bitbucket(`/2.0/workspaces/${ws.slug}/members?pagelen=3`));
    expect(small.pagelen).toBe(10);
    expect(small.values).toHaveLength(10);
  });

  it("pages permission levels at 100 and filters them with BBQL", async () => {
    const { values, pages } = await walk(t, `/2.0/workspaces/${ws.slug}/permissions?pagelen=1000`);
    expect(pages[0]!.pagelen).toBe(100);
    expect(values.map((v) => `${v.user.account_id} ${v.permission}`)).toEqual(
      access.members.map((m) => `${m.accountId} ${m.permission}`),
    );
    const owners = await walk(t, `/2.0/workspaces/${ws.slug}/permissions?q=${enc('permission="owner"')}`);
    const expected = access.members.filter((m) => m.permission === "owner").map((m) => m.accountId);
    expect(expected.length).toBeGreaterThan(0);
    expect(owners.values.map((v) => v.user.account_id)).toEqual(expected);
    const notMembers = await walk(t, `/2.0/workspaces/${ws.slug}/permissions?q=${enc('permission>"member"')}`);
    expect(notMembers.values.every((v) => v.permission !== "member")).toBe(true);
    const bad = await json(await t.bitbucket(`/2.0/workspaces/${ws.slug}/permissions?q=${enc('bogus="x"')}`), 400);
    expect(bad.type).toBe("error");
  });

  it("finds one member by braced uuid and by account id, and 404s a non-member", async () => {
    const m = access.members[7]!;
    const a = t.sim.state.accountsById.get(m.accountId)!;
    const byUuid = await json(await t.bitbucket(`/2.0/workspaces/${ws.slug}/members/${enc(a.bitbucketUuid!)}`));
    const byId = await json(await t.bitbucket(`/2.0/workspaces/${ws.slug}/members/${enc(a.accountId)}`));
    expect(byUuid).toEqual(byId);
    expect(byUuid.user).toMatchObject({ type: "user", uuid: a.bitbucketUuid, account_id: a.accountId });
    const outsider = t.sim.state.tenant.accounts.find((x) => !access.memberById.has(x.accountId))!;
    await json(await t.bitbucket(`/2.0/workspaces/${ws.slug}/members/${enc(outsider.accountId)}`), 404);
  });
});

describe("the endpoints removed in 2026", () => {
  const t = makeTestSim("S", 3);
  it.each([
    "/2.0/workspaces",
    "/2.0/repositories",
    "/2.0/user/permissions/repositories",
    "/2.0/user/permissions/workspaces",
  ])("%s answers 410 Gone with the CHANGE-2770 body", async (path) => {
    const body = await json(await t.bitbucket(path), 410);
    expect(body.type).toBe("error");
    expect(body.error.message).toBe("CHANGE-2770 - Functionality has been deprecated");
    expect(body.data.announcement_url).toContain("CHANGE-2770");
  });
});

describe("projects and repositories", () => {
  const t = makeTestSim("M", 5);
  const bb = t.sim.state.tenant.bitbucket;
  const ws = bb.workspace.slug;
  const member = t.sim.state.tenant.credentials.bitbucketMemberConsumer.ownerAccountId;
  const access = workspaceAccess(t.sim.state);

  it("lists every repository to the admin consumer, with the repository fields", async () => {
    const { values, pages } = await walk(t, `/2.0/repositories/${ws}?pagelen=100`);
    expect(pages[0]!.pagelen).toBe(100);
    expect(values.map((v) => v.slug)).toEqual(bb.repos.map((r) => r.slug));
    const repo = bb.repos[0]!;
    const first = values[0]!;
    expect(first).toMatchObject({
      type: "repository",
      uuid: repo.uuid,
      full_name: `${ws}/${repo.slug}`,
      is_private: repo.isPrivate,
      fork_policy: repo.forkPolicy,
      mainbranch: { type: "branch", name: repo.mainbranch },
      project: { type: "project", key: repo.projectKey },
    });
  });

  it("lists to the member consumer only public repositories and those it has access to", async () => {
    const { values } = await walk(t, `/2.0/repositories/${ws}?pagelen=100`, true);
    const expected = bb.repos.filter((r) => !r.isPrivate || access.repoLevels.get(r.slug)?.has(member));
    expect(values.map((v) => v.slug)).toEqual(expected.map((r) => r.slug));
    expect(values.length).toBeLessThan(bb.repos.length);
    const hidden = bb.repos.find((r) => r.isPrivate && !access.repoLevels.get(r.slug)?.has(member))!;
    await json(await t.bitbucket(`/2.0/repositories/${ws}/${hidden.slug}`, { member: true }), 403);
    await json(await t.bitbucket(`/2.0/repositories/${ws}/${hidden.slug}`));
  });

  it("narrows by role to the caller's level", async () => {
    const rank = { read: 1, write: 2, admin: 3 } as const;
    for (const [role, min] of [
      ["member", 1],
      ["contributor", 2],
      ["admin", 3],
    ] as const) {
      const { values } = await walk(t, `/2.0/repositories/${ws}?role=${role}&pagelen=100`, true);
      const expected = bb.repos.filter((r) => {
        const level = access.repoLevels.get(r.slug)?.get(member);
        return level !== undefined && rank[level] >= min;
      });
      expect(
        values.map((v) => v.slug),
        role,
      ).toEqual(expected.map((r) => r.slug));
    }
    expect((await walk(t, `/2.0/repositories/${ws}?role=owner`, true)).values).toEqual([]);
    await json(await t.bitbucket(`/2.0/repositories/${ws}?role=boss`), 400);
  });

  it("filters and sorts repositories with BBQL", async () => {
    const key = bb.projects[1]!.key;
    const { values } = await walk(t, `/2.0/repositories/${ws}?q=${enc(`project.key="${key}"`)}&sort=-name`);
    const expected = bb.repos
      .filter((r) => r.projectKey === key)
      .map((r) => r.name)
      .sort()
      .reverse();
    expect(values.map((v) => v.name)).toEqual(expected);
    const priv = await walk(t, `/2.0/repositories/${ws}?q=${enc("is_private=false")}`);
    expect(priv.values.map((v) => v.slug)).toEqual(bb.repos.filter((r) => !r.isPrivate).map((r) => r.slug));
  });

  it("serves projects and hides private projects the member cannot see", async () => {
    const all = await walk(t, `/2.0/workspaces/${ws}/projects`);
    expect(all.values.map((p) => p.key)).toEqual(bb.projects.map((p) => p.key));
    const p = bb.projects[0]!;
    const one = await json(await t.bitbucket(`/2.0/workspaces/${ws}/projects/${p.key}`));
    expect(one).toMatchObject({ type: "project", key: p.key, uuid: p.uuid, is_private: p.isPrivate, name: p.name });
    expect(one.has_publicly_visible_repos).toBe(bb.repos.some((r) => r.projectKey === p.key && !r.isPrivate));
    await json(await t.bitbucket(`/2.0/workspaces/${ws}/projects/NOPE`), 404);
    const mine = await walk(t, `/2.0/workspaces/${ws}/projects`, true);
    expect(mine.values.length).toBeLessThanOrEqual(bb.projects.length);
    const hidden = bb.projects.find((x) => !mine.values.some((v) => v.key === x.key));
    if (hidden) await json(await t.bitbucket(`/2.0/workspaces/${ws}/projects/${hidden.key}`, { member: true }), 403);
  });
});

describe("branch restrictions", () => {
  const t = makeTestSim("S", 3);
  const bb = t.sim.state.tenant.bitbucket;
  const repo = bb.repos.find((r) => r.branchRestrictions.length >= 3)!;
  const base = `/2.0/repositories/${bb.workspace.slug}/${repo.slug}/branch-restrictions`;

  it("lists the repository's restrictions with their undeclared fields", async () => {
    const { values } = await walk(t, base);
    expect(values.map((v) => v.id)).toEqual(repo.branchRestrictions.map((b) => b.id));
    for (const [i, v] of values.entries()) {
      const b = repo.branchRestrictions[i]!;
      expect(v).toMatchObject({
        type: "branchrestriction",
        kind: b.kind,
        branch_match_kind: b.branchMatchKind,
        pattern: b.pattern,
        value: b.value,
      });
      expect(v.branch_type).toBe(b.branchType ?? undefined);
      expect(v.users.map((u: { account_id: string }) => u.account_id)).toEqual(b.users);
      expect(v.groups.map((g: { slug: string }) => g.slug)).toEqual(b.groups);
    }
  });

  it("filters by kind and pattern, and finds one by id", async () => {
    const b = repo.branchRestrictions[1]!;
    const byKind = await walk(t, `${base}?kind=${b.kind}`);
    expect(byKind.values.map((v) => v.id)).toEqual(
      repo.branchRestrictions.filter((x) => x.kind === b.kind).map((x) => x.id),
    );
    const byPattern = await walk(t, `${base}?pattern=${enc(b.pattern)}`);
    expect(byPattern.values.every((v) => v.pattern === b.pattern)).toBe(true);
    expect((await json(await t.bitbucket(`${base}/${b.id}`))).id).toBe(b.id);
    await json(await t.bitbucket(`${base}/987654`), 404);
  });

  it("needs repository:admin: the member consumer gets 403", async () => {
    const body = await json(await t.bitbucket(base, { member: true }), 403);
    expect(body.error.message).toBe("Your credentials lack one or more required privilege scopes.");
    await json(await t.bitbucket(`${base}/${repo.branchRestrictions[0]!.id}`, { member: true }), 403);
  });
});

describe("explicit permissions (permissions-config)", () => {
  const t = makeTestSim("S", 3);
  const bb = t.sim.state.tenant.bitbucket;
  const ws = bb.workspace.slug;
  const project = bb.projects.find((p) => p.users.length > 0 && p.groups.length > 0)!;
  const repo = bb.repos.find((r) => r.users.length > 0 && r.groups.length > 0)!;
  const projectBase = `/2.0/workspaces/${ws}/projects/${project.key}/permissions-config`;
  const repoBase = `/2.0/repositories/${ws}/${repo.slug}/permissions-config`;

  it("lists only the explicit user and group grants", async () => {
    const users = await walk(t, `${projectBase}/users`);
    expect(users.values.map((v) => `${v.user.account_id} ${v.permission}`)).toEqual(
      project.users.map((g) => `${g.accountId} ${g.permission}`),
    );
    expect(users.values[0]!.type).toBe("project_user_permission");
    const groups = await walk(t, `${repoBase}/groups`);
    expect(groups.values.map((v) => `${v.group.slug} ${v.permission}`)).toEqual(
      repo.groups.map((g) => `${g.slug} ${g.permission}`),
    );
    expect(groups.values[0]).toMatchObject({ type: "repository_group_permission", repository: { uuid: repo.uuid } });
  });

  it("answers 403 to the member consumer on every permissions-config read", async () => {
    const g = repo.groups[0]!.slug;
    const u = enc(repo.users[0]!.accountId);
    for (const path of [
      `${projectBase}/users`,
      `${projectBase}/groups`,
      `${projectBase}/groups/${project.groups[0]!.slug}`,
      `${repoBase}/users`,
      `${repoBase}/users/${u}`,
      `${repoBase}/groups`,
      `${repoBase}/groups/${g}`,
    ]) {
      const body = await json(await t.bitbucket(path, { member: true }), 403);
      expect(body.error.message, path).toBe("Your credentials lack one or more required privilege scopes.");
    }
  });

  it("PUT and DELETE change the grant, the effective permissions, the ground truth and the audit log", async () => {
    const access = workspaceAccess(t.sim.state);
    // A plain member with no access to the repository yet.
    const target = access.members.find(
      (m) => m.permission === "member" && !access.repoLevels.get(repo.slug)?.has(m.accountId),
    )!;
    const account = t.sim.state.accountsById.get(target.accountId)!;
    const path = `${repoBase}/users/${enc(account.bitbucketUuid!)}`;
    const eventsBefore = t.sim.state.tenant.events.length;

    const put = await json(await t.bitbucket(path, { method: "PUT", body: JSON.stringify({ permission: "write" }) }));
    expect(put).toMatchObject({
      type: "repository_user_permission",
      permission: "write",
      user: { uuid: account.bitbucketUuid },
    });
    expect(await json(await t.bitbucket(path))).toMatchObject({ permission: "write" });
    const effective = await walk(t, `/2.0/workspaces/${ws}/permissions/repositories/${repo.slug}`);
    expect(effective.values.find((v) => v.user.account_id === account.accountId)?.permission).toBe("write");
    expect(groundTruthRepoRows(t)).toContain(`${repo.slug} ${account.accountId} write`);
    expect(t.sim.state.tenant.events.length).toBe(eventsBefore + 1);
    expect(t.sim.state.tenant.events.at(-1)).toMatchObject({
      action: "bitbucket_repository_permission_updated",
      product: "bitbucket",
    });

    const del = await t.bitbucket(path, { method: "DELETE" });
    expect(del.status).toBe(204);
    await json(await t.bitbucket(path), 404);
    const after = await walk(t, `/2.0/workspaces/${ws}/permissions/repositories/${repo.slug}`);
    expect(after.values.some((v) => v.user.account_id === account.accountId)).toBe(false);
  });

  it("a project group grant flows to every repository of the project", async () => {
    const group = bb.groups.find((g) => !project.groups.some((x) => x.slug === g.slug) && g.members.length > 0)!;
    const res = await json(
      await t.bitbucket(`${projectBase}/groups/${group.slug}`, {
        method: "PUT",
        body: JSON.stringify({ permission: "create-repo" }),
      }),
    );
    expect(res).toMatchObject({
      type: "project_group_permission",
      permission: "create-repo",
      group: { slug: group.slug },
    });
    const access = workspaceAccess(t.sim.state);
    for (const r of bb.repos.filter((x) => x.projectKey === project.key)) {
      for (const m of group.members.filter((id) => access.memberById.has(id))) {
        // create-repo confers write on the project's repositories; other grants may raise it further.
        expect(["write", "admin"]).toContain(access.repoLevels.get(r.slug)?.get(m));
      }
    }
    await t.bitbucket(`${projectBase}/groups/${group.slug}`, { method: "DELETE" });
  });

  it("validates the PUT: bad level 400, owner 400, unknown user and group 404", async () => {
    const access = workspaceAccess(t.sim.state);
    const member = access.members.find((m) => m.permission === "member")!;
    const owner = access.members.find((m) => m.permission === "owner")!;
    const body = (permission: string) => ({ method: "PUT", body: JSON.stringify({ permission }) });
    await json(await t.bitbucket(`${projectBase}/users/${enc(member.accountId)}`, body("none")), 400);
    await json(await t.bitbucket(`${repoBase}/users/${enc(member.accountId)}`, body("create-repo")), 400);
    await json(await t.bitbucket(`${repoBase}/users/${enc(owner.accountId)}`, body("read")), 400);
    await json(
      await t.bitbucket(`${repoBase}/users/${enc("{00000000-0000-0000-0000-000000000000}")}`, body("read")),
      404,
    );
    await json(await t.bitbucket(`${repoBase}/groups/no-such-group`, body("read")), 404);
    // PUT needs the admin scope too.
    await json(await t.bitbucket(`${repoBase}/users/${enc(member.accountId)}`, { ...body("read"), member: true }), 403);
  });
});

describe("effective permissions", () => {
  const t = makeTestSim("M", 5);
  const bb = t.sim.state.tenant.bitbucket;
  const ws = bb.workspace.slug;
  const access = workspaceAccess(t.sim.state);
  const byId = (id: string) => t.sim.state.accountsById.get(id)!;

  it("equals the ground truth over the whole workspace, paged at 100", async () => {
    const { values, pages } = await walk(t, `/2.0/workspaces/${ws}/permissions/repositories?pagelen=250`);
    expect(pages[0]!.pagelen).toBe(100);
    expect(pages.length).toBeGreaterThan(2);
    const rows = values.map(
      (v) => `${v.repository.full_name.slice(ws.length + 1)} ${v.user.account_id} ${v.permission}`,
    );
    expect(new Set(rows).size).toBe(rows.length);
    expect([...rows].sort()).toEqual(groundTruthRepoRows(t));
  });

  it("matches the rules on hand-checked repositories", async () => {
    const levelOf = async (repo: BitbucketRepo, accountId: string) => {
      const { values } = await walk(
        t,
        `/2.0/workspaces/${ws}/permissions/repositories/${repo.slug}?q=${enc(`user.account_id="${accountId}"`)}`,
      );
      return values[0]?.permission as string | undefined;
    };
    // A workspace owner is admin on every repository, with no grant at all.
    const owner = access.members.find((m) => m.permission === "owner")!.accountId;
    expect(await levelOf(bb.repos.at(-1)!, owner)).toBe("admin");

    // Project 0 grants its `read` user read and its `write` user write on its repositories (repo 0 is in project 0).
    const p0 = bb.projects[0]!;
    const repo0 = bb.repos[0]!;
    expect(repo0.projectKey).toBe(p0.key);
    const reader = p0.users.find((u) => u.permission === "read")!.accountId;
    const repoGrant = repo0.users.find((u) => u.accountId === reader)?.permission;
    expect(await levelOf(repo0, reader)).toBe(repoGrant ?? "read");

    // Project 1 grants `create-repo` to one user: that is write on its repositories, unless something raises it.
    const p1 = bb.projects[1]!;
    const creator = p1.users.find((u) => u.permission === "create-repo")!.accountId;
    const repo1 = bb.repos.find((r) => r.projectKey === p1.key && !r.users.some((u) => u.accountId === creator))!;
    const viaGroups = [...repo1.groups, ...p1.groups].some(
      (g) => bb.groups.find((x) => x.slug === g.slug)!.members.includes(creator) && g.permission === "admin",
    );
    if (!viaGroups && access.memberById.get(creator)?.permission !== "owner") {
      expect(await levelOf(repo1, creator)).toBe("write");
    }

    // Project 1 grants the Administrators group admin: its members are admin on project 1's repositories.
    const admins = bb.groups.find((g) => g.slug === p1.groups.find((x) => x.permission === "admin")!.slug)!;
    for (const m of admins.members.filter((id) => access.memberById.has(id))) {
      expect(await levelOf(repo1, m)).toBe("admin");
    }

    // A repository group grant: every member of the group has at least that level.
    const repoWithGroup = bb.repos.find((r) => r.groups.length > 0)!;
    const g = repoWithGroup.groups[0]!;
    const rank = { read: 1, write: 2, admin: 3 } as const;
    for (const m of bb.groups.find((x) => x.slug === g.slug)!.members.filter((id) => access.memberById.has(id))) {
      const level = (await levelOf(repoWithGroup, m)) as keyof typeof rank;
      expect(rank[level]).toBeGreaterThanOrEqual(rank[g.permission]);
    }
    expect(byId(owner).displayName).toBeTruthy();
  });

  it("filters with BBQL comparisons and sorts", async () => {
    const above = await walk(
      t,
      `/2.0/workspaces/${ws}/permissions/repositories?pagelen=100&q=${enc('permission>"read"')}`,
    );
    expect(above.values.length).toBe(access.rows.filter((r) => r.permission !== "read").length);
    expect(above.values.every((v) => v.permission !== "read")).toBe(true);
    const admins = await walk(
      t,
      `/2.0/workspaces/${ws}/permissions/repositories?pagelen=100&q=${enc('permission="admin" AND repository.name="' + bb.repos[2]!.name + '"')}`,
    );
    expect(admins.values.map((v) => v.user.account_id).sort()).toEqual(
      access.rows
        .filter((r) => r.repo.slug === bb.repos[2]!.slug && r.permission === "admin")
        .map((r) => r.accountId)
        .sort(),
    );
    const sorted = await walk(
      t,
      `/2.0/workspaces/${ws}/permissions/repositories/${bb.repos[0]!.slug}?sort=-user.display_name`,
    );
    const names = sorted.values.map((v) => v.user.display_name as string);
    expect(names).toEqual([...names].sort().reverse());
  });

  it("is for workspace admins only: the member consumer gets 403", async () => {
    await json(await t.bitbucket(`/2.0/workspaces/${ws}/permissions/repositories`, { member: true }), 403);
    await json(
      await t.bitbucket(`/2.0/workspaces/${ws}/permissions/repositories/${bb.repos[0]!.slug}`, { member: true }),
      403,
    );
  });

  it("the 2026 per-user endpoints give the caller's own workspace and repository levels", async () => {
    const me = t.sim.state.tenant.credentials.bitbucketMemberConsumer.ownerAccountId;
    const workspaces = await json(await t.bitbucket("/2.0/user/workspaces", { member: true }));
    expect(workspaces.values).toEqual([
      expect.objectContaining({
        type: "workspace_access",
        administrator: false,
        workspace: expect.objectContaining({ slug: ws }),
      }),
    ]);
    const level = await json(await t.bitbucket(`/2.0/user/workspaces/${ws}/permission`, { member: true }));
    expect(level).toMatchObject({ type: "workspace_membership", permission: access.memberById.get(me)!.permission });
    const mine = await walk(t, `/2.0/user/workspaces/${ws}/permissions/repositories?pagelen=100`, true);
    expect(mine.values.map((v) => `${v.repository.uuid} ${v.permission}`)).toEqual(
      access.rows.filter((r) => r.accountId === me).map((r) => `${r.repo.uuid} ${r.permission}`),
    );
    const user = await json(await t.bitbucket("/2.0/user", { member: true }));
    expect(user).toMatchObject({ type: "user", account_id: me });
    expect(user).not.toHaveProperty("email");
  });
});

describe("1.0 groups", () => {
  const t = makeTestSim("S", 3);
  const bb = t.sim.state.tenant.bitbucket;
  const ws = bb.workspace.slug;

  it("lists the workspace's groups with their members", async () => {
    const groups = await json(await t.bitbucket(`/1.0/groups/${ws}`));
    expect(Array.isArray(groups)).toBe(true);
    expect(groups.map((g: { slug: string }) => g.slug)).toEqual(bb.groups.map((g) => g.slug));
    const g0 = groups[0];
    expect(g0).toMatchObject({ name: bb.groups[0]!.name, auto_add: bb.groups[0]!.autoAdd, permission: null });
    expect(g0.members.map((m: { account_id: string }) => m.account_id)).toEqual(bb.groups[0]!.members);
    expect(g0.members[0]).toHaveProperty("uuid");
    expect(g0.members[0]).not.toHaveProperty("email");
    const members = await json(await t.bitbucket(`/1.0/groups/${ws}/${bb.groups[1]!.slug}/members`));
    expect(members.map((m: { account_id: string }) => m.account_id)).toEqual(bb.groups[1]!.members);
    await json(await t.bitbucket(`/1.0/groups/${ws}/nope/members`), 404);
  });

  it("is refused to the member consumer", async () => {
    await json(await t.bitbucket(`/1.0/groups/${ws}`, { member: true }), 403);
  });

  it("PUT and DELETE a member change group membership and the effective permissions", async () => {
    // A repository granted to a group, and a workspace member without access to it.
    const repo = bb.repos.find((r) => r.groups.length > 0)!;
    const grant = repo.groups[0]!;
    const access = workspaceAccess(t.sim.state);
    const newcomer = access.members.find(
      (m) => m.permission === "member" && !access.repoLevels.get(repo.slug)?.has(m.accountId),
    )!;
    const account = t.sim.state.accountsById.get(newcomer.accountId)!;
    const path = `/1.0/groups/${ws}/${grant.slug}/members/${enc(account.bitbucketUuid!)}`;

    const added = await json(await t.bitbucket(path, { method: "PUT", body: "{}" }));
    expect(added).toMatchObject({ uuid: account.bitbucketUuid, account_id: account.accountId });
    await json(await t.bitbucket(path, { method: "PUT", body: "{}" }), 409);
    const members = await json(await t.bitbucket(`/1.0/groups/${ws}/${grant.slug}/members`));
    expect(members.map((m: { account_id: string }) => m.account_id)).toContain(account.accountId);
    const level = workspaceAccess(t.sim.state).repoLevels.get(repo.slug)?.get(account.accountId);
    expect(level).toBe(grant.permission);
    expect(groundTruthRepoRows(t)).toContain(`${repo.slug} ${account.accountId} ${grant.permission}`);

    expect((await t.bitbucket(path, { method: "DELETE" })).status).toBe(204);
    await json(await t.bitbucket(path, { method: "DELETE" }), 404);
    expect(workspaceAccess(t.sim.state).repoLevels.get(repo.slug)?.has(account.accountId)).toBe(false);
  });
});

describe("changes made through other APIs", () => {
  const t = makeTestSim("S", 3);
  const ws = wsOf(t).slug;
  const tenant = t.sim.state.tenant;
  const adminUser = (accountId: string) =>
    `/admin/v2/orgs/${tenant.org.id}/directories/${tenant.directories[0]!.directoryId}/users/${accountId}`;

  it("an account suspended, restored or removed through the Admin API leaves and rejoins Bitbucket", async () => {
    const access = workspaceAccess(t.sim.state);
    const [target, removed] = access.members.filter(
      (m) => m.permission === "member" && access.rows.some((r) => r.accountId === m.accountId),
    );
    const members = async () =>
      (await walk(t, `/2.0/workspaces/${ws}/members?pagelen=100`)).values.map((v) => v.user.account_id as string);
    const effective = async () =>
      (await walk(t, `/2.0/workspaces/${ws}/permissions/repositories?pagelen=100`)).values.map(
        (v) => v.user.account_id as string,
      );
    const before = await members();
    expect(before).toContain(target!.accountId);

    expect((await t.admin(`${adminUser(target!.accountId)}/suspend`, { method: "POST" })).status).toBe(204);
    expect(await members()).not.toContain(target!.accountId);
    expect(await effective()).not.toContain(target!.accountId);

    expect((await t.admin(`${adminUser(target!.accountId)}/restore`, { method: "POST" })).status).toBe(204);
    expect(await members()).toEqual(before);
    expect(await effective()).toContain(target!.accountId);

    expect((await t.admin(adminUser(removed!.accountId), { method: "DELETE" })).status).toBe(204);
    expect(await members()).not.toContain(removed!.accountId);
    expect(await effective()).not.toContain(removed!.accountId);
  });
});
