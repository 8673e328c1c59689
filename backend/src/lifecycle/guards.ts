/**
 * @module lifecycle/guards
 *
 * The guards every plan passes through before anyone can apply it. Pure: the planner gathers the facts (the
 * integration's own account, the active org admins, which targets are org admins) and this module decides.
 *
 * - Never deprovision or delete the integration's own account (the account behind `productUser`): the tool would
 *   lock itself out mid-run.
 * - Never deprovision, suspend or delete the last active org admin: the organization would have nobody to manage
 *   it. Every org admin the plan would take out counts, so three leavers cannot together remove the last three.
 * - Kill switches (D15): the steps of a disabled action stay in the plan, marked `skipped`, and are audited as
 *   skipped when applied: the operator sees what would have happened.
 * - A limit on how many users one apply may deprovision or delete (default 10) unless forced: a wrong leaver file
 *   must not empty the directory. Over the limit, the whole plan is blocked rather than cut at an arbitrary user.
 */
import type { LifecycleAction, PlanStep, StepKind } from "./types.js";

export interface GuardFacts {
  /** The integration's own account id, when known. */
  selfAccountId: string | null;
  /** Active org admins (null when not read: no target is an org admin). */
  activeOrgAdmins: readonly string[] | null;
  /** Targets of the plan that hold the org-admin role. */
  orgAdminTargets: ReadonlySet<string>;
  disabledActions: ReadonlySet<LifecycleAction>;
  maxDeprovisions: number;
  force: boolean;
}

/** Steps that take access away from a user as a whole (not one membership). */
const REMOVES_USER: ReadonlySet<StepKind> = new Set([
  "scim.user.deactivate",
  "admin.user.suspend",
  "scim.user.delete",
  "account.delete",
]);

const isRemoval = (s: PlanStep) =>
  (s.action === "DEPROVISION_IDENTITY" || s.action === "DELETE_IDENTITY") && s.status === "pending";

/** Marks refused and skipped steps in place and says whether the plan as a whole is blocked. */
export function applyGuards(steps: PlanStep[], facts: GuardFacts): { blocked: string | null } {
  for (const s of steps) {
    if (!isRemoval(s) || !s.user?.accountId) continue;
    if (facts.selfAccountId && s.user.accountId === facts.selfAccountId) {
      s.status = "refused";
      s.reason =
        "refused: this is the integration's own account (the account behind productUser); deprovisioning or deleting it would lock accessmap out";
    }
  }

  if (facts.activeOrgAdmins) {
    const leaving = new Set(
      steps
        .filter((s) => isRemoval(s) && REMOVES_USER.has(s.kind) && s.user?.accountId)
        .map((s) => s.user!.accountId!)
        .filter((id) => facts.orgAdminTargets.has(id)),
    );
    const remaining = facts.activeOrgAdmins.filter((id) => !leaving.has(id));
    if (leaving.size > 0 && remaining.length === 0) {
      for (const s of steps) {
        if (isRemoval(s) && REMOVES_USER.has(s.kind) && s.user?.accountId && leaving.has(s.user.accountId)) {
          s.status = "refused";
          s.reason = `refused: ${s.user.ref} is an org admin and this would leave the organization without an active org admin`;
        }
      }
    }
  }

  for (const s of steps) {
    if (s.status === "pending" && facts.disabledActions.has(s.action)) {
      s.status = "skipped";
      s.reason = `skipped: the ${s.action} kill switch is on`;
    }
  }

  const users = new Set(
    steps.filter((s) => isRemoval(s)).map((s) => s.user?.accountId ?? s.user?.scimId ?? s.user?.ref ?? s.id),
  );
  if (users.size > facts.maxDeprovisions && !facts.force) {
    return {
      blocked: `blocked: this plan would deprovision or delete ${users.size} users, over the limit of ${facts.maxDeprovisions} per apply; check the input, then apply with force (--force) or raise the limit (--max-deprovisions)`,
    };
  }
  return { blocked: null };
}
