/**
 * `npm run demo`: the whole product against the Atlassian Cloud simulator, through its real entry points.
 *
 * 1. starts the simulator with tenant M (seed 7) on a local port;
 * 2. starts the accessmap service (HTTP API, sync worker, scheduler) on a fresh SQLite store;
 * 3. registers the simulated organization as a tenant through the API (secrets sealed, never returned);
 * 4. requests a full discovery and shows its progress per source;
 * 5. prints the summary per source and the top insights;
 * 6. leaves the API, its docs and the simulator running, with their URLs and a tenant API key printed.
 *
 * Options: `--size S|M|L`, `--seed N`, `--port N` (service), `--exit` (stop after the summary, for CI).
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { parseArgs } from "node:util";
import { startService } from "@accessmap/backend/service/server";
import { parseSettings } from "@accessmap/backend/service/settings";
import { startSimulator } from "../atlassian-sim/server.js";
import type { SizePreset } from "../atlassian-sim/tenant/model.js";
import { simConfigInput } from "../support/sim-config.js";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "M" },
    seed: { type: "string", default: "7" },
    port: { type: "string", default: "8787" },
    exit: { type: "boolean", default: false },
  },
});

const size = String(values.size).toUpperCase() as SizePreset;
if (!["S", "M", "L"].includes(size)) {
  process.stderr.write(`demo: --size must be S, M or L (got "${values.size}")\n`);
  process.exit(2);
}

const say = (line = "") => process.stdout.write(`${line}\n`);

async function api<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

interface Job {
  id: string;
  state: string;
  error: string | null;
  result: Record<string, unknown> | null;
}
interface SnapshotView {
  version: number;
  state: string;
  statuses: Array<{ product: string; state: string; reasons: string[]; counts: Record<string, number>; calls: number }>;
}

async function main(): Promise<void> {
  say(`accessmap demo: simulator tenant ${size} (seed ${values.seed}), service on SQLite`);
  const sim = await startSimulator({ size, seed: Number(values.seed) });
  const t = sim.sim.state.tenant;
  say(
    `  simulator       ${sim.bases.origin}  (${t.accounts.length} accounts, ${t.groups.length} groups, ` +
      `${t.jira.projects.length} projects, ${t.confluence.spaces.length} spaces, ${t.bitbucket.repos.length} repositories)`,
  );
  // Realistic but quick: a few milliseconds per call.
  sim.sim.faults.latency = [{ meanMs: 8, jitterMs: 4 }];

  const storePath = `.accessmap/demo-${process.pid}.db`;
  await rm(storePath, { force: true });
  const operatorToken = randomBytes(32).toString("base64url");
  const settings = parseSettings({
    ACCESSMAP_STORE: `sqlite:${storePath}`,
    ACCESSMAP_MASTER_KEY: process.env.ACCESSMAP_MASTER_KEY || randomBytes(32).toString("base64"),
    ACCESSMAP_OPERATOR_TOKEN: operatorToken,
    ACCESSMAP_PORT: String(values.port),
    ACCESSMAP_LOG_LEVEL: "warn",
  });
  const service = await startService(settings);
  say(`  accessmap API   ${service.url}   docs ${service.docsUrl}`);
  say();

  const tenant = await api<{ id: string }>(
    service.url,
    operatorToken,
    "POST",
    "/v1/tenants",
    simConfigInput(t, sim.bases.origin, { name: "demo" }),
  );
  const key = await api<{ key: string }>(service.url, operatorToken, "POST", `/v1/tenants/${tenant.id}/api-keys`, {
    label: "demo",
  });
  let { job } = await api<{ job: Job }>(service.url, key.key, "POST", `/v1/tenants/${tenant.id}/syncs`);
  say("discovery:");
  const started = Date.now();
  let lastLine = "";
  while (job.state === "queued" || job.state === "running") {
    await new Promise((r) => setTimeout(r, 500));
    job = await api<Job>(service.url, key.key, "GET", `/v1/tenants/${tenant.id}/syncs/${job.id}`);
    const progress = (job as unknown as { progress?: { statuses?: SnapshotView["statuses"] } }).progress;
    const line = progress?.statuses
      ? progress.statuses
          .map((s) => `${s.product} ${s.reasons[0]?.replace(/^in progress: /, "") ?? s.state}`)
          .join(" | ")
      : job.state;
    if (line !== lastLine) {
      say(`  [${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
      lastLine = line;
    }
  }
  if (job.state !== "succeeded") throw new Error(`sync ended ${job.state}: ${job.error ?? "no detail"}`);

  const snapshots = await api<{ items: SnapshotView[] }>(
    service.url,
    key.key,
    "GET",
    `/v1/tenants/${tenant.id}/snapshots`,
  );
  const current = snapshots.items[0];
  say();
  say(`sources (snapshot version ${current?.version}, ${current?.state}):`);
  for (const s of current?.statuses ?? []) {
    const counts = Object.entries(s.counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    say(`  ${s.product.padEnd(11)} ${s.state.padEnd(9)} ${String(s.calls).padStart(5)} calls   ${counts}`);
    for (const r of s.reasons) say(`              ${r}`);
  }
  const insights = await api<{ items: Array<{ severity: string; count: number; title: string }> }>(
    service.url,
    key.key,
    "GET",
    `/v1/tenants/${tenant.id}/insights`,
  );
  say();
  say("top insights:");
  for (const f of insights.items.slice(0, 8))
    say(`  ${f.severity.padEnd(8)} ${String(f.count).padStart(6)}  ${f.title}`);
  say();
  say("try:");
  say(`  curl -s -H 'Authorization: Bearer ${key.key}' ${service.url}/v1/tenants/${tenant.id}/insights`);
  say(
    `  curl -s -H 'Authorization: Bearer ${key.key}' '${service.url}/v1/tenants/${tenant.id}/resources/jira_project/${t.jira.projects[0]?.key}/access'`,
  );
  say(
    `  curl -s -H 'Authorization: Bearer ${key.key}' ${service.url}/v1/tenants/${tenant.id}/exports/access.csv | head`,
  );
  say(`  open ${service.docsUrl}`);

  if (values.exit) {
    await service.close();
    await sim.close();
    return;
  }
  say();
  say("The API, its docs and the simulator keep running; Ctrl-C stops them.");
  const stop = () => {
    void Promise.all([service.close(), sim.close()]).then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
