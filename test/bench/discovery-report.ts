/**
 * The discovery benchmark's arithmetic and rendering, kept pure so it can be unit-tested with small inputs: call
 * ratios against each reader's lower bound, the time bound of a run, the stress run's rate limits, the matching of
 * the simulator's route counters to the readers' endpoint labels, and the Markdown table (`test/bench/discovery.ts`
 * measures, this file computes and renders).
 *
 * The time bound of one API: its calls can go no faster than its concurrency cap allows at the simulated latency,
 * nor faster than its rate limit allows (calls counted as the server accepted them, 429s excluded):
 *
 *     bound(api) = max(calls × latency ÷ concurrency, calls ÷ allowed rate)
 *
 * The APIs are read concurrently, each with its own lane (concurrency cap) and its own budget in the governor and
 * on the server, so no API waits for another: a run cannot end before its slowest API could, and with perfect
 * overlap it ends exactly then. The run's bound is therefore the largest API bound, not their sum. It ignores
 * dependency chains inside one API (the pages of a cursor walk are sequential), so a reader that cannot keep its
 * lane full shows up as a wall/bound ratio above 1.
 */

/** The targets of issue "Discovery" §5. */
export const TARGETS = {
  /** Calls made ÷ the reader's lower bound. */
  callRatio: 1.05,
  /** Wall time ÷ the run's bound. */
  wallOverBound: 1.3,
  /** Peak RSS of the discovery process at size L, in MB. */
  peakRssMB: 400,
} as const;
export type Targets = { [K in keyof typeof TARGETS]: number };

/** A fixed-window rate limit: at most `limit` requests per `windowMs`. */
export interface RateRule {
  limit: number;
  windowMs: number;
}

/** One endpoint of one API in one run, as measured. */
export interface EndpointInput {
  api: string;
  /** `METHOD /path` as the reader labels it (or the lower bound names it). */
  endpoint: string;
  /** Attempts reported by the transport's `onCall` (retries included). */
  calls: number;
  /** Attempts after the first of a request. */
  retries: number;
  status429: number;
  /** The reader's lower bound for this endpoint; null when the bound does not name it. */
  minimum: number | null;
  /** Requests the simulator counted for the matching route; null when no route matched. */
  simCalls: number | null;
  /** When the first and the last of these calls answered, in ms from the run's start (diagnosis). */
  firstMs?: number;
  lastMs?: number;
  /** Mean time of one exchange of this endpoint (send to body read), when measured. */
  meanExchangeMs?: number;
}

/** One API in one run, as measured. */
export interface ApiInput {
  api: string;
  /** The source's status: complete, partial or failed. */
  state: string;
  /** Attempts reported by `onCall` (retries included). */
  calls: number;
  /** Requests the simulator counted for the API (every status). */
  simCalls: number;
  /** The reader's call lower bound for this tenant and mode. */
  minimum: number;
  /** The API's own read time, from its status's start to finish. */
  elapsedMs: number;
  status429: number;
  retries: number;
  /** Request-time the governor held this API's requests back (pauses and spacing), summed over requests. */
  waitedMs: number;
  peakInFlight: number;
  /** Mean time of one exchange as the client saw it (send to body read), or null without calls. */
  meanExchangeMs: number | null;
  /** The rate limit the simulator enforced on the API, or null for none. */
  rate: RateRule | null;
}

export interface MemoryInput {
  /** RSS of the discovery process before discovery started (Node, tsx, the code). */
  baselineRssMB: number;
  /** Largest `process.memoryUsage().rss` sampled during the run. */
  sampledPeakRssMB: number;
  /** `process.resourceUsage().maxRSS` at the end. */
  maxRssMB: number;
}

/** One benchmark run, as measured. */
export interface RunInput {
  name: string;
  title: string;
  /** Whether the size's RSS target applies (size L). */
  rssTargetApplies: boolean;
  outcome: string;
  /** Bitbucket's permission mode as the snapshot states it. */
  bitbucketMode: string | null;
  wallMs: number;
  /** The mean latency the simulator adds to every request. */
  latencyMs: number;
  /** Requests in flight per API (the governor's cap). */
  concurrency: number;
  apis: ApiInput[];
  endpoints: EndpointInput[];
  memory: MemoryInput;
  /** 1-minute load average of the machine when the run started and ended (other work skews timings). */
  load?: { before: number; after: number };
  /** CPU time used during the run by the discovery process and by the simulator (which share the machine). */
  cpu: { discoveryMs: number; simulatorMs: number | null; loopDelayP99Ms?: number };
}

