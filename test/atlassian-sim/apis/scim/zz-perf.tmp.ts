import { makeTestSim } from "../../testing.js";
let t0 = Date.now();
const t = makeTestSim("XL", 1);
console.log("gen", Date.now() - t0, "scim users", t.sim.state.tenant.scim.users.length, "groups", t.sim.state.tenant.scim.groups.length, "memberships", t.sim.state.tenant.scim.groups.reduce((n, g) => n + g.members.length, 0));
const base = `/scim/directory/${t.sim.state.directoryId}`;
t0 = Date.now();
let pages = 0;
for (let i = 1; ; i += 100) { const r = await t.scim(`${base}/Users?startIndex=${i}&count=100`); const b = await r.json() as any; pages++; if (b.Resources.length === 0 || i - 1 + b.Resources.length >= b.totalResults) break; }
console.log("walk users", pages, "pages", Date.now() - t0, "ms");
t0 = Date.now();
const r = await t.scim(`${base}/Groups?count=100`); const txt = await r.text();
console.log("groups page", Date.now() - t0, "ms", txt.length, "bytes");
const domain = t.sim.state.tenant.accounts.find((a) => a.managed)!.email.split("@")[1];
t0 = Date.now();
for (let i = 0; i < 50; i++) { const e = `perf.${i}@${domain}`; await t.scim(`${base}/Users`, { method: "POST", body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: e, emails: [{ value: e, primary: true }] }) }); }
console.log("50 creates", Date.now() - t0, "ms");
