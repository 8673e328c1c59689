/**
 * The discovery benchmark (issue "Discovery" §5):
 *
 *   npm run bench:discovery -- --size M|L [--seed 7] [--concurrency N] [--runs admin,fallback-admin,...]
 *                              [--out bench-results] [--quiet-wait 600] [--only jira,confluence,...]
 *   npm run bench:discovery -- --render bench-results/discovery-L.json    (re-renders the Markdown only)
 *
 * Starts the Atlassian simulator in a child process (`test/atlassian-sim/cli.ts --json`), gives every API a
 * realistic latency and rate limit through its control endpoints, and runs `runDiscovery` — the production entry
 * point, over the production undici `send` — once per scenario, each in a fresh child process so that its peak RSS
 * is that of one discovery and nothing else:
 *
 *  1. `admin`           the admin Bitbucket consumer (explicit permissions-config grants);
 *  2. `fallback-admin`  the admin consumer with `permissions-config` answering 403 (a workspace admin whose consumer
 *                       lacks repository:admin): the slow path, the workspace's effective-permission listing, with
 *                       groups and branch protection still read;
 *  3. `fallback-member` the member consumer: fallback too, and it also loses groups and branch protection;
 *  4. `stress`          the admin consumer with every API's rate limit at a fifth of the demand measured in run 1:
 *                       it must complete with no failed source.
 *
 * Each run's calls (the transport's `onCall`, retries included, cross-checked with the simulator's counters) are
 * compared per API and per endpoint with the lower bound each reader exports, computed from the generated tenant as
 * each API exposes it; its wall time with the bound `max(calls × latency ÷ concurrency, calls ÷ allowed rate)`
 * (see `discovery-report.ts`). Writes `bench-results/discovery-<size>.json` and `.md`, and prints the Markdown.
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { ConfigInput } from "@accessmap/backend/config/schema";
import type { RawRequest, RawResponse, Send } from "@accessmap/shared/transport/transport";
import type { SimState } from "../atlassian-sim/state.js";
import type { SimTenant } from "../atlassian-sim/tenant/model.js";
import {
  type ApiInput,
  type BenchReport,
  type EndpointInput,
  endpointKey,
  labelKey,
  type RateRule,
  type RunInput,
  type RunSummary,
  renderMarkdown,
  routeKey,
  stressRates,
  summarizeRun,
} from "./discovery-report.js";

// Static imports stay light (node built-ins and the pure report): the worker loads only what discovery needs, and
// the orchestrator loads the simulator's modules dynamically.

const SELF = fileURLToPath(import.meta.url);
const MB = 1024 * 1024;

/** Simulated latency on every request of every API. */
const LATENCY = { meanMs: 40, jitterMs: 15 };
/**
 * Rate limits of the normal runs (fixed windows). Jira and Confluence: 100 requests per second each (their
 * burst-style limits); Admin and SCIM (api.atlassian.com): 50 per second; Bitbucket: its hourly budget of 1,000
 * requests with the hour scaled down to 10 s (×360), so a large workspace exhausts it and must wait windows out.
 */