export interface Bound {
  /** calls × latency ÷ concurrency. */
  latencyMs: number;
  /** calls ÷ allowed rate (0 without a limit). */
  rateMs: number;
  boundMs: number;
  binding: "latency" | "rate";
}

export interface ApiSummary extends ApiInput {
  ratio: number;
  bound: Bound;
  /** The API's own elapsed time ÷ its bound. */
  elapsedOverBound: number;
}

export interface EndpointSummary extends EndpointInput {
  ratio: number | null;
}

export interface RunSummary extends Omit<RunInput, "apis" | "endpoints"> {
  apis: ApiSummary[];
  endpoints: EndpointSummary[];
  calls: number;
  simCalls: number;
  minimum: number;
  ratio: number;
  status429: number;
  retries: number;
  waitedMs: number;
  /** The run's bound: the largest API bound. */
  boundMs: number;
  boundApi: string | null;
  boundBinding: "latency" | "rate" | null;
  wallOverBound: number;
  /** Peak RSS: the larger of maxRSS and the sampled peak. */
  peakRssMB: number;
  /** APIs where `onCall` and the simulator disagree. */
  crossCheckMismatches: string[];
  met: { callRatio: boolean; wallOverBound: boolean; peakRss: boolean | null; noFailedSource: boolean };
}

export interface BenchSettings {
  size: string;
  seed: number;
  latency: { meanMs: number; jitterMs: number };
  concurrency: number;
  /** Rate limits of the normal runs, per simulator API. */
  rateLimits: Record<string, RateRule>;
  node: string;
  cpus: number;
}

export interface BenchReport {
  settings: BenchSettings;
  /** The stress run's limits, per simulator API. */
  stressRateLimits: Record<string, RateRule> | null;
  runs: RunSummary[];
  notes: string[];
}

// ---------------------------------------------------------------- arithmetic

/** Calls made ÷ the lower bound; 1 when both are 0, Infinity for calls against a bound of 0. */
export function callRatio(calls: number, minimum: number): number {
  if (minimum === 0) return calls === 0 ? 1 : Number.POSITIVE_INFINITY;
  return calls / minimum;
}

/**
 * The calls a bound counts: those the server accepted. A 429 spends no budget and did no work, so counting it would
 * raise the bound by the very waste it should expose.
 */
export function acceptedCalls(a: { calls: number; status429: number }): number {
  return Math.max(0, a.calls - a.status429);
}

/** The time bound of one API: `max(calls × latency ÷ concurrency, calls ÷ allowed rate)`. */
export function apiBound(calls: number, latencyMs: number, concurrency: number, rate: RateRule | null): Bound {
  const latency = (calls * latencyMs) / Math.max(1, concurrency);
  const rateMs = rate ? (calls * rate.windowMs) / rate.limit : 0;
  return rateMs > latency
    ? { latencyMs: latency, rateMs, boundMs: rateMs, binding: "rate" }
    : { latencyMs: latency, rateMs, boundMs: latency, binding: "latency" };
}

/** The run's bound: APIs run concurrently, so the largest API bound (and which API sets it). */
export function runBound(apis: ReadonlyArray<{ api: string; bound: Bound }>): {
  boundMs: number;
  api: string | null;
  binding: Bound["binding"] | null;
} {
  let best: { boundMs: number; api: string | null; binding: Bound["binding"] | null } = {
    boundMs: 0,
    api: null,
    binding: null,
  };
  for (const a of apis) if (a.bound.boundMs > best.boundMs) best = { ...a.bound, api: a.api };
  return { boundMs: best.boundMs, api: best.api, binding: best.binding };
}

/** `wall ÷ bound`; Infinity for a positive wall against a bound of 0. */
export function overBound(wallMs: number, boundMs: number): number {
  if (boundMs <= 0) return wallMs <= 0 ? 1 : Number.POSITIVE_INFINITY;
  return wallMs / boundMs;
}

/**
 * The stress run's limits: per API, `1/factor` of the demand measured in the first run (calls ÷ the API's own
 * elapsed time), as a fixed window of `windowMs` (default 1 s) with at least one request. APIs absent from
 * `windows` get the default window.
 */
