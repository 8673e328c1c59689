/**
 * Targeted Bitbucket reads for event patches: the repositories and projects an event names, read through the same
 * transport as a full read (which alone paces and retries) and turned into the same snapshot rows — as partition
 * changes of the current section (`model/snapshot-delta.ts`), never a section of their own.
 *
 * Calls per repository (Bitbucket Cloud 2.0, `../shared/atlassian-specs/bitbucket-swagger.json`):
 *  1. `GET /2.0/repositories/{ws}/{repo}` — the row (`{repo}`: slug or `{uuid}`); a 404 means it is gone (deleted
 *     or transferred): its rows leave the section.
 *  2. its permissions as the section holds them: `permissions-config/users` and `/groups` (admin mode), or the
 *     workspace's effective-permission listing for that one repository,
 *     `GET /2.0/workspaces/{ws}/permissions/repositories/{repo_slug}` (fallback mode);
 *  3. unless branch protection is skipped and when it has a main branch: `…/branch-restrictions`.
 * For a repository the section holds, 2. and 3. are sent beside 1. under the slug and main branch it had — one
 * round trip — and sent again only when 1. says the repository was renamed or its main branch changed.
 * Its project (or both, when it moved) is read again only when its visibility or project changed, since a
 * project's `has_publicly_visible_repos` follows its repositories. Per project: `GET /2.0/workspaces/{ws}/projects/
 * {key}`, and in admin mode its `permissions-config/users` and `/groups`.
 *
 * A refusal (403) anywhere, or a 404 after the repository answered, means the read cannot stand for what a full
 * read would see (the consumer lost a scope, the repository moved mid-read): the answer is `fallback`, and the
 * caller reads the whole section instead.
 *
 * @module
 */
import { mapLimit, type ReaderContext } from "@accessmap/shared/readers/reader";
import type { BitbucketSection, BranchProtection } from "@accessmap/shared/snapshot/schema";
import { ForbiddenError, NotFoundError } from "@accessmap/shared/transport/errors";
import { putPartition, type SectionChange } from "../../model/snapshot-delta.js";
import { bitbucketLister, readBranchRestrictions, readGrants } from "./read-bitbucket.js";
import { BbEffectivePermissionPageSchema, BbProjectSchema, BbRepositorySchema } from "./schemas.js";
import {
  type BbProjectPermissionRow,
  type BbProjectRow,
  type BbRepositoryPermissionRow,
  type BbRepositoryRow,
  toEffectivePermission,
  toProject,
  toProjectGroupGrant,
  toProjectUserGrant,
  toRepoGroupGrant,
  toRepository,
  toRepoUserGrant,
} from "./transform.js";

/** Repositories read at once; the governor caps the real concurrency. */
const FAN_OUT = 8;

export interface BitbucketTargets {
  /** Repositories by slug or `{uuid}`. */
  repositories: readonly string[];
  /** Projects by key. */
  projects: readonly string[];
}

export type TargetedRead = { ok: true; change: SectionChange } | { ok: false; reason: string };

/** Thrown inside the read when it cannot stand for a full read; carries the reason. */
class Fallback extends Error {
  override name = "Fallback";
}

const isBraced = (ref: string) => ref.startsWith("{") && ref.endsWith("}");

/** The base row a reference names (by `{uuid}`, case-insensitive, or slug), if any. */
function baseRepo(base: BitbucketSection, ref: string): BbRepositoryRow | undefined {
  const lower = ref.toLowerCase();
  return base.repositories.find((r) => (isBraced(ref) ? r.uuid.toLowerCase() === lower : r.slug === ref));
}

async function orFallback<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ForbiddenError || err instanceof NotFoundError) {
      throw new Fallback(`${what}: Bitbucket answered ${err.status}`);
    }
    throw err;
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; err: unknown };

/** A read started early whose failure is only seen if its answer is used. */
function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
}

