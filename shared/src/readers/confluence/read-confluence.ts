/**
 * The Confluence reader: groups and their members, the admin and site-admin groups, every space (all types and
 * statuses, archived and personal included), every space permission (users, groups, roles, anonymous and
 * unlicensed), space roles and role assignments, and the users all of these name, read through the one transport
 * (which alone paces and retries) and turned into the snapshot's Confluence section page by page.
 *
 * Calls (Confluence Cloud v2 `/wiki/api/v2` and v1 `/wiki/rest/api`; `../shared/atlassian-specs/confluence-*`,
 * page caps from reference §2.5 and §5), each the fewest that give the data:
 *  1. `GET /wiki/api/v2/space-role-mode` — one call; `PRE_ROLES` means no space roles exist, so no per-space call
 *     is needed at all (3.).
 *  2. `GET /wiki/rest/api/group`, then `?accessType=admin` and `?accessType=site-admin` — every group, and the
 *     groups holding Confluence and site administration, 200 per page (the fixed system limit). v2 has no group
 *     listing and no other call names the admin groups.
 *  3. `GET /wiki/rest/api/group/{groupId}/membersByGroupId` per group, 200 per page (the documented maximum; larger
 *     limits answer 400). Confluence has no bulk membership listing; the user rows come from 6., so only ids are kept.
 *  4. `GET /wiki/api/v2/spaces` — every space at 250 per page. `type` and `status` are optional filters with no
 *     default ("Returns all spaces"), so one unfiltered listing returns global, collaboration, knowledge-base and
 *     personal spaces, current and archived; filtering per status or type would only multiply the calls. v2, not
 *     v1, because v1 reports the newer space types as `global`.
 *  5. `GET /wiki/rest/api/space?expand=permissions` — every space with its v1 permissions, 250 per page (the
 *     system limit is not published; the driver follows `_links.next` whatever the server kept). v1 is the only API
 *     that states anonymous and unlicensed access (v2 principals are only user, group and role), and the listing
 *     states it for 250 spaces per call where `GET /space/{key}?expand=permissions` would cost one call per space.
 *     - `PRE_ROLES`: v1 also states every user and group grant, so it is the one source of space permissions and
 *       there is no per-space call;
 *     - role modes: v1 cannot show role grants, so:
 *  6. `GET /wiki/api/v2/spaces/{id}?include-permissions=true&include-role-assignments=true` per space (role modes,
 *     and any space the v1 listing lacked) — the space's v2 permissions (user, group and role grants: v2 is then
 *     the source for these, v1 only for the anonymous / unlicensed rows) and its role assignments, the first 50 of
 *     each embedded in one call instead of one listing call each. Only when a list has more than 50 does its
 *     `meta.cursor` continue it through `GET /spaces/{id}/permissions` or `GET /spaces/{id}/role-assignments` at 250
 *     per page. This is never more calls than the two listings, and half as many for spaces with ≤ 50 of each.
 *  7. `GET /wiki/api/v2/space-roles` — every role at 250 per page (role modes only).
 *  8. `POST /wiki/api/v2/users-bulk` — the details (type, status, email, guest flag) of every account id seen in
 *     3., 5., 6. and as space author, 250 ids per call (the request's maximum); a read-only POST. v1
 *     `GET /search/user?cql=type=user` was not chosen: it states no account status (needed here), stops at 10,000
 *     users, and lists every account of the site, where users-bulk resolves only the ids the section refers to.
 *
 * What the credential may not read marks the section partial with a reason a Confluence admin can act on: 403 from
 * group members (Browse users and groups), every email hidden, 403 or 404 from one space's permissions (that space
 * is named; the rest are kept). Anything else — 401, 5xx after the transport's retries, a schema mismatch, a
 * missing identity — fails the read.
 */