export function stressRates(
  apis: ReadonlyArray<{ api: string; calls: number; elapsedMs: number }>,
  factor: number,
  windows: Readonly<Record<string, number>> = {},
): Record<string, RateRule> {
  const out: Record<string, RateRule> = {};
  for (const a of apis) {
    if (a.calls <= 0 || a.elapsedMs <= 0) continue;
    const windowMs = windows[a.api] ?? 1000;
    const demandPerMs = a.calls / a.elapsedMs;
    out[a.api] = { limit: Math.max(1, Math.floor((demandPerMs * windowMs) / factor)), windowMs };
  }
  return out;
}

/**
 * A key that matches a reader's endpoint label (`GET /rest/api/3/project/{id}/role`), a lower bound's key
 * (`POST /v2/orgs/{orgId}/directories/-/users/search`) and the simulator's route template
 * (`/admin/v2/orgs/:orgId/directories/:directoryId/users/search`): every parameter (`{…}`, `:…`, `-`) becomes `*`,
 * and the path prefix that is part of the API's base URL (`/admin`, `/scim/directory/{id}`) is dropped.
 */
export function endpointKey(api: string, method: string, path: string): string {
  let p = path
    .split("?")[0]!
    .split("/")
    .map((s) => (s.startsWith("{") || s.startsWith(":") || s === "-" ? "*" : s))
    .join("/");
  const prefix = api === "admin" ? "/admin/" : api === "scim" ? "/scim/directory/*/" : null;
  if (prefix && p.startsWith(prefix)) p = p.slice(prefix.length - 1);
  return `${method.toUpperCase()} ${p}`;
}

/**
 * `endpointKey` of a `METHOD /path` label. A qualifier after the path (`… (product access)`: the same route read for
 * another purpose, counted apart) is kept, so such calls stay apart from the plain ones.
 */
export function labelKey(api: string, label: string): string {
  const space = label.indexOf(" ");
  const rest = label.slice(space + 1);
  const qualifier = /\s+\(.*\)$/.exec(rest)?.[0] ?? "";
  return endpointKey(api, label.slice(0, space), rest.slice(0, rest.length - qualifier.length)) + qualifier;
}

/** The route part of a `labelKey` (its qualifier dropped), as the simulator's counters know it. */
export function routeKey(key: string): string {
  return key.replace(/\s+\(.*\)$/, "");
}

/** Computes ratios, bounds and target checks of one run. */
export function summarizeRun(input: RunInput, targets: Targets = TARGETS): RunSummary {
  const apis: ApiSummary[] = input.apis.map((a) => {
    const bound = apiBound(acceptedCalls(a), input.latencyMs, input.concurrency, a.rate);
    return {
      ...a,
      ratio: callRatio(a.calls, a.minimum),
      bound,
      elapsedOverBound: overBound(a.elapsedMs, bound.boundMs),
    };
  });
  const endpoints: EndpointSummary[] = input.endpoints.map((e) => ({
    ...e,
    ratio: e.minimum === null ? null : callRatio(e.calls, e.minimum),
  }));
  const sum = (f: (a: ApiInput) => number) => apis.reduce((n, a) => n + f(a), 0);
  const calls = sum((a) => a.calls);
  const minimum = sum((a) => a.minimum);
  const bound = runBound(apis);
  const wallOverBound = overBound(input.wallMs, bound.boundMs);
  const peakRssMB = Math.max(input.memory.maxRssMB, input.memory.sampledPeakRssMB);
  const { apis: _a, endpoints: _e, ...rest } = input;
  return {
    ...rest,
    apis,
    endpoints,
    calls,
    simCalls: sum((a) => a.simCalls),
    minimum,
    ratio: callRatio(calls, minimum),
    status429: sum((a) => a.status429),
    retries: sum((a) => a.retries),
    waitedMs: sum((a) => a.waitedMs),
    boundMs: bound.boundMs,
    boundApi: bound.api,
    boundBinding: bound.binding,
    wallOverBound,
    peakRssMB,
    crossCheckMismatches: apis.filter((a) => a.calls !== a.simCalls).map((a) => `${a.api} ${a.calls}≠${a.simCalls}`),
    met: {
      callRatio: apis.every((a) => a.ratio <= targets.callRatio),
      wallOverBound: wallOverBound <= targets.wallOverBound,
      peakRss: input.rssTargetApplies ? peakRssMB <= targets.peakRssMB : null,
      noFailedSource: apis.every((a) => a.state !== "failed"),
    },
  };
}

