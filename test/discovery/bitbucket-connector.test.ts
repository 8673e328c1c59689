/**
 * The Bitbucket connector against the in-process simulator: what it reads, compared as sets of tuples with the
 * simulator's tenant (members and levels, groups and members, projects, repositories, explicit project and
 * repository grants, and — in fallback mode — the ground truth's effective repository permissions), branch
 * protection for hand-checked repositories, the calls it makes against the benchmark's lower bound in admin and
 * fallback mode, the read-only guarantee, and a token that expires mid-run.
 *
 * Expected rows apply Bitbucket's visibility rules as the simulator states them: workspace members are those with
 * Bitbucket access; a grant or group membership names only accounts that are Bitbucket users (have a uuid); the
 * member consumer sees public repositories and those it has a level on, and the projects holding them.
 */

import { Secret } from "@accessmap/backend/config/secret";
import { BitbucketTokenProvider } from "@accessmap/backend/connectors/bitbucket/oauth";
import {
  type BitbucketShape,
  FALLBACK_REASON,
  minimumBitbucketCalls,
  NO_PERMISSIONS_REASON,
  readBitbucket,
} from "@accessmap/backend/connectors/bitbucket/read-bitbucket";
import { BitbucketSection } from "@accessmap/shared/snapshot/schema";
import { OriginError } from "@accessmap/shared/transport/errors";
import type { RawRequest, Send } from "@accessmap/shared/transport/transport";
import { describe, expect, it } from "vitest";
import { canSeeRepo, visibleProjectKeys, workspaceAccess } from "../atlassian-sim/apis/bitbucket/effective.js";
import { HOST_PREFIXES } from "../atlassian-sim/app.js";
import { FOREIGN_ORIGIN } from "../atlassian-sim/http/faults.js";
import { computeGroundTruth, hasProductAccess } from "../atlassian-sim/tenant/ground-truth.js";
import { ANONYMOUS } from "../atlassian-sim/tenant/model.js";
import { makeTestSim, ORIGIN, type TestSim } from "../atlassian-sim/testing.js";
import { simSend, simTransport } from "../support/sim-transport.js";

const set = (rows: readonly unknown[]) => new Set(rows.map((r) => JSON.stringify(r)));
/** Rows as a set of canonical tuples: order-free, duplicates visible through the length check. */
function expectSameSet<A, E>(
  actual: readonly A[],
  expected: readonly E[],
  a: (row: A) => unknown[],
  e: (row: E) => unknown[],
) {
  expect(set(actual.map(a))).toEqual(set(expected.map(e)));
  expect(actual).toHaveLength(set(actual.map(a)).size);
}

const PC_USERS_ROUTE = "/2.0/repositories/:workspace/:repo_slug/permissions-config/users";

/** Whether an account is a Bitbucket user (has a uuid): only those appear in grants and group member lists. */
const isBitbucketUser = (t: TestSim, accountId: string) => !!t.sim.state.accountsById.get(accountId)?.bitbucketUuid;

function read(t: TestSim, opts: { limited?: boolean; send?: Send; skipBranchProtection?: boolean } = {}) {
  const transport = simTransport(t, "bitbucket", { limited: opts.limited, ...(opts.send ? { send: opts.send } : {}) });
  return readBitbucket(
    { transport },
    {
      workspace: t.sim.state.tenant.bitbucket.workspace.slug,
      skipBranchProtection: opts.skipBranchProtection ?? false,
    },
  );
}

/** Calls the simulator answered for Bitbucket, the token request included. */
const calls = (t: TestSim) => t.sim.log.total("bitbucket") + t.sim.log.total("bitbucket-oauth");