import { confluenceCursorPages, confluenceV1Pages } from "@accessmap/shared/pagination/drivers";
import {
  collectSpaces,
  readSpacesAccess,
  readSpacesPage,
  readV1Access,
  type SpacesAccess,
  spaceReadMode,
} from "@accessmap/shared/readers/confluence/read-confluence-spaces";
import {
  V1GroupPageSchema,
  V1MemberPageSchema,
  V2RoleModeSchema,
  type V2Space,
  V2SpaceRolePageSchema,
  V2UsersBulkSchema,
} from "@accessmap/shared/readers/confluence/schemas";
import {
  type ConfluenceGroupMemberRow,
  type ConfluenceGroupRow,
  type ConfluencePermissionRow,
  type ConfluenceRoleAssignmentRow,
  type ConfluenceRoleRow,
  type ConfluenceUserRow,
  toGroup,
  toGroupMember,
  toRole,
  toUser,
  type V1SpaceAccess,
} from "@accessmap/shared/readers/confluence/transform";
import {
  type Failures,
  mapLimit,
  nameList,
  PartialTracker,
  type ReaderContext,
  type ReaderResult,
  tolerate,
} from "@accessmap/shared/readers/reader";
import type { ConfluenceSection } from "@accessmap/shared/snapshot/schema";
import { ForbiddenError, type NotFoundError } from "@accessmap/shared/transport/errors";

const PRODUCT = "confluence";
/** Groups or user chunks read at once; the governor caps the real concurrency per product. */
const FAN_OUT = 8;

const V1 = "/wiki/rest/api";
const V2 = "/wiki/api/v2";

/** Largest page each paginated Confluence call accepts (reference §2.5 and §5; the simulator clamps the same). */
export const CONFLUENCE_PAGE_CAPS = {
  /** v1 `GET /group`: default and fixed system limit 200. */
  groups: 200,
  /** v1 `GET /group/{groupId}/membersByGroupId`: 200; above it answers 400. */
  groupMembers: 200,
  /** v1 `GET /space`: the fixed system limit is not published (VERIFY); 250 like v2. */
  v1Spaces: 250,
  /** v2 `limit` 1–250 on every listing. */
  spaces: 250,
  permissions: 250,
  roles: 250,
  roleAssignments: 250,
  /** v2 `POST /users-bulk`: `accountIds` 1–250. */
  usersBulk: 250,
  /** `include-*` lists embedded in v2 `GET /spaces/{id}`: "limited to 50". */
  embedded: 50,
} as const;
export type ConfluencePageCaps = { [K in keyof typeof CONFLUENCE_PAGE_CAPS]: number };

/** How many of each entity a site holds, as far as the call count depends on it. */
export interface ConfluenceEntityCounts {
  groups: number;
  /** Members of each group. */
  groupsMembers: number[];
  /** Groups with `accessType=admin` / `site-admin`; a handful, one page each when omitted. */
  adminGroups?: number;
  siteAdminGroups?: number;
  /** Spaces the product user can view (all types and statuses). */
  spaces: number;
  /** `GET /space-role-mode`; `PRE_ROLES` needs no per-space call. */
  roleMode: string;
  /** Space roles of the site (role modes only). */
  roles: number;
  /** Per space, its v2 permissions (user, group and role grants) and role assignments (role modes only). */
  spacesAccess: ReadonlyArray<{ permissions: number; roleAssignments: number }>;
  /** Distinct account ids the section names: group members, grantees, role assignees, space authors. */
  users: number;
}

/** Calls of a listing that answers even when empty: one per full page, at least one. */
function listCalls(items: number, cap: number): number {
  return Math.max(1, Math.ceil(items / cap));
}

/** Calls that continue an embedded list (first `embedded` items already read) through its listing. */
function continuationCalls(items: number, caps: ConfluencePageCaps, cap: number): number {
  return items > caps.embedded ? Math.ceil((items - caps.embedded) / cap) : 0;
}

