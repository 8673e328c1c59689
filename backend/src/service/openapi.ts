/**
 * The OpenAPI 3.1 document, generated from the route contracts (`contract.ts`) with zod's `z.toJSONSchema`, and a
 * small self-contained docs page that renders it. Nothing here is written by hand per route: a route exists in the
 * document exactly when it is registered.
 *
 * - Parameters come from each contract's `params` and `query` schemas, request bodies from `body` (input form:
 *   defaults optional), answers from `responses` (output form).
 * - Every operation also lists the errors its checks can produce, all with the one error schema
 *   (`#/components/schemas/Error`), and the `X-Request-Id` header.
 * - Recursive schemas' `$defs` are hoisted into `components.schemas` so every `$ref` resolves from the document.
 * - `/docs` is one HTML page with an inline script and style (pinned by hash in its Content-Security-Policy): no
 *   CDN, no external asset.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { AuthMode, RouteContract, Router } from "./contract.js";
import type { ErrorStatus } from "./errors.js";
import { ErrorResponse } from "./schemas.js";

type Json = Record<string, unknown>;

export interface OpenApiInfo {
  title?: string;
  version?: string;
  description?: string;
}

const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: "The request is invalid; `details.issues` names each field.",
  401: "No valid credential.",
  403: "The credential is valid but may not do this.",
  404: "Not found.",
  409: "Conflicts with the current state.",
  413: "The body is larger than the limit.",
  415: "The body is not JSON.",
  422: "The request is well-formed but its fields do not go together; `details.issues` names each field.",
  500: "Unexpected error; quote the request id.",
  503: "A dependency is unavailable.",
};

const SECURITY: Record<AuthMode, Json[]> = {
  none: [],
  operator: [{ operatorToken: [] }],
  tenant: [{ operatorToken: [] }, { apiKey: [] }],
  any: [{ operatorToken: [] }, { apiKey: [] }],
  forge: [{ forgeInvocationToken: [] }],
  forgeInstall: [{ forgeInvocationToken: [] }],
};

const AUTH_NOTE: Record<AuthMode, string> = {
  none: "No credential.",
  operator: "Operator token only.",
  tenant: "The operator token, or an API key of this tenant (another tenant's key: 403).",
  any: "The operator token or any tenant API key.",
  forge: "A Forge Invocation Token of a registered installation.",
  forgeInstall: "A Forge Invocation Token of this app; the installation need not be registered yet.",
};

/** JSON Schema of a zod schema, its `$defs` hoisted into `defs` under names unique to `prefix`. */
function jsonSchema(schema: z.ZodType, io: "input" | "output", prefix: string, defs: Json): Json {
  const raw = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  const { $schema: _s, $defs, ...rest } = raw;
  const names = new Map<string, string>();
  for (const name of Object.keys(($defs as Json | undefined) ?? {}))
    names.set(name, `${prefix}_${name.replace(/^_+/, "")}`);
  const rewrite = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rewrite);
    if (v && typeof v === "object") {
      const out: Json = {};
      for (const [k, x] of Object.entries(v)) {
        if (k === "$ref" && typeof x === "string" && x.startsWith("#/$defs/")) {
          out[k] = `#/components/schemas/${names.get(x.slice(8)) ?? x.slice(8)}`;
        } else out[k] = rewrite(x);
      }
      return out;
    }
    return v;
  };
  for (const [name, def] of Object.entries(($defs as Json | undefined) ?? {}))
    defs[names.get(name) as string] = rewrite(def);
  return rewrite(rest) as Json;
}

function parameters(schema: z.ZodObject | undefined, where: "path" | "query", prefix: string, defs: Json): Json[] {
  if (!schema) return [];
  const js = jsonSchema(schema, "input", prefix, defs);
  const props = (js.properties ?? {}) as Record<string, Json>;
  const required = new Set((js.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === "path" || required.has(name),
      ...(typeof description === "string" ? { description } : {}),
      schema: rest,
    };
  });
}

/** The error statuses a route can answer, from what its contract checks. */
export function errorStatuses(c: RouteContract): ErrorStatus[] {
  const s = new Set<ErrorStatus>(c.errors ?? []);
  if (c.params || c.query || c.body) s.add(400);
  if (c.auth !== "none") {
    s.add(401);
    s.add(403);
  }
  if (c.auth === "forge" || c.auth === "forgeInstall") s.add(503);
  if (c.params) s.add(404);
  if (c.body) {
    s.add(413);
    s.add(415);
  }
  s.add(500);
  return [...s].sort((a, b) => a - b);
}

