/**
 * Pure transforms from Admin API objects (see `schemas.ts`) to rows of the snapshot's Admin section. Identity fields
 * go through `requireId`, so a record without one fails the read instead of being keyed by a guess; other missing
 * fields become null (never ""), or, where the snapshot needs a value, the vendor's own "unknown".
 *
 * A user is read twice: v2 `users/search` (composite status, membership, claim status, groups, platform roles) and
 * v1 `/users` (account type, billable, product access — v1 only). Each page becomes a small per-source row at once;
 * `mergeAdminUser` joins the two by accountId.
 */
import { requireId } from "@accessmap/shared/readers/reader";
import type { AdminSection, AdminUser } from "@accessmap/shared/snapshot/schema";
import type { AdminDirectory, AdminGroup, AdminOrg, AdminV1User, AdminV2User, AdminWorkspace } from "./schemas.js";

export type AdminDirectoryRow = AdminSection["directories"][number];
export type AdminGroupRow = AdminSection["groups"][number];
export type AdminGroupMemberRow = AdminSection["groupMembers"][number];
export type AdminWorkspaceRow = AdminSection["workspaces"][number];

/** The org-admin platform role (`PlatformRole`). */
export const ORG_ADMIN_ROLE = "atlassian/org-admin";

/** What v2 `users/search` says about one account. */
export interface V2UserRow {
  accountId: string;
  accountType: string | null;
  accountStatus: string | null;
  status: string | null;
  membershipStatus: string | null;
  claimStatus: string | null;
  displayName: string | null;
  email: string | null;
  addedToOrg: string | null;
  /** `platformRoles` holds `atlassian/org-admin`. */
  orgAdmin: boolean;
  /** Plain group ids from the `groups` expansion. */
  groupIds: string[];
  /** `productAccess`: `instance` is the product instance's ARI, `key` the v2 product key (`jira`, `confluence`). */
  productAccess: Array<{ instance: string | null; key: string | null; lastActive: string | null }>;
}

/** What v1 `/users` says about one managed account. */
export interface V1UserRow {
  accountId: string;
  accountType: string | null;
  accountStatus: string | null;
  displayName: string | null;
  email: string | null;
  billable: boolean | null;
  lastActive: string | null;
  productAccess: Array<{ key: string; lastActive: string | null }>;
}

/** An optional string: absent, null and "" all become null. */
function orNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === "" ? null : value;
}

/** The latest of some ISO-8601 timestamps, or null. */
function latest(values: ReadonlyArray<string | null>): string | null {
  let best: string | null = null;
  for (const v of values) {
    if (v === null) continue;
    if (best === null || Date.parse(v) > Date.parse(best)) best = v;
  }
  return best;
}

/** The organization (`GET /v1/orgs/{orgId}`). */
export function toOrg(o: AdminOrg): AdminSection["org"] {
  const id = requireId(o.id, "organization", "id");
  return { id, name: orNull(o.attributes?.name) ?? id };
}

export function toDirectory(d: AdminDirectory): AdminDirectoryRow {
  const directoryId = requireId(d.directoryId, "directory", "directoryId");
  return { directoryId, name: orNull(d.name) ?? directoryId };
}

/**
 * A group id from a group reference: the v2 `groups` expansion names groups by ARI
 * (`ari:cloud:identity::group/<groupId>`, spec `MultiDirectoryUserGroup.id`), `groups/search` by the plain id.
 */
export function groupIdFromRef(ref: string): string {
  const id = ref.startsWith("ari:") ? ref.slice(ref.lastIndexOf("/") + 1) : ref;
  return requireId(id, "group reference", "id");
}

export function toGroup(g: AdminGroup): AdminGroupRow {
  return {
    groupId: groupIdFromRef(requireId(g.id, "group", "id")),
    name: g.name,
    description: orNull(g.description),
  };
}

/** A workspace (product instance): `type` is the product key (`jira-software`, `confluence`, `bitbucket`). */
export function toWorkspace(w: AdminWorkspace): AdminWorkspaceRow {
  const id = requireId(w.id, "workspace", "id");
  const a = w.attributes;
  return {
    id,
    name: orNull(a?.name) ?? id,
    type: orNull(a?.typeKey) ?? orNull(a?.type) ?? "unknown",
    url: orNull(a?.hostUrl),
  };
}

