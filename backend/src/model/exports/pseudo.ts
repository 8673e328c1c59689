/**
 * The accounts a pseudo-principal stands for, used when an export expands them (CSV `expand: true`, OAA group
 * membership). Each list is sorted by accountId and holds only accounts that can sign in (status `active`, not
 * suspended):
 *
 * - `anonymous` — anyone, even people who are not logged in. The logged-out part cannot be listed, so the expansion
 *   is every account that can sign in, and exports keep one `anonymous` row beside it to say the access goes further.
 * - `product-users:jira` — every account that can sign in and holds a Jira product (`jira`, `jira-software`, …).
 * - `unlicensed:confluence` — Confluence's "unlicensed access": people logged in to the site without a Confluence
 *   licence, i.e. accounts that can sign in, do not hold Confluence, and use the site otherwise — they hold a Jira
 *   product (Jira Service Management agents are the usual case) or are customer accounts of the help center.
 */
import { CONFLUENCE_KEY, canSignIn, isJiraKey } from "../correlate.js";
import { ANONYMOUS, CONFLUENCE_UNLICENSED, JIRA_PRODUCT_USERS, type Model } from "../types.js";

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Whether a principal is a pseudo-principal rather than an accountId. */
export const isPseudo = (principal: string): boolean =>
  principal === ANONYMOUS || principal === JIRA_PRODUCT_USERS || principal === CONFLUENCE_UNLICENSED;

/** Pseudo-principal → the sorted accountIds it stands for. */
export function pseudoMembers(model: Pick<Model, "accounts">): ReadonlyMap<string, readonly string[]> {
  const anonymous: string[] = [];
  const jira: string[] = [];
  const unlicensed: string[] = [];
  for (const a of model.accounts) {
    if (!canSignIn(a)) continue;
    anonymous.push(a.accountId);
    const hasJira = a.products.some((p) => isJiraKey(p.key));
    const hasConfluence = a.products.some((p) => p.key === CONFLUENCE_KEY);
    if (hasJira) jira.push(a.accountId);
    if (!hasConfluence && (hasJira || a.accountType === "customer")) unlicensed.push(a.accountId);
  }
  return new Map([
    [ANONYMOUS, anonymous.sort(cmp)],
    [JIRA_PRODUCT_USERS, jira.sort(cmp)],
    [CONFLUENCE_UNLICENSED, unlicensed.sort(cmp)],
  ]);
}

/** How exports name each pseudo-principal to people. */
export const PSEUDO_LABELS: Readonly<Record<string, string>> = {
  [ANONYMOUS]: "Anyone (anonymous access, logged out included)",
  [JIRA_PRODUCT_USERS]: "Any logged-in Jira user",
  [CONFLUENCE_UNLICENSED]: "Logged-in users without Confluence (unlicensed access)",
};
