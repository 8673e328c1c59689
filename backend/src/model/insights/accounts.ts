/**
 * Insights about accounts and people.
 *
 * - `inactive-billable-accounts`: billable accounts (Admin `access_billable`) that can sign in and whose last
 *   activity — the latest of the account's and its products' — is older than `inactiveDays`, or was never
 *   recorded. The finding states the licence savings: the number of accounts, and per product key the licences they
 *   hold (`metrics`). Severity: **medium** when at least 10 accounts or 10% of billable accounts, else **low** (a
 *   cost, not an exposure).
 * - `accounts-without-idp-identity`: accounts with product access and no IdP identity (the builder's
 *   `correlation.accountsWithoutIdentity`), only when an identity source (SCIM or an IdP export) was read.
 *   Severity: **high** when one of them holds an admin-level permission, else **medium** — nobody leaving the
 *   company will switch these off.
 * - `idp-deactivated-still-active`: people deactivated in the IdP whose linked Atlassian account can still sign in.
 *   Severity: **critical** when one of them holds an admin-level permission, else **high**.
 * - `outsiders-with-write-or-admin`: external collaborators, customer accounts and app accounts holding a permission
 *   that writes, creates, deletes or administers (canonical mapping, `../canonical.ts`). Severity: **high** when a
 *   row is admin-level, else **medium**.
 * - `dormant-grants`: grants held by accounts that cannot use them now — inactive, closed or suspended, or without
 *   the product (`model.dormant`); they come back the moment the account does. Severity: **medium** when one is
 *   admin-level, else **low**.
 */
import { canSignIn } from "../correlate.js";
import { isPseudo } from "../exports/pseudo.js";
import type { Account } from "../types.js";
import { canonicalOf, Evidence, type Finding, finding, type InsightContext, plural, WRITE_OR_ADMIN } from "./types.js";

const DAY = 86_400_000;

/** The account's last activity (ms): the latest of the account's and its products', or null when none was recorded. */
function lastActivity(a: Account): number | null {
  let best: number | null = null;
  for (const v of [a.lastActive, ...a.products.map((p) => p.lastActive)]) {
    if (!v) continue;
    const t = Date.parse(v);
    if (!Number.isNaN(t) && (best === null || t > best)) best = t;
  }
  return best;
}

export function inactiveBillableAccounts(ctx: InsightContext): Finding | null {
  const ev = new Evidence(ctx.maxEvidence);
  const cutoff = ctx.now - ctx.inactiveDays * DAY;
  const perProduct: Record<string, number> = {};
  let billable = 0;
  for (const a of ctx.model.accounts) {
    if (a.billable !== true || !canSignIn(a)) continue;
    billable++;
    const last = lastActivity(a);
    if (last !== null && last >= cutoff) continue;
    for (const p of a.products) perProduct[p.key] = (perProduct[p.key] ?? 0) + 1;
    const days = last === null ? null : Math.floor((ctx.now - last) / DAY);
    ev.add(() =>
      ctx.accountRow(a.accountId, {
        detail:
          last === null
            ? `no activity recorded; holds ${a.products.map((p) => p.key).join(", ") || "no product"}`
            : `last active ${new Date(last).toISOString().slice(0, 10)} (${days} days ago); holds ${a.products.map((p) => p.key).join(", ") || "no product"}`,
      }),
    );
  }
  const keys = Object.keys(perProduct).sort();
  const savings = keys.map((k) => `${k} ${perProduct[k]}`).join(", ");
  return finding("inactive-billable-accounts", ev, {
    title: `${plural(ev.count, "billable account")} inactive for more than ${ctx.inactiveDays} days${savings ? ` — licences to reclaim: ${savings}` : ""}`,
    severity: ev.count >= 10 || (billable > 0 && ev.count / billable >= 0.1) ? "medium" : "low",
    remediation: `Remove product access from these accounts (or suspend them) to free ${plural(ev.count, "licence")}; confirm with their managers first, and re-grant on request.`,
    metrics: {
      accounts: ev.count,
      billableAccounts: billable,
      ...Object.fromEntries(keys.map((k) => [k, perProduct[k]!])),
    },
  });
}

export function accountsWithoutIdpIdentity(ctx: InsightContext): Finding | null {
  const c = ctx.model.correlation;
  if (!c.identitySourceAvailable) return null;
  const ev = new Evidence(ctx.maxEvidence);
  let admins = 0;
  for (const id of c.accountsWithoutIdentity) {
    const admin = ctx.holdsAdmin(id);
    if (admin) admins++;
    const a = ctx.accounts.get(id);
    ev.add(() =>
      ctx.accountRow(id, {
        detail: `${a?.products.map((p) => p.key).join(", ") || "product access"}${admin ? "; holds admin-level access" : ""}`,
      }),
    );
  }
  return finding("accounts-without-idp-identity", ev, {
    title: `${plural(ev.count, "account")} with product access and no identity in the IdP${admins > 0 ? ` (${admins} with admin-level access)` : ""}`,
    severity: admins > 0 ? "high" : "medium",
    remediation:
      "Link each account to its person in the IdP (provision it through SCIM, or fix the email), or remove its product access; accounts outside the IdP are not switched off when people leave.",
    metrics: { accounts: ev.count, withAdmin: admins },
  });
}

