/**
 * The Bitbucket Cloud connector (discovery, read-only): the workspace, its members with their permission level, its
 * groups with their members, projects, repositories, explicit project and repository permissions (or, without admin
 * rights, the workspace's effective repository permissions), and the protection of each repository's main branch.
 * Every call goes through the one transport (which alone paces, retries and refreshes the OAuth token on a 401),
 * and each page is turned into snapshot rows as it arrives.
 *
 * Calls (Bitbucket Cloud 2.0, `../shared/atlassian-specs/bitbucket-swagger.json`; the 1.0 groups API, reference §6),
 * every list at `pagelen=100`, the documented maximum (reference §2.6):
 *  1. `GET /2.0/workspaces/{ws}` — the workspace (uuid, slug, name); a 404 or 403 here fails the read.
 *  2. `GET /2.0/workspaces/{ws}/permissions` — every member with their level (owner | collaborator | member) in one
 *     listing; `/members` gives the same users without the level, so it is not read.
 *  3. `GET /1.0/groups/{ws}` — every group with its members in one unpaginated call (no 2.0 equivalent; the
 *     per-group `…/members` call would only repeat them). Workspace admins only.
 *  4. `GET /2.0/workspaces/{ws}/projects` and 5. `GET /2.0/repositories/{ws}` — the projects and repositories the
 *     consumer's owner can see.
 *  6. Permissions. The first `permissions-config` call (the first repository's `…/permissions-config/users`) is the
 *     one probe that decides the mode, never one probe per repository:
 *     - admin mode (it answers): `permissions-config/users` and `/groups` of every project (`project:admin`) and
 *       every repository (`repository:admin`) — the explicit grants, with their group and project sources;
 *     - fallback mode (it answers 403): `GET /2.0/workspaces/{ws}/permissions/repositories`, each user's effective
 *       level per repository ("does not distinguish between direct and indirect (group) privileges"); no project
 *       permissions. The section is partial with a reason; a 403 on the fallback too leaves repository permissions
 *       out, with its own reason.
 *  7. Unless `skipBranchProtection`: `GET /2.0/repositories/{ws}/{slug}/branch-restrictions` per repository with a
 *     main branch (`repository:admin`); the first one probes, so a consumer without the scope costs one call.
 *
 * Plus the OAuth token request (client credentials), made by the token provider outside this reader.
 */
import { bitbucketPages } from "@accessmap/shared/pagination/drivers";
import {
  mapLimit,
  PartialTracker,
  type ProgressEvent,
  type ReaderContext,
  type ReaderResult,
} from "@accessmap/shared/readers/reader";
import type { BitbucketSection, BranchProtection } from "@accessmap/shared/snapshot/schema";
import { ForbiddenError, NotFoundError } from "@accessmap/shared/transport/errors";
import type { ZodType } from "zod";
import { deriveBranchProtection } from "./branch-protection.js";
import {
  type BbBranchRestriction,
  BbBranchRestrictionPageSchema,
  BbEffectivePermissionPageSchema,
  type BbGroupGrant,
  BbGroupGrantPageSchema,
  BbGroupsV1Schema,
  BbMembershipPageSchema,
  type BbProject,
  BbProjectPageSchema,
  BbRepositoryPageSchema,
  type BbUserGrant,
  BbUserGrantPageSchema,
  BbWorkspaceSchema,
} from "./schemas.js";
import {
  type BbGroupMemberRow,
  type BbGroupRow,
  type BbMemberRow,
  type BbProjectPermissionRow,
  type BbProjectRow,
  type BbRepositoryPermissionRow,
  type BbRepositoryRow,
  toEffectivePermission,
  toGroup,
  toGroupMembers,
  toMember,
  toProject,
  toProjectGroupGrant,
  toProjectUserGrant,
  toRepoGroupGrant,
  toRepository,
  toRepoUserGrant,
  toWorkspace,
} from "./transform.js";

const PRODUCT = "bitbucket";
/** Projects or repositories read at once; the governor caps the real concurrency. */
const FAN_OUT = 8;
/** How many names a reason lists before summarizing the rest. */
const NAMES_IN_REASON = 10;
/** `pagelen`: "the maximum 100" for every 2.0 listing (reference §2.6, §5). */
export const BITBUCKET_PAGELEN = 100;

