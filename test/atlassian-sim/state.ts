/**
 * The simulator's live state: the generated tenant plus indexes, and every mutation the simulated APIs can make.
 * All APIs read and write through this one object, which is what keeps the tenant coherent: a SCIM-created user
 * shows in Admin, Jira and Confluence; a membership change or a suspension shows everywhere.
 */
import { randomUUID } from "node:crypto";
import type { AuditEvent, ProductKey, ScimGroup, ScimUser, SimAccount, SimGroup, SimTenant } from "./tenant/model.js";

/** Thrown by mutations for a request that conflicts with the current state; APIs map it to their own error body. */
export class SimConflict extends Error {
  constructor(
    readonly kind: "exists" | "not-found" | "idp-managed" | "invalid",
    message: string,
  ) {
    super(message);
  }
}

/** Indexed, mutable view over one tenant. */
export class SimState {
  readonly accountsById = new Map<string, SimAccount>();
  readonly groupsById = new Map<string, SimGroup>();
  /** lower-cased group name → group */
  readonly groupsByName = new Map<string, SimGroup>();
  /** accountId → groupIds */
  readonly groupsOfAccount = new Map<string, Set<string>>();
  readonly scimUsersById = new Map<string, ScimUser>();
  readonly scimUserByAccount = new Map<string, ScimUser>();
  readonly scimGroupsById = new Map<string, ScimGroup>();
  readonly accountByBitbucketUuid = new Map<string, SimAccount>();
  /** SCIM users removed with DELETE: deactivated, and 404 to every later operation (Atlassian has no hard delete). */
  readonly scimDeleted = new Set<string>();
  /** Monotonic counter, bumped by every mutation; lets readers and tests see that something changed. */
  revision = 0;
  private readonly clockBase: number;
  private clockTicks = 0;

  constructor(readonly tenant: SimTenant) {
    this.clockBase = Date.parse(tenant.generatedAt);
    for (const a of tenant.accounts) {
      this.accountsById.set(a.accountId, a);
      if (a.bitbucketUuid) this.accountByBitbucketUuid.set(a.bitbucketUuid, a);
    }
    for (const g of tenant.groups) this.indexGroup(g);
    for (const u of tenant.scim.users) {
      this.scimUsersById.set(u.id, u);
      this.scimUserByAccount.set(u.accountId, u);
    }
    for (const g of tenant.scim.groups) this.scimGroupsById.set(g.id, g);
  }

  private indexGroup(g: SimGroup): void {
    this.groupsById.set(g.groupId, g);
    this.groupsByName.set(g.name.toLowerCase(), g);
    for (const m of g.members) this.memberSet(m).add(g.groupId);
  }

  private memberSet(accountId: string): Set<string> {
    let s = this.groupsOfAccount.get(accountId);
    if (!s) {
      s = new Set();
      this.groupsOfAccount.set(accountId, s);
    }
    return s;
  }

  /** A deterministic clock: the tenant's `generatedAt` plus one second per mutation. */
  now(): string {
    this.clockTicks += 1;
    return new Date(this.clockBase + this.clockTicks * 1000).toISOString();
  }

  get site() {
    const site = this.tenant.sites[0];
    if (!site) throw new Error("tenant has no site");
    return site;
  }

  get directoryId(): string {
    return this.tenant.scim.directoryId;
  }

  /** The groupIds an account belongs to. */
  groupIdsOf(accountId: string): string[] {
    return [...(this.groupsOfAccount.get(accountId) ?? [])];
  }

  /** Whether the account may currently use the product (active, not suspended, has access). */
  hasProduct(account: SimAccount, key: ProductKey): boolean {
    return account.status === "active" && !account.suspended && account.products.some((p) => p.key === key);
  }

  private touch(event?: Omit<AuditEvent, "id" | "time">): void {
    this.revision += 1;
    if (event) {
      const id = `sim-${this.revision.toString().padStart(8, "0")}`;
      this.tenant.events.push({ id, time: this.now(), ...event });
    }
  }

