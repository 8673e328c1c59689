import { Hono } from "hono";
import { scimApi } from "../atlassian-sim/apis/scim.js";
import { SimContext } from "../atlassian-sim/context.js";
import { generateTenant } from "../atlassian-sim/tenant/generate.js";
import type { SimEnv } from "../atlassian-sim/http/env.js";
import { authFor } from "../atlassian-sim/http/auth.js";
import { cases } from "./cases/scim.js";
import { validateResponse } from "./openapi-validator.js";

const sim = new SimContext(generateTenant("S", 11));
const app = new Hono<SimEnv>();
app.use("*", async (c, next) => { c.set("sim", sim); await next(); });
app.use("/admin-api/scim/*", authFor("scim"));
app.route("/admin-api", scimApi());
const fetch = (p: string, init?: RequestInit) => app.request(`http://sim.test${p}`, init);
const t = { sim, app, fetch, scim: (p: string, init?: RequestInit) => { const h = new Headers(init?.headers); h.set("authorization", `Bearer ${sim.state.tenant.credentials.scimToken}`); return fetch(`/admin-api${p}`, { ...init, headers: h }); } } as any;
let fail = 0;
for (const c of cases) {
  const res = await c.send(t);
  const text = await res.text();
  const ct = res.headers.get("content-type") ?? "";
  const body = text.length > 0 && /json/.test(ct) ? JSON.parse(text) : text.length > 0 ? text : undefined;
  const r = validateResponse({ spec: c.spec, method: c.method, path: c.specPath, status: res.status, contentType: ct, body });
  const ok = res.status === c.expectStatus && r.ok;
  if (!ok) { fail++; console.log("FAIL", c.method, c.route, c.name, res.status, JSON.stringify(r.errors).slice(0, 600), text.slice(0, 300)); }
  else console.log("ok", c.method, c.route, c.name, r.appliedAllowances.length);
}
console.log("failures", fail);
