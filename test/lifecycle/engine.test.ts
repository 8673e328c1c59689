/**
 * The lifecycle engine against the simulator's SCIM, Admin and user-management APIs: joiners (create, link an
 * existing managed account, memberships after the user), deprovisioning, idempotence, adoption on conflict (S1),
 * writes re-read before being resent (H7, S15), PATCH semantics (S9, S10), reactivation (S16), stale plans (D13),
 * the audit trail (D14), kill switches (D15), the guards, and faults arriving in the middle of a plan.
 */
import { applyPlan } from "@accessmap/backend/lifecycle/apply";
import { planLifecycle } from "@accessmap/backend/lifecycle/plan";
import { LifecycleError, StalePlanError } from "@accessmap/backend/lifecycle/types";
import type { AuditEntry } from "@accessmap/backend/store/store";
import { afterEach, describe, expect, it } from "vitest";
import { auditLog, callOf, type Harness, harness, located, ordinaryScimUsers, scimUser } from "./helpers.js";

let h: Harness;
afterEach(async () => h?.store.close());

const USERS_ROUTE = "/scim/directory/:directoryId/Users";
const USER_ROUTE = "/scim/directory/:directoryId/Users/:userId";
const writes = (x: Harness) => x.sent.filter((r) => r.method !== "GET" && !r.url.includes("/search")).map(callOf);

function joiner(userName: string, extra: Record<string, unknown> = {}) {
  return {
    action: "SYNC_IDENTITIES" as const,
    user: { userName, email: userName, givenName: "New", familyName: "Person", title: "Engineer", ...extra },
  };
}

/** Creates a SCIM user directly in the simulator, as a concurrent IdP push would. */
async function createBehindOurBack(x: Harness, userName: string): Promise<void> {
  const res = await x.t.scim(`/scim/directory/${x.t.sim.state.directoryId}/Users`, {
    method: "POST",
    body: JSON.stringify({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
      userName,
      emails: [{ value: userName, primary: true }],
    }),
  });
  expect(res.status).toBe(201);
}

