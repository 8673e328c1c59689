/**
 * Admin-level access: org admins hold `org-admin` on the org; product access appears as the product key on the
 * site (`jira-software`, `jira-servicedesk`, …, `confluence`) or on the Bitbucket workspace (`bitbucket`). Only
 * accounts that can sign in (active, not suspended) hold it; for the others it is dormant. Each entry's path names
 * its evidence: Admin's product access, or — for accounts Admin does not list — the product's own (see
 * `correlate.ts`).
 */
import { BITBUCKET_KEY, CONFLUENCE_KEY, isJiraKey } from "../correlate.js";
import { ProductEmitter, type ResolveInput } from "./context.js";

const evidenceKind = (description: string): string =>
  description.startsWith("Admin group")
    ? "admin.product-access.group"
    : description.startsWith("Admin ")
      ? "admin.product-access"
      : description.startsWith("Jira application role")
        ? "admin.product-access.jira-application-role"
        : description.startsWith("Bitbucket")
          ? "admin.product-access.bitbucket-member"
          : "admin.product-access.confluence-seen";

export function resolveAdmin(input: ResolveInput): void {
  const { vias, notes, snapshot } = input;
  const em = new ProductEmitter("admin", input.access, input.dormant, input.eligible.admin);
  // Org, site and workspace entries depend on accounts alone: a scoped (incremental) run emits none of them.
  const emit = input.scope === null;

  const admin = snapshot.admin;
  if (admin && emit) {
    const org = em.resource("org", admin.org.id).permission("org-admin");
    const via = vias.get("admin.org-admin", "organization admin role");
    for (const id of admin.orgAdmins) org.account(id, via);
  }

  let noSite = 0;
  let noWorkspace = 0;
  const site = input.siteHost && emit ? em.resource("site", input.siteHost) : null;
  const workspace = input.bitbucketSlug && emit ? em.resource("bitbucket_workspace", input.bitbucketSlug) : null;
  for (const a of input.accounts.accounts) {
    if (a.products.length === 0) continue;
    const evidence = input.accounts.facts.get(a.accountId)?.productEvidence;
    for (const p of a.products) {
      const onSite = isJiraKey(p.key) || p.key === CONFLUENCE_KEY;
      const onWorkspace = p.key === BITBUCKET_KEY;
      if (!onSite && !onWorkspace) continue;
      const target = onSite ? site : workspace;
      if (onSite ? !input.siteHost : !input.bitbucketSlug) {
        if (onSite) noSite++;
        else noWorkspace++;
        continue;
      }
      if (!target) continue;
      const perm = target.permission(p.key);
      for (const d of evidence?.get(p.key) ?? ["product access"])
        perm.account(a.accountId, vias.get(evidenceKind(d), d));
    }
  }
  if (noSite > 0) notes.push("Admin: the site host is unknown, so site product access is not shown.");
  if (noWorkspace > 0)
    notes.push("Admin: the Bitbucket workspace is unknown, so Bitbucket product access is not shown.");
}
