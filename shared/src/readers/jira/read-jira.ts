/**
 * The Jira reader: users, groups and their members, projects with their leads, role actors and permission schemes,
 * every permission-scheme grant, and application roles, read through the one transport (which alone paces and
 * retries) and turned into the snapshot's Jira section page by page.
 *
 * Calls (Jira Cloud platform REST v3, `../shared/atlassian-specs/jira-platform-swagger-v3.v3.json`; page caps from
 * reference §2.4 and §5), each the fewest that give the data:
 *  1. `GET /users/search` — every account (active, inactive, closed, app, customer) at 1000 per page, the
 *     documented limit. A bare array with no total, clamped silently by the server, so only an empty page proves
 *     the end: ⌈users/1000⌉ + 1 calls. (`/user/search` skips inactive accounts and stops at the 1000th user.)
 *  2. `GET /group/bulk` — every group at 50 per page (the server's cap): ⌈groups/50⌉ calls.
 *  3. `GET /group/bulk?accessType=admin` and `?accessType=site-admin` — the groups holding Administer Jira and site
 *     administration. No public v3 endpoint lists global-permission holders (reference §2.4); these filters are the
 *     only source, one page each in practice.
 *  4. `GET /group/member?groupId=…&includeInactiveUsers=true` per group, 50 per page (the documented maximum). Jira
 *     has no bulk membership listing, and `users/search` carries no groups (`/user?expand=groups` would cost one call
 *     per user, and users outnumber groups). Inactive members are kept: reactivating them restores their access.
 *  5. `GET /project/search?status=live&status=archived&expand=lead` — 100 per page (the documented maximum), the
 *     lead in the same page rather than one `GET /project/{id}` per project.
 *  6. `GET /project/{id}/role` per project — the project's roles. Team-managed projects have roles of their own
 *     (`ProjectRole.scope`), so the global `GET /role` (Administer Jira only) cannot stand in for it;
 *     `/project/{id}/roledetails` costs the same call and gives no actors either.
 *  7. `GET /project/{id}/role/{roleId}` per project and role — the only call that returns a role's actors in a project.
 *  8. `GET /project/{id}/permissionscheme` per project — no project listing or expand names the scheme.
 *  9. `GET /permissionscheme?expand=permissions` — every scheme with every grant in one unpaginated call ("permissions
 *     are included when you specify any value"); the holder expands (`user`, `group`, …) only add objects the
 *     snapshot does not keep, and `/permissionscheme/{id}/permission` would cost one call per scheme.
 * 10. `GET /applicationrole` — every application role (licence) with its groups and default groups by id, one call.
 *
 * What the credential may not read marks the section partial with a reason a Jira admin can act on: 403 from the
 * user and group listings (Browse users and groups), 403 from a project's scheme (Administer projects), 403 from
 * application roles (Administer Jira), 404 from a project deleted while the read ran. Anything else — 401, 5xx
 * after the transport's retries, a schema mismatch, a missing identity — fails the read.
 */
import { jiraArrayPages, jiraPageBeanPages } from "@accessmap/shared/pagination/drivers";
import { readProjectList, readProjectsAccess } from "@accessmap/shared/readers/jira/read-jira-projects";
import {
  JiraApplicationRolesSchema,
  JiraGroupMemberPageSchema,
  JiraGroupPageSchema,
  JiraPermissionSchemesSchema,
  JiraUsersPageSchema,
} from "@accessmap/shared/readers/jira/schemas";
import {
  type JiraGrantRow,
  type JiraGroupMemberRow,
  type JiraGroupRow,
  type JiraSchemeRow,
  type JiraUserRow,
  toApplicationRole,
  toGrants,
  toGroup,
  toGroupMember,
  toScheme,
  toUser,
} from "@accessmap/shared/readers/jira/transform";
import {
  mapLimit,
  nameList,
  PartialTracker,
  type ReaderContext,
  type ReaderResult,
} from "@accessmap/shared/readers/reader";
import type { JiraSection } from "@accessmap/shared/snapshot/schema";
import { ForbiddenError, NotFoundError } from "@accessmap/shared/transport/errors";

const PRODUCT = "jira";
/** Groups read at once; the governor caps the real concurrency per product. */
const FAN_OUT = 8;