/** Why a fallback-mode section is partial (the consumer could not read `permissions-config`). */
export const FALLBACK_REASON =
  "repository permissions: the OAuth consumer's owner lacks Repositories: Admin / workspace admin, so " +
  "per-repository permissions come from the workspace's effective-permission listing: group grants and project " +
  "inheritance are not visible, and project permissions were not read. To read the explicit grants, give the " +
  "OAuth consumer the Repositories: Admin and Projects: Admin permissions (scopes repository:admin, project:admin) " +
  "and have a workspace admin own it, then run discovery again.";

/** Why repository permissions are missing when the fallback answers 403 too. */
export const NO_PERMISSIONS_REASON =
  "repository permissions: Bitbucket answered 403 Forbidden to permissions-config (the OAuth consumer lacks the " +
  "repository:admin scope, or its owner is not an admin of the repositories) and to the workspace's " +
  "effective-permission listing (workspace admins only), so no repository or project permissions were read. Have " +
  "a workspace admin own the OAuth consumer, give it Repositories: Admin and Projects: Admin, and run discovery again.";

export interface ReadBitbucketOptions {
  /** Workspace slug (or `{uuid}`). */
  workspace: string;
  skipBranchProtection: boolean;
}

// ---------------------------------------------------------------- call lower bound (benchmark)

/** How many of each entity a workspace holds, as far as the call count depends on it. */
export interface BitbucketShape {
  /** Workspace members (rows of `/permissions`). */
  members: number;
  /** Explicit user and group grants of each visible project. */
  projects: ReadonlyArray<{ users: number; groups: number }>;
  /** Explicit grants and branch restrictions of each visible repository. */
  repositories: ReadonlyArray<{ users: number; groups: number; branchRestrictions: number; hasMainBranch?: boolean }>;
  /** Rows of the workspace's effective-permission listing (fallback mode). */
  effectivePermissions: number;
}

export interface BitbucketCallOptions {
  mode: "admin" | "fallback";
  skipBranchProtection?: boolean;
  /** Whether branch restrictions answer (`repository:admin`); default: in admin mode only. */
  branchRestrictionsReadable?: boolean;
  /** Whether the fallback listing answers (workspace admin); default true. */
  effectiveReadable?: boolean;
}

/** Calls of one 2.0 listing: one per full page of 100, and one even when empty. */
function pages(items: number): number {
  return Math.max(1, Math.ceil(items / BITBUCKET_PAGELEN));
}

/** The fewest calls each endpoint needs for a workspace of this shape: every list at `pagelen=100`. */
export function bitbucketCallBreakdown(shape: BitbucketShape, opts: BitbucketCallOptions): Record<string, number> {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const admin = opts.mode === "admin";
  const repos = shape.repositories;
  const withMain = repos.filter((r) => r.hasMainBranch !== false);
  const branchReadable = opts.branchRestrictionsReadable ?? admin;
  const out: Record<string, number> = {
    "POST /site/oauth2/access_token": 1,
    "GET /2.0/workspaces/{workspace}": 1,
    "GET /2.0/workspaces/{workspace}/permissions": pages(shape.members),
    "GET /1.0/groups/{workspace}": 1,
    "GET /2.0/workspaces/{workspace}/projects": pages(shape.projects.length),
    "GET /2.0/repositories/{workspace}": pages(repos.length),
  };
  if (admin) {
    out["GET /2.0/workspaces/{workspace}/projects/{project_key}/permissions-config/users"] = sum(
      shape.projects.map((p) => pages(p.users)),
    );
    out["GET /2.0/workspaces/{workspace}/projects/{project_key}/permissions-config/groups"] = sum(
      shape.projects.map((p) => pages(p.groups)),
    );
    out["GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config/users"] = sum(
      repos.map((r) => pages(r.users)),
    );
    out["GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config/groups"] = sum(
      repos.map((r) => pages(r.groups)),
    );
  } else if (repos.length > 0) {
    // One refused probe, then the workspace's effective listing (one refused call when it is refused too).
    out["GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config/users"] = 1;
    out["GET /2.0/workspaces/{workspace}/permissions/repositories"] =
      opts.effectiveReadable === false ? 1 : pages(shape.effectivePermissions);
  }
  if (!opts.skipBranchProtection && withMain.length > 0) {
    out["GET /2.0/repositories/{workspace}/{repo_slug}/branch-restrictions"] = branchReadable
      ? sum(withMain.map((r) => pages(r.branchRestrictions)))
      : 1;
  }
  return out;
}

/** The call lower bound of a Bitbucket read, token request included, for the benchmark. */
export function minimumBitbucketCalls(shape: BitbucketShape, opts: BitbucketCallOptions): number {
  return Object.values(bitbucketCallBreakdown(shape, opts)).reduce((a, b) => a + b, 0);
}

