/**
 * Control endpoints under `/_sim`, for tests, benchmarks and the demo: what was requested, the rate limits, faults
 * and latency in force, token expiry, and the tenant's ground truth computed from its current state.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { SimEnv } from "./http/env.js";
import { API_NAMES, type ApiName } from "./http/env.js";
import { computeGroundTruth, groundTruthToCsv } from "./tenant/ground-truth.js";

const apiName = z.enum(API_NAMES as unknown as [ApiName, ...ApiName[]]);

const rateLimitRules = z.array(
  z.strictObject({
    api: apiName,
    route: z.string().optional(),
    method: z.string().optional(),
    limit: z.number().int().positive(),
    windowMs: z.number().int().positive(),
    reason: z.string().optional(),
  }),
);

const faultRules = z.array(
  z.strictObject({
    api: apiName.optional(),
    route: z.string().optional(),
    method: z.string().optional(),
    kind: z.enum(["status", "reset", "truncate", "slow-body", "foreign-next"]),
    status: z.number().int().min(400).max(599).optional(),
    retryAfterSeconds: z.number().nonnegative().optional(),
    probability: z.number().min(0).max(1).optional(),
    skip: z.number().int().nonnegative().optional(),
    times: z.number().int().positive().optional(),
    slowBodyMs: z.number().int().nonnegative().optional(),
  }),
);

const latencyRules = z.array(
  z.strictObject({
    api: apiName.optional(),
    route: z.string().optional(),
    meanMs: z.number().nonnegative(),
    jitterMs: z.number().nonnegative(),
  }),
);

/** Validates a JSON body; the error names the bad field. */
function parseBody<T>(raw: unknown, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; error: string } {
  const result = schema.safeParse(raw);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  return { ok: false, error: `${issue?.path.join(".") || "(body)"}: ${issue?.message ?? "invalid"}` };
}

export function controlApi(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  app.get("/requests", (c) => {
    const sim = c.get("sim");
    return c.json({
      total: sim.log.total(),
      writes: sim.log.writeCount(),
      counts: sim.log.counts(),
      rateLimited: Object.fromEntries(sim.limiter.rejected),
      faultsFired: Object.fromEntries(sim.faults.fired),
    });
  });
  app.get("/requests/log", (c) => {
    const limit = Number(c.req.query("limit") ?? 1000);
    return c.json(c.get("sim").log.entries(Number.isFinite(limit) ? limit : 1000));
  });
  app.get("/requests/writes", (c) => c.json(c.get("sim").log.writes()));
  app.post("/requests/reset", (c) => {
    c.get("sim").log.reset();
    return c.body(null, 204);
  });

  app.put("/rate-limits", async (c) => {
    const parsed = parseBody(await c.req.json().catch(() => undefined), rateLimitRules);
    if (!parsed.ok) return c.json({ error: parsed.error }, 400);
    c.get("sim").limiter.rules = parsed.value;
    return c.body(null, 204);
  });
  app.put("/faults", async (c) => {
    const parsed = parseBody(await c.req.json().catch(() => undefined), faultRules);
    if (!parsed.ok) return c.json({ error: parsed.error }, 400);
    c.get("sim").faults.rules = parsed.value;
    return c.body(null, 204);
  });
  app.put("/latency", async (c) => {
    const parsed = parseBody(await c.req.json().catch(() => undefined), latencyRules);
    if (!parsed.ok) return c.json({ error: parsed.error }, 400);
    c.get("sim").faults.latency = parsed.value;
    return c.body(null, 204);
  });

  app.post("/bitbucket/expire-tokens", (c) => {
    c.get("sim").bitbucketTokens.expireAll();
    return c.body(null, 204);
  });
  app.put("/bitbucket/token-ttl", async (c) => {
    const body = z
      .object({ seconds: z.number().int().positive() })
      .safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) return c.json({ error: "seconds: a positive integer is required" }, 400);
    c.get("sim").bitbucketTokens.ttlSeconds = body.data.seconds;
    return c.body(null, 204);
  });

  app.get("/ground-truth", (c) => {
    const rows = computeGroundTruth(c.get("sim").state.tenant);
    return c.body(groundTruthToCsv(rows), 200, { "content-type": "text/csv; charset=utf-8" });
  });
  app.get("/tenant/summary", (c) => {
    const t = c.get("sim").state.tenant;
    return c.json({
      size: t.size,
      seed: t.seed,
      revision: c.get("sim").state.revision,
      accounts: t.accounts.length,
      groups: t.groups.length,
      projects: t.jira.projects.length,
      spaces: t.confluence.spaces.length,
      repositories: t.bitbucket.repos.length,
    });
  });
  return app;
}