/** Largest page each paginated Jira listing accepts (reference §5; the simulator clamps to the same values). */
export const JIRA_PAGE_CAPS = {
  /** `GET /users/search`: "limited to 1000". */
  users: 1000,
  /** `GET /group/bulk`. */
  groups: 50,
  /** `GET /group/member`: "between 1 and 50". */
  groupMembers: 50,
  /** `GET /project/search`: "less than or equal to 100". */
  projects: 100,
} as const;
export type JiraPageCaps = { [K in keyof typeof JIRA_PAGE_CAPS]: number };

/** How many of each entity a tenant holds, as far as the call count depends on it. */
export interface JiraEntityCounts {
  users: number;
  groups: number;
  /** Members (inactive included) of each group. */
  groupsMembers: number[];
  projects: number;
  /** Roles of each project. */
  rolesPerProject: number[];
  /** Groups with `accessType=admin` / `site-admin`; a handful, one page each when omitted. */
  adminGroups?: number;
  siteAdminGroups?: number;
}

/** Calls of a PageBean listing: one per full page, and one even when empty (`isLast` ends it). */
function pageBeanCalls(items: number, cap: number): number {
  return Math.max(1, Math.ceil(items / cap));
}

/** Calls of a bare-array listing: the pages, plus the empty page that proves the end. */
function arrayCalls(items: number, cap: number): number {
  return Math.ceil(items / cap) + 1;
}

/** The fewest calls each endpoint needs for a tenant of this shape: every list at its largest page size. */
export function jiraCallBreakdown(
  counts: JiraEntityCounts,
  caps: JiraPageCaps = JIRA_PAGE_CAPS,
): Record<string, number> {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    "GET /rest/api/3/users/search": arrayCalls(counts.users, caps.users),
    "GET /rest/api/3/group/bulk":
      pageBeanCalls(counts.groups, caps.groups) +
      pageBeanCalls(counts.adminGroups ?? 0, caps.groups) +
      pageBeanCalls(counts.siteAdminGroups ?? 0, caps.groups),
    "GET /rest/api/3/group/member": sum(counts.groupsMembers.map((m) => pageBeanCalls(m, caps.groupMembers))),
    "GET /rest/api/3/project/search": pageBeanCalls(counts.projects, caps.projects),
    "GET /rest/api/3/project/{id}/role": counts.projects,
    "GET /rest/api/3/project/{id}/role/{roleId}": sum(counts.rolesPerProject),
    "GET /rest/api/3/project/{id}/permissionscheme": counts.projects,
    "GET /rest/api/3/permissionscheme": 1,
    "GET /rest/api/3/applicationrole": 1,
  };
}

/** The call lower bound of a complete Jira read, for the benchmark: the sum of `jiraCallBreakdown`. */
export function minimumJiraCalls(counts: JiraEntityCounts, caps: JiraPageCaps = JIRA_PAGE_CAPS): number {
  return Object.values(jiraCallBreakdown(counts, caps)).reduce((a, b) => a + b, 0);
}

/** The reason for a 403 on a listing that needs Browse users and groups. */
function browseUsersReason(what: string): string {
  return (
    `${what}: Jira answered 403 Forbidden — the product user lacks the "Browse users and groups" global ` +
    `permission, so Jira will not show ${what}. In Jira, open Settings → System → Global permissions, grant ` +
    `"Browse users and groups" to a group the product user belongs to, and run discovery again.`
  );
}

/** Explains a 403 with `forbidden`, and a 404 (the listing itself missing) with the product's own words. */
function explain(what: string, forbidden: string) {
  return (err: ForbiddenError | NotFoundError): string =>
    err instanceof ForbiddenError
      ? forbidden
      : `${what}: Jira answered 404 Not Found${err.info.productMessage ? ` (${err.info.productMessage})` : ""} — ` +
        `check that the site URL points at Jira Cloud, then run discovery again.`;
}

/** Everything of the Jira section that is not per project. */
export type JiraDirectory = Omit<JiraSection, "projects" | "roles" | "roleActors">;

