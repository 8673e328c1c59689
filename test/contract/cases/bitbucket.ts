/**
 * Contract cases of the simulated Bitbucket Cloud API (`bitbucket-swagger`, Swagger 2.0 with basePath `/2.0`, so the
 * path keys drop the `/2.0` of the routes). The runner shares one simulator between all cases, so write cases pick
 * their targets when they run and every write is undone or idempotent.
 *
 * Served but not covered by the document: the 1.0 groups API, the 2026 `/user/workspaces` family, the endpoints
 * removed in 2026 (their 410 is undocumented), and the OAuth token endpoint on bitbucket.org.
 */
import { workspaceAccess } from "../../atlassian-sim/apis/bitbucket/effective.js";
import type { BitbucketProject, BitbucketRepo, SimAccount } from "../../atlassian-sim/tenant/model.js";
import type { TestSim } from "../../atlassian-sim/testing.js";
import type { ContractCase, UnspecifiedRoute } from "../case.js";

const SPEC = "bitbucket-swagger" as const;

const bb = (t: TestSim) => t.sim.state.tenant.bitbucket;
const ws = (t: TestSim) => bb(t).workspace.slug;
const enc = encodeURIComponent;

/** A case whose spec path is the route without `/2.0`, `:name` written `{name}`. */
const c2 = (
  name: string,
  method: ContractCase["method"],
  route: string,
  expectStatus: number,
  send: ContractCase["send"],
): ContractCase => ({
  name,
  api: "bitbucket",
  method,
  route,
  spec: SPEC,
  specPath: route.replace(/^\/2\.0/, "").replace(/:(\w+)/g, "{$1}"),
  expectStatus,
  send,
});

const put = (body: unknown): RequestInit & { method: string } => ({ method: "PUT", body: JSON.stringify(body) });
const del: RequestInit = { method: "DELETE" };

/** A project with at least one explicit user grant and one group grant. */
const grantedProject = (t: TestSim): BitbucketProject =>
  bb(t).projects.find((p) => p.users.length > 0 && p.groups.length > 0) ?? bb(t).projects[0]!;
/** A repository with explicit user and group grants. */
const grantedRepo = (t: TestSim): BitbucketRepo =>
  bb(t).repos.find((r) => r.users.length > 0 && r.groups.length > 0) ?? bb(t).repos[0]!;
const protectedRepo = (t: TestSim): BitbucketRepo => bb(t).repos.find((r) => r.branchRestrictions.length > 0)!;
/** A plain workspace member (not an owner) with Bitbucket access, without a grant in `taken`. */
const plainMember = (t: TestSim, taken: Array<{ accountId: string }> = []): SimAccount => {
  const m = workspaceAccess(t.sim.state).members.find(
    (x) => x.permission === "member" && !taken.some((g) => g.accountId === x.accountId),
  )!;
  return t.sim.state.accountsById.get(m.accountId)!;
};
/** A private repository the member consumer's owner has no access to. */
const hiddenRepo = (t: TestSim): BitbucketRepo => {
  const me = t.sim.state.tenant.credentials.bitbucketMemberConsumer.ownerAccountId;
  const access = workspaceAccess(t.sim.state);
  return bb(t).repos.find((r) => r.isPrivate && !access.repoLevels.get(r.slug)?.has(me))!;
};
const projectBase = (t: TestSim, p: BitbucketProject) =>
  `/2.0/workspaces/${ws(t)}/projects/${enc(p.key)}/permissions-config`;
const repoBase = (t: TestSim, r: BitbucketRepo) => `/2.0/repositories/${ws(t)}/${enc(r.slug)}/permissions-config`;

const PROJECT_CONFIG = "/2.0/workspaces/:workspace/projects/:project_key/permissions-config";
const REPO_CONFIG = "/2.0/repositories/:workspace/:repo_slug/permissions-config";