describe("joiners", () => {
  it("creates the user first, then adds its memberships through the group's own channel", async () => {
    h = await harness();
    const name = "nora.joiner@initech.example";
    const plan = await planLifecycle(
      located(joiner(name), {
        action: "MANAGE_RELATIONSHIPS",
        memberships: [
          { op: "add", user: { user: name }, group: "team-payments" },
          { op: "add", user: { user: name }, group: "team-platform" },
        ],
      }),
      h.deps,
    );
    expect(plan.steps.map((s) => [s.id, s.kind, s.status, s.dependsOn])).toEqual([
      ["s1", "scim.user.create", "pending", []],
      ["s2", "admin.group.member.add", "pending", ["s1"]],
      ["s3", "scim.group.member.add", "pending", ["s1"]],
    ]);
    expect(plan.steps[0]?.current).toBeNull();
    expect(plan.steps[0]?.intended).toMatchObject({ userName: name, email: name, active: true });
    const sentBefore = h.sent.length;
    const report = await applyPlan(plan, h.deps);
    expect(report.results.map((r) => r.status)).toEqual(["ok", "ok", "ok"]);
    const created = scimUser(h.t, name)!;
    expect(created).toBeDefined();
    const state = h.t.sim.state;
    const payments = state.tenant.groups.find((g) => g.name === "team-payments")!;
    expect(payments.members).toContain(created.accountId);
    const platform = state.tenant.scim.groups.find((g) => g.displayName === "team-platform")!;
    expect(platform.members).toContain(created.id);
    // Order of the writes: the user exists before either membership is asked for.
    const w = h.sent
      .slice(sentBefore)
      .filter((r) => r.method !== "GET" && !r.url.includes("/search"))
      .map(callOf);
    expect(w[0]).toBe("POST /scim/Users");
    expect(w.slice(1).some((c) => c.startsWith("POST /admin/v2/") && c.endsWith("/memberships"))).toBe(true);
    expect(w.slice(1)).toContain(`PATCH /scim/Groups/${platform.id}`);
    // S10: one PATCH adding the member by SCIM id, never a whole-group PUT.
    const groupPatch = h.sent.slice(sentBefore).find((r) => r.method === "PATCH" && r.url.includes("/Groups/"))!;
    expect(JSON.parse(groupPatch.body!)).toEqual({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "add", path: "members", value: [{ value: created.id }] }],
    });
    expect(h.sent.some((r) => r.method === "PUT")).toBe(false);
  });

  it("links an existing managed account instead of creating a second one", async () => {
    h = await harness();
    const state = h.t.sim.state;
    const account = state.tenant.accounts.find(
      (a) =>
        a.managed &&
        a.accountType === "atlassian" &&
        a.status === "active" &&
        !state.scimUserByAccount.has(a.accountId),
    )!;
    const accounts = state.tenant.accounts.length;
    const plan = await planLifecycle(located(joiner(account.email, { givenName: "Linked" })), h.deps);
    expect(plan.steps[0]?.summary).toMatch(/linking the existing managed account/);
    expect(plan.steps[0]?.current).toMatchObject({ accountId: account.accountId, inDirectory: false });
    const report = await applyPlan(plan, h.deps);
    expect(report.results[0]?.status).toBe("ok");
    expect(report.results[0]?.produced?.accountId).toBe(account.accountId);
    expect(state.tenant.accounts.length).toBe(accounts);
    expect(scimUser(h.t, account.email)?.accountId).toBe(account.accountId);
  });

  it("plans an existing, up-to-date user as a no-op and a changed one as an update with old and new values", async () => {
    h = await harness();
    const [u] = ordinaryScimUsers(h.t);
    const same = await planLifecycle(
      located({ action: "SYNC_IDENTITIES", user: { userName: u!.userName, title: u!.title } }),
      h.deps,
    );
    expect(same.steps[0]).toMatchObject({ kind: "scim.user.update", status: "noop" });
    const changed = await planLifecycle(
      located({
        action: "SYNC_IDENTITIES",
        user: { userName: u!.userName, title: "Principal Engineer", department: "R&D" },
      }),
      h.deps,
    );
    expect(changed.steps[0]).toMatchObject({
      kind: "scim.user.update",
      status: "pending",
      current: { title: u!.title, department: u!.department },
      intended: { title: "Principal Engineer", department: "R&D" },
    });
    const report = await applyPlan(changed, h.deps);
    expect(report.results[0]?.status).toBe("ok");
    expect(scimUser(h.t, u!.userName)).toMatchObject({ title: "Principal Engineer", department: "R&D" });
  });

  it("S1: a 409 uniqueness on create is not resent: the existing user is read back and adopted", async () => {
    const name = "race.condition@initech.example";
    let raced = false;
    h = await harness({
      intercept: async (req, next) => {
        if (!raced && req.method === "POST" && callOf(req) === "POST /scim/Users") {
          raced = true;
          await createBehindOurBack(h, name);
        }
        return next(req);
      },
    });
    const plan = await planLifecycle(located(joiner(name)), h.deps);
    const from = h.sent.length;
    const report = await applyPlan(plan, h.deps);
    const r = report.results[0]!;
    expect(r.status).toBe("adopted");
    expect(r.message).toMatch(/409 uniqueness/);
    const users = h.t.sim.state.tenant.scim.users.filter((u) => u.userName === name);
    expect(users).toHaveLength(1);
    expect(r.produced?.scimId).toBe(users[0]!.id);
    const calls = h.sent.slice(from).map(callOf);
    expect(calls.filter((c) => c === "POST /scim/Users")).toHaveLength(1);
    // Adopted, then brought to the desired attributes (the racing create had no name or title).
    expect(users[0]).toMatchObject({ title: "Engineer", givenName: "New" });
    const audit = await auditLog(h.store, h.tenantId);
    const create = audit.filter((e) => e.action === "lifecycle.scim.user.create");
    expect(create.map((e) => e.result)).toEqual(["intent", "error", "adopted", "intent", "ok"]);
    expect(create[1]?.details).toMatchObject({ status: 409, scimType: "uniqueness" });
  });

  it("H7: a create whose answer is lost (reset after the server acted) is re-read and adopted, not created twice", async () => {
    const name = "lost.answer@initech.example";
    let dropped = false;
    h = await harness({
      intercept: async (req, next) => {
        const res = await next(req);
        if (!dropped && callOf(req) === "POST /scim/Users") {
          dropped = true;
          throw new TypeError("fetch failed", {
            cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
          });
        }
        return res;
      },
    });
    const plan = await planLifecycle(located(joiner(name)), h.deps);
    const report = await applyPlan(plan, h.deps);
    expect(report.results[0]?.status).toBe("adopted");
    expect(h.t.sim.state.tenant.scim.users.filter((u) => u.userName === name)).toHaveLength(1);
    expect(writes(h).filter((c) => c === "POST /scim/Users")).toHaveLength(1);
  });

  it("a 500 on create is re-read first, then the create is sent again once", async () => {
    h = await harness();
    h.t.sim.faults.rules = [{ api: "scim", route: USERS_ROUTE, method: "POST", kind: "status", status: 500, times: 1 }];
    const name = "retry.after.read@initech.example";
    const plan = await planLifecycle(located(joiner(name)), h.deps);
    const from = h.sent.length;
    const report = await applyPlan(plan, h.deps);
    expect(report.results[0]?.status).toBe("ok");
    const calls = h.sent.slice(from).map(callOf);
    const firstPost = calls.indexOf("POST /scim/Users");
    expect(calls.slice(firstPost, firstPost + 3)).toEqual(["POST /scim/Users", "GET /scim/Users", "POST /scim/Users"]);
    expect(h.t.sim.state.tenant.scim.users.filter((u) => u.userName === name)).toHaveLength(1);
  });

  it("S15: a 429 with Retry-After on create pauses the SCIM API, re-reads, then sends again after the delay", async () => {
    h = await harness();
    h.t.sim.faults.rules = [
      { api: "scim", route: USERS_ROUTE, method: "POST", kind: "status", status: 429, retryAfterSeconds: 1, times: 1 },
    ];
    const name = "slow.down@initech.example";
    const plan = await planLifecycle(located(joiner(name)), h.deps);
    const from = h.sent.length;
    const started = Date.now();
    const report = await applyPlan(plan, h.deps);
    expect(report.results[0]?.status).toBe("ok");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const calls = h.sent.slice(from).map(callOf);
    const firstPost = calls.indexOf("POST /scim/Users");
    expect(calls.slice(firstPost, firstPost + 3)).toEqual(["POST /scim/Users", "GET /scim/Users", "POST /scim/Users"]);
  });
});

