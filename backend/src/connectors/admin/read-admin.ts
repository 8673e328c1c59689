/**
 * The Admin reader: the organization, its directories, every account with its status, billing and product access,
 * groups and memberships, org admins, and workspaces (sites and products), read through the one transport (which
 * alone paces and retries) and turned into the snapshot's Admin section page by page.
 *
 * Calls (Admin organizations API, `../shared/atlassian-specs/admin-organization-swagger.v3.json`; caps from
 * reference §2.1 and §5), each the fewest that give the data:
 *  1. `GET /v1/orgs/{orgId}` — one call: proves the key sees the organization (a 404 means it does not: a scoped key,
 *     or the wrong orgId → `NoOrganizationError`) and gives its name.
 *  2. `GET /v2/orgs/{orgId}/directories` — `limit` 100 (the maximum): ⌈directories/100⌉ calls.
 *  3. `POST /v2/orgs/{orgId}/directories/-/users/search` with `expand: [platformRoles, productAccess, groups]` —
 *     `limit` 100 (the maximum): ⌈users/100⌉ calls. `-` widens the search to every directory the key manages (spec
 *     `directoryIdParam`), so one walk covers all directories, plus managed accounts in none. The expansions ride on
 *     the same pages, which makes them the cheapest faithful source of:
 *     - group memberships (`groups`): there is no v2 members endpoint; the alternative, one `users/search
 *       {groupIds:[id]}` walk per group, costs at least one call per group;
 *     - org admins (`platformRoles` ∋ `atlassian/org-admin`): the alternatives are a second walk filtered by
 *       `roleIds` or one `role-assignments` call per user;
 *     - product access of accounts v1 does not list (unmanaged accounts): `productAccess`.
 *  4. `GET /v1/orgs/{orgId}/users` — managed accounts with `account_type`, `access_billable`, `product_access` and
 *     `last_active`, which only v1 has; the server fixes the page size and `links.next` leads on: ⌈managed/page⌉.
 *  5. `POST /v2/orgs/{orgId}/directories/-/groups/search` — `limit` 100 (the maximum): ⌈groups/100⌉ calls.
 *  6. `POST /v2/orgs/{orgId}/workspaces` — `limit` 1000 (the maximum): ⌈workspaces/1000⌉ calls; later pages send
 *     the cursor alone, as the operation requires.
 *  7. `POST /v2/orgs/{orgId}/directories/-/groups/search` with `resourceIds: [<workspace>]` and
 *     `roleIds: ["atlassian/user"]`, once per Jira or Confluence workspace: the groups that grant the product.
 *     v2 lists Atlassian accounts only, so this is how the product access of app and customer accounts (known to the
 *     products through their groups) is established; one filtered walk per product instead of one
 *     `role-assignments` call per group.
 * Every POST is a documented search, sent as a read-only POST. Steps 2–6 run concurrently (the governor caps the
 * real concurrency); the first failure stops the others.
 *
 * A part the key may not read (403 — a scoped key missing one scope — or 404) marks the section partial with a reason
 * naming the scope; the rest is kept. Anything else — 401, 5xx after the transport's retries, a schema mismatch, a
 * missing identity — fails the read.
 */
import { adminCursorPages, adminSearchPages } from "@accessmap/shared/pagination/drivers";
import { PartialTracker, type ReaderContext, type ReaderResult } from "@accessmap/shared/readers/reader";
import type { AdminSection, AdminUser } from "@accessmap/shared/snapshot/schema";
import { ForbiddenError, NotFoundError } from "@accessmap/shared/transport/errors";
import { NoOrganizationError } from "./errors.js";
import {
  AdminDirectoryPageSchema,
  AdminGroupPageSchema,
  AdminOrgSchema,
  AdminV1UserPageSchema,
  AdminV2UserPageSchema,
  AdminWorkspacePageSchema,
} from "./schemas.js";
import {
  type AdminDirectoryRow,
  type AdminGroupMemberRow,
  type AdminGroupRow,
  type AdminWorkspaceRow,
  mergeAdminUser,
  toDirectory,
  toGroup,
  toGroupMembers,
  toOrg,
  toV1User,
  toV2User,
  toWorkspace,
  type V1UserRow,
  type V2UserRow,
} from "./transform.js";

const PRODUCT = "admin";
/** Path value for "every directory the key may manage" (spec `directoryIdParam`). */
const ALL_DIRECTORIES = "-";
/** What each user row carries besides its own fields: see step 3 above. */
const USER_EXPAND = ["platformRoles", "productAccess", "groups"] as const;

