/**
 * The org's resources as Atlassian Resource Identifiers (ARIs) and the canonical roles groups and users hold on them,
 * derived from the tenant's Jira application roles, Confluence access groups, admin groups and Bitbucket membership.
 * One ARI names a product instance everywhere in the simulated Admin API: a workspace's `id`, a role assignment's
 * `resourceId` and a user's `productAccess[].id` (admin-organization spec examples `ari:cloud:jira::site/…`,
 * `ari:cloud:confluence::site/…`, `ari:cloud:platform::site/…`).
 */
import type { SimState } from "../../state.js";
import type { ProductKey, SimAccount } from "../../tenant/model.js";

/** Canonical role ids of the admin-organization spec (`RoleId`). */
export type RoleId =
  | "atlassian/user"
  | "atlassian/admin"
  | "atlassian/guest"
  | "atlassian/customer"
  | "atlassian/user-access-admin"
  | "atlassian/contributor"
  | "atlassian/basic"
  | "atlassian/stakeholder"
  | "atlassian/org-admin"
  | "atlassian/site-admin"
  | "atlassian/ai-access";

export const ROLE_IDS: readonly RoleId[] = [
  "atlassian/user",
  "atlassian/admin",
  "atlassian/guest",
  "atlassian/customer",
  "atlassian/user-access-admin",
  "atlassian/contributor",
  "atlassian/basic",
  "atlassian/stakeholder",
  "atlassian/org-admin",
  "atlassian/site-admin",
  "atlassian/ai-access",
];

/** `PlatformRole`: the org-level admin roles reported by `expand: platformRoles`. */
export type PlatformRole = "atlassian/org-admin" | "atlassian/site-admin";

export type AssignmentMethod = "inferred" | "direct" | "group_direct";

export const orgAri = (orgId: string) => `ari:cloud:platform::org/${orgId}`;
export const platformSiteAri = (cloudId: string) => `ari:cloud:platform::site/${cloudId}`;
export const jiraSiteAri = (cloudId: string) => `ari:cloud:jira::site/${cloudId}`;
export const confluenceSiteAri = (cloudId: string) => `ari:cloud:confluence::site/${cloudId}`;
/** Bitbucket workspaces are named by their uuid without braces. */
export const bitbucketWorkspaceAri = (uuid: string) => `ari:cloud:bitbucket::workspace/${uuid.replace(/[{}]/g, "")}`;

/** A product instance of the org. */
export interface ProductResource {
  /** The ARI. */
  id: string;
  /** The ARI's owner segment: `jira`, `confluence`, `bitbucket` (`ResourceOwner`, `MultiDirectoryProductAccess.key`). */
  owner: "jira" | "confluence" | "bitbucket";
  /** The Admin v1 product key. */
  productKey: ProductKey;
  /** The instance id Admin v1 reports (`UserProductLastActive.id`): the site's cloud id or the workspace uuid. */
  instanceId: string;
  name: string;
  /** The product's URL. */
  url: string;
}

/** Every product instance of the org, in a stable order: Jira and Confluence per site, then Bitbucket. */
export function productResources(state: SimState): ProductResource[] {
  const out: ProductResource[] = [];
  for (const site of state.tenant.sites) {
    if (site.products.includes("jira-software")) {
      out.push({
        id: jiraSiteAri(site.cloudId),
        owner: "jira",
        productKey: "jira-software",
        instanceId: site.cloudId,
        name: site.name,
        url: `https://${site.host}`,
      });
    }
    if (site.products.includes("confluence")) {
      out.push({
        id: confluenceSiteAri(site.cloudId),
        owner: "confluence",
        productKey: "confluence",
        instanceId: site.cloudId,
        name: site.name,
        url: `https://${site.host}/wiki`,
      });
    }
  }
  const ws = state.tenant.bitbucket.workspace;
  out.push({
    id: bitbucketWorkspaceAri(ws.uuid),
    owner: "bitbucket",
    productKey: "bitbucket",
    instanceId: ws.uuid.replace(/[{}]/g, ""),
    name: ws.name,
    url: `https://bitbucket.org/${ws.slug}`,
  });
  return out;
}

/** The instance of a product the account's access refers to (the tenant has one site and one workspace). */
export function resourceForProduct(state: SimState, key: ProductKey): ProductResource | undefined {
  return productResources(state).find((r) => r.productKey === key);
}

/** One role a group grants on one resource. */
export interface GroupGrant {
  resourceId: string;
  resourceOwner: string;
  role: RoleId;
  /** True when this is the role the product grants by default (a default group of the Jira application role). */
  isDefault: boolean;
}

/** A user's or group's roles on one resource, merged. */
export interface ResourceAssignment {
  resourceId: string;
  resourceOwner: string;
  /** The directory the resource is linked to; null for platform (org-level) roles. */
  directoryId: string | null;
  roles: Map<RoleId, Set<AssignmentMethod>>;
  defaultRole: RoleId | null;
}

/**
 * Role grants indexed once per request: which groups grant which roles (application-role groups give
 * `atlassian/user`, admin groups `atlassian/admin`, site-admin groups `atlassian/site-admin`), and Bitbucket
 * workspace permissions by account.
 */