/** The workspace's shape as the benchmark's lower bound needs it, for the repositories and projects given. */
function shapeOf(t: TestSim, visible?: { projects: Set<string>; repos: Set<string> }): BitbucketShape {
  const bb = t.sim.state.tenant.bitbucket;
  const access = workspaceAccess(t.sim.state);
  const groups = new Set(bb.groups.map((g) => g.slug));
  return {
    members: access.members.length,
    projects: bb.projects
      .filter((p) => !visible || visible.projects.has(p.key))
      .map((p) => ({
        users: p.users.filter((u) => isBitbucketUser(t, u.accountId)).length,
        groups: p.groups.filter((g) => groups.has(g.slug)).length,
      })),
    repositories: bb.repos
      .filter((r) => !visible || visible.repos.has(r.slug))
      .map((r) => ({
        users: r.users.filter((u) => isBitbucketUser(t, u.accountId)).length,
        groups: r.groups.filter((g) => groups.has(g.slug)).length,
        branchRestrictions: r.branchRestrictions.length,
      })),
    effectivePermissions: access.rows.length,
  };
}

function expectTenantListings(
  t: TestSim,
  section: BitbucketSection,
  visible?: { projects: Set<string>; repos: Set<string> },
) {
  const bb = t.sim.state.tenant.bitbucket;
  const accounts = t.sim.state.accountsById;
  expect(section.workspace).toEqual({ uuid: bb.workspace.uuid, slug: bb.workspace.slug, name: bb.workspace.name });

  const members = bb.members.filter((m) => {
    const a = accounts.get(m.accountId);
    return a !== undefined && hasProductAccess(a, "bitbucket");
  });
  expectSameSet(
    section.members,
    members,
    (m) => [m.accountId, m.uuid, m.displayName, m.permission],
    (m) => {
      const a = accounts.get(m.accountId);
      return [m.accountId, a?.bitbucketUuid, a?.displayName, m.permission];
    },
  );

  const projects = bb.projects.filter((p) => !visible || visible.projects.has(p.key));
  const publicProjects = new Set(bb.repos.filter((r) => !r.isPrivate).map((r) => r.projectKey));
  expectSameSet(
    section.projects,
    projects,
    (p) => [p.uuid, p.key, p.name, p.description, p.is_private, p.has_publicly_visible_repos],
    (p) => [p.uuid, p.key, p.name, p.description || null, p.isPrivate, publicProjects.has(p.key)],
  );

  const repos = bb.repos.filter((r) => !visible || visible.repos.has(r.slug));
  expectSameSet(
    section.repositories,
    repos,
    (r) => [r.uuid, r.slug, r.name, r.is_private, r.project_key, r.fork_policy, r.mainbranch],
    (r) => [r.uuid, r.slug, r.name, r.isPrivate, r.projectKey, r.forkPolicy, r.mainbranch],
  );
}

function expectExplicitGrants(t: TestSim, section: BitbucketSection) {
  const bb = t.sim.state.tenant.bitbucket;
  const groups = new Set(bb.groups.map((g) => g.slug));
  expectSameSet(
    section.groups,
    bb.groups,
    (g) => [g.slug, g.name],
    (g) => [g.slug, g.name],
  );
  expectSameSet(
    section.groupMembers,
    bb.groups.flatMap((g) => g.members.filter((id) => isBitbucketUser(t, id)).map((id) => ({ slug: g.slug, id }))),
    (m) => [m.groupSlug, m.accountId],
    (m) => [m.slug, m.id],
  );
  expectSameSet(
    section.projectPermissions,
    bb.projects.flatMap((p) => [
      ...p.users.filter((u) => isBitbucketUser(t, u.accountId)).map((u) => [p.key, "user", u.accountId, u.permission]),
      ...p.groups.filter((g) => groups.has(g.slug)).map((g) => [p.key, "group", g.slug, g.permission]),
    ]),
    (g) => [g.projectKey, g.principalType, g.principalId, g.permission],
    (row) => row,
  );
  expectSameSet(
    section.repositoryPermissions,
    bb.repos.flatMap((r) => [
      ...r.users
        .filter((u) => isBitbucketUser(t, u.accountId))
        .map((u) => [r.slug, "user", u.accountId, u.permission, "explicit"]),
      ...r.groups.filter((g) => groups.has(g.slug)).map((g) => [r.slug, "group", g.slug, g.permission, "explicit"]),
    ]),
    (g) => [g.repoSlug, g.principalType, g.principalId, g.permission, g.source],
    (row) => row,
  );
}

