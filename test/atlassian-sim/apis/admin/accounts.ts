/**
 * How an account looks to the Admin API and the user-management API: its directory membership and composite status,
 * nickname, avatar and extended profile. Values the tenant model does not carry are derived deterministically from
 * the account (or taken from what user management set), so every response is stable for a given tenant.
 */
import { createHash } from "node:crypto";
import type { SimState } from "../../state.js";
import type { SimAccount } from "../../tenant/model.js";

export type MembershipStatus = "active" | "suspended" | "no_membership";
export type CompositeStatus = "active" | "suspended" | "not_invited" | "deactivated" | "for_deletion";

/**
 * Whether the account is a member of the org's directory: an Atlassian account that was not removed from it.
 * Only `atlassian` accounts live in directories (v2 `AccountType` has that one value); app and customer accounts
 * appear in Admin v1 only.
 */
export function inDirectory(state: SimState, a: SimAccount): boolean {
  return a.accountType === "atlassian" && !state.removedFromDirectory.has(a.accountId);
}

/**
 * Whether Admin v2 lists the account at all: directory members, plus managed accounts that are in no directory
 * ("this API will also return your organization’s managed accounts, even if they’re not in a directory").
 */
export function listedInV2(state: SimState, a: SimAccount): boolean {
  return a.accountType === "atlassian" && (a.managed || !state.removedFromDirectory.has(a.accountId));
}

/** v2 `membershipStatus`. */
export function membershipStatusOf(state: SimState, a: SimAccount): MembershipStatus {
  if (!inDirectory(state, a)) return "no_membership";
  return a.suspended ? "suspended" : "active";
}

/** v2 composite `status` (spec `Status`: a composite of `accountStatus` and `membershipStatus`). */
export function statusOf(state: SimState, a: SimAccount): CompositeStatus {
  if (state.pendingDeletion.has(a.accountId)) return "for_deletion";
  if (a.status !== "active") return "deactivated";
  const m = membershipStatusOf(state, a);
  return m === "active" ? "active" : m === "suspended" ? "suspended" : "not_invited";
}

function hash(text: string, algorithm = "sha256"): string {
  return createHash(algorithm).update(text).digest("hex");
}

/** Nickname: what user management set, else the Bitbucket nickname, else the first name (at most 30 characters). */
export function nicknameOf(state: SimState, a: SimAccount): string {
  const set = state.profileOverrides.get(a.accountId)?.nickname;
  const nick = set ?? a.bitbucketNickname ?? a.displayName.split(/\s+/)[0] ?? a.displayName;
  return (nick || a.accountId).slice(0, 30);
}

/** Atlassian profile pictures: Gravatar with Atlassian's initials avatar as the fallback. */
export function pictureOf(a: SimAccount): string {
  const initials = a.displayName
    .split(/\s+/)
    .map((w) => w[0] ?? "")
    .join("")
    .slice(0, 2)
    .toUpperCase();
  const fallback = `https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/initials/${initials || "U"}-${
    Number.parseInt(hash(a.accountId).slice(0, 2), 16) % 6
  }.png`;
  return `https://secure.gravatar.com/avatar/${hash(a.email.toLowerCase(), "md5")}?d=${encodeURIComponent(fallback)}`;
}

/** Two-step verification of a managed account (not modelled: derived from the account id, about 70% enabled). */
export function mfaEnabledOf(a: SimAccount): boolean | undefined {
  return a.managed ? Number.parseInt(hash(`mfa:${a.accountId}`).slice(0, 4), 16) % 10 < 7 : undefined;
}

/** The extended profile: job title and department from the account, the rest from SCIM or user management. */
export function extendedProfileOf(state: SimState, a: SimAccount) {
  const set = state.profileOverrides.get(a.accountId);
  const scim = state.scimUserByAccount.get(a.accountId);
  return {
    jobTitle: a.title ?? undefined,
    department: a.department ?? undefined,
    organization: set?.organization ?? scim?.organization ?? undefined,
    location: set?.location,
    zoneinfo: set?.zoneinfo,
    locale: set?.locale,
  };
}

/** The date part (`yyyy-MM-dd`) of an ISO-8601 timestamp. */
export function datePart(iso: string): string {
  return iso.slice(0, 10);
}

/** An ISO-8601 timestamp in Atlassian's second-precision form `yyyy-MM-ddTHH:mm:ssZ`. */
export function secondsIso(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19)}Z`;
}
