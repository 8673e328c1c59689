/**
 * The SCIM reader: the identity provider's view of the people and groups it provisions into the Atlassian
 * directory, each user linked to its Atlassian account by the Atlassian extension's `atlassianAccountId`, read
 * through the one transport and turned into the snapshot's SCIM section page by page.
 *
 * Calls (Atlassian user provisioning, `../shared/atlassian-specs/admin-user-provisioning-swagger.v3.json`; reference
 * §2.3), against the directory's own base URL `…/scim/directory/{directoryId}`:
 *  1. `GET /Users` — `count` 100 (Atlassian's per-page maximum), 1-based `startIndex` advanced by what was received:
 *     ⌈users/100⌉ calls (one when the directory is empty).
 *  2. `GET /Groups` — `count` 100, with `members` in the same pages: ⌈groups/100⌉ calls. Memberships come from
 *     here rather than from users' `groups`, which would miss groups without members.
 * The two listings run concurrently; the first failure stops the other.
 *
 * A 403 or 404 on `/Groups` marks the section partial with a reason. Any error on `/Users` — a 404 there means the
 * directory does not exist or is not the key's — and anything else (401, 5xx after retries, a schema mismatch, a
 * missing id) fails the read, so a wrong directory is never mistaken for an empty one. Paging that contradicts
 * itself (RFC 7644 §3.4.2.4: `totalResults` changing mid-walk, short pages before the total) is finished as far as
 * the server allows and reported.
 */

import { scimPages } from "@accessmap/shared/pagination/drivers";
import { newStats, type PageStats } from "@accessmap/shared/pagination/guards";
import { PartialTracker, type ReaderContext, type ReaderResult } from "@accessmap/shared/readers/reader";
import type { ScimIdentity, ScimSection } from "@accessmap/shared/snapshot/schema";
import { AccessmapError, ForbiddenError, type NotFoundError } from "@accessmap/shared/transport/errors";
import { ScimGroupListSchema, ScimUserListSchema } from "./schemas.js";
import { directoryIdFromPath, type ScimGroupRow, toScimGroup, toScimIdentity } from "./transform.js";

const PRODUCT = "scim";

/** Largest `count` the Atlassian SCIM API serves per page (reference §2.3, Atlassian KB). */
export const SCIM_PAGE_SIZE = 100;

/** The fewest calls a complete SCIM read needs, for the benchmark: each listing at 100 per page, at least one call. */
export function minimumScimCalls(counts: { users: number; groups: number }, pageSize = SCIM_PAGE_SIZE): number {
  const pages = (n: number) => Math.max(1, Math.ceil(n / pageSize));
  return pages(counts.users) + pages(counts.groups);
}

/** Explains a refused listing in words the directory's admin can act on. */
function explain(what: string) {
  return (err: ForbiddenError | NotFoundError): string => {
    const said = err.info.productMessage ? ` (${err.info.productMessage})` : "";
    return err instanceof ForbiddenError
      ? `${what}: the SCIM API answered 403 Forbidden at ${err.info.endpoint}${said}, so ${what} are not listed. ` +
          `Regenerate the directory's SCIM API key (admin.atlassian.com → Security → Identity providers → your ` +
          `directory), set it as lifecycle.scimToken, and run discovery again.`
      : `${what}: the SCIM API answered 404 Not Found at ${err.info.endpoint}${said}, so ${what} are not listed. ` +
          `Check that lifecycle.scimUrl is the directory's full SCIM URL (…/scim/directory/{directoryId}).`;
  };
}

/** Notes paging the server contradicted while it was walked. */
function noteInconsistent(tracker: PartialTracker, what: string, stats: PageStats): void {
  if (!stats.inconsistent && stats.duplicates === 0) return;
  tracker.note(
    `${what}: the SCIM directory's paging was inconsistent (its total changed or pages overlapped while it was ` +
      `read${stats.duplicates > 0 ? `; ${stats.duplicates} repeated entries were dropped` : ""}), so some ${what} ` +
      `may be missing. The directory was probably being provisioned during the read; run discovery again.`,
  );
}

/**
 * Reads the SCIM section through `ctx.transport`, whose base URL is the directory's SCIM URL. The directory id is
 * taken from that URL unless `opts.directoryId` gives it.
 */
export async function readScim(
  ctx: ReaderContext,
  opts: { directoryId?: string } = {},
): Promise<ReaderResult<ScimSection>> {
  const directoryId = opts.directoryId ?? directoryIdFromPath(ctx.transport.resolveUrl("/").pathname);
  if (!directoryId) {
    throw new AccessmapError(
      "bad-request",
      "the SCIM URL names no directory: set lifecycle.scimUrl to the directory's full SCIM URL, " +
        "https://api.atlassian.com/scim/directory/{directoryId}",
    );
  }
  const tracker = new PartialTracker();
  const stop = new AbortController();
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, stop.signal]) : stop.signal;
  const c: ReaderContext = { ...ctx, signal };
  const part = <T>(p: Promise<T>): Promise<T> =>
    p.catch((err: unknown) => {
      stop.abort();
      throw err;
    });

  const userStats = newStats();
  const groupStats = newStats();
  const [users, groups] = await Promise.all([
    // Users are the point of the directory: a refused /Users means the URL or key is wrong, and fails the read.
    part(readUsers(c, userStats)),
    part(tracker.part("groups", [] as ScimGroupRow[], () => readGroups(c, groupStats), explain("groups"))),
  ]);
  noteInconsistent(tracker, "users", userStats);
  noteInconsistent(tracker, "groups", groupStats);

  return {
    section: { directoryId, users, groups },
    reasons: tracker.reasons,
    counts: { users: users.length, groups: groups.length },
  };
}

async function readUsers(ctx: ReaderContext, stats: PageStats): Promise<ScimIdentity[]> {
  const out: ScimIdentity[] = [];
  for await (const page of scimPages({
    transport: ctx.transport,
    path: "/Users",
    schema: ScimUserListSchema,
    endpoint: "GET /Users",
    count: SCIM_PAGE_SIZE,
    key: (u) => u.id,
    stats,
    signal: ctx.signal,
  })) {
    for (const u of page) out.push(toScimIdentity(u));
    ctx.progress?.({ product: PRODUCT, phase: "users", done: out.length, total: null });
  }
  return out;
}

async function readGroups(ctx: ReaderContext, stats: PageStats): Promise<ScimGroupRow[]> {
  const out: ScimGroupRow[] = [];
  for await (const page of scimPages({
    transport: ctx.transport,
    path: "/Groups",
    schema: ScimGroupListSchema,
    endpoint: "GET /Groups",
    count: SCIM_PAGE_SIZE,
    key: (g) => g.id,
    stats,
    signal: ctx.signal,
  })) {
    for (const g of page) out.push(toScimGroup(g));
    ctx.progress?.({ product: PRODUCT, phase: "groups", done: out.length, total: null });
  }
  return out;
}
