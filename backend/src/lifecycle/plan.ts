/**
 * @module lifecycle/plan
 *
 * `planLifecycle(requests, deps)`: turns lifecycle requests into a plan — every call the apply would make, each
 * target's current and intended state, in execution order — by reading (never writing) the SCIM directory and the
 * Admin API. A plan is the dry run: nothing is sent until `applyPlan`, which plans again through this same function
 * and refuses the plan when the state moved (D13).
 *
 * Ordering: groups are created first, then users are created or updated, then memberships are added, then removed;
 * a deprovision deactivates the user first (access ends at once), then suspends, then leaves the groups; deletions
 * and group deletions come last. A step that needs an earlier one (a membership of a user this plan creates) names
 * it in `dependsOn` and is not run when that one fails.
 *
 * Idempotence is planned, not hoped for: a member already in the group, a user already inactive, a group that
 * already exists are `noop` steps, reported as such.
 *
 * @example
 * const plan = await planLifecycle([{ request: { action: "DEPROVISION_IDENTITY", user: { user: "ann@acme.com" } } }], deps);
 * for (const s of plan.steps) console.log(s.id, s.status, s.summary);
 */
import { createHash, randomUUID } from "node:crypto";
import type { Model } from "../model/types.js";
import type { Store } from "../store/store.js";
import type { AuditSink } from "./audit.js";
import type { AdminClient, AdminGroupView, AdminUserView } from "./clients/admin-client.js";
import { type ScimClient, type ScimGroupView, type ScimUserView, toUserView } from "./clients/scim-client.js";
import { applyGuards } from "./guards.js";
import {
  type AttributeValues,
  DEFAULT_MAX_DEPROVISIONS,
  type DeleteIdentityRequest,
  type DeprovisionIdentityRequest,
  type GroupChange,
  type GroupTarget,
  type LifecycleAction,
  LifecycleError,
  type LifecycleOptions,
  type LifecycleRequest,
  type LocatedRequest,
  type MembershipChange,
  type Plan,
  type PlannedCall,
  type PlanProblem,
  type PlanStep,
  type StepKind,
  type StepStatus,
  type SyncIdentitiesRequest,
  type UserAttributes,
  type UserRef,
  type UserTarget,
} from "./types.js";

/** What planning and applying need. The HTTP API and the Forge admin page build the same. */
export interface LifecycleDeps {
  scim: ScimClient;
  admin: AdminClient;
  /** The tenant's store: the audit log and, after an apply, the patched model. */
  store?: Store | null;
  tenantId?: string | null;
  /** Who asks, for the audit log: `cli:<name>`, `user:<accountId>`, `apikey:<id>`. */
  actor?: string;
  /** Where audit entries go when there is no store (tests, a caller with its own log). */
  audit?: AuditSink | null;
  /** The current model, when the caller holds it (used to find a user's SCIM login by account id). */
  model?: Model | null;
  options?: LifecycleOptions;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Pause before re-sending a write that failed without a Retry-After, after the re-read (default 1000 ms). */
  writeRetryDelayMs?: number;
  /** Times one write may be sent, re-reading between attempts (default 3). */
  maxWriteAttempts?: number;
  newId?: () => string;
}

interface ResolvedUser {
  ref: string;
  scim: ScimUserView | null;
  admin: AdminUserView | null;
  accountId: string | null;
}

interface Draft extends Omit<PlanStep, "id" | "dependsOn"> {
  key: string;
  phase: number;
  dependsOn: string[];
}

/** A user this plan creates: later steps refer to it through its step. */
interface PlannedUser {
  draftKey: string;
  userName: string;
  accountId: string | null;
  /** The step creates the user (later steps must wait for it); else it updates an existing one. */
  creates: boolean;
}

interface PlannedGroup {
  draftKey: string;
  via: "scim" | "admin";
  name: string;
}

const lower = (s: string) => s.trim().toLowerCase();
/** `""` and null are the same empty value (S11). */
const norm = (v: string | null | undefined): string | null => (v === undefined || v === null || v === "" ? null : v);

const USER_ATTRS: ReadonlyArray<Exclude<keyof UserAttributes, "active">> = [
  "userName",
  "email",
  "givenName",
  "familyName",
  "displayName",
  "title",
  "department",
  "organization",
  "externalId",
];