/** Reads the Jira section through `ctx.transport`. */
export async function readJira(ctx: ReaderContext): Promise<ReaderResult<JiraSection>> {
  const tracker = new PartialTracker();
  const people = await readPeople(ctx, tracker);
  const projects = await readProjectList(ctx);
  const access = await readProjectsAccess(ctx, projects, tracker);
  const catalogue = await readCatalogue(ctx, tracker);
  const section: JiraSection = {
    users: people.users,
    groups: people.groups,
    groupMembers: people.groupMembers,
    adminGroupIds: people.adminGroupIds,
    siteAdminGroupIds: people.siteAdminGroupIds,
    ...access,
    ...catalogue,
  };
  return { section, reasons: tracker.reasons, counts: jiraCounts(section) };
}

/**
 * Reads the part of the Jira section that is not per project: users, groups and members, the admin groups,
 * permission schemes with their grants and application roles (the Forge crawl's first part; the projects follow
 * through `read-jira-projects.ts`).
 */
export async function readJiraDirectory(ctx: ReaderContext, tracker: PartialTracker): Promise<JiraDirectory> {
  return { ...(await readPeople(ctx, tracker)), ...(await readCatalogue(ctx, tracker)) };
}

/** The row count of each list of a (possibly partial) Jira section. */
export function jiraCounts(section: Partial<JiraSection>): Record<string, number> {
  const keys = [
    "users",
    "groups",
    "groupMembers",
    "projects",
    "roleActors",
    "permissionSchemes",
    "grants",
    "applicationRoles",
  ] as const;
  return Object.fromEntries(keys.flatMap((k) => (section[k] ? [[k, section[k].length]] : [])));
}

async function readPeople(ctx: ReaderContext, tracker: PartialTracker) {
  const users = await tracker.part(
    "users",
    [] as JiraUserRow[],
    () => readUsers(ctx),
    explain("users", browseUsersReason("users")),
  );
  if (users.length > 0 && users.every((u) => u.email === null)) {
    tracker.note(
      `user emails: Jira returned no email address for any of the ${users.length} users — the product user lacks ` +
        `the "Browse users and groups" global permission (Jira then hides every email), or every user hides their ` +
        `email in their profile. Jira accounts can then be matched to identity-provider people by account id only. ` +
        `Grant the product user "Browse users and groups" (Settings → System → Global permissions) and run ` +
        `discovery again.`,
    );
  }

  const groupLists = await tracker.part(
    "groups",
    { groups: [] as JiraGroupRow[], adminGroupIds: [] as string[], siteAdminGroupIds: [] as string[] },
    () => readGroups(ctx),
    explain("groups", browseUsersReason("groups and group members")),
  );
  const groupMembers = await readGroupMembers(ctx, groupLists.groups, tracker);
  return { users, ...groupLists, groupMembers };
}

async function readCatalogue(ctx: ReaderContext, tracker: PartialTracker) {
  const schemes = await tracker.part(
    "permission schemes",
    { schemes: [] as JiraSchemeRow[], grants: [] as JiraGrantRow[] },
    () => readPermissionSchemes(ctx),
    explain(
      "permission schemes",
      `permission schemes: Jira answered 403 Forbidden — listing permission schemes needs access to Jira. Give the ` +
        `product user Jira product access (admin.atlassian.com → Products) and run discovery again.`,
    ),
  );

  const applicationRoles = await tracker.part(
    "application roles",
    [] as JiraSection["applicationRoles"],
    () => readApplicationRoles(ctx),
    explain(
      "application roles",
      `application roles: Jira answered 403 Forbidden — listing application roles (which groups give a Jira ` +
        `licence) needs the "Administer Jira" global permission. Grant it to the product user (Settings → System → ` +
        `Global permissions) and run discovery again.`,
    ),
  );
  return { permissionSchemes: schemes.schemes, grants: schemes.grants, applicationRoles };
}

async function readUsers(ctx: ReaderContext): Promise<JiraUserRow[]> {
  const users: JiraUserRow[] = [];
  for await (const page of jiraArrayPages({
    transport: ctx.transport,
    path: "/rest/api/3/users/search",
    schema: JiraUsersPageSchema,
    endpoint: "GET /rest/api/3/users/search",
    pageSize: JIRA_PAGE_CAPS.users,
    key: (u) => u.accountId,
    signal: ctx.signal,
  })) {
    for (const u of page) users.push(toUser(u));
    ctx.progress?.({ product: PRODUCT, phase: "users", done: users.length, total: null });
  }
  return users;
}

