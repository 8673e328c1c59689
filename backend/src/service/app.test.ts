import { afterEach, describe, expect, it } from "vitest";
import { makeModel, makeSnapshot } from "../store/testing/fixtures.js";
import { loadTenantConfig } from "./tenant-config.js";
import { type TestService, tenantBody, testService } from "./testing.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Body = any;

let t: TestService;
afterEach(async () => t?.close());

async function json(res: Response): Promise<Body> {
  return res.json();
}

async function create(name: string, extra: Record<string, unknown> = {}): Promise<Body> {
  const res = await t.call("POST", "/v1/tenants", { json: tenantBody(name, extra) });
  expect(res.status).toBe(201);
  return json(res);
}

async function mintKey(tenantId: string): Promise<string> {
  const res = await t.call("POST", `/v1/tenants/${tenantId}/api-keys`, { json: { label: "ci" } });
  expect(res.status).toBe(201);
  return (await json(res)).key;
}

function expectErrorShape(body: Body, code: string): void {
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect(typeof body.error.requestId).toBe("string");
}

async function commitModel(tenantId: string, runId: string, accounts = 3): Promise<number> {
  const s = await t.store.startSnapshot(tenantId, { runId });
  await t.store.commitSnapshot(tenantId, s.version, {
    snapshot: makeSnapshot(runId),
    model: makeModel(runId, accounts),
  });
  return s.version;
}