  /** Recomputes Jira and Confluence product access from application-role and product-access group membership. */
  private refreshProductAccess(account: SimAccount): void {
    const groups = this.groupsOfAccount.get(account.accountId) ?? new Set<string>();
    const jiraGroups = this.tenant.jira.applicationRoles.find((r) => r.key === "jira-software")?.groups ?? [];
    const wantJira = jiraGroups.some((g) => groups.has(g));
    const wantConfluence = this.confluenceAccessGroupIds().some((g) => groups.has(g));
    this.setProduct(account, "jira-software", wantJira);
    this.setProduct(account, "confluence", wantConfluence);
  }

  /** The groups whose members get Confluence (named `confluence-users*` by the generator). */
  confluenceAccessGroupIds(): string[] {
    return this.tenant.groups.filter((g) => g.name.startsWith("confluence-users")).map((g) => g.groupId);
  }

  private setProduct(account: SimAccount, key: ProductKey, want: boolean): void {
    const has = account.products.some((p) => p.key === key);
    if (want && !has) account.products.push({ key, lastActive: null });
    if (!want && has) account.products = account.products.filter((p) => p.key !== key);
  }

  // ------------------------------------------------------------ groups

  /** Creates an org group; refuses a duplicate name (case-insensitive), as Admin, Jira and SCIM do. */
  createGroup(name: string, description: string, source: SimGroup["source"], actor: string): SimGroup {
    if (this.groupsByName.has(name.toLowerCase())) throw new SimConflict("exists", `group ${name} already exists`);
    const group: SimGroup = { groupId: randomUUID(), name, description, members: [], source };
    this.tenant.groups.push(group);
    this.indexGroup(group);
    this.touch({
      action: "group_created",
      actorAccountId: actor,
      targets: [{ type: "group", id: group.groupId, name }],
      product: "admin",
    });
    return group;
  }

  /** Deletes a group and every membership in it, and every grant that names it stays dangling as in Atlassian. */
  deleteGroup(groupId: string, actor: string): void {
    const group = this.requireGroup(groupId);
    for (const m of [...group.members]) this.removeMember(groupId, m, actor, { force: true, quiet: true });
    this.tenant.groups = this.tenant.groups.filter((g) => g.groupId !== groupId);
    this.groupsById.delete(groupId);
    this.groupsByName.delete(group.name.toLowerCase());
    this.touch({
      action: "group_deleted",
      actorAccountId: actor,
      targets: [{ type: "group", id: groupId, name: group.name }],
      product: "admin",
    });
  }

  requireGroup(groupId: string): SimGroup {
    const g = this.groupsById.get(groupId);
    if (!g) throw new SimConflict("not-found", `group ${groupId} not found`);
    return g;
  }

  requireAccount(accountId: string): SimAccount {
    const a = this.accountsById.get(accountId);
    if (!a) throw new SimConflict("not-found", `account ${accountId} not found`);
    return a;
  }

  /**
   * Adds an account to a group. Returns false when it already was a member.
   * `force` is for SCIM, which may change IdP-synced groups; the Admin API may not.
   */
  addMember(groupId: string, accountId: string, actor: string, opts: { force?: boolean } = {}): boolean {
    const group = this.requireGroup(groupId);
    const account = this.requireAccount(accountId);
    if (group.source === "scim" && !opts.force) {
      throw new SimConflict("idp-managed", `group ${group.name} is synced from an identity provider`);
    }
    const set = this.memberSet(accountId);
    if (set.has(groupId)) return false;
    set.add(groupId);
    group.members.push(accountId);
    this.refreshProductAccess(account);
    this.touch({
      action: "user_added_to_group",
      actorAccountId: actor,
      targets: [
        { type: "user", id: accountId },
        { type: "group", id: groupId, name: group.name },
      ],
      product: "admin",
    });
    return true;
  }

  /** Removes an account from a group. Returns false when it was not a member. */
  removeMember(
    groupId: string,
    accountId: string,
    actor: string,
    opts: { force?: boolean; quiet?: boolean } = {},
  ): boolean {
    const group = this.requireGroup(groupId);
    const account = this.requireAccount(accountId);
    if (group.source === "scim" && !opts.force) {
      throw new SimConflict("idp-managed", `group ${group.name} is synced from an identity provider`);
    }
    const set = this.memberSet(accountId);
    if (!set.has(groupId)) return false;
    set.delete(groupId);
    group.members = group.members.filter((m) => m !== accountId);
    this.refreshProductAccess(account);
    this.touch(
      opts.quiet
        ? undefined
        : {
            action: "user_removed_from_group",
            actorAccountId: actor,
            targets: [
              { type: "user", id: accountId },
              { type: "group", id: groupId, name: group.name },
            ],
            product: "admin",
          },
    );
    return true;
  }

