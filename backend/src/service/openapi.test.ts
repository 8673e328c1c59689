import { FORGE_ADMIN_PATHS } from "@accessmap/shared/wire/admin";
import { afterEach, describe, expect, it } from "vitest";
import { errorStatuses } from "./openapi.js";
import { type TestService, testService } from "./testing.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Body = any;

let t: TestService;
afterEach(async () => t?.close());

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

/** Hono's `:name{pattern}` → OpenAPI's `{name}`. */
const openApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}");

function resolveRef(doc: Body, ref: string): unknown {
  expect(ref.startsWith("#/")).toBe(true);
  return ref
    .slice(2)
    .split("/")
    .reduce((o: Body, k) => (o === undefined ? undefined : o[k]), doc);
}

describe("OpenAPI document", () => {
  it("documents every registered route, and every documented route exists", async () => {
    t = await testService();
    const res = await t.call("GET", "/openapi.json", { token: null });
    expect(res.status).toBe(200);
    const doc: Body = await res.json();
    expect(doc.openapi).toBe("3.1.0");

    const registered = new Set(
      t.app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`),
    );
    const documented = new Set<string>();
    for (const [path, item] of Object.entries<Body>(doc.paths)) {
      for (const m of METHODS) if (item[m]) documented.add(`${m} ${path}`);
    }
    expect([...registered].sort()).toEqual([...documented].sort());
    expect(registered.size).toBeGreaterThan(30);

    // Every documented route answers something other than "no such route".
    for (const op of documented) {
      const [method, path] = op.split(" ") as [string, string];
      const concrete = path
        .replace(/\{version\}/g, "1")
        .replace(/\{resourceType\}/g, "site")
        .replace(/\{[^}]+\}/g, "x");
      const r = await t.call(method.toUpperCase(), concrete, { token: null });
      const body: Body = r.headers.get("content-type")?.includes("json") ? await r.json() : null;
      expect(body?.error?.message, op).not.toBe("no such route");
    }
  });

  it("gives every operation its parameters, body, answers, errors and security, with resolvable $refs", async () => {
    t = await testService();
    const doc: Body = await (await t.call("GET", "/openapi.json", { token: null })).json();
    const contracts = new Map(t.router.contracts.map((c) => [`${c.method} ${c.path}`, c]));
    const refs: string[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object")
        for (const [k, x] of Object.entries(v)) k === "$ref" && typeof x === "string" ? refs.push(x) : walk(x);
    };
    walk(doc);
    for (const ref of refs) expect(resolveRef(doc, ref), ref).toBeDefined();

    for (const [path, item] of Object.entries<Body>(doc.paths)) {
      for (const m of METHODS) {
        const op = item[m];
        if (!op) continue;
        const c = contracts.get(`${m} ${path}`)!;
        expect(op.operationId).toBe(c.operationId);
        const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]);
        expect(
          op.parameters
            .filter((p: Body) => p.in === "path")
            .map((p: Body) => p.name)
            .sort(),
        ).toEqual(pathParams.sort());
        if (c.body) expect(op.requestBody.content["application/json"].schema).toBeTypeOf("object");
        for (const s of errorStatuses(c)) expect(op.responses[String(s)], `${m} ${path} ${s}`).toBeDefined();
        expect(op.security).toEqual(c.auth === "none" ? [] : expect.any(Array));
      }
    }
    // The tenant-creation body documents the connection configuration's fields.
    const create = doc.paths["/v1/tenants"].post.requestBody.content["application/json"].schema;
    expect(Object.keys(create.properties)).toEqual(
      expect.arrayContaining(["name", "atlassianUrl", "products", "productToken", "schedule", "forgeInstallationId"]),
    );
    expect(doc.components.schemas.Error.properties.error.required).toEqual(["code", "message", "requestId"]);
    // The admin page's backend leg: every path of the wire contract is documented with its answer schema.
    for (const path of Object.values(FORGE_ADMIN_PATHS)) {
      const concrete = typeof path === "string" ? path : null;
      if (concrete) expect(doc.paths[concrete], concrete).toBeDefined();
    }
    for (const p of ["/forge/v1/people/{accountId}/access", "/forge/v1/resources/{type}/{id}/access"]) {
      expect(doc.paths[p].get.responses["200"].content["application/json"].schema).toBeTypeOf("object");
    }
    const save = doc.paths["/forge/v1/settings"].put;
    expect(save.responses["422"]).toEqual({ $ref: "#/components/responses/Error422" });
    expect(Object.keys(save.requestBody.content["application/json"].schema.properties)).toEqual(
      expect.arrayContaining(["products", "adminApiKey", "lifecycle"]),
    );
    expect(doc.paths["/forge/v1/installations"].post.security).toEqual([{ forgeInvocationToken: [] }]);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
      "apiKey",
      "forgeInvocationToken",
      "operatorToken",
    ]);
  });

  it("serves a self-contained docs page", async () => {
    t = await testService();
    const res = await t.call("GET", "/docs", { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-/);
    const html = await res.text();
    expect(html).toContain("openapi.json");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\//);
  });
});
