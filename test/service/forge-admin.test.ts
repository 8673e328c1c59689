/**
 * The Forge admin page's backend routes with real FITs against the simulator: settings (write-only secrets, 422
 * naming fields without echoing a value, audit of field names with the admin as actor), the sync overview, the
 * access explorer and insights from the cached model, lifecycle plan → apply (deprovisions in the simulator; a
 * stale plan is refused), and the credential rules: an unbound installation gets 403 on every admin route, a token
 * for another app 401.
 */
import { accessOf, whoCanAccess } from "@accessmap/backend/model/queries";
import { type FitIssuer, startFitIssuer } from "@accessmap/backend/service/fit-testing";
import { loadTenantConfig } from "@accessmap/backend/service/tenant-config";
import { FORGE_ADMIN_PATHS } from "@accessmap/shared/wire/admin";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ordinaryScimUsers, scimUser } from "../lifecycle/helpers.js";
import { ADMIN_ACCOUNT, type AdminHarness, adminHarness, INSTALLATION } from "./forge-admin-helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Body = any;

let issuer: FitIssuer;
let a: AdminHarness;

beforeAll(async () => {
  issuer = await startFitIssuer();
});
afterAll(async () => issuer.close());
afterEach(async () => a?.close());

const ACTOR = `forge:${INSTALLATION}:${ADMIN_ACCOUNT}`;

async function auditOf(action: string): Promise<Body[]> {
  const page = await a.t.store.listAudit(a.tenantId, { limit: 1000 });
  return page.entries.filter((e) => e.action === action);
}

