/**
 * The parts a section's crawl is read in, and reading one. Jira: `directory` (users, groups and members, the admin
 * groups, permission schemes with grants, application roles), then `projects` — one page of `GET /project/search`
 * at an offset, with each project's scheme and role actors. Confluence: `directory` (role mode, groups and members,
 * the admin groups, space roles, and the users the members are), then `spaces` — one page of `GET /spaces` from the
 * previous page's cursor, with its spaces' v1 and v2 grants and the users they name. Each list key's rows come from
 * one part only, except those in `CRAWL_REPEATABLE_ROWS` (a role several projects have, an account several parts
 * name), which the backend keeps once.
 *
 * A part's position is a small {@link PartCursor} (an offset, or the listing's own `_links.next`), so a queue job
 * carries it and the listing is read once, page by page, with no id list in the job body.
 */
import {
  namedAccountIds,
  readConfluenceDirectory,
  readConfluenceSpacesPage,
  readConfluenceUsers,
} from "@accessmap/shared/readers/confluence/read-confluence";
import { SPACES_NEXT_PREFIX } from "@accessmap/shared/readers/confluence/read-confluence-spaces";
import { readJiraDirectory } from "@accessmap/shared/readers/jira/read-jira";
import {
  PROJECT_PAGE_CAP,
  readProjectPage,
  readProjectsAccess,
} from "@accessmap/shared/readers/jira/read-jira-projects";
import { PartialTracker, type ReaderContext } from "@accessmap/shared/readers/reader";
import type { CrawlSectionName } from "@accessmap/shared/wire/forge";
import { z } from "zod";

/** Where a section's crawl stands: the part to read next. */
export const PartCursor = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("directory") }),
  z.strictObject({
    kind: z.literal("projects"),
    /** Offset of the page in the project listing. */
    startAt: z.number().int().min(0),
    /** The listing's size when the previous page was read (null before the first). */
    total: z.number().int().min(0).nullable(),
    /** Ids of the previous page's projects: a row the listing shifted into this page again is not read twice. */
    previous: z.array(z.string().max(32)).max(PROJECT_PAGE_CAP),
  }),
  z.strictObject({
    kind: z.literal("spaces"),
    /** The v2 listing's `_links.next` for this page; null for the first page. */
    next: z.string().max(2_048).startsWith(SPACES_NEXT_PREFIX).nullable(),
    /** The site's role mode, as the directory part read it: it decides the per-space reads. */
    roleMode: z.string().max(64).nullable(),
  }),
]);
export type PartCursor = z.infer<typeof PartCursor>;

/** Projects or spaces per part: one listing page each (Jira pages hold at most 100, Confluence 250). */
export interface PartSizes {
  projects: number;
  spaces: number;
}

/**
 * Defaults sized so a part is read well within one invocation under the products' rate limits (a project costs
 * about six calls, a space on a site with roles one or two), while the listings still take large pages.
 */
export const DEFAULT_PART_SIZES: PartSizes = { projects: 50, spaces: 100 };

/** What reading one part gave: its rows by section key, where the next part starts (null: none), its reasons. */
export interface PartRead {
  rows: Record<string, unknown>;
  next: PartCursor | null;
  reasons: string[];
}

/** Reads one part of a section. */
export async function readPart(
  section: CrawlSectionName,
  at: PartCursor,
  ctx: ReaderContext,
  sizes: PartSizes,
): Promise<PartRead> {
  const tracker = new PartialTracker();
  const done = (rows: Record<string, unknown>, next: PartCursor | null): PartRead => ({
    rows,
    next,
    reasons: tracker.reasons,
  });
  if (section === "jira") {
    if (at.kind === "directory") {
      const directory = await readJiraDirectory(ctx, tracker);
      return done({ ...directory }, { kind: "projects", startAt: 0, total: null, previous: [] });
    }
    if (at.kind !== "projects") throw new TypeError(`a Jira crawl has no ${at.kind} part`);
    const page = await readProjectsAt(ctx, at, sizes.projects);
    const projects = page.projects.filter((p) => !at.previous.includes(String(p.id)));
    const access = await readProjectsAccess(ctx, projects, tracker);
    const next: PartCursor | null =
      page.next === null
        ? null
        : { kind: "projects", startAt: page.next, total: page.total, previous: projects.map((p) => String(p.id)) };
    return done({ ...access }, next);
  }
  if (at.kind === "directory") {
    const directory = await readConfluenceDirectory(ctx, tracker);
    const users = await readConfluenceUsers(ctx, namedAccountIds({ groupMembers: directory.groupMembers }), tracker);
    return done({ ...directory, users }, { kind: "spaces", next: null, roleMode: directory.roleMode });
  }
  if (at.kind !== "spaces") throw new TypeError(`a Confluence crawl has no ${at.kind} part`);
  const page = await readConfluenceSpacesPage(
    ctx,
    { next: at.next, size: sizes.spaces, roleMode: at.roleMode },
    tracker,
  );
  const users = await readConfluenceUsers(
    ctx,
    namedAccountIds({
      spaces: page.spaces,
      permissions: page.access.permissions,
      roleAssignments: page.access.roleAssignments,
    }),
    tracker,
  );
  const rows = {
    spaces: page.access.spaces,
    spacePermissions: page.access.permissions,
    roleAssignments: page.access.roleAssignments,
    users,
  };
  return done(rows, page.next === null ? null : { kind: "spaces", next: page.next, roleMode: at.roleMode });
}

/**
 * The project page at the cursor. When the listing shrank since the previous page (projects deleted in between),
 * the rows after them moved forward, so the page is read again that much earlier; rows of the previous page that
 * this brings back are dropped by the caller.
 */
async function readProjectsAt(ctx: ReaderContext, at: Extract<PartCursor, { kind: "projects" }>, size: number) {
  const page = await readProjectPage(ctx, at.startAt, size);
  const shrunk = at.total !== null && page.total !== null ? at.total - page.total : 0;
  if (shrunk <= 0 || at.startAt === 0) return page;
  return readProjectPage(ctx, Math.max(0, at.startAt - shrunk), size);
}