export function idpDeactivatedStillActive(ctx: InsightContext): Finding | null {
  const ev = new Evidence(ctx.maxEvidence);
  let admins = 0;
  const linked = new Map<string, string[]>();
  for (const a of ctx.model.accounts) {
    if (a.identityId === null) continue;
    const list = linked.get(a.identityId);
    if (list) list.push(a.accountId);
    else linked.set(a.identityId, [a.accountId]);
  }
  for (const i of ctx.model.identities) {
    if (i.status !== "deactivated") continue;
    for (const id of linked.get(i.id) ?? []) {
      const a = ctx.accounts.get(id);
      if (!a || !canSignIn(a)) continue;
      const admin = ctx.holdsAdmin(id);
      if (admin) admins++;
      ev.add(() =>
        ctx.accountRow(id, {
          detail: `deactivated in the IdP (${i.source} ${i.login}) but ${a.status} in Atlassian${admin ? "; holds admin-level access" : ""}`,
        }),
      );
    }
  }
  return finding("idp-deactivated-still-active", ev, {
    title: `${plural(ev.count, "person", "people")} deactivated in the IdP still active in Atlassian${admins > 0 ? ` (${admins} with admin-level access)` : ""}`,
    severity: admins > 0 ? "critical" : "high",
    remediation:
      "Deactivate or suspend these Atlassian accounts now (accessmap lifecycle, or Atlassian Admin), then find out why deprovisioning did not reach them (SCIM link, claimed domain, account outside the directory).",
    metrics: { accounts: ev.count, withAdmin: admins },
  });
}

/** Why an account counts as an outsider, or null. */
function outsiderClass(a: Account): string | null {
  if (a.externalCollaborator) return "external collaborator";
  if (a.accountType === "customer") return "customer account";
  if (a.accountType === "app") return "app account";
  return null;
}

export function outsidersWithWriteOrAdmin(ctx: InsightContext): Finding | null {
  const ev = new Evidence(ctx.maxEvidence);
  const accounts = new Set<string>();
  let adminRows = 0;
  for (const e of ctx.model.access) {
    if (isPseudo(e.principal)) continue;
    const a = ctx.accounts.get(e.principal);
    const cls = a ? outsiderClass(a) : null;
    if (!cls) continue;
    const cat = canonicalOf(e);
    if (!WRITE_OR_ADMIN.has(cat)) continue;
    if (cat === "admin") adminRows++;
    accounts.add(e.principal);
    ev.add(() => ctx.entryRow(e, `${cls}: ${cat === "admin" ? "admin-level" : cat.replace("data_", "")} access`));
  }
  return finding("outsiders-with-write-or-admin", ev, {
    title: `${plural(accounts.size, "external collaborator, customer or app account")} holding write or admin access (${plural(ev.count, "grant")}${adminRows > 0 ? `, ${adminRows} admin-level` : ""})`,
    severity: adminRows > 0 ? "high" : "medium",
    remediation:
      "Review each grant: give external collaborators and customers read-only access where they need any, scope app accounts to the projects and permissions they use, and remove the rest at its source (the `via` column).",
    metrics: { accounts: accounts.size, grants: ev.count, adminGrants: adminRows },
  });
}

export function dormantGrants(ctx: InsightContext): Finding | null {
  const ev = new Evidence(ctx.maxEvidence);
  const accounts = new Set<string>();
  let adminRows = 0;
  for (const e of ctx.model.dormant) {
    if (isPseudo(e.principal)) continue;
    const a = ctx.accounts.get(e.principal);
    const admin = canonicalOf(e) === "admin";
    if (admin) adminRows++;
    accounts.add(e.principal);
    const why = !a
      ? "account not described"
      : a.suspended
        ? "suspended"
        : a.status !== "active"
          ? a.status
          : `no ${e.product} access`;
    ev.add(() => ctx.entryRow(e, why));
  }
  return finding("dormant-grants", ev, {
    title: `${plural(accounts.size, "inactive account")} still ${accounts.size === 1 ? "holds" : "hold"} ${plural(ev.count, "grant")}${adminRows > 0 ? ` (${adminRows} admin-level)` : ""}`,
    severity: adminRows > 0 ? "medium" : "low",
    remediation:
      "Remove these grants at their source (user grants, group memberships, role actors) so reactivating or relicensing an account does not bring its old access back.",
    metrics: { accounts: accounts.size, grants: ev.count, adminGrants: adminRows },
  });
}
