/**
 * @module lifecycle/clients/admin-client
 *
 * The Admin API (organizations v2, reference §2.1) and user-management (reference §2.2) calls of lifecycle
 * management, through the shared transport with read-write instances: one on `…/admin`, one on the API host itself
 * (user management lives at `/users/{accountId}/manage…`). Reads name every directory (`-`); writes name the SCIM
 * directory, as the Admin API requires one directory for a write.
 *
 * - Users: `POST …/users/search` by email or account id with `expand: [platformRoles, groups]`, which gives the
 *   status, whether the account is an org admin, and its groups in one call.
 * - Groups: `POST …/groups/search` by exact name (`groupNames`), which tells whether the group is synced from an
 *   identity provider (`externalSynced`): the Admin API refuses membership changes to those.
 * - Writes: memberships (`POST …/groups/{id}/memberships`, `DELETE …/memberships/{accountId}`), groups, suspend,
 *   and user management's `POST /users/{id}/manage/lifecycle/delete`.
 * Every request carries our `x-request-id`, so the audit log can name it and the error body's `code` can be found.
 */
import { randomUUID } from "node:crypto";
import { adminSearchPages, collect } from "@accessmap/shared/pagination/drivers";
import { NotFoundError } from "@accessmap/shared/transport/errors";
import type { Transport } from "@accessmap/shared/transport/transport";
import { z } from "zod";
import { AdminGroupPageSchema, type AdminV2User, AdminV2UserPageSchema } from "../../connectors/admin/schemas.js";
import type { ErrorBody, ErrorBodyTap } from "./error-bodies.js";
import { REQUEST_ID_HEADER } from "./error-bodies.js";
import type { CallOptions, WriteResult } from "./scim-client.js";

export const ORG_ADMIN_ROLE = "atlassian/org-admin";
const GROUP_ARI = "ari:cloud:identity::group/";

export interface AdminUserView {
  accountId: string;
  email: string | null;
  name: string | null;
  /** `active` | `inactive` | `closed`. */
  accountStatus: string | null;
  /** Composite: `active` | `suspended` | `deactivated` | `not_invited` | `for_deletion`. */
  status: string | null;
  /** `active` | `suspended` | `no_membership`. */
  membershipStatus: string | null;
  orgAdmin: boolean;
  /** Atlassian group ids. */
  groupIds: string[];
}

export interface AdminGroupView {
  groupId: string;
  name: string;
  /** Synced from an identity provider: the Admin API refuses membership changes. */
  externalSynced: boolean;
}

const GroupDetailsSchema = z.looseObject({
  data: z.looseObject({ id: z.string(), name: z.string(), externalSynced: z.boolean().nullish() }),
});
const CreatedGroupSchema = z.looseObject({ id: z.string().nullish(), name: z.string().nullish() }).optional();
const RuleSchema = z.looseObject({
  allowed: z.boolean(),
  reason: z.looseObject({ key: z.string().nullish() }).nullish(),
});
const ManageSchema = z.record(z.string(), z.unknown());
const ProfileSchema = z.looseObject({
  account: z.looseObject({ account_id: z.string(), account_status: z.string().nullish() }),
});

function toUser(u: AdminV2User): AdminUserView {
  return {
    accountId: u.accountId,
    email: u.email ?? null,
    name: u.name ?? null,
    accountStatus: u.accountStatus ?? null,
    status: u.status ?? null,
    membershipStatus: u.membershipStatus ?? null,
    orgAdmin: (u.platformRoles ?? []).includes(ORG_ADMIN_ROLE),
    groupIds: (u.groups ?? []).map((g) => (g.id.startsWith(GROUP_ARI) ? g.id.slice(GROUP_ARI.length) : g.id)),
  };
}

function toGroup(
  g: { id: string; name: string; externalSynced?: boolean | null | undefined } & Record<string, unknown>,
) {
  return { groupId: g.id, name: g.name, externalSynced: g.externalSynced === true };
}

export interface AdminClientIds {
  orgId: string;
  /** The directory writes name (the SCIM directory's id). */
  directoryId: string;
}