  // ------------------------------------------------------------ accounts

  /** Admin v2 suspend: stops product access and billing; groups and roles are kept. */
  suspend(accountId: string, actor: string): void {
    const a = this.requireAccount(accountId);
    a.suspended = true;
    a.billable = false;
    this.touch({
      action: "user_suspended",
      actorAccountId: actor,
      targets: [{ type: "user", id: accountId }],
      product: "admin",
    });
  }

  /** Admin v2 restore: undoes a suspension. */
  restore(accountId: string, actor: string): void {
    const a = this.requireAccount(accountId);
    a.suspended = false;
    a.billable = a.accountType === "atlassian" && a.products.length > 0;
    this.touch({
      action: "user_restored",
      actorAccountId: actor,
      targets: [{ type: "user", id: accountId }],
      product: "admin",
    });
  }

  /** Admin v2 remove from directory: groups and product access are lost; the account itself remains. */
  removeFromOrg(accountId: string, actor: string): void {
    const a = this.requireAccount(accountId);
    for (const g of this.groupIdsOf(accountId)) this.removeMember(g, accountId, actor, { force: true, quiet: true });
    a.products = [];
    a.billable = false;
    this.tenant.orgAdmins = this.tenant.orgAdmins.filter((id) => id !== accountId);
    this.touch({
      action: "user_removed_from_org",
      actorAccountId: actor,
      targets: [{ type: "user", id: accountId }],
      product: "admin",
    });
  }

  /** User-management lifecycle: deactivate (`disable`) or reactivate (`enable`) the account everywhere. */
  setAccountActive(accountId: string, active: boolean, actor: string): void {
    const a = this.requireAccount(accountId);
    if (a.status === "closed") throw new SimConflict("invalid", `account ${accountId} is closed`);
    a.status = active ? "active" : "inactive";
    this.touch({
      action: active ? "user_activated" : "user_deactivated",
      actorAccountId: actor,
      targets: [{ type: "user", id: accountId }],
      product: "admin",
    });
  }

  /** User-management delete: the account is closed (Atlassian keeps a 14-day grace period we do not model). */
  closeAccount(accountId: string, actor: string): void {
    const a = this.requireAccount(accountId);
    a.status = "closed";
    a.billable = false;
    this.touch({
      action: "user_closed",
      actorAccountId: actor,
      targets: [{ type: "user", id: accountId }],
      product: "admin",
    });
  }

  // ------------------------------------------------------------ SCIM

  /**
   * Creates a SCIM user. A managed account with the same email is linked instead of duplicated, as Atlassian does;
   * otherwise a new managed Atlassian account is created, so the user shows in Admin, Jira and Confluence.
   */
  scimCreateUser(input: Omit<ScimUser, "id" | "accountId" | "created" | "lastModified">): ScimUser {
    for (const u of this.scimUsersById.values()) {
      if (u.userName.toLowerCase() === input.userName.toLowerCase()) {
        throw new SimConflict("exists", `userName ${input.userName} already exists`);
      }
    }
    const email = input.email.toLowerCase();
    let account = this.tenant.accounts.find((a) => a.email.toLowerCase() === email && a.accountType === "atlassian");
    if (!account) {
      account = {
        accountId: `712020:${randomUUID()}`,
        accountType: "atlassian",
        status: input.active ? "active" : "inactive",
        suspended: false,
        displayName: input.displayName,
        email: input.email,
        emailVisible: true,
        managed: true,
        externalCollaborator: false,
        billable: false,
        products: [],
        lastActive: null,
        addedToOrg: this.now(),
        appType: null,
        bitbucketUuid: null,
        bitbucketNickname: null,
        title: input.title,
        department: input.department,
      };
      this.tenant.accounts.push(account);
      this.accountsById.set(account.accountId, account);
    }
    const now = this.now();
    const user: ScimUser = {
      ...input,
      id: randomUUID(),
      accountId: account.accountId,
      created: now,
      lastModified: now,
    };
    this.tenant.scim.users.push(user);
    this.scimUsersById.set(user.id, user);
    this.scimUserByAccount.set(user.accountId, user);
    this.touch({
      action: "user_provisioned",
      actorAccountId: "scim",
      targets: [{ type: "user", id: account.accountId }],
      product: "admin",
    });
    return user;
  }

