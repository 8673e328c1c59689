/**
 * The mass-deletion guard (reliability case D12): a run that would remove more than a share of the accounts, or of
 * the admin-level grants, compared with the current model is held for approval instead of becoming current. A
 * half-broken read (an IdP outage, a revoked scope) must not silently erase most of the org.
 */
import { canonicalPermission } from "../model/canonical.js";
import type { AccessEntry, Model } from "../model/types.js";

export interface GuardVerdict {
  hold: boolean;
  /** Why, in words for the approver; null when not held. */
  reason: string | null;
  removedAccountsShare: number;
  removedAdminGrantsShare: number;
}

const adminKey = (e: AccessEntry) => `${e.principal}\u0000${e.resourceType}\u0000${e.resourceId}\u0000${e.permission}`;

/** Compares the next model with the current one; `threshold` is a share in [0, 1] (default 0.2). */
export function massDeletionGuard(current: Model | null, next: Model, threshold = 0.2): GuardVerdict {
  if (!current) return { hold: false, reason: null, removedAccountsShare: 0, removedAdminGrantsShare: 0 };
  const nextAccounts = new Set(next.accounts.map((a) => a.accountId));
  const removedAccounts = current.accounts.filter((a) => !nextAccounts.has(a.accountId)).length;
  const isAdmin = (e: AccessEntry) => canonicalPermission(e.product, e.permission) === "admin";
  const currentAdmin = current.access.filter(isAdmin);
  const nextAdmin = new Set(next.access.filter(isAdmin).map(adminKey));
  const removedAdmin = currentAdmin.filter((e) => !nextAdmin.has(adminKey(e))).length;
  return guardVerdict(
    { accounts: current.accounts.length, removedAccounts, adminGrants: currentAdmin.length, removedAdmin },
    threshold,
  );
}

/**
 * The verdict from the counts alone (an incremental patch knows them without both whole models): accounts and
 * admin grants of the current model, and how many of each the next one would remove.
 */
export function guardVerdict(
  c: { accounts: number; removedAccounts: number; adminGrants: number; removedAdmin: number },
  threshold = 0.2,
): GuardVerdict {
  const { removedAccounts, removedAdmin } = c;
  const removedAccountsShare = c.accounts > 0 ? removedAccounts / c.accounts : 0;
  const removedAdminGrantsShare = c.adminGrants > 0 ? removedAdmin / c.adminGrants : 0;
  const reasons: string[] = [];
  if (removedAccountsShare > threshold) {
    reasons.push(`${removedAccounts} of ${c.accounts} accounts would disappear (${pct(removedAccountsShare)})`);
  }
  if (removedAdminGrantsShare > threshold) {
    reasons.push(`${removedAdmin} of ${c.adminGrants} admin grants would disappear (${pct(removedAdminGrantsShare)})`);
  }
  return {
    hold: reasons.length > 0,
    reason: reasons.length > 0 ? `held for approval: ${reasons.join("; ")}, above the ${pct(threshold)} limit` : null,
    removedAccountsShare,
    removedAdminGrantsShare,
  };
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
