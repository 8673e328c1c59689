/**
 * The lifecycle routes against the in-process simulator: a plan is a dry run (the simulator sees no write), an
 * apply with `confirm: true` deactivates the SCIM user and leaves an intent and a result in the audit log with the
 * caller as actor, and the refusals answer as documented: no confirmation (400), a stale plan (409 `stale_plan`),
 * another tenant's key (403), a tenant without lifecycle configuration (409 `not_configured`).
 */
import { type TestService, tenantBody, testService } from "@accessmap/backend/service/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HOST_PREFIXES } from "../atlassian-sim/app.js";
import { makeTestSim, ORIGIN, type TestSim } from "../atlassian-sim/testing.js";
import { ordinaryScimUsers, scimUser } from "../lifecycle/helpers.js";
import { simConfigInput } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Body = any;

let t: TestService;
let sim: TestSim;
let tenantId = "";
let key = "";
let keyId = "";

async function newTenant(body: Record<string, unknown>): Promise<{ id: string; key: string; keyId: string }> {
  const created = await t.call("POST", "/v1/tenants", { json: body });
  expect(created.status).toBe(201);
  const id = ((await created.json()) as Body).id as string;
  const minted = (await (await t.call("POST", `/v1/tenants/${id}/api-keys`)).json()) as Body;
  return { id, key: minted.key, keyId: minted.id };
}

const plansPath = () => `/v1/tenants/${tenantId}/lifecycle/plans`;

async function planDeprovision(userName: string, token = key): Promise<Body> {
  const res = await t.call("POST", plansPath(), {
    token,
    json: { requests: [{ action: "DEPROVISION_IDENTITY", user: { user: userName } }] },
  });
  expect(res.status).toBe(201);
  return res.json();
}

beforeEach(async () => {
  sim = makeTestSim("S", 3);
  t = await testService({ send: simSend(sim) });
  const tenant = sim.sim.state.tenant;
  const created = await newTenant(
    simConfigInput(tenant, ORIGIN, {
      lifecycle: {
        enabled: true,
        scimUrl: `${ORIGIN}${HOST_PREFIXES.adminApi}/scim/directory/${tenant.scim.directoryId}`,
        scimToken: tenant.credentials.scimToken,
        scimOrgId: tenant.org.id,
      },
    }) as unknown as Record<string, unknown>,
  );
  tenantId = created.id;
  key = created.key;
  keyId = created.keyId;
});

afterEach(async () => t?.close());