export class AdminClient {
  constructor(
    /** Base `…/admin`. */
    readonly admin: Transport,
    /** Base: the API host (`https://api.atlassian.com`), for `/users/{id}/manage…`. */
    readonly userManagement: Transport,
    readonly ids: AdminClientIds,
    private readonly opts: { tap?: ErrorBodyTap; newRequestId?: () => string } = {},
  ) {}

  private rid(o?: CallOptions): string {
    return o?.requestId ?? (this.opts.newRequestId ?? randomUUID)();
  }

  private headers(requestId: string): Record<string, string> {
    return { [REQUEST_ID_HEADER]: requestId };
  }

  errorBody(requestId: string): ErrorBody | null {
    return this.opts.tap?.take(requestId) ?? null;
  }

  private get org(): string {
    return `/v2/orgs/${encodeURIComponent(this.ids.orgId)}`;
  }

  private get dir(): string {
    return `${this.org}/directories/${encodeURIComponent(this.ids.directoryId)}`;
  }

  private async searchUsers(body: Record<string, unknown>): Promise<AdminUserView[]> {
    const rows = await collect(
      adminSearchPages({
        transport: this.admin,
        path: `${this.org}/directories/-/users/search`,
        body: { limit: 100, expand: ["platformRoles", "groups"], ...body },
        schema: AdminV2UserPageSchema,
        endpoint: "POST /v2/orgs/{orgId}/directories/-/users/search",
        key: (u) => u.accountId,
      }),
    );
    return rows.map(toUser);
  }

  /** The account with this email (exact, case-insensitive), or null. */
  async findUserByEmail(email: string): Promise<AdminUserView | null> {
    return (await this.searchUsers({ emails: [email] }))[0] ?? null;
  }

  /** The account, or null when the org does not list it. */
  async getUser(accountId: string): Promise<AdminUserView | null> {
    return (await this.searchUsers({ accountIds: [accountId] })).find((u) => u.accountId === accountId) ?? null;
  }

  /** Account ids of the org admins who can act (status `active`: not deactivated, not suspended). */
  async activeOrgAdmins(): Promise<string[]> {
    return (await this.searchUsers({ roleIds: [ORG_ADMIN_ROLE], status: ["active"] })).map((u) => u.accountId);
  }

  /** Whether the account is a member of the group. */
  async isMember(groupId: string, accountId: string): Promise<boolean> {
    const rows = await this.searchUsers({ groupIds: [groupId], accountIds: [accountId], expand: [] });
    return rows.some((u) => u.accountId === accountId);
  }

  /** The group with this exact name (case-insensitive), or null. */
  async findGroupByName(name: string): Promise<AdminGroupView | null> {
    const rows = await collect(
      adminSearchPages({
        transport: this.admin,
        path: `${this.org}/directories/-/groups/search`,
        body: { limit: 100, groupNames: [name] },
        schema: AdminGroupPageSchema,
        endpoint: "POST /v2/orgs/{orgId}/directories/-/groups/search",
        key: (g) => g.id,
      }),
    );
    const lower = name.toLowerCase();
    const g = rows.find((r) => r.name.toLowerCase() === lower);
    return g ? toGroup(g) : null;
  }