/** The ground truth's Bitbucket repository rows for accounts (anonymous read of public repositories left out). */
function groundTruthRepoRows(t: TestSim) {
  return computeGroundTruth(t.sim.state.tenant).filter(
    (r) => r.product === "bitbucket" && r.resourceType === "bitbucket_repo" && r.principal !== ANONYMOUS,
  );
}

describe("Bitbucket connector — admin consumer", () => {
  for (const size of ["S", "M"] as const) {
    it(`${size}: reads the workspace completely, equal to the tenant, at the lower bound of calls, with no write`, async () => {
      const t = makeTestSim(size, 3);
      const r = await read(t);
      expect(r.reasons).toEqual([]);
      expect(BitbucketSection.parse(r.section)).toBeTruthy();
      expect(r.section.permissionMode).toBe("admin");
      expectTenantListings(t, r.section);
      expectExplicitGrants(t, r.section);
      expect(r.section.branchProtection.map((p) => p.repoSlug).sort()).toEqual(
        t.sim.state.tenant.bitbucket.repos.map((x) => x.slug).sort(),
      );
      expect(r.counts).toEqual({
        members: r.section.members.length,
        groups: r.section.groups.length,
        groupMembers: r.section.groupMembers.length,
        projects: r.section.projects.length,
        repositories: r.section.repositories.length,
        projectPermissions: r.section.projectPermissions.length,
        repositoryPermissions: r.section.repositoryPermissions.length,
        branchProtection: r.section.branchProtection.length,
      });
      expect(t.sim.log.writeCount()).toBe(0);
      expect(calls(t)).toBe(minimumBitbucketCalls(shapeOf(t), { mode: "admin" }));
      expect(t.sim.log.entries(100_000).every((e) => e.status === 200)).toBe(true);
    });
  }

  it("branch protection of hand-checked repositories (S, seed 3)", async () => {
    const t = makeTestSim("S", 3);
    const r = await read(t);
    const bySlug = new Map(r.section.branchProtection.map((p) => [p.repoSlug, p]));
    const none = {
      default_branch_protected: false,
      allow_auto_merge_when_builds_pass: false,
      require_passing_builds_to_merge: false,
      enforce_merge_checks: false,
      require_approvals_to_merge: false,
      require_default_reviewer_approvals_to_merge: false,
      require_tasks_to_be_completed: false,
      approvalsRequired: null,
    };
    // cascade-app: require_approvals_to_merge on `main` (1) and on the production branch (3); restrict_merges on
    // the production branch; smart reset and changes-requested reset are modifiers.
    expect(bySlug.get("cascade-app")).toEqual({
      ...none,
      repoSlug: "cascade-app",
      branch: "main",
      default_branch_protected: true,
      require_approvals_to_merge: true,
      approvalsRequired: 3,
    });
    // nandu-docs: delete (production and `main`), force on `main`, require_commits_behind 0: protected, none of
    // the six merge settings.
    expect(bySlug.get("nandu-docs")).toEqual({
      ...none,
      repoSlug: "nandu-docs",
      branch: "main",
      default_branch_protected: true,
    });
    // vertex-sdk: passing builds (production 1, `main` 2), default reviewers (1), no changes requested, auto-merge;
    // require_commits_behind on hotfix/* does not apply.
    expect(bySlug.get("vertex-sdk")).toEqual({
      ...none,
      repoSlug: "vertex-sdk",
      branch: "main",
      default_branch_protected: true,
      allow_auto_merge_when_builds_pass: true,
      require_passing_builds_to_merge: true,
      require_default_reviewer_approvals_to_merge: true,
    });
    // donnees-pipeline: push on `ma*`, tasks (production and `main`), enforce_merge_checks (production),
    // all dependencies merged.
    expect(bySlug.get("donnees-pipeline")).toEqual({
      ...none,
      repoSlug: "donnees-pipeline",
      branch: "main",
      default_branch_protected: true,
      enforce_merge_checks: true,
      require_tasks_to_be_completed: true,
    });
    // ember-app, main branch `develop`: approvals 3 on `develop`, 2 on the production branch; restrict_merges on `*`.
    expect(bySlug.get("ember-app")).toEqual({
      ...none,
      repoSlug: "ember-app",
      branch: "develop",
      default_branch_protected: true,
      require_approvals_to_merge: true,
      approvalsRequired: 3,
    });
    for (const slug of ["harbor-terraform", "summit-docs", "zephyr-pipeline"]) {
      expect(bySlug.get(slug)).toEqual({ ...none, repoSlug: slug, branch: "main" });
    }
  });

  it("the production-branch assumption holds for every generated repository (M)", async () => {
    // A branching-model restriction is taken to match the main branch; the tenant records the real production
    // branch, so check that whenever a production restriction exists it is the main branch.
    const t = makeTestSim("M", 3);
    for (const repo of t.sim.state.tenant.bitbucket.repos) {
      if (repo.branchRestrictions.some((b) => b.branchMatchKind === "branching_model" && b.branchType === "production"))
        expect(repo.productionBranch).toBe(repo.mainbranch);
    }
  });
});