describe("settings", () => {
  it("shows the configuration with secrets only as set, and never a secret value", async () => {
    a = await adminHarness(issuer);
    const res = await a.call("GET", FORGE_ADMIN_PATHS.settings);
    expect(res.status).toBe(200);
    const text = await res.text();
    const s: Body = JSON.parse(text);
    const tenant = a.sim.sim.state.tenant;
    expect(s).toMatchObject({
      products: ["jira", "confluence", "bitbucket"],
      orgId: tenant.org.id,
      workspace: tenant.bitbucket.workspace.slug,
      bitbucketOAuthKey: tenant.credentials.bitbucketAdminConsumer.key,
      skipBranchProtectionDiscovery: false,
      lifecycle: { enabled: false, scimOrgId: null },
      siteAccess: "api-token",
    });
    expect([...s.secretsSet].sort()).toEqual(["adminApiKey", "bitbucketOAuthSecret", "lifecycle.scimToken"]);
    const c = tenant.credentials;
    for (const secret of [c.adminApiKey, c.bitbucketAdminConsumer.secret, c.scimToken, c.productUser.token]) {
      expect(text).not.toContain(secret);
    }
  });

  it("saves the form: secrets left out are kept, null removes one, a new one is sealed; the audit names fields", async () => {
    a = await adminHarness(issuer);
    const form = await a.form();
    const tenant = a.sim.sim.state.tenant;
    const res = await a.call("PUT", FORGE_ADMIN_PATHS.settings, {
      json: {
        ...form,
        skipBranchProtectionDiscovery: true,
        lifecycle: { ...form.lifecycle, enabled: true, scimOrgId: tenant.org.id },
      },
    });
    expect(res.status).toBe(200);
    const saved: Body = await res.json();
    expect(saved).toMatchObject({
      skipBranchProtectionDiscovery: true,
      lifecycle: { enabled: true, scimOrgId: tenant.org.id },
    });
    // The secrets left out are still there, unchanged.
    let config = await loadTenantConfig(a.t.store, a.t.keyring, (await a.t.store.getTenant(a.tenantId))!);
    expect(config.adminApiKey?.reveal()).toBe(tenant.credentials.adminApiKey);
    expect(config.lifecycle.scimToken?.reveal()).toBe(tenant.credentials.scimToken);
    expect(config.skipBranchProtectionDiscovery).toBe(true);
    const [entry] = await auditOf("settings.update");
    expect(entry).toMatchObject({ actor: ACTOR, result: "ok" });
    expect(entry.details.fields).toEqual(["lifecycle.enabled", "lifecycle.scimOrgId", "skipBranchProtectionDiscovery"]);

    // null removes a secret; a string replaces one (sealed: the store's row holds no clear text).
    const canary = "canary-secret-5d2c1f0e-never-shown";
    const again = await a.call("PUT", FORGE_ADMIN_PATHS.settings, {
      json: {
        ...(await a.form()),
        bitbucketOAuthSecret: canary,
        lifecycle: { ...(await a.form()).lifecycle, enabled: false, scimToken: null },
      },
    });
    expect(again.status).toBe(200);
    const after: Body = await again.json();
    expect(after.secretsSet.sort()).toEqual(["adminApiKey", "bitbucketOAuthSecret"]);
    config = await loadTenantConfig(a.t.store, a.t.keyring, (await a.t.store.getTenant(a.tenantId))!);
    expect(config.bitbucket?.secret.reveal()).toBe(canary);
    expect(config.lifecycle.scimToken).toBeNull();
    const stored = await a.t.store.getTenant(a.tenantId);
    expect(JSON.stringify(stored)).not.toContain(canary);
    const entries = await auditOf("settings.update");
    expect(entries[0].details.fields).toEqual(["bitbucketOAuthSecret", "lifecycle.enabled", "lifecycle.scimToken"]);
    expect(JSON.stringify(entries)).not.toContain(canary);

    // The canary never appears in an answer of any admin route, nor in a log line.
    const answers: string[] = [];
    for (const path of [FORGE_ADMIN_PATHS.settings, FORGE_ADMIN_PATHS.overview, FORGE_ADMIN_PATHS.insights]) {
      answers.push(await (await a.call("GET", path)).text());
    }
    answers.push(await (await a.call("POST", FORGE_ADMIN_PATHS.connectionTest, { json: {} })).text());
    for (const text of [...answers, ...a.t.logs]) expect(text).not.toContain(canary);
  });

  it("answers 422 naming every bad field by its form name, without the submitted values, and stores nothing", async () => {
    a = await adminHarness(issuer);
    const form = await a.form();
    const before = await a.t.store.getTenant(a.tenantId);
    const canary = "canary-admin-key-9f8e7d6c";
    const res = await a.call("PUT", FORGE_ADMIN_PATHS.settings, {
      json: {
        ...form,
        adminApiKey: canary,
        workspace: "",
        orgId: "not an org id!",
        lifecycle: {
          enabled: true,
          scimUrl: "http://scim.example.com/scim/directory/x",
          scimOrgId: "",
          scimToken: `env:${canary}`,
        },
      },
    });
    expect(res.status).toBe(422);
    const text = await res.text();
    expect(text).not.toContain(canary);
    const body: Body = JSON.parse(text);
    expect(body.error.code).toBe("validation_failed");
    const fields = body.error.details.issues.map((i: Body) => i.path).sort();
    expect(fields).toEqual(
      expect.arrayContaining(["lifecycle.scimOrgId", "lifecycle.scimToken", "lifecycle.scimUrl", "orgId", "workspace"]),
    );
    expect(new Set(fields).size).toBe(fields.length);
    expect(body.error.details.issues.find((i: Body) => i.path === "lifecycle.scimUrl").message).toMatch(/https/);
    expect((await a.t.store.getTenant(a.tenantId))!.updatedAt).toBe(before!.updatedAt);
    for (const line of a.t.logs) expect(line).not.toContain(canary);
    expect(await auditOf("settings.update")).toEqual([]);

    // A malformed body (not the form's shape) is a 400 naming the field.
    const bad = await a.call("PUT", FORGE_ADMIN_PATHS.settings, { json: { ...form, products: [] } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Body).error.details.issues[0].path).toBe("body.products");
  });
});

