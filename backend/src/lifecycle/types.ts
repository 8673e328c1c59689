/**
 * @module lifecycle/types
 *
 * The vocabulary of lifecycle management: the four actions a caller asks for (requests), the plan that says which
 * calls they would make (steps, each with its target's current and intended state), and the report of an apply
 * (one result per step, nothing silently dropped). Everything here is plain JSON, so a plan can be saved by the CLI,
 * returned by the HTTP API or shown on the Forge admin page, and applied later.
 */

/** The four lifecycle actions (the names the integration's documentation uses). */
export const LIFECYCLE_ACTIONS = [
  "SYNC_IDENTITIES",
  "MANAGE_RELATIONSHIPS",
  "DEPROVISION_IDENTITY",
  "DELETE_IDENTITY",
] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

/**
 * Who a request is about. `user` is matched, in order, as a SCIM `userName`, an email address (Admin API, then the
 * SCIM directory) and an Atlassian account id; `externalId` matches the IdP's id in the SCIM directory.
 */
export interface UserRef {
  user?: string;
  accountId?: string;
  externalId?: string;
}

/** The attributes SCIM keeps for a user (reference §2.3). `null` or `""` clears one (S11). */
export interface UserAttributes {
  userName: string;
  /** Required to create a user; an update leaves the email alone when absent. */
  email?: string;
  givenName?: string | null;
  familyName?: string | null;
  displayName?: string | null;
  title?: string | null;
  department?: string | null;
  organization?: string | null;
  externalId?: string | null;
  /** Absent: left as it is (a new user is created active). */
  active?: boolean;
}

/** Create or update a user through SCIM; an existing managed account with the same email is linked, not duplicated. */
export interface SyncIdentitiesRequest {
  action: "SYNC_IDENTITIES";
  user: UserAttributes;
  /** Only update: never create the user when it does not exist. */
  updateOnly?: boolean;
}

/** How a group is reached: SCIM for groups of the SCIM directory, the Admin API for Atlassian groups. */
export type GroupChannel = "scim" | "admin";

export interface MembershipChange {
  op: "add" | "remove";
  user: UserRef;
  /** The group's name (or its Atlassian group id). */
  group: string;
  /** Force a channel; by default SCIM-managed groups go through SCIM and the others through the Admin API. */
  via?: GroupChannel;
}

export interface GroupChange {
  op: "create" | "delete";
  group: string;
  /** For `create`: an Atlassian group (Admin API, the default) or a SCIM group. For `delete`: as for memberships. */
  via?: GroupChannel;
  description?: string;
}

/** Add or remove group memberships; create or delete groups. */
export interface ManageRelationshipsRequest {
  action: "MANAGE_RELATIONSHIPS";
  memberships?: MembershipChange[];
  groups?: GroupChange[];
}

/** SCIM `active=false` (PATCH, lowercase `replace`), optionally suspending product access and leaving every group. */
export interface DeprovisionIdentityRequest {
  action: "DEPROVISION_IDENTITY";
  user: UserRef;
  /** Also suspend the user's product access through the Admin API (stops billing; groups are kept). */
  suspendAccess?: boolean;
  /** Also remove the user from every group it belongs to. */
  removeFromGroups?: boolean;
}

/**
 * Remove from the SCIM directory (`DELETE /Users/{id}`; Atlassian deactivates, there is no hard delete), or delete
 * the Atlassian account through user management (`POST /users/{id}/manage/lifecycle/delete`, 14-day grace period).
 */
export interface DeleteIdentityRequest {
  action: "DELETE_IDENTITY";
  user: UserRef;
  mode: "directory" | "account";
  /** Required: deleting is refused without an explicit confirmation. */
  confirm?: boolean;
}

export type LifecycleRequest =
  | SyncIdentitiesRequest
  | ManageRelationshipsRequest
  | DeprovisionIdentityRequest
  | DeleteIdentityRequest;

/** Where a request came from, for messages: a desired-state file's line, or a CLI flag set. */
export interface RequestOrigin {
  source: string;
  line?: number;
}

