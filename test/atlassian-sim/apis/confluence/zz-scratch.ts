import { Hono } from "hono";
import { SimContext } from "../../context.js";
import { authFor } from "../../http/auth.js";
import type { SimEnv } from "../../http/env.js";
import { generateTenant } from "../../tenant/generate.js";
import { confluenceApi } from "../confluence.js";

const sim = new SimContext(generateTenant("S", 11));
const app = new Hono<SimEnv>();
app.use("*", async (c, next) => { c.set("sim", sim); await next(); });
app.use("/site/wiki/*", authFor("confluence"));
app.route("/site", confluenceApi());
const creds = sim.state.tenant.credentials;
const auth = (limited = false) => {
  const u = limited ? creds.limitedProductUser : creds.productUser;
  return { authorization: `Basic ${Buffer.from(`${u.email}:${u.token}`).toString("base64")}`, "content-type": "application/json" };
};
const paths = process.argv.slice(2);
for (const p of paths) {
  const [method, path, body, lim] = p.split(" ");
  const res = await app.request(`http://sim.test/site${path}`, { method, headers: auth(lim === "L"), body: body && body !== "-" ? body : undefined });
  console.log(method, path, res.status, res.headers.get("link"));
  console.log((await res.text()).slice(0, 1500));
}