describe("overview", () => {
  it("shows the current model per product, the last job, a running run with progress and a held run", async () => {
    a = await adminHarness(issuer);
    let res = await a.call("GET", FORGE_ADMIN_PATHS.overview);
    expect(res.status).toBe(200);
    let o: Body = await res.json();
    const pointer = (await a.t.store.getCurrentPointer(a.tenantId))!;
    expect(o.tenantName).toBe("sim-S-7");
    expect(o.running).toBeNull();
    expect(o.held).toBeNull();
    expect(o.lastJob).toBeNull();
    expect(o.current.version).toBe(pointer.version);
    expect(o.current.products.map((p: Body) => [p.product, p.state])).toEqual([
      ["admin", "complete"],
      ["scim", "complete"],
      ["jira", "complete"],
      ["confluence", "complete"],
      ["bitbucket", "complete"],
    ]);
    expect(o.current.products.every((p: Body) => typeof p.readAt === "string")).toBe(true);

    // A sync requested from the page is the last job; a run in progress shows its share of the last run's calls.
    expect((await a.call("POST", FORGE_ADMIN_PATHS.syncs, { json: {} })).status).toBe(202);
    const current = (await a.t.store.getSnapshot(a.tenantId, pointer.version))!;
    const half = current.statuses.map((s) => ({ ...s, state: "partial" as const, calls: Math.floor(s.calls / 2) }));
    const running = await a.t.store.startSnapshot(a.tenantId, { runId: "run-in-progress", statuses: half });
    res = await a.call("GET", FORGE_ADMIN_PATHS.overview);
    o = await res.json();
    expect(o.lastJob).toMatchObject({ state: "queued", finishedAt: null, error: null });
    expect(o.running.startedAt).toBe(running.startedAt);
    const expected =
      current.statuses.reduce((n, s) => n + (s.calls > 0 ? Math.floor(s.calls / 2) / s.calls : 0), 0) /
      current.statuses.length;
    expect(o.running.progress).toBeCloseTo(expected, 1);
    expect(o.running.progress).toBeGreaterThan(0);
    expect(o.running.progress).toBeLessThan(1);
    expect(o.running.products).toHaveLength(5);
    await a.t.store.endSnapshot(a.tenantId, running.version, { state: "failed", reason: "test" });

    // A run the mass-deletion guard held, waiting for an operator.
    const data = (await a.t.store.readSnapshotData(a.tenantId, pointer.version))!;
    const started = await a.t.store.startSnapshot(a.tenantId, { runId: "run-held" });
    await a.t.store.commitSnapshot(a.tenantId, started.version, {
      snapshot: data.snapshot!,
      model: data.model!,
      hold: { reason: "35% of accounts would be removed" },
    });
    o = await (await a.call("GET", FORGE_ADMIN_PATHS.overview)).json();
    expect(o.held).toEqual({ version: started.version, reason: "35% of accounts would be removed" });
    expect(o.current.version).toBe(pointer.version);
  });

  it("answers before the first sync, with no current model", async () => {
    a = await adminHarness(issuer, { sync: false });
    const o: Body = await (await a.call("GET", FORGE_ADMIN_PATHS.overview)).json();
    expect(o).toMatchObject({ running: null, current: null, lastJob: null, held: null });
  });
});