// ---------------------------------------------------------------- diagnosis

export interface Phase {
  endpoint: string;
  calls: number;
  firstMs: number;
  lastMs: number;
  /** Calls per second between the first and the last answer; null for a single call. */
  ratePerS: number | null;
  meanExchangeMs: number | null;
}

/** The endpoints of one API that answered, in the order they were first read, with their rate. */
export function phases(run: { endpoints: readonly EndpointInput[] }, api: string): Phase[] {
  return run.endpoints
    .filter((e) => e.api === api && e.calls > 0 && e.firstMs !== undefined && e.lastMs !== undefined)
    .map((e) => {
      const firstMs = e.firstMs as number;
      const lastMs = e.lastMs as number;
      const span = lastMs - firstMs;
      return {
        endpoint: e.endpoint,
        calls: e.calls,
        firstMs,
        lastMs,
        ratePerS: e.calls > 1 && span > 0 ? ((e.calls - 1) * 1000) / span : null,
        meanExchangeMs: e.meanExchangeMs ?? null,
      };
    })
    .sort((a, b) => a.firstMs - b.firstMs || a.lastMs - b.lastMs);
}

/**
 * APIs over the wall/bound target that do not set the run's wall, each with its slowest endpoint and the average
 * number of its calls in flight (calls × mean exchange ÷ span): about 1 is a chain of dependent pages.
 */
export function slowApis(run: RunSummary, targets: Targets = TARGETS): string[] {
  const out: string[] = [];
  for (const a of run.apis) {
    if (a.api === run.boundApi || a.elapsedOverBound <= targets.wallOverBound) continue;
    const longest = phases(run, a.api).sort((x, y) => y.lastMs - y.firstMs - (x.lastMs - x.firstMs))[0];
    const finishedBefore = run.wallMs - a.elapsedMs;
    let text =
      `${apiName(a.api)} took ${seconds(a.elapsedMs)} against a bound of ${seconds(a.bound.boundMs)} ` +
      `(${fmtRatio(a.elapsedOverBound)}), ${seconds(Math.max(0, finishedBefore))} before the run's end`;
    if (longest && a.meanExchangeMs !== null && longest.lastMs > longest.firstMs) {
      const inFlight = (longest.calls * a.meanExchangeMs) / (longest.lastMs - longest.firstMs + a.meanExchangeMs);
      text +=
        `; slowest endpoint ${longest.endpoint}: ${longest.calls} calls over ` +
        `${seconds(longest.lastMs - longest.firstMs)}, ${inFlight.toFixed(1)} in flight on average`;
    }
    out.push(`${text}.`);
  }
  return out;
}

// ---------------------------------------------------------------- rendering

const API_NAMES: Record<string, string> = {
  admin: "Admin",
  scim: "SCIM",
  jira: "Jira",
  confluence: "Confluence",
  bitbucket: "Bitbucket",
  "bitbucket-oauth": "Bitbucket OAuth",
  "user-management": "User management",
};
const apiName = (api: string) => API_NAMES[api] ?? api;

/** Seconds with one decimal (two under 1 s). */
export function seconds(ms: number): string {
  const s = ms / 1000;
  return `${s < 1 ? s.toFixed(2) : s.toFixed(1)} s`;
}

/** A ratio with three decimals; ∞ and – for the edge cases. */
export function fmtRatio(r: number | null): string {
  if (r === null) return "–";
  if (!Number.isFinite(r)) return "∞";
  return r.toFixed(3);
}

const mark = (ok: boolean | null) => (ok === null ? "" : ok ? " ✓" : " ✗");

function rateText(r: RateRule): string {
  return `${r.limit} / ${seconds(r.windowMs)}`;
}

/** A Markdown table; cells are escaped for `|`. */
export function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>, align?: string[]): string {
  const esc = (c: string) => c.replaceAll("|", "\\|");
  const line = (cells: readonly string[]) => `| ${cells.map(esc).join(" | ")} |`;
  const sep = `|${head.map((_, i) => (align?.[i] === "r" ? "---:" : "---")).join("|")}|`;
  return [line(head), sep, ...rows.map(line)].join("\n");
}