describe("deprovisioning", () => {
  it("S9: deactivates with PATCH active=false (lowercase replace), never DELETE", async () => {
    h = await harness();
    const [u] = ordinaryScimUsers(h.t);
    const plan = await planLifecycle(located({ action: "DEPROVISION_IDENTITY", user: { user: u!.userName } }), h.deps);
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]).toMatchObject({
      kind: "scim.user.deactivate",
      current: { active: true },
      intended: { active: false },
    });
    const from = h.sent.length;
    await applyPlan(plan, h.deps);
    const patch = h.sent.slice(from).find((r) => r.method === "PATCH")!;
    expect(JSON.parse(patch.body!)).toEqual({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
      Operations: [{ op: "replace", path: "active", value: false }],
    });
    expect(patch.headers["content-type"]).toBe("application/scim+json");
    expect(h.sent.some((r) => r.method === "DELETE")).toBe(false);
    expect(h.t.sim.state.accountsById.get(u!.accountId)?.status).toBe("inactive");
  });

  it("deactivating an inactive user is a no-op, reported and audited as such", async () => {
    h = await harness();
    const inactive = h.t.sim.state.tenant.scim.users.find((u) => !u.active)!;
    const plan = await planLifecycle(
      located({ action: "DEPROVISION_IDENTITY", user: { user: inactive.userName } }),
      h.deps,
    );
    expect(plan.steps[0]).toMatchObject({ status: "noop", reason: "no-op: the user is already inactive" });
    const report = await applyPlan(plan, h.deps);
    expect(report.results[0]).toMatchObject({ status: "noop", requestIds: [] });
    expect(writes(h)).toEqual([]);
    const audit = await auditLog(h.store, h.tenantId);
    expect(audit.find((e) => e.action === "lifecycle.scim.user.deactivate")?.result).toBe("noop");
  });

  it("suspends product access and leaves every group, SCIM groups through SCIM (S10) and the others through the Admin API", async () => {
    h = await harness();
    const state = h.t.sim.state;
    const platform = state.tenant.scim.groups[0]!;
    const memberId = platform.members.find((m) => {
      const u = state.scimUsersById.get(m)!;
      return u.active && !state.tenant.orgAdmins.includes(u.accountId);
    })!;
    const u = state.scimUsersById.get(memberId)!;
    const before = state.groupIdsOf(u.accountId).length;
    expect(before).toBeGreaterThan(1);
    const plan = await planLifecycle(
      located({
        action: "DEPROVISION_IDENTITY",
        user: { user: u.userName },
        suspendAccess: true,
        removeFromGroups: true,
      }),
      h.deps,
    );
    const kinds = plan.steps.map((s) => s.kind);
    expect(kinds[0]).toBe("scim.user.deactivate");
    expect(kinds[1]).toBe("admin.user.suspend");
    expect(kinds.filter((k) => k === "scim.group.member.remove")).toHaveLength(1);
    expect(kinds.filter((k) => k === "admin.group.member.remove")).toHaveLength(before - 1);
    const from = h.sent.length;
    const report = await applyPlan(plan, h.deps);
    expect(report.summary.failed).toBe(0);
    expect(state.groupIdsOf(u.accountId)).toEqual([]);
    expect(state.accountsById.get(u.accountId)?.suspended).toBe(true);
    const groupPatch = h.sent.slice(from).find((r) => r.method === "PATCH" && r.url.includes("/Groups/"))!;
    expect(JSON.parse(groupPatch.body!).Operations).toEqual([
      { op: "remove", path: "members", value: [{ value: u.id }] },
    ]);
    expect(h.sent.some((r) => r.method === "PUT")).toBe(false);
  });

  it("S16: reactivating a deactivated user reuses its SCIM id and account id; nothing is created", async () => {
    h = await harness();
    const [u] = ordinaryScimUsers(h.t);
    await applyPlan(
      await planLifecycle(located({ action: "DEPROVISION_IDENTITY", user: { user: u!.userName } }), h.deps),
      h.deps,
    );
    expect(scimUser(h.t, u!.userName)?.active).toBe(false);
    const users = h.t.sim.state.tenant.scim.users.length;
    const plan = await planLifecycle(
      located({ action: "SYNC_IDENTITIES", user: { userName: u!.userName, active: true } }),
      h.deps,
    );
    expect(plan.steps[0]).toMatchObject({
      kind: "scim.user.update",
      current: { active: false },
      intended: { active: true },
    });
    const report = await applyPlan(plan, h.deps);
    expect(report.results[0]?.produced).toEqual({ scimId: u!.id, accountId: u!.accountId });
    expect(h.t.sim.state.tenant.scim.users.length).toBe(users);
    expect(h.t.sim.state.accountsById.get(u!.accountId)?.status).toBe("active");
    expect(writes(h).filter((c) => c.startsWith("POST /scim/Users"))).toEqual([]);
  });
});