/** The attributes of a user that differ from the desired ones (only those the request names). */
export function attributeChanges(
  current: ScimUserView,
  desired: UserAttributes,
): { old: AttributeValues; new: AttributeValues } {
  const old: AttributeValues = {};
  const next: AttributeValues = {};
  for (const key of USER_ATTRS) {
    if (!(key in desired) || desired[key] === undefined) continue;
    const want = norm(desired[key]);
    const have = norm(current[key]);
    const same =
      key === "userName" || key === "email" ? (have ?? "").toLowerCase() === (want ?? "").toLowerCase() : have === want;
    if (!same) {
      old[key] = have;
      next[key] = want;
    }
  }
  if (desired.active !== undefined && desired.active !== current.active) {
    old.active = current.active;
    next.active = desired.active;
  }
  return { old, new: next };
}

function describeRef(ref: UserRef): string {
  return ref.user ?? ref.accountId ?? (ref.externalId ? `externalId ${ref.externalId}` : "(no user)");
}

const looksLikeEmail = (s: string) => /^[^@\s]+@[^@\s]+$/.test(s);

/** A user reference names someone: a non-empty `user`, `accountId` or `externalId`. */
function validRef(ref: unknown): ref is UserRef {
  if (!ref || typeof ref !== "object") return false;
  const r = ref as Record<string, unknown>;
  return ["user", "accountId", "externalId"].some((k) => typeof r[k] === "string" && (r[k] as string).trim() !== "");
}
const NO_USER = "name the user: user (a userName, email or account id), accountId or externalId";

/** Reads the state one plan needs, each thing once. */
class Reader {
  private readonly users = new Map<string, Promise<ResolvedUser | null>>();
  private readonly scimGroups = new Map<string, Promise<ScimGroupView | null>>();
  private readonly adminGroups = new Map<string, Promise<AdminGroupView | null>>();
  private readonly adminGroupsById = new Map<string, Promise<AdminGroupView | null>>();
  private scimByAccount: Promise<Map<string, ScimUserView>> | null = null;

  constructor(readonly deps: LifecycleDeps) {}

  /** The directory's users by account id (one walk per plan, only when a user cannot be found another way). */
  private async scimUserOfAccount(accountId: string): Promise<ScimUserView | null> {
    const login = this.deps.model?.identities.find((i) => i.accountId === accountId && i.source === "scim")?.login;
    if (login) {
      const u = await this.deps.scim.findUserByUserName(login);
      if (u?.accountId === accountId) return u;
    }
    this.scimByAccount ??= (async () => {
      const out = new Map<string, ScimUserView>();
      for await (const page of this.deps.scim.listUserPages()) {
        for (const raw of page) {
          const u = toUserView(raw);
          if (u.accountId) out.set(u.accountId, u);
        }
      }
      return out;
    })();
    return (await this.scimByAccount).get(accountId) ?? null;
  }

  user(ref: UserRef): Promise<ResolvedUser | null> {
    const key = JSON.stringify([ref.user ?? null, ref.accountId ?? null, ref.externalId ?? null]);
    let p = this.users.get(key);
    if (!p) {
      p = this.resolveUser(ref);
      this.users.set(key, p);
    }
    return p;
  }

  private async resolveUser(ref: UserRef): Promise<ResolvedUser | null> {
    const { scim, admin } = this.deps;
    const label = describeRef(ref);
    let s: ScimUserView | null = null;
    let a: AdminUserView | null = null;
    if (ref.externalId) s = await scim.findUserByExternalId(ref.externalId);
    else if (ref.accountId) a = await admin.getUser(ref.accountId);
    else if (ref.user) {
      s = await scim.findUserByUserName(ref.user);
      if (!s) {
        a = looksLikeEmail(ref.user) ? await admin.findUserByEmail(ref.user) : await admin.getUser(ref.user);
      }
    }
    const accountId = s?.accountId ?? a?.accountId ?? null;
    if (!a && accountId) a = await admin.getUser(accountId);
    if (!s && accountId) s = await this.scimUserOfAccount(accountId);
    if (!s && !a) return null;
    return { ref: label, scim: s, admin: a, accountId };
  }

  scimGroup(name: string): Promise<ScimGroupView | null> {
    let p = this.scimGroups.get(lower(name));
    if (!p) {
      p = this.deps.scim.findGroupByName(name);
      this.scimGroups.set(lower(name), p);
    }
    return p;
  }

  adminGroup(nameOrId: string): Promise<AdminGroupView | null> {
    let p = this.adminGroups.get(lower(nameOrId));
    if (!p) {
      p = (async () =>
        (await this.deps.admin.findGroupByName(nameOrId)) ??
        (/^[0-9a-f-]{16,}$/i.test(nameOrId) ? await this.adminGroupById(nameOrId) : null))();
      this.adminGroups.set(lower(nameOrId), p);
    }
    return p;
  }

