/**
 * Acceptance: a leaver file deprovisions three users end to end. Discovery makes the current model; the file is
 * parsed, planned and applied against the simulator; the model is patched at once, so who-can-access no longer
 * answers with the leavers; the audit log holds an intent and a result for every write made; and the next sync,
 * reading the sources again, agrees with the patched model.
 */
import { applyPlan } from "@accessmap/backend/lifecycle/apply";
import { parseDesiredState } from "@accessmap/backend/lifecycle/desired-state";
import { planLifecycle } from "@accessmap/backend/lifecycle/plan";
import { accessOf, indexModel, whoCanAccess } from "@accessmap/backend/model/queries";
import type { AccessEntry, Model } from "@accessmap/backend/model/types";
import { runSync } from "@accessmap/backend/sync/run-sync";
import { afterEach, describe, expect, it } from "vitest";
import { ORIGIN } from "../atlassian-sim/testing.js";
import { simConfig } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";
import { auditLog, type Harness, harness, RETRY } from "./helpers.js";

let h: Harness;
afterEach(async () => h?.store.close());

const key = (e: AccessEntry) => `${e.principal}|${e.resourceType}|${e.resourceId}|${e.permission}`;
const sync = (x: Harness) =>
  runSync(x.store, x.tenantId, simConfig(x.t.sim.state.tenant, ORIGIN), {
    send: simSend(x.t),
    schemaMode: "throw",
    retry: { ...RETRY, maxRetries: 1 },
  });

/** Resources (type and id) on which the account holds effective access of its own. */
function resourcesOf(model: Model, accountId: string): Array<{ type: AccessEntry["resourceType"]; id: string }> {
  const seen = new Map<string, { type: AccessEntry["resourceType"]; id: string }>();
  for (const e of model.access)
    if (e.principal === accountId)
      seen.set(`${e.resourceType}:${e.resourceId}`, { type: e.resourceType, id: e.resourceId });
  return [...seen.values()];
}