const RATE_LIMITS: Record<string, RateRule> = {
  jira: { limit: 100, windowMs: 1000 },
  confluence: { limit: 100, windowMs: 1000 },
  admin: { limit: 50, windowMs: 1000 },
  scim: { limit: 50, windowMs: 1000 },
  bitbucket: { limit: 1000, windowMs: 10_000 },
};
/** What a reader of the report needs to know about the setup (rendered under "Notes"). */
const NOTES = [
  "Each discovery runs in a fresh process (`runDiscovery` over the production undici `send`, schema mode `warn`, " +
    'the production retry policy); its peak RSS includes Node, tsx and the code ("RSS before discovery").',
  "The simulator serves every host from one origin; discovery gets one connection pool per simulated host " +
    "(api.atlassian.com, the site, api.bitbucket.org, bitbucket.org) of concurrency × 2 connections, as the CLI " +
    "gives each real origin.",
  "Rate limits are fixed windows that open at the first request after the previous one closed. Successful Jira, " +
    "Confluence, SCIM and Bitbucket responses state the limit and what remains but no reset; Admin states its reset " +
    "(`X-RateLimit-Reset`). A 429 carries `Retry-After` in whole seconds (at least 1), which the transport never " +
    "shortens.",
  "The governor paces an API whose limit comes without a window at 90 % of it per second (Atlassian's burst limits " +
    "are per second), so a rate-bound API's best wall is about 1.11 × its bound; it never lets more requests in " +
    "flight than the stated budget, and counts requests already sent against what remains.",
  "Calls include every attempt (a retried request counts each time) and the Bitbucket OAuth token request; the " +
    "lower bounds are the readers' own (`minimumJiraCalls`, …), fed with what each API exposes of the generated " +
    "tenant.",
  "Timings depend on the machine: the simulator and discovery share its CPUs, and each run waits (up to " +
    "`--quiet-wait` seconds) for the 1-minute load average to fall under half the CPUs; the load is recorded.",
];

/** The stress run's limit is this fraction of run 1's demand. */
const STRESS_FACTOR = 5;

const SOURCES = ["admin", "scim", "jira", "confluence", "bitbucket"] as const;
type Source = (typeof SOURCES)[number];

const PC_USERS = "/2.0/repositories/:workspace/:repo_slug/permissions-config/users";
const PC_GROUPS = "/2.0/repositories/:workspace/:repo_slug/permissions-config/groups";

type RunName = "admin" | "fallback-admin" | "fallback-member" | "stress";
const RUNS: ReadonlyArray<{ name: RunName; title: string }> = [
  { name: "admin", title: "admin consumer" },
  { name: "fallback-admin", title: "fallback: workspace admin, permissions-config 403" },
  { name: "fallback-member", title: "fallback: member consumer" },
  { name: "stress", title: "stress: limits at ⅕ of run 1's demand" },
];

// ---------------------------------------------------------------- worker (one discovery, its own process)

interface WorkerJob {
  config: ConfigInput;
  /** Base URL of each simulated host, to give each its own connection pool as production has. */
  hosts: string[];
}

/** The calls of one endpoint: attempts, retries, 429s, and when the first and last answered (ms from the start). */
interface CallAgg {
  product: string;
  endpoint: string;
  calls: number;
  retries: number;
  status429: number;
  firstMs: number;
  lastMs: number;
  /** Calls whose exchange was timed, and their total exchange time (send to body read). */
  timed: number;
  exchangeMs: number;
}

interface WorkerResult {
  wallMs: number;
  outcome: string;
  bitbucketMode: string | null;
  statuses: Array<{
    product: string;
    state: string;
    calls: number;
    startedAt: string;
    finishedAt: string;
    reasons: string[];
  }>;
  /** Per `product endpoint`: attempts, retries, 429s. */
  calls: CallAgg[];
  waitedMs: Record<string, number>;
  peakInFlight: Record<string, number>;
  schemaWarnings: number;
  /** CPU time (user + system) the discovery process used during the run. */
  cpuMs: number;
  /** Event-loop delay during the run (how late timers and callbacks ran), in ms. */
  loopDelayMs: { mean: number; p99: number; max: number };
  memory: { baselineRssMB: number; sampledPeakRssMB: number; maxRssMB: number };
}