/** The permissions-config cases of one resource kind (the two kinds share every behaviour). */
function permissionsConfigCases(
  route: string,
  base: (t: TestSim) => string,
  grants: (t: TestSim) => { users: Array<{ accountId: string }>; groups: Array<{ slug: string }> },
  level: string,
): ContractCase[] {
  const firstUser = (t: TestSim) =>
    grants(t).users.find((g) => t.sim.state.accountsById.get(g.accountId)?.bitbucketUuid);
  const firstGroup = (t: TestSim) => grants(t).groups[0]!;
  return [
    c2("explicit user grants", "GET", `${route}/users`, 200, (t) => t.bitbucket(`${base(t)}/users?pagelen=100`)),
    c2("member consumer lacks the admin scope", "GET", `${route}/users`, 403, (t) =>
      t.bitbucket(`${base(t)}/users`, { member: true }),
    ),
    c2("one user grant by account id", "GET", `${route}/users/:selected_user_id`, 200, (t) =>
      t.bitbucket(`${base(t)}/users/${enc(firstUser(t)!.accountId)}`),
    ),
    c2("one user grant by {uuid}", "GET", `${route}/users/:selected_user_id`, 200, (t) => {
      const uuid = t.sim.state.accountsById.get(firstUser(t)!.accountId)!.bitbucketUuid!;
      return t.bitbucket(`${base(t)}/users/${enc(uuid)}`);
    }),
    c2("unknown user", "GET", `${route}/users/:selected_user_id`, 404, (t) =>
      t.bitbucket(`${base(t)}/users/${enc("{00000000-0000-0000-0000-000000000000}")}`),
    ),
    c2("grant a user a level, then remove it", "PUT", `${route}/users/:selected_user_id`, 200, async (t) => {
      const path = `${base(t)}/users/${enc(plainMember(t, grants(t).users).accountId)}`;
      const res = await t.bitbucket(path, put({ permission: level }));
      await t.bitbucket(path, del);
      return res;
    }),
    c2("invalid level", "PUT", `${route}/users/:selected_user_id`, 400, (t) =>
      t.bitbucket(`${base(t)}/users/${enc(plainMember(t).accountId)}`, put({ permission: "none" })),
    ),
    c2("remove a user's grant (granted first)", "DELETE", `${route}/users/:selected_user_id`, 204, async (t) => {
      const path = `${base(t)}/users/${enc(plainMember(t, grants(t).users).accountId)}`;
      await t.bitbucket(path, put({ permission: level }));
      return t.bitbucket(path, del);
    }),
    c2("explicit group grants", "GET", `${route}/groups`, 200, (t) => t.bitbucket(`${base(t)}/groups`)),
    c2("member consumer lacks the admin scope", "GET", `${route}/groups`, 403, (t) =>
      t.bitbucket(`${base(t)}/groups`, { member: true }),
    ),
    c2("one group grant", "GET", `${route}/groups/:group_slug`, 200, (t) =>
      t.bitbucket(`${base(t)}/groups/${enc(firstGroup(t).slug)}`),
    ),
    c2("unknown group", "GET", `${route}/groups/:group_slug`, 404, (t) =>
      t.bitbucket(`${base(t)}/groups/no-such-group`),
    ),
    c2("re-set a group's level (idempotent)", "PUT", `${route}/groups/:group_slug`, 200, (t) => {
      const g = grants(t).groups[0] as { slug: string; permission: string };
      return t.bitbucket(`${base(t)}/groups/${enc(g.slug)}`, put({ permission: g.permission }));
    }),
    c2("remove a group's grant, then restore it", "DELETE", `${route}/groups/:group_slug`, 204, async (t) => {
      const g = { ...(grants(t).groups[0] as { slug: string; permission: string }) };
      const res = await t.bitbucket(`${base(t)}/groups/${enc(g.slug)}`, del);
      await t.bitbucket(`${base(t)}/groups/${enc(g.slug)}`, put({ permission: g.permission }));
      return res;
    }),
  ];
}