describe("memberships and groups", () => {
  it("adding a member already in the group is a no-op; removing one not in it too", async () => {
    h = await harness();
    const state = h.t.sim.state;
    const g = state.tenant.groups.find((x) => x.name === "team-payments")!;
    const member = state.accountsById.get(g.members[0]!)!;
    const outsider = state.tenant.scim.users.find((u) => !g.members.includes(u.accountId))!;
    const plan = await planLifecycle(
      located({
        action: "MANAGE_RELATIONSHIPS",
        memberships: [
          { op: "add", user: { accountId: member.accountId }, group: "team-payments" },
          { op: "remove", user: { user: outsider.userName }, group: "team-payments" },
        ],
      }),
      h.deps,
    );
    expect(plan.steps.map((s) => [s.status, s.reason])).toEqual([
      ["noop", "no-op: already a member"],
      ["noop", "no-op: not a member"],
    ]);
    await applyPlan(plan, h.deps);
    expect(writes(h)).toEqual([]);
  });

  it("refuses a change to an IdP-synced group through the Admin API, with a message that says what to do", async () => {
    h = await harness();
    const outsider = ordinaryScimUsers(h.t).find((u) => !h.t.sim.state.tenant.scim.groups[0]!.members.includes(u.id))!;
    const plan = await planLifecycle(
      located({
        action: "MANAGE_RELATIONSHIPS",
        memberships: [{ op: "add", user: { user: outsider.userName }, group: "team-platform", via: "admin" }],
      }),
      h.deps,
    );
    expect(plan.steps[0]?.status).toBe("refused");
    expect(plan.steps[0]?.reason).toMatch(
      /synced from an identity provider.*change the membership in the identity provider, or through SCIM/,
    );
    const report = await applyPlan(plan, h.deps);
    expect(report.results[0]?.status).toBe("refused");
    expect(writes(h)).toEqual([]);
    // Through SCIM (the default for a SCIM group) it goes.
    const viaScim = await planLifecycle(
      located({
        action: "MANAGE_RELATIONSHIPS",
        memberships: [{ op: "add", user: { user: outsider.userName }, group: "team-platform" }],
      }),
      h.deps,
    );
    expect(viaScim.steps[0]).toMatchObject({ kind: "scim.group.member.add", status: "pending" });
    expect((await applyPlan(viaScim, h.deps)).results[0]?.status).toBe("ok");
  });

  it("creates a group and adds a member to it in one plan; deletes it in another", async () => {
    h = await harness();
    const [u] = ordinaryScimUsers(h.t);
    const plan = await planLifecycle(
      located({
        action: "MANAGE_RELATIONSHIPS",
        groups: [{ op: "create", group: "project-phoenix", description: "Phoenix" }],
        memberships: [{ op: "add", user: { user: u!.userName }, group: "project-phoenix" }],
      }),
      h.deps,
    );
    expect(plan.steps.map((s) => [s.kind, s.dependsOn])).toEqual([
      ["admin.group.create", []],
      ["admin.group.member.add", ["s1"]],
    ]);
    const report = await applyPlan(plan, h.deps);
    expect(report.results.map((r) => r.status)).toEqual(["ok", "ok"]);
    const g = h.t.sim.state.tenant.groups.find((x) => x.name === "project-phoenix")!;
    expect(g.members).toEqual([u!.accountId]);
    const again = await planLifecycle(
      located({ action: "MANAGE_RELATIONSHIPS", groups: [{ op: "create", group: "project-phoenix" }] }),
      h.deps,
    );
    expect(again.steps[0]?.status).toBe("noop");
    const del = await planLifecycle(
      located({ action: "MANAGE_RELATIONSHIPS", groups: [{ op: "delete", group: "project-phoenix" }] }),
      h.deps,
    );
    expect((await applyPlan(del, h.deps)).results[0]?.status).toBe("ok");
    expect(h.t.sim.state.groupsById.has(g.groupId)).toBe(false);
  });

  it("a SCIM group can be created and deleted through SCIM", async () => {
    h = await harness();
    const plan = await planLifecycle(
      located({ action: "MANAGE_RELATIONSHIPS", groups: [{ op: "create", group: "team-ml", via: "scim" }] }),
      h.deps,
    );
    const report = await applyPlan(plan, h.deps);
    expect(report.results[0]).toMatchObject({ status: "ok", kind: "scim.group.create" });
    expect(report.results[0]?.produced?.groupId).toBeTruthy();
    const del = await planLifecycle(
      located({ action: "MANAGE_RELATIONSHIPS", groups: [{ op: "delete", group: "team-ml" }] }),
      h.deps,
    );
    expect(del.steps[0]?.kind).toBe("scim.group.delete");
    expect((await applyPlan(del, h.deps)).results[0]?.status).toBe("ok");
    expect(h.t.sim.state.tenant.scim.groups.some((g) => g.displayName === "team-ml")).toBe(false);
  });
});