// ---------------------------------------------------------------- the reader

/** Names for a reason: the first few, then how many more. */
function nameList(names: readonly string[]): string {
  const shown = names.slice(0, NAMES_IN_REASON).join(", ");
  return names.length > NAMES_IN_REASON ? `${shown} and ${names.length - NAMES_IN_REASON} more` : shown;
}

type Part = "project permissions" | "repository permissions" | "branch restrictions";

/** Per-project or per-repository refusals, gathered so one reason names every item that shares a cause. */
class Problems {
  private readonly buckets = new Map<string, { part: Part; status: number; names: string[] }>();

  add(part: Part, err: ForbiddenError | NotFoundError, name: string): void {
    const key = `${part} ${err.status}`;
    const bucket = this.buckets.get(key) ?? { part, status: err.status, names: [] };
    if (!bucket.names.includes(name)) bucket.names.push(name);
    this.buckets.set(key, bucket);
  }

  reasons(): string[] {
    return [...this.buckets.values()].map(({ part, status, names }) => {
      const head = `${part} of ${nameList(names)}: Bitbucket answered ${status === 403 ? "403 Forbidden" : "404 Not Found"}`;
      if (status === 404) return `${head} — deleted while discovery ran, so left out. Run discovery again.`;
      return `${head} — ${forbiddenAdvice(part)}`;
    });
  }
}

/** What a 403 on a part means and how to lift it. */
function forbiddenAdvice(part: Part): string {
  switch (part) {
    case "project permissions":
      return (
        "reading a project's permissions-config needs the project:admin scope (Projects: Admin) and an OAuth " +
        "consumer owned by a project or workspace admin, so explicit project grants were not read. Give the " +
        "consumer Projects: Admin and run discovery again."
      );
    case "repository permissions":
      return (
        "reading a repository's permissions-config needs the repository:admin scope (Repositories: Admin) and an " +
        "OAuth consumer owned by a repository or workspace admin. Give the consumer Repositories: Admin and run " +
        "discovery again."
      );
    case "branch restrictions":
      return (
        "reading branch restrictions needs the repository:admin scope (Repositories: Admin) on the OAuth consumer, " +
        "owned by a repository or workspace admin, so branch protection was not read. Give the consumer " +
        "Repositories: Admin, or set skipBranchProtectionDiscovery to skip this part, and run discovery again."
      );
  }
}

type Attempt<R> = { ok: true; value: R } | { ok: false; err: ForbiddenError | NotFoundError };

/** Runs `fn`; a 403 or 404 is returned as a value, anything else propagates. */
async function attempt<R>(fn: () => Promise<R>): Promise<Attempt<R>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof ForbiddenError || err instanceof NotFoundError) return { ok: false, err };
    throw err;
  }
}

/** The first item that answered, or `forbidden` when the first refusal was a 403. */
type Probe<R> = { forbidden: true } | { forbidden: false; index: number; value: R | null };

/**
 * Reads `items` one by one until one answers (the probe) or one is refused with 403: the credential then lacks the
 * right for all of them, so nothing more is asked. A 404 (deleted during the run) is recorded and the next is tried.
 */
async function probeFirst<T, R>(
  items: readonly T[],
  name: (item: T) => string,
  part: Part,
  problems: Problems,
  read: (item: T) => Promise<R>,
): Promise<Probe<R>> {
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as T;
    const outcome = await attempt(() => read(item));
    if (outcome.ok) return { forbidden: false, index: i, value: outcome.value };
    if (outcome.err instanceof ForbiddenError) return { forbidden: true };
    problems.add(part, outcome.err, name(item));
  }
  return { forbidden: false, index: items.length, value: null };
}

/** Reads `items` `FAN_OUT` at a time; each 403 or 404 is recorded against its item, anything else fails the read. */
async function fanOut<T, R>(
  items: readonly T[],
  name: (item: T) => string,
  part: Part,
  problems: Problems,
  read: (item: T) => Promise<R>,
  onRead?: () => void,
): Promise<R[]> {
  let failed = false;
  const results = await mapLimit(items, FAN_OUT, async (item) => {
    if (failed) return null;
    try {
      const outcome = await attempt(() => read(item));
      if (!outcome.ok) {
        problems.add(part, outcome.err, name(item));
        return null;
      }
      onRead?.();
      return outcome.value;
    } catch (err) {
      // Stop asking for more: the read fails anyway.
      failed = true;
      throw err;
    }
  });
  return results.filter((r): r is Awaited<R> => r !== null) as R[];
}

