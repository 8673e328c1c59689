/**
 * The v2 user query shared by `POST …/users/search` (body), the deprecated `GET …/users` and `GET …/users/count`
 * (query string): the filters with the caps the specification declares (a filter over its cap is a 400), and the
 * one pass over the org's accounts that applies them.
 */
import { z } from "zod";
import type { SimState } from "../../state.js";
import type { SimAccount } from "../../tenant/model.js";
import { inDirectory, listedInV2, membershipStatusOf, mfaEnabledOf, nicknameOf, statusOf } from "./accounts.js";
import { type AdminContext, type DirectoryScope, queryBool, queryList } from "./common.js";
import { assignmentMatches, ROLE_IDS, type RoleIndex } from "./roles.js";

const STATUS = ["active", "suspended", "not_invited", "deactivated", "for_deletion"] as const;
const ACCOUNT_STATUS = ["active", "inactive", "closed"] as const;
const MEMBERSHIP_STATUS = ["active", "suspended", "no_membership"] as const;
export const USER_EXPANDS = ["platformRoles", "counts.resources", "productAccess", "groups"] as const;
export type UserExpand = (typeof USER_EXPANDS)[number];

/** `MultiDirectoryUserSearchRequest` minus paging, with its `maxItems` caps. */
const userQuerySchema = z
  .object({
    accountIds: z.array(z.string()).max(10).optional(),
    accountStatus: z.array(z.enum(ACCOUNT_STATUS)).max(3).optional(),
    claimStatus: z.enum(["managed", "unmanaged"]).optional(),
    directoryIds: z.array(z.string()).max(10).optional(),
    emailDomains: z.array(z.string()).max(10).optional(),
    emails: z.array(z.string()).max(100).optional(),
    expand: z.array(z.enum(USER_EXPANDS)).optional(),
    groupIds: z.array(z.string()).max(10).optional(),
    membershipStatus: z.array(z.enum(MEMBERSHIP_STATUS)).max(3).optional(),
    mfaEnabled: z.boolean().optional(),
    resourceIds: z.array(z.string()).max(20).optional(),
    roleIds: z
      .array(z.enum(ROLE_IDS as [string, ...string[]]))
      .max(10)
      .optional(),
    searchTerm: z.string().optional(),
    sortBy: z
      .array(z.object({ field: z.literal("nick_name"), direction: z.enum(["asc", "desc"]) }))
      .max(1)
      .optional(),
    status: z.array(z.enum(STATUS)).max(4).optional(),
  })
  // "`searchTerm` and `emails` are mutually exclusive. Providing both in the same request returns 400."
  .refine((q) => !(q.searchTerm !== undefined && q.emails !== undefined), {
    message: "searchTerm and emails are mutually exclusive",
    path: ["emails"],
  });

export type UserQuery = z.infer<typeof userQuerySchema>;

/** Drops `null` members, which clients send for "no filter". */
function withoutNulls(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null && v !== undefined));
}

/** Validates a user query; the error names the offending field, as the 400 `detail` does. */
export function parseUserQuery(
  raw: Record<string, unknown>,
): { ok: true; query: UserQuery } | { ok: false; error: string } {
  const { cursor: _cursor, limit: _limit, ...rest } = raw;
  const result = userQuerySchema.safeParse(withoutNulls(rest));
  if (result.success) return { ok: true, query: result.data };
  const issue = result.error.issues[0];
  return { ok: false, error: `${issue?.path.join(".") || "(body)"}: ${issue?.message ?? "invalid"}` };
}

/**
 * `sortBy` as a query parameter: the documents type it as an array of objects without saying how it serializes;
 * `nick_name`, `nick_name:desc` and the JSON form are accepted.
 */
export function parseSortQuery(raw: string | undefined, field: string): unknown {
  if (raw === undefined) return undefined;
  if (raw.startsWith("[") || raw.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) ? parsed : [parsed];
    } catch {
      return raw;
    }
  }
  const [f, direction = "asc"] = raw.split(":");
  return [{ field: f === field ? field : f, direction }];
}