describe("access explorer", () => {
  it("finds people, capped, and answers one person's access by product with every path", async () => {
    a = await adminHarness(issuer);
    const m = (await a.t.services.models.get(a.tenantId))!;
    const person = m.model.accounts.find(
      (x) => (m.index.byPrincipal.get(x.accountId)?.length ?? 0) > 0 && x.status === "active",
    )!;
    let res = await a.call("GET", `${FORGE_ADMIN_PATHS.people}?q=${encodeURIComponent(person.displayName)}`);
    expect(res.status).toBe(200);
    const found: Body = await res.json();
    expect(found.people.map((p: Body) => p.accountId)).toContain(person.accountId);
    // A one-letter query matches more people than the cap.
    const many: Body = await (await a.call("GET", `${FORGE_ADMIN_PATHS.people}?q=e`)).json();
    expect(many.people).toHaveLength(25);
    expect(many.truncated).toBe(true);

    res = await a.call("GET", FORGE_ADMIN_PATHS.personAccess(person.accountId));
    expect(res.status).toBe(200);
    const access: Body = await res.json();
    const want = accessOf(m.index, person.accountId)!;
    const total = want.direct.length + want.throughPseudo.length + want.dormant.length;
    expect(access).toMatchObject({ modelVersion: m.version, person: { accountId: person.accountId }, total });
    expect(access.truncated).toBe(total > 500);
    const rows = access.byProduct.flatMap((g: Body) => g.rows);
    expect(rows).toHaveLength(Math.min(total, 500));
    // Grouped by product, in a fixed order, each group's rows from that product, every row with its paths.
    const order = ["admin", "jira", "confluence", "bitbucket"];
    const products = access.byProduct.map((g: Body) => g.product);
    expect(products).toEqual([...products].sort((x: string, y: string) => order.indexOf(x) - order.indexOf(y)));
    for (const g of access.byProduct) for (const r of g.rows) expect(r.product).toBe(g.product);
    expect(rows.every((r: Body) => r.paths.length > 0 && r.paths.every((p: string) => p.length > 0))).toBe(true);
    const direct = rows.filter((r: Body) => r.through === "direct");
    expect(direct).toHaveLength(Math.min(want.direct.length, 500));
    expect(rows.filter((r: Body) => r.through === "pseudo").every((r: Body) => r.paths[0].startsWith("as "))).toBe(
      true,
    );

    expect((await a.call("GET", FORGE_ADMIN_PATHS.personAccess("no-such-account"))).status).toBe(404);
  });

  it("finds resources and answers who can access one, pseudo-principals included", async () => {
    a = await adminHarness(issuer);
    const m = (await a.t.services.models.get(a.tenantId))!;
    const projects: Body = await (await a.call("GET", `${FORGE_ADMIN_PATHS.resources}?type=jira_project`)).json();
    const jiraProjects = m.model.resources.filter((r) => r.type === "jira_project");
    expect(projects.resources).toHaveLength(Math.min(50, jiraProjects.length));
    expect(projects.resources.every((r: Body) => r.type === "jira_project" && r.product === "jira")).toBe(true);
    const first = jiraProjects[0]!;
    const byName: Body = await (
      await a.call("GET", `${FORGE_ADMIN_PATHS.resources}?q=${encodeURIComponent(first.name)}`)
    ).json();
    expect(byName.resources.map((r: Body) => r.id)).toContain(first.id);

    // A project some pseudo-principal can reach, if the tenant has one; else any project.
    const withPseudo = jiraProjects.find((p) => whoCanAccess(m.index, "jira_project", p.id).pseudo.length > 0) ?? first;
    const res = await a.call("GET", FORGE_ADMIN_PATHS.resourceAccess("jira_project", withPseudo.id));
    expect(res.status).toBe(200);
    const who: Body = await res.json();
    const want = whoCanAccess(m.index, "jira_project", withPseudo.id);
    expect(who.total).toBe(want.accounts.length + want.pseudo.length);
    expect(who.resource).toEqual({ type: "jira_project", id: withPseudo.id, name: withPseudo.name, product: "jira" });
    expect(who.holders.filter((h: Body) => h.pseudo)).toHaveLength(Math.min(want.pseudo.length, who.holders.length));
    expect(who.holders.every((h: Body) => h.paths.length > 0 && h.displayName.length > 0)).toBe(true);

    // A repository id holds a slash: sent encoded.
    const repo = m.model.resources.find((r) => r.type === "bitbucket_repo")!;
    const repoRes = await a.call("GET", FORGE_ADMIN_PATHS.resourceAccess("bitbucket_repo", repo.id));
    expect(repoRes.status).toBe(200);
    expect(((await repoRes.json()) as Body).resource.id).toBe(repo.id);

    expect((await a.call("GET", FORGE_ADMIN_PATHS.resourceAccess("jira_project", "NOPE-404"))).status).toBe(404);
  });

  it("answers 404 no_model before the first sync", async () => {
    a = await adminHarness(issuer, { sync: false });
    for (const path of [`${FORGE_ADMIN_PATHS.people}?q=x`, FORGE_ADMIN_PATHS.insights, FORGE_ADMIN_PATHS.resources]) {
      const res = await a.call("GET", path);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as Body).error.code).toBe("no_model");
    }
  });
});

