/**
 * What the org API key may do to an account through the user-management API (`GET /users/{id}/manage`): only the
 * org's managed accounts can be managed at all, and for an account provisioned from the identity provider the
 * attributes the IdP syncs, its email and its lifecycle are managed there (`externalDirectory.scim`).
 */
import { createHash } from "node:crypto";
import type { SimState } from "../../state.js";
import type { SimAccount } from "../../tenant/model.js";

export type RestrictionKey =
  | "administrative"
  | "administrative.notMyself"
  | "authPolicy.saml"
  | "blocked.exportControl"
  | "externalDirectory.scim"
  | "externalDirectory.google"
  | "myselfOnly"
  | "managedAccount";

/** `Manageability.Rule.Simple`. */
export type Rule = { allowed: true } | { allowed: false; reason: { key: RestrictionKey } };

const ALLOWED: Rule = { allowed: true };
const SCIM: Rule = { allowed: false, reason: { key: "externalDirectory.scim" } };

/** The profile fields `profile.write` covers, as JSON paths of the profile (`Manageability.Rule.ObjectMutability`). */
export const PROFILE_FIELDS = [
  "name",
  "nickname",
  "extended_profile.job_title",
  "extended_profile.department",
  "extended_profile.organization",
  "extended_profile.location",
  "zoneinfo",
  "locale",
] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

/** Attributes Atlassian's SCIM user schema maps (displayName, nickName, title, department, organization, timezone, preferredLanguage). */
const SCIM_SYNCED: ReadonlySet<ProfileField> = new Set([
  "name",
  "nickname",
  "extended_profile.job_title",
  "extended_profile.department",
  "extended_profile.organization",
  "zoneinfo",
  "locale",
]);

export const PRIVILEGES = [
  "profile",
  "profile.write",
  "profile.read",
  "email.set",
  "lifecycle.enablement",
  "lifecycle.delete",
  "apiToken.read",
  "apiToken.delete",
] as const;
export type Privilege = (typeof PRIVILEGES)[number];

/** Whether the account is provisioned from the identity provider. */
export function scimManaged(state: SimState, a: SimAccount): boolean {
  return state.scimUserByAccount.has(a.accountId);
}

/** The mutability of each profile field. */
export function profileMutability(state: SimState, a: SimAccount): Record<ProfileField, Rule> {
  const scim = scimManaged(state, a);
  return Object.fromEntries(PROFILE_FIELDS.map((f) => [f, scim && SCIM_SYNCED.has(f) ? SCIM : ALLOWED])) as Record<
    ProfileField,
    Rule
  >;
}

/** The rule of one privilege (for `profile` and `profile.write`, the per-field mutability). */
export function privilegeRule(state: SimState, a: SimAccount, p: Privilege): Rule | Record<ProfileField, Rule> {
  switch (p) {
    case "profile":
    case "profile.write":
      return profileMutability(state, a);
    case "email.set":
    case "lifecycle.enablement":
    case "lifecycle.delete":
      return scimManaged(state, a) ? SCIM : ALLOWED;
    case "profile.read":
    case "apiToken.read":
    case "apiToken.delete":
      return ALLOWED;
  }
}

/** An API token of a managed account (`ApiTokenModel`). */
export interface ApiToken {
  id: string;
  label: string;
  createdAt: string;
  expiry: string;
  lastAccess?: string;
}

const TOKEN_LABELS = ["CI pipeline", "Jira automation", "Backup script", "Reporting", "Data migration", "CLI"];
const DAY_MS = 86_400_000;

/**
 * The account's API tokens. The tenant model holds none, so they are derived from the account id (0–3 per managed
 * account, created up to two years before the tenant's `generatedAt`, expiring a year later as Atlassian's do),
 * minus the ones revoked through this API.
 */
export function apiTokensOf(state: SimState, a: SimAccount): ApiToken[] {
  if (!a.managed || a.accountType !== "atlassian") return [];
  const now = Date.parse(state.tenant.generatedAt);
  const h = (s: string) => createHash("sha256").update(s).digest("hex");
  const count = Number.parseInt(h(`tokens:${a.accountId}`).slice(0, 2), 16) % 4;
  const out: ApiToken[] = [];
  for (let i = 0; i < count; i++) {
    const d = h(`token:${a.accountId}:${i}`);
    const id = `${d.slice(0, 8)}-${d.slice(8, 12)}-${d.slice(12, 16)}-${d.slice(16, 20)}-${d.slice(20, 32)}`;
    if (state.revokedApiTokens.has(id)) continue;
    const created =
      now -
      (30 + (Number.parseInt(d.slice(32, 36), 16) % 700)) * DAY_MS -
      (Number.parseInt(d.slice(44, 50), 16) % DAY_MS);
    const used = Number.parseInt(d.slice(36, 38), 16) % 3 !== 0;
    out.push({
      id,
      label: TOKEN_LABELS[Number.parseInt(d.slice(38, 40), 16) % TOKEN_LABELS.length] ?? "API token",
      createdAt: new Date(created).toISOString(),
      expiry: new Date(created + 365 * DAY_MS).toISOString(),
      ...(used
        ? {
            lastAccess: new Date(
              Math.min(now, created + (Number.parseInt(d.slice(40, 44), 16) % 300) * DAY_MS),
            ).toISOString(),
          }
        : {}),
    });
  }
  return out;
}