export class RoleIndex {
  private readonly byGroup = new Map<string, GroupGrant[]>();
  private readonly siteAdminGroups = new Set<string>();
  private readonly bitbucketPermission = new Map<string, string>();
  private readonly bitbucketAri: string;

  constructor(private readonly state: SimState) {
    const t = state.tenant;
    const site = t.sites[0];
    if (site) {
      const jira = t.jira.applicationRoles.find((r) => r.key === "jira-software");
      const jiraId = jiraSiteAri(site.cloudId);
      const confluenceId = confluenceSiteAri(site.cloudId);
      for (const g of jira?.groups ?? []) {
        this.grant(g, jiraId, "jira", "atlassian/user", jira?.defaultGroups.includes(g) ?? false);
      }
      for (const g of t.jira.adminGroups) this.grant(g, jiraId, "jira", "atlassian/admin", false);
      for (const g of state.confluenceAccessGroupIds())
        this.grant(g, confluenceId, "confluence", "atlassian/user", false);
      for (const g of t.confluence.adminGroups) this.grant(g, confluenceId, "confluence", "atlassian/admin", false);
      for (const g of new Set([...t.jira.siteAdminGroups, ...t.confluence.siteAdminGroups])) {
        this.siteAdminGroups.add(g);
        this.grant(g, platformSiteAri(site.cloudId), "platform", "atlassian/site-admin", false);
      }
    }
    for (const m of t.bitbucket.members) this.bitbucketPermission.set(m.accountId, m.permission);
    this.bitbucketAri = bitbucketWorkspaceAri(t.bitbucket.workspace.uuid);
  }

  private grant(groupId: string, resourceId: string, resourceOwner: string, role: RoleId, isDefault: boolean): void {
    let list = this.byGroup.get(groupId);
    if (!list) {
      list = [];
      this.byGroup.set(groupId, list);
    }
    list.push({ resourceId, resourceOwner, role, isDefault });
  }

  /** The roles a group grants, merged per resource, in a stable order. */
  groupAssignments(groupId: string): ResourceAssignment[] {
    const merged = new Map<string, ResourceAssignment>();
    for (const g of this.byGroup.get(groupId) ?? []) {
      const entry = this.entry(merged, g.resourceId, g.resourceOwner, this.state.directoryId);
      addMethod(entry, g.role, "group_direct");
      if (g.isDefault) entry.defaultRole = g.role;
    }
    return [...merged.values()];
  }

  /**
   * A user's roles: org admin (direct, on the org), the roles of the groups they are in (`group_direct`), and their
   * Bitbucket workspace permission (direct; owners administer the workspace).
   */
  userAssignments(account: SimAccount): ResourceAssignment[] {
    const merged = new Map<string, ResourceAssignment>();
    if (this.state.tenant.orgAdmins.includes(account.accountId)) {
      const org = this.entry(merged, orgAri(this.state.tenant.org.id), "platform", null);
      addMethod(org, "atlassian/org-admin", "direct");
    }
    for (const groupId of this.state.groupIdsOf(account.accountId)) {
      for (const g of this.byGroup.get(groupId) ?? []) {
        const dir = g.resourceOwner === "platform" ? null : this.state.directoryId;
        addMethod(this.entry(merged, g.resourceId, g.resourceOwner, dir), g.role, "group_direct");
      }
    }
    const bb = this.bitbucketPermission.get(account.accountId);
    if (bb) {
      const entry = this.entry(merged, this.bitbucketAri, "bitbucket", this.state.directoryId);
      addMethod(entry, bb === "owner" ? "atlassian/admin" : "atlassian/user", "direct");
    }
    return [...merged.values()];
  }

  /** `platformRoles`: org admin, and site admin through a site-admin group. */
  platformRoles(account: SimAccount): PlatformRole[] {
    const roles: PlatformRole[] = [];
    if (this.state.tenant.orgAdmins.includes(account.accountId)) roles.push("atlassian/org-admin");
    if (this.state.groupIdsOf(account.accountId).some((g) => this.siteAdminGroups.has(g))) {
      roles.push("atlassian/site-admin");
    }
    return roles;
  }

  private entry(
    merged: Map<string, ResourceAssignment>,
    resourceId: string,
    resourceOwner: string,
    directoryId: string | null,
  ): ResourceAssignment {
    let e = merged.get(resourceId);
    if (!e) {
      e = { resourceId, resourceOwner, directoryId, roles: new Map(), defaultRole: null };
      merged.set(resourceId, e);
    }
    return e;
  }
}

function addMethod(entry: ResourceAssignment, role: RoleId, method: AssignmentMethod): void {
  let methods = entry.roles.get(role);
  if (!methods) {
    methods = new Set();
    entry.roles.set(role, methods);
  }
  methods.add(method);
}

/** Whether an assignment list matches `resourceIds`, `resourceOwners` and `roleIds` filters (each optional). */
export function assignmentMatches(
  a: ResourceAssignment,
  f: { resourceIds?: string[]; resourceOwners?: string[]; roleIds?: string[] },
): boolean {
  if (f.resourceIds && !f.resourceIds.includes(a.resourceId)) return false;
  if (f.resourceOwners && !f.resourceOwners.includes(a.resourceOwner)) return false;
  if (f.roleIds && ![...a.roles.keys()].some((r) => f.roleIds?.includes(r))) return false;
  return true;
}
