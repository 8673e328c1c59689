/**
 * X1 at the service level: a canary secret is planted as a tenant's productToken and adminApiKey through the API
 * (and made the simulator's real credentials, so the sync uses it on the wire). Then many routes are driven —
 * reads, writes, failing requests, a sync through the worker, a failing sync, model queries and exports — while
 * every log line, everything written to stdout/stderr and every response (status line, headers, body) is
 * captured. The canary must appear nowhere, nor in the store's clear-text columns, audit log or job records.
 *
 * The canary deliberately looks like no known token format, so the test shows that secrets do not flow into
 * output at all, not merely that a pattern scrubs them.
 */

import { randomBytes } from "node:crypto";
import { MasterKeyring } from "@accessmap/backend/security/envelope";
import { createLogger } from "@accessmap/backend/security/logger";
import { createService, type Service } from "@accessmap/backend/service/app";
import { openSqliteStore } from "@accessmap/backend/store/sqlite";
import type { Store } from "@accessmap/backend/store/store";
import { startSyncWorker } from "@accessmap/backend/sync/worker";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { makeTestSim, ORIGIN } from "../atlassian-sim/testing.js";
import { simConfigInput } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";

const CANARY = `cnry${randomBytes(12).toString("hex")}Zq`;
const OPERATOR = "operator-token-for-the-canary-test-0123456789";

const outputs: string[] = [];
let store: Store;

beforeEach(() => {
  outputs.length = 0;
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    vi.spyOn(stream, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      outputs.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write);
  }
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      outputs.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
  }
});

afterEach(async () => {
  vi.restoreAllMocks();
  await store?.close();
});

