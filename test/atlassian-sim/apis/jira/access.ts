/**
 * Jira's permission evaluation for one account, over the live tenant: which global permissions it holds and which
 * project permissions a project's permission scheme grants it. Used for what the caller may see (project search,
 * project details, role and scheme reads), for `GET /mypermissions` and for `POST /permissions/check`.
 *
 * Semantics (Jira Cloud, "Managing project permissions" and "Managing global permissions"; the same rules as
 * `tenant/ground-truth.ts`):
 * - An account holds Jira permissions only while it has Jira: active, not suspended, with `jira-software` product
 *   access. A grant to `anyone` (public access) is the one grant that needs neither.
 * - Holders `group` (no group: any logged-in Jira user), `user`, `projectRole`, `projectLead` and `applicationRole`
 *   (no key: any Jira user) are resolved against the project; `reporter`, `assignee`, `groupCustomField` and
 *   `userCustomField` depend on an issue and grant nothing at the project level; `sd.customer.portal.only` grants
 *   portal access only, never Jira.
 * - The tenant records the global-permission grants only as group lists: `jira.adminGroups` (Administer Jira) and
 *   `jira.siteAdminGroups` (Jira System Administrators; Jira Cloud's default configuration also gives the
 *   site-admins group Administer Jira). The remaining global permissions (Browse users and groups, bulk change,
 *   sharing, team-managed project creation) follow Jira Cloud's default configuration: every Jira user, except the
 *   accounts the tenant's credentials name as lacking Browse users and groups (the limited product user).
 */
import type { SimState } from "../../state.js";
import type { JiraGrant, JiraPermissionScheme, JiraProject, SimAccount } from "../../tenant/model.js";

/** Global permissions the default configuration grants to every licensed user. */
const LICENSED_USER_GLOBALS = [
  "USER_PICKER",
  "BULK_CHANGE",
  "CREATE_SHARED_OBJECTS",
  "MANAGE_GROUP_FILTER_SUBSCRIPTIONS",
  "CREATE_PROJECT",
];

export interface CallerFlags {
  /** Authenticated as a site admin (app.ts credentials). */
  siteAdmin?: boolean;
  /** Holds Browse users and groups per the credentials. */
  browseUsers?: boolean;
}

/** Permission evaluation for one account; cheap to build, caches per-scheme and per-project results. */
export class JiraAccess {
  readonly account: SimAccount | undefined;
  private readonly groups: ReadonlySet<string>;
  private readonly schemes = new Map<number, JiraPermissionScheme>();
  private readonly projectCache = new Map<string, ReadonlySet<string>>();
  private globals: ReadonlySet<string> | undefined;

  constructor(
    private readonly state: SimState,
    readonly accountId: string,
    private readonly flags: CallerFlags = {},
  ) {
    this.account = state.accountsById.get(accountId);
    this.groups = state.groupsOfAccount.get(accountId) ?? new Set();
    for (const s of state.tenant.jira.permissionSchemes) this.schemes.set(s.id, s);
  }

  /** Whether the account can sign in to the site at all (active and not suspended from the org). */
  get enabled(): boolean {
    return this.account !== undefined && this.account.status === "active" && !this.account.suspended;
  }

  /** Application-role keys whose groups include the account (its Jira licences). */
  applicationRoleKeys(): string[] {
    if (!this.enabled) return [];
    return this.state.tenant.jira.applicationRoles.filter((r) => this.inAnyGroup(r.groups)).map((r) => r.key);
  }

  /** Has Jira: active, not suspended, with `jira-software` product access. */
  get licensed(): boolean {
    return this.account !== undefined && this.state.hasProduct(this.account, "jira-software");
  }

  inGroup(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  inAnyGroup(groupIds: readonly string[]): boolean {
    return groupIds.some((id) => this.groups.has(id));
  }

  /** The global permissions the account holds. */
  globalPermissions(): ReadonlySet<string> {
    if (this.globals) return this.globals;
    const held = new Set<string>();
    const jira = this.state.tenant.jira;
    if (this.licensed || (this.enabled && this.flags.siteAdmin === true)) {
      const siteAdmin = this.flags.siteAdmin === true || this.inAnyGroup(jira.siteAdminGroups);
      const admin = siteAdmin || this.inAnyGroup(jira.adminGroups);
      if (siteAdmin) held.add("SYSTEM_ADMIN");
      if (admin) held.add("ADMINISTER");
      for (const k of LICENSED_USER_GLOBALS) held.add(k);
      const limited = this.state.tenant.credentials.limitedProductUser.accountId === this.accountId;
      if (this.flags.browseUsers === false || (this.flags.browseUsers === undefined && limited)) {
        held.delete("USER_PICKER");
      }
      if (this.flags.browseUsers === true) held.add("USER_PICKER");
    }
    this.globals = held;
    return held;
  }

  /** Holds Administer Jira. */
  get jiraAdmin(): boolean {
    return this.globalPermissions().has("ADMINISTER");
  }

  /** Holds Browse users and groups. */
  get browseUsers(): boolean {
    return this.globalPermissions().has("USER_PICKER");
  }

  /** Whether the account acts in the role in the project, directly or through a group. */
  inRole(project: JiraProject, roleId: string): boolean {
    const actors = project.roleActors[roleId];
    if (!actors) return false;
    return actors.users.includes(this.accountId) || this.inAnyGroup(actors.groups);
  }

  /** Whether one grant's holder covers the account in the project (see the module comment for the semantics). */
  holds(project: JiraProject, grant: JiraGrant): boolean {
    const h = grant.holder;
    if (h.type === "anyone") return true;
    if (!this.licensed) return false;
    switch (h.type) {
      case "group": {
        if (!h.value && !h.parameter) return true;
        const id =
          h.value || (h.parameter ? this.state.groupsByName.get(h.parameter.toLowerCase())?.groupId : undefined);
        return id !== undefined && this.inGroup(id);
      }
      case "user":
        return (h.value ?? h.parameter) === this.accountId;
      case "projectRole": {
        const roleId = h.value ?? h.parameter;
        return roleId !== undefined && this.inRole(project, roleId);
      }
      case "projectLead":
        return project.leadAccountId === this.accountId;
      case "applicationRole":
        return h.parameter ? this.applicationRoleKeys().includes(h.parameter) : true;
      default:
        return false;
    }
  }

  /** The project permissions the project's scheme grants the account. */
  projectPermissions(project: JiraProject): ReadonlySet<string> {
    const cached = this.projectCache.get(project.id);
    if (cached) return cached;
    const held = new Set<string>();
    for (const grant of this.schemes.get(project.permissionSchemeId)?.grants ?? []) {
      if (!held.has(grant.permission) && this.holds(project, grant)) held.add(grant.permission);
    }
    this.projectCache.set(project.id, held);
    return held;
  }

  has(project: JiraProject, permission: string): boolean {
    return this.projectPermissions(project).has(permission);
  }

  /**
   * "View" in Jira's sense (project search `action=view`): Browse Projects, Administer Projects, or Administer
   * Jira. Archived projects are read-only and visible to Jira admins only.
   */
  canView(project: JiraProject): boolean {
    if (this.jiraAdmin) return true;
    if (project.archived) return false;
    return this.has(project, "BROWSE_PROJECTS") || this.has(project, "ADMINISTER_PROJECTS");
  }

  /** May change the project's configuration (roles): Administer Projects or Administer Jira. */
  canAdminister(project: JiraProject): boolean {
    return this.jiraAdmin || (!project.archived && this.has(project, "ADMINISTER_PROJECTS"));
  }
}
