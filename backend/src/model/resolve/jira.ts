/**
 * Jira effective access: every project (archived and team-managed ones included) through its permission scheme,
 * and the global Administer Jira / System administrator permissions on the site.
 *
 * Holders: `user` → the account; `group` → its members (no group → `product-users:jira`); `projectRole` → the role's
 * actors in the project (users, and members of group actors); `projectLead` → the lead; `applicationRole` → every
 * account with that product (no key → `product-users:jira`); `anyone` → `anonymous`. Reporter, assignee, custom
 * fields and `sd.customer.portal.only` depend on the issue: listed in `conditional`, never expanded. A grant that
 * reaches an account without Jira (or one that is inactive, closed or suspended) is dormant; grants to every
 * licensed user (application roles) are only expanded over the accounts that hold the product.
 */
import { isJiraKey } from "../correlate.js";
import { ANONYMOUS, JIRA_PRODUCT_USERS } from "../types.js";
import { ProductEmitter, q, type ResolveInput } from "./context.js";

/** Holder types whose reach depends on the issue or the request. */
export const CONDITIONAL_HOLDERS: ReadonlySet<string> = new Set([
  "reporter",
  "assignee",
  "userCustomField",
  "groupCustomField",
  "sd.customer.portal.only",
]);

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Holder types the resolver expands (the others are conditional or unknown). */
const KNOWN_HOLDERS: ReadonlySet<string> = new Set([
  "user",
  "group",
  "projectRole",
  "projectLead",
  "applicationRole",
  "anyone",
]);