describe("tenants over HTTP", () => {
  it("creates, reads, lists, patches and deletes a tenant; secrets are write-only", async () => {
    t = await testService();
    const created = await create("acme", {
      schedule: { everyMinutes: 60 },
      adminApiKey: "admin-key-value",
      orgId: "o1",
    });
    expect(created).toMatchObject({
      name: "acme",
      secretsSet: ["adminApiKey", "productToken"],
      schedule: { everyMinutes: 60 },
      forgeInstallationId: null,
    });
    expect(created.config).toMatchObject({ atlassianUrl: "acme.atlassian.net", products: ["jira", "confluence"] });
    const text = JSON.stringify(created);
    expect(text).not.toContain("product-token-value");
    expect(text).not.toContain("admin-key-value");

    // Sealed at rest, and opened again for a sync.
    const stored = await t.store.getTenant(created.id);
    expect(JSON.stringify(stored?.config)).not.toContain("product-token-value");
    const blob = await t.store.getTenantSecrets(created.id);
    expect(Buffer.from(blob!).toString("latin1")).not.toContain("product-token-value");
    const config = await loadTenantConfig(t.store, t.keyring, stored!);
    expect(config.productToken?.reveal()).toBe("product-token-value");
    expect(config.adminApiKey?.reveal()).toBe("admin-key-value");

    const got = await json(await t.call("GET", `/v1/tenants/${created.id}`));
    expect(got).toEqual(created);

    const list = await json(await t.call("GET", "/v1/tenants"));
    expect(list.items.map((x: Body) => x.name)).toEqual(["acme"]);
    expect(list.next).toBeNull();

    // Merge patch: a new token, the admin key removed (and orgId with it), the schedule changed.
    const patched = await t.call("PATCH", `/v1/tenants/${created.id}`, {
      json: { productToken: "rotated-token", adminApiKey: null, orgId: null, schedule: { everyMinutes: 30 } },
    });
    expect(patched.status).toBe(200);
    const p = await json(patched);
    expect(p.secretsSet).toEqual(["productToken"]);
    expect(p.schedule).toEqual({ everyMinutes: 30 });
    expect(JSON.stringify(p)).not.toContain("rotated-token");
    const after = await loadTenantConfig(t.store, t.keyring, (await t.store.getTenant(created.id))!);
    expect(after.productToken?.reveal()).toBe("rotated-token");
    expect(after.adminApiKey).toBeNull();

    const del = await t.call("DELETE", `/v1/tenants/${created.id}`);
    expect(del.status).toBe(204);
    expect((await t.call("GET", `/v1/tenants/${created.id}`)).status).toBe(404);

    const audit = await t.store.listAudit(created.id);
    expect(audit.entries.map((e) => `${e.actor} ${e.action}`).reverse()).toEqual([
      "operator tenant.create",
      "operator tenant.update",
      "operator tenant.delete",
    ]);
    expect(JSON.stringify(audit)).not.toMatch(/product-token-value|rotated-token|admin-key-value/);
  });

  it("a patch changes only the fields it names: defaulted fields given at creation stay as they were", async () => {
    t = await testService();
    const body = tenantBody("acme", {
      adminApiUrl: "http://127.0.0.1:9/admin",
      concurrency: 3,
      skipBranchProtectionDiscovery: true,
    });
    const created = await json(await t.call("POST", "/v1/tenants", { json: body }));
    const patched = await t.call("PATCH", `/v1/tenants/${created.id}`, { json: { schedule: { everyMinutes: 60 } } });
    expect(patched.status).toBe(200);
    expect((await json(patched)).config).toMatchObject({
      adminApiUrl: "http://127.0.0.1:9/admin",
      concurrency: 3,
      skipBranchProtectionDiscovery: true,
    });
  });
  it("refuses an invalid configuration naming each field, never echoing values", async () => {
    t = await testService();
    const res = await t.call("POST", "/v1/tenants", {
      json: { name: "", products: ["jira", "nope"], productToken: "SECRET-VALUE-1", bogus: "SECRET-VALUE-2" },
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    expectErrorShape(body, "validation_failed");
    const paths = body.error.details.issues.map((i: Body) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["body.name", "body.products.1", "body.bogus"]));
    expect(JSON.stringify(body)).not.toContain("SECRET-VALUE");
  });

  it("refuses env: secret references over the API", async () => {
    t = await testService();
    const res = await t.call("POST", "/v1/tenants", {
      json: tenantBody("acme", { productToken: "env:ACCESSMAP_MASTER_KEY" }),
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error.details.issues).toEqual([expect.objectContaining({ path: "body.productToken" })]);
  });

  it("refuses a second tenant of the same name or Forge installation (409)", async () => {
    t = await testService();
    await create("acme", { forgeInstallationId: "inst-1" });
    const dupName = await t.call("POST", "/v1/tenants", { json: tenantBody("acme") });
    expect(dupName.status).toBe(409);
    expectErrorShape(await json(dupName), "conflict");
    const dupInst = await t.call("POST", "/v1/tenants", {
      json: tenantBody("other", { forgeInstallationId: "inst-1" }),
    });
    expect(dupInst.status).toBe(409);
  });

  it("shows a minted API key once, lists keys without it, and revokes", async () => {
    t = await testService();
    const acme = await create("acme");
    const res = await t.call("POST", `/v1/tenants/${acme.id}/api-keys`, { json: { label: "ci" } });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const minted = await json(res);
    expect(minted.key).toMatch(/^am_[0-9a-f]{16}_/);
    const list = await json(await t.call("GET", `/v1/tenants/${acme.id}/api-keys`));
    expect(list.items).toEqual([{ id: minted.id, label: "ci", createdAt: minted.createdAt, revokedAt: null }]);
    expect(JSON.stringify(list)).not.toContain(minted.key);
    expect((await t.call("GET", `/v1/tenants/${acme.id}`, { token: minted.key })).status).toBe(200);
    expect((await t.call("DELETE", `/v1/tenants/${acme.id}/api-keys/${minted.id}`)).status).toBe(204);
    expect((await t.call("GET", `/v1/tenants/${acme.id}`, { token: minted.key })).status).toBe(401);
    expect((await t.call("DELETE", `/v1/tenants/${acme.id}/api-keys/${minted.id}`)).status).toBe(404);
  });
});

describe("authentication and authorization", () => {
  it("keeps 401 (no valid credential) and 403 (valid, not allowed) apart", async () => {
    t = await testService();
    const a = await create("a");
    const b = await create("b");
    const keyA = await mintKey(a.id);
    const cases: Array<[string, string, string, string | null, number]> = [
      ["no credential", "GET", `/v1/tenants/${a.id}`, null, 401],
      ["garbage", "GET", `/v1/tenants/${a.id}`, "not-a-key", 401],
      ["well-formed unknown key", "GET", `/v1/tenants/${a.id}`, `am_0123456789abcdef_${"x".repeat(43)}`, 401],
      ["operator token prefix", "GET", `/v1/tenants/${a.id}`, t.operator.slice(0, -1), 401],
      ["own tenant", "GET", `/v1/tenants/${a.id}`, keyA, 200],
      ["other tenant", "GET", `/v1/tenants/${b.id}`, keyA, 403],
      ["other tenant's syncs", "POST", `/v1/tenants/${b.id}/syncs`, keyA, 403],
      ["nonexistent tenant", "GET", "/v1/tenants/does-not-exist", keyA, 403],
      ["operator route: create", "POST", "/v1/tenants", keyA, 403],
      ["operator route: patch own", "PATCH", `/v1/tenants/${a.id}`, keyA, 403],
      ["operator route: delete own", "DELETE", `/v1/tenants/${a.id}`, keyA, 403],
      ["operator route: mint", "POST", `/v1/tenants/${a.id}/api-keys`, keyA, 403],
      ["operator on unknown tenant", "GET", "/v1/tenants/does-not-exist", t.operator, 404],
      ["health needs nothing", "GET", "/healthz", null, 200],
    ];
    for (const [name, method, path, token, status] of cases) {
      const res = await t.call(method, path, { token, json: method === "GET" ? undefined : tenantBody("x") });
      expect(res.status, name).toBe(status);
      if (status >= 400)
        expectErrorShape(
          await json(res),
          status === 401 ? "unauthenticated" : status === 403 ? "forbidden" : "not_found",
        );
    }
  });

  it("a tenant key lists only its own tenant", async () => {
    t = await testService();
    const a = await create("a");
    await create("b");
    const keyA = await mintKey(a.id);
    const list = await json(await t.call("GET", "/v1/tenants", { token: keyA }));
    expect(list.items.map((x: Body) => x.id)).toEqual([a.id]);
  });

  it("answers 503 on /forge routes when Forge auth is not configured", async () => {
    t = await testService();
    const res = await t.call("GET", "/forge/v1/status", { token: "eyJhbGciOiJSUzI1NiJ9.e30.sig" });
    expect(res.status).toBe(503);
    expectErrorShape(await json(res), "forge_not_configured");
  });
});

describe("request handling", () => {
  it("limits the body size (413) on every route, before auth-dependent work", async () => {
    t = await testService({ bodyLimitBytes: 2048 });
    const big = JSON.stringify({ ...tenantBody("big"), workspace: "x".repeat(4096) });
    const res = await t.call("POST", "/v1/tenants", { body: big, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    expectErrorShape(await json(res), "payload_too_large");
    // Also without Content-Length (a stream).
    const stream = new ReadableStream({
      start(ctrl) {
        ctrl.enqueue(new TextEncoder().encode(big));
        ctrl.close();
      },
    });
    const res2 = await t.app.request("/v1/tenants", {
      method: "POST",
      body: stream,
      headers: { authorization: `Bearer ${t.operator}`, "content-type": "application/json" },
      duplex: "half",
    } as RequestInit & { duplex: "half" });
    expect(res2.status).toBe(413);
    // A route that takes no body is limited too.
    const res3 = await t.call("DELETE", "/v1/tenants/x", { body: "x".repeat(4096) });
    expect(res3.status).toBe(413);
  });

  it("answers malformed JSON, wrong media type and unknown routes in the one error shape", async () => {
    t = await testService();
    const bad = await t.call("POST", "/v1/tenants", {
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(bad.status).toBe(400);
    expectErrorShape(await json(bad), "invalid_json");
    const media = await t.call("POST", "/v1/tenants", { body: "name=x", headers: { "content-type": "text/plain" } });
    expect(media.status).toBe(415);
    expectErrorShape(await json(media), "unsupported_media_type");
    const missing = await t.call("GET", "/v1/nope");
    expect(missing.status).toBe(404);
    expectErrorShape(await json(missing), "not_found");
    const badQuery = await t.call("GET", "/v1/tenants?limit=0");
    expect(badQuery.status).toBe(400);
    const body = await json(badQuery);
    expectErrorShape(body, "validation_failed");
    expect(body.error.details.issues[0].path).toBe("query.limit");
  });

  it("echoes a good X-Request-Id, replaces a bad one, and puts it in error bodies and logs", async () => {
    t = await testService();
    const res = await t.call("GET", "/v1/tenants/x", { token: null, headers: { "x-request-id": "req-123" } });
    expect(res.headers.get("x-request-id")).toBe("req-123");
    expect((await json(res)).error.requestId).toBe("req-123");
    const line = t.logs.map((l) => JSON.parse(l)).find((l) => l.requestId === "req-123" && l.msg === "request");
    expect(line).toMatchObject({ status: 401, route: "/v1/tenants/:tenantId", method: "GET" });
    const res2 = await t.call("GET", "/healthz", { headers: { "x-request-id": "bad id with spaces" } });
    expect(res2.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers an unexpected error with a generic 500 and logs it with the request id", async () => {
    t = await testService();
    const acme = await create("acme");
    const original = t.store.listSnapshots.bind(t.store);
    t.store.listSnapshots = async () => {
      throw new Error("database exploded: password=hunter2");
    };
    const res = await t.call("GET", `/v1/tenants/${acme.id}/snapshots`, { headers: { "x-request-id": "boom-1" } });
    t.store.listSnapshots = original;
    expect(res.status).toBe(500);
    const body = await json(res);
    expectErrorShape(body, "internal");
    expect(body.error.message).not.toContain("exploded");
    const logged = t.logs.join("\n");
    expect(logged).toContain("boom-1");
    expect(logged).toContain("database exploded");
    expect(logged).not.toContain("hunter2");
  });

  it("paginates every list with limit ≤ 200 and an opaque cursor", async () => {
    t = await testService();
    for (let i = 0; i < 5; i++) await create(`t${i}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const page: Body = await json(await t.call("GET", `/v1/tenants${q}`));
      seen.push(...page.items.map((x: Body) => x.name));
      cursor = page.next;
      pages++;
    } while (cursor);
    // Creation order (ties broken by id), each exactly once.
    expect([...seen].sort()).toEqual(["t0", "t1", "t2", "t3", "t4"]);
    expect(seen).toEqual((await t.store.listTenants()).map((x) => x.name));
    expect(pages).toBe(3);
    expect((await t.call("GET", "/v1/tenants?limit=201")).status).toBe(400);
    const foreign = Buffer.from(JSON.stringify({ k: "snapshots", b: 3 })).toString("base64url");
    const wrong = await t.call("GET", `/v1/tenants?cursor=${foreign}`);
    expect(wrong.status).toBe(400);
    expectErrorShape(await json(wrong), "invalid_cursor");

    // Snapshots (keyset by version) and audit (the store's cursor, wrapped).
    const tenant = (await t.store.listTenants())[0]!;
    for (let i = 1; i <= 3; i++) await commitModel(tenant.id, `run-${i}`);
    const p1: Body = await json(await t.call("GET", `/v1/tenants/${tenant.id}/snapshots?limit=2`));
    expect(p1.items.map((s: Body) => s.version)).toEqual([3, 2]);
    const p2: Body = await json(await t.call("GET", `/v1/tenants/${tenant.id}/snapshots?limit=2&cursor=${p1.next}`));
    expect(p2.items.map((s: Body) => s.version)).toEqual([1]);
    expect(p2.next).toBeNull();
    await mintKey(tenant.id);
    await t.call("POST", `/v1/tenants/${tenant.id}/syncs`);
    const a1: Body = await json(await t.call("GET", `/v1/tenants/${tenant.id}/audit?limit=2`));
    expect(a1.items.map((e: Body) => e.action)).toEqual(["sync.request", "apikey.create"]);
    const a2: Body = await json(await t.call("GET", `/v1/tenants/${tenant.id}/audit?limit=2&cursor=${a1.next}`));
    expect(a2.items.map((e: Body) => e.action)).toEqual(["tenant.create"]);
    expect(a2.next).toBeNull();
  });

  it("model-list cursors are bound to their version (409 once the model moved)", async () => {
    t = await testService();
    const acme = await create("acme");
    await commitModel(acme.id, "run-1", 3);
    const first: Body = await json(await t.call("GET", `/v1/tenants/${acme.id}/access/acct-1?limit=1`));
    expect(first.model.version).toBe(1);
    expect(first.next).not.toBeNull();
    const second = await t.call("GET", `/v1/tenants/${acme.id}/access/acct-1?limit=1&cursor=${first.next}`);
    expect(second.status).toBe(200);
    await commitModel(acme.id, "run-2", 3);
    const stale = await t.call("GET", `/v1/tenants/${acme.id}/access/acct-1?limit=1&cursor=${first.next}`);
    expect(stale.status).toBe(409);
    expectErrorShape(await json(stale), "cursor_stale");
  });
});

describe("syncs and snapshots over HTTP", () => {
  it("deduplicates a queued sync, follows and cancels it, and audits each write", async () => {
    t = await testService();
    const acme = await create("acme");
    const key = await mintKey(acme.id);
    const r1 = await t.call("POST", `/v1/tenants/${acme.id}/syncs`, { token: key });
    expect(r1.status).toBe(202);
    const j1 = await json(r1);
    expect(j1).toMatchObject({
      created: true,
      job: { state: "queued", requestedBy: expect.stringMatching(/^apikey:/) },
    });
    const r2 = await json(await t.call("POST", `/v1/tenants/${acme.id}/syncs`, { json: {} }));
    expect(r2).toMatchObject({ created: false, job: { id: j1.job.id } });
    const got = await json(await t.call("GET", `/v1/tenants/${acme.id}/syncs/${j1.job.id}`, { token: key }));
    expect(got).toMatchObject({ id: j1.job.id, state: "queued", progress: null });
    const list = await json(await t.call("GET", `/v1/tenants/${acme.id}/syncs`, { token: key }));
    expect(list.items.map((j: Body) => j.id)).toEqual([j1.job.id]);
    const cancelled = await json(
      await t.call("POST", `/v1/tenants/${acme.id}/syncs/${j1.job.id}/cancel`, { token: key }),
    );
    expect(cancelled.state).toBe("cancelled");
    expect((await t.call("POST", `/v1/tenants/${acme.id}/syncs/${j1.job.id}/cancel`)).status).toBe(409);
    expect((await t.call("GET", `/v1/tenants/${acme.id}/syncs/nope`)).status).toBe(404);
    const audit = await json(await t.call("GET", `/v1/tenants/${acme.id}/audit`));
    expect(audit.items.map((e: Body) => `${e.actor.split(":")[0]} ${e.action} ${e.result}`)).toEqual([
      "apikey sync.cancel cancelled",
      "operator sync.request deduplicated",
      "apikey sync.request queued",
      "operator apikey.create ok",
      "operator tenant.create ok",
    ]);
  });

  it("approves and rejects held runs, and diffs two versions", async () => {
    t = await testService();
    const acme = await create("acme");
    const v1 = await commitModel(acme.id, "run-1", 4);
    const held = await t.store.startSnapshot(acme.id, { runId: "run-2" });
    await t.store.commitSnapshot(acme.id, held.version, {
      snapshot: makeSnapshot("run-2"),
      model: makeModel("run-2", 2),
      hold: { reason: "2 of 4 accounts would disappear" },
    });
    const snap = await json(await t.call("GET", `/v1/tenants/${acme.id}/snapshots/${held.version}`));
    expect(snap).toMatchObject({ state: "held", current: false, reason: "2 of 4 accounts would disappear" });
    const diff = await json(await t.call("GET", `/v1/tenants/${acme.id}/snapshots/diff?from=${v1}&to=${held.version}`));
    expect(diff.summary["account.removed"]).toBe(2);
    expect(diff.items.length).toBeGreaterThan(0);
    expect((await t.call("POST", `/v1/tenants/${acme.id}/snapshots/${v1}/approve`)).status).toBe(409);
    const approved = await json(await t.call("POST", `/v1/tenants/${acme.id}/snapshots/${held.version}/approve`));
    expect(approved).toMatchObject({ state: "complete", current: true, decidedBy: "operator" });
    const q = await json(await t.call("GET", `/v1/tenants/${acme.id}/search?q=user`));
    expect(q.model.version).toBe(held.version);

    const held3 = await t.store.startSnapshot(acme.id, { runId: "run-3" });
    await t.store.commitSnapshot(acme.id, held3.version, {
      snapshot: makeSnapshot("run-3"),
      model: makeModel("run-3", 0),
      hold: { reason: "all accounts would disappear" },
    });
    const rejected = await json(
      await t.call("POST", `/v1/tenants/${acme.id}/snapshots/${held3.version}/reject`, {
        json: { reason: "looks wrong" },
      }),
    );
    expect(rejected).toMatchObject({ state: "failed", current: false });
    expect((await t.call("GET", `/v1/tenants/${acme.id}/snapshots/99`)).status).toBe(404);
  });

  it("readyz checks the store", async () => {
    t = await testService();
    expect(await json(await t.call("GET", "/readyz", { token: null }))).toEqual({
      status: "ready",
      store: "sqlite",
      schemaVersion: expect.any(Number),
    });
    t.store.schemaVersion = async () => {
      throw new Error("down");
    };
    const res = await t.call("GET", "/readyz", { token: null });
    expect(res.status).toBe(503);
    expectErrorShape(await json(res), "unavailable");
  });
});
