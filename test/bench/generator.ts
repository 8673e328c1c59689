/**
 * Benchmark of the simulator's tenant generator and ground-truth computation:
 *
 *   npm run bench:generator -- [--size XL] [--seed 7]
 *
 * Prints one JSON line: `{size, seed, accounts, groups, memberships, projects, spaces, repos, groundTruthRows,
 * generateMs, groundTruthMs, peakRssMB}`. Peak RSS is the larger of the sampled `process.memoryUsage().rss` and
 * `process.resourceUsage().maxRSS`. Target for XL: under 60 s and under 2 GB on a 2-core machine.
 */
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { generateTenant } from "../atlassian-sim/tenant/generate.js";
import { computeGroundTruth } from "../atlassian-sim/tenant/ground-truth.js";
import { isSizePreset } from "../atlassian-sim/tenant/sizes.js";

const { values } = parseArgs({
  options: { size: { type: "string", default: "XL" }, seed: { type: "string", default: "7" } },
});
const size = values.size ?? "XL";
const seed = Number(values.seed);
if (!isSizePreset(size)) throw new Error(`--size must be S, M, L or XL (got ${size})`);
if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer (got ${values.seed})`);

let peakRss = process.memoryUsage().rss;
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};
// The work is synchronous, so the timer only fires between phases; the explicit samples cover the phases' ends.
const timer = setInterval(sample, 50);

await new Promise((resolve) => setImmediate(resolve));
const t0 = performance.now();
const tenant = generateTenant(size, seed);
const t1 = performance.now();
sample();
const rows = computeGroundTruth(tenant);
const t2 = performance.now();
sample();
clearInterval(timer);

const maxRssBytes = process.resourceUsage().maxRSS * 1024;
const result = {
  size,
  seed,
  accounts: tenant.accounts.length,
  groups: tenant.groups.length,
  memberships: tenant.groups.reduce((n, g) => n + g.members.length, 0),
  projects: tenant.jira.projects.length,
  spaces: tenant.confluence.spaces.length,
  repos: tenant.bitbucket.repos.length,
  groundTruthRows: rows.length,
  generateMs: Math.round(t1 - t0),
  groundTruthMs: Math.round(t2 - t1),
  peakRssMB: Math.round(Math.max(peakRss, maxRssBytes) / (1024 * 1024)),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