describe("insights", () => {
  it("states the licence savings up front and drills into one finding", async () => {
    a = await adminHarness(issuer);
    const res = await a.call("GET", FORGE_ADMIN_PATHS.insights);
    expect(res.status).toBe(200);
    const o: Body = await res.json();
    expect(o.findings.length).toBeGreaterThan(0);
    const inactive = o.findings.find((f: Body) => f.kind === "inactive-billable-accounts");
    expect(o.licenceSavings.inactiveDays).toBe(90);
    expect(o.licenceSavings.accounts).toBe(inactive?.count ?? 0);
    expect(
      o.licenceSavings.perProduct.every((p: Body) => p.licences > 0 && p.licences <= o.licenceSavings.accounts),
    ).toBe(true);

    const top = o.findings[0];
    const detail: Body = await (await a.call("GET", FORGE_ADMIN_PATHS.insightDetail(top.kind))).json();
    expect(detail).toMatchObject({ kind: top.kind, title: top.title, count: top.count, modelVersion: o.modelVersion });
    expect(detail.rows).toHaveLength(Math.min(top.count, 200));
    expect(detail.truncated).toBe(top.count > 200);

    expect((await a.call("GET", FORGE_ADMIN_PATHS.insightDetail("no-such-kind"))).status).toBe(404);
  });
});

describe("lifecycle", () => {
  async function enableLifecycle(): Promise<void> {
    const form = await a.form();
    const res = await a.call("PUT", FORGE_ADMIN_PATHS.settings, {
      json: { ...form, lifecycle: { ...form.lifecycle, enabled: true, scimOrgId: a.sim.sim.state.tenant.org.id } },
    });
    expect(res.status).toBe(200);
  }

  it("plans a deprovision as a dry run and applies it after confirmation, audited with the admin", async () => {
    a = await adminHarness(issuer);
    await enableLifecycle();
    const [leaver] = ordinaryScimUsers(a.sim);
    const writes = a.sim.sim.log.writeCount();
    const res = await a.call("POST", FORGE_ADMIN_PATHS.lifecyclePlans, {
      json: { action: "DEPROVISION_IDENTITY", user: leaver!.userName, suspendAccess: false, removeFromGroups: false },
    });
    expect(res.status).toBe(201);
    const plan: Body = await res.json();
    expect(plan).toMatchObject({ problems: [], blocked: null, deletes: false, writes: 1 });
    expect(plan.steps).toEqual([
      expect.objectContaining({ status: "pending", current: "active: true", intended: "active: false" }),
    ]);
    expect(plan.steps[0].call).toMatch(/^PATCH .*\(scim\)$/);
    expect(a.sim.sim.log.writeCount()).toBe(writes);
    expect(scimUser(a.sim, leaver!.userName)?.active).toBe(true);

    const applied = await a.call("POST", FORGE_ADMIN_PATHS.lifecycleApply(plan.planId), {
      json: { planId: plan.planId, confirm: true },
    });
    expect(applied.status).toBe(200);
    const outcome: Body = await applied.json();
    expect(outcome).toMatchObject({ planId: plan.planId, summary: { ok: 1 } });
    expect(outcome.results).toEqual([expect.objectContaining({ stepId: "s1", status: "ok" })]);
    expect(scimUser(a.sim, leaver!.userName)?.active).toBe(false);
    const audit = (await a.t.store.listAudit(a.tenantId, { limit: 200 })).entries.filter((e) =>
      e.action.startsWith("lifecycle."),
    );
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.every((e) => e.actor === ACTOR)).toBe(true);
    // Applied once: the plan is gone.
    const twice = await a.call("POST", FORGE_ADMIN_PATHS.lifecycleApply(plan.planId), {
      json: { planId: plan.planId, confirm: true },
    });
    expect(twice.status).toBe(404);
  });

  it("refuses a stale plan, an unconfirmed delete, and answers not_configured naming the missing settings", async () => {
    a = await adminHarness(issuer);
    const notYet = await a.call("POST", FORGE_ADMIN_PATHS.lifecyclePlans, {
      json: { action: "DELETE_IDENTITY", user: "someone@example.com" },
    });
    expect(notYet.status).toBe(409);
    const nc: Body = await notYet.json();
    expect(nc.error.code).toBe("not_configured");
    expect(nc.error.details.missing).toEqual(["lifecycle.scimOrgId"]);

    await enableLifecycle();
    const [x, y] = ordinaryScimUsers(a.sim);
    const plan: Body = await (
      await a.call("POST", FORGE_ADMIN_PATHS.lifecyclePlans, {
        json: { action: "MANAGE_RELATIONSHIPS", op: "remove", user: x!.userName, group: "no-such-group-anywhere" },
      })
    ).json();
    expect(plan.problems.length + plan.steps.filter((s: Body) => s.status !== "pending").length).toBeGreaterThan(0);

    const deprovision: Body = await (
      await a.call("POST", FORGE_ADMIN_PATHS.lifecyclePlans, {
        json: { action: "DEPROVISION_IDENTITY", user: y!.userName, suspendAccess: false, removeFromGroups: false },
      })
    ).json();
    a.sim.sim.state.scimUpdateUser(y!.id, { active: false }); // someone else deactivates y meanwhile
    const stale = await a.call("POST", FORGE_ADMIN_PATHS.lifecycleApply(deprovision.planId), {
      json: { planId: deprovision.planId, confirm: true },
    });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as Body).error.code).toBe("stale_plan");

    const del: Body = await (
      await a.call("POST", FORGE_ADMIN_PATHS.lifecyclePlans, { json: { action: "DELETE_IDENTITY", user: x!.userName } })
    ).json();
    expect(del.deletes).toBe(true);
    const unconfirmed = await a.call("POST", FORGE_ADMIN_PATHS.lifecycleApply(del.planId), {
      json: { planId: del.planId, confirm: true },
    });
    expect(unconfirmed.status).toBe(400);
    expect(((await unconfirmed.json()) as Body).error.details.issues[0].path).toBe("body.confirmDelete");
    expect(scimUser(a.sim, x!.userName)).toBeDefined();
  });
});