/** Builds the OpenAPI 3.1 document of the registered routes. */
export function buildOpenApi(contracts: readonly RouteContract[], info: OpenApiInfo = {}): Json {
  const defs: Json = {};
  const paths: Record<string, Json> = {};
  const tags = new Set<string>();
  for (const c of contracts) {
    for (const t of c.tags) tags.add(t);
    const responses: Json = {};
    for (const [status, spec] of Object.entries(c.responses)) {
      responses[status] = {
        description: spec.description,
        headers: { "X-Request-Id": { $ref: "#/components/headers/RequestId" } },
        ...(spec.schema
          ? {
              content: {
                [spec.contentType ?? "application/json"]: {
                  schema: jsonSchema(spec.schema, "output", `${c.operationId}_${status}`, defs),
                },
              },
            }
          : spec.contentType
            ? { content: { [spec.contentType]: { schema: { type: "string" } } } }
            : {}),
      };
    }
    for (const status of errorStatuses(c))
      responses[String(status)] = { $ref: `#/components/responses/Error${status}` };
    const op: Json = {
      operationId: c.operationId,
      summary: c.summary,
      description: [c.description, `Authorization: ${AUTH_NOTE[c.auth]}`].filter(Boolean).join("\n\n"),
      tags: c.tags,
      security: SECURITY[c.auth],
      parameters: [
        ...parameters(c.params, "path", `${c.operationId}_path`, defs),
        ...parameters(c.query, "query", `${c.operationId}_query`, defs),
        { $ref: "#/components/parameters/RequestId" },
      ],
      ...(c.body
        ? {
            requestBody: {
              required: !c.bodyOptional,
              content: { "application/json": { schema: jsonSchema(c.body, "input", `${c.operationId}_body`, defs) } },
            },
          }
        : {}),
      responses,
    };
    paths[c.path] = { ...(paths[c.path] ?? {}), [c.method]: op };
  }
  const errorResponses: Json = {};
  for (const [status, description] of Object.entries(ERROR_DESCRIPTIONS)) {
    errorResponses[`Error${status}`] = {
      description,
      headers: { "X-Request-Id": { $ref: "#/components/headers/RequestId" } },
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: info.title ?? "accessmap API",
      version: info.version ?? "1",
      description:
        info.description ??
        "Who can access what across an Atlassian Cloud organization. Every error has the shape " +
          "`{ error: { code, message, requestId, details? } }`; every list is paginated with `limit` (≤ 200) and " +
          "an opaque `cursor` taken from the previous page's `next`.",
    },
    tags: [...tags].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: jsonSchema(ErrorResponse, "output", "Error", defs), ...defs },
      responses: errorResponses,
      parameters: {
        RequestId: {
          name: "X-Request-Id",
          in: "header",
          required: false,
          description: "Your id for the request (letters, digits, `-_.:`, ≤ 128); generated when absent.",
          schema: { type: "string", maxLength: 128 },
        },
      },
      headers: {
        RequestId: { description: "The request's id, as given or generated.", schema: { type: "string" } },
      },
      securitySchemes: {
        operatorToken: {
          type: "http",
          scheme: "bearer",
          description: "The operator token (ACCESSMAP_OPERATOR_TOKEN): tenants, API keys, and every tenant's data.",
        },
        apiKey: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "am_<id>_<secret>",
          description: "A tenant API key: that tenant's routes only.",
        },
        forgeInvocationToken: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "The Forge Invocation Token sent by invokeRemote (/forge routes only).",
        },
      },
    },
  };
}

// ---------------------------------------------------------------- the docs page