describe("lifecycle routes", () => {
  it("plans a deprovision as a dry run, applies it with confirm, and audits every write with the caller", async () => {
    const [leaver] = ordinaryScimUsers(sim);
    expect(leaver).toBeDefined();
    const writesBefore = sim.sim.log.writeCount();

    const plan = await planDeprovision(leaver!.userName);
    expect(plan.id).toEqual(expect.any(String));
    expect(Date.parse(plan.expiresAt)).toBeGreaterThan(Date.now());
    expect(plan.problems).toEqual([]);
    expect(plan.steps.map((s: Body) => [s.kind, s.status])).toEqual([["scim.user.deactivate", "pending"]]);
    expect(plan.steps[0].current).toEqual({ active: true });
    expect(plan.steps[0].intended).toEqual({ active: false });
    // A dry run: the simulator saw no write, the user is still active, and nothing was audited.
    expect(sim.sim.log.writeCount()).toBe(writesBefore);
    expect(scimUser(sim, leaver!.userName)?.active).toBe(true);
    const emptyAudit: Body = await (
      await t.call("GET", `/v1/tenants/${tenantId}/lifecycle/audit`, { token: key })
    ).json();
    expect(emptyAudit).toEqual({ items: [], next: null });

    const applied = await t.call("POST", `${plansPath()}/${plan.id}/apply`, { token: key, json: { confirm: true } });
    expect(applied.status).toBe(200);
    const report: Body = await applied.json();
    expect(report).toMatchObject({ planId: plan.id, dryRun: false, summary: { ok: 1, failed: 0 } });
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ stepId: "s1", status: "ok", kind: "scim.user.deactivate" });
    expect(scimUser(sim, leaver!.userName)?.active).toBe(false);
    expect(sim.sim.log.writes().map((w) => w.method)).toEqual(["PATCH"]);

    // The audit log: an intent and a result around the write, tied by the request id, with the key as actor.
    const res = await t.call("GET", `/v1/tenants/${tenantId}/lifecycle/audit`, { token: key });
    expect(res.status).toBe(200);
    const audit: Body = await res.json();
    expect(audit.items.every((e: Body) => e.action.startsWith("lifecycle."))).toBe(true);
    expect(audit.items.every((e: Body) => e.actor === `apikey:${keyId}`)).toBe(true);
    const writes = audit.items.filter((e: Body) => e.action === "lifecycle.scim.user.deactivate").reverse();
    expect(writes.map((e: Body) => e.result)).toEqual(["intent", "ok"]);
    expect(writes[0].requestId).toBe(report.results[0].requestIds[0]);
    expect(writes[1].requestId).toBe(writes[0].requestId);
    expect(writes[0].details).toMatchObject({
      plan: plan.id,
      step: "s1",
      old: { active: true },
      new: { active: false },
    });
    expect(audit.items.filter((e: Body) => e.action === "lifecycle.apply").map((e: Body) => e.result)).toEqual([
      "ok",
      "intent",
    ]);
    // The other audit entries (tenant creation, key minting) are not lifecycle entries.
    const whole: Body = await (await t.call("GET", `/v1/tenants/${tenantId}/audit?limit=200`)).json();
    expect(whole.items.length).toBeGreaterThan(audit.items.length);

    // Pages follow `next` without repeating or skipping.
    const paged: Body[] = [];
    let cursor: string | null = null;
    do {
      const page: Body = await (
        await t.call("GET", `/v1/tenants/${tenantId}/lifecycle/audit?limit=2${cursor ? `&cursor=${cursor}` : ""}`, {
          token: key,
        })
      ).json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items);
      cursor = page.next;
    } while (cursor);
    expect(paged.map((e) => e.seq)).toEqual(audit.items.map((e: Body) => e.seq));

    // A plan is applied once.
    const again = await t.call("POST", `${plansPath()}/${plan.id}/apply`, { token: key, json: { confirm: true } });
    expect(again.status).toBe(404);
  });

  it("plans from a desired-state file", async () => {
    const [leaver] = ordinaryScimUsers(sim);
    const res = await t.call("POST", plansPath(), {
      token: key,
      json: { desiredState: { format: "csv", content: `kind,userName\nleaver,${leaver!.userName}\n` } },
    });
    expect(res.status).toBe(201);
    const plan: Body = await res.json();
    expect(plan.requests[0].origin).toEqual({ source: "desiredState", line: 2 });
    expect(plan.steps.map((s: Body) => s.kind)).toEqual(["scim.user.deactivate"]);

    const bad = await t.call("POST", plansPath(), {
      token: key,
      json: { desiredState: { format: "csv", content: "kind,userName\nretiree,x\n" } },
    });
    expect(bad.status).toBe(400);
    const err: Body = await bad.json();
    expect(err.error.details.issues[0].path).toBe("body.desiredState.content");
    expect(err.error.details.issues[0].message).toMatch(/^line 2: /);
  });

  it("validates the requests field by field", async () => {
    const res = await t.call("POST", plansPath(), {
      token: key,
      json: { requests: [{ action: "DELETE_IDENTITY", user: { user: "a@b.c" }, mode: "everything" }] },
    });
    expect(res.status).toBe(400);
    const err: Body = await res.json();
    expect(err.error.code).toBe("validation_failed");
    expect(err.error.details.issues.map((i: Body) => i.path)).toEqual(["body.requests.0.mode"]);

    const neither = await t.call("POST", plansPath(), { token: key, json: {} });
    expect(neither.status).toBe(400);
    expect(((await neither.json()) as Body).error.details.issues[0].path).toBe("body.requests");
  });

  it("refuses to apply without confirm: true, naming the field; nothing is sent", async () => {
    const [leaver] = ordinaryScimUsers(sim);
    const plan = await planDeprovision(leaver!.userName);
    for (const json of [undefined, {}, { confirm: false }]) {
      const res = await t.call("POST", `${plansPath()}/${plan.id}/apply`, { token: key, json });
      expect(res.status).toBe(400);
      const err: Body = await res.json();
      expect(err.error.details.issues.map((i: Body) => i.path)).toEqual(["body.confirm"]);
    }
    expect(sim.sim.log.writeCount()).toBe(0);
    expect(scimUser(sim, leaver!.userName)?.active).toBe(true);
  });

  it("DELETE_IDENTITY needs confirmDelete: true as well", async () => {
    const [leaver] = ordinaryScimUsers(sim);
    const res = await t.call("POST", plansPath(), {
      token: key,
      json: {
        requests: [{ action: "DELETE_IDENTITY", user: { user: leaver!.userName }, mode: "directory", confirm: true }],
      },
    });
    expect(res.status).toBe(201);
    const plan: Body = await res.json();
    expect(plan.steps.map((s: Body) => [s.kind, s.status])).toEqual([["scim.user.delete", "pending"]]);
    const refused = await t.call("POST", `${plansPath()}/${plan.id}/apply`, { token: key, json: { confirm: true } });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as Body).error.details.issues[0].path).toBe("body.confirmDelete");
    expect(sim.sim.log.writeCount()).toBe(0);
    const done = await t.call("POST", `${plansPath()}/${plan.id}/apply`, {
      token: key,
      json: { confirm: true, confirmDelete: true },
    });
    expect(done.status).toBe(200);
    expect(((await done.json()) as Body).summary.ok).toBe(1);
  });

  it("refuses a stale plan with 409 and the differences; nothing is sent", async () => {
    const [a, b] = ordinaryScimUsers(sim);
    const res = await t.call("POST", plansPath(), {
      token: key,
      json: {
        requests: [
          { action: "DEPROVISION_IDENTITY", user: { user: a!.userName } },
          { action: "DEPROVISION_IDENTITY", user: { user: b!.userName } },
        ],
      },
    });
    const plan: Body = await res.json();
    // Someone deactivates b meanwhile.
    sim.sim.state.scimUpdateUser(b!.id, { active: false });
    const stale = await t.call("POST", `${plansPath()}/${plan.id}/apply`, { token: key, json: { confirm: true } });
    expect(stale.status).toBe(409);
    const err: Body = await stale.json();
    expect(err.error.code).toBe("stale_plan");
    expect(err.error.details.differences.join()).toMatch(
      /s2 deactivate .*was \{"active":true\}, now \{"active":false\}/,
    );
    expect(sim.sim.log.writeCount()).toBe(0);
    expect(scimUser(sim, a!.userName)?.active).toBe(true);
    // The refusal is audited.
    const audit: Body = await (await t.call("GET", `/v1/tenants/${tenantId}/lifecycle/audit`, { token: key })).json();
    expect(audit.items[0]).toMatchObject({ action: "lifecycle.apply", result: "denied", details: { reason: "stale" } });
  });

  it("refuses another tenant's key (403) and another tenant's plan id (404)", async () => {
    const other = await newTenant(tenantBody("other"));
    const [leaver] = ordinaryScimUsers(sim);
    const plan = await planDeprovision(leaver!.userName);
    const body = { requests: [{ action: "DEPROVISION_IDENTITY", user: { user: leaver!.userName } }] };
    expect((await t.call("POST", plansPath(), { token: other.key, json: body })).status).toBe(403);
    expect(
      (await t.call("POST", `${plansPath()}/${plan.id}/apply`, { token: other.key, json: { confirm: true } })).status,
    ).toBe(403);
    expect((await t.call("GET", `/v1/tenants/${tenantId}/lifecycle/audit`, { token: other.key })).status).toBe(403);
    // The plan id is not found under the other tenant, even by the operator.
    const cross = await t.call("POST", `/v1/tenants/${other.id}/lifecycle/plans/${plan.id}/apply`, {
      json: { confirm: true },
    });
    expect(cross.status).toBe(404);
    expect(sim.sim.log.writeCount()).toBe(0);
  });

  it("answers 409 naming the missing fields for a tenant without lifecycle configuration", async () => {
    const plain = await newTenant(tenantBody("plain"));
    const res = await t.call("POST", `/v1/tenants/${plain.id}/lifecycle/plans`, {
      token: plain.key,
      json: { requests: [{ action: "DEPROVISION_IDENTITY", user: { user: "a@acme.example" } }] },
    });
    expect(res.status).toBe(409);
    const err: Body = await res.json();
    expect(err.error.code).toBe("not_configured");
    for (const field of ["lifecycle.scimUrl", "lifecycle.scimToken", "lifecycle.scimOrgId", "adminApiKey"])
      expect(err.error.message).toContain(field);
    expect(err.error.details.missing).toEqual(
      expect.arrayContaining(["lifecycle.scimUrl", "lifecycle.scimToken", "lifecycle.scimOrgId", "adminApiKey"]),
    );
    expect(sim.sim.log.total()).toBe(0);
  });

  it("the operator may plan and apply; the actor is the operator", async () => {
    const [leaver] = ordinaryScimUsers(sim);
    const plan = await planDeprovision(leaver!.userName, t.operator);
    const res = await t.call("POST", `${plansPath()}/${plan.id}/apply`, { json: { confirm: true } });
    expect(res.status).toBe(200);
    const audit: Body = await (await t.call("GET", `/v1/tenants/${tenantId}/lifecycle/audit`)).json();
    expect(new Set(audit.items.map((e: Body) => e.actor))).toEqual(new Set(["operator"]));
  });
});