describe("DELETE_IDENTITY", () => {
  it("needs explicit confirmation", async () => {
    h = await harness();
    const [u] = ordinaryScimUsers(h.t);
    const plan = await planLifecycle(
      located({ action: "DELETE_IDENTITY", user: { user: u!.userName }, mode: "directory" }),
      h.deps,
    );
    expect(plan.steps[0]).toMatchObject({ status: "refused", reason: expect.stringMatching(/explicit confirmation/) });
    await applyPlan(plan, h.deps);
    expect(writes(h)).toEqual([]);
  });

  it("removes from the directory with SCIM DELETE, or deletes the account through user management", async () => {
    h = await harness();
    const state = h.t.sim.state;
    const [a] = ordinaryScimUsers(h.t);
    // User management deletes only accounts the identity provider does not manage.
    const b = state.tenant.accounts.find(
      (x) =>
        x.managed &&
        x.accountType === "atlassian" &&
        x.status === "active" &&
        !state.scimUserByAccount.has(x.accountId) &&
        !state.tenant.orgAdmins.includes(x.accountId),
    )!;
    const plan = await planLifecycle(
      located(
        { action: "DELETE_IDENTITY", user: { user: a!.userName }, mode: "directory", confirm: true },
        { action: "DELETE_IDENTITY", user: { accountId: b.accountId }, mode: "account", confirm: true },
      ),
      h.deps,
    );
    expect(plan.steps.map((s) => [s.kind, s.status])).toEqual([
      ["scim.user.delete", "pending"],
      ["account.delete", "pending"],
    ]);
    const report = await applyPlan(plan, h.deps);
    expect(report.results.map((r) => r.status)).toEqual(["ok", "ok"]);
    expect(writes(h)).toEqual([
      `DELETE /scim/Users/${a!.id}`,
      `POST /users/${encodeURIComponent(b.accountId)}/manage/lifecycle/delete`,
    ]);
    expect(state.scimDeleted.has(a!.id)).toBe(true);
    expect(state.accountsById.get(b.accountId)?.status).toBe("closed");
    // Idempotent: a second plan finds nothing to do.
    const again = await planLifecycle(plan.requests, h.deps);
    expect(again.steps.map((s) => s.status)).toEqual(["noop", "noop"]);
  });

  it("refuses to delete through user management an account the identity provider manages", async () => {
    h = await harness();
    const [a] = ordinaryScimUsers(h.t);
    const plan = await planLifecycle(
      located({ action: "DELETE_IDENTITY", user: { user: a!.userName }, mode: "account", confirm: true }),
      h.deps,
    );
    expect(plan.steps[0]?.status).toBe("refused");
    expect(plan.steps[0]?.reason).toMatch(/externalDirectory\.scim.*remove it from the SCIM directory/);
  });
});