/** The fewest calls each endpoint needs for a site of this shape: every list at its largest page size. */
export function confluenceCallBreakdown(
  counts: ConfluenceEntityCounts,
  caps: ConfluencePageCaps = CONFLUENCE_PAGE_CAPS,
): Record<string, number> {
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const roles = counts.roleMode !== "PRE_ROLES";
  const out: Record<string, number> = {
    [`GET ${V2}/space-role-mode`]: 1,
    [`GET ${V1}/group`]:
      listCalls(counts.groups, caps.groups) +
      listCalls(counts.adminGroups ?? 0, caps.groups) +
      listCalls(counts.siteAdminGroups ?? 0, caps.groups),
    [`GET ${V1}/group/{groupId}/membersByGroupId`]: sum(
      counts.groupsMembers.map((m) => listCalls(m, caps.groupMembers)),
    ),
    [`GET ${V2}/spaces`]: listCalls(counts.spaces, caps.spaces),
    [`GET ${V1}/space`]: listCalls(counts.spaces, caps.v1Spaces),
    [`POST ${V2}/users-bulk`]: Math.ceil(counts.users / caps.usersBulk),
  };
  if (roles) {
    out[`GET ${V2}/space-roles`] = listCalls(counts.roles, caps.roles);
    out[`GET ${V2}/spaces/{id}`] = counts.spacesAccess.length;
    out[`GET ${V2}/spaces/{id}/permissions`] = sum(
      counts.spacesAccess.map((s) => continuationCalls(s.permissions, caps, caps.permissions)),
    );
    out[`GET ${V2}/spaces/{id}/role-assignments`] = sum(
      counts.spacesAccess.map((s) => continuationCalls(s.roleAssignments, caps, caps.roleAssignments)),
    );
  }
  return out;
}

/** The call lower bound of a complete Confluence read, for the benchmark: the sum of `confluenceCallBreakdown`. */
export function minimumConfluenceCalls(
  counts: ConfluenceEntityCounts,
  caps: ConfluencePageCaps = CONFLUENCE_PAGE_CAPS,
): number {
  return Object.values(confluenceCallBreakdown(counts, caps)).reduce((a, b) => a + b, 0);
}

// ---------------------------------------------------------------- reasons

const BROWSE_USERS =
  `In Confluence administration, open Global permissions and grant "Browse users and groups" (with "Can use") to ` +
  `a group the product user belongs to, then run discovery again.`;

/** Explains a 403 with `forbidden`, and a 404 with the product's own words. */
function explain(what: string, forbidden: string) {
  return (err: ForbiddenError | NotFoundError): string =>
    err instanceof ForbiddenError
      ? forbidden
      : `${what}: Confluence answered 404 Not Found${err.info.productMessage ? ` (${err.info.productMessage})` : ""} — ` +
        `check that the site URL points at Confluence Cloud, then run discovery again.`;
}

// ---------------------------------------------------------------- the read

/** Reads the Confluence section through `ctx.transport`. */
export async function readConfluence(ctx: ReaderContext): Promise<ReaderResult<ConfluenceSection>> {
  const tracker = new PartialTracker();
  const head = await readHead(ctx, tracker);
  const spaces = await tracker.part("spaces", [] as V2Space[], () => collectSpaces(ctx), spacesReason);
  const v1Access = await tracker.part(
    "v1 space permissions",
    null as Map<string, V1SpaceAccess> | null,
    () => readV1Access(ctx),
    (err) => v1ListingReason(err.status),
  );
  const access = await readSpacesAccess(ctx, spaces, v1Access, spaceReadMode(head.roleMode), tracker);
  const roles = await readRolesOf(ctx, head.roleMode, tracker);
  const users = await readConfluenceUsers(
    ctx,
    namedAccountIds({
      groupMembers: head.groupMembers,
      spaces,
      permissions: access.permissions,
      roleAssignments: access.roleAssignments,
    }),
    tracker,
  );

  const section: ConfluenceSection = {
    users,
    groups: head.groups,
    groupMembers: head.groupMembers,
    adminGroupIds: head.adminGroupIds,
    siteAdminGroupIds: head.siteAdminGroupIds,
    spaces: access.spaces,
    spacePermissions: access.permissions,
    roleMode: head.roleMode,
    roles,
    roleAssignments: access.roleAssignments,
  };
  return { section, reasons: tracker.reasons, counts: confluenceCounts(section) };
}

