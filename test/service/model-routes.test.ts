/**
 * The model routes answer from the committed model, exactly as the query functions and writers do: a tenant is
 * created through the API, a model is committed by `runSync` against the in-process simulator, and each route's
 * answer (every page of it) is compared with the direct computation on the stored model.
 */
import { Writable } from "node:stream";
import { writeAccessCsv } from "@accessmap/backend/model/exports/csv";
import { writeModelJson } from "@accessmap/backend/model/exports/json";
import { buildOaaPayloads } from "@accessmap/backend/model/exports/oaa";
import { computeInsights } from "@accessmap/backend/model/insights/index";
import { accessOf, indexModel, search, whoCanAccess, why } from "@accessmap/backend/model/queries";
import type { Model } from "@accessmap/backend/model/types";
import { loadTenantConfig } from "@accessmap/backend/service/tenant-config";
import { type TestService, testService } from "@accessmap/backend/service/testing";
import { runSync } from "@accessmap/backend/sync/run-sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestSim, ORIGIN } from "../atlassian-sim/testing.js";
import { simConfigInput } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Body = any;

let t: TestService;
let tenantId = "";
let key = "";
let model: Model;
let version = 0;

async function get(path: string): Promise<Body> {
  const res = await t.call("GET", path, { token: key });
  expect(res.status, path).toBe(200);
  return res.json();
}

/** Every item of a paginated route, following `next`. */
async function all(path: string, limit = 37): Promise<{ items: Body[]; pages: Body[] }> {
  const pages: Body[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page: Body = await get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
    pages.push(page);
    cursor = page.next;
  } while (cursor);
  return { items: pages.flatMap((p) => p.items), pages };
}

async function collect(write: (out: Writable) => Promise<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  await write(out);
  return Buffer.concat(chunks).toString("utf8");
}

beforeAll(async () => {
  t = await testService();
  const sim = makeTestSim("S", 11);
  const created = await t.call("POST", "/v1/tenants", { json: simConfigInput(sim.sim.state.tenant, ORIGIN) });
  expect(created.status).toBe(201);
  tenantId = ((await created.json()) as { id: string }).id;
  key = ((await (await t.call("POST", `/v1/tenants/${tenantId}/api-keys`)).json()) as { key: string }).key;
  // No model yet: the model routes say so.
  const none = await t.call("GET", `/v1/tenants/${tenantId}/search?q=a`, { token: key });
  expect(none.status).toBe(404);
  expect(((await none.json()) as Body).error.code).toBe("no_model");

  const tenant = (await t.store.getTenant(tenantId))!;
  const config = await loadTenantConfig(t.store, t.keyring, tenant);
  const result = await runSync(t.store, tenantId, config, {
    send: simSend(sim),
    schemaMode: "throw",
    retry: { baseDelayMs: 5, maxDelayMs: 20, deadlineMs: 30_000, maxRetries: 1 },
  });
  expect(result.outcome).toBe("complete");
  const current = (await t.store.getCurrentModel(tenantId))!;
  model = current.model;
  version = current.version;
}, 120_000);

afterAll(async () => t?.close());