  adminGroupById(groupId: string): Promise<AdminGroupView | null> {
    let p = this.adminGroupsById.get(groupId);
    if (!p) {
      p = this.deps.admin.getGroup(groupId);
      this.adminGroupsById.set(groupId, p);
    }
    return p;
  }
}

/** The phase of a step: the order steps run in. */
const PHASE = {
  groupCreate: 0,
  user: 1,
  memberAdd: 2,
  memberRemove: 3,
  deactivate: 4,
  suspend: 5,
  leaveGroups: 6,
  delete: 7,
  groupDelete: 8,
} as const;

class Planner {
  readonly drafts: Draft[] = [];
  readonly problems: PlanProblem[] = [];
  readonly notes: string[] = [];
  readonly plannedUsers = new Map<string, PlannedUser>();
  readonly plannedGroups = new Map<string, PlannedGroup>();
  readonly orgAdminTargets = new Set<string>();
  private seq = 0;

  constructor(
    readonly reader: Reader,
    readonly requests: LocatedRequest[],
  ) {}

  private self: Promise<string | null> | null = null;

  /** The integration's own account id: the option, else the account of `selfEmail` (config `productUser`). */
  selfAccountId(): Promise<string | null> {
    this.self ??= (async () => {
      const o = this.reader.deps.options ?? {};
      if (o.selfAccountId) return o.selfAccountId;
      return o.selfEmail ? ((await this.reader.deps.admin.findUserByEmail(o.selfEmail))?.accountId ?? null) : null;
    })();
    return this.self;
  }

  problem(requestIndex: number, message: string): void {
    this.problems.push({ requestIndex, origin: this.requests[requestIndex]?.origin, message });
  }

  add(d: Omit<Draft, "key" | "dependsOn"> & { dependsOn?: string[] }): Draft {
    this.seq += 1;
    const draft: Draft = { ...d, key: `d${this.seq}`, dependsOn: d.dependsOn ?? [] };
    this.drafts.push(draft);
    return draft;
  }

  // ------------------------------------------------------------ SYNC_IDENTITIES

  async sync(i: number, req: SyncIdentitiesRequest): Promise<void> {
    const u = req.user;
    if (!u || typeof u.userName !== "string" || u.userName.trim() === "")
      return this.problem(i, "userName is required");
    if (u.email !== undefined && (typeof u.email !== "string" || !looksLikeEmail(u.email)))
      return this.problem(i, `${u.userName}: the email is not a valid address`);
    const { scim, admin } = this.reader.deps;
    let existing = await scim.findUserByUserName(u.userName);
    if (!existing && norm(u.externalId)) existing = await scim.findUserByExternalId(u.externalId!);
    if (!existing && req.updateOnly) return this.problem(i, `no user ${u.userName} in the SCIM directory to update`);
    if (!existing && !u.email) return this.problem(i, `${u.userName}: an email is required to create the user`);
    const account = existing || !u.email ? null : await admin.findUserByEmail(u.email);
    if (!existing && account) {
      // The account may be provisioned already under another userName: update that user rather than collide.
      const linked = (await this.reader.user({ accountId: account.accountId }))?.scim ?? null;
      if (linked) existing = linked;
    }
    if (existing) {
      const diff = attributeChanges(existing, u);
      const changed = Object.keys(diff.new).length > 0;
      const d = this.add({
        action: "SYNC_IDENTITIES",
        kind: "scim.user.update",
        summary: changed
          ? `update ${existing.userName} in the SCIM directory (${Object.keys(diff.new).join(", ")})`
          : `${existing.userName} is already up to date in the SCIM directory`,
        call: { api: "scim", method: "PATCH", path: `/Users/${existing.id}` },
        user: { ref: u.userName, scimId: existing.id, accountId: existing.accountId, userName: existing.userName },
        group: null,
        current: diff.old,
        intended: diff.new,
        status: changed ? "pending" : "noop",
        reason: changed ? null : "no-op: every attribute already has the desired value",
        requestIndex: i,
        phase: PHASE.user,
      });
      this.rememberUser(u, d, existing.accountId, existing.userName);
      return;
    }
    const intended: AttributeValues = { active: u.active ?? true };
    for (const key of USER_ATTRS) {
      const v = norm(u[key]);
      if (v !== null) intended[key] = v;
    }
    const d = this.add({
      action: "SYNC_IDENTITIES",
      kind: "scim.user.create",
      summary: account
        ? `create ${u.userName} in the SCIM directory, linking the existing managed account ${account.accountId}`
        : `create ${u.userName} in the SCIM directory (a new managed account)`,
      call: { api: "scim", method: "POST", path: "/Users" },
      user: { ref: u.userName, scimId: null, accountId: account?.accountId ?? null, userName: u.userName },
      group: null,
      current: account
        ? { accountId: account.accountId, accountStatus: account.accountStatus, inDirectory: false }
        : null,
      intended,
      status: "pending",
      reason: null,
      requestIndex: i,
      phase: PHASE.user,
    });
    this.rememberUser(u, d, account?.accountId ?? null, u.userName);
  }