/** Everything of the Confluence section that is not per space, users aside (they depend on every part). */
export type ConfluenceDirectory = Pick<
  ConfluenceSection,
  "roleMode" | "groups" | "groupMembers" | "adminGroupIds" | "siteAdminGroupIds" | "roles"
>;

/**
 * Reads the part of the Confluence section that is not per space: the role mode, groups and members, the admin
 * groups and the space roles (the Forge crawl's first part; spaces follow one listing page at a time through
 * {@link readConfluenceSpacesPage}, and users through {@link readConfluenceUsers} for the ids each part names).
 */
export async function readConfluenceDirectory(
  ctx: ReaderContext,
  tracker: PartialTracker,
): Promise<ConfluenceDirectory> {
  const head = await readHead(ctx, tracker);
  return { ...head, roles: await readRolesOf(ctx, head.roleMode, tracker) };
}

/** One page of spaces with their rows and grants: the v2 listing page, its spaces' v1 grants, then per space. */
export async function readConfluenceSpacesPage(
  ctx: ReaderContext,
  opts: { next: string | null; size: number; roleMode: string | null },
  tracker: PartialTracker,
): Promise<{ spaces: V2Space[]; access: SpacesAccess; next: string | null }> {
  const page = await tracker.part(
    "spaces",
    { spaces: [] as V2Space[], next: null as string | null },
    () => readSpacesPage(ctx, opts.next, opts.size),
    spacesReason,
  );
  const ids = page.spaces.map((s) => String(s.id));
  const v1Access = await tracker.part(
    "v1 space permissions",
    null as Map<string, V1SpaceAccess> | null,
    () => readV1Access(ctx, ids),
    (err) => v1ListingReason(err.status),
  );
  const access = await readSpacesAccess(ctx, page.spaces, v1Access, spaceReadMode(opts.roleMode), tracker);
  return { spaces: page.spaces, access, next: page.next };
}

/** Every account id the rows name: group members, user grants, user role assignments, space authors (sorted). */
export function namedAccountIds(rows: {
  groupMembers?: readonly ConfluenceGroupMemberRow[];
  permissions?: readonly ConfluencePermissionRow[];
  roleAssignments?: readonly ConfluenceRoleAssignmentRow[];
  spaces?: readonly V2Space[];
}): string[] {
  const accountIds = new Set<string>();
  for (const m of rows.groupMembers ?? []) accountIds.add(m.accountId);
  for (const p of rows.permissions ?? [])
    if (p.principalType === "user" && p.principalId) accountIds.add(p.principalId);
  for (const a of rows.roleAssignments ?? []) if (a.principalType === "user") accountIds.add(a.principalId);
  for (const s of rows.spaces ?? []) if (s.authorId) accountIds.add(s.authorId);
  return [...accountIds].sort();
}

/** The row count of each list of a (possibly partial) Confluence section. */
export function confluenceCounts(section: Partial<ConfluenceSection>): Record<string, number> {
  const keys = ["users", "groups", "groupMembers", "spaces", "spacePermissions", "roles", "roleAssignments"] as const;
  return Object.fromEntries(keys.flatMap((k) => (section[k] ? [[k, section[k].length]] : [])));
}

const spacesReason = explain(
  "spaces",
  `spaces: Confluence answered 403 Forbidden — the product user lacks the "Can use" Confluence permission. ` +
    `Give it Confluence product access (admin.atlassian.com → Products) and run discovery again.`,
);

/** The role mode, groups and their members. */
async function readHead(ctx: ReaderContext, tracker: PartialTracker) {
  const roleMode = await tracker.part(
    "space role mode",
    null as string | null,
    () => readRoleMode(ctx),
    (err) => roleModeReason(err.status),
  );
  const groupLists = await tracker.part(
    "groups",
    { groups: [] as ConfluenceGroupRow[], adminGroupIds: [] as string[], siteAdminGroupIds: [] as string[] },
    () => readGroups(ctx),
    explain(
      "groups",
      `groups: Confluence answered 403 Forbidden — the product user may not list groups. ${BROWSE_USERS}`,
    ),
  );
  const groupMembers = await readGroupMembers(ctx, groupLists.groups, tracker);
  return { roleMode, ...groupLists, groupMembers };
}

