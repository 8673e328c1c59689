/**
 * The events benchmark (issue "The backend service" §6):
 *
 *   npm run bench:events -- [--size L] [--seed 7] [--events 300]
 *
 * Runs the service in-process over an in-memory store and the simulator, commits a first full sync, then for each
 * event changes a repository permission in the simulator, posts a signed `repo:updated` webhook, and measures the
 * time from the webhook's receipt to the change being visible through the model query API (`GET
 * /v1/tenants/{id}/access/{account}` answering the patched version). Events are sent one after another (each waits for the
 * previous to be visible), so every sample is one full path: ack → queue → targeted Bitbucket re-read → patch →
 * commit → model cache reload → API answer. Prints the figures and writes `bench-results/events-<size>.md`.
 * Target: p99 < 200 ms at L.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { PatchOutcome } from "@accessmap/backend/events/types";
import { eventsHarness, repoPayload } from "../events/helpers.js";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "L" },
    seed: { type: "string", default: "7" },
    events: { type: "string", default: "300" },
  },
});
const size = (values.size ?? "L") as "S" | "M" | "L";
const seed = Number(values.seed);
const n = Number(values.events);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? 0;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

const setupStarted = performance.now();
let waiter: ((o: PatchOutcome) => void) | null = null;
const h = await eventsHarness({
  size,
  seed,
  ctx: { onEventOutcome: (o) => waiter?.(o), validateResponses: false },
});
const setupMs = performance.now() - setupStarted;
const key = (
  (await (await h.t.call("POST", `/v1/tenants/${h.tenantId}/api-keys`, { json: { label: "bench" } })).json()) as {
    key: string;
  }
).key;

const bb = h.sim.sim.state.tenant.bitbucket;
const repo = bb.repos.find((r) => bb.members.some((m) => !r.users.some((u) => u.accountId === m.accountId)))!;
const member = bb.members.find((m) => !repo.users.some((u) => u.accountId === m.accountId))!;
const payload = repoPayload(h.sim, repo.slug);

const total: number[] = [];
const ack: number[] = [];
const patch: number[] = [];
for (let i = 0; i < n; i++) {
  if (i % 2 === 0)
    h.sim.sim.state.bitbucketSetRepoPermission(repo.slug, { accountId: member.accountId }, "admin", "bench");
  else h.sim.sim.state.bitbucketRemoveRepoPermission(repo.slug, { accountId: member.accountId }, "bench");
  const done = new Promise<PatchOutcome>((resolve) => {
    waiter = resolve;
  });
  const t0 = performance.now();
  const res = await h.deliver(payload);
  const t1 = performance.now();
  if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
  const outcome = await done;
  const t2 = performance.now();
  if (outcome.outcome !== "patched" || outcome.version === null) throw new Error(`outcome ${outcome.outcome}`);
  const seen = await h.t.call("GET", `/v1/tenants/${h.tenantId}/access/${member.accountId}?limit=1`, { token: key });
  const body = (await seen.json()) as { model?: { version: number } };
  const version = body.model?.version;
  if (version !== outcome.version) throw new Error(`the API answered version ${version}, not ${outcome.version}`);
  const t3 = performance.now();
  ack.push(t1 - t0);
  patch.push(t2 - t0);
  total.push(t3 - t0);
}
await h.t.services.events.idle();
const model = await h.t.services.models.get(h.tenantId);
const figures = {
  size,
  seed,
  events: n,
  accounts: model?.model.accounts.length ?? 0,
  accessEntries: model?.model.access.length ?? 0,
  repositories: bb.repos.length,
  setupMs: Math.round(setupMs),
  ackMs: { p50: r1(pct(ack, 50)), p99: r1(pct(ack, 99)) },
  committedMs: { p50: r1(pct(patch, 50)), p99: r1(pct(patch, 99)) },
  visibleMs: { p50: r1(pct(total, 50)), p99: r1(pct(total, 99)), max: r1(Math.max(...total)) },
  targetP99Ms: 200,
  met: pct(total, 99) < 200,
};
console.log(JSON.stringify(figures));
const md = `# Events benchmark (${size}, seed ${seed})

Webhook receipt → patch visible through the model query API, ${n} sequential \`repo:updated\` deliveries, each
after a permission change in the simulator. In-process service (SQLite in memory) and simulator.

| | p50 | p99 |
|---|---|---|
| ack (HTTP answer) | ${figures.ackMs.p50} ms | ${figures.ackMs.p99} ms |
| committed (re-read + patch + commit) | ${figures.committedMs.p50} ms | ${figures.committedMs.p99} ms |
| visible via \`GET /v1/tenants/{id}/access/{account}\` | ${figures.visibleMs.p50} ms | ${figures.visibleMs.p99} ms |

Tenant: ${figures.accounts} accounts, ${figures.accessEntries} access entries, ${figures.repositories} repositories.
Target p99 < 200 ms: **${figures.met ? "met" : "not met"}**. Setup (generate + first full sync): ${figures.setupMs} ms.

\`\`\`json
${JSON.stringify(figures, null, 2)}
\`\`\`
`;
await mkdir("bench-results", { recursive: true });
await writeFile(`bench-results/events-${size}.md`, md);
await h.t.close();