/** One endpoint's cell: `calls/minimum`, with retries and 429s when there were any. */
function endpointCell(e: EndpointSummary | undefined): string {
  if (!e) return "";
  const base = e.minimum === null ? `${e.calls}/–` : `${e.calls}/${e.minimum}`;
  const extra: string[] = [];
  if (e.retries > 0) extra.push(`${e.retries} retried`);
  if (e.status429 > 0) extra.push(`${e.status429}×429`);
  return extra.length > 0 ? `${base} (${extra.join(", ")})` : base;
}

/** The whole report as Markdown: settings, the runs side by side, per API, per endpoint, notes. */
export function renderMarkdown(report: BenchReport, targets: Targets = TARGETS): string {
  const s = report.settings;
  const out: string[] = [];
  out.push(`# Discovery benchmark — size ${s.size} (seed ${s.seed})`, "");
  const limits = Object.entries(s.rateLimits)
    .map(([api, r]) => `${apiName(api)} ${rateText(r)}`)
    .join(", ");
  out.push(
    `Simulator in its own process; latency ${s.latency.meanMs} ± ${s.latency.jitterMs} ms on every request; ` +
      `rate limits (fixed windows): ${limits}. Concurrency cap ${s.concurrency} per API. Node ${s.node}, ` +
      `${s.cpus} CPUs shared by the simulator and discovery.`,
  );
  if (report.stressRateLimits) {
    const stress = Object.entries(report.stressRateLimits)
      .map(([api, r]) => `${apiName(api)} ${rateText(r)}`)
      .join(", ");
    out.push("", `Stress run limits (⅕ of the demand measured in the first run): ${stress}.`);
  }
  out.push(
    "",
    `Targets: calls ≤ ${targets.callRatio} × minimum per API, wall ≤ ${targets.wallOverBound} × bound, ` +
      `peak RSS ≤ ${targets.peakRssMB} MB at size L. Bound per API = max(calls × latency ÷ concurrency, ` +
      `calls ÷ allowed rate), counting the calls the server accepted (429s excluded); the run's bound is the ` +
      `largest API bound, since the APIs are read concurrently, each with its own lane and budget.`,
    "",
  );

  const runs = report.runs;
  out.push("## Runs", "");
  const summaryRows: string[][] = [
    ["outcome", ...runs.map((r) => `${r.outcome}${mark(r.met.noFailedSource)}`)],
    ["Bitbucket mode", ...runs.map((r) => r.bitbucketMode ?? "–")],
    ["calls / minimum", ...runs.map((r) => `${r.calls} / ${r.minimum} = ${fmtRatio(r.ratio)}${mark(r.met.callRatio)}`)],
    ["calls seen by the simulator", ...runs.map((r) => String(r.simCalls))],
    ["wall", ...runs.map((r) => seconds(r.wallMs))],
    [
      "bound (set by)",
      ...runs.map((r) => `${seconds(r.boundMs)} (${r.boundApi ? apiName(r.boundApi) : "–"}, ${r.boundBinding ?? "–"})`),
    ],
    ["wall / bound", ...runs.map((r) => `${fmtRatio(r.wallOverBound)}${mark(r.met.wallOverBound)}`)],
    ["429s / retries", ...runs.map((r) => `${r.status429} / ${r.retries}`)],
    ["waited on rate limits (request-time)", ...runs.map((r) => seconds(r.waitedMs))],
    [
      "peak RSS (maxRSS / sampled)",
      ...runs.map(
        (r) => `${r.peakRssMB} MB${mark(r.met.peakRss)} (${r.memory.maxRssMB} / ${r.memory.sampledPeakRssMB})`,
      ),
    ],
    ["RSS before discovery", ...runs.map((r) => `${r.memory.baselineRssMB} MB`)],
    [
      "CPU: discovery / simulator",
      ...runs.map(
        (r) => `${seconds(r.cpu.discoveryMs)} / ${r.cpu.simulatorMs === null ? "–" : seconds(r.cpu.simulatorMs)}`,
      ),
    ],
    [
      "event-loop delay p99 (discovery)",
      ...runs.map((r) => (r.cpu.loopDelayP99Ms === undefined ? "–" : `${r.cpu.loopDelayP99Ms} ms`)),
    ],
    [
      "load average (1 min) at start / end",
      ...runs.map((r) => (r.load ? `${r.load.before.toFixed(2)} / ${r.load.after.toFixed(2)}` : "–")),
    ],
  ];
  out.push(table(["", ...runs.map((r) => r.title)], summaryRows), "");

  out.push("## Per API", "");
  const apiRows: string[][] = [];
  for (const r of runs) {
    for (const a of r.apis) {
      apiRows.push([
        r.title,
        apiName(a.api),
        a.state,
        a.calls === a.simCalls ? String(a.calls) : `${a.calls} (sim ${a.simCalls})`,
        String(a.minimum),
        `${fmtRatio(a.ratio)}${mark(a.ratio <= targets.callRatio)}`,
        seconds(a.elapsedMs),
        seconds(a.bound.latencyMs),
        a.rate ? `${seconds(a.bound.rateMs)} (${rateText(a.rate)})` : "–",
        fmtRatio(a.elapsedOverBound),
        `${a.status429} / ${a.retries}`,
        seconds(a.waitedMs),
        String(a.peakInFlight),
        a.meanExchangeMs === null ? "–" : `${a.meanExchangeMs.toFixed(0)} ms`,
      ]);
    }
  }
  out.push(
    table(
      [
        "run",
        "API",
        "state",
        "calls",
        "min",
        "ratio",
        "elapsed",
        "bound: latency",
        "bound: rate",
        "elapsed / bound",
        "429 / retries",
        "waited",
        "peak in flight",
        "mean exchange",
      ],
      apiRows,
    ),
    "",
  );

  out.push("## Per endpoint (calls / minimum)", "");
  const keys: Array<{ api: string; endpoint: string }> = [];
  const seen = new Set<string>();
  for (const r of runs) {
    for (const e of r.endpoints) {
      const k = `${e.api} ${e.endpoint}`;
      if (!seen.has(k)) {
        seen.add(k);
        keys.push({ api: e.api, endpoint: e.endpoint });
      }
    }
  }
  const order = ["admin", "scim", "jira", "confluence", "bitbucket"];
  keys.sort((a, b) => order.indexOf(a.api) - order.indexOf(b.api));
  const endpointRows = keys.map((k) => [
    apiName(k.api),
    k.endpoint,
    ...runs.map((r) => endpointCell(r.endpoints.find((e) => e.api === k.api && e.endpoint === k.endpoint))),
  ]);
  out.push(table(["API", "endpoint", ...runs.map((r) => r.title)], endpointRows), "");

  out.push("## Where the time goes", "");
  out.push(
    "Per run, the endpoints of the API that sets the bound, in the order they were read: calls, when the first and " +
      "the last answered, the rate in between, and the mean time of one exchange. APIs over the wall/bound target that do not set the run's wall " +
      "are listed below it with their slowest endpoint: about one call in flight on average there is a chain of " +
      "dependent pages, which no concurrency can shorten.",
    "",
  );
  const phaseRows: string[][] = [];
  for (const r of runs) {
    const binding = r.apis.find((a) => a.api === r.boundApi);
    if (!binding) continue;
    for (const p of phases(r, binding.api)) {
      phaseRows.push([
        r.title,
        apiName(binding.api),
        p.endpoint,
        String(p.calls),
        seconds(p.firstMs),
        seconds(p.lastMs),
        p.ratePerS === null ? "–" : `${p.ratePerS.toFixed(0)}/s`,
        p.meanExchangeMs === null ? "–" : `${p.meanExchangeMs.toFixed(0)} ms`,
      ]);
    }
  }
  out.push(table(["run", "API", "endpoint", "calls", "first", "last", "rate", "mean exchange"], phaseRows), "");
  const slow = runs.flatMap((r) => slowApis(r, targets).map((n) => `${r.title}: ${n}`));
  if (slow.length > 0) out.push(...slow.map((n) => `- ${n}`), "");

  const mismatches = runs.flatMap((r) => r.crossCheckMismatches.map((m) => `${r.title}: ${m}`));
  out.push(
    mismatches.length === 0
      ? "Cross-check: the calls reported by `onCall` equal the requests the simulator counted, per API, in every run."
      : `Cross-check mismatches (onCall ≠ simulator): ${mismatches.join("; ")}.`,
  );
  if (report.notes.length > 0) out.push("", "## Notes", "", ...report.notes.map((n) => `- ${n}`));
  return `${out.join("\n")}\n`;
}