/** The site's space roles, on a site that has them. */
async function readRolesOf(
  ctx: ReaderContext,
  roleMode: string | null,
  tracker: PartialTracker,
): Promise<ConfluenceRoleRow[]> {
  if (!spaceReadMode(roleMode).withRoleAssignments) return [];
  return tracker.part(
    "space roles",
    [] as ConfluenceRoleRow[],
    () => readRoles(ctx),
    explain(
      "space roles",
      `space roles: Confluence answered 403 Forbidden to GET /wiki/api/v2/space-roles — role names are missing ` +
        `(role grants and assignments are kept by role id). Give the product user Confluence administration and ` +
        `run discovery again.`,
    ),
  );
}

/** The details of these accounts (`POST /users-bulk`), with a reason when they hide every email. */
export async function readConfluenceUsers(
  ctx: ReaderContext,
  accountIds: readonly string[],
  tracker: PartialTracker,
): Promise<ConfluenceUserRow[]> {
  const users = await tracker.part(
    "users",
    [] as ConfluenceUserRow[],
    () => readUsers(ctx, accountIds),
    explain(
      "users",
      `users: Confluence answered 403 Forbidden to POST /wiki/api/v2/users-bulk — the product user may not view ` +
        `user profiles, so no user details were read (grants and memberships keep their account ids). ${BROWSE_USERS}`,
    ),
  );
  const visibleEmails = users.filter((u) => u.email !== null).length;
  // The product user always sees its own email: one visible address among many still means "hidden from us".
  if (users.length > 0 && visibleEmails <= (users.length >= 2 ? 1 : 0)) {
    tracker.note(
      `user emails: Confluence returned no email address for ${users.length - visibleEmails} of ${users.length} ` +
        `users — the product user lacks the "Browse users and groups" global permission (or "Can use" ` +
        `Confluence), so Confluence hides every email but its own, or every user hides their email in their ` +
        `profile. Confluence accounts can then be matched to identity-provider people by account id only. ` +
        BROWSE_USERS,
    );
  }
  return users;
}

function roleModeReason(status: number): string {
  return (
    `space roles: GET /wiki/api/v2/space-role-mode answered HTTP ${status}, so whether this site uses space roles ` +
    `is unknown. Space permissions were still read per space through v2 (role grants included), but the role ` +
    `names and role assignments were not. Check that the product user has "Can use" Confluence, then run ` +
    `discovery again.`
  );
}

function v1ListingReason(status: number): string {
  return (
    `anonymous and unlicensed access: GET /wiki/rest/api/space?expand=permissions (the only API that states ` +
    `anonymous and unlicensed space access) answered HTTP ${status}, so every space is recorded without anonymous ` +
    `or unlicensed access, which may be wrong. User, group and role grants were read through v2. Check that the ` +
    `product user has "Can use" Confluence and is a Confluence administrator, then run discovery again.`
  );
}

function progress(ctx: ReaderContext, phase: string, done: number, total: number | null): void {
  ctx.progress?.({ product: PRODUCT, phase, done, total });
}

// ---------------------------------------------------------------- role mode, groups, members

async function readRoleMode(ctx: ReaderContext): Promise<string | null> {
  const { data } = await ctx.transport.request({
    path: `${V2}/space-role-mode`,
    schema: V2RoleModeSchema,
    endpoint: `GET ${V2}/space-role-mode`,
    signal: ctx.signal,
  });
  return data.mode ?? null;
}

/** Every group, then the groups Confluence lists for `accessType=admin` and `site-admin`. */
async function readGroups(ctx: ReaderContext) {
  const list = async (accessType?: "admin" | "site-admin") => {
    const rows: ConfluenceGroupRow[] = [];
    for await (const page of confluenceV1Pages({
      transport: ctx.transport,
      path: `${V1}/group`,
      query: accessType ? { accessType } : undefined,
      schema: V1GroupPageSchema,
      endpoint: `GET ${V1}/group`,
      pageSize: CONFLUENCE_PAGE_CAPS.groups,
      key: (g) => g.id,
      signal: ctx.signal,
    })) {
      rows.push(...page.map(toGroup));
      if (!accessType) progress(ctx, "groups", rows.length, null);
    }
    return rows;
  };
  const groups = await list();
  const adminGroupIds = (await list("admin")).map((g) => g.groupId);
  const siteAdminGroupIds = (await list("site-admin")).map((g) => g.groupId);
  return { groups, adminGroupIds, siteAdminGroupIds };
}