/** One account as v2 `users/search` lists it, with its groups, platform roles and product activity. */
export function toV2User(u: AdminV2User): V2UserRow {
  return {
    accountId: requireId(u.accountId, "Admin user", "accountId"),
    accountType: orNull(u.accountType),
    accountStatus: orNull(u.accountStatus),
    status: orNull(u.status),
    membershipStatus: orNull(u.membershipStatus),
    claimStatus: orNull(u.claimStatus),
    displayName: orNull(u.name),
    email: orNull(u.email),
    addedToOrg: orNull(u.addedToOrg),
    orgAdmin: (u.platformRoles ?? []).includes(ORG_ADMIN_ROLE),
    groupIds: [...new Set((u.groups ?? []).map((g) => groupIdFromRef(requireId(g.id, "user group", "id"))))],
    productAccess: (u.productAccess ?? []).map((p) => ({
      instance: orNull(p.id),
      key: orNull(p.key),
      lastActive: orNull(p.lastActiveTimestamp),
    })),
  };
}

/** One managed account as v1 `/users` lists it. */
export function toV1User(u: AdminV1User): V1UserRow {
  return {
    accountId: requireId(u.account_id, "Admin v1 user", "account_id"),
    accountType: orNull(u.account_type),
    accountStatus: orNull(u.account_status),
    displayName: orNull(u.name),
    email: orNull(u.email),
    billable: u.access_billable ?? null,
    lastActive: orNull(u.last_active),
    productAccess: (u.product_access ?? []).map((p) => ({ key: p.key, lastActive: orNull(p.last_active) })),
  };
}

/** The memberships the `groups` expansion states for one account. */
export function toGroupMembers(u: V2UserRow): AdminGroupMemberRow[] {
  return u.groupIds.map((groupId) => ({ groupId, accountId: u.accountId }));
}

/**
 * Joins what v1 and v2 say about one account. v1 wins for account type, billable, product access and last activity
 * (v1 only, or v1's own product keys); v2 for the composite status, membership and claim status, which v1 lacks.
 * Without v1 (an unmanaged account, or v1 refused), v2 `productAccess` stands in: its instance ARI is mapped to the
 * workspace's product key (`jira-software`) through `productKeyByInstance`, so keys read the same for every user.
 */
export function mergeAdminUser(
  v2: V2UserRow | undefined,
  v1: V1UserRow | undefined,
  productKeyByInstance: ReadonlyMap<string, string>,
): AdminUser {
  const accountId = requireId(v1?.accountId ?? v2?.accountId, "Admin user", "accountId");
  const accountType = v1?.accountType ?? v2?.accountType ?? "unknown";
  const v2Access = (v2?.productAccess ?? []).flatMap((p) => {
    const key = (p.instance ? productKeyByInstance.get(p.instance) : undefined) ?? p.key;
    return key ? [{ key, lastActive: p.lastActive }] : [];
  });
  const productAccess = v1 ? v1.productAccess : v2Access;
  return {
    accountId,
    accountType,
    accountStatus: v1?.accountStatus ?? v2?.accountStatus ?? "unknown",
    status: v2?.status ?? null,
    membershipStatus: v2?.membershipStatus ?? null,
    // The Admin API always names a user; the id is the only honest label otherwise.
    displayName: v2?.displayName ?? v1?.displayName ?? accountId,
    email: v2?.email ?? v1?.email ?? null,
    claimStatus: v2?.claimStatus ?? null,
    billable: v1?.billable ?? null,
    // Veza OAA `user_type`: app accounts are service accounts (reference §2.1, "Where the user fields come from").
    userType: accountType === "app" ? "service_account" : "human",
    productAccess,
    lastActive: v1 ? v1.lastActive : latest(v2Access.map((p) => p.lastActive)),
    addedToOrg: v2?.addedToOrg ?? null,
  };
}