describe("Bitbucket connector — fallback mode", () => {
  it("a workspace admin whose consumer lacks permissions-config reads effective permissions equal to the ground truth", async () => {
    const t = makeTestSim("M", 3);
    // The admin consumer, with permissions-config answering 403 (as it does without the repository:admin scope).
    t.sim.faults.rules = [{ api: "bitbucket", route: PC_USERS_ROUTE, kind: "status", status: 403 }];
    const r = await read(t);
    expect(r.section.permissionMode).toBe("fallback");
    expect(r.reasons).toEqual([FALLBACK_REASON]);
    expect(r.section.projectPermissions).toEqual([]);
    expect(r.section.repositoryPermissions.every((p) => p.source === "effective" && p.principalType === "user")).toBe(
      true,
    );
    const ws = t.sim.state.tenant.bitbucket.workspace.slug;
    expectSameSet(
      r.section.repositoryPermissions,
      groundTruthRepoRows(t),
      (p) => [`${ws}/${p.repoSlug}`, p.principalId, p.permission],
      (g) => [g.resourceId, g.principal, g.permission],
    );
    // One probe, not one per repository.
    const pcCalls = t.sim.log.counts().filter((c) => c.route === PC_USERS_ROUTE);
    expect(pcCalls.reduce((n, c) => n + c.count, 0)).toBe(1);
    expect(t.sim.log.writeCount()).toBe(0);
    expect(calls(t)).toBe(minimumBitbucketCalls(shapeOf(t), { mode: "fallback", branchRestrictionsReadable: true }));
  });

  for (const size of ["S", "M"] as const) {
    it(`${size}: the member consumer reads what it may, falls back, and says what is missing`, async () => {
      const t = makeTestSim(size, 3);
      const r = await read(t, { limited: true });
      const owner = t.sim.state.tenant.credentials.bitbucketMemberConsumer.ownerAccountId;
      const access = workspaceAccess(t.sim.state);
      const visible = {
        projects: visibleProjectKeys(access, t.sim.state, owner),
        repos: new Set(
          t.sim.state.tenant.bitbucket.repos.filter((x) => canSeeRepo(access, owner, x)).map((x) => x.slug),
        ),
      };
      expect(BitbucketSection.parse(r.section)).toBeTruthy();
      expect(r.section.permissionMode).toBe("fallback");
      expectTenantListings(t, r.section, visible);
      expect(r.section.groups).toEqual([]);
      expect(r.section.repositoryPermissions).toEqual([]);
      expect(r.section.branchProtection).toEqual([]);
      expect(r.reasons).toHaveLength(3);
      expect(r.reasons).toContain(NO_PERMISSIONS_REASON);
      expect(r.reasons.join("\n")).toMatch(/^groups: .*workspace admins/m);
      expect(r.reasons.join("\n")).toMatch(/^branch protection: .*repository:admin/m);
      expect(t.sim.log.writeCount()).toBe(0);
      expect(calls(t)).toBe(minimumBitbucketCalls(shapeOf(t, visible), { mode: "fallback", effectiveReadable: false }));
    });
  }

  it("M: calls in admin mode and in fallback mode, measured", async () => {
    const admin = makeTestSim("M", 3);
    await read(admin);
    const fallback = makeTestSim("M", 3);
    fallback.sim.faults.rules = [{ api: "bitbucket", route: PC_USERS_ROUTE, kind: "status", status: 403 }];
    await read(fallback);
    const member = makeTestSim("M", 3);
    await read(member, { limited: true });
    const measured = { admin: calls(admin), fallback: calls(fallback), member: calls(member) };
    console.info("Bitbucket calls (M, seed 3):", measured);
    expect(measured.admin).toBe(minimumBitbucketCalls(shapeOf(admin), { mode: "admin" }));
    // Fallback trades two calls per project and per repository for one effective-permission listing.
    expect(measured.fallback).toBeLessThan(measured.admin);
    expect(measured.member).toBeLessThan(measured.fallback);
  });
});