  private rememberUser(u: UserAttributes, d: Draft, accountId: string | null, userName: string): void {
    const planned = { draftKey: d.key, userName, accountId, creates: d.kind === "scim.user.create" };
    this.plannedUsers.set(lower(u.userName), planned);
    if (u.email) this.plannedUsers.set(lower(u.email), planned);
  }

  // ------------------------------------------------------------ MANAGE_RELATIONSHIPS

  async group(i: number, g: GroupChange): Promise<void> {
    if (typeof g.group !== "string" || g.group.trim() === "") return this.problem(i, "a group name is required");
    const scimGroup = await this.reader.scimGroup(g.group);
    const adminGroup = await this.reader.adminGroup(g.group);
    if (g.op === "create") {
      const via = g.via ?? "admin";
      const exists = via === "scim" ? scimGroup : adminGroup;
      const other = via === "scim" ? adminGroup : scimGroup;
      const kind: StepKind = via === "scim" ? "scim.group.create" : "admin.group.create";
      const call: PlannedCall =
        via === "scim"
          ? { api: "scim", method: "POST", path: "/Groups" }
          : { api: "admin", method: "POST", path: `/v2/orgs/{orgId}/directories/{directoryId}/groups` };
      let status: StepStatus = "pending";
      let reason: string | null = null;
      if (exists) {
        status = "noop";
        reason = `no-op: the group ${g.group} already exists`;
      } else if (other) {
        status = "refused";
        reason = `refused: a group named ${g.group} already exists as ${via === "scim" ? "an Atlassian" : "a SCIM"} group`;
      }
      const d = this.add({
        action: "MANAGE_RELATIONSHIPS",
        kind,
        summary: `create the ${via === "scim" ? "SCIM" : "Atlassian"} group ${g.group}`,
        call,
        user: null,
        group: {
          name: g.group,
          scimId: scimGroup?.id ?? null,
          groupId: adminGroup?.groupId ?? null,
        },
        current: exists || other ? { exists: true } : { exists: false },
        intended: { exists: true, ...(g.description ? { description: g.description } : {}) },
        status,
        reason,
        requestIndex: i,
        phase: PHASE.groupCreate,
      });
      if (status === "pending") this.plannedGroups.set(lower(g.group), { draftKey: d.key, via, name: g.group });
      return;
    }
    // delete
    const viaScim = g.via ? g.via === "scim" : scimGroup !== null;
    if (!scimGroup && !adminGroup) {
      this.add({
        action: "MANAGE_RELATIONSHIPS",
        kind: viaScim ? "scim.group.delete" : "admin.group.delete",
        summary: `delete the group ${g.group}`,
        call: viaScim
          ? { api: "scim", method: "DELETE", path: "/Groups/{id}" }
          : { api: "admin", method: "DELETE", path: "/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}" },
        user: null,
        group: { name: g.group, scimId: null, groupId: null },
        current: { exists: false },
        intended: { exists: false },
        status: "noop",
        reason: `no-op: there is no group ${g.group}`,
        requestIndex: i,
        phase: PHASE.groupDelete,
      });
      return;
    }
    let status: StepStatus = "pending";
    let reason: string | null = null;
    if (viaScim && !scimGroup) {
      status = "refused";
      reason = `refused: ${g.group} is not a group of the SCIM directory`;
    } else if (!viaScim && adminGroup?.externalSynced) {
      status = "refused";
      reason = `refused: ${g.group} is synced from an identity provider, and the Admin API refuses to change it; delete it in the identity provider (or through SCIM with via: scim)`;
    }
    this.add({
      action: "MANAGE_RELATIONSHIPS",
      kind: viaScim ? "scim.group.delete" : "admin.group.delete",
      summary: `delete the ${viaScim ? "SCIM" : "Atlassian"} group ${g.group}`,
      call: viaScim
        ? { api: "scim", method: "DELETE", path: `/Groups/${scimGroup?.id ?? "{id}"}` }
        : {
            api: "admin",
            method: "DELETE",
            path: `/v2/orgs/{orgId}/directories/{directoryId}/groups/${adminGroup?.groupId ?? "{groupId}"}`,
          },
      user: null,
      group: { name: g.group, scimId: scimGroup?.id ?? null, groupId: adminGroup?.groupId ?? null },
      current: { exists: true, ...(viaScim ? { members: scimGroup?.members.length ?? 0 } : {}) },
      intended: { exists: false },
      status,
      reason,
      requestIndex: i,
      phase: PHASE.groupDelete,
    });
  }