/** Largest page each Admin listing serves (reference §2.1, §5; the simulator clamps to the same values). */
export const ADMIN_PAGE_CAPS = {
  /** `GET /v2/orgs/{orgId}/directories`: `limit` 1–100. */
  directories: 100,
  /** `POST …/users/search`: `limit` ≤ 100. */
  users: 100,
  /** `GET /v1/orgs/{orgId}/users`: no `limit`; the server's page size (not documented; VERIFY live). */
  managedAccounts: 100,
  /** `POST …/groups/search`: `limit` ≤ 100. */
  groups: 100,
  /** `POST /v2/orgs/{orgId}/workspaces`: `limit` 1–1000. */
  workspaces: 1000,
} as const;
export type AdminPageCaps = { [K in keyof typeof ADMIN_PAGE_CAPS]: number };

/** How many of each entity an org holds, as far as the call count depends on it. */
export interface AdminEntityCounts {
  directories: number;
  /** Accounts v2 `users/search` lists across every directory (Atlassian accounts; managed ones in no directory too). */
  users: number;
  /** Managed accounts v1 `/users` lists. */
  managedAccounts: number;
  groups: number;
  workspaces: number;
  /** Groups granting each Jira or Confluence workspace (one entry per such workspace). */
  productAccessGroups?: number[];
}

/** Endpoint label of the product-access group searches, counted apart from the plain group listing. */
export const PRODUCT_ACCESS_GROUPS_ENDPOINT =
  "POST /v2/orgs/{orgId}/directories/{directoryId}/groups/search (product access)";

/** Calls of a cursor listing: one per full page, and one even when it is empty. */
function pages(items: number, cap: number): number {
  return Math.max(1, Math.ceil(items / cap));
}

/** The fewest calls each endpoint needs for an org of this shape: every list at its largest page size. */
export function adminCallBreakdown(
  counts: AdminEntityCounts,
  caps: AdminPageCaps = ADMIN_PAGE_CAPS,
): Record<string, number> {
  return {
    "GET /v1/orgs/{orgId}": 1,
    "GET /v2/orgs/{orgId}/directories": pages(counts.directories, caps.directories),
    "POST /v2/orgs/{orgId}/directories/-/users/search": pages(counts.users, caps.users),
    "GET /v1/orgs/{orgId}/users": pages(counts.managedAccounts, caps.managedAccounts),
    "POST /v2/orgs/{orgId}/directories/-/groups/search": pages(counts.groups, caps.groups),
    "POST /v2/orgs/{orgId}/workspaces": pages(counts.workspaces, caps.workspaces),
    [PRODUCT_ACCESS_GROUPS_ENDPOINT]: (counts.productAccessGroups ?? []).reduce((n, g) => n + pages(g, caps.groups), 0),
  };
}

/** The call lower bound of a complete Admin read, for the benchmark: the sum of `adminCallBreakdown`. */
export function minimumAdminCalls(counts: AdminEntityCounts, caps: AdminPageCaps = ADMIN_PAGE_CAPS): number {
  return Object.values(adminCallBreakdown(counts, caps)).reduce((a, b) => a + b, 0);
}

/**
 * Explains a refused part: a 403 names the scope the key lacks (scoped keys carry scopes; reference §2.1), a 404 the
 * endpoint the org did not answer.
 */
function explain(what: string, scope: string, consequence: string) {
  return (err: ForbiddenError | NotFoundError): string => {
    const said = err.info.productMessage ? ` (${err.info.productMessage})` : "";
    return err instanceof ForbiddenError
      ? `${what}: the Admin API answered 403 Forbidden at ${err.info.endpoint}${said} — the admin API key lacks the ` +
          `${scope} scope, so ${consequence}. Add ${scope} to the key, or use an unscoped key (admin.atlassian.com → ` +
          `Settings → API keys), and run discovery again.`
      : `${what}: the Admin API answered 404 Not Found at ${err.info.endpoint}${said}, so ${consequence}. Check that ` +
          `orgId names this organization and run discovery again.`;
  };
}