describe("Bitbucket connector — OAuth token", () => {
  it("a token that expires mid-run is refreshed and the run completes with the same data", async () => {
    const t = makeTestSim("M", 3);
    const consumer = t.sim.state.tenant.credentials.bitbucketAdminConsumer;
    const inner = simSend(t);
    let pages = 0;
    let expired = false;
    // Expire every token after the second page of members, so the next request meets a 401.
    const send: Send = async (req: RawRequest) => {
      const res = await inner(req);
      if (!expired && new URL(req.url).pathname.endsWith("/permissions") && ++pages === 2) {
        t.sim.bitbucketTokens.expireAll();
        expired = true;
      }
      return res;
    };
    const tokens = new BitbucketTokenProvider({
      tokenUrl: `${ORIGIN}${HOST_PREFIXES.bitbucket}/site/oauth2/access_token`,
      key: consumer.key,
      secret: new Secret(consumer.secret),
      send,
    });
    const transport = simTransport(t, "bitbucket", {
      send,
      authorization: () => tokens.authorization(),
      refreshAuth: () => tokens.refresh(),
    });
    const ws = t.sim.state.tenant.bitbucket.workspace.slug;
    const r = await readBitbucket({ transport }, { workspace: ws, skipBranchProtection: false });
    expect(expired).toBe(true);
    expect(r.reasons).toEqual([]);
    expect(tokens.fetched).toBeGreaterThanOrEqual(2);
    const unauthorized = t.sim.log.counts().filter((c) => c.api === "bitbucket" && c.status === 401);
    expect(unauthorized.reduce((n, c) => n + c.count, 0)).toBeGreaterThan(0);
    expectTenantListings(t, r.section);
    expectExplicitGrants(t, r.section);
    expect(t.sim.log.writeCount()).toBe(0);
  });
});

describe("Bitbucket connector — pagination safety", () => {
  it("a `next` link to another origin fails the read and no request goes there", async () => {
    const t = makeTestSim("M", 3);
    t.sim.faults.rules = [{ api: "bitbucket", kind: "foreign-next" }];
    const sent: RawRequest[] = [];
    const inner = simSend(t);
    const send: Send = async (req) => {
      sent.push(req);
      return inner(req);
    };
    await expect(read(t, { send })).rejects.toBeInstanceOf(OriginError);
    expect(sent.some((s) => s.url.startsWith(FOREIGN_ORIGIN))).toBe(false);
  });
});