export const cases: ContractCase[] = [
  // ---------------------------------------------------------------- workspace
  c2("the workspace", "GET", "/2.0/workspaces/:workspace", 200, (t) => t.bitbucket(`/2.0/workspaces/${ws(t)}`)),
  c2("the workspace by {uuid}", "GET", "/2.0/workspaces/:workspace", 200, (t) =>
    t.bitbucket(`/2.0/workspaces/${enc(bb(t).workspace.uuid)}`),
  ),
  c2("unknown workspace", "GET", "/2.0/workspaces/:workspace", 404, (t) => t.bitbucket("/2.0/workspaces/no-such-ws")),
  c2("members, clamped page", "GET", "/2.0/workspaces/:workspace/members", 200, (t) =>
    t.bitbucket(`/2.0/workspaces/${ws(t)}/members?pagelen=500`),
  ),
  c2("members, second page", "GET", "/2.0/workspaces/:workspace/members", 200, (t) =>
    t.bitbucket(`/2.0/workspaces/${ws(t)}/members?page=2`),
  ),
  c2("unauthenticated", "GET", "/2.0/workspaces/:workspace/members", 401, (t) =>
    t.fetch(`/bitbucket-api/2.0/workspaces/${ws(t)}/members`),
  ),
  c2("one member by {uuid}", "GET", "/2.0/workspaces/:workspace/members/:member", 200, (t) =>
    t.bitbucket(`/2.0/workspaces/${ws(t)}/members/${enc(plainMember(t).bitbucketUuid!)}`),
  ),
  c2("not a member", "GET", "/2.0/workspaces/:workspace/members/:member", 404, (t) =>
    t.bitbucket(`/2.0/workspaces/${ws(t)}/members/${enc("{00000000-0000-0000-0000-000000000000}")}`),
  ),
  c2("owners", "GET", "/2.0/workspaces/:workspace/permissions", 200, (t) =>
    t.bitbucket(`/2.0/workspaces/${ws(t)}/permissions?q=${enc('permission="owner"')}`),
  ),
  c2("all permission levels", "GET", "/2.0/workspaces/:workspace/permissions", 200, (t) =>
    t.bitbucket(`/2.0/workspaces/${ws(t)}/permissions?pagelen=100&sort=user.display_name`),
  ),
  c2("projects", "GET", "/2.0/workspaces/:workspace/projects", 200, (t) =>
    t.bitbucket(`/2.0/workspaces/${ws(t)}/projects?pagelen=100`),
  ),
  c2("projects of an unknown workspace", "GET", "/2.0/workspaces/:workspace/projects", 404, (t) =>
    t.bitbucket("/2.0/workspaces/no-such-ws/projects"),
  ),
  c2("one project", "GET", "/2.0/workspaces/:workspace/projects/:project_key", 200, (t) =>
    t.bitbucket(`/2.0/workspaces/${ws(t)}/projects/${enc(bb(t).projects[0]!.key)}`),
  ),
  c2("unknown project", "GET", "/2.0/workspaces/:workspace/projects/:project_key", 404, (t) =>
    t.bitbucket(`/2.0/workspaces/${ws(t)}/projects/NOSUCHKEY`),
  ),

  // ---------------------------------------------------------------- repositories
  c2("repositories", "GET", "/2.0/repositories/:workspace", 200, (t) =>
    t.bitbucket(`/2.0/repositories/${ws(t)}?pagelen=100`),
  ),
  c2("repositories filtered and sorted", "GET", "/2.0/repositories/:workspace", 200, (t) =>
    t.bitbucket(
      `/2.0/repositories/${ws(t)}?role=member&q=${enc(`project.key="${bb(t).projects[0]!.key}"`)}&sort=-updated_on`,
    ),
  ),
  c2("repositories of an unknown workspace", "GET", "/2.0/repositories/:workspace", 404, (t) =>
    t.bitbucket("/2.0/repositories/no-such-ws"),
  ),
  c2("one repository", "GET", "/2.0/repositories/:workspace/:repo_slug", 200, (t) =>
    t.bitbucket(`/2.0/repositories/${ws(t)}/${enc(bb(t).repos[0]!.slug)}`),
  ),
  c2("a private repository without access", "GET", "/2.0/repositories/:workspace/:repo_slug", 403, (t) =>
    t.bitbucket(`/2.0/repositories/${ws(t)}/${enc(hiddenRepo(t).slug)}`, { member: true }),
  ),
  c2("unknown repository", "GET", "/2.0/repositories/:workspace/:repo_slug", 404, (t) =>
    t.bitbucket(`/2.0/repositories/${ws(t)}/no-such-repo`),
  ),
  c2("branch restrictions", "GET", "/2.0/repositories/:workspace/:repo_slug/branch-restrictions", 200, (t) =>
    t.bitbucket(`/2.0/repositories/${ws(t)}/${enc(protectedRepo(t).slug)}/branch-restrictions`),
  ),
  c2(
    "branch restrictions of one kind",
    "GET",
    "/2.0/repositories/:workspace/:repo_slug/branch-restrictions",
    200,
    (t) => {
      const repo = protectedRepo(t);
      return t.bitbucket(
        `/2.0/repositories/${ws(t)}/${enc(repo.slug)}/branch-restrictions?kind=${enc(repo.branchRestrictions[0]!.kind)}`,
      );
    },
  ),
  c2(
    "member consumer lacks the admin scope",
    "GET",
    "/2.0/repositories/:workspace/:repo_slug/branch-restrictions",
    403,
    (t) =>
      t.bitbucket(`/2.0/repositories/${ws(t)}/${enc(protectedRepo(t).slug)}/branch-restrictions`, { member: true }),
  ),
  c2("one branch restriction", "GET", "/2.0/repositories/:workspace/:repo_slug/branch-restrictions/:id", 200, (t) => {
    const repo = protectedRepo(t);
    return t.bitbucket(
      `/2.0/repositories/${ws(t)}/${enc(repo.slug)}/branch-restrictions/${repo.branchRestrictions[0]!.id}`,
    );
  }),
  c2("unknown branch restriction", "GET", "/2.0/repositories/:workspace/:repo_slug/branch-restrictions/:id", 404, (t) =>
    t.bitbucket(`/2.0/repositories/${ws(t)}/${enc(protectedRepo(t).slug)}/branch-restrictions/999999`),
  ),

  // ---------------------------------------------------------------- explicit permissions
  ...permissionsConfigCases(PROJECT_CONFIG, (t) => projectBase(t, grantedProject(t)), grantedProject, "create-repo"),
  ...permissionsConfigCases(REPO_CONFIG, (t) => repoBase(t, grantedRepo(t)), grantedRepo, "write"),

  // ---------------------------------------------------------------- effective permissions
  c2("effective repository permissions", "GET", "/2.0/workspaces/:workspace/permissions/repositories", 200, (t) =>
    t.bitbucket(`/2.0/workspaces/${ws(t)}/permissions/repositories?pagelen=100`),
  ),
  c2("above read, sorted", "GET", "/2.0/workspaces/:workspace/permissions/repositories", 200, (t) =>
    t.bitbucket(
      `/2.0/workspaces/${ws(t)}/permissions/repositories?q=${enc('permission>"read"')}&sort=user.display_name`,
    ),
  ),
  c2("not a workspace admin", "GET", "/2.0/workspaces/:workspace/permissions/repositories", 403, (t) =>
    t.bitbucket(`/2.0/workspaces/${ws(t)}/permissions/repositories`, { member: true }),
  ),
  c2(
    "effective permissions of one repository",
    "GET",
    "/2.0/workspaces/:workspace/permissions/repositories/:repo_slug",
    200,
    (t) => t.bitbucket(`/2.0/workspaces/${ws(t)}/permissions/repositories/${enc(grantedRepo(t).slug)}`),
  ),
  c2("not a workspace admin", "GET", "/2.0/workspaces/:workspace/permissions/repositories/:repo_slug", 403, (t) =>
    t.bitbucket(`/2.0/workspaces/${ws(t)}/permissions/repositories/${enc(grantedRepo(t).slug)}`, { member: true }),
  ),

  // ---------------------------------------------------------------- caller
  c2("the consumer's owner", "GET", "/2.0/user", 200, (t) => t.bitbucket("/2.0/user")),
  c2("unauthenticated", "GET", "/2.0/user", 401, (t) => t.fetch("/bitbucket-api/2.0/user")),
];