  /** A user a membership change names: one this plan creates, or one that exists. */
  private async membershipUser(ref: UserRef): Promise<{ target: UserTarget; resolved: ResolvedUser | null } | null> {
    const planned = ref.user ? this.plannedUsers.get(lower(ref.user)) : undefined;
    const resolved = await this.reader.user(ref);
    if (planned?.creates) {
      // Created by this plan (possibly linking an existing account): the step provides its SCIM id.
      return {
        target: {
          ref: describeRef(ref),
          scimId: null,
          accountId: resolved?.accountId ?? planned.accountId,
          userName: planned.userName,
          fromStep: planned.draftKey,
        },
        resolved,
      };
    }
    if (!resolved) return null;
    return {
      target: {
        ref: describeRef(ref),
        scimId: resolved.scim?.id ?? null,
        accountId: resolved.accountId,
        userName: resolved.scim?.userName ?? null,
      },
      resolved,
    };
  }

  async membership(
    i: number,
    m: MembershipChange,
    phase: number = m.op === "add" ? PHASE.memberAdd : PHASE.memberRemove,
  ): Promise<void> {
    if (typeof m.group !== "string" || m.group.trim() === "") return this.problem(i, "a group name is required");
    if (!validRef(m.user)) return this.problem(i, NO_USER);
    const who = await this.membershipUser(m.user);
    if (!who) return this.problem(i, `no user ${describeRef(m.user)} in the SCIM directory or the organization`);
    const plannedGroup = this.plannedGroups.get(lower(m.group));
    const scimGroup = plannedGroup ? null : await this.reader.scimGroup(m.group);
    const adminGroup = plannedGroup ? null : await this.reader.adminGroup(m.group);
    if (!plannedGroup && !scimGroup && !adminGroup) return this.problem(i, `no group ${m.group}`);
    const viaScim = plannedGroup ? plannedGroup.via === "scim" : (m.via ?? (scimGroup ? "scim" : "admin")) === "scim";
    const dependsOn = [who.target.fromStep, plannedGroup?.draftKey].filter((x): x is string => !!x);
    const group: GroupTarget = {
      name: m.group,
      scimId: scimGroup?.id ?? null,
      groupId: adminGroup?.groupId ?? null,
      ...(plannedGroup ? { fromStep: plannedGroup.draftKey } : {}),
    };
    const userLabel = who.target.userName ?? who.target.ref;
    const verb = m.op === "add" ? "add" : "remove";
    const prep = m.op === "add" ? "to" : "from";
    let status: StepStatus = "pending";
    let reason: string | null = null;
    let member: boolean | null = null;

    if (viaScim) {
      if (!plannedGroup && !scimGroup) {
        status = "refused";
        reason = `refused: ${m.group} is not a group of the SCIM directory`;
      } else if (!who.target.scimId && !who.target.fromStep) {
        status = "refused";
        reason = `refused: ${userLabel} is not in the SCIM directory, so it cannot be a member of the SCIM group ${m.group}`;
      } else {
        member = scimGroup && who.target.scimId ? scimGroup.members.includes(who.target.scimId) : false;
      }
      this.add({
        action: m.op === "remove" && phase === PHASE.leaveGroups ? "DEPROVISION_IDENTITY" : "MANAGE_RELATIONSHIPS",
        kind: m.op === "add" ? "scim.group.member.add" : "scim.group.member.remove",
        summary: `${verb} ${userLabel} ${prep} the SCIM group ${m.group}`,
        call: { api: "scim", method: "PATCH", path: `/Groups/${scimGroup?.id ?? "{id}"}` },
        user: who.target,
        group,
        ...this.memberState(m.op, member, status, reason),
        dependsOn,
        requestIndex: i,
        phase,
      });
      return;
    }

    if (adminGroup?.externalSynced) {
      status = "refused";
      reason = `refused: ${m.group} is synced from an identity provider, and the Admin API refuses membership changes to it; change the membership in the identity provider, or through SCIM (via: scim) when it is this directory's group`;
    } else if (!who.target.accountId && !who.target.fromStep) {
      status = "refused";
      reason = `refused: ${userLabel} has no Atlassian account`;
    } else {
      member = adminGroup && who.resolved?.admin ? who.resolved.admin.groupIds.includes(adminGroup.groupId) : false;
    }
    const gid = adminGroup?.groupId ?? "{groupId}";
    this.add({
      action: m.op === "remove" && phase === PHASE.leaveGroups ? "DEPROVISION_IDENTITY" : "MANAGE_RELATIONSHIPS",
      kind: m.op === "add" ? "admin.group.member.add" : "admin.group.member.remove",
      summary: `${verb} ${userLabel} ${prep} the Atlassian group ${m.group}`,
      call:
        m.op === "add"
          ? {
              api: "admin",
              method: "POST",
              path: `/v2/orgs/{orgId}/directories/{directoryId}/groups/${gid}/memberships`,
            }
          : {
              api: "admin",
              method: "DELETE",
              path: `/v2/orgs/{orgId}/directories/{directoryId}/groups/${gid}/memberships/${who.target.accountId ?? "{accountId}"}`,
            },
      user: who.target,
      group,
      ...this.memberState(m.op, member, status, reason),
      dependsOn,
      requestIndex: i,
      phase,
    });
  }