  /** The group with this id, or null. */
  async getGroup(groupId: string): Promise<AdminGroupView | null> {
    try {
      const { data } = await this.admin.request({
        path: `${this.org}/directories/-/groups/${encodeURIComponent(groupId)}`,
        schema: GroupDetailsSchema,
        endpoint: "GET /v2/orgs/{orgId}/directories/-/groups/{groupId}",
        headers: this.headers(this.rid()),
      });
      return toGroup(data.data);
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  /** `POST …/groups/{groupId}/memberships` → 204; 409 when already a member (or the licence is full). */
  async addMember(groupId: string, accountId: string, o?: CallOptions): Promise<WriteResult<null>> {
    const requestId = this.rid(o);
    const res = await this.admin.request({
      method: "POST",
      path: `${this.dir}/groups/${encodeURIComponent(groupId)}/memberships`,
      json: { accountId },
      endpoint: "POST /v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships",
      headers: this.headers(requestId),
    });
    return { value: null, status: res.status, requestId };
  }

  /** `DELETE …/groups/{groupId}/memberships/{accountId}` → 204. */
  async removeMember(groupId: string, accountId: string, o?: CallOptions): Promise<WriteResult<null>> {
    const requestId = this.rid(o);
    const res = await this.admin.request({
      method: "DELETE",
      path: `${this.dir}/groups/${encodeURIComponent(groupId)}/memberships/${encodeURIComponent(accountId)}`,
      endpoint: "DELETE /v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/memberships/{accountId}",
      headers: this.headers(requestId),
    });
    return { value: null, status: res.status, requestId };
  }

  /** `POST …/groups` → 201 (409 when the name exists). The new id comes from the answer, else a search by name. */
  async createGroup(name: string, description: string, o?: CallOptions): Promise<WriteResult<AdminGroupView>> {
    const requestId = this.rid(o);
    const res = await this.admin.request({
      method: "POST",
      path: `${this.dir}/groups`,
      json: { name, description },
      schema: CreatedGroupSchema,
      endpoint: "POST /v2/orgs/{orgId}/directories/{directoryId}/groups",
      headers: this.headers(requestId),
    });
    const id = res.data?.id ?? (await this.findGroupByName(name))?.groupId;
    if (!id) throw new Error(`group ${name} was created but cannot be found`);
    return { value: { groupId: id, name, externalSynced: false }, status: res.status, requestId };
  }

  async deleteGroup(groupId: string, o?: CallOptions): Promise<WriteResult<null>> {
    const requestId = this.rid(o);
    const res = await this.admin.request({
      method: "DELETE",
      path: `${this.dir}/groups/${encodeURIComponent(groupId)}`,
      endpoint: "DELETE /v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}",
      headers: this.headers(requestId),
    });
    return { value: null, status: res.status, requestId };
  }

  /** `POST …/users/{accountId}/suspend` → 204: product access stops, groups and roles are kept. */
  async suspend(accountId: string, o?: CallOptions): Promise<WriteResult<null>> {
    const requestId = this.rid(o);
    const res = await this.admin.request({
      method: "POST",
      path: `${this.dir}/users/${encodeURIComponent(accountId)}/suspend`,
      endpoint: "POST /v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/suspend",
      headers: this.headers(requestId),
    });
    return { value: null, status: res.status, requestId };
  }

  /**
   * User management: whether the org key may use a privilege on the account (`GET /users/{id}/manage`), and the
   * restriction when not (`externalDirectory.scim`: the identity provider manages it). Null when not answered.
   */
  async manageability(
    accountId: string,
    privilege: string,
  ): Promise<{ allowed: boolean; reason: string | null } | null> {
    try {
      const { data } = await this.userManagement.request({
        path: `/users/${encodeURIComponent(accountId)}/manage`,
        query: { privileges: privilege },
        schema: ManageSchema,
        endpoint: "GET /users/{accountId}/manage",
        headers: this.headers(this.rid()),
      });
      const rule = RuleSchema.safeParse(data[privilege]);
      if (!rule.success) return null;
      return { allowed: rule.data.allowed, reason: rule.data.reason?.key ?? null };
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  /** User management: the account's status (`active` | `inactive` | `closed`), or null when unknown. */
  async accountStatus(accountId: string): Promise<string | null> {
    try {
      const { data } = await this.userManagement.request({
        path: `/users/${encodeURIComponent(accountId)}/manage/profile`,
        schema: ProfileSchema,
        endpoint: "GET /users/{accountId}/manage/profile",
        headers: this.headers(this.rid()),
      });
      return data.account.account_status ?? null;
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  /** User management: `POST /users/{accountId}/manage/lifecycle/delete` (14-day grace period). */
  async deleteAccount(accountId: string, o?: CallOptions): Promise<WriteResult<null>> {
    const requestId = this.rid(o);
    const res = await this.userManagement.request({
      method: "POST",
      path: `/users/${encodeURIComponent(accountId)}/manage/lifecycle/delete`,
      endpoint: "POST /users/{accountId}/manage/lifecycle/delete",
      headers: this.headers(requestId),
    });
    return { value: null, status: res.status, requestId };
  }
}