/** Members of every group; a 403 or 404 on a group is summarized in one reason per status. */
async function readGroupMembers(
  ctx: ReaderContext,
  groups: readonly ConfluenceGroupRow[],
  tracker: PartialTracker,
): Promise<ConfluenceGroupMemberRow[]> {
  const failures: Failures = { forbidden: [], notFound: [] };
  let done = 0;
  const perGroup = await mapLimit(groups, FAN_OUT, async (group) => {
    const rows = await tolerate(group.name, failures, async () => {
      const out: ConfluenceGroupMemberRow[] = [];
      for await (const page of confluenceV1Pages({
        transport: ctx.transport,
        path: `${V1}/group/${encodeURIComponent(group.groupId)}/membersByGroupId`,
        schema: V1MemberPageSchema,
        endpoint: `GET ${V1}/group/{groupId}/membersByGroupId`,
        pageSize: CONFLUENCE_PAGE_CAPS.groupMembers,
        key: (m) => m.accountId,
        signal: ctx.signal,
      })) {
        out.push(...page.map((m) => toGroupMember(group.groupId, m)));
      }
      return out;
    });
    progress(ctx, "group members", ++done, groups.length);
    return rows ?? [];
  });
  if (failures.forbidden.length > 0) {
    tracker.note(
      `group members: Confluence answered 403 Forbidden for ${failures.forbidden.length} of ${groups.length} groups ` +
        `(${nameList(failures.forbidden)}) — the product user lacks the "Browse users and groups" global ` +
        `permission, so Confluence will not list group members and access granted through these groups cannot be ` +
        `traced to people. ${BROWSE_USERS}`,
    );
  }
  if (failures.notFound.length > 0) {
    tracker.note(
      `group members: ${nameList(failures.notFound)} answered 404 Not Found — deleted while discovery ran; run ` +
        `discovery again to read the current groups.`,
    );
  }
  return perGroup.flat();
}

async function readRoles(ctx: ReaderContext): Promise<ConfluenceRoleRow[]> {
  const out: ConfluenceRoleRow[] = [];
  for await (const page of confluenceCursorPages({
    transport: ctx.transport,
    path: `${V2}/space-roles`,
    query: { limit: CONFLUENCE_PAGE_CAPS.roles },
    schema: V2SpaceRolePageSchema,
    endpoint: `GET ${V2}/space-roles`,
    key: (r) => String(r.id),
    signal: ctx.signal,
  })) {
    out.push(...page.map(toRole));
  }
  return out;
}

// ---------------------------------------------------------------- users

/** The details of these accounts, 250 ids per `POST /users-bulk` (a read-only POST); unknown ids are left out. */
async function readUsers(ctx: ReaderContext, accountIds: readonly string[]): Promise<ConfluenceUserRow[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < accountIds.length; i += CONFLUENCE_PAGE_CAPS.usersBulk) {
    chunks.push(accountIds.slice(i, i + CONFLUENCE_PAGE_CAPS.usersBulk));
  }
  let done = 0;
  const pages = await mapLimit(chunks, FAN_OUT, async (chunk) => {
    const { data } = await ctx.transport.request({
      method: "POST",
      readOnlyPost: true,
      path: `${V2}/users-bulk`,
      json: { accountIds: chunk },
      schema: V2UsersBulkSchema,
      endpoint: `POST ${V2}/users-bulk`,
      signal: ctx.signal,
    });
    done += chunk.length;
    progress(ctx, "users", done, accountIds.length);
    return data.results.map(toUser);
  });
  const seen = new Set<string>();
  return pages.flat().filter((u) => !seen.has(u.accountId) && seen.add(u.accountId));
}
