/**
 * `npm run sim -- --size M --seed 7 --port 4010 [--latency-ms 50 --jitter-ms 20] [--rate-limit jira=100/1000]
 * [--fault jira:status:503:0.01]`: starts the Atlassian Cloud simulator and prints the base URLs and credentials.
 */
import { parseArgs } from "node:util";
import { API_NAMES, type ApiName } from "./http/env.js";
import type { FaultRule } from "./http/faults.js";
import type { RateLimitRule } from "./http/rate-limit.js";
import { startSimulator } from "./server.js";
import type { SizePreset } from "./tenant/model.js";

const USAGE = `Usage: npm run sim -- [options]

  --size S|M|L|XL        tenant size preset (default S)
  --seed N               generator seed (default 7)
  --port N               port (default 4010; 0 picks a free one)
  --host ADDR            address to bind (default 127.0.0.1)
  --latency-ms N         mean added latency per request
  --jitter-ms N          latency jitter (uniform +/-)
  --rate-limit API=N/MS  at most N requests per MS milliseconds for API (repeatable)
                         APIs: ${API_NAMES.join(", ")}
  --fault API:KIND[:STATUS][:PROBABILITY]
                         inject a fault (repeatable); KIND is status, reset, truncate, slow-body, foreign-next
  --json                 print the connection details as JSON
  --help                 this text
`;

function fail(message: string): never {
  process.stderr.write(`sim: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function parseApi(raw: string, flag: string): ApiName {
  if (!(API_NAMES as readonly string[]).includes(raw)) fail(`${flag}: unknown API "${raw}"`);
  return raw as ApiName;
}

async function main(): Promise<void> {
  let values: ReturnType<typeof parseArgs>["values"];
  try {
    ({ values } = parseArgs({
      options: {
        size: { type: "string", default: "S" },
        seed: { type: "string", default: "7" },
        port: { type: "string", default: "4010" },
        host: { type: "string", default: "127.0.0.1" },
        "latency-ms": { type: "string" },
        "jitter-ms": { type: "string" },
        "rate-limit": { type: "string", multiple: true },
        fault: { type: "string", multiple: true },
        json: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const size = String(values.size).toUpperCase();
  if (!["S", "M", "L", "XL"].includes(size)) fail(`--size: expected S, M, L or XL, got "${values.size}"`);
  const seed = Number(values.seed);
  const port = Number(values.port);
  if (!Number.isInteger(seed)) fail(`--seed: expected an integer, got "${values.seed}"`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: expected 0-65535, got "${values.port}"`);

  const rateLimits: RateLimitRule[] = ((values["rate-limit"] as string[] | undefined) ?? []).map((spec) => {
    const m = /^([a-z-]+)=(\d+)\/(\d+)$/.exec(spec);
    if (!m) fail(`--rate-limit: expected API=N/MS, got "${spec}"`);
    return { api: parseApi(m[1] ?? "", "--rate-limit"), limit: Number(m[2]), windowMs: Number(m[3]) };
  });
  const faults: FaultRule[] = ((values.fault as string[] | undefined) ?? []).map((spec) => {
    const [api, kind, a, b] = spec.split(":");
    if (!api || !kind || !["status", "reset", "truncate", "slow-body", "foreign-next"].includes(kind)) {
      fail(`--fault: expected API:KIND[:STATUS][:PROBABILITY], got "${spec}"`);
    }
    const rule: FaultRule = { api: parseApi(api, "--fault"), kind: kind as FaultRule["kind"] };
    if (kind === "status") {
      rule.status = Number(a ?? 500);
      if (b !== undefined) rule.probability = Number(b);
    } else if (a !== undefined) rule.probability = Number(a);
    return rule;
  });

  const started = Date.now();
  const sim = await startSimulator({ size: size as SizePreset, seed, port, host: String(values.host) });
  sim.sim.limiter.rules = rateLimits;
  sim.sim.faults.rules = faults;
  if (values["latency-ms"] !== undefined) {
    sim.sim.faults.latency = [{ meanMs: Number(values["latency-ms"]), jitterMs: Number(values["jitter-ms"] ?? 0) }];
  }
  const t = sim.sim.state.tenant;
  const details = {
    size,
    seed,
    generatedInMs: Date.now() - started,
    counts: {
      accounts: t.accounts.length,
      groups: t.groups.length,
      jiraProjects: t.jira.projects.length,
      confluenceSpaces: t.confluence.spaces.length,
      bitbucketRepositories: t.bitbucket.repos.length,
    },
    bases: sim.bases,
    orgId: sim.orgId,
    scimDirectoryId: sim.scimDirectoryId,
    workspace: sim.workspace,
    credentials: sim.credentials,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(details, null, 2)}\n`);
  } else {
    const c = sim.credentials;
    process.stdout.write(
      [
        `Atlassian Cloud simulator: tenant ${size} (seed ${seed}), ${details.counts.accounts} accounts, ${details.counts.groups} groups, ` +
          `${details.counts.jiraProjects} projects, ${details.counts.confluenceSpaces} spaces, ${details.counts.bitbucketRepositories} repositories`,
        "",
        `  Admin API (api.atlassian.com)   ${sim.bases.adminApi}    org ${sim.orgId}`,
        `    Authorization: Bearer ${c.adminApiKey}`,
        `  SCIM                            ${sim.bases.adminApi}/scim/directory/${sim.scimDirectoryId}`,
        `    Authorization: Bearer ${c.scimToken}`,
        `  Jira / Confluence (site)        ${sim.bases.site}`,
        `    Basic ${c.productUser.email} : ${c.productUser.token}`,
        `  Bitbucket API                   ${sim.bases.bitbucketApi}    workspace ${sim.workspace}`,
        `  Bitbucket OAuth                 ${sim.bases.bitbucket}/site/oauth2/access_token`,
        `    client ${c.bitbucketAdminConsumer.key} : ${c.bitbucketAdminConsumer.secret}`,
        `  Control                         ${sim.bases.control}/requests`,
        "",
        "Try:",
        `  curl -s -H 'Authorization: Bearer ${c.adminApiKey}' ${sim.bases.adminApi}/admin/v1/orgs`,
        `  curl -s -u '${c.productUser.email}:${c.productUser.token}' '${sim.bases.site}/rest/api/3/project/search'`,
        "",
        "Ctrl-C stops it.",
        "",
      ].join("\n"),
    );
  }
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

void main();