  private memberState(
    op: "add" | "remove",
    member: boolean | null,
    status: StepStatus,
    reason: string | null,
  ): { current: AttributeValues | null; intended: AttributeValues; status: StepStatus; reason: string | null } {
    const intended = { member: op === "add" };
    if (status !== "pending" || member === null)
      return { current: member === null ? null : { member }, intended, status, reason };
    if (op === "add" && member)
      return { current: { member }, intended, status: "noop", reason: "no-op: already a member" };
    if (op === "remove" && !member)
      return { current: { member }, intended, status: "noop", reason: "no-op: not a member" };
    return { current: { member }, intended, status, reason };
  }

  // ------------------------------------------------------------ DEPROVISION_IDENTITY

  /**
   * The user a deprovision or delete is about, as a step target; an unknown user becomes a problem (null). Org
   * admins are noted for the last-org-admin guard.
   */
  private async leaverTarget(
    i: number,
    ref: UserRef,
  ): Promise<{ u: ResolvedUser; target: UserTarget; label: string } | null> {
    const u = await this.reader.user(ref);
    if (!u) {
      this.problem(i, `no user ${describeRef(ref)} in the SCIM directory or the organization`);
      return null;
    }
    if (u.admin?.orgAdmin && u.accountId) this.orgAdminTargets.add(u.accountId);
    const target: UserTarget = {
      ref: describeRef(ref),
      scimId: u.scim?.id ?? null,
      accountId: u.accountId,
      userName: u.scim?.userName ?? null,
    };
    return { u, target, label: target.userName ?? target.ref };
  }

  async deprovision(i: number, req: DeprovisionIdentityRequest): Promise<void> {
    if (!validRef(req.user)) return this.problem(i, NO_USER);
    const found = await this.leaverTarget(i, req.user);
    if (!found) return;
    const { u, target, label } = found;
    if (u.scim) {
      this.add({
        action: "DEPROVISION_IDENTITY",
        kind: "scim.user.deactivate",
        summary: `deactivate ${label} in the SCIM directory (active=false)`,
        call: { api: "scim", method: "PATCH", path: `/Users/${u.scim.id}` },
        user: target,
        group: null,
        current: { active: u.scim.active },
        intended: { active: false },
        status: u.scim.active ? "pending" : "noop",
        reason: u.scim.active ? null : "no-op: the user is already inactive",
        requestIndex: i,
        phase: PHASE.deactivate,
      });
    } else if (!req.suspendAccess) {
      if (u.accountId && u.accountId === (await this.selfAccountId())) {
        return this.problem(i, `refused: ${label} is the integration's own account (the account behind productUser)`);
      }
      this.problem(
        i,
        `${label} is not in the SCIM directory, so it cannot be deactivated through SCIM; ask to suspend its product access instead (suspendAccess)`,
      );
    }
    if (req.suspendAccess) {
      if (!u.admin || !u.accountId) {
        this.problem(i, `${label} is not listed by the Admin API, so its product access cannot be suspended`);
      } else {
        const suspended = u.admin.membershipStatus === "suspended";
        this.add({
          action: "DEPROVISION_IDENTITY",
          kind: "admin.user.suspend",
          summary: `suspend the product access of ${label} (Admin API)`,
          call: {
            api: "admin",
            method: "POST",
            path: `/v2/orgs/{orgId}/directories/{directoryId}/users/${u.accountId}/suspend`,
          },
          user: target,
          group: null,
          current: { membershipStatus: u.admin.membershipStatus },
          intended: { membershipStatus: "suspended" },
          status: suspended ? "noop" : "pending",
          reason: suspended ? "no-op: the access is already suspended" : null,
          requestIndex: i,
          phase: PHASE.suspend,
        });
      }
    }
    if (req.removeFromGroups) await this.leaveGroups(i, req.user, u, label);
  }