async function unsettle<T>(p: Promise<Settled<T>>): Promise<T> {
  const r = await p;
  if (r.ok) return r.value;
  throw r.err;
}

interface RepoRead {
  /** The row now, or null when the repository is gone. */
  row: BbRepositoryRow | null;
  /** The slug it had in the base (null when it was not there). */
  before: BbRepositoryRow | null;
  grants: BbRepositoryPermissionRow[];
  protection: BranchProtection | null;
}

/** Reads the named repositories and projects; partition changes of `base`, or `fallback` with the reason. */
export async function readBitbucketTargets(
  ctx: ReaderContext,
  opts: { base: BitbucketSection; skipBranchProtection: boolean; targets: BitbucketTargets },
): Promise<TargetedRead> {
  try {
    return { ok: true, change: await read(ctx, opts) };
  } catch (err) {
    if (err instanceof Fallback) return { ok: false, reason: err.message };
    throw err;
  }
}

async function read(
  ctx: ReaderContext,
  opts: { base: BitbucketSection; skipBranchProtection: boolean; targets: BitbucketTargets },
): Promise<SectionChange> {
  const { base } = opts;
  const ws = encodeURIComponent(base.workspace.slug);
  const list = bitbucketLister(ctx);
  const admin = base.permissionMode === "admin";

  /** The repository's grants as the section holds them (user and group grants read side by side). */
  const readPermissions = async (slug: string, uuid: string): Promise<BbRepositoryPermissionRow[]> => {
    const path = encodeURIComponent(slug);
    if (admin) {
      const [users, groups] = await Promise.all([
        readGrants(
          list,
          `/2.0/repositories/${ws}/${path}/permissions-config`,
          "GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config",
          (g) => toRepoUserGrant(slug, g),
          (g) => toRepoGroupGrant(slug, g),
          "users",
        ),
        readGrants(
          list,
          `/2.0/repositories/${ws}/${path}/permissions-config`,
          "GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config",
          (g) => toRepoUserGrant(slug, g),
          (g) => toRepoGroupGrant(slug, g),
          "groups",
        ),
      ]);
      return [...users, ...groups];
    }
    const slugByUuid = new Map([[uuid.toLowerCase(), slug]]);
    const rows: BbRepositoryPermissionRow[] = [];
    for await (const page of list(
      `/2.0/workspaces/${ws}/permissions/repositories/${path}`,
      "GET /2.0/workspaces/{workspace}/permissions/repositories/{repo_slug}",
      BbEffectivePermissionPageSchema,
      (e) => `${e.repository.uuid ?? e.repository.full_name}|${e.user.account_id}`,
    ))
      for (const e of page) rows.push(toEffectivePermission(e, slugByUuid));
    return rows;
  };
  const readProtection = (slug: string, mainbranch: string | null) =>
    opts.skipBranchProtection || mainbranch === null
      ? Promise.resolve(null)
      : readBranchRestrictions(list, ws, { slug, mainbranch });

  const readRepo = async (ref: string): Promise<RepoRead> => {
    const before = baseRepo(base, ref) ?? null;
    // One round trip when the section knows the repository: its grants and branch restrictions are asked for
    // beside the repository itself, under the slug and main branch it had; asked again if the answer moved them.
    const early = before
      ? ([
          settle(readPermissions(before.slug, before.uuid)),
          settle(readProtection(before.slug, before.mainbranch)),
        ] as const)
      : null;
    let row: BbRepositoryRow;
    try {
      const { data } = await ctx.transport.request({
        path: `/2.0/repositories/${ws}/${encodeURIComponent(ref)}`,
        schema: BbRepositorySchema,
        endpoint: "GET /2.0/repositories/{workspace}/{repo_slug}",
        signal: ctx.signal,
      });
      row = toRepository(data);
    } catch (err) {
      if (early) await Promise.all(early);
      if (err instanceof NotFoundError) return { row: null, before, grants: [], protection: null };
      if (err instanceof ForbiddenError) throw new Fallback(`repository ${ref}: Bitbucket answered 403`);
      throw err;
    }
    const same = before !== null && before.slug === row.slug;
    const grants = orFallback(`permissions of repository ${row.slug}`, () =>
      same && early ? unsettle(early[0]) : readPermissions(row.slug, row.uuid),
    );
    const protection = orFallback(`branch restrictions of repository ${row.slug}`, () =>
      same && early && before.mainbranch === row.mainbranch
        ? unsettle(early[1])
        : readProtection(row.slug, row.mainbranch),
    );
    const [g, p] = await Promise.allSettled([grants, protection]);
    if (g.status === "rejected") throw g.reason;
    if (p.status === "rejected") throw p.reason;
    return { row, before, grants: g.value, protection: p.value };
  };

  const readProject = async (key: string, publicRepos: boolean, withGrants: boolean) => {
    let row: BbProjectRow | null;
    try {
      const { data } = await ctx.transport.request({
        path: `/2.0/workspaces/${ws}/projects/${encodeURIComponent(key)}`,
        schema: BbProjectSchema,
        endpoint: "GET /2.0/workspaces/{workspace}/projects/{project_key}",
        signal: ctx.signal,
      });
      row = toProject(data, publicRepos);
    } catch (err) {
      if (err instanceof NotFoundError) row = null;
      else if (err instanceof ForbiddenError) throw new Fallback(`project ${key}: Bitbucket answered 403`);
      else throw err;
    }
    const grants: BbProjectPermissionRow[] =
      row && withGrants && admin
        ? await orFallback(`permissions of project ${key}`, () =>
            readGrants(
              list,
              `/2.0/workspaces/${ws}/projects/${encodeURIComponent(key)}/permissions-config`,
              "GET /2.0/workspaces/{workspace}/projects/{project_key}/permissions-config",
              (g) => toProjectUserGrant(key, g),
              (g) => toProjectGroupGrant(key, g),
            ),
          )
        : [];
    return { key, row, grants };
  };

  const repos = await mapLimit([...new Set(opts.targets.repositories)], FAN_OUT, readRepo);
  const change: SectionChange = {
    lists: { repositories: [], repositoryPermissions: [], branchProtection: [] },
  };
  /** Repository rows after the change, by slug: what decides a project's public repositories. */
  const repositories = new Map(base.repositories.map((r) => [r.slug, r]));
  const projectsToRead = new Set<string>();
  for (const r of repos) {
    if (r.before && (!r.row || r.before.slug !== r.row.slug)) {
      // Gone, or renamed: the rows under the old slug leave.
      for (const list of ["repositories", "repositoryPermissions", "branchProtection"])
        putPartition(change, list, r.before.slug, []);
      repositories.delete(r.before.slug);
    }
    if (r.row) {
      putPartition(change, "repositories", r.row.slug, [r.row]);
      putPartition(change, "repositoryPermissions", r.row.slug, r.grants);
      putPartition(change, "branchProtection", r.row.slug, r.protection ? [r.protection] : []);
      repositories.set(r.row.slug, r.row);
    }
    const moved = r.before?.project_key !== r.row?.project_key || r.before?.is_private !== r.row?.is_private;
    if (moved) {
      for (const key of [r.before?.project_key, r.row?.project_key]) if (key) projectsToRead.add(key);
    }
  }
  const publicProjects = new Set([...repositories.values()].filter((r) => !r.is_private).map((r) => r.project_key));
  const explicit = new Set(opts.targets.projects);
  const keys = [...new Set([...explicit, ...projectsToRead])];
  const projects = await mapLimit(keys, FAN_OUT, (key) => readProject(key, publicProjects.has(key), explicit.has(key)));
  for (const p of projects) {
    putPartition(change, "projects", p.key, p.row ? [p.row] : []);
    if (explicit.has(p.key)) putPartition(change, "projectPermissions", p.key, p.grants);
  }
  return change;
}