const DOCS_STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#172b4d;background:#fafbfc}
header{background:#0747a6;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
h2{border-bottom:1px solid #dfe1e6;padding-bottom:4px;margin-top:28px}
details{background:#fff;border:1px solid #dfe1e6;border-radius:4px;margin:6px 0}
summary{cursor:pointer;padding:8px 12px;display:flex;gap:12px;align-items:baseline}
.m{font:bold 12px monospace;text-transform:uppercase;min-width:56px;text-align:center;padding:2px 6px;border-radius:3px;color:#fff}
.get{background:#0065ff}.post{background:#00875a}.patch{background:#ff8b00}.put{background:#6554c0}.delete{background:#de350b}
.p{font-family:monospace}.s{color:#5e6c84}.body{padding:4px 16px 12px}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #dfe1e6;padding:4px 8px;text-align:left;vertical-align:top}
pre{background:#f4f5f7;padding:8px;overflow:auto;max-height:360px;font-size:12px}
`;

const DOCS_SCRIPT = `
(async function () {
  var root = document.getElementById("ops");
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    (children || []).forEach(function (c) { e.append(c); });
    return e;
  }
  function resolve(doc, s) {
    var seen = 0;
    while (s && s.$ref && seen++ < 10) {
      var parts = s.$ref.replace(/^#\\//, "").split("/");
      s = parts.reduce(function (o, p) { return o && o[p]; }, doc);
    }
    return s;
  }
  var doc;
  try {
    doc = await (await fetch("openapi.json")).json();
  } catch (e) {
    root.textContent = "Could not load openapi.json";
    return;
  }
  document.getElementById("title").textContent = doc.info.title + " (" + doc.info.version + ")";
  document.getElementById("intro").textContent = doc.info.description || "";
  var byTag = {};
  Object.keys(doc.paths).forEach(function (path) {
    Object.keys(doc.paths[path]).forEach(function (method) {
      var op = doc.paths[path][method];
      var tag = (op.tags && op.tags[0]) || "other";
      (byTag[tag] = byTag[tag] || []).push({ path: path, method: method, op: op });
    });
  });
  Object.keys(byTag).sort().forEach(function (tag) {
    root.append(el("h2", {}, [tag]));
    byTag[tag].forEach(function (x) {
      var body = el("div", { class: "body" }, []);
      (x.op.description || "").split("\\n\\n").forEach(function (p) { body.append(el("p", {}, [p])); });
      var params = (x.op.parameters || []).map(function (p) { return resolve(doc, p); });
      if (params.length) {
        var t = el("table", {}, [el("tr", {}, [el("th", {}, ["parameter"]), el("th", {}, ["in"]), el("th", {}, ["required"]), el("th", {}, ["schema"])])]);
        params.forEach(function (p) {
          t.append(el("tr", {}, [el("td", { class: "p" }, [p.name]), el("td", {}, [p.in]), el("td", {}, [p.required ? "yes" : "no"]),
            el("td", {}, [el("code", {}, [JSON.stringify(p.schema)]), p.description ? " " + p.description : ""])]));
        });
        body.append(t);
      }
      if (x.op.requestBody) {
        var c = x.op.requestBody.content["application/json"];
        body.append(el("h4", {}, ["Request body" + (x.op.requestBody.required ? "" : " (optional)")]));
        body.append(el("pre", {}, [JSON.stringify(c.schema, null, 2)]));
      }
      body.append(el("h4", {}, ["Responses"]));
      Object.keys(x.op.responses).forEach(function (status) {
        var r = resolve(doc, x.op.responses[status]);
        body.append(el("p", {}, [el("b", {}, [status]), " " + r.description]));
        var content = r.content && (r.content["application/json"] || r.content[Object.keys(r.content)[0]]);
        if (content && status < 300) body.append(el("pre", {}, [JSON.stringify(content.schema, null, 2)]));
      });
      root.append(el("details", {}, [
        el("summary", {}, [el("span", { class: "m " + x.method }, [x.method]), el("span", { class: "p" }, [x.path]), el("span", { class: "s" }, [x.op.summary])]),
        body,
      ]));
    });
  });
})();
`;

const hash = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>accessmap API</title><style>${DOCS_STYLE}</style></head>
<body><header><h1 id="title">accessmap API</h1></header>
<main><p id="intro"></p><p>Machine-readable: <a href="openapi.json">openapi.json</a> (OpenAPI 3.1).</p><div id="ops"></div></main>
<script>${DOCS_SCRIPT}</script></body></html>
`;

/** The docs page's policy: only its own inline script and style, and fetches to this origin. */
export const DOCS_CSP = `default-src 'none'; script-src ${hash(DOCS_SCRIPT)}; style-src ${hash(DOCS_STYLE)}; connect-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'`;

/** Registers `/openapi.json` and `/docs` (both documented too). */
export function docsRoutes(r: Router, info: OpenApiInfo = {}): void {
  let cached: Json | null = null;
  r.route(
    {
      method: "get",
      path: "/openapi.json",
      operationId: "openapi",
      summary: "This API's OpenAPI 3.1 document",
      tags: ["docs"],
      auth: "none",
      responses: {
        200: {
          description: "The document.",
          schema: z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }),
        },
      },
    },
    () => {
      cached ??= buildOpenApi(r.contracts, info);
      return { status: 200, body: cached };
    },
  );
  r.route(
    {
      method: "get",
      path: "/docs",
      operationId: "docs",
      summary: "This API's documentation, readable",
      tags: ["docs"],
      auth: "none",
      responses: { 200: { description: "An HTML page rendering /openapi.json.", contentType: "text/html" } },
    },
    ({ c }) => {
      c.header("content-security-policy", DOCS_CSP);
      c.header("cache-control", "no-cache");
      return c.html(DOCS_HTML);
    },
  );
}