describe("plan, then apply", () => {
  it("D13: apply re-reads the state and refuses a plan that went stale; nothing is sent", async () => {
    h = await harness();
    const [a, b] = ordinaryScimUsers(h.t);
    const plan = await planLifecycle(
      located(
        { action: "DEPROVISION_IDENTITY", user: { user: a!.userName } },
        { action: "DEPROVISION_IDENTITY", user: { user: b!.userName } },
      ),
      h.deps,
    );
    // Someone deactivates b in the meantime.
    h.t.sim.state.scimUpdateUser(b!.id, { active: false });
    const err = await applyPlan(plan, h.deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StalePlanError);
    expect((err as StalePlanError).differences.join()).toMatch(
      /s2 deactivate .*was \{"active":true\}, now \{"active":false\}/,
    );
    expect(writes(h)).toEqual([]);
    expect(scimUser(h.t, a!.userName)?.active).toBe(true);
    const audit = await auditLog(h.store, h.tenantId);
    expect(audit.at(-1)).toMatchObject({ action: "lifecycle.apply", result: "denied", details: { reason: "stale" } });
    // A fresh plan of the same requests applies.
    const fresh = await planLifecycle(plan.requests, h.deps);
    expect(fresh.steps.map((s) => s.status)).toEqual(["pending", "noop"]);
    expect((await applyPlan(fresh, h.deps)).summary).toMatchObject({ ok: 1, noop: 1 });
  });

  it("a dry run goes through the same validation and sends nothing", async () => {
    h = await harness();
    const [a] = ordinaryScimUsers(h.t);
    const plan = await planLifecycle(located({ action: "DEPROVISION_IDENTITY", user: { user: a!.userName } }), h.deps);
    const dry = await applyPlan(plan, h.deps, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, summary: { "dry-run": 1 } });
    expect(dry.results[0]?.message).toMatch(/dry run: would PATCH \/Users\//);
    expect(writes(h)).toEqual([]);
    h.t.sim.state.scimUpdateUser(a!.id, { active: false });
    await expect(applyPlan(plan, h.deps, { dryRun: true })).rejects.toBeInstanceOf(StalePlanError);
  });

  it("refuses to apply without an audit log", async () => {
    h = await harness({ deps: { store: null, tenantId: null } });
    const [a] = ordinaryScimUsers(h.t);
    const plan = await planLifecycle(located({ action: "DEPROVISION_IDENTITY", user: { user: a!.userName } }), h.deps);
    await expect(applyPlan(plan, h.deps)).rejects.toMatchObject({ code: "no-audit" });
    expect(writes(h)).toEqual([]);
  });

  it("reports problems with the request rather than dropping it", async () => {
    h = await harness();
    const plan = await planLifecycle(
      located(
        { action: "DEPROVISION_IDENTITY", user: { user: "nobody@initech.example" } },
        {
          action: "MANAGE_RELATIONSHIPS",
          memberships: [{ op: "add", user: { user: "nobody@initech.example" }, group: "x" }],
        },
        { action: "DEPROVISION_IDENTITY", user: {} },
        { action: "SYNC_IDENTITIES", user: { userName: "new@initech.example" } },
        {
          action: "MANAGE_RELATIONSHIPS",
          memberships: [{ op: "add", user: { user: ordinaryScimUsers(h.t)[0]!.userName }, group: "no-such-group" }],
        },
      ),
      h.deps,
    );
    expect(plan.steps).toEqual([]);
    expect(plan.problems.map((p) => [p.requestIndex, p.message])).toEqual([
      [0, "no user nobody@initech.example in the SCIM directory or the organization"],
      [1, "no user nobody@initech.example in the SCIM directory or the organization"],
      [2, "name the user: user (a userName, email or account id), accountId or externalId"],
      [3, "new@initech.example: an email is required to create the user"],
      [4, "no group no-such-group"],
    ]);
  });
});

describe("D14: the audit trail", () => {
  it("an intent before and a result after every write, with request id, old and new values; no secrets, no bodies", async () => {
    h = await harness();
    const [a] = ordinaryScimUsers(h.t);
    const plan = await planLifecycle(
      located({ action: "DEPROVISION_IDENTITY", user: { user: a!.userName }, suspendAccess: true }),
      h.deps,
    );
    const report = await applyPlan(plan, h.deps);
    const audit = await auditLog(h.store, h.tenantId);
    const steps = audit.filter((e) => e.action.startsWith("lifecycle.") && e.details.step);
    expect(steps.map((e) => `${e.action}:${e.result}`)).toEqual([
      "lifecycle.scim.user.deactivate:intent",
      "lifecycle.scim.user.deactivate:ok",
      "lifecycle.admin.user.suspend:intent",
      "lifecycle.admin.user.suspend:ok",
    ]);
    const pairs: Array<[AuditEntry, AuditEntry]> = [
      [steps[0]!, steps[1]!],
      [steps[2]!, steps[3]!],
    ];
    for (const [intent, result] of pairs) {
      expect(intent.requestId).toBeTruthy();
      expect(result.requestId).toBe(intent.requestId);
      expect(intent.actor).toBe("test:lifecycle");
      expect(intent.target).toBe(`user:${a!.accountId}`);
    }
    expect(steps[0]?.details).toMatchObject({
      old: { active: true },
      new: { active: false },
      api: "scim",
      method: "PATCH",
    });
    expect(steps[1]?.details).toMatchObject({ status: 200 });
    expect(report.results.flatMap((r) => r.requestIds)).toEqual([steps[0]!.requestId, steps[2]!.requestId]);
    // Our request ids went out as x-request-id.
    expect(
      h.sent.filter((r) => r.method !== "GET" && !r.url.includes("/search")).map((r) => r.headers["x-request-id"]),
    ).toEqual([steps[0]!.requestId, steps[2]!.requestId]);
    const text = JSON.stringify(audit);
    const creds = h.t.sim.state.tenant.credentials;
    for (const secret of [creds.scimToken, creds.adminApiKey, creds.productUser.token])
      expect(text).not.toContain(secret);
    expect(text).not.toContain("Operations");
    expect(text).not.toContain("urn:ietf:params:scim");
  });
});