describe("leaver file, end to end", () => {
  it("deprovisions three users; the patched model drops them at once; every write is audited; the next sync agrees", async () => {
    h = await harness();
    const first = await sync(h);
    expect(first.outcome).toBe("complete");
    const before = (await h.store.getCurrentModel(h.tenantId))!;

    // Three ordinary people (not admins, not the integration) who can access something through SCIM-managed accounts.
    const state = h.t.sim.state;
    const leavers = state.tenant.scim.users
      .filter(
        (u) =>
          u.active &&
          !state.tenant.orgAdmins.includes(u.accountId) &&
          u.email !== state.tenant.credentials.productUser.email &&
          resourcesOf(before.model, u.accountId).some(
            (r) => r.type === "jira_project" || r.type === "confluence_space",
          ),
      )
      .slice(0, 3);
    expect(leavers).toHaveLength(3);
    const idxBefore = indexModel(before.model);
    const watched = leavers.map((u) => ({ u, resources: resourcesOf(before.model, u.accountId) }));
    for (const { u, resources } of watched) {
      for (const r of resources) {
        expect(whoCanAccess(idxBefore, r.type, r.id).accounts.map((e) => e.principal)).toContain(u.accountId);
      }
    }

    const csv = ["kind,userName,suspend", ...leavers.map((u) => `leaver,${u.userName},`)].join("\n");
    const requests = parseDesiredState(csv, "leavers.csv");
    expect(requests.map((r) => r.origin?.line)).toEqual([2, 3, 4]);
    h.deps.model = before.model;
    const plan = await planLifecycle(requests, h.deps);
    expect(plan.problems).toEqual([]);
    expect(plan.steps.map((s) => [s.kind, s.status])).toEqual([
      ["scim.user.deactivate", "pending"],
      ["scim.user.deactivate", "pending"],
      ["scim.user.deactivate", "pending"],
    ]);

    const sentBefore = h.sent.length;
    const report = await applyPlan(plan, h.deps);
    expect(report.summary).toMatchObject({ ok: 3, failed: 0 });
    expect(report.patchedVersion).toBeGreaterThan(before.version);

    // The patched model is current at once, marked as a lifecycle patch.
    const patched = (await h.store.getCurrentModel(h.tenantId))!;
    expect(patched.version).toBe(report.patchedVersion);
    const record = await h.store.getSnapshot(h.tenantId, patched.version);
    expect(record?.counts["lifecycle patch"]).toBe(3);
    expect(record?.runId).toBe(`lifecycle-patch:${plan.id}`);
    const idx = indexModel(patched.model);
    for (const { u, resources } of watched) {
      expect(idx.accounts.get(u.accountId)?.status).toBe("inactive");
      expect(accessOf(idx, u.accountId)?.direct).toEqual([]);
      expect(accessOf(idx, u.accountId)?.pseudoPrincipals).toEqual(["anonymous"]);
      for (const r of resources) {
        expect(whoCanAccess(idx, r.type, r.id).accounts.map((e) => e.principal)).not.toContain(u.accountId);
      }
      expect(idx.identityOf.get(u.accountId)?.status).toBe("deactivated");
    }

    // An intent before and a result after every write made, tied by the request id sent as x-request-id.
    const writes = h.sent.slice(sentBefore).filter((r) => r.method !== "GET" && !r.url.includes("/search"));
    expect(writes).toHaveLength(3);
    const audit = await auditLog(h.store, h.tenantId);
    for (const w of writes) {
      const id = w.headers["x-request-id"];
      const entries = audit.filter((e) => e.requestId === id);
      expect(entries.map((e) => e.result)).toEqual(["intent", "ok"]);
      expect(entries[0]?.details).toMatchObject({ old: { active: true }, new: { active: false } });
    }
    expect(audit.some((e) => e.action === "lifecycle.model.patch" && e.target === `snapshot:${patched.version}`)).toBe(
      true,
    );

    // The next sync reads the sources again and agrees.
    const next = await sync(h);
    expect(next.outcome).toBe("complete");
    const synced = next.model!;
    const sidx = indexModel(synced);
    for (const { u, resources } of watched) {
      expect(sidx.accounts.get(u.accountId)?.status).toBe("inactive");
      expect(accessOf(sidx, u.accountId)?.direct).toEqual([]);
      for (const r of resources) {
        expect(whoCanAccess(sidx, r.type, r.id).accounts.map((e) => e.principal)).not.toContain(u.accountId);
      }
    }
    // Not only for the leavers: the patched model's effective access is exactly what the sync found.
    expect(synced.access.map(key)).toEqual(patched.model.access.map(key));
    // The patch keeps every grant of a leaver as dormant; the sources stop reporting some of them for an inactive
    // account (its product access, for one), so the sync's dormant list is a subset of the patched one.
    const patchedDormant = new Set(patched.model.dormant.map(key));
    expect(synced.dormant.map(key).filter((k) => !patchedDormant.has(k))).toEqual([]);
  });

  it("a mover changes groups: the patch removes the paths through the old group, adds the new group's, and the next sync agrees", async () => {
    h = await harness();
    await sync(h);
    const before = (await h.store.getCurrentModel(h.tenantId))!;
    const state = h.t.sim.state;
    const from = state.tenant.groups.find((g) => g.name === "team-payments")!;
    const to = state.tenant.groups.find((g) => g.name === "team-search")!;
    const mover = state.tenant.scim.users.find(
      (u) =>
        u.active &&
        from.members.includes(u.accountId) &&
        !to.members.includes(u.accountId) &&
        !state.tenant.orgAdmins.includes(u.accountId),
    )!;
    const fromPaths = before.model.access.filter(
      (e) => e.principal === mover.accountId && e.via.some((v) => v.description.includes('group "team-payments"')),
    );
    expect(fromPaths.length).toBeGreaterThan(0);
    const json = JSON.stringify(
      { movers: [{ userName: mover.userName, groups: ["team-search"], removeGroups: "team-payments" }] },
      null,
      2,
    );
    h.deps.model = before.model;
    const plan = await planLifecycle(parseDesiredState(json, "movers.json"), h.deps);
    expect(plan.steps.map((s) => [s.kind, s.status])).toEqual([
      ["admin.group.member.add", "pending"],
      ["admin.group.member.remove", "pending"],
    ]);
    const report = await applyPlan(plan, h.deps);
    expect(report.summary.ok).toBe(2);
    const patched = (await h.store.getCurrentModel(h.tenantId))!;
    expect(patched.version).toBe(report.patchedVersion);
    const mine = patched.model.access.filter((e) => e.principal === mover.accountId);
    expect(mine.some((e) => e.via.some((v) => v.description.includes('group "team-payments"')))).toBe(false);
    expect(mine.some((e) => e.via.some((v) => v.description.includes('group "team-search"')))).toBe(true);
    const next = await sync(h);
    expect(next.model!.access.map(key)).toEqual(patched.model.access.map(key));
    const groupOf = (m: Model, name: string) =>
      m.groups.find((g) => g.name === name)?.members.includes(mover.accountId);
    expect([groupOf(patched.model, "team-payments"), groupOf(patched.model, "team-search")]).toEqual([false, true]);
    expect([groupOf(next.model!, "team-payments"), groupOf(next.model!, "team-search")]).toEqual([false, true]);
  });
});