/** `probeFirst`, then `fanOut` over the rest; `forbidden` when the probe was refused with 403. */
async function probeThenFanOut<T, R>(
  items: readonly T[],
  name: (item: T) => string,
  part: Part,
  problems: Problems,
  read: (item: T) => Promise<R>,
  progress: (done: number) => void,
): Promise<{ forbidden: boolean; results: R[] }> {
  const probe = await probeFirst(items, name, part, problems, read);
  if (probe.forbidden) return { forbidden: true, results: [] };
  return { forbidden: false, results: await withRest(probe, items, name, part, problems, read, progress) };
}

/** The probe's result followed by the rest of the items, read in parallel. */
async function withRest<T, R>(
  probe: Extract<Probe<R>, { forbidden: false }>,
  items: readonly T[],
  name: (item: T) => string,
  part: Part,
  problems: Problems,
  read: (item: T) => Promise<R>,
  progress: (done: number) => void,
): Promise<R[]> {
  const first = probe.value === null ? [] : [probe.value];
  let done = first.length;
  progress(done);
  const rest = await fanOut(items.slice(probe.index + 1), name, part, problems, read, () => progress(++done));
  return [...first, ...rest];
}

/** Reads the Bitbucket section of one workspace through `ctx.transport`. */
export async function readBitbucket(
  ctx: ReaderContext,
  opts: ReadBitbucketOptions,
): Promise<ReaderResult<BitbucketSection>> {
  const tracker = new PartialTracker();
  const problems = new Problems();
  const progress = (phase: string, done: number, total: number | null) =>
    ctx.progress?.({ product: PRODUCT, phase, done, total } satisfies ProgressEvent);

  // The workspace itself: without it nothing else means anything, so a 403/404 here fails the read.
  const { data: wsData } = await ctx.transport.request({
    path: `/2.0/workspaces/${encodeURIComponent(opts.workspace)}`,
    schema: BbWorkspaceSchema,
    endpoint: "GET /2.0/workspaces/{workspace}",
    signal: ctx.signal,
  });
  const workspace = toWorkspace(wsData);
  progress("workspace", 1, 1);
  const ws = encodeURIComponent(workspace.slug);
  const list = bitbucketLister(ctx);

  const [members, groups, rawProjects, repositories] = await Promise.all([
    tracker.part(
      "members",
      [] as BbMemberRow[],
      async () => {
        const rows: BbMemberRow[] = [];
        for await (const page of list(
          `/2.0/workspaces/${ws}/permissions`,
          "GET /2.0/workspaces/{workspace}/permissions",
          BbMembershipPageSchema,
          (m) => m.user.account_id,
        )) {
          for (const m of page) rows.push(toMember(m));
          progress("members", rows.length, null);
        }
        return rows;
      },
      (err) =>
        `workspace members: Bitbucket answered ${err.status} — the OAuth consumer's owner cannot list the ` +
        `workspace's members, so no members were read. Have a workspace member own the consumer (scope account).`,
    ),
    tracker.part(
      "groups",
      { groups: [] as BbGroupRow[], groupMembers: [] as BbGroupMemberRow[] },
      async () => {
        const { data } = await ctx.transport.request({
          path: `/1.0/groups/${ws}`,
          schema: BbGroupsV1Schema,
          endpoint: "GET /1.0/groups/{workspace}",
          signal: ctx.signal,
        });
        const out = { groups: data.map(toGroup), groupMembers: data.flatMap(toGroupMembers) };
        progress("groups", out.groups.length, out.groups.length);
        return out;
      },
      (err) =>
        `groups: Bitbucket answered ${err.status} to the 1.0 groups API — only workspace admins may list groups ` +
        `and their members, so groups and group members were not read (and group grants cannot be expanded to ` +
        `people). Have a workspace admin own the OAuth consumer and run discovery again.`,
    ),
    tracker.part("projects", [] as BbProject[], async () => {
      const rows: BbProject[] = [];
      for await (const page of list(
        `/2.0/workspaces/${ws}/projects`,
        "GET /2.0/workspaces/{workspace}/projects",
        BbProjectPageSchema,
        (p) => p.key,
      )) {
        rows.push(...page);
        progress("projects", rows.length, null);
      }
      return rows;
    }),
    tracker.part("repositories", [] as BbRepositoryRow[], async () => {
      const rows: BbRepositoryRow[] = [];
      for await (const page of list(
        `/2.0/repositories/${ws}`,
        "GET /2.0/repositories/{workspace}",
        BbRepositoryPageSchema,
        (r) => r.uuid,
      )) {
        for (const r of page) rows.push(toRepository(r));
        progress("repositories", rows.length, null);
      }
      return rows;
    }),
  ]);
  const publicProjects = new Set(repositories.filter((r) => !r.is_private).map((r) => r.project_key));
  const projects = rawProjects.map((p) => toProject(p, publicProjects.has(p.key)));

  const [permissions, branchProtection] = await Promise.all([
    readPermissions(ctx, ws, projects, repositories, tracker, problems, list),
    opts.skipBranchProtection
      ? Promise.resolve([] as BranchProtection[])
      : readBranchProtection(ctx, ws, repositories, tracker, problems, list),
  ]);
  for (const reason of problems.reasons()) tracker.note(reason);

  const section: BitbucketSection = {
    workspace,
    permissionMode: permissions.mode,
    members,
    groups: groups.groups,
    groupMembers: groups.groupMembers,
    projects,
    repositories,
    projectPermissions: permissions.projectPermissions,
    repositoryPermissions: permissions.repositoryPermissions,
    branchProtection,
  };
  return {
    section,
    reasons: tracker.reasons,
    counts: {
      members: members.length,
      groups: section.groups.length,
      groupMembers: section.groupMembers.length,
      projects: projects.length,
      repositories: repositories.length,
      projectPermissions: section.projectPermissions.length,
      repositoryPermissions: section.repositoryPermissions.length,
      branchProtection: branchProtection.length,
    },
  };
}