/** Runs one discovery for the job the orchestrator sends, and answers with its measurements. */
async function worker(): Promise<void> {
  const job = await new Promise<WorkerJob>((resolve) => {
    process.once("message", (m) => resolve(m as WorkerJob));
    process.send?.({ ready: true });
  });
  const { parseConfig } = await import("@accessmap/backend/config/load");
  const { runDiscovery } = await import("@accessmap/backend/discovery/run-discovery");
  const { createUndiciSend } = await import("@accessmap/backend/http/undici-send");
  const config = parseConfig(job.config, "benchmark");

  // One pool per simulated host, `concurrency × 2` connections each, as the CLI gives each real origin
  // (the simulator serves every host from one origin, which would otherwise squeeze all APIs into one pool).
  const pools = job.hosts
    .slice()
    .sort((a, b) => b.length - a.length)
    .map((base) => ({ base, send: createUndiciSend({ connections: config.concurrency * 2 }) }));
  // The time of each exchange (send to body read), handed to the `onCall` that reports it: the store entered in
  // `send` rides on the transport's continuation, which calls `onCall` right after reading the body.
  const exchange = new AsyncLocalStorage<{ ms: number | null }>();
  const send: Send = async (req: RawRequest): Promise<RawResponse> => {
    const pool = pools.find((p) => req.url.startsWith(`${p.base}/`));
    if (!pool) throw new Error(`no pool for ${req.url}`);
    const timing: { ms: number | null } = { ms: null };
    exchange.enterWith(timing);
    const t0 = performance.now();
    const res = await pool.send(req);
    return {
      status: res.status,
      headers: res.headers,
      text: async () => {
        try {
          return await res.text();
        } finally {
          timing.ms = performance.now() - t0;
        }
      },
    };
  };

  const calls = new Map<string, CallAgg>();
  let schemaWarnings = 0;
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await runDiscovery(config, {
    send,
    schemaMode: "warn",
    warn: (message) => {
      if (message.includes("schema")) schemaWarnings += 1;
    },
    onCall: (e) => {
      const key = `${e.product} ${e.endpoint}`;
      const at = Math.round(performance.now() - t0);
      const c = calls.get(key) ?? {
        product: e.product,
        endpoint: e.endpoint,
        calls: 0,
        retries: 0,
        status429: 0,
        firstMs: at,
        lastMs: at,
        timed: 0,
        exchangeMs: 0,
      };
      c.calls += 1;
      c.lastMs = at;
      const ms = exchange.getStore()?.ms;
      if (ms !== null && ms !== undefined) {
        c.timed += 1;
        c.exchangeMs += ms;
      }
      if (e.attempt > 1) c.retries += 1;
      if (e.status === 429) c.status429 += 1;
      calls.set(key, c);
    },
  });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  clearInterval(sampler);
  const maxRss = process.resourceUsage().maxRSS * 1024;
  await Promise.all(pools.map((p) => p.send.close()));

  const out: WorkerResult = {
    wallMs,
    outcome: result.outcome,
    bitbucketMode: result.snapshot.bitbucket?.permissionMode ?? null,
    statuses: result.snapshot.statuses.map((s) => ({
      product: s.product,
      state: s.state,
      calls: s.calls,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
      reasons: s.reasons,
    })),
    calls: [...calls.values()],
    waitedMs: result.governor.waitedMs,
    peakInFlight: result.governor.peakInFlight,
    schemaWarnings,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    loopDelayMs: {
      mean: Math.round(loop.mean / 1e5) / 10,
      p99: Math.round(loop.percentile(99) / 1e5) / 10,
      max: Math.round(loop.max / 1e5) / 10,
    },
    memory: {
      baselineRssMB: Math.round(baselineRss / MB),
      sampledPeakRssMB: Math.round(peakRss / MB),
      maxRssMB: Math.round(maxRss / MB),
    },
  };
  process.send?.(out);
  process.disconnect?.();
}

// ---------------------------------------------------------------- lower bounds from the tenant

type Breakdowns = Record<Source, Record<string, number>>;

