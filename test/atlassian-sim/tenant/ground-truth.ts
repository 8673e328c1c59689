/**
 * The ground-truth effective-access table of a simulated tenant: account × resource × native permission, computed
 * from the tenant model alone (no project code), so accessmap's own computation can be checked against it.
 *
 * Rules:
 * - An account "has product X" iff `status === "active"`, not `suspended`, and `products` holds X's key
 *   (`jira-software`, `confluence`, `bitbucket`). Accounts without the product get no rows for it: their grants
 *   are dormant.
 * - Admin: active org admins → `(admin, org, <org id>, org-admin)`; Jira / Confluence access →
 *   `(admin, site, <host>, jira-software|confluence)`; Bitbucket access → `(admin, bitbucket_workspace, <slug>,
 *   bitbucket)`.
 * - Jira (`jira_project`, id = key, every project including archived and team-managed ones, through its
 *   `permissionSchemeId`): `user` → the account; `group` → its members, or `product-users:jira` without a group;
 *   `projectRole` → the role's users in the project and the members of its groups; `projectLead` → the lead;
 *   `applicationRole` → every account with Jira when a parameter is given, `product-users:jira` without;
 *   `anyone` → `anonymous`; reporter, assignee, custom fields and `sd.customer.portal.only` are conditional and not
 *   expanded (see `conditionalGrants`). Global: members of `jira.adminGroups` → `(jira, site, <host>, ADMINISTER)`,
 *   of `jira.siteAdminGroups` → `(jira, site, <host>, SYSTEM_ADMIN)` and `ADMINISTER` (Jira Cloud's default).
 * - Confluence (`confluence_space`, id = key, all spaces): each permission row gives `key:targetType` to a user,
 *   a group's members, the assignees of a role in that space (users, and members of groups), `anonymous`, or
 *   `unlicensed:confluence`. The one rule for space roles: a role assignment confers the role's `operations` on
 *   that space, whether or not the space also lists `role` permission rows; `role` permission rows confer their
 *   operation on the space's assignees of that role. (The generator writes a `role` row for every operation of
 *   every role assigned in a space, so both views agree.)
 * - Bitbucket (accounts with Bitbucket access that are workspace members): workspace
 *   `(bitbucket, bitbucket_workspace, <slug>, owner|collaborator|member)`; project level = the highest of the
 *   user grant, the grants of the account's groups, and `admin` for workspace owners (admin ⊃ create-repo ⊃ write ⊃
 *   read), one row per account and project (`<ws>/<PROJECTKEY>`); repository level = the highest of the inherited
 *   project level (create-repo counts as write), the repository's own user and group grants, and `admin` for
 *   owners, one row per account and repository (`<ws>/<repo-slug>`); public repositories add
 *   `(anonymous, read)`. The 1.0 group `permission` field grants nothing.
 *
 * Rows are deduplicated and sorted by product, resource type, resource id, permission, principal, comparing
 * strings by UTF-16 code units (JavaScript's default order, not locale order).
 */
import {
  type AccessProduct,
  ANONYMOUS,
  CONFLUENCE_UNLICENSED,
  type GroundTruthRow,
  JIRA_PRODUCT_USERS,
  type JiraHolderType,
  type ProductKey,
  type ResourceType,
  type SimAccount,
  type SimTenant,
} from "./model.js";

/** Whether the account may use the product: active, not suspended, and holding the product. */
export function hasProductAccess(a: SimAccount, key: ProductKey): boolean {
  return a.status === "active" && !a.suspended && a.products.some((p) => p.key === key);
}

/** Jira grant holder types that depend on the issue or the request and are therefore not expanded. */
export const CONDITIONAL_HOLDER_TYPES: readonly JiraHolderType[] = [
  "assignee",
  "reporter",
  "userCustomField",
  "groupCustomField",
  "sd.customer.portal.only",
];

export interface ConditionalGrant {
  projectKey: string;
  permission: string;
  holderType: JiraHolderType;
  /** The holder's parameter (custom field id), or null. */
  parameter: string | null;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Accumulates rows per resource, deduplicating (permission, principal) pairs. */
class Collector {
  private readonly buckets = new Map<
    string,
    { product: AccessProduct; resourceType: ResourceType; resourceId: string; perms: Map<string, Set<string>> }
  >();