describe("canary secret (X1, service)", () => {
  it("never appears in logs, output or responses, across many routes, failures and syncs", async () => {
    const t = makeTestSim("S", 5);
    const creds = t.sim.state.tenant.credentials;
    creds.productUser.token = CANARY;
    creds.adminApiKey = CANARY;

    store = await openSqliteStore({ path: ":memory:" });
    const keyring = MasterKeyring.from([{ id: "k1", key: randomBytes(32) }]);
    const logger = createLogger({ level: "trace", write: (line) => void outputs.push(line) });
    const service: Service = createService({
      store,
      keyring,
      logger,
      operatorToken: OPERATOR,
      validateResponses: true,
    });
    const worker = startSyncWorker({
      store,
      keyring,
      send: simSend(t),
      logger,
      concurrency: 1,
      pollMs: 60_000,
      retry: { baseDelayMs: 5, maxDelayMs: 20, deadlineMs: 30_000, maxRetries: 1 },
      retryDelayMs: () => 0,
      schemaMode: "throw",
    });

    const seen: string[] = [];
    const call = async (
      method: string,
      path: string,
      opts: { token?: string | null; json?: unknown; body?: string; headers?: Record<string, string> } = {},
    ) => {
      const headers = new Headers(opts.headers);
      const token = opts.token === undefined ? OPERATOR : opts.token;
      if (token !== null) headers.set("authorization", `Bearer ${token}`);
      let body = opts.body;
      if (opts.json !== undefined) {
        body = JSON.stringify(opts.json);
        headers.set("content-type", "application/json");
      }
      const res = await service.app.request(path, { method, headers, body });
      const text = await res.text();
      const headerLines: string[] = [];
      res.headers.forEach((v, k) => void headerLines.push(`${k}: ${v}`));
      seen.push(`${res.status} ${headerLines.join("\n")}\n${text}`);
      return { status: res.status, text, json: () => JSON.parse(text) };
    };

    try {
      // Create with the canary as productToken and adminApiKey.
      const input = simConfigInput(t.sim.state.tenant, ORIGIN);
      expect(input.productToken).toBe(CANARY);
      expect(input.adminApiKey).toBe(CANARY);
      const created = await call("POST", "/v1/tenants", { json: { ...input, schedule: { everyMinutes: 60 } } });
      expect(created.status).toBe(201);
      const tenantId = created.json().id as string;
      const other = await call("POST", "/v1/tenants", {
        json: {
          name: "other",
          atlassianUrl: "o.atlassian.net",
          products: ["jira"],
          productUser: "u@o",
          productToken: "x",
        },
      });
      const otherId = other.json().id as string;
      const key = (await call("POST", `/v1/tenants/${tenantId}/api-keys`, { json: { label: "ci" } })).json()
        .key as string;
      const otherKey = (await call("POST", `/v1/tenants/${otherId}/api-keys`)).json().key as string;

      // Failing requests carrying the canary in every place a client could put it.
      await call("GET", `/v1/tenants/${tenantId}`, { token: CANARY });
      await call("GET", `/v1/tenants/${tenantId}`, { token: `am_0123456789abcdef_${CANARY}${CANARY}` });
      await call("GET", `/v1/tenants/${tenantId}`, { token: null, headers: { authorization: `Basic ${CANARY}` } });
      await call("GET", `/v1/tenants/${tenantId}`, { token: otherKey });
      await call("POST", "/v1/tenants", { token: key, json: input });
      await call("POST", "/v1/tenants", { json: { ...input, products: [] } });
      await call("POST", "/v1/tenants", { json: { ...input, name: "dup", unknownField: CANARY, productToken: 42 } });
      await call("POST", "/v1/tenants", { json: input }); // 409: the name exists
      await call("POST", "/v1/tenants", {
        body: `{"productToken":"${CANARY}"`,
        headers: { "content-type": "application/json" },
      });
      await call("POST", "/v1/tenants", { body: `productToken=${CANARY}`, headers: { "content-type": "text/plain" } });
      await call("PATCH", `/v1/tenants/${tenantId}`, { json: { productToken: CANARY, products: [] } });
      await call("PATCH", `/v1/tenants/${tenantId}`, { json: { lifecycle: { scimToken: CANARY, scimUrl: "nope" } } });
      await call("PATCH", `/v1/tenants/${tenantId}`, { json: { productToken: `env:${CANARY}` } });
      await call("PATCH", `/v1/tenants/${tenantId}`, { token: key, json: { productToken: CANARY } });
      await call("PATCH", `/v1/tenants/${tenantId}`, {
        body: CANARY.repeat(100_000),
        headers: { "content-type": "application/json" },
      });
      await call("GET", `/v1/tenants/${tenantId}/syncs?cursor=${CANARY}`);
      await call("GET", `/v1/tenants/${tenantId}/access/${CANARY}`);
      await call("GET", "/v1/nope", { headers: { "x-api-key": CANARY, cookie: `session=${CANARY}` } });

      // Successful writes and reads.
      expect(
        (
          await call("PATCH", `/v1/tenants/${tenantId}`, {
            json: { productToken: CANARY, schedule: { everyMinutes: 120 } },
          })
        ).status,
      ).toBe(200);
      await call("GET", `/v1/tenants/${tenantId}`);
      await call("GET", `/v1/tenants/${tenantId}`, { token: key });
      await call("GET", "/v1/tenants");
      await call("GET", "/v1/tenants", { token: key });

      // A sync through the worker, using the canary against the simulator.
      const sync = await call("POST", `/v1/tenants/${tenantId}/syncs`, { token: key });
      expect(sync.status).toBe(202);
      await worker.drain();
      const job = (await call("GET", `/v1/tenants/${tenantId}/syncs/${sync.json().job.id}`, { token: key })).json();
      expect(job.state, JSON.stringify(job)).toBe("succeeded");
      expect(t.sim.state.tenant.credentials.productUser.token).toBe(CANARY);

      // A sync in which the admin API rejects the key and Confluence fails: partial, with reasons.
      creds.adminApiKey = "no-longer-the-canary";
      t.sim.faults.rules = [{ api: "confluence", kind: "status", status: 500 }];
      await call("POST", `/v1/tenants/${tenantId}/syncs`);
      await worker.drain();
      t.sim.faults.rules = [{ kind: "status", status: 401 }];
      await call("POST", `/v1/tenants/${tenantId}/syncs`);
      await worker.drain();
      t.sim.faults.rules = [];
      creds.adminApiKey = CANARY;

      // Every read route, including the model and exports.
      const base = `/v1/tenants/${tenantId}`;
      const model = (await store.getCurrentModel(tenantId))!.model;
      const account = model.access.find((e) => !e.principal.includes(":") && e.principal !== "anonymous")!;
      const reads = [
        `${base}/syncs`,
        `${base}/snapshots`,
        `${base}/snapshots/1`,
        `${base}/snapshots/diff?from=1&to=2`,
        `${base}/access/${encodeURIComponent(account.principal)}`,
        `${base}/resources/${account.resourceType}/${encodeURIComponent(account.resourceId)}/access`,
        `${base}/why?account=${account.principal}&resourceType=${account.resourceType}&resourceId=${encodeURIComponent(account.resourceId)}&permission=${account.permission}`,
        `${base}/search?q=a`,
        `${base}/exports/access.csv?expand=true`,
        `${base}/exports/model.json`,
        `${base}/exports/oaa`,
        `${base}/insights`,
        `${base}/audit?limit=200`,
        `${base}/api-keys`,
        "/openapi.json",
        "/docs",
        "/healthz",
        "/readyz",
      ];
      for (const path of reads) {
        const r = await call("GET", path, { token: path.endsWith("/api-keys") ? OPERATOR : key });
        expect(r.status, path).toBe(200);
      }
      await call("POST", `${base}/snapshots/1/approve`); // 409: not held
      await call("DELETE", `/v1/tenants/${otherId}`);

      // Nothing anywhere carries the canary.
      const everything = [...seen, ...outputs].join("\n");
      expect(seen.length).toBeGreaterThan(40);
      expect(outputs.length).toBeGreaterThan(40);
      expect(everything).not.toContain(CANARY);

      // Nor the store's clear text: tenant config, audit, jobs, snapshot records.
      const stored = await store.getTenant(tenantId);
      const audit = await store.listAudit(tenantId, { limit: 1000 });
      const jobs = await store.listJobs({ tenantId });
      const snapshots = await store.listSnapshots(tenantId);
      const clear = JSON.stringify({ stored, audit, jobs, snapshots });
      // The failing syncs really failed (and said why), so their error paths were exercised.
      expect(snapshots.map((s) => s.state)).toEqual(["failed", "complete", "superseded"]);
      const partial = snapshots[1]!.statuses.filter((s) => s.state === "failed").map((s) => s.product);
      expect(partial).toEqual(expect.arrayContaining(["admin", "confluence"]));
      expect(jobs.map((j) => j.state)).toEqual(expect.arrayContaining(["succeeded"]));
      expect(clear).not.toContain(CANARY);
      expect(audit.entries.some((e) => e.action === "tenant.update")).toBe(true);
      expect(Buffer.from((await store.getTenantSecrets(tenantId))!).toString("latin1")).not.toContain(CANARY);
    } finally {
      await worker.stop({ graceMs: 1000 });
    }
  }, 120_000);
});