  /** Every membership of the user, each removed through the channel that owns the group. */
  private async leaveGroups(i: number, ref: UserRef, u: ResolvedUser, label: string): Promise<void> {
    const scimGroupNames = new Set<string>();
    for (const g of u.scim?.groups ?? []) {
      const name = g.name ?? (await this.reader.deps.scim.getGroup(g.id)).displayName;
      scimGroupNames.add(lower(name));
      await this.membership(i, { op: "remove", user: ref, group: name, via: "scim" }, PHASE.leaveGroups);
    }
    for (const groupId of u.admin?.groupIds ?? []) {
      const g = await this.reader.adminGroupById(groupId);
      if (!g || scimGroupNames.has(lower(g.name))) continue;
      if (g.externalSynced) {
        this.notes.push(
          `${label} stays in ${g.name}: the group is synced from an identity provider outside this SCIM directory; remove the membership there.`,
        );
        continue;
      }
      await this.membership(i, { op: "remove", user: ref, group: g.name, via: "admin" }, PHASE.leaveGroups);
    }
  }

  // ------------------------------------------------------------ DELETE_IDENTITY

  async remove(i: number, req: DeleteIdentityRequest): Promise<void> {
    if (!validRef(req.user)) return this.problem(i, NO_USER);
    if (req.mode !== "directory" && req.mode !== "account")
      return this.problem(i, 'mode must be "directory" (SCIM DELETE) or "account" (user management)');
    const found = await this.leaverTarget(i, req.user);
    if (!found) return;
    const { u, target, label } = found;
    const unconfirmed = req.confirm !== true;
    const confirmReason = "refused: deleting needs explicit confirmation (confirm: true, or --confirm)";
    if (req.mode === "directory") {
      this.add({
        action: "DELETE_IDENTITY",
        kind: "scim.user.delete",
        summary: `remove ${label} from the SCIM directory (DELETE; Atlassian deactivates the account)`,
        call: { api: "scim", method: "DELETE", path: `/Users/${u.scim?.id ?? "{id}"}` },
        user: target,
        group: null,
        current: u.scim ? { inDirectory: true, active: u.scim.active } : { inDirectory: false },
        intended: { inDirectory: false },
        status: !u.scim ? "noop" : unconfirmed ? "refused" : "pending",
        reason: !u.scim ? "no-op: the user is not in the SCIM directory" : unconfirmed ? confirmReason : null,
        requestIndex: i,
        phase: PHASE.delete,
      });
      return;
    }
    if (!u.accountId) return this.problem(i, `${label} has no Atlassian account to delete`);
    const status = await this.reader.deps.admin.accountStatus(u.accountId);
    const closed = status === "closed";
    const rule = closed ? null : await this.reader.deps.admin.manageability(u.accountId, "lifecycle.delete");
    const notManageable =
      rule && !rule.allowed
        ? `refused: the org's API key may not delete this account (${rule.reason ?? "not allowed"})${
            rule.reason === "externalDirectory.scim"
              ? "; it is managed by the identity provider: remove it from the SCIM directory (mode directory) or delete it there"
              : ""
          }`
        : null;
    this.add({
      action: "DELETE_IDENTITY",
      kind: "account.delete",
      summary: `delete the Atlassian account of ${label} (user management; 14-day grace period)`,
      call: { api: "user-management", method: "POST", path: `/users/${u.accountId}/manage/lifecycle/delete` },
      user: target,
      group: null,
      current: { accountStatus: status },
      intended: { accountStatus: "closed" },
      status: closed ? "noop" : unconfirmed || notManageable ? "refused" : "pending",
      reason: closed
        ? "no-op: the account is already deleted"
        : (notManageable ?? (unconfirmed ? confirmReason : null)),
      requestIndex: i,
      phase: PHASE.delete,
    });
  }
}

/** SHA-256 over what apply must find unchanged: every step's target, state, status and order, and the problems. */
export function planFingerprint(p: Pick<Plan, "steps" | "problems" | "blocked">): string {
  const h = createHash("sha256");
  h.update(
    JSON.stringify({
      steps: p.steps.map((s) => [
        s.id,
        s.kind,
        s.user,
        s.group,
        s.current,
        s.intended,
        s.status,
        s.reason,
        s.dependsOn,
      ]),
      problems: p.problems.map((x) => [x.requestIndex, x.message]),
      blocked: p.blocked,
    }),
  );
  return h.digest("hex");
}