  resource(product: AccessProduct, resourceType: ResourceType, resourceId: string): Map<string, Set<string>> {
    const key = `${product}\u0000${resourceType}\u0000${resourceId}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = { product, resourceType, resourceId, perms: new Map() };
      this.buckets.set(key, b);
    }
    return b.perms;
  }

  rows(): GroundTruthRow[] {
    const buckets = [...this.buckets.values()].sort(
      (a, b) => cmp(a.product, b.product) || cmp(a.resourceType, b.resourceType) || cmp(a.resourceId, b.resourceId),
    );
    const out: GroundTruthRow[] = [];
    for (const b of buckets) {
      const perms = [...b.perms.keys()].sort(cmp);
      for (const permission of perms) {
        const principals = [...b.perms.get(permission)!].sort(cmp);
        for (const principal of principals) {
          out.push({
            principal,
            product: b.product,
            resourceType: b.resourceType,
            resourceId: b.resourceId,
            permission,
          });
        }
      }
    }
    return out;
  }
}

function add(perms: Map<string, Set<string>>, permission: string, principal: string): void {
  let s = perms.get(permission);
  if (!s) {
    s = new Set();
    perms.set(permission, s);
  }
  s.add(principal);
}

function addAll(perms: Map<string, Set<string>>, permission: string, principals: Iterable<string>): void {
  let s = perms.get(permission);
  if (!s) {
    s = new Set();
    perms.set(permission, s);
  }
  for (const p of principals) s.add(p);
}

/** The site host serving a product, if any. */
function hostOf(t: SimTenant, product: "jira-software" | "confluence"): string | undefined {
  return t.sites.find((s) => s.products.includes(product))?.host;
}

/** Computes the effective-access table of the tenant (sorted, deduplicated). */
export function computeGroundTruth(t: SimTenant): GroundTruthRow[] {
  const out = new Collector();
  const withProduct = (key: ProductKey): Set<string> =>
    new Set(t.accounts.filter((a) => hasProductAccess(a, key)).map((a) => a.accountId));
  const jiraUsers = withProduct("jira-software");
  const confluenceUsers = withProduct("confluence");
  const bitbucketUsers = withProduct("bitbucket");

  const groupsById = new Map(t.groups.map((g) => [g.groupId, g]));
  const groupsByName = new Map(t.groups.map((g) => [g.name.toLowerCase(), g]));
  /** Members of a group who hold the product, cached per product and group. */
  const memberCache = new Map<Set<string>, Map<string, string[]>>();
  const membersWith = (users: Set<string>, groupId: string | undefined): string[] => {
    if (groupId === undefined) return [];
    let cache = memberCache.get(users);
    if (!cache) {
      cache = new Map();
      memberCache.set(users, cache);
    }
    let m = cache.get(groupId);
    if (!m) {
      m = (groupsById.get(groupId)?.members ?? []).filter((id) => users.has(id));
      cache.set(groupId, m);
    }
    return m;
  };

  // ---------------------------------------------------------- admin
  const orgAdmins = new Set(t.orgAdmins);
  const jiraHost = hostOf(t, "jira-software");
  const confluenceHost = hostOf(t, "confluence");
  const workspaceSlug = t.bitbucket.workspace.slug;
  for (const a of t.accounts) {
    if (orgAdmins.has(a.accountId) && a.status === "active")
      add(out.resource("admin", "org", t.org.id), "org-admin", a.accountId);
  }
  if (jiraHost) addAll(out.resource("admin", "site", jiraHost), "jira-software", jiraUsers);
  if (confluenceHost) addAll(out.resource("admin", "site", confluenceHost), "confluence", confluenceUsers);
  addAll(out.resource("admin", "bitbucket_workspace", workspaceSlug), "bitbucket", bitbucketUsers);

  // ---------------------------------------------------------- Jira
  const schemes = new Map(t.jira.permissionSchemes.map((s) => [s.id, s]));
  const allJiraUsers = [...jiraUsers];
  for (const p of t.jira.projects) {
    const scheme = schemes.get(p.permissionSchemeId);
    if (!scheme) continue;
    const perms = out.resource("jira", "jira_project", p.key);
    for (const grant of scheme.grants) {
      const h = grant.holder;
      switch (h.type) {
        case "user": {
          const id = h.value ?? h.parameter;
          if (id !== undefined && jiraUsers.has(id)) add(perms, grant.permission, id);
          break;
        }
        case "group": {
          if (!h.value && !h.parameter) add(perms, grant.permission, JIRA_PRODUCT_USERS);
          else {
            const gid = h.value || (h.parameter ? groupsByName.get(h.parameter.toLowerCase())?.groupId : undefined);
            addAll(perms, grant.permission, membersWith(jiraUsers, gid));
          }
          break;
        }
        case "projectRole": {
          const roleId = h.value ?? h.parameter;
          const actors = roleId === undefined ? undefined : p.roleActors[roleId];
          if (!actors) break;
          for (const u of actors.users) if (jiraUsers.has(u)) add(perms, grant.permission, u);
          for (const g of actors.groups) addAll(perms, grant.permission, membersWith(jiraUsers, g));
          break;
        }
        case "projectLead":
          if (jiraUsers.has(p.leadAccountId)) add(perms, grant.permission, p.leadAccountId);
          break;
        case "applicationRole":
          if (h.parameter) addAll(perms, grant.permission, allJiraUsers);
          else add(perms, grant.permission, JIRA_PRODUCT_USERS);
          break;
        case "anyone":
          add(perms, grant.permission, ANONYMOUS);
          break;
        default:
          // reporter, assignee, userCustomField, groupCustomField, sd.customer.portal.only: conditional.
          break;
      }
    }
  }
  if (jiraHost) {
    const site = out.resource("jira", "site", jiraHost);
    for (const g of t.jira.adminGroups) addAll(site, "ADMINISTER", membersWith(jiraUsers, g));
    // Site admins hold both Jira System Administrators and Jira Administrators, Jira Cloud's default.
    for (const g of t.jira.siteAdminGroups) {
      addAll(site, "SYSTEM_ADMIN", membersWith(jiraUsers, g));
      addAll(site, "ADMINISTER", membersWith(jiraUsers, g));
    }
  }

  // ---------------------------------------------------------- Confluence
  const roleOps = new Map(t.confluence.roles.map((r) => [r.id, r.operations]));
  for (const s of t.confluence.spaces) {
    const perms = out.resource("confluence", "confluence_space", s.key);
    /** roleId → accounts (with Confluence) assigned that role in this space */
    const assignees = new Map<string, Set<string>>();
    for (const ra of s.roleAssignments) {
      let set = assignees.get(ra.roleId);
      if (!set) {
        set = new Set();
        assignees.set(ra.roleId, set);
      }
      if (ra.principal.type === "USER") {
        if (confluenceUsers.has(ra.principal.id)) set.add(ra.principal.id);
      } else for (const m of membersWith(confluenceUsers, ra.principal.id)) set.add(m);
    }
    for (const sp of s.permissions) {
      const op = `${sp.operation.key}:${sp.operation.targetType}`;
      const pr = sp.principal;
      switch (pr.type) {
        case "user":
          if (confluenceUsers.has(pr.id)) add(perms, op, pr.id);
          break;
        case "group":
          addAll(perms, op, membersWith(confluenceUsers, pr.id));
          break;
        case "role":
          addAll(perms, op, assignees.get(pr.id) ?? []);
          break;
        case "anonymous":
          add(perms, op, ANONYMOUS);
          break;
        case "unlicensed":
          add(perms, op, CONFLUENCE_UNLICENSED);
          break;
      }
    }
    for (const [roleId, accounts] of assignees) {
      for (const op of roleOps.get(roleId) ?? []) addAll(perms, op, accounts);
    }
  }

  // ---------------------------------------------------------- Bitbucket
  const PROJECT_RANK: Record<string, number> = { read: 1, write: 2, "create-repo": 3, admin: 4 };
  const PROJECT_NAME = ["", "read", "write", "create-repo", "admin"];
  const REPO_RANK: Record<string, number> = { read: 1, write: 2, admin: 3 };
  const REPO_NAME = ["", "read", "write", "admin"];
  /** Project rank → inherited repository rank (create-repo counts as write, admin as admin). */
  const INHERITED = [0, 1, 2, 2, 3];

  const members = t.bitbucket.members.filter((m) => bitbucketUsers.has(m.accountId));
  const owners = members.filter((m) => m.permission === "owner").map((m) => m.accountId);
  const bbMembers = new Set(members.map((m) => m.accountId));
  const ws = out.resource("bitbucket", "bitbucket_workspace", workspaceSlug);
  for (const m of members) add(ws, m.permission, m.accountId);
  const bbGroupMembers = new Map(t.bitbucket.groups.map((g) => [g.slug, g.members.filter((id) => bbMembers.has(id))]));
  const raise = (levels: Map<string, number>, accountId: string, rank: number | undefined) => {
    if (!rank || !bbMembers.has(accountId)) return;
    if ((levels.get(accountId) ?? 0) < rank) levels.set(accountId, rank);
  };

  const projectLevels = new Map<string, Map<string, number>>();
  for (const p of t.bitbucket.projects) {
    const levels = new Map<string, number>();
    for (const u of p.users) raise(levels, u.accountId, PROJECT_RANK[u.permission]);
    for (const g of p.groups)
      for (const m of bbGroupMembers.get(g.slug) ?? []) raise(levels, m, PROJECT_RANK[g.permission]);
    for (const o of owners) raise(levels, o, PROJECT_RANK.admin);
    projectLevels.set(p.key, levels);
    const perms = out.resource("bitbucket", "bitbucket_project", `${workspaceSlug}/${p.key}`);
    for (const [accountId, rank] of levels) add(perms, PROJECT_NAME[rank]!, accountId);
  }
  for (const r of t.bitbucket.repos) {
    const levels = new Map<string, number>();
    for (const [accountId, rank] of projectLevels.get(r.projectKey) ?? []) levels.set(accountId, INHERITED[rank]!);
    for (const u of r.users) raise(levels, u.accountId, REPO_RANK[u.permission]);
    for (const g of r.groups)
      for (const m of bbGroupMembers.get(g.slug) ?? []) raise(levels, m, REPO_RANK[g.permission]);
    for (const o of owners) raise(levels, o, REPO_RANK.admin);
    const perms = out.resource("bitbucket", "bitbucket_repo", `${workspaceSlug}/${r.slug}`);
    for (const [accountId, rank] of levels) add(perms, REPO_NAME[rank]!, accountId);
    if (!r.isPrivate) add(perms, "read", ANONYMOUS);
  }

  return out.rows();
}

/** The Jira grants `computeGroundTruth` does not expand (they depend on the issue), per project; sorted, unique. */
export function conditionalGrants(t: SimTenant): ConditionalGrant[] {
  const schemes = new Map(t.jira.permissionSchemes.map((s) => [s.id, s]));
  const conditional = new Set<string>(CONDITIONAL_HOLDER_TYPES);
  const seen = new Set<string>();
  const out: ConditionalGrant[] = [];
  for (const p of t.jira.projects) {
    for (const g of schemes.get(p.permissionSchemeId)?.grants ?? []) {
      if (!conditional.has(g.holder.type)) continue;
      const parameter = g.holder.parameter ?? null;
      const key = `${p.key}\u0000${g.permission}\u0000${g.holder.type}\u0000${parameter ?? ""}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ projectKey: p.key, permission: g.permission, holderType: g.holder.type, parameter });
    }
  }
  return out.sort(
    (a, b) =>
      cmp(a.projectKey, b.projectKey) ||
      cmp(a.permission, b.permission) ||
      cmp(a.holderType, b.holderType) ||
      cmp(a.parameter ?? "", b.parameter ?? ""),
  );
}

export const GROUND_TRUTH_CSV_HEADER = "principal,product,resource_type,resource_id,permission";

/** One CSV field, quoted per RFC 4180 when it holds a comma, a double quote, CR or LF. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The CSV in chunks of `rowsPerChunk` rows (header first), for writing large tables without one huge string. */
export function* groundTruthCsvChunks(rows: readonly GroundTruthRow[], rowsPerChunk = 20_000): Generator<string> {
  yield `${GROUND_TRUTH_CSV_HEADER}\r\n`;
  for (let i = 0; i < rows.length; i += rowsPerChunk) {
    let chunk = "";
    const end = Math.min(rows.length, i + rowsPerChunk);
    for (let j = i; j < end; j++) {
      const r = rows[j]!;
      chunk += `${csvField(r.principal)},${r.product},${r.resourceType},${csvField(r.resourceId)},${csvField(r.permission)}\r\n`;
    }
    yield chunk;
  }
}

/** The whole table as RFC 4180 CSV (CRLF line ends, header `principal,product,resource_type,resource_id,permission`). */
export function groundTruthToCsv(rows: readonly GroundTruthRow[]): string {
  let s = "";
  for (const chunk of groundTruthCsvChunks(rows)) s += chunk;
  return s;
}