/** What each API exposes of the tenant, as the readers' lower bounds count it, for one Bitbucket mode. */
async function lowerBounds(state: SimState, run: RunName): Promise<Breakdowns> {
  const { adminCallBreakdown } = await import("@accessmap/backend/connectors/admin/read-admin");
  const { SCIM_PAGE_SIZE } = await import("@accessmap/backend/connectors/scim/read-scim");
  const { jiraCallBreakdown } = await import("@accessmap/shared/readers/jira/read-jira");
  const { confluenceCallBreakdown } = await import("@accessmap/shared/readers/confluence/read-confluence");
  const { bitbucketCallBreakdown } = await import("@accessmap/backend/connectors/bitbucket/read-bitbucket");
  const { workspaceAccess, canSeeRepo, visibleProjectKeys } = await import(
    "../atlassian-sim/apis/bitbucket/effective.js"
  );
  const { RoleIndex, assignmentMatches, productResources } = await import("../atlassian-sim/apis/admin/roles.js");
  const tenant: SimTenant = state.tenant;

  // Admin: v2 users/search lists Atlassian accounts (app and customer accounts live in no directory); v1 /users
  // lists managed accounts; workspaces are each site's products plus the Bitbucket workspace.
  // Product access groups: per Jira or Confluence workspace, the groups holding its `atlassian/user` role.
  const roles = new RoleIndex(state);
  const productAccessGroups = productResources(state)
    .filter((r) => r.owner === "jira" || r.owner === "confluence")
    .map(
      (r) =>
        tenant.groups.filter((g) =>
          roles
            .groupAssignments(g.groupId)
            .some((a) => assignmentMatches(a, { resourceIds: [r.id], roleIds: ["atlassian/user"] })),
        ).length,
    );
  const admin = adminCallBreakdown({
    directories: tenant.directories.length,
    users: tenant.accounts.filter((a) => a.accountType === "atlassian").length,
    managedAccounts: tenant.accounts.filter((a) => a.managed).length,
    groups: tenant.groups.length,
    workspaces: tenant.sites.reduce((n, s) => n + s.products.length, 0) + 1,
    productAccessGroups,
  });

  // SCIM: the directory's users and groups, 100 per page, at least one page each.
  const scimPages = (n: number) => Math.max(1, Math.ceil(n / SCIM_PAGE_SIZE));
  const scim = {
    "GET /Users": scimPages(tenant.scim.users.length),
    "GET /Groups": scimPages(tenant.scim.groups.length),
  };

  // Jira: users/search lists every account (any type and status); group members include inactive ones; every
  // project has every global role.
  const jira = jiraCallBreakdown({
    users: tenant.accounts.length,
    groups: tenant.groups.length,
    groupsMembers: tenant.groups.map((g) => g.members.length),
    projects: tenant.jira.projects.length,
    rolesPerProject: tenant.jira.projects.map(() => tenant.jira.roles.length),
    adminGroups: tenant.jira.adminGroups.length,
    siteAdminGroups: tenant.jira.siteAdminGroups.length,
  });

  // Confluence: v2 states user, group and role grants; users-bulk resolves the distinct known account ids the
  // section names (group members, user grantees, user role assignees, space authors).
  const conf = tenant.confluence;
  const ids = new Set<string>();
  for (const g of tenant.groups) for (const m of g.members) ids.add(m);
  for (const s of conf.spaces) {
    for (const p of s.permissions) if (p.principal.type === "user") ids.add(p.principal.id);
    for (const a of s.roleAssignments) if (a.principal.type === "USER") ids.add(a.principal.id);
    ids.add(s.authorAccountId);
  }
  const confluence = confluenceCallBreakdown({
    groups: tenant.groups.length,
    groupsMembers: tenant.groups.map((g) => g.members.length),
    adminGroups: conf.adminGroups.length,
    siteAdminGroups: conf.siteAdminGroups.length,
    spaces: conf.spaces.length,
    roleMode: conf.roleMode,
    roles: conf.roles.length,
    spacesAccess: conf.spaces.map((s) => ({
      permissions: s.permissions.filter((p) => ["user", "group", "role"].includes(p.principal.type)).length,
      roleAssignments: s.roleAssignments.length,
    })),
    users: [...ids].filter((id) => state.accountsById.has(id)).length,
  });

  // Bitbucket: members are workspace members with Bitbucket access; grants name Bitbucket users (with a uuid) and
  // existing groups; the member consumer sees public repositories, those it has a level on, and their projects.
  const bb = tenant.bitbucket;
  const access = workspaceAccess(state);
  const groupSlugs = new Set(bb.groups.map((g) => g.slug));
  const isBbUser = (id: string) => !!state.accountsById.get(id)?.bitbucketUuid;
  let visible: { projects: Set<string>; repos: Set<string> } | null = null;
  if (run === "fallback-member") {
    const owner = tenant.credentials.bitbucketMemberConsumer.ownerAccountId;
    visible = {
      projects: visibleProjectKeys(access, state, owner),
      repos: new Set(bb.repos.filter((r) => canSeeRepo(access, owner, r)).map((r) => r.slug)),
    };
  }
  const shape = {
    members: access.members.length,
    projects: bb.projects
      .filter((p) => !visible || visible.projects.has(p.key))
      .map((p) => ({
        users: p.users.filter((u) => isBbUser(u.accountId)).length,
        groups: p.groups.filter((g) => groupSlugs.has(g.slug)).length,
      })),
    repositories: bb.repos
      .filter((r) => !visible || visible.repos.has(r.slug))
      .map((r) => ({
        users: r.users.filter((u) => isBbUser(u.accountId)).length,
        groups: r.groups.filter((g) => groupSlugs.has(g.slug)).length,
        branchRestrictions: r.branchRestrictions.length,
      })),
    effectivePermissions: access.rows.length,
  };
  const bitbucket =
    run === "fallback-admin"
      ? bitbucketCallBreakdown(shape, { mode: "fallback", branchRestrictionsReadable: true })
      : run === "fallback-member"
        ? bitbucketCallBreakdown(shape, { mode: "fallback", effectiveReadable: false })
        : bitbucketCallBreakdown(shape, { mode: "admin" });

  return { admin, scim, jira, confluence, bitbucket };
}