/** One `group/bulk` listing, optionally filtered by access type. */
async function listGroups(ctx: ReaderContext, accessType?: "admin" | "site-admin"): Promise<JiraGroupRow[]> {
  const groups: JiraGroupRow[] = [];
  for await (const page of jiraPageBeanPages({
    transport: ctx.transport,
    path: "/rest/api/3/group/bulk",
    query: accessType ? { accessType } : undefined,
    schema: JiraGroupPageSchema,
    endpoint: "GET /rest/api/3/group/bulk",
    pageSize: JIRA_PAGE_CAPS.groups,
    key: (g) => g.groupId,
    signal: ctx.signal,
  })) {
    for (const g of page) groups.push(toGroup(g));
    if (!accessType) ctx.progress?.({ product: PRODUCT, phase: "groups", done: groups.length, total: null });
  }
  return groups;
}

async function readGroups(ctx: ReaderContext) {
  const groups = await listGroups(ctx);
  const adminGroupIds = (await listGroups(ctx, "admin")).map((g) => g.groupId);
  const siteAdminGroupIds = (await listGroups(ctx, "site-admin")).map((g) => g.groupId);
  return { groups, adminGroupIds, siteAdminGroupIds };
}

/**
 * Members of every group, inactive ones included. A 403 (no Browse users and groups) holds for every group, so the
 * first one stops the fan-out and leaves memberships empty with one reason; a 404 means the group was deleted
 * during the read and only that group is left out.
 */
async function readGroupMembers(
  ctx: ReaderContext,
  groups: readonly JiraGroupRow[],
  tracker: PartialTracker,
): Promise<JiraGroupMemberRow[]> {
  let forbidden = false;
  let failed = false;
  const deleted: string[] = [];
  let done = 0;
  const perGroup = await mapLimit(groups, FAN_OUT, async (group) => {
    if (forbidden || failed) return [];
    const rows: JiraGroupMemberRow[] = [];
    try {
      for await (const page of jiraPageBeanPages({
        transport: ctx.transport,
        path: "/rest/api/3/group/member",
        query: { groupId: group.groupId, includeInactiveUsers: true },
        schema: JiraGroupMemberPageSchema,
        endpoint: "GET /rest/api/3/group/member",
        pageSize: JIRA_PAGE_CAPS.groupMembers,
        key: (m) => m.accountId,
        signal: ctx.signal,
      })) {
        for (const m of page) rows.push(toGroupMember(group.groupId, m));
      }
    } catch (err) {
      if (err instanceof ForbiddenError) {
        forbidden = true;
        return [];
      }
      if (err instanceof NotFoundError) {
        deleted.push(group.name);
        return [];
      }
      failed = true;
      throw err;
    }
    done += 1;
    ctx.progress?.({ product: PRODUCT, phase: "group members", done, total: groups.length });
    return rows;
  });
  if (forbidden) {
    tracker.note(browseUsersReason("group members"));
    return [];
  }
  if (deleted.length > 0) {
    tracker.note(
      `group members of ${nameList(deleted)}: Jira answered 404 Not Found — the group was deleted while discovery ` +
        `ran, so its members are left out. Run discovery again.`,
    );
  }
  return perGroup.flat();
}

async function readPermissionSchemes(
  ctx: ReaderContext,
): Promise<{ schemes: JiraSchemeRow[]; grants: JiraGrantRow[] }> {
  const { data } = await ctx.transport.request({
    path: "/rest/api/3/permissionscheme",
    query: { expand: "permissions" },
    schema: JiraPermissionSchemesSchema,
    endpoint: "GET /rest/api/3/permissionscheme",
    signal: ctx.signal,
  });
  const schemes = data.permissionSchemes.map(toScheme);
  const grants = data.permissionSchemes.flatMap(toGrants);
  ctx.progress?.({ product: PRODUCT, phase: "permission schemes", done: schemes.length, total: schemes.length });
  return { schemes, grants };
}

async function readApplicationRoles(ctx: ReaderContext): Promise<JiraSection["applicationRoles"]> {
  const { data } = await ctx.transport.request({
    path: "/rest/api/3/applicationrole",
    schema: JiraApplicationRolesSchema,
    endpoint: "GET /rest/api/3/applicationrole",
    signal: ctx.signal,
  });
  return data.map(toApplicationRole);
}
