/**
 * The model benchmark (issue "The merged model"):
 *
 *   node --expose-gc --import tsx test/bench/model.ts [--size L] [--seed 7] [--snapshot /tmp/snapshot-L-7.json]
 *
 * Gets a snapshot of a generated tenant — from `--snapshot` when the file exists, else by running the real discovery
 * in-process against the simulator (and writing it there, when given) — then times `buildModel` alone (best of
 * three, after a warm-up), `indexModel`, and the queries: `accessOf` for 2,000 accounts and `whoCanAccess` for
 * 2,000 resources (p50/p99). Checks the access set against the ground truth (counts the differences). Prints one
 * JSON line. Targets: L build well under 10 s; one account's access p99 ≤ 5 ms; who-can-access p99 ≤ 20 ms.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { runDiscovery } from "@accessmap/backend/discovery/run-discovery";
import { buildModel } from "@accessmap/backend/model/build-model";
import { accessOf, indexModel, whoCanAccess } from "@accessmap/backend/model/queries";
import type { Model } from "@accessmap/backend/model/types";
import { Snapshot } from "@accessmap/shared/snapshot/schema";
import { createSimApp } from "../atlassian-sim/app.js";
import { SimContext } from "../atlassian-sim/context.js";
import { generateTenant } from "../atlassian-sim/tenant/generate.js";
import { computeGroundTruth } from "../atlassian-sim/tenant/ground-truth.js";
import { isSizePreset } from "../atlassian-sim/tenant/sizes.js";
import { ORIGIN, type TestSim } from "../atlassian-sim/testing.js";
import { simConfig } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "L" },
    seed: { type: "string", default: "7" },
    snapshot: { type: "string" },
    /** Skip the ground-truth check (and generating the tenant when the snapshot file exists): memory of the build alone. */
    "skip-truth": { type: "boolean", default: false },
  },
});
const size = values.size ?? "L";
const seed = Number(values.seed);
if (!isSizePreset(size)) throw new Error(`--size must be S, M, L or XL (got ${size})`);

let peakRss = process.memoryUsage().rss;
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
const timer = setInterval(sample, 25);

const skipTruth = values["skip-truth"] === true;
const fromFile = values.snapshot !== undefined && existsSync(values.snapshot);
const tenant = fromFile && skipTruth ? null : generateTenant(size, seed);
let snapshot: Snapshot;
let discoveryMs: number | null = null;
if (fromFile && values.snapshot) {
  snapshot = Snapshot.parse(JSON.parse(await readFile(values.snapshot, "utf8")));
} else if (tenant) {
  const sim = new SimContext(tenant);
  const t = { sim, app: createSimApp(sim) } as unknown as TestSim;
  const t0 = performance.now();
  const result = await runDiscovery(simConfig(tenant, ORIGIN), { send: simSend(t), schemaMode: "warn" });
  discoveryMs = Math.round(performance.now() - t0);
  snapshot = result.snapshot;
  if (values.snapshot) await writeFile(values.snapshot, JSON.stringify(snapshot));
} else throw new Error("unreachable");

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 1000) / 1000;
};

// Warm-up, then best of three.
const rssAfterSnapshot = process.memoryUsage().rss;
buildModel(snapshot);
global.gc?.();
const baseRss = process.memoryUsage().rss;
const baseHeap = process.memoryUsage().heapUsed;
peakRss = baseRss;
const buildTimes: number[] = [];
let model: Model | null = null;
for (let i = 0; i < 3; i++) {
  model = null;
  global.gc?.();
  const t0 = performance.now();
  model = buildModel(snapshot);
  buildTimes.push(performance.now() - t0);
  sample();
}
const m = model!;
global.gc?.();
const modelHeapMB = Math.round((process.memoryUsage().heapUsed - baseHeap) / 2 ** 20);

const t1 = performance.now();
const idx = indexModel(m);
const indexMs = performance.now() - t1;

const accountIds = m.accounts.map((a) => a.accountId);
const accessTimes: number[] = [];
for (let i = 0; i < 2000; i++) {
  const id = accountIds[(i * 7919) % accountIds.length]!;
  const t = performance.now();
  accessOf(idx, id);
  accessTimes.push(performance.now() - t);
}
const resources = m.resources;
const whoTimes: number[] = [];
for (let i = 0; i < 2000; i++) {
  const r = resources[(i * 104729) % resources.length]!;
  const t = performance.now();
  whoCanAccess(idx, r.type, r.id);
  whoTimes.push(performance.now() - t);
}

const key = (r: { principal: string; product: string; resourceType: string; resourceId: string; permission: string }) =>
  `${r.principal}|${r.product}|${r.resourceType}|${r.resourceId}|${r.permission}`;
let missing: number | null = null;
let extra: number | null = null;
if (tenant && !skipTruth) {
  const expected = new Set(computeGroundTruth(tenant).map(key));
  const actual = new Set(m.access.map(key));
  missing = 0;
  extra = 0;
  for (const k of expected) if (!actual.has(k)) missing++;
  for (const k of actual) if (!expected.has(k)) extra++;
}
clearInterval(timer);

process.stdout.write(
  `${JSON.stringify({
    size,
    seed,
    discoveryMs,
    accounts: m.accounts.length,
    groups: m.groups.length,
    resources: m.resources.length,
    accessRows: m.access.length,
    dormantRows: m.dormant.length,
    buildMs: buildTimes.map(Math.round),
    buildBestMs: Math.round(Math.min(...buildTimes)),
    indexMs: Math.round(indexMs),
    accessOfP50Ms: percentile(accessTimes, 50),
    accessOfP99Ms: percentile(accessTimes, 99),
    whoCanAccessP50Ms: percentile(whoTimes, 50),
    whoCanAccessP99Ms: percentile(whoTimes, 99),
    groundTruthMissing: missing,
    groundTruthExtra: extra,
    /** Heap the built model retains (needs --expose-gc to be exact). */
    modelHeapMB,
    rssWithSnapshotMB: Math.round(rssAfterSnapshot / 2 ** 20),
    rssBeforeBuildMB: Math.round(baseRss / 2 ** 20),
    peakRssMB: Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20),
  })}\n`,
);
