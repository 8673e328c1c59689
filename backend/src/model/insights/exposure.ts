/**
 * Insights about access that reaches beyond named people.
 *
 * - `public-or-unlicensed-access`: anonymous or unlicensed access to Confluence spaces (space permissions or role
 *   assignments to `anonymous` / `unlicensed:confluence`), and `anyone` grants in Jira permission schemes (entries of
 *   `anonymous` on a Jira project). Public Bitbucket repositories are their own insight. Severity: **critical** when
 *   anonymous access writes, creates, deletes or administers; **high** when anonymous access reads; **medium** when
 *   only unlicensed users (logged in, without Confluence) are reached.
 * - `broad-admin-grants`: an admin-level permission (canonical `admin`: `ADMINISTER_PROJECTS`, `ADMINISTER`,
 *   `administer:space`, …) given to a whole class of users rather than to named people — a pseudo-principal
 *   (`product-users:jira`: any logged-in Jira user; `unlicensed:confluence`; `anonymous`), or a path that grants to
 *   every licensed user (a Jira application-role holder, a group holder without a group, a Confluence role assigned
 *   to an access class). One row per resource, permission and path, with the number of accounts reached. Severity:
 *   **critical** when anonymous users are reached, else **high**.
 */
import { canSignIn } from "../correlate.js";
import { isPseudo, PSEUDO_LABELS } from "../exports/pseudo.js";
import { ANONYMOUS, CONFLUENCE_UNLICENSED, resourceKey } from "../types.js";
import { canonicalOf, Evidence, type Finding, finding, type InsightContext, plural, WRITE_OR_ADMIN } from "./types.js";

export function publicOrUnlicensedAccess(ctx: InsightContext): Finding | null {
  const ev = new Evidence(ctx.maxEvidence);
  let anonymousWrite = 0;
  let anonymousRead = 0;
  const resources = new Set<string>();
  for (const e of ctx.model.access) {
    const space = e.resourceType === "confluence_space";
    const project = e.resourceType === "jira_project";
    if (
      !(space && (e.principal === ANONYMOUS || e.principal === CONFLUENCE_UNLICENSED)) &&
      !(project && e.principal === ANONYMOUS)
    )
      continue;
    const cat = canonicalOf(e);
    if (e.principal === ANONYMOUS) {
      if (WRITE_OR_ADMIN.has(cat)) anonymousWrite++;
      else anonymousRead++;
    }
    resources.add(resourceKey({ type: e.resourceType, id: e.resourceId }));
    ev.add(() =>
      ctx.entryRow(
        e,
        project ? "Jira permission scheme grants anyone (logged out included)" : PSEUDO_LABELS[e.principal],
      ),
    );
  }
  return finding("public-or-unlicensed-access", ev, {
    title: `${plural(resources.size, "space or project", "spaces and projects")} open to anonymous or unlicensed users (${plural(ev.count, "grant")}${anonymousWrite > 0 ? `, ${anonymousWrite} anonymous write or admin` : ""})`,
    severity: anonymousWrite > 0 ? "critical" : anonymousRead > 0 ? "high" : "medium",
    remediation:
      "Confirm each space or project is meant to be public. Otherwise remove the anonymous / unlicensed space permission (or the role assigned to the access class) and replace `Anyone` grants in Jira permission schemes with a group or role; then check the site's public-access setting.",
    metrics: { resources: resources.size, grants: ev.count, anonymousWrite, anonymousRead },
  });
}

/** Path kinds that grant to every licensed (or logged-in) user. */
const BROAD_KINDS = new Set([
  "jira.scheme.any-user",
  "jira.scheme.any-licensed-user",
  "jira.scheme.application-role",
  "jira.scheme.anyone",
  "confluence.space.role.access-class",
  "confluence.space.anonymous",
  "confluence.space.unlicensed",
]);

export function broadAdminGrants(ctx: InsightContext): Finding | null {
  /** resource, permission, path → the row and how many principals it reaches */
  const rows = new Map<string, { entry: (typeof ctx.model.access)[number]; via: string; principals: Set<string> }>();
  let anonymous = false;
  for (const e of ctx.model.access) {
    if (canonicalOf(e) !== "admin") continue;
    const pseudo = isPseudo(e.principal);
    for (const v of e.via) {
      if (!pseudo && !BROAD_KINDS.has(v.kind)) continue;
      const key = `${e.product}\u0000${e.resourceType}\u0000${e.resourceId}\u0000${e.permission}\u0000${v.description}`;
      let r = rows.get(key);
      if (!r) {
        r = { entry: e, via: v.description, principals: new Set() };
        rows.set(key, r);
      }
      r.principals.add(e.principal);
      if (e.principal === ANONYMOUS) anonymous = true;
    }
  }
  const ev = new Evidence(ctx.maxEvidence);
  const signIn = ctx.model.accounts.filter(canSignIn).length;
  for (const r of rows.values()) {
    const pseudo = [...r.principals].filter(isPseudo).sort();
    const accounts = r.principals.size - pseudo.length;
    const reach = [
      ...pseudo.map((p) =>
        p === ANONYMOUS ? `anyone, logged out included (${signIn} accounts and more)` : (PSEUDO_LABELS[p] ?? p),
      ),
      ...(accounts > 0 ? [plural(accounts, "account")] : []),
    ].join("; ");
    ev.add(() => {
      const row = ctx.entryRow(r.entry, `reaches ${reach}`);
      row.accountId = pseudo[0] ?? undefined;
      row.account = pseudo[0] ? (PSEUDO_LABELS[pseudo[0]] ?? pseudo[0]) : "every licensed user";
      row.email = null;
      row.via = r.via;
      return row;
    });
  }
  return finding("broad-admin-grants", ev, {
    title: `${plural(ev.count, "admin-level grant")} to every logged-in or licensed user${anonymous ? ", some to anonymous users" : ""}`,
    severity: anonymous ? "critical" : "high",
    remediation:
      "Grant administration to a named role or group (e.g. the project's Administrators role) instead of every user; fix the permission scheme or space role shown in `via` — one change fixes every project that uses it.",
    metrics: { grants: ev.count },
  });
}
