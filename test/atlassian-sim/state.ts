/**
 * The simulator's live state: the generated tenant plus indexes, and every mutation the simulated APIs can make.
 * All APIs read and write through this one object, which is what keeps the tenant coherent: a SCIM-created user
 * shows in Admin, Jira and Confluence; a membership change or a suspension shows everywhere.
 */
import { randomUUID } from "node:crypto";
import type {
  AuditEvent,
  BitbucketGroupGrant,
  BitbucketProjectPermission,
  BitbucketRepoPermission,
  BitbucketUserGrant,
  ConfluencePrincipal,
  ConfluenceSpacePermission,
  JiraRoleActors,
  ProductKey,
  ScimGroup,
  ScimUser,
  SimAccount,
  SimGroup,
  SimTenant,
} from "./tenant/model.js";

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
  /** SCIM user id → ids of the SCIM groups it is a member of (the SCIM `User.groups` attribute). */
  readonly scimGroupIdsOfUser = new Map<string, Set<string>>();
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
    for (const g of tenant.scim.groups) {
      this.scimGroupsById.set(g.id, g);
      for (const m of g.members) this.scimGroupSet(m).add(g.id);
    }
  }

  private scimGroupSet(scimUserId: string): Set<string> {
    let s = this.scimGroupIdsOfUser.get(scimUserId);
    if (!s) {
      s = new Set();
      this.scimGroupIdsOfUser.set(scimUserId, s);
    }
    return s;
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

  /** An Admin audit event about one user. */
  private touchUser(action: string, accountId: string, actor: string): void {
    this.touch({ action, actorAccountId: actor, targets: [{ type: "user", id: accountId }], product: "admin" });
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
    // Drop the memberships in one pass (not removeMember per member, which is quadratic for a large group).
    for (const m of group.members) this.groupsOfAccount.get(m)?.delete(groupId);
    const former = group.members;
    group.members = [];
    for (const m of former) {
      const account = this.accountsById.get(m);
      if (account) this.refreshProductAccess(account);
    }
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
    this.touchUser("user_suspended", accountId, actor);
  }

  /** Admin v2 restore: undoes a suspension. */
  restore(accountId: string, actor: string): void {
    const a = this.requireAccount(accountId);
    a.suspended = false;
    a.billable = a.accountType === "atlassian" && a.products.length > 0;
    this.touchUser("user_restored", accountId, actor);
  }

  /** Admin v2 remove from directory: groups and product access are lost; the account itself remains. */
  removeFromOrg(accountId: string, actor: string): void {
    const a = this.requireAccount(accountId);
    for (const g of this.groupIdsOf(accountId)) this.removeMember(g, accountId, actor, { force: true, quiet: true });
    a.products = [];
    a.billable = false;
    this.tenant.orgAdmins = this.tenant.orgAdmins.filter((id) => id !== accountId);
    this.removedFromDirectory.add(accountId);
    this.touchUser("user_removed_from_org", accountId, actor);
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
    this.touchUser("user_closed", accountId, actor);
  }

  // ------------------------------------------------------------ Admin and user management

  /** Accounts removed from the org's directory (Admin v2 `DELETE …/users/{accountId}`): no membership any more. */
  readonly removedFromDirectory = new Set<string>();
  /** Accounts deleted through user management and still in Atlassian's 14-day grace period (`for_deletion`). */
  readonly pendingDeletion = new Set<string>();
  /** Profile fields the tenant model does not carry, as set through user management (`PATCH …/manage/profile`). */
  readonly profileOverrides = new Map<string, ProfileOverrides>();
  /** API token ids revoked through user management (`DELETE …/manage/api-tokens/{tokenId}`). */
  readonly revokedApiTokens = new Set<string>();

  /** Admin v1 org-level role assignment: makes the account an org admin. Returns false when it already was one. */
  assignOrgAdmin(accountId: string, actor: string): boolean {
    this.requireAccount(accountId);
    if (this.tenant.orgAdmins.includes(accountId)) return false;
    this.tenant.orgAdmins.push(accountId);
    this.touchUser("org_admin_role_granted", accountId, actor);
    return true;
  }

  /** Admin v1 org-level role revocation. Returns false when the account was not an org admin. */
  revokeOrgAdmin(accountId: string, actor: string): boolean {
    this.requireAccount(accountId);
    if (!this.tenant.orgAdmins.includes(accountId)) return false;
    this.tenant.orgAdmins = this.tenant.orgAdmins.filter((id) => id !== accountId);
    this.touchUser("org_admin_role_revoked", accountId, actor);
    return true;
  }

  /** User-management delete: closes the account and opens the grace period in which the deletion can be cancelled. */
  scheduleDeletion(accountId: string, actor: string): void {
    const a = this.requireAccount(accountId);
    if (a.status === "closed") throw new SimConflict("invalid", `account ${accountId} is already closed`);
    this.closeAccount(accountId, actor);
    this.pendingDeletion.add(accountId);
  }

  /** User-management cancel-delete: reopens an account still in its grace period, active again. */
  cancelDeletion(accountId: string, actor: string): void {
    const a = this.requireAccount(accountId);
    if (!this.pendingDeletion.has(accountId)) {
      throw new SimConflict("not-found", `account ${accountId} is not scheduled for deletion`);
    }
    this.pendingDeletion.delete(accountId);
    a.status = "active";
    a.billable = a.accountType === "atlassian" && a.products.length > 0 && !a.suspended;
    this.touchUser("user_deletion_cancelled", accountId, actor);
  }

  /**
   * User-management profile update. Name, job title and department live on the account, so every product shows the
   * change; the fields the model does not carry are kept in `profileOverrides`.
   */
  updateProfile(accountId: string, patch: ProfilePatch, actor: string): void {
    const a = this.requireAccount(accountId);
    if (patch.displayName !== undefined) a.displayName = patch.displayName;
    if (patch.title !== undefined) a.title = patch.title;
    if (patch.department !== undefined) a.department = patch.department;
    const extra: ProfileOverrides = { ...this.profileOverrides.get(accountId) };
    for (const key of PROFILE_OVERRIDE_KEYS) {
      const value = patch[key];
      if (value !== undefined) extra[key] = value;
    }
    this.profileOverrides.set(accountId, extra);
    this.touchUser("user_profile_updated", accountId, actor);
  }

  /** User-management set email: the address must not belong to another account; it shows in every product. */
  setEmail(accountId: string, email: string, actor: string): void {
    const a = this.requireAccount(accountId);
    const lower = email.toLowerCase();
    if (this.tenant.accounts.some((o) => o.accountId !== accountId && o.email.toLowerCase() === lower)) {
      throw new SimConflict("exists", `email ${email} belongs to another account`);
    }
    a.email = email;
    this.touchUser("user_email_changed", accountId, actor);
  }

  /** User-management API token revocation. */
  revokeApiToken(accountId: string, tokenId: string, actor: string): void {
    this.requireAccount(accountId);
    if (this.revokedApiTokens.has(tokenId)) throw new SimConflict("not-found", `token ${tokenId} not found`);
    this.revokedApiTokens.add(tokenId);
    this.touch({
      action: "api_token_revoked",
      actorAccountId: actor,
      targets: [
        { type: "user", id: accountId },
        { type: "api_token", id: tokenId },
      ],
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
      // A deleted (unlinked) user no longer holds its userName: the IdP may create the person again.
      if (u.userName.toLowerCase() === input.userName.toLowerCase() && !this.scimDeleted.has(u.id)) {
        throw new SimConflict("exists", `userName ${input.userName} already exists`);
      }
    }
    const email = input.email.toLowerCase();
    let account = this.tenant.accounts.find((a) => a.email.toLowerCase() === email && a.accountType === "atlassian");
    if (account) {
      const linked = this.scimUserByAccount.get(account.accountId);
      if (linked && !this.scimDeleted.has(linked.id)) {
        throw new SimConflict("exists", `a user with email ${input.email} already exists in the directory`);
      }
      // Once linked, the IdP owns the profile and the account's activation, as a SCIM update would set them.
      account.displayName = input.displayName;
      account.title = input.title;
      account.department = input.department;
      if (account.status !== "closed") account.status = input.active ? "active" : "inactive";
    } else {
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
  scimCreateGroup(displayName: string, memberScimIds: string[], externalId?: string): ScimGroup {
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
      ...(externalId !== undefined ? { externalId } : {}),
      created: now,
      lastModified: now,
    };
    this.tenant.scim.groups.push(scimGroup);
    this.scimGroupsById.set(scimGroup.id, scimGroup);
    for (const m of memberScimIds) this.scimAddGroupMember(scimGroup.id, m);
    return scimGroup;
  }

  /** Sets or clears a SCIM group's `externalId` (the display name cannot change: Atlassian refuses renames). */
  scimSetGroupExternalId(scimGroupId: string, externalId: string | undefined): ScimGroup {
    const group = this.scimGroupsById.get(scimGroupId);
    if (!group) throw new SimConflict("not-found", `group ${scimGroupId} not found`);
    if (group.externalId === externalId) return group;
    if (externalId === undefined) delete group.externalId;
    else group.externalId = externalId;
    group.lastModified = this.now();
    this.touch();
    return group;
  }

  /** Adds a SCIM user to a SCIM group (and its linked account to the Atlassian group). */
  scimAddGroupMember(scimGroupId: string, scimUserId: string): boolean {
    const group = this.scimGroupsById.get(scimGroupId);
    if (!group) throw new SimConflict("not-found", `group ${scimGroupId} not found`);
    const user = this.scimUsersById.get(scimUserId);
    if (!user || this.scimDeleted.has(scimUserId)) {
      throw new SimConflict("invalid", `member ${scimUserId} is not a user of this directory`);
    }
    const groupsOfUser = this.scimGroupSet(scimUserId);
    if (groupsOfUser.has(scimGroupId)) return false;
    groupsOfUser.add(scimGroupId);
    group.members.push(scimUserId);
    group.lastModified = this.now();
    this.addMember(group.groupId, user.accountId, "scim", { force: true });
    return true;
  }

  /** Removes a SCIM user from a SCIM group. */
  scimRemoveGroupMember(scimGroupId: string, scimUserId: string): boolean {
    const group = this.scimGroupsById.get(scimGroupId);
    if (!group) throw new SimConflict("not-found", `group ${scimGroupId} not found`);
    if (!this.scimGroupIdsOfUser.get(scimUserId)?.delete(scimGroupId)) return false;
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
    for (const m of group.members) this.scimGroupIdsOfUser.get(m)?.delete(scimGroupId);
    if (this.groupsById.has(group.groupId)) this.deleteGroup(group.groupId, "scim");
  }

  // ------------------------------------------------------------ Confluence

  /** Highest space-permission id issued so far; new ids continue the tenant's numeric sequence. */
  private spacePermissionSeq: number | null = null;

  /** Adds a permission to a Confluence space (v1 `POST /space/{spaceKey}/permission`); the caller validates it. */
  addSpacePermission(
    spaceId: string,
    principal: ConfluencePrincipal,
    operation: { key: string; targetType: string },
    actor: string,
  ): ConfluenceSpacePermission {
    const space = this.tenant.confluence.spaces.find((s) => s.id === spaceId);
    if (!space) throw new SimConflict("not-found", `space ${spaceId} not found`);
    if (this.spacePermissionSeq === null) {
      let max = 0;
      for (const s of this.tenant.confluence.spaces)
        for (const p of s.permissions) max = Math.max(max, Number(p.id) || 0);
      this.spacePermissionSeq = max;
    }
    this.spacePermissionSeq += 1;
    const permission: ConfluenceSpacePermission = { id: String(this.spacePermissionSeq), principal, operation };
    space.permissions.push(permission);
    this.touch({
      action: "space_permission_added",
      actorAccountId: actor,
      targets: [{ type: "space", id: space.id, name: space.key }],
      product: "confluence",
    });
    return permission;
  }

  /** Removes permissions from a Confluence space by id (v1 `DELETE /space/{spaceKey}/permission/{id}`). */
  removeSpacePermissions(spaceId: string, ids: readonly string[], actor: string): void {
    const space = this.tenant.confluence.spaces.find((s) => s.id === spaceId);
    if (!space) throw new SimConflict("not-found", `space ${spaceId} not found`);
    const drop = new Set(ids);
    space.permissions = space.permissions.filter((p) => !drop.has(p.id));
    this.touch({
      action: "space_permission_removed",
      actorAccountId: actor,
      targets: [{ type: "space", id: space.id, name: space.key }],
      product: "confluence",
    });
  }

  // ------------------------------------------------------------ Jira

  /**
   * Replaces the actors of one role in one Jira project (`POST|PUT|DELETE /rest/api/3/project/{p}/role/{id}` all
   * reduce to this). The caller validates that the accounts and groups exist; duplicates are dropped.
   */
  setJiraRoleActors(projectId: string, roleId: number, actors: JiraRoleActors, actor: string): JiraRoleActors {
    const project = this.tenant.jira.projects.find((p) => p.id === projectId);
    if (!project) throw new SimConflict("not-found", `project ${projectId} not found`);
    if (!this.tenant.jira.roles.some((r) => r.id === roleId)) {
      throw new SimConflict("not-found", `project role ${roleId} not found`);
    }
    const next: JiraRoleActors = { users: [...new Set(actors.users)], groups: [...new Set(actors.groups)] };
    project.roleActors[String(roleId)] = next;
    this.touch({
      action: "project_role_actors_updated",
      actorAccountId: actor,
      targets: [
        { type: "project", id: project.id, name: project.key },
        { type: "project_role", id: String(roleId) },
      ],
      product: "jira",
    });
    return next;
  }

  // ------------------------------------------------------------ Bitbucket

  /** Sets a user's or group's explicit permission on a Bitbucket project (`permissions-config` PUT). */
  bitbucketSetProjectPermission(
    projectKey: string,
    principal: BitbucketPrincipal,
    permission: BitbucketProjectPermission,
    actor: string,
  ): void {
    const project = this.tenant.bitbucket.projects.find((p) => p.key === projectKey);
    if (!project) throw new SimConflict("not-found", `project ${projectKey} not found`);
    upsertGrant(project, principal, permission);
    this.touch(bitbucketGrantEvent("bitbucket_project_permission_updated", "project", projectKey, principal, actor));
  }

  /** Removes a user's or group's explicit permission on a Bitbucket project. Returns false when there was none. */
  bitbucketRemoveProjectPermission(projectKey: string, principal: BitbucketPrincipal, actor: string): boolean {
    const project = this.tenant.bitbucket.projects.find((p) => p.key === projectKey);
    if (!project) throw new SimConflict("not-found", `project ${projectKey} not found`);
    if (!dropGrant(project, principal)) return false;
    this.touch(bitbucketGrantEvent("bitbucket_project_permission_removed", "project", projectKey, principal, actor));
    return true;
  }

  /** Sets a user's or group's explicit permission on a Bitbucket repository (`permissions-config` PUT). */
  bitbucketSetRepoPermission(
    repoSlug: string,
    principal: BitbucketPrincipal,
    permission: BitbucketRepoPermission,
    actor: string,
  ): void {
    const repo = this.tenant.bitbucket.repos.find((r) => r.slug === repoSlug);
    if (!repo) throw new SimConflict("not-found", `repository ${repoSlug} not found`);
    upsertGrant(repo, principal, permission);
    repo.overridesProject = true;
    this.touch(
      bitbucketGrantEvent("bitbucket_repository_permission_updated", "repository", repoSlug, principal, actor),
    );
  }

  /** Removes a user's or group's explicit permission on a Bitbucket repository. Returns false when there was none. */
  bitbucketRemoveRepoPermission(repoSlug: string, principal: BitbucketPrincipal, actor: string): boolean {
    const repo = this.tenant.bitbucket.repos.find((r) => r.slug === repoSlug);
    if (!repo) throw new SimConflict("not-found", `repository ${repoSlug} not found`);
    if (!dropGrant(repo, principal)) return false;
    repo.overridesProject = repo.users.length > 0 || repo.groups.length > 0;
    this.touch(
      bitbucketGrantEvent("bitbucket_repository_permission_removed", "repository", repoSlug, principal, actor),
    );
    return true;
  }

  /**
   * Adds an account to a Bitbucket workspace group (1.0 groups API). A member of any workspace group is a member of
   * the workspace, so an account that was not one becomes a `member`. Returns false when it already was in the group.
   */
  bitbucketAddGroupMember(slug: string, accountId: string, actor: string): boolean {
    const bb = this.tenant.bitbucket;
    const group = bb.groups.find((g) => g.slug === slug);
    if (!group) throw new SimConflict("not-found", `group ${slug} not found`);
    this.requireAccount(accountId);
    if (group.members.includes(accountId)) return false;
    group.members.push(accountId);
    if (!bb.members.some((m) => m.accountId === accountId)) bb.members.push({ accountId, permission: "member" });
    this.touch(bitbucketGrantEvent("bitbucket_group_member_added", "group", slug, { accountId }, actor));
    return true;
  }

  /** Removes an account from a Bitbucket workspace group. Returns false when it was not in the group. */
  bitbucketRemoveGroupMember(slug: string, accountId: string, actor: string): boolean {
    const group = this.tenant.bitbucket.groups.find((g) => g.slug === slug);
    if (!group) throw new SimConflict("not-found", `group ${slug} not found`);
    if (!group.members.includes(accountId)) return false;
    group.members = group.members.filter((m) => m !== accountId);
    this.touch(bitbucketGrantEvent("bitbucket_group_member_removed", "group", slug, { accountId }, actor));
    return true;
  }
}

/** A Bitbucket permission holder: a user (by accountId) or a workspace group (by slug). */
export type BitbucketPrincipal = { accountId: string } | { slug: string };

interface GrantHolder<P> {
  users: Array<BitbucketUserGrant<P>>;
  groups: Array<BitbucketGroupGrant<P>>;
}

/** Replaces an existing grant in place (so listings keep their order) or appends a new one. */
function upsertGrant<P>(holder: GrantHolder<P>, principal: BitbucketPrincipal, permission: P): void {
  if ("accountId" in principal) {
    const grant = holder.users.find((g) => g.accountId === principal.accountId);
    if (grant) grant.permission = permission;
    else holder.users.push({ accountId: principal.accountId, permission });
  } else {
    const grant = holder.groups.find((g) => g.slug === principal.slug);
    if (grant) grant.permission = permission;
    else holder.groups.push({ slug: principal.slug, permission });
  }
}

function dropGrant<P>(holder: GrantHolder<P>, principal: BitbucketPrincipal): boolean {
  if ("accountId" in principal) {
    const before = holder.users.length;
    holder.users = holder.users.filter((g) => g.accountId !== principal.accountId);
    return holder.users.length !== before;
  }
  const before = holder.groups.length;
  holder.groups = holder.groups.filter((g) => g.slug !== principal.slug);
  return holder.groups.length !== before;
}

function bitbucketGrantEvent(
  action: string,
  type: "project" | "repository" | "group",
  id: string,
  principal: BitbucketPrincipal,
  actor: string,
): Omit<AuditEvent, "id" | "time"> {
  return {
    action,
    actorAccountId: actor,
    targets: [
      { type: `bitbucket_${type}`, id },
      "accountId" in principal
        ? { type: "user", id: principal.accountId }
        : { type: "bitbucket_group", id: principal.slug },
    ],
    product: "bitbucket",
  };
}

/** Profile fields of the user-management API that the tenant model does not carry. */
export interface ProfileOverrides {
  nickname?: string;
  location?: string;
  organization?: string;
  zoneinfo?: string;
  locale?: string;
}

const PROFILE_OVERRIDE_KEYS = ["nickname", "location", "organization", "zoneinfo", "locale"] as const;

/** A user-management profile change, in the model's terms. */
export interface ProfilePatch extends ProfileOverrides {
  displayName?: string;
  title?: string | null;
  department?: string | null;
}