/** Walks a 2.0 listing page by page at `pagelen=100`, repeated items dropped by `key`. */
export type List = <T>(
  path: string,
  endpoint: string,
  schema: ZodType<{ values?: T[]; next?: string | null }>,
  key?: (item: T) => string,
) => AsyncGenerator<T[]>;

/** The {@link List} of a reader context (its transport and cancellation signal). */
export function bitbucketLister(ctx: ReaderContext): List {
  return <T>(
    path: string,
    endpoint: string,
    schema: ZodType<{ values?: T[]; next?: string | null }>,
    key?: (item: T) => string,
  ) =>
    bitbucketPages<T>({
      transport: ctx.transport,
      path,
      query: { pagelen: BITBUCKET_PAGELEN },
      schema,
      endpoint,
      key,
      signal: ctx.signal,
    });
}

interface Permissions {
  mode: "admin" | "fallback";
  projectPermissions: BbProjectPermissionRow[];
  repositoryPermissions: BbRepositoryPermissionRow[];
}

/**
 * Every page of one `permissions-config` pair: users (with `toUser`), then groups (with `toGroup`); with `only`,
 * just one of the two (a caller reading both side by side).
 */
export async function readGrants<R>(
  list: List,
  base: string,
  endpointBase: string,
  toUser: (g: BbUserGrant) => R,
  toGroup: (g: BbGroupGrant) => R,
  only?: "users" | "groups",
): Promise<R[]> {
  const rows: R[] = [];
  // Users first: on the first repository this is the probe, the one call that decides the mode.
  if (only !== "groups") {
    for await (const page of list(
      `${base}/users`,
      `${endpointBase}/users`,
      BbUserGrantPageSchema,
      (g) => g.user.account_id,
    ))
      for (const g of page) rows.push(toUser(g));
  }
  if (only !== "users") {
    for await (const page of list(
      `${base}/groups`,
      `${endpointBase}/groups`,
      BbGroupGrantPageSchema,
      (g) => g.group.slug,
    ))
      for (const g of page) rows.push(toGroup(g));
  }
  return rows;
}