/** Turns requests into a plan. Reads only; never sends a write. */
export async function planLifecycle(
  input: LocatedRequest[] | LocatedRequest | LifecycleRequest,
  deps: LifecycleDeps,
): Promise<Plan> {
  const requests: LocatedRequest[] = Array.isArray(input) ? input : "request" in input ? [input] : [{ request: input }];
  for (const r of requests) {
    if (!r || typeof r.request !== "object" || r.request === null) {
      throw new LifecycleError("invalid-plan", "every request must be an object with an action");
    }
  }
  const opts = deps.options ?? {};
  const reader = new Reader(deps);
  const planner = new Planner(reader, requests);
  const capabilities = await deps.scim.capabilities();

  // Group creations first, so memberships in the same plan can refer to them.
  for (const [i, { request }] of requests.entries()) {
    if (request.action === "MANAGE_RELATIONSHIPS")
      for (const g of request.groups ?? []) if (g.op === "create") await planner.group(i, g);
  }
  for (const [i, { request }] of requests.entries())
    if (request.action === "SYNC_IDENTITIES") await planner.sync(i, request);
  for (const [i, { request }] of requests.entries()) {
    switch (request.action) {
      case "SYNC_IDENTITIES":
        break;
      case "MANAGE_RELATIONSHIPS":
        if (!request.memberships?.length && !request.groups?.length)
          planner.problem(i, "nothing to do: give memberships or groups");
        for (const m of request.memberships ?? []) {
          if (m.op !== "add" && m.op !== "remove") planner.problem(i, 'a membership op must be "add" or "remove"');
          else await planner.membership(i, m);
        }
        for (const g of request.groups ?? []) {
          if (g.op === "delete") await planner.group(i, g);
          else if (g.op !== "create") planner.problem(i, 'a group op must be "create" or "delete"');
        }
        break;
      case "DEPROVISION_IDENTITY":
        await planner.deprovision(i, request);
        break;
      case "DELETE_IDENTITY":
        await planner.remove(i, request);
        break;
      default:
        planner.problem(i, `unknown action ${String((request as { action?: unknown }).action)}`);
    }
  }

  // Order by phase (stable), then name the steps s1…sN and rewrite references to them.
  const ordered = planner.drafts.map((d, n) => ({ d, n })).sort((a, b) => a.d.phase - b.d.phase || a.n - b.n);
  const idOf = new Map(ordered.map(({ d }, n) => [d.key, `s${n + 1}`]));
  const steps: PlanStep[] = ordered.map(({ d }) => {
    const { key: _key, phase: _phase, ...rest } = d;
    const user = rest.user?.fromStep ? { ...rest.user, fromStep: idOf.get(rest.user.fromStep)! } : rest.user;
    const group = rest.group?.fromStep ? { ...rest.group, fromStep: idOf.get(rest.group.fromStep)! } : rest.group;
    return { id: idOf.get(d.key)!, ...rest, user, group, dependsOn: rest.dependsOn.map((k) => idOf.get(k)!) };
  });

  // Guards: the integration's own account, the last org admin, kill switches, the deprovision limit.
  const removals = steps.some(
    (s) => (s.action === "DEPROVISION_IDENTITY" || s.action === "DELETE_IDENTITY") && s.status === "pending",
  );
  const selfAccountId = removals || opts.selfAccountId ? await planner.selfAccountId() : null;
  const activeOrgAdmins = removals && planner.orgAdminTargets.size > 0 ? await deps.admin.activeOrgAdmins() : null;
  const disabled = [...new Set(opts.disabledActions ?? [])] as LifecycleAction[];
  const maxDeprovisions = opts.maxDeprovisions ?? DEFAULT_MAX_DEPROVISIONS;
  const { blocked } = applyGuards(steps, {
    selfAccountId,
    activeOrgAdmins,
    orgAdminTargets: planner.orgAdminTargets,
    disabledActions: new Set(disabled),
    maxDeprovisions,
    force: opts.force === true,
  });

  const notes = [...planner.notes];
  if (!capabilities.patch) notes.push("The SCIM server does not support PATCH: updates are sent as full PUTs.");
  const plan: Plan = {
    version: 1,
    id: (deps.newId ?? randomUUID)(),
    createdAt: (deps.clock?.() ?? new Date()).toISOString(),
    requests,
    steps,
    problems: planner.problems
      .map((p, n) => ({ p, n }))
      .sort((a, b) => a.p.requestIndex - b.p.requestIndex || a.n - b.n)
      .map(({ p }) => p),
    blocked,
    capabilities,
    options: { maxDeprovisions, force: opts.force === true, disabledActions: disabled, selfAccountId },
    fingerprint: "",
    notes,
  };
  plan.fingerprint = planFingerprint(plan);
  return plan;
}