const removed = (route: string): UnspecifiedRoute => ({
  api: "bitbucket",
  method: "GET",
  route,
  reason:
    "Removed by Atlassian in 2026 (CHANGE-2770): answers 410 Gone with Bitbucket's error body; the 2024 Swagger " +
    "document still lists the operation with its old 200 response only.",
});

const v1 = (method: string, route: string): UnspecifiedRoute => ({
  api: "bitbucket",
  method,
  route,
  reason:
    "Bitbucket 1.0 groups API: the only source of workspace groups and their members (no 2.0 equivalent); " +
    "not described by the 2.0 Swagger document.",
});

const since2026 = (route: string): UnspecifiedRoute => ({
  api: "bitbucket",
  method: "GET",
  route,
  reason:
    "Added by Atlassian in 2026 (CHANGE-3022) as the replacement of the removed /user/permissions endpoints; absent from the 2024 Swagger document.",
});

export const unspecified: UnspecifiedRoute[] = [
  removed("/2.0/workspaces"),
  removed("/2.0/repositories"),
  removed("/2.0/user/permissions/repositories"),
  removed("/2.0/user/permissions/workspaces"),
  since2026("/2.0/user/workspaces"),
  since2026("/2.0/user/workspaces/:workspace/permission"),
  since2026("/2.0/user/workspaces/:workspace/permissions/repositories"),
  v1("GET", "/1.0/groups/:workspace"),
  v1("GET", "/1.0/groups/:workspace/:group_slug/members"),
  v1("PUT", "/1.0/groups/:workspace/:group_slug/members/:member"),
  v1("DELETE", "/1.0/groups/:workspace/:group_slug/members/:member"),
  {
    api: "bitbucket-oauth",
    method: "POST",
    route: "/site/oauth2/access_token",
    reason:
      "Bitbucket's OAuth 2.0 token endpoint on bitbucket.org (client_credentials and refresh_token grants); the " +
      "Swagger document names it only as the oauth2 tokenUrl and describes no operation for it.",
  },
];
