/**
 * The admin page end to end, offline: the REAL `@forge/react` reconciler renders the page (`forge-ui.ts`: a fake
 * bridge captures each ForgeDoc); each `invoke` calls the REAL `adminResolver` as the platform does, whose admin
 * check goes to the simulated Jira/Confluence as the calling user (`asUser()` through the runtime shim) and whose
 * `invokeRemote` reaches the REAL backend (`forgeHarness`). Assertions are on the rendered tree, the backend's
 * store and the simulator's state.
 */
import { type FitIssuer, startFitIssuer } from "@accessmap/backend/service/fit-testing";
import { loadTenantConfig } from "@accessmap/backend/service/tenant-config";
import { ADMIN_RESOLVERS, type AdminResolverKey } from "@accessmap/shared/wire/admin";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SimState } from "../atlassian-sim/state.js";
import { ordinaryScimUsers, scimUser } from "../lifecycle/helpers.js";
import {
  byId,
  byProp,
  byType,
  type Caller,
  change,
  click,
  findAll,
  installFakeBridge,
  one,
  type RenderedPage,
  renderAdminPage,
  serialized,
  submit,
  tableRows,
  textOf,
  type UiNode,
} from "./forge-ui.js";
import { type ForgeHarness, forgeHarness } from "./harness.js";

let issuer: FitIssuer;
beforeAll(async () => {
  installFakeBridge();
  issuer = await startFitIssuer();
});
afterAll(() => issuer.close());