describe("D15: kill switches", () => {
  it("steps of a disabled action are planned but skipped, and audited as skipped", async () => {
    h = await harness({ deps: { options: { disabledActions: ["DEPROVISION_IDENTITY"] } } });
    const [a] = ordinaryScimUsers(h.t);
    const plan = await planLifecycle(
      located(
        { action: "DEPROVISION_IDENTITY", user: { user: a!.userName }, suspendAccess: true },
        { action: "SYNC_IDENTITIES", user: { userName: a!.userName, title: "Leaving" } },
      ),
      h.deps,
    );
    expect(plan.steps.map((s) => [s.kind, s.status])).toEqual([
      ["scim.user.update", "pending"],
      ["scim.user.deactivate", "skipped"],
      ["admin.user.suspend", "skipped"],
    ]);
    expect(plan.steps[1]?.reason).toBe("skipped: the DEPROVISION_IDENTITY kill switch is on");
    const report = await applyPlan(plan, h.deps);
    expect(report.summary).toMatchObject({ ok: 1, skipped: 2 });
    expect(writes(h)).toEqual([`PATCH /scim/Users/${a!.id}`]);
    const audit = await auditLog(h.store, h.tenantId);
    expect(audit.filter((e) => e.result === "skipped").map((e) => e.action)).toEqual([
      "lifecycle.scim.user.deactivate",
      "lifecycle.admin.user.suspend",
    ]);
    expect(scimUser(h.t, a!.userName)?.active).toBe(true);
  });
});