  /** Applies SCIM attribute changes; `active` changes deactivate or reactivate the linked account everywhere. */
  scimUpdateUser(id: string, patch: Partial<Omit<ScimUser, "id" | "accountId" | "created">>): ScimUser {
    const user = this.scimUsersById.get(id);
    if (!user || this.scimDeleted.has(id)) throw new SimConflict("not-found", `user ${id} not found`);
    Object.assign(user, patch, { lastModified: this.now() });
    const account = this.accountsById.get(user.accountId);
    if (account) {
      if (patch.displayName !== undefined) account.displayName = patch.displayName;
      if (patch.email !== undefined) account.email = patch.email;
      if (patch.title !== undefined) account.title = patch.title;
      if (patch.department !== undefined) account.department = patch.department;
      if (patch.active !== undefined && account.status !== "closed")
        account.status = patch.active ? "active" : "inactive";
    }
    this.touch({
      action: patch.active === false ? "user_deprovisioned" : "user_updated",
      actorAccountId: "scim",
      targets: [{ type: "user", id: user.accountId }],
      product: "admin",
    });
    return user;
  }

  /** SCIM DELETE: deactivates the user; the resource then answers 404. */
  scimDeleteUser(id: string): void {
    this.scimUpdateUser(id, { active: false });
    this.scimDeleted.add(id);
  }

  /** Creates a SCIM group and the Atlassian group it syncs to. */
  scimCreateGroup(displayName: string, memberScimIds: string[]): ScimGroup {
    for (const g of this.scimGroupsById.values()) {
      if (g.displayName.toLowerCase() === displayName.toLowerCase()) {
        throw new SimConflict("exists", `group ${displayName} already exists`);
      }
    }
    const group = this.createGroup(displayName, "Synced from the identity provider", "scim", "scim");
    const now = this.now();
    const scimGroup: ScimGroup = {
      id: randomUUID(),
      displayName,
      members: [],
      groupId: group.groupId,
      created: now,
      lastModified: now,
    };
    this.tenant.scim.groups.push(scimGroup);
    this.scimGroupsById.set(scimGroup.id, scimGroup);
    for (const m of memberScimIds) this.scimAddGroupMember(scimGroup.id, m);
    return scimGroup;
  }

  /** Adds a SCIM user to a SCIM group (and its linked account to the Atlassian group). */
  scimAddGroupMember(scimGroupId: string, scimUserId: string): boolean {
    const group = this.scimGroupsById.get(scimGroupId);
    if (!group) throw new SimConflict("not-found", `group ${scimGroupId} not found`);
    const user = this.scimUsersById.get(scimUserId);
    if (!user) throw new SimConflict("invalid", `member ${scimUserId} is not a user of this directory`);
    if (group.members.includes(scimUserId)) return false;
    group.members.push(scimUserId);
    group.lastModified = this.now();
    this.addMember(group.groupId, user.accountId, "scim", { force: true });
    return true;
  }

  /** Removes a SCIM user from a SCIM group. */
  scimRemoveGroupMember(scimGroupId: string, scimUserId: string): boolean {
    const group = this.scimGroupsById.get(scimGroupId);
    if (!group) throw new SimConflict("not-found", `group ${scimGroupId} not found`);
    if (!group.members.includes(scimUserId)) return false;
    group.members = group.members.filter((m) => m !== scimUserId);
    group.lastModified = this.now();
    const user = this.scimUsersById.get(scimUserId);
    if (user) this.removeMember(group.groupId, user.accountId, "scim", { force: true });
    return true;
  }

  /** Deletes a SCIM group and the Atlassian group it syncs to. */
  scimDeleteGroup(scimGroupId: string): void {
    const group = this.scimGroupsById.get(scimGroupId);
    if (!group) throw new SimConflict("not-found", `group ${scimGroupId} not found`);
    this.tenant.scim.groups = this.tenant.scim.groups.filter((g) => g.id !== scimGroupId);
    this.scimGroupsById.delete(scimGroupId);
    if (this.groupsById.has(group.groupId)) this.deleteGroup(group.groupId, "scim");
  }
}