const open: ForgeHarness[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function setup(): Promise<ForgeHarness> {
  // One shim at a time: the globals are process-wide.
  for (const s of open.splice(0)) await s.close();
  const s = await forgeHarness(issuer);
  open.push(s);
  return s;
}

/** People of the simulated tenant by their standing, from its data (admin groups, product access). */
function people(state: SimState) {
  const t = state.tenant;
  const active = t.accounts.filter((a) => a.status === "active" && !a.suspended && a.accountType === "atlassian");
  const inAny = (id: string, groups: readonly string[]) => state.groupIdsOf(id).some((g) => groups.includes(g));
  const adminGroups = [
    ...t.jira.adminGroups,
    ...t.jira.siteAdminGroups,
    ...t.confluence.adminGroups,
    ...t.confluence.siteAdminGroups,
  ];
  const pick = (what: string, pred: (a: (typeof active)[number]) => boolean) => {
    const a = active.find(pred);
    if (!a) throw new Error(`the S tenant has no ${what}`);
    return a;
  };
  return {
    /** Administers Jira only (not a site admin, not a Confluence admin). */
    jiraAdmin: pick(
      "Jira-only admin",
      (a) =>
        state.hasProduct(a, "jira-software") &&
        inAny(a.accountId, t.jira.adminGroups) &&
        !inAny(a.accountId, [...t.jira.siteAdminGroups, ...t.confluence.adminGroups, ...t.confluence.siteAdminGroups]),
    ),
    plainJira: pick("plain Jira user", (a) => state.hasProduct(a, "jira-software") && !inAny(a.accountId, adminGroups)),
    confluenceAdmin: pick(
      "Confluence admin",
      (a) =>
        state.hasProduct(a, "confluence") &&
        inAny(a.accountId, t.confluence.adminGroups) &&
        !inAny(a.accountId, [...t.jira.adminGroups, ...t.jira.siteAdminGroups, ...t.confluence.siteAdminGroups]),
    ),
    plainConfluence: pick(
      "plain Confluence user",
      (a) => state.hasProduct(a, "confluence") && !inAny(a.accountId, adminGroups),
    ),
  };
}

/** A poller the test ticks by hand: no real timers. */
function manualPoller() {
  const ticks = new Set<() => void>();
  return {
    poll: (tick: () => void) => {
      ticks.add(tick);
      return () => void ticks.delete(tick);
    },
    active: () => ticks.size,
    async tick(page: RenderedPage) {
      await page.act(() => {
        for (const t of ticks) t();
      });
      await page.settle();
    },
  };
}

async function render(s: ForgeHarness, caller: Caller, props?: Record<string, unknown>): Promise<RenderedPage> {
  return renderAdminPage({ caller, setUser: s.shim.setUser, props });
}

/** Backend calls (`invokeRemote`) logged by the shim since `from`. */
const remoteCalls = (s: ForgeHarness, from: number) => s.shim.calls.slice(from).filter((c) => c.type === "frc");

/** Selects tab `index` through the Tabs' `onChange`, as the host does. */
async function selectTab(page: RenderedPage, title: string): Promise<UiNode> {
  const tabs = one(page.root(), "Tabs");
  const titles = byType(tabs, "Tab").map(textOf);
  const index = titles.indexOf(title);
  expect(index, `tab ${title} in ${titles.join(", ")}`).toBeGreaterThanOrEqual(0);
  await change(page, tabs, index);
  const panel = byType(one(page.root(), "Tabs"), "TabPanel")[index]!;
  return panel;
}

/** The Box that holds a field (its label, input and error messages). */
function fieldBox(page: RenderedPage, type: string, id: string): UiNode {
  const input = byId(page.root(), type, id);
  const boxes = findAll(page.root(), (n) => n.type === "Box" && findAll(n, (x) => x === input).length > 0);
  return boxes.at(-1)!;
}

describe("access control: every resolver checks the caller first", () => {
  it("refuses a Jira user who is not an admin: a refusal page, and no backend call at all", async () => {
    const s = await setup();
    const { plainJira } = people(s.h.sim.sim.state);
    const from = s.shim.calls.length;
    const page = await render(s, { accountId: plainJira.accountId, product: "jira" });

    const refusal = one(page.root(), "SectionMessage");
    expect(refusal.props.title).toMatch(/administrator/);
    expect(textOf(refusal)).toMatch(/Only a Jira administrator/);
    expect(byType(page.root(), "Tabs")).toHaveLength(0);
    expect(page.failures("not_admin").map((r) => r.functionKey)).toEqual(["getSettings"]);
    // The check asked Jira as that user; nothing reached the backend.
    const calls = s.shim.calls.slice(from);
    expect(calls).toEqual([
      expect.objectContaining({
        type: "fpp",
        remote: "jira",
        provider: "user",
        accountId: plainJira.accountId,
        path: "/rest/api/3/mypermissions?permissions=ADMINISTER",
        status: 200,
      }),
    ]);
    expect(remoteCalls(s, from)).toEqual([]);
  });

  it("answers not_admin to every resolver function for a non-admin, before validating or calling anything", async () => {
    const s = await setup();
    const { plainJira } = people(s.h.sim.sim.state);
    const { adminResolver } = await import("@accessmap/forge-app/admin/resolver");
    s.shim.setUser(plainJira.accountId);
    const from = s.shim.calls.length;
    const keys = Object.keys(ADMIN_RESOLVERS) as AdminResolverKey[];
    for (const functionKey of keys) {
      const res = await adminResolver(
        { call: { functionKey, payload: { anything: "goes" } }, context: { extension: { type: "jira:adminPage" } } },
        { principal: { accountId: plainJira.accountId }, installContext: "ari:cloud:jira::site/cloud-1" },
      );
      expect(res, functionKey).toMatchObject({ ok: false, code: "not_admin" });
    }
    expect(remoteCalls(s, from)).toEqual([]);
    expect(s.shim.calls.slice(from).filter((c) => c.provider === "user")).toHaveLength(keys.length);
    expect(s.shim.pushed).toEqual([]);
  });

  it("in Confluence, asks user/current for the administer operation: an admin is let in, a user is refused", async () => {
    const s = await setup();
    const { confluenceAdmin, plainConfluence, jiraAdmin } = people(s.h.sim.sim.state);

    let from = s.shim.calls.length;
    const page = await render(s, { accountId: confluenceAdmin.accountId, product: "confluence" });
    expect(byType(page.root(), "Tabs")).toHaveLength(1);
    expect(s.shim.calls.slice(from)[0]).toMatchObject({
      remote: "confluence",
      provider: "user",
      accountId: confluenceAdmin.accountId,
      path: "/wiki/rest/api/user/current?expand=operations",
      status: 200,
    });
    expect(remoteCalls(s, from).map((c) => c.path)).toEqual(["/forge/v1/settings"]);

    for (const who of [plainConfluence, jiraAdmin]) {
      from = s.shim.calls.length;
      const refused = await render(s, { accountId: who.accountId, product: "confluence" });
      expect(textOf(one(refused.root(), "SectionMessage"))).toMatch(/Only a Confluence administrator/);
      expect(remoteCalls(s, from)).toEqual([]);
    }
  });
});

describe("the tabs", () => {
  it("renders each tab with its data from the backend", async () => {
    const s = await setup();
    const { jiraAdmin } = people(s.h.sim.sim.state);
    const page = await render(s, { accountId: jiraAdmin.accountId, product: "jira" }, { poll: manualPoller().poll });

    const titles = byType(one(page.root(), "Tabs"), "Tab").map(textOf);
    expect(titles).toEqual(["Settings", "Sync", "Access explorer", "Insights", "Lifecycle"]);
    // Settings: the form with the stored values; secrets only as "set".
    expect(byId(page.root(), "Textfield", "orgId").props.value).toBe(s.h.sim.sim.state.tenant.org.id);
    expect(byType(page.root(), "Checkbox").filter((c) => c.props.isChecked)).toHaveLength(3);

    const sync = await selectTab(page, "Sync");
    const runs = tableRows(one(sync, "DynamicTable"));
    expect(runs.map((r) => r[0])).toEqual(expect.arrayContaining(["Jira", "Confluence", "Bitbucket"]));
    expect(runs.find((r) => r[0] === "Jira")?.[1]).toBe("complete");
    expect(byType(sync, "LoadingButton", "Sync now")).toHaveLength(1);

    const explorer = await selectTab(page, "Access explorer");
    expect(byId(explorer, "Textfield", "person-query")).toBeDefined();
    expect(byId(explorer, "Select", "resource-kind").props.options.length).toBe(8);

    const insights = await selectTab(page, "Insights");
    expect(one(insights, "SectionMessage").props.title).toMatch(/^\d+ licences? to reclaim/);
    expect(byType(insights, "BarChart")).toHaveLength(1);

    const lifecycle = await selectTab(page, "Lifecycle");
    expect(byId(lifecycle, "Select", "lifecycle-action").props.value.value).toBe("deprovision");
    expect(byType(lifecycle, "LoadingButton", "Preview")).toHaveLength(1);
    // The tabs not shown hold nothing of theirs.
    expect(byType(page.root(), "BarChart")).toHaveLength(0);
    expect(page.failures()).toEqual([]);
  });
});

describe("settings", () => {
  it("saves the form: values stored, secrets sealed and shown only as set, never in the tree", async () => {
    const s = await setup();
    const { jiraAdmin } = people(s.h.sim.sim.state);
    const state = s.h.sim.sim.state;
    const page = await render(s, { accountId: jiraAdmin.accountId, product: "jira" });
    const adminKey = "new-admin-key-7c1e0b3a-never-shown";
    const scimToken = "new-scim-token-41d2a9ef-never-shown";

    await change(page, byId(page.root(), "Textfield", "workspace"), "acme-renamed");
    await change(page, byId(page.root(), "Toggle", "skipBranchProtectionDiscovery"), true);
    await change(page, byId(page.root(), "Toggle", "lifecycle.enabled"), true);
    await change(
      page,
      byId(page.root(), "Textfield", "lifecycle.scimUrl"),
      `http://localhost/admin-api/scim/directory/${state.tenant.scim.directoryId}`,
    );
    await change(page, byId(page.root(), "Textfield", "lifecycle.scimOrgId"), state.tenant.org.id);
    await change(page, byId(page.root(), "Textfield", "adminApiKey"), adminKey);
    await change(page, byId(page.root(), "Textfield", "lifecycle.scimToken"), scimToken);
    // Typed secrets are never part of the tree (the inputs are uncontrolled).
    expect(serialized(page.root())).not.toContain(adminKey);
    expect(byId(page.root(), "Textfield", "adminApiKey").props).not.toHaveProperty("value");

    await submit(page, one(page.root(), "Form"));
    expect(page.failures()).toEqual([]);
    expect(one(page.root(), "SectionMessage", /saved|next sync/).props.title).toBe("Settings saved");
    const save = page.invokes.find((r) => r.functionKey === "saveSettings")!;
    // Untouched secrets are left out (kept); typed ones are sent once.
    expect(save.payload).toMatchObject({ adminApiKey: adminKey, lifecycle: { scimToken } });
    expect(save.payload).not.toHaveProperty("bitbucketOAuthSecret");

    // The backend stored the values, sealed the secrets.
    const tenant = (await s.h.t.store.getTenant(s.h.tenantId))!;
    const config = await loadTenantConfig(s.h.t.store, s.h.t.keyring, tenant);
    expect(config.bitbucket?.workspace).toBe("acme-renamed");
    expect(config.skipBranchProtectionDiscovery).toBe(true);
    expect(config.lifecycle).toMatchObject({ enabled: true, scimOrgId: state.tenant.org.id });
    expect(config.adminApiKey?.reveal()).toBe(adminKey);
    expect(config.lifecycle.scimToken?.reveal()).toBe(scimToken);
    expect(config.bitbucket?.secret.reveal()).toBe(state.tenant.credentials.bitbucketAdminConsumer.secret);
    expect(JSON.stringify(tenant)).not.toContain(adminKey);
    expect(JSON.stringify(tenant)).not.toContain(scimToken);

    // The page shows each secret as set, with an empty input, and never the value.
    for (const id of ["adminApiKey", "bitbucketOAuthSecret", "lifecycle.scimToken"]) {
      const box = fieldBox(page, "Textfield", id);
      expect(byType(box, "Lozenge").map(textOf)).toEqual(["set"]);
    }
    const tree = serialized(page.root());
    for (const secret of [adminKey, scimToken, state.tenant.credentials.bitbucketAdminConsumer.secret]) {
      expect(tree).not.toContain(secret);
    }
    expect(byId(page.root(), "Textfield", "workspace").props.value).toBe("acme-renamed");
    expect(byId(page.root(), "Toggle", "lifecycle.enabled").props.isChecked).toBe(true);
  });

  it("shows inline errors next to each field without calling anything", async () => {
    const s = await setup();
    const { jiraAdmin } = people(s.h.sim.sim.state);
    const page = await render(s, { accountId: jiraAdmin.accountId, product: "jira" });
    const from = s.shim.calls.length;
    const invokes = page.invokes.length;

    for (const box of byType(page.root(), "Checkbox").filter((c) => c.props.isChecked)) await change(page, box, false);
    await change(page, byId(page.root(), "Textfield", "orgId"), "not an org id!");
    await change(page, byId(page.root(), "Textfield", "lifecycle.scimUrl"), "ftp://scim.example.com");
    await submit(page, one(page.root(), "Form"));

    expect(textOf(fieldBox(page, "Textfield", "orgId"))).toMatch(/organization id has letters, digits and '-' only/);
    expect(byType(fieldBox(page, "Textfield", "orgId"), "ErrorMessage")).toHaveLength(1);
    expect(byType(fieldBox(page, "Textfield", "lifecycle.scimUrl"), "ErrorMessage").map(textOf)).toEqual([
      "The SCIM URL must start with https://.",
    ]);
    const products = findAll(one(page.root(), "Form"), (n) => n.type === "FormSection")[0]!;
    expect(byType(products, "ErrorMessage").map(textOf)).toEqual(["choose at least one product"]);

    // Bitbucket chosen without a workspace: the cross-field rule names the workspace.
    await change(page, byId(page.root(), "Checkbox", "products.bitbucket"), true);
    await change(page, byId(page.root(), "Textfield", "workspace"), "");
    await submit(page, one(page.root(), "Form"));
    expect(byType(fieldBox(page, "Textfield", "workspace"), "ErrorMessage").map(textOf)).toEqual([
      "Enter the Bitbucket workspace to discover.",
    ]);
    expect(byType(products, "ErrorMessage")).toHaveLength(0);

    expect(page.invokes.length).toBe(invokes);
    expect(s.shim.calls.length).toBe(from);
  });

  it("shows the backend's field errors (422) next to the field", async () => {
    const s = await setup();
    const { jiraAdmin } = people(s.h.sim.sim.state);
    const state = s.h.sim.sim.state;
    const page = await render(s, { accountId: jiraAdmin.accountId, product: "jira" });
    await change(
      page,
      byId(page.root(), "Textfield", "lifecycle.scimUrl"),
      `http://localhost/admin-api/scim/directory/${state.tenant.scim.directoryId}`,
    );
    // Passes the page's rules; the backend refuses `env:` references over the API.
    await change(page, byId(page.root(), "Textfield", "adminApiKey"), "env:ACCESSMAP_ADMIN_KEY");
    const before = (await s.h.t.store.getTenant(s.h.tenantId))!.updatedAt;
    await submit(page, one(page.root(), "Form"));

    expect(page.failures("invalid").map((r) => r.functionKey)).toEqual(["saveSettings"]);
    expect(one(page.root(), "SectionMessage").props.title).toBe("Some fields need attention");
    expect(byType(fieldBox(page, "Textfield", "adminApiKey"), "ErrorMessage").map(textOf)).toEqual([
      expect.stringMatching(/env: references/),
    ]);
    expect((await s.h.t.store.getTenant(s.h.tenantId))!.updatedAt).toBe(before);
  });

  it("tests the connection and shows each check in plain words", async () => {
    const s = await setup();
    const { jiraAdmin } = people(s.h.sim.sim.state);
    const page = await render(s, { accountId: jiraAdmin.accountId, product: "jira" });
    await click(page, one(page.root(), "LoadingButton", "Test connection"));
    const test = page.invokes.find((r) => r.functionKey === "testConnection")!;
    const checks = (test.answer as { data: { checks: Array<{ label: string; result: string; message: string }> } }).data
      .checks;
    expect(checks.length).toBeGreaterThan(0);
    for (const c of checks) {
      const row = byType(page.root(), "Inline", c.message);
      expect(row, c.label).toHaveLength(1);
      expect(textOf(row[0]!)).toContain(c.label);
      expect(byType(row[0]!, "Lozenge").map(textOf)).toEqual([c.result]);
    }
  });
});

describe("sync", () => {
  it("syncs now: the backend sync and the Forge crawl start, a progress bar while it runs, then the last run", async () => {
    const s = await setup();
    const { jiraAdmin } = people(s.h.sim.sim.state);
    // The app reads Jira and Confluence itself (the Forge mode).
    const patched = await s.h.t.call("PATCH", `/v1/tenants/${s.h.tenantId}`, { json: { siteAccess: "forge" } });
    expect(patched.status).toBe(200);
    const poller = manualPoller();
    const page = await render(s, { accountId: jiraAdmin.accountId, product: "jira" }, { poll: poller.poll });
    await selectTab(page, "Sync");
    expect(byType(page.root(), "ProgressBar")).toHaveLength(0);
    expect(poller.active()).toBe(0);

    await click(page, one(page.root(), "LoadingButton", "Sync now"));
    const started = one(page.root(), "SectionMessage", /Sync queued|already queued/);
    expect(started.props.title).toBe("Sync started");
    expect(textOf(started)).toMatch(/reading jira and confluence/);
    const queued = await s.h.t.store.listJobs({ tenantId: s.h.tenantId, limit: 5 });
    expect(queued[0]?.state).toBe("queued");
    expect(s.shim.pushed.map((p) => p.queueName)).toEqual(["crawl-jobs"]);

    // A worker takes the job: the page polls and shows the run going on.
    const job = await s.h.t.store.claimJob({ workerId: "test-worker", leaseMs: 60_000 });
    expect(job?.id).toBe(queued[0]?.id);
    await click(page, one(page.root(), "Button", "Refresh"));
    expect(byType(page.root(), "ProgressBar")).toHaveLength(1);
    expect(one(page.root(), "Heading", "Sync in progress")).toBeDefined();
    expect(poller.active()).toBe(1);

    // The crawl and the job finish; the next poll shows the last run per product and stops polling.
    const { runCrawlJob } = await import("@accessmap/forge-app/crawl/crawl");
    while (s.shim.pushed.length > 0) {
      await runCrawlJob({ body: s.shim.pushed.shift()!.body }, { sleep: async () => {} });
    }
    await s.h.t.store.completeJob(job!.id, "test-worker");
    await poller.tick(page);
    expect(byType(page.root(), "ProgressBar")).toHaveLength(0);
    expect(poller.active()).toBe(0);
    const rows = tableRows(one(page.root(), "DynamicTable"));
    const jira = rows.find((r) => r[0] === "Jira")!;
    expect(jira[1]).toBe("complete");
    expect(jira[2]).toMatch(/read by the Forge app/);
    expect(page.failures()).toEqual([]);
  });
});

describe("access explorer", () => {
  it("finds a person and shows their access by product with the paths; then who can access a project", async () => {
    const s = await setup();
    const state = s.h.sim.sim.state;
    const { jiraAdmin, plainJira } = people(state);
    const page = await render(s, { accountId: jiraAdmin.accountId, product: "jira" });
    await selectTab(page, "Access explorer");

    await change(page, byId(page.root(), "Textfield", "person-query"), plainJira.email);
    await click(page, one(page.root(), "Button", "Search people"));
    await click(page, one(page.root(), "Button", plainJira.displayName));
    const answer = page.invokes.find((r) => r.functionKey === "personAccess")!.answer as {
      data: { total: number; byProduct: Array<{ product: string; rows: unknown[] }> };
    };
    expect(one(page.root(), "Heading", plainJira.displayName).type).toBe("Heading");
    const tables = byType(page.root(), "DynamicTable");
    expect(tables.length).toBe(answer.data.byProduct.length);
    const jiraTable = tables.find((t) => String(t.props.caption).startsWith("Jira"))!;
    const rows = tableRows(jiraTable);
    expect(rows.length).toBe(answer.data.byProduct.find((g) => g.product === "jira")!.rows.length);
    expect(rows.length).toBeGreaterThan(0);
    // Every row names its path(s).
    for (const r of rows) expect(r[3]!.length).toBeGreaterThan(0);
    expect(rows.flatMap((r) => r[3]).join(" ")).toMatch(/group|role|lead|application|anyone|product/i);

    const project = state.tenant.jira.projects.find((p) => !p.archived)!;
    await change(page, byId(page.root(), "Select", "resource-kind"), { label: "Jira project", value: "jira_project" });
    await change(page, byId(page.root(), "Textfield", "resource-query"), project.key);
    await click(page, one(page.root(), "Button", "Search resources"));
    expect(page.invokes.find((r) => r.functionKey === "searchResources")!.payload).toEqual({
      query: project.key,
      type: "jira_project",
    });
    await click(page, byType(page.root(), "Button", project.name)[0]!);
    const holders = tableRows(
      byType(page.root(), "DynamicTable").find((t) => String(t.props.caption).startsWith("Who can access"))!,
    );
    expect(holders.length).toBeGreaterThan(0);
    for (const h of holders) expect(h[2]!.length).toBeGreaterThan(0);
    expect(page.failures()).toEqual([]);
  });
});

describe("insights", () => {
  it("states the licence savings first, charts the findings by severity and drills into one", async () => {
    const s = await setup();
    const { jiraAdmin } = people(s.h.sim.sim.state);
    const page = await render(s, { accountId: jiraAdmin.accountId, product: "jira" });
    const panel = await selectTab(page, "Insights");
    const overview = (
      page.invokes.find((r) => r.functionKey === "getInsights")!.answer as {
        data: {
          licenceSavings: { perProduct: Array<{ product: string; licences: number }> };
          findings: Array<{ kind: string; title: string; severity: string; count: number }>;
        };
      }
    ).data;

    // Savings come first, with the per-product figures.
    const first = findAll(panel, (n) => ["SectionMessage", "BarChart", "DynamicTable"].includes(n.type))[0]!;
    expect(first.type).toBe("SectionMessage");
    const total = overview.licenceSavings.perProduct.reduce((n, p) => n + p.licences, 0);
    expect(first.props.title).toMatch(new RegExp(`^${total} licences? to reclaim`));
    const perProduct = overview.licenceSavings.perProduct.filter((p) => p.licences > 0);
    expect(perProduct.length).toBeGreaterThan(0);
    const label: Record<string, string> = { "jira-software": "Jira", confluence: "Confluence", bitbucket: "Bitbucket" };
    for (const p of perProduct) expect(first.props.title).toContain(`${label[p.product] ?? p.product} ${p.licences}`);

    const chart = one(panel, "BarChart");
    const data = chart.props.data as Array<{ severity: string; count: number }>;
    expect(data.map((d) => d.severity)).toEqual(["critical", "high", "medium", "low"]);
    expect(data.reduce((n, d) => n + d.count, 0)).toBe(overview.findings.reduce((n, f) => n + f.count, 0));

    const findings = one(panel, "DynamicTable");
    expect(tableRows(findings)).toHaveLength(overview.findings.length);
    const target = overview.findings.find((f) => f.count > 0)!;
    await click(page, one(page.root(), "Button", `Show ${target.title}`));
    const detail = page.invokes.find((r) => r.functionKey === "insightDetail")!;
    expect(detail.payload).toEqual({ kind: target.kind });
    const detailRows = tableRows(one(page.root(), "DynamicTable"));
    expect(detailRows.length).toBe(Math.min(target.count, 200));
    expect(one(page.root(), "Heading", target.title)).toBeDefined();
    await click(page, one(page.root(), "Button", "Back to all findings"));
    expect(byType(page.root(), "BarChart")).toHaveLength(1);
  });
});

describe("lifecycle", () => {
  async function enableLifecycle(s: ForgeHarness) {
    const t = s.h.sim.sim.state.tenant;
    const res = await s.h.t.call("PATCH", `/v1/tenants/${s.h.tenantId}`, {
      json: {
        lifecycle: {
          enabled: true,
          scimUrl: `http://localhost/admin-api/scim/directory/${t.scim.directoryId}`,
          scimOrgId: t.org.id,
        },
      },
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }

  it("previews a deprovision, applies it only after confirmation, and shows each step's result", async () => {
    const s = await setup();
    await enableLifecycle(s);
    const sim = s.h.sim;
    const { jiraAdmin } = people(sim.sim.state);
    const leaver = ordinaryScimUsers(sim).find((u) => u.accountId !== jiraAdmin.accountId)!;
    const page = await render(s, { accountId: jiraAdmin.accountId, product: "jira" });
    await selectTab(page, "Lifecycle");

    // Nothing typed: the form says so, nothing is called.
    const invokes = page.invokes.length;
    await click(page, one(page.root(), "LoadingButton", "Preview"));
    expect(page.invokes.length).toBe(invokes);
    expect(byType(fieldBox(page, "Textfield", "user"), "ErrorMessage").map(textOf)).toEqual([
      "Enter an email, user name or account id.",
    ]);

    await change(page, byId(page.root(), "Textfield", "user"), leaver.userName);
    await change(page, byId(page.root(), "Checkbox", "suspendAccess"), false);
    await change(page, byId(page.root(), "Checkbox", "removeFromGroups"), false);
    const writes = sim.sim.log.writeCount();
    await click(page, one(page.root(), "LoadingButton", "Preview"));
    const steps = tableRows(one(page.root(), "DynamicTable"));
    expect(steps).toEqual([[expect.any(String), "pending", "active: true → active: false", "—"]]);
    expect(textOf(page.root())).toContain("Applying this plan makes 1 change.");
    // A preview is a dry run.
    expect(sim.sim.log.writeCount()).toBe(writes);
    expect(scimUser(sim, leaver.userName)?.active).toBe(true);
    expect(byType(page.root(), "Modal")).toHaveLength(0);

    await click(page, one(page.root(), "Button", "Apply this plan…"));
    const modal = one(page.root(), "Modal");
    expect(textOf(modal)).toContain("1 change will be made");
    // Cancelling changes nothing.
    await click(page, one(modal, "Button", "Cancel"));
    expect(byType(page.root(), "Modal")).toHaveLength(0);
    expect(scimUser(sim, leaver.userName)?.active).toBe(true);

    await click(page, one(page.root(), "Button", "Apply this plan…"));
    await click(page, one(page.root(), "LoadingButton", "Apply 1 change"));
    expect(scimUser(sim, leaver.userName)?.active).toBe(false);
    const results = tableRows(one(page.root(), "DynamicTable"));
    expect(results).toEqual([[expect.any(String), "ok", expect.any(String)]]);
    expect(page.invokes.find((r) => r.functionKey === "applyLifecycle")!.payload).toMatchObject({ confirm: true });
    expect(page.failures()).toEqual([]);
  });

  it("a deletion needs a second, explicit confirmation", async () => {
    const s = await setup();
    await enableLifecycle(s);
    const sim = s.h.sim;
    const { jiraAdmin } = people(sim.sim.state);
    const leaver = ordinaryScimUsers(sim).find((u) => u.accountId !== jiraAdmin.accountId)!;
    const page = await render(s, { accountId: jiraAdmin.accountId, product: "jira" });
    await selectTab(page, "Lifecycle");
    await change(page, byId(page.root(), "Select", "lifecycle-action"), {
      label: "Delete an account",
      value: "delete",
    });
    await change(page, byId(page.root(), "Textfield", "user"), leaver.userName);
    await click(page, one(page.root(), "LoadingButton", "Preview"));
    const plan = page.invokes.find((r) => r.functionKey === "planLifecycle")!.answer as {
      data: { deletes: boolean; writes: number };
    };
    expect(plan.data.deletes).toBe(true);
    expect(plan.data.writes).toBeGreaterThan(0);

    await click(page, one(page.root(), "Button", "Apply this plan…"));
    const apply = () => one(page.root(), "LoadingButton", /^Apply \d+ change/);
    expect(apply().props.isDisabled).toBe(true);
    await change(page, byId(page.root(), "Checkbox", "confirmDelete"), true);
    expect(apply().props.isDisabled).toBe(false);
    await click(page, apply());
    expect(page.invokes.find((r) => r.functionKey === "applyLifecycle")!.payload).toMatchObject({
      confirm: true,
      confirmDelete: true,
    });
    expect(page.failures()).toEqual([]);
    expect(scimUser(sim, leaver.userName)).toBeUndefined();
  });
});

describe("the entry point", () => {
  it("renders the page through ForgeReconciler.render", async () => {
    const s = await setup();
    const { jiraAdmin } = people(s.h.sim.sim.state);
    // Sets the invoke handler for this caller, then loads the entry, which renders a page of its own.
    const page = await render(s, { accountId: jiraAdmin.accountId, product: "jira" });
    const state = installFakeBridge();
    const before = state.roots.size;
    await page.act(async () => {
      await import("@accessmap/forge-app/admin/ui/index");
    });
    await page.settle();
    expect(state.roots.size).toBe(before + 1);
    const entryRoot = state.current!;
    expect(byType(entryRoot, "Tabs")).toHaveLength(1);
    expect(byProp(entryRoot, "Textfield", "id", "orgId")).toHaveLength(1);
  });
});