/** Explicit grants (admin mode) or effective levels (fallback mode), decided by one probe. */
async function readPermissions(
  ctx: ReaderContext,
  ws: string,
  projects: readonly BbProjectRow[],
  repositories: readonly BbRepositoryRow[],
  tracker: PartialTracker,
  problems: Problems,
  list: List,
): Promise<Permissions> {
  const readRepo = (r: BbRepositoryRow) =>
    readGrants(
      list,
      `/2.0/repositories/${ws}/${encodeURIComponent(r.slug)}/permissions-config`,
      "GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config",
      (g) => toRepoUserGrant(r.slug, g),
      (g) => toRepoGroupGrant(r.slug, g),
    );
  const readProject = (p: BbProjectRow) =>
    readGrants(
      list,
      `/2.0/workspaces/${ws}/projects/${encodeURIComponent(p.key)}/permissions-config`,
      "GET /2.0/workspaces/{workspace}/projects/{project_key}/permissions-config",
      (g) => toProjectUserGrant(p.key, g),
      (g) => toProjectGroupGrant(p.key, g),
    );
  const progress = (phase: string, total: number) => (done: number) =>
    ctx.progress?.({ product: PRODUCT, phase, done, total });

  const probe = await probeFirst(repositories, (r) => r.slug, "repository permissions", problems, readRepo);
  if (!probe.forbidden) {
    // Admin mode: the other repositories and every project, in parallel.
    const [repoRows, projectRead] = await Promise.all([
      withRest(
        probe,
        repositories,
        (r) => r.slug,
        "repository permissions",
        problems,
        readRepo,
        progress("repository permissions", repositories.length),
      ),
      probeThenFanOut(
        projects,
        (p) => p.key,
        "project permissions",
        problems,
        readProject,
        progress("project permissions", projects.length),
      ),
    ]);
    if (projectRead.forbidden) {
      tracker.note(`project permissions: Bitbucket answered 403 Forbidden — ${forbiddenAdvice("project permissions")}`);
    }
    return { mode: "admin", projectPermissions: projectRead.results.flat(), repositoryPermissions: repoRows.flat() };
  }

  // Fallback: the workspace's effective permissions, one listing for every repository.
  const slugByUuid = new Map(repositories.map((r) => [r.uuid.toLowerCase(), r.slug]));
  const effective = await tracker.part(
    "repository permissions",
    null as BbRepositoryPermissionRow[] | null,
    async () => {
      const rows: BbRepositoryPermissionRow[] = [];
      for await (const page of list(
        `/2.0/workspaces/${ws}/permissions/repositories`,
        "GET /2.0/workspaces/{workspace}/permissions/repositories",
        BbEffectivePermissionPageSchema,
        (e) => `${e.repository.uuid ?? e.repository.full_name}|${e.user.account_id}`,
      )) {
        for (const e of page) rows.push(toEffectivePermission(e, slugByUuid));
        ctx.progress?.({ product: PRODUCT, phase: "repository permissions", done: rows.length, total: null });
      }
      return rows;
    },
    () => NO_PERMISSIONS_REASON,
  );
  if (effective !== null) tracker.note(FALLBACK_REASON);
  return { mode: "fallback", projectPermissions: [], repositoryPermissions: effective ?? [] };
}

/** The protection of one repository's main branch, from its branch restrictions (every page). */
export async function readBranchRestrictions(
  list: List,
  ws: string,
  r: { slug: string; mainbranch: string },
): Promise<BranchProtection> {
  const restrictions: BbBranchRestriction[] = [];
  for await (const page of list(
    `/2.0/repositories/${ws}/${encodeURIComponent(r.slug)}/branch-restrictions`,
    "GET /2.0/repositories/{workspace}/{repo_slug}/branch-restrictions",
    BbBranchRestrictionPageSchema,
    (b) => (b.id === undefined ? `${b.kind}|${b.branch_match_kind}|${b.pattern}|${b.branch_type}` : String(b.id)),
  ))
    restrictions.push(...page);
  return deriveBranchProtection(r.slug, r.mainbranch, restrictions);
}

/** The protection of every repository's main branch, from its branch restrictions. */
async function readBranchProtection(
  ctx: ReaderContext,
  ws: string,
  repositories: readonly BbRepositoryRow[],
  tracker: PartialTracker,
  problems: Problems,
  list: List,
): Promise<BranchProtection[]> {
  // A repository without a main branch (empty) has nothing to protect yet: no call.
  const withMain = repositories.filter((r) => r.mainbranch !== null);
  const read = (r: BbRepositoryRow): Promise<BranchProtection> =>
    readBranchRestrictions(list, ws, { slug: r.slug, mainbranch: r.mainbranch as string });
  const out = await probeThenFanOut(
    withMain,
    (r) => r.slug,
    "branch restrictions",
    problems,
    read,
    (done) => ctx.progress?.({ product: PRODUCT, phase: "branch restrictions", done, total: withMain.length }),
  );
  if (out.forbidden) {
    tracker.note(`branch protection: Bitbucket answered 403 Forbidden — ${forbiddenAdvice("branch restrictions")}`);
  }
  return out.results;
}