describe("guards", () => {
  it("never deprovisions or deletes the integration's own account", async () => {
    h = await harness();
    const self = h.t.sim.state.tenant.credentials.productUser.email;
    const plan = await planLifecycle(
      located(
        { action: "DEPROVISION_IDENTITY", user: { user: self }, suspendAccess: true },
        { action: "DELETE_IDENTITY", user: { user: self }, mode: "account", confirm: true },
      ),
      h.deps,
    );
    expect(plan.steps.length).toBeGreaterThan(0);
    for (const s of plan.steps) {
      expect(s.status).toBe("refused");
      expect(s.reason).toMatch(/integration's own account/);
    }
    const report = await applyPlan(plan, h.deps);
    expect(report.results.every((r) => r.status === "refused")).toBe(true);
    expect(writes(h)).toEqual([]);
    const audit = await auditLog(h.store, h.tenantId);
    expect(audit.filter((e) => e.result === "denied").length).toBe(plan.steps.length);
  });

  it("takes the own account from the selfAccountId option too", async () => {
    h = await harness();
    const [a] = ordinaryScimUsers(h.t);
    h.deps.options = { selfAccountId: a!.accountId };
    const plan = await planLifecycle(located({ action: "DEPROVISION_IDENTITY", user: { user: a!.userName } }), h.deps);
    expect(plan.steps[0]?.status).toBe("refused");
  });

  it("never deprovisions the last active org admin, even when several leavers together would", async () => {
    h = await harness();
    const state = h.t.sim.state;
    const [a, b] = ordinaryScimUsers(h.t);
    state.tenant.orgAdmins = [a!.accountId, b!.accountId];
    const plan = await planLifecycle(
      located(
        { action: "DEPROVISION_IDENTITY", user: { user: a!.userName } },
        { action: "DEPROVISION_IDENTITY", user: { user: b!.userName } },
      ),
      h.deps,
    );
    expect(plan.steps.map((s) => s.status)).toEqual(["refused", "refused"]);
    expect(plan.steps[0]?.reason).toMatch(/without an active org admin/);
    // One of the two may go: another admin remains.
    const one = await planLifecycle(located({ action: "DEPROVISION_IDENTITY", user: { user: a!.userName } }), h.deps);
    expect(one.steps[0]?.status).toBe("pending");
  });

  it("blocks an apply that would deprovision more users than the limit, unless forced", async () => {
    h = await harness({ deps: { options: { maxDeprovisions: 2 } } });
    const leavers = ordinaryScimUsers(h.t).slice(0, 3);
    const requests = located(
      ...leavers.map((u) => ({ action: "DEPROVISION_IDENTITY" as const, user: { user: u.userName } })),
    );
    const plan = await planLifecycle(requests, h.deps);
    expect(plan.blocked).toMatch(/3 users, over the limit of 2/);
    const err = await applyPlan(plan, h.deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LifecycleError);
    expect((err as LifecycleError).code).toBe("blocked");
    expect(writes(h)).toEqual([]);
    h.deps.options = { maxDeprovisions: 2, force: true };
    const forced = await planLifecycle(requests, h.deps);
    expect(forced.blocked).toBeNull();
    expect((await applyPlan(forced, h.deps)).summary.ok).toBe(3);
  });
});

describe("faults in the middle of a plan", () => {
  const threeLeavers = (x: Harness) =>
    located(
      ...ordinaryScimUsers(x.t)
        .slice(0, 3)
        .map((u) => ({ action: "DEPROVISION_IDENTITY" as const, user: { user: u.userName } })),
    );

  it("a 5xx on the second write: re-read, resent, every step ok", async () => {
    h = await harness();
    const plan = await planLifecycle(threeLeavers(h), h.deps);
    h.t.sim.faults.rules = [
      { api: "scim", route: USER_ROUTE, method: "PATCH", kind: "status", status: 503, skip: 1, times: 1 },
    ];
    const report = await applyPlan(plan, h.deps);
    expect(report.results.map((r) => r.status)).toEqual(["ok", "ok", "ok"]);
    expect(report.results[1]?.requestIds).toHaveLength(2);
    const audit = await auditLog(h.store, h.tenantId);
    const s2 = audit.filter((e) => e.details.step === "s2").map((e) => `${e.result}:${e.details.status ?? ""}`);
    expect(s2).toEqual(["intent:", "error:503", "intent:", "ok:200"]);
  });

  it("a 404 on the second write: that step fails and says why; the others are applied", async () => {
    let n = 0;
    h = await harness({
      intercept: async (req, next) => {
        if (req.method === "PATCH" && callOf(req).startsWith("PATCH /scim/Users/") && ++n === 2) {
          // The user is removed from the directory just before our write reaches it.
          h.t.sim.state.scimDeleteUser(callOf(req).split("/").pop()!);
        }
        return next(req);
      },
    });
    const plan = await planLifecycle(threeLeavers(h), h.deps);
    const report = await applyPlan(plan, h.deps);
    expect(report.results.map((r) => r.status)).toEqual(["ok", "failed", "ok"]);
    expect(report.results[1]?.error).toMatchObject({ kind: "not-found", status: 404 });
    expect(report.results[1]?.message).toMatch(/failed: .*404/);
    expect(report.summary).toMatchObject({ ok: 2, failed: 1 });
    const audit = await auditLog(h.store, h.tenantId);
    expect(audit.find((e) => e.details.step === "s2" && e.result === "error")?.details).toMatchObject({ status: 404 });
    expect(audit.at(-1)).toMatchObject({ action: "lifecycle.apply", result: "partial" });
  });

  it("a 409 on the second create: adopted, the others created", async () => {
    let n = 0;
    const names = ["a.one@initech.example", "b.two@initech.example", "c.three@initech.example"];
    h = await harness({
      intercept: async (req, next) => {
        if (callOf(req) === "POST /scim/Users" && ++n === 2) await createBehindOurBack(h, names[1]!);
        return next(req);
      },
    });
    const plan = await planLifecycle(located(...names.map((x) => joiner(x))), h.deps);
    const report = await applyPlan(plan, h.deps);
    expect(report.results.map((r) => r.status)).toEqual(["ok", "adopted", "ok"]);
    for (const x of names) expect(h.t.sim.state.tenant.scim.users.filter((u) => u.userName === x)).toHaveLength(1);
  });

  it("a 429 on the second write: the SCIM API pauses for Retry-After, the write is re-read and resent", async () => {
    h = await harness();
    const leavers = ordinaryScimUsers(h.t).slice(0, 3);
    const plan = await planLifecycle(threeLeavers(h), h.deps);
    h.t.sim.faults.rules = [
      {
        api: "scim",
        route: USER_ROUTE,
        method: "PATCH",
        kind: "status",
        status: 429,
        retryAfterSeconds: 1,
        skip: 1,
        times: 1,
      },
    ];
    const from = h.sent.length;
    const started = Date.now();
    const report = await applyPlan(plan, h.deps);
    expect(report.results.map((r) => r.status)).toEqual(["ok", "ok", "ok"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const calls = h.sent.slice(from).map(callOf);
    const second = `PATCH /scim/Users/${leavers[1]!.id}`;
    const at = calls.indexOf(second);
    expect(calls.slice(at, at + 3)).toEqual([second, `GET /scim/Users/${leavers[1]!.id}`, second]);
    const audit = await auditLog(h.store, h.tenantId);
    expect(audit.filter((e) => e.details.step === "s2").map((e) => `${e.result}:${e.details.status ?? ""}`)).toEqual([
      "intent:",
      "error:429",
      "intent:",
      "ok:200",
    ]);
    for (const u of leavers) expect(h.t.sim.state.scimUsersById.get(u.id)?.active).toBe(false);
  }, 20_000);

  it("the governor paces writes by the rate-limit headers, so a tight SCIM limit is waited out rather than hit", async () => {
    h = await harness();
    const plan = await planLifecycle(threeLeavers(h), h.deps);
    h.t.sim.limiter.rules = [{ api: "scim", route: USER_ROUTE, method: "PATCH", limit: 1, windowMs: 500 }];
    const report = await applyPlan(plan, h.deps);
    expect(report.results.map((r) => r.status)).toEqual(["ok", "ok", "ok"]);
    expect(h.t.sim.limiter.rejected.get("scim") ?? 0).toBe(0);
  }, 20_000);

  it("a failed prerequisite: the memberships of a user that could not be created are not run, and say so", async () => {
    h = await harness();
    h.t.sim.faults.rules = [{ api: "scim", route: USERS_ROUTE, method: "POST", kind: "status", status: 400 }];
    const name = "will.fail@initech.example";
    const plan = await planLifecycle(
      located(joiner(name), {
        action: "MANAGE_RELATIONSHIPS",
        memberships: [{ op: "add", user: { user: name }, group: "team-payments" }],
      }),
      h.deps,
    );
    const report = await applyPlan(plan, h.deps);
    expect(report.results.map((r) => r.status)).toEqual(["failed", "not-run"]);
    expect(report.results[1]?.message).toBe("not run: it needs s1, which did not succeed");
  });
});