describe("model routes answer from the committed model", () => {
  it("access of one account: every entry, every page, as accessOf", async () => {
    const idx = indexModel(model);
    const busiest = [...idx.byPrincipal.entries()]
      .filter(([p]) => idx.accounts.has(p))
      .sort((a, b) => b[1].length - a[1].length)[0]![0];
    const account = idx.accounts.get(busiest)!;
    const expected = accessOf(idx, busiest)!;
    for (const query of [busiest, ...(account.email ? [account.email.toUpperCase()] : [])]) {
      const { items, pages } = await all(`/v1/tenants/${tenantId}/access/${encodeURIComponent(query)}`);
      expect(pages.length).toBeGreaterThan(1);
      expect(pages.every((p) => p.model.version === version)).toBe(true);
      expect(pages[0].accountId).toBe(busiest);
      const strip = ({ through: _t, ...e }: Body) => e;
      expect(items.filter((e) => e.through === "direct").map(strip)).toEqual(expected.direct);
      expect(items.filter((e) => e.through === "pseudo").map(strip)).toEqual(expected.throughPseudo);
      expect(items.filter((e) => e.through === "dormant").map(strip)).toEqual(expected.dormant);
    }
    const missing = await t.call("GET", `/v1/tenants/${tenantId}/access/nobody@nowhere.example`, { token: key });
    expect(missing.status).toBe(404);
  });

  it("who can access a resource (ids with / encoded), and why", async () => {
    const idx = indexModel(model);
    const repo = model.resources.find((r) => r.type === "bitbucket_repo")!;
    expect(repo.id).toContain("/");
    const expected = whoCanAccess(idx, "bitbucket_repo", repo.id);
    const { items, pages } = await all(
      `/v1/tenants/${tenantId}/resources/bitbucket_repo/${encodeURIComponent(repo.id)}/access`,
      5,
    );
    expect(pages[0].resource).toEqual(repo);
    expect(items.filter((e) => !e.pseudo).map(({ pseudo: _p, ...e }) => e)).toEqual(expected.accounts);
    expect(items.filter((e) => e.pseudo).map(({ pseudo: _p, ...e }) => e)).toEqual(expected.pseudo);

    const project = model.resources.find((r) => r.type === "jira_project")!;
    const perm = await get(
      `/v1/tenants/${tenantId}/resources/jira_project/${project.id}/access?permission=BROWSE_PROJECTS&limit=200`,
    );
    expect(perm.items.every((e: Body) => e.permission === "BROWSE_PROJECTS")).toBe(true);

    const entry = expected.accounts[0]!;
    const w = await get(
      `/v1/tenants/${tenantId}/why?account=${entry.principal}&resourceType=bitbucket_repo&resourceId=${encodeURIComponent(repo.id)}&permission=${entry.permission}`,
    );
    const { model: ref, ...rest } = w;
    expect(ref.version).toBe(version);
    expect(rest).toEqual(
      JSON.parse(JSON.stringify(why(idx, entry.principal, "bitbucket_repo", repo.id, entry.permission))),
    );
    expect(rest.granted).toBe(true);
    const bad = await t.call(
      "GET",
      `/v1/tenants/${tenantId}/why?account=x&resourceType=nope&resourceId=y&permission=z`,
      {
        token: key,
      },
    );
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Body).error.details.issues[0].path).toBe("query.resourceType");
  });

  it("search", async () => {
    const idx = indexModel(model);
    const s = search(idx, "a", 1000);
    const { items } = await all(`/v1/tenants/${tenantId}/search?q=a`, 50);
    expect(items.filter((i) => i.kind === "account").map((i) => i.account)).toEqual(s.accounts);
    expect(items.filter((i) => i.kind === "group").map((i) => i.group)).toEqual(s.groups);
    expect(items.filter((i) => i.kind === "resource").map((i) => i.resource)).toEqual(s.resources);
  });

  it("exports stream the writers' bytes and name the model version", async () => {
    const csv = await t.call("GET", `/v1/tenants/${tenantId}/exports/access.csv`, { token: key });
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.headers.get("x-model-version")).toBe(String(version));
    expect(await csv.text()).toBe(await collect((out) => writeAccessCsv(model, out)));
    const expanded = await t.call("GET", `/v1/tenants/${tenantId}/exports/access.csv?expand=true`, { token: key });
    expect(await expanded.text()).toBe(await collect((out) => writeAccessCsv(model, out, { expand: true })));
    const json = await t.call("GET", `/v1/tenants/${tenantId}/exports/model.json`, { token: key });
    expect(await json.text()).toBe(await collect((out) => writeModelJson(model, out)));
    const oaa = await get(`/v1/tenants/${tenantId}/exports/oaa`);
    expect(oaa.payloads).toEqual(JSON.parse(JSON.stringify(buildOaaPayloads(model))));
    const jira = await get(`/v1/tenants/${tenantId}/exports/oaa?product=jira`);
    expect(jira.payloads.map((p: Body) => p.product)).toEqual(["jira"]);
  });

  it("insights, as computeInsights", async () => {
    const { items, pages } = await all(`/v1/tenants/${tenantId}/insights?inactiveDays=30&maxEvidence=5`, 3);
    expect(pages[0].model.version).toBe(version);
    const expected = computeInsights(model, { inactiveDays: 30, maxEvidence: 5, now: new Date() });
    expect(items.map((f) => [f.kind, f.count])).toEqual(expected.map((f) => [f.kind, f.count]));
  });
});