/** Reads the Admin section for `opts.orgId` through `ctx.transport`. */
export async function readAdmin(ctx: ReaderContext, opts: { orgId: string }): Promise<ReaderResult<AdminSection>> {
  const orgPath = `/v2/orgs/${encodeURIComponent(opts.orgId)}`;
  const org = await readOrg(ctx, opts.orgId);
  const tracker = new PartialTracker();

  // The parts run concurrently; the first failure aborts the others so no call is wasted on a failed read.
  const stop = new AbortController();
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, stop.signal]) : stop.signal;
  const part = <T>(p: Promise<T>): Promise<T> =>
    p.catch((err: unknown) => {
      stop.abort();
      throw err;
    });
  const c: ReaderContext = { ...ctx, signal };

  const [directories, workspaces, groups, v2Users, v1Users] = await Promise.all([
    part(
      tracker.part(
        "directories",
        [] as AdminDirectoryRow[],
        () => readDirectories(c, orgPath),
        explain("directories", "read:directories:admin", "the org's directories are not listed"),
      ),
    ),
    part(
      tracker.part(
        "workspaces",
        [] as AdminWorkspaceRow[],
        () => readWorkspaces(c, orgPath),
        explain("workspaces", "read:workspaces:admin", "sites and products (workspaces) are not listed"),
      ),
    ),
    part(
      tracker.part(
        "groups",
        [] as AdminGroupRow[],
        () => readGroups(c, orgPath),
        explain("groups", "read:groups:admin", "groups are not listed"),
      ),
    ),
    part(
      tracker.part(
        "users",
        [] as V2UserRow[],
        () => readV2Users(c, orgPath),
        explain(
          "users",
          "read:directories:admin",
          "user statuses, group memberships and org admins are unknown (managed accounts still come from v1)",
        ),
      ),
    ),
    part(
      tracker.part(
        "managed accounts",
        [] as V1UserRow[],
        () => readV1Users(c, opts.orgId),
        explain(
          "managed accounts",
          "read:accounts:admin",
          "account types, billable status and product access of managed accounts are unknown",
        ),
      ),
    ),
  ]);

  // v2 productAccess names product instances by ARI; the workspaces map them to the product keys v1 uses.
  const productKeyByInstance = new Map(workspaces.map((w) => [w.id, w.type]));
  const v1ById = new Map(v1Users.map((u) => [u.accountId, u]));
  const users: AdminUser[] = [];
  const groupMembers: AdminGroupMemberRow[] = [];
  const orgAdmins: string[] = [];
  for (const u of v2Users) {
    users.push(mergeAdminUser(u, v1ById.get(u.accountId), productKeyByInstance));
    v1ById.delete(u.accountId);
    groupMembers.push(...toGroupMembers(u));
    if (u.orgAdmin) orgAdmins.push(u.accountId);
  }
  // Managed accounts v2 did not list (or all of them, when v2 was refused).
  for (const u of v1ById.values()) users.push(mergeAdminUser(undefined, u, productKeyByInstance));

  const groupProductAccess = await tracker.part(
    "product access groups",
    [] as Array<{ groupId: string; key: string }>,
    () => readProductAccessGroups(c, orgPath, workspaces),
    explain(
      "product access groups",
      "read:groups:admin",
      "which groups grant Jira or Confluence is unknown, so app and customer accounts' product access is inferred",
    ),
  );

  const section: AdminSection = {
    org,
    directories,
    users,
    groups,
    groupMembers,
    orgAdmins,
    workspaces,
    groupProductAccess,
  };
  return {
    section,
    reasons: tracker.reasons,
    counts: {
      users: users.length,
      groups: groups.length,
      groupMembers: groupMembers.length,
      orgAdmins: orgAdmins.length,
      workspaces: workspaces.length,
      directories: directories.length,
      groupProductAccess: groupProductAccess.length,
    },
  };
}

/** The organization, or `NoOrganizationError` when the key does not see it (a scoped key sees none). */
async function readOrg(ctx: ReaderContext, orgId: string): Promise<AdminSection["org"]> {
  try {
    const { data } = await ctx.transport.request({
      path: `/v1/orgs/${encodeURIComponent(orgId)}`,
      schema: AdminOrgSchema,
      endpoint: "GET /v1/orgs/{orgId}",
      signal: ctx.signal,
    });
    const org = toOrg(data.data);
    if (org.id !== orgId) throw new NoOrganizationError(orgId);
    ctx.progress?.({ product: PRODUCT, phase: "organization", done: 1, total: 1 });
    return org;
  } catch (err) {
    if (err instanceof NotFoundError) throw new NoOrganizationError(orgId);
    throw err;
  }
}

async function readDirectories(ctx: ReaderContext, orgPath: string): Promise<AdminDirectoryRow[]> {
  const out: AdminDirectoryRow[] = [];
  for await (const page of adminCursorPages({
    transport: ctx.transport,
    path: `${orgPath}/directories`,
    query: { limit: ADMIN_PAGE_CAPS.directories },
    schema: AdminDirectoryPageSchema,
    endpoint: "GET /v2/orgs/{orgId}/directories",
    key: (d) => d.directoryId,
    signal: ctx.signal,
  })) {
    for (const d of page) out.push(toDirectory(d));
  }
  ctx.progress?.({ product: PRODUCT, phase: "directories", done: out.length, total: out.length });
  return out;
}

