import { describe, expect, it } from "vitest";
import { applyGuards, type GuardFacts } from "./guards.js";
import type { LifecycleAction, PlanStep, StepKind } from "./types.js";

let n = 0;
function step(
  action: LifecycleAction,
  kind: StepKind,
  accountId: string | null,
  status: PlanStep["status"] = "pending",
): PlanStep {
  n += 1;
  return {
    id: `s${n}`,
    action,
    kind,
    summary: `${kind} ${accountId}`,
    call: { api: "scim", method: "PATCH", path: "/Users/x" },
    user: { ref: accountId ?? "x", scimId: null, accountId, userName: null },
    group: null,
    current: null,
    intended: null,
    status,
    reason: null,
    dependsOn: [],
    requestIndex: 0,
  };
}

const facts = (over: Partial<GuardFacts> = {}): GuardFacts => ({
  selfAccountId: "self",
  activeOrgAdmins: null,
  orgAdminTargets: new Set(),
  disabledActions: new Set(),
  maxDeprovisions: 10,
  force: false,
  ...over,
});

describe("applyGuards", () => {
  it("refuses deprovisioning or deleting the integration's own account, and only that", () => {
    const steps = [
      step("DEPROVISION_IDENTITY", "scim.user.deactivate", "self"),
      step("DELETE_IDENTITY", "account.delete", "self"),
      step("DEPROVISION_IDENTITY", "scim.user.deactivate", "other"),
      step("MANAGE_RELATIONSHIPS", "admin.group.member.add", "self"),
    ];
    applyGuards(steps, facts());
    expect(steps.map((s) => s.status)).toEqual(["refused", "refused", "pending", "pending"]);
    expect(steps[0]?.reason).toMatch(/integration's own account/);
  });

  it("refuses taking out the last active org admins, counting every admin the plan removes", () => {
    const steps = [
      step("DEPROVISION_IDENTITY", "scim.user.deactivate", "a"),
      step("DEPROVISION_IDENTITY", "admin.group.member.remove", "a"),
      step("DEPROVISION_IDENTITY", "admin.user.suspend", "b"),
    ];
    applyGuards(steps, facts({ activeOrgAdmins: ["a", "b"], orgAdminTargets: new Set(["a", "b"]) }));
    expect(steps.map((s) => s.status)).toEqual(["refused", "pending", "refused"]);
    expect(steps[0]?.reason).toMatch(/without an active org admin/);
    const one = [step("DEPROVISION_IDENTITY", "scim.user.deactivate", "a")];
    applyGuards(one, facts({ activeOrgAdmins: ["a", "b"], orgAdminTargets: new Set(["a"]) }));
    expect(one[0]?.status).toBe("pending");
  });

  it("marks the pending steps of a disabled action as skipped, leaving no-ops and refusals as they are", () => {
    const steps = [
      step("SYNC_IDENTITIES", "scim.user.create", "n"),
      step("SYNC_IDENTITIES", "scim.user.update", "m", "noop"),
      step("DEPROVISION_IDENTITY", "scim.user.deactivate", "x"),
    ];
    applyGuards(steps, facts({ disabledActions: new Set(["SYNC_IDENTITIES"]) }));
    expect(steps.map((s) => s.status)).toEqual(["skipped", "noop", "pending"]);
    expect(steps[0]?.reason).toBe("skipped: the SYNC_IDENTITIES kill switch is on");
  });

  it("blocks a plan over the deprovision limit (distinct users) unless forced", () => {
    const steps = ["u1", "u2", "u3"].flatMap((u) => [
      step("DEPROVISION_IDENTITY", "scim.user.deactivate", u),
      step("DEPROVISION_IDENTITY", "admin.user.suspend", u),
    ]);
    expect(applyGuards(steps, facts({ maxDeprovisions: 3 })).blocked).toBeNull();
    expect(applyGuards(steps, facts({ maxDeprovisions: 2 })).blocked).toMatch(
      /deprovision or delete 3 users, over the limit of 2/,
    );
    expect(applyGuards(steps, facts({ maxDeprovisions: 2, force: true })).blocked).toBeNull();
  });
});