/** The user filters of a query string (deprecated `GET …/users`, `GET …/users/count`). */
export function userQueryFromSearchParams(c: AdminContext): Record<string, unknown> | string {
  const raw: Record<string, unknown> = {};
  for (const name of [
    "accountIds",
    "accountStatus",
    "directoryIds",
    "emailDomains",
    "groupIds",
    "membershipStatus",
    "resourceIds",
    "roleIds",
    "status",
  ]) {
    const list = queryList(c, name);
    if (list) raw[name] = list;
  }
  const claimStatus = c.req.query("claimStatus");
  if (claimStatus !== undefined) raw.claimStatus = claimStatus;
  const searchTerm = c.req.query("searchTerm");
  if (searchTerm !== undefined) raw.searchTerm = searchTerm;
  const mfa = c.req.query("mfaEnabled");
  if (mfa !== undefined) {
    const b = queryBool(c, "mfaEnabled");
    if (b === undefined) return "mfaEnabled: must be true or false";
    raw.mfaEnabled = b;
  }
  const sortBy = parseSortQuery(c.req.query("sortBy"), "nick_name");
  if (sortBy !== undefined) raw.sortBy = sortBy;
  return raw;
}

/**
 * The accounts matching a query, in the tenant's stable order (or by nickname when `sortBy` asks). `-` lists every
 * directory member plus managed accounts in no directory; a named directory lists its members only.
 */
export function matchUsers(state: SimState, dir: DirectoryScope, q: UserQuery, roles: RoleIndex): SimAccount[] {
  const home = dir.all || dir.id === dir.home;
  if (!home) return [];
  if (q.directoryIds && !q.directoryIds.includes(dir.home)) return [];
  const memberOnly = !dir.all || q.directoryIds !== undefined;
  const accountIds = q.accountIds ? new Set(q.accountIds) : undefined;
  const emails = q.emails ? new Set(q.emails.map((e) => e.toLowerCase())) : undefined;
  const domains = q.emailDomains ? new Set(q.emailDomains.map((d) => d.replace(/^@/, "").toLowerCase())) : undefined;
  const term = q.searchTerm?.toLowerCase();
  const roleFilter = q.resourceIds || q.roleIds ? { resourceIds: q.resourceIds, roleIds: q.roleIds } : undefined;

  const out = state.tenant.accounts.filter((a) => {
    if (memberOnly ? !inDirectory(state, a) : !listedInV2(state, a)) return false;
    if (accountIds && !accountIds.has(a.accountId)) return false;
    if (emails && !emails.has(a.email.toLowerCase())) return false;
    if (domains && !domains.has(a.email.split("@")[1]?.toLowerCase() ?? "")) return false;
    if (q.claimStatus && (q.claimStatus === "managed") !== a.managed) return false;
    if (q.accountStatus && !q.accountStatus.includes(a.status)) return false;
    if (q.membershipStatus && !q.membershipStatus.includes(membershipStatusOf(state, a))) return false;
    if (q.status && !q.status.includes(statusOf(state, a))) return false;
    if (q.mfaEnabled !== undefined && mfaEnabledOf(a) !== q.mfaEnabled) return false;
    if (q.groupIds) {
      const mine = state.groupsOfAccount.get(a.accountId);
      if (!mine || !q.groupIds.some((g) => mine.has(g))) return false;
    }
    if (term) {
      const hay = [a.displayName, a.email, nicknameOf(state, a)];
      if (!hay.some((h) => h.toLowerCase().includes(term))) return false;
    }
    if (roleFilter && !roles.userAssignments(a).some((r) => assignmentMatches(r, roleFilter))) return false;
    return true;
  });

  const sort = q.sortBy?.[0];
  if (sort) {
    const keyed = out.map((a) => ({ a, k: nicknameOf(state, a).toLowerCase() }));
    keyed.sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0) * (sort.direction === "desc" ? -1 : 1));
    return keyed.map((x) => x.a);
  }
  return out;
}