// ---------------------------------------------------------------- the simulator process

interface SimDetails {
  size: string;
  seed: number;
  bases: { origin: string; adminApi: string; site: string; bitbucketApi: string; bitbucket: string; control: string };
  orgId: string;
}

interface SimCounters {
  total: number;
  writes: number;
  counts: Array<{ api: string; method: string; route: string; status: number; count: number }>;
  rateLimited: Record<string, number>;
}

/** Starts the simulator CLI and waits for its JSON. */
async function startSim(size: string, seed: number): Promise<{ child: ChildProcess; details: SimDetails }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "test/atlassian-sim/cli.ts", "--size", size, "--seed", String(seed), "--port", "0", "--json"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const details = await new Promise<SimDetails>((resolve, reject) => {
    let buf = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buf += chunk.toString("utf8");
      try {
        resolve(JSON.parse(buf) as SimDetails);
      } catch {
        // Not complete yet.
      }
    });
    child.once("exit", (code) => reject(new Error(`simulator exited (${code}) before printing its details`)));
  });
  return { child, details };
}

async function control(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

/** Runs one discovery in a fresh process. */
async function runWorker(job: WorkerJob): Promise<WorkerResult> {
  const child = spawn(process.execPath, ["--import", "tsx", SELF, "--worker"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise<WorkerResult>((resolve, reject) => {
    let result: WorkerResult | null = null;
    child.on("message", (m) => {
      if ((m as { ready?: boolean }).ready) child.send(job);
      else result = m as WorkerResult;
    });
    child.once("exit", (code) => (result ? resolve(result) : reject(new Error(`worker exited (${code})`))));
  });
}

/**
 * Waits (at most `maxSeconds`) until the machine is quiet — 1-minute load average under half the CPUs — so that
 * other work does not take the CPUs the simulator and discovery share. The load is recorded with each run.
 */
async function waitForQuiet(maxSeconds: number): Promise<void> {
  const quiet = cpus().length / 2;
  const until = Date.now() + maxSeconds * 1000;
  let said = false;
  while ((loadavg()[0] ?? 0) >= quiet && Date.now() < until) {
    if (!said) process.stderr.write(`waiting for the machine to be quiet (load ${loadavg()[0]?.toFixed(2)})…\n`);
    said = true;
    await sleep(5000);
  }
}

/** CPU time (user + system) of a process so far, from `/proc` (Linux); null elsewhere. */
async function cpuTimeMs(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat (utime, stime), in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The report's API of a simulator API or a transport product. */
const sourceOf = (api: string): string => (api === "bitbucket-oauth" ? "bitbucket" : api);

/** Turns a worker's measurements and the simulator's counters into a run's input to the report. */
function toRunInput(
  run: { name: RunName; title: string },
  size: string,
  w: WorkerResult,
  sim: SimCounters,
  rateLimitedBefore: Record<string, number>,
  bounds: Breakdowns,
  rates: Record<string, RateRule>,
  concurrency: number,
  simulatorMs: number | null,
): RunInput {
  const apis: ApiInput[] = [];
  const endpoints: EndpointInput[] = [];
  const simByKey = new Map<string, number>();
  const simByApi = new Map<string, number>();
  for (const c of sim.counts) {
    const api = sourceOf(c.api);
    const key = `${api} ${endpointKey(api, c.method, c.route)}`;
    simByKey.set(key, (simByKey.get(key) ?? 0) + c.count);
    simByApi.set(api, (simByApi.get(api) ?? 0) + c.count);
  }
  for (const source of SOURCES) {
    const status = w.statuses.find((s) => s.product === source);
    if (!status) continue;
    const mine = w.calls.filter((c) => sourceOf(c.product) === source);
    const breakdown = bounds[source];
    const byKey = new Map<string, EndpointInput>();
    const timing = new Map<string, { timed: number; ms: number }>();
    for (const [label, minimum] of Object.entries(breakdown)) {
      const key = labelKey(source, label);
      byKey.set(key, { api: source, endpoint: label, calls: 0, retries: 0, status429: 0, minimum, simCalls: null });
    }
    for (const c of mine) {
      const key = labelKey(source, c.endpoint);
      const e = byKey.get(key) ?? {
        api: source,
        endpoint: c.endpoint,
        calls: 0,
        retries: 0,
        status429: 0,
        minimum: null,
        simCalls: null,
      };
      e.endpoint = c.endpoint;
      e.calls += c.calls;
      e.retries += c.retries;
      e.status429 += c.status429;
      e.firstMs = Math.min(e.firstMs ?? c.firstMs, c.firstMs);
      e.lastMs = Math.max(e.lastMs ?? c.lastMs, c.lastMs);
      const t = timing.get(key) ?? { timed: 0, ms: 0 };
      timing.set(key, { timed: t.timed + c.timed, ms: t.ms + c.exchangeMs });
      byKey.set(key, e);
    }
    for (const [key, t] of timing) {
      const e = byKey.get(key);
      if (e && t.timed > 0) e.meanExchangeMs = t.ms / t.timed;
    }
    // The simulator counts routes: a route read under two labels (a qualified one) has no per-label count.
    const labelsPerRoute = new Map<string, number>();
    for (const key of byKey.keys()) labelsPerRoute.set(routeKey(key), (labelsPerRoute.get(routeKey(key)) ?? 0) + 1);
    for (const [key, e] of byKey) {
      e.simCalls = labelsPerRoute.get(routeKey(key)) === 1 ? (simByKey.get(`${source} ${key}`) ?? null) : null;
    }
    endpoints.push(...byKey.values());
    const sum = (f: (c: (typeof mine)[number]) => number) => mine.reduce((n, c) => n + f(c), 0);
    const calls = sum((c) => c.calls);
    if (calls !== status.calls) {
      process.stderr.write(`warning: ${run.name} ${source}: onCall ${calls} ≠ status.calls ${status.calls}\n`);
    }
    apis.push({
      api: source,
      state: status.state,
      calls,
      simCalls: simByApi.get(source) ?? 0,
      minimum: Object.values(breakdown).reduce((a, b) => a + b, 0),
      elapsedMs: Date.parse(status.finishedAt) - Date.parse(status.startedAt),
      status429: sum((c) => c.status429),
      retries: sum((c) => c.retries),
      waitedMs: w.waitedMs[source] ?? 0,
      peakInFlight: w.peakInFlight[source] ?? 0,
      meanExchangeMs: sum((c) => c.timed) > 0 ? sum((c) => c.exchangeMs) / sum((c) => c.timed) : null,
      rate: rates[source] ?? null,
    });
  }
  const limited = Object.entries(sim.rateLimited).reduce((n, [api, v]) => n + v - (rateLimitedBefore[api] ?? 0), 0);
  const seen429 = apis.reduce((n, a) => n + a.status429, 0);
  if (limited !== seen429)
    process.stderr.write(`warning: ${run.name}: simulator sent ${limited} 429s, onCall saw ${seen429}\n`);
  return {
    name: run.name,
    title: run.title,
    rssTargetApplies: size === "L",
    outcome: w.outcome,
    bitbucketMode: w.bitbucketMode,
    wallMs: w.wallMs,
    latencyMs: LATENCY.meanMs,
    concurrency,
    apis,
    endpoints,
    memory: w.memory,
    cpu: { discoveryMs: w.cpuMs, simulatorMs, loopDelayP99Ms: w.loopDelayMs.p99 },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: "string", default: "M" },
      seed: { type: "string", default: "7" },
      concurrency: { type: "string" },
      runs: { type: "string" },
      out: { type: "string", default: "bench-results" },
      worker: { type: "boolean", default: false },
      "quiet-wait": { type: "string", default: "600" },
      render: { type: "string" },
      only: { type: "string" },
    },
  });
  if (values.worker) return worker();
  if (values.render) {
    // Re-renders the Markdown of a saved report (after a change to the rendering), without running anything.
    const path = String(values.render);
    const markdown = renderMarkdown(JSON.parse(await readFile(path, "utf8")) as BenchReport);
    await writeFile(path.replace(/\.json$/, ".md"), markdown);
    process.stdout.write(markdown);
    return;
  }
  const size = String(values.size).toUpperCase();
  const seed = Number(values.seed);
  if (!["S", "M", "L", "XL"].includes(size)) throw new Error(`--size must be S, M, L or XL (got ${values.size})`);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer (got ${values.seed})`);
  const wanted = values.runs ? new Set(values.runs.split(",")) : null;
  const only = values.only ? new Set(values.only.split(",")) : null;
  const runs = RUNS.filter((r) => !wanted || wanted.has(r.name));

  const { generateTenant } = await import("../atlassian-sim/tenant/generate.js");
  const { SimContext } = await import("../atlassian-sim/context.js");
  const { simConfigInput } = await import("../support/sim-config.js");
  const tenant = generateTenant(size as SimTenant["size"], seed);
  const state = new SimContext(tenant).state;

  const { child: simChild, details } = await startSim(size, seed);
  const stopSim = () => simChild.kill("SIGTERM");
  process.on("exit", stopSim);
  try {
    if (details.orgId !== tenant.org.id) throw new Error("the simulator's tenant differs from the generated one");
    const ctl = details.bases.control;
    await control(ctl, "PUT", "/latency", [LATENCY]);

    const summaries: RunSummary[] = [];
    let stress: Record<string, RateRule> | null = null;
    let concurrency = 8;
    let previousWindow = 0;
    for (const run of runs) {
      let rates = RATE_LIMITS;
      if (run.name === "stress") {
        const first = summaries.find((s) => s.name === "admin");
        if (!first) throw new Error("the stress run needs the admin run's demand (run admin too)");
        stress = stressRates(first.apis, STRESS_FACTOR, { bitbucket: RATE_LIMITS.bitbucket?.windowMs ?? 1000 });
        rates = stress;
      }
      // Let every window of the previous run's limits lapse, so this run starts with full budgets.
      await sleep(previousWindow + 200);
      previousWindow = Math.max(...Object.values(rates).map((r) => r.windowMs));
      await control(
        ctl,
        "PUT",
        "/rate-limits",
        Object.entries(rates).map(([api, r]) => ({ api, limit: r.limit, windowMs: r.windowMs })),
      );
      await control(
        ctl,
        "PUT",
        "/faults",
        run.name === "fallback-admin"
          ? [
              { api: "bitbucket", route: PC_USERS, kind: "status", status: 403 },
              { api: "bitbucket", route: PC_GROUPS, kind: "status", status: 403 },
            ]
          : [],
      );
      await control(ctl, "POST", "/requests/reset");
      const before = (await control(ctl, "GET", "/requests")) as SimCounters;

      const overrides: Partial<ConfigInput> = {};
      if (values.concurrency) overrides.concurrency = Number(values.concurrency);
      if (only) {
        // Diagnosis: read only these sources (e.g. one API without the others competing for the CPUs).
        overrides.products = (["jira", "confluence", "bitbucket"] as const).filter((p) => only.has(p));
        if (!only.has("admin")) Object.assign(overrides, { adminApiKey: undefined, orgId: undefined });
        if (!only.has("scim")) overrides.lifecycle = undefined;
      }
      if (run.name === "fallback-member") {
        overrides.bitbucketOAuthKey = tenant.credentials.bitbucketMemberConsumer.key;
        overrides.bitbucketOAuthSecret = tenant.credentials.bitbucketMemberConsumer.secret;
      }
      const config = simConfigInput(tenant, details.bases.origin, overrides);
      concurrency = config.concurrency ?? 8;
      await waitForQuiet(Number(values["quiet-wait"]));
      const loadBefore = loadavg()[0] ?? 0;
      process.stderr.write(`discovery benchmark ${size}: run ${run.name} (load ${loadBefore.toFixed(2)})…\n`);
      const simCpu0 = await cpuTimeMs(simChild.pid);
      const result = await runWorker({
        config,
        hosts: [details.bases.adminApi, details.bases.site, details.bases.bitbucketApi, details.bases.bitbucket],
      });
      const simCpu1 = await cpuTimeMs(simChild.pid);
      const loadAfter = loadavg()[0] ?? 0;
      const after = (await control(ctl, "GET", "/requests")) as SimCounters;
      if (after.writes > 0) throw new Error(`${run.name}: discovery sent ${after.writes} write requests`);
      if (result.schemaWarnings > 0)
        process.stderr.write(`warning: ${run.name}: ${result.schemaWarnings} schema warnings\n`);
      const input = toRunInput(
        run,
        size,
        result,
        after,
        before.rateLimited,
        await lowerBounds(state, run.name),
        rates,
        concurrency,
        simCpu0 !== null && simCpu1 !== null ? simCpu1 - simCpu0 : null,
      );
      input.load = { before: loadBefore, after: loadAfter };
      const summary = summarizeRun(input);
      summaries.push(summary);
      process.stderr.write(
        `  ${summary.outcome}: ${summary.calls} calls (min ${summary.minimum}), wall ${(summary.wallMs / 1000).toFixed(1)} s, ` +
          `bound ${(summary.boundMs / 1000).toFixed(1)} s, peak RSS ${summary.peakRssMB} MB\n`,
      );
      for (const s of result.statuses)
        for (const r of s.reasons) process.stderr.write(`  ${s.product} (${s.state}): ${r.slice(0, 160)}\n`);
    }

    const report: BenchReport = {
      settings: {
        size,
        seed,
        latency: LATENCY,
        concurrency,
        rateLimits: RATE_LIMITS,
        node: process.version,
        cpus: cpus().length,
      },
      stressRateLimits: stress,
      runs: summaries,
      notes: NOTES,
    };
    const markdown = renderMarkdown(report);
    const dir = String(values.out);
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, `discovery-${size}.json`),
      `${JSON.stringify(report, (_k, v) => (typeof v === "number" && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v))}\n`,
    );
    await writeFile(join(dir, `discovery-${size}.md`), markdown);
    process.stdout.write(markdown);
  } finally {
    stopSim();
  }
}

await main();