export interface LocatedRequest {
  request: LifecycleRequest;
  origin?: RequestOrigin;
}

// ---------------------------------------------------------------- plans

/** One kind of call a step makes. */
export type StepKind =
  | "scim.user.create"
  | "scim.user.update"
  | "scim.user.deactivate"
  | "scim.user.delete"
  | "scim.group.create"
  | "scim.group.delete"
  | "scim.group.member.add"
  | "scim.group.member.remove"
  | "admin.group.create"
  | "admin.group.delete"
  | "admin.group.member.add"
  | "admin.group.member.remove"
  | "admin.user.suspend"
  | "account.delete";

export type Api = "scim" | "admin" | "user-management";

/** The call a step makes: method and path (ids filled in when known, `{…}` when an earlier step provides them). */
export interface PlannedCall {
  api: Api;
  method: "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
}

/** The user a step is about, as far as it is known at plan time. */
export interface UserTarget {
  /** What the request said (a userName, email or account id), for messages. */
  ref: string;
  scimId: string | null;
  accountId: string | null;
  userName: string | null;
  /** The id of the step that creates this user, when it does not exist yet. */
  fromStep?: string;
}

export interface GroupTarget {
  name: string;
  /** SCIM group id (SCIM groups). */
  scimId: string | null;
  /** Atlassian group id (Admin groups; also known for SCIM groups the Admin API lists). */
  groupId: string | null;
  /** The id of the step that creates this group, when it does not exist yet. */
  fromStep?: string;
}

/**
 * A step's state at plan time:
 * - `pending`: it will make its call;
 * - `noop`: the target is already as intended (a member already, a user already inactive); reported as such;
 * - `refused`: a guard or a rule stops it (the integration's own user, the last org admin, an IdP-synced group
 *   through the Admin API, a missing confirmation); never sent;
 * - `skipped`: its action's kill switch is off (D15); never sent, audited as skipped.
 */
export type StepStatus = "pending" | "noop" | "refused" | "skipped";

export type AttributeValues = Record<string, string | boolean | number | null | string[]>;

export interface PlanStep {
  /** `s1`, `s2`, … in execution order. */
  id: string;
  action: LifecycleAction;
  kind: StepKind;
  /** One line a person can read: `deactivate alice@acme.com in the SCIM directory`. */
  summary: string;
  call: PlannedCall;
  user: UserTarget | null;
  group: GroupTarget | null;
  /** What the target looks like now (null: it does not exist). */
  current: AttributeValues | null;
  /** What it should look like after the step. */
  intended: AttributeValues | null;
  status: StepStatus;
  /** Why it is a no-op, refused or skipped. */
  reason: string | null;
  /** Steps that must succeed first (a user is created before its memberships are added). */
  dependsOn: string[];
  /** Index of the request (in `Plan.requests`) the step comes from. */
  requestIndex: number;
}

/** A problem with a request that produced no step (a user not found, a group not found, a bad combination). */
export interface PlanProblem {
  requestIndex: number;
  origin?: RequestOrigin;
  message: string;
}

/** What the SCIM server said it supports (`/ServiceProviderConfig`, S17). */
export interface ScimCapabilities {
  patch: boolean;
  etag: boolean;
}

export interface LifecycleOptions {
  /** The integration's own account (the account behind `productUser`): never deprovisioned or deleted. */
  selfAccountId?: string | null;
  /** The integration's own email (config `productUser`), resolved to its account id when no id is given. */
  selfEmail?: string | null;
  /** Kill switches (D15): steps of these actions are planned but skipped. */
  disabledActions?: readonly LifecycleAction[];
  /** Most users one apply may deprovision or delete (default 10) unless `force`. */
  maxDeprovisions?: number;
  force?: boolean;
}

export const DEFAULT_MAX_DEPROVISIONS = 10;