async function readV2Users(ctx: ReaderContext, orgPath: string): Promise<V2UserRow[]> {
  const out: V2UserRow[] = [];
  for await (const page of adminSearchPages({
    transport: ctx.transport,
    path: `${orgPath}/directories/${ALL_DIRECTORIES}/users/search`,
    body: { limit: ADMIN_PAGE_CAPS.users, expand: [...USER_EXPAND] },
    schema: AdminV2UserPageSchema,
    endpoint: "POST /v2/orgs/{orgId}/directories/{directoryId}/users/search",
    key: (u) => u.accountId,
    signal: ctx.signal,
  })) {
    for (const u of page) out.push(toV2User(u));
    ctx.progress?.({ product: PRODUCT, phase: "users", done: out.length, total: null });
  }
  return out;
}

async function readV1Users(ctx: ReaderContext, orgId: string): Promise<V1UserRow[]> {
  const out: V1UserRow[] = [];
  for await (const page of adminCursorPages({
    transport: ctx.transport,
    path: `/v1/orgs/${encodeURIComponent(orgId)}/users`,
    schema: AdminV1UserPageSchema,
    endpoint: "GET /v1/orgs/{orgId}/users",
    key: (u) => u.account_id,
    signal: ctx.signal,
  })) {
    for (const u of page) out.push(toV1User(u));
    ctx.progress?.({ product: PRODUCT, phase: "managed accounts", done: out.length, total: null });
  }
  return out;
}

async function readGroups(ctx: ReaderContext, orgPath: string): Promise<AdminGroupRow[]> {
  const out: AdminGroupRow[] = [];
  for await (const page of adminSearchPages({
    transport: ctx.transport,
    path: `${orgPath}/directories/${ALL_DIRECTORIES}/groups/search`,
    body: { limit: ADMIN_PAGE_CAPS.groups },
    schema: AdminGroupPageSchema,
    endpoint: "POST /v2/orgs/{orgId}/directories/{directoryId}/groups/search",
    key: (g) => g.id,
    signal: ctx.signal,
  })) {
    for (const g of page) out.push(toGroup(g));
    ctx.progress?.({ product: PRODUCT, phase: "groups", done: out.length, total: null });
  }
  return out;
}

/** Products whose access is granted through groups (Bitbucket's comes from workspace membership). */
const GROUP_GRANTED_PRODUCTS = (type: string) => type.startsWith("jira") || type === "confluence";

/** For each Jira or Confluence workspace, the groups holding its user role: `{groupId, key}` rows. */
async function readProductAccessGroups(
  ctx: ReaderContext,
  orgPath: string,
  workspaces: AdminWorkspaceRow[],
): Promise<Array<{ groupId: string; key: string }>> {
  const out: Array<{ groupId: string; key: string }> = [];
  for (const w of workspaces.filter((x) => GROUP_GRANTED_PRODUCTS(x.type))) {
    for await (const page of adminSearchPages({
      transport: ctx.transport,
      path: `${orgPath}/directories/${ALL_DIRECTORIES}/groups/search`,
      body: { limit: ADMIN_PAGE_CAPS.groups, resourceIds: [w.id], roleIds: ["atlassian/user"] },
      schema: AdminGroupPageSchema,
      endpoint: PRODUCT_ACCESS_GROUPS_ENDPOINT,
      key: (g) => g.id,
      signal: ctx.signal,
    })) {
      for (const g of page) out.push({ groupId: toGroup(g).groupId, key: w.type });
    }
  }
  ctx.progress?.({ product: PRODUCT, phase: "product access groups", done: out.length, total: out.length });
  return out;
}

async function readWorkspaces(ctx: ReaderContext, orgPath: string): Promise<AdminWorkspaceRow[]> {
  const out: AdminWorkspaceRow[] = [];
  for await (const page of adminSearchPages({
    transport: ctx.transport,
    path: `${orgPath}/workspaces`,
    body: { limit: ADMIN_PAGE_CAPS.workspaces },
    cursorAlone: true,
    schema: AdminWorkspacePageSchema,
    endpoint: "POST /v2/orgs/{orgId}/workspaces",
    key: (w) => w.id,
    signal: ctx.signal,
  })) {
    for (const w of page) out.push(toWorkspace(w));
  }
  ctx.progress?.({ product: PRODUCT, phase: "workspaces", done: out.length, total: out.length });
  return out;
}