describe("credentials", () => {
  const ADMIN_ROUTES: Array<[string, string]> = [
    ["GET", FORGE_ADMIN_PATHS.settings],
    ["PUT", FORGE_ADMIN_PATHS.settings],
    ["POST", FORGE_ADMIN_PATHS.connectionTest],
    ["GET", FORGE_ADMIN_PATHS.overview],
    ["POST", FORGE_ADMIN_PATHS.syncs],
    ["GET", `${FORGE_ADMIN_PATHS.people}?q=a`],
    ["GET", FORGE_ADMIN_PATHS.personAccess("x")],
    ["GET", FORGE_ADMIN_PATHS.resources],
    ["GET", FORGE_ADMIN_PATHS.resourceAccess("jira_project", "X")],
    ["GET", FORGE_ADMIN_PATHS.insights],
    ["GET", FORGE_ADMIN_PATHS.insightDetail("dormant-grants")],
    ["POST", FORGE_ADMIN_PATHS.lifecyclePlans],
    ["POST", FORGE_ADMIN_PATHS.lifecycleApply("p")],
  ];

  it("refuses an unbound installation with 403 on every admin route, and another app's token with 401", async () => {
    a = await adminHarness(issuer);
    for (const [method, path] of ADMIN_ROUTES) {
      const json = method === "GET" ? undefined : {};
      const unbound = await a.call(method, path, {
        installationId: "ari:cloud:ecosystem::installation/stranger",
        json,
      });
      expect(unbound.status, `${method} ${path}`).toBe(403);
      const wrongApp = await a.call(method, path, { aud: "ari:cloud:ecosystem::app/someone-else", json });
      expect(wrongApp.status, `${method} ${path}`).toBe(401);
    }
    // Nothing of the tenant leaked into the refusals, and the stranger's attempts are logged.
    expect(a.t.logs.some((l) => l.includes("Forge installation not registered") && l.includes("stranger"))).toBe(true);
  });
});