export function resolveJira(input: ResolveInput): void {
  const jira = input.snapshot.jira;
  if (!jira) return;
  const { vias, notes, groups, scope } = input;
  const em = new ProductEmitter("jira", input.access, input.dormant, input.eligible.jira);

  const schemeNames = new Map(jira.permissionSchemes.map((s) => [s.id, s.name]));
  const grantsByScheme = new Map<string, (typeof jira.grants)[number][]>();
  for (const g of jira.grants) {
    const list = grantsByScheme.get(g.schemeId);
    if (list) list.push(g);
    else grantsByScheme.set(g.schemeId, [g]);
  }
  const roleNames = new Map(jira.roles.map((r) => [r.id, r.name]));
  /** `projectId\0roleId` → the role's actors there, and its name as the model names roles (`<project> - <role>`). */
  const actors = new Map<string, { name: string; users: string[]; groups: string[] }>();
  for (const a of jira.roleActors) {
    const key = `${a.projectId}\u0000${a.roleId}`;
    let entry = actors.get(key);
    if (!entry) {
      entry = { name: a.roleName, users: [], groups: [] };
      actors.set(key, entry);
    }
    if (a.actorType === "user" && a.accountId) entry.users.push(a.accountId);
    else if (a.actorType === "group" && a.groupId) entry.groups.push(a.groupId);
  }
  const groupIdByName = new Map<string, string>();
  for (const [id, name] of groups.names) groupIdByName.set(name.toLowerCase(), id);
  for (const g of jira.groups) groupIdByName.set(g.name.toLowerCase(), g.groupId);
  const groupName = (id: string) => groups.names.get(id) ?? id;
  const members = (id: string) => groups.members.get(id) ?? [];

  /** Eligible Jira accounts holding a product key, sorted; cached per key. */
  const withKey = new Map<string, string[]>();
  const accountsWithKey = (key: string): string[] => {
    let list = withKey.get(key);
    if (!list) {
      list = [];
      for (const id of input.eligible.jira) {
        const a = input.accounts.byId.get(id);
        if (a?.products.some((p) => p.key === key)) list.push(id);
      }
      list.sort(cmp);
      withKey.set(key, list);
    }
    return list;
  };

  const conditionalSeen = new Set<string>();
  const unknownHolders = new Set<string>();
  const unresolvedGroups = new Set<string>();
  let noScheme = 0;
  let missingScheme = 0;

  for (const p of jira.projects) {
    if (p.permissionSchemeId === null) {
      noScheme++;
      continue;
    }
    const grants = grantsByScheme.get(p.permissionSchemeId);
    const schemeName = schemeNames.get(p.permissionSchemeId);
    if (!grants && schemeName === undefined) {
      missingScheme++;
      continue;
    }
    const scheme = `permission scheme ${q(schemeName ?? p.permissionSchemeId)}`;
    // Out of scope (an incremental run): only the diagnostics below are gathered, nothing is emitted.
    const emit = scope === null || scope.jiraProjects.has(p.key);
    const target = emit ? em.resource("jira_project", p.key) : null;
    for (const g of grants ?? []) {
      const h = g.holderType;
      if (g.conditional || CONDITIONAL_HOLDERS.has(h)) {
        const key = `${p.key}\u0000${g.permission}\u0000${h}\u0000${g.parameter ?? ""}`;
        if (emit && !conditionalSeen.has(key)) {
          conditionalSeen.add(key);
          input.conditional.push({
            projectKey: p.key,
            permission: g.permission,
            holderType: h,
            parameter: g.parameter,
          });
        }
        continue;
      }
      if (!target) {
        if (h === "group" && (g.value || g.parameter)) {
          const gid = g.value ?? (g.parameter ? groupIdByName.get(g.parameter.toLowerCase()) : undefined);
          if (!gid) unresolvedGroups.add(g.parameter ?? "");
        } else if (!KNOWN_HOLDERS.has(h)) unknownHolders.add(h);
        continue;
      }
      const perm = target.permission(g.permission);
      switch (h) {
        case "user": {
          const id = g.value ?? g.parameter;
          if (id) perm.account(id, vias.get("jira.scheme.user", `${scheme} → user`));
          break;
        }
        case "group": {
          if (!g.value && !g.parameter) {
            perm.pseudo(
              JIRA_PRODUCT_USERS,
              vias.get("jira.scheme.any-user", `${scheme} → any logged-in user (group holder without a group)`),
            );
            break;
          }
          const gid = g.value ?? (g.parameter ? groupIdByName.get(g.parameter.toLowerCase()) : undefined);
          if (!gid) {
            unresolvedGroups.add(g.parameter ?? "");
            break;
          }
          perm.accounts(members(gid), vias.get("jira.scheme.group", `${scheme} → group ${q(groupName(gid))}`));
          break;
        }
        case "projectRole": {
          const roleId = g.value ?? g.parameter;
          if (!roleId) break;
          const a = actors.get(`${p.id}\u0000${roleId}`);
          if (!a) break;
          const role = `${scheme} → project role ${q(a.name || roleNames.get(roleId) || roleId)}`;
          if (a.users.length > 0) perm.accounts(a.users, vias.get("jira.scheme.role.user", `${role} → user`));
          for (const gid of a.groups)
            perm.accounts(members(gid), vias.get("jira.scheme.role.group", `${role} → group ${q(groupName(gid))}`));
          break;
        }
        case "projectLead":
          if (p.leadAccountId) perm.account(p.leadAccountId, vias.get("jira.scheme.lead", `${scheme} → project lead`));
          break;
        case "applicationRole":
          if (g.parameter) {
            const key = g.parameter;
            perm.accounts(
              isJiraKey(key) ? accountsWithKey(key) : [],
              vias.get("jira.scheme.application-role", `${scheme} → application role ${q(key)}`),
            );
          } else
            perm.pseudo(
              JIRA_PRODUCT_USERS,
              vias.get("jira.scheme.any-licensed-user", `${scheme} → any licensed user (application role)`),
            );
          break;
        case "anyone":
          perm.pseudo(ANONYMOUS, vias.get("jira.scheme.anyone", `${scheme} → anyone (public access)`));
          break;
        default: {
          unknownHolders.add(h);
          const key = `${p.key}\u0000${g.permission}\u0000${h}\u0000${g.parameter ?? ""}`;
          if (!conditionalSeen.has(key)) {
            conditionalSeen.add(key);
            input.conditional.push({
              projectKey: p.key,
              permission: g.permission,
              holderType: h,
              parameter: g.parameter,
            });
          }
        }
      }
    }
  }

  if (noScheme > 0)
    notes.push(`Jira: the permission scheme of ${noScheme} project(s) could not be read; their access is not shown.`);
  if (missingScheme > 0)
    notes.push(
      `Jira: ${missingScheme} project(s) use a permission scheme that was not read; their access is not shown.`,
    );
  if (unknownHolders.size > 0)
    notes.push(
      `Jira: grant holder type(s) ${[...unknownHolders].sort(cmp).join(", ")} are not known to accessmap; listed as conditional, not expanded.`,
    );
  if (unresolvedGroups.size > 0)
    notes.push(
      `Jira: ${unresolvedGroups.size} group(s) named in permission schemes do not exist (${[...unresolvedGroups].sort(cmp).slice(0, 5).join(", ")}); they grant nothing.`,
    );

  // Global permissions on the site.
  if (jira.adminGroupIds.length + jira.siteAdminGroupIds.length === 0) return;
  if (!input.siteHost) {
    notes.push("Jira: the site host is unknown, so global Jira permissions are not shown.");
    return;
  }
  // They depend on groups and memberships only: a scoped (incremental) run leaves them as they were.
  if (scope !== null) return;
  const site = em.resource("site", input.siteHost);
  const administer = site.permission("ADMINISTER");
  const systemAdmin = site.permission("SYSTEM_ADMIN");
  for (const gid of jira.adminGroupIds) {
    administer.accounts(
      members(gid),
      vias.get("jira.global.admin", `Jira global permission "Administer Jira" → group ${q(groupName(gid))}`),
    );
  }
  for (const gid of jira.siteAdminGroupIds) {
    const name = q(groupName(gid));
    systemAdmin.accounts(
      members(gid),
      vias.get("jira.global.site-admin", `site administrators group ${name} (Jira system administrator)`),
    );
    administer.accounts(
      members(gid),
      vias.get("jira.global.site-admin", `site administrators group ${name} (Jira administrator by default)`),
    );
  }
}