export interface Plan {
  /** Plan format version. */
  version: 1;
  id: string;
  createdAt: string;
  requests: LocatedRequest[];
  steps: PlanStep[];
  problems: PlanProblem[];
  /** Why the plan as a whole may not be applied (over the deprovision limit without `force`), else null. */
  blocked: string | null;
  capabilities: ScimCapabilities;
  /** The options the plan was made with (apply re-plans with its own and compares). */
  options: {
    maxDeprovisions: number;
    force: boolean;
    disabledActions: LifecycleAction[];
    selfAccountId: string | null;
  };
  /** SHA-256 over every step's target, current and intended state and status: what apply compares (D13). */
  fingerprint: string;
  notes: string[];
}

// ---------------------------------------------------------------- apply

/**
 * A step's outcome:
 * - `ok`: the call was made and succeeded;
 * - `adopted`: a create met an existing user (409, or a create that succeeded although its answer was lost) and
 *   adopted it (S1, H7);
 * - `noop`, `refused`, `skipped`: as planned, nothing sent;
 * - `failed`: the call failed (the error says how);
 * - `not-run`: a step it depends on did not succeed;
 * - `dry-run`: a dry run: the step would make its call (nothing was sent).
 */
export type ResultStatus = "ok" | "adopted" | "noop" | "refused" | "skipped" | "failed" | "not-run" | "dry-run";

/** A change the apply made, in the model's terms: what `patchModel` reflects at once. */
export type AppliedChange =
  | { kind: "account.status"; accountId: string; status: "active" | "inactive" | "closed" }
  | { kind: "account.suspended"; accountId: string; suspended: boolean }
  | {
      kind: "identity.upsert";
      accountId: string | null;
      scimId: string;
      externalId: string | null;
      userName: string;
      email: string | null;
      displayName: string | null;
      active: boolean;
    }
  | { kind: "identity.remove"; accountId: string | null; scimId: string; externalId: string | null }
  | { kind: "membership"; op: "add" | "remove"; groupId: string | null; groupName: string; accountId: string }
  | { kind: "group"; op: "create" | "delete"; groupId: string | null; groupName: string };

export interface StepError {
  /** The typed error's kind (`conflict`, `not-found`, `rate-limit`, `server`, …). */
  kind: string;
  status: number | null;
  message: string;
  /** SCIM `scimType` of the error body, when there was one (D14). */
  scimType: string | null;
  /** The Admin or user-management error code (`ADMIN-UAM-403-1`, `forbidden.action`), when there was one. */
  code?: string | null;
}

export interface StepResult {
  stepId: string;
  kind: StepKind;
  summary: string;
  status: ResultStatus;
  /** What happened, in words. */
  message: string;
  /** The request ids of the writes made for this step (ours, sent as `x-request-id`, or the server's). */
  requestIds: string[];
  error: StepError | null;
  changes: AppliedChange[];
  /** Ids learnt by the step (a created user's SCIM id and account id, a created group's id). */
  produced?: {
    scimId?: string | null;
    accountId?: string | null;
    groupId?: string | null;
    scimGroupId?: string | null;
  };
}

export interface ApplyReport {
  planId: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string;
  results: StepResult[];
  summary: Record<ResultStatus, number>;
  /** The snapshot version holding the patched model, when the store was given and the patch was committed. */
  patchedVersion: number | null;
  notes: string[];
}

// ---------------------------------------------------------------- errors

/** Lifecycle errors callers can tell apart. */
export class LifecycleError extends Error {
  constructor(
    readonly code: "config" | "stale-plan" | "blocked" | "no-audit" | "invalid-plan",
    message: string,
  ) {
    super(message);
    this.name = "LifecycleError";
  }
}

/** Apply re-read the state and it no longer matches the plan (D13): plan again. */
export class StalePlanError extends LifecycleError {
  constructor(readonly differences: string[]) {
    super(
      "stale-plan",
      `the plan is stale: the state changed since it was made; plan again (${differences.slice(0, 5).join("; ")}${
        differences.length > 5 ? `; and ${differences.length - 5} more` : ""
      })`,
    );
    this.name = "StalePlanError";
  }
}
