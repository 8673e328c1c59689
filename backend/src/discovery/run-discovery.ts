/**
 * One discovery run: every enabled source read concurrently, each page turned into snapshot rows as it arrives,
 * each source given a status (complete, partial with reasons, failed), progress reported as it goes, and the
 * snapshot validated before it is handed on. A failed source yields no section, so it can never be mistaken for
 * an empty one; the store keeps its last good data.
 */
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { readConfluence } from "@accessmap/shared/readers/confluence/read-confluence";
import { readJira } from "@accessmap/shared/readers/jira/read-jira";
import type { ProgressEvent, ReaderContext, ReaderResult } from "@accessmap/shared/readers/reader";
import { type ProductStatus, Snapshot } from "@accessmap/shared/snapshot/schema";
import type { GovernorStats } from "@accessmap/shared/transport/governor";
import type { CallEvent, Send } from "@accessmap/shared/transport/transport";
import type { Config } from "../config/load.js";
import { readAdmin } from "../connectors/admin/read-admin.js";
import { readBitbucket } from "../connectors/bitbucket/read-bitbucket.js";
import { readScim } from "../connectors/scim/read-scim.js";
import { explainFailure } from "./explain.js";
import { buildTransports, type SourceName, type TransportDeps } from "./transports.js";

export interface DiscoveryProgress {
  source: SourceName;
  phase: string;
  done: number;
  total: number | null;
  calls: number;
  /** Time this source has spent waiting on rate limits so far. */
  waitingMs: number;
}

export interface DiscoveryOptions {
  send: Send;
  /** `throw` in tests, `warn` in production (schema mismatches). */
  schemaMode?: "warn" | "throw";
  onProgress?: (p: DiscoveryProgress) => void;
  onCall?: (e: CallEvent) => void;
  warn?: (message: string, fields: Record<string, unknown>) => void;
  signal?: AbortSignal;
  retry?: TransportDeps["retry"];
  clock?: () => number;
}

export interface DiscoveryResult {
  snapshot: Snapshot;
  /** `complete` when every source is; `failed` when any failed; else `partial`. */
  outcome: "complete" | "partial" | "failed";
  /** Time each API's requests waited on rate limits, and the most in flight at once (benchmark, diagnostics). */
  governor: GovernorStats;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Runs discovery for one configuration. */
export async function runDiscovery(config: Config, opts: DiscoveryOptions): Promise<DiscoveryResult> {
  const clock = opts.clock ?? Date.now;
  // Every request in flight (up to the concurrency cap per source) listens to the one cancellation signal; that is
  // expected, not a leak, so lift Node's default warning threshold of 10 for it.
  if (opts.signal) setMaxListeners(10_000, opts.signal);
  const runId = randomUUID();
  const startedAt = clock();
  const calls = new Map<string, number>();
  const { transports, governor } = buildTransports(config, {
    send: opts.send,
    schemaMode: opts.schemaMode ?? "warn",
    warn: opts.warn,
    retry: opts.retry,
    clock,
    onCall: (e) => {
      const source = e.product === "bitbucket-oauth" ? "bitbucket" : e.product;
      calls.set(source, (calls.get(source) ?? 0) + 1);
      opts.onCall?.(e);
    },
  });

  const ctxFor = (source: SourceName): ReaderContext => ({
    // Only called for sources whose transport exists.
    transport: transports[source]!,
    signal: opts.signal,
    progress: (e: ProgressEvent) =>
      opts.onProgress?.({
        source,
        phase: e.phase,
        done: e.done,
        total: e.total,
        calls: calls.get(source) ?? 0,
        waitingMs: governor.stats().waitedMs[source] ?? 0,
      }),
  });

  const notes: string[] = [];
  type Outcome = { status: ProductStatus; section: unknown };
  const run = async <S>(source: SourceName, read: () => Promise<ReaderResult<S>>): Promise<Outcome> => {
    const began = clock();
    try {
      const result = await read();
      const paging = transports[source]?.paging.issues() ?? [];
      const duplicates = paging.reduce((n, p) => n + p.duplicates, 0);
      // Repeated entries are dropped (the first copy wins) and counted; a total that moved during the walk means
      // the listing changed while it was read, so the next sync should confirm it.
      for (const p of paging.filter((i) => i.inconsistent)) {
        notes.push(`${source}: the listing ${p.endpoint} changed while it was read; the next sync will confirm it.`);
      }
      return {
        section: result.section,
        status: {
          product: source,
          state: result.reasons.length > 0 ? "partial" : "complete",
          reasons: result.reasons,
          counts: duplicates > 0 ? { ...result.counts, duplicatesDropped: duplicates } : result.counts,
          calls: calls.get(source) ?? 0,
          startedAt: iso(began),
          finishedAt: iso(clock()),
        },
      };
    } catch (err) {
      opts.warn?.("source failed", { source, error: err instanceof Error ? err.name : "unknown" });
      return {
        section: null,
        status: {
          product: source,
          state: "failed",
          reasons: [explainFailure(source, err)],
          counts: {},
          calls: calls.get(source) ?? 0,
          startedAt: iso(began),
          finishedAt: iso(clock()),
        },
      };
    }
  };

  const jobs: Array<Promise<Outcome>> = [];
  const bySource = new Map<SourceName, Promise<Outcome>>();
  const add = (source: SourceName, read: () => Promise<ReaderResult<unknown>>) => {
    const p = run(source, read);
    bySource.set(source, p);
    jobs.push(p);
  };
  if (transports.admin && config.orgId) {
    const orgId = config.orgId;
    add("admin", () => readAdmin(ctxFor("admin"), { orgId }));
  }
  if (transports.scim) add("scim", () => readScim(ctxFor("scim")));
  if (transports.jira) add("jira", () => readJira(ctxFor("jira")));
  if (transports.confluence) add("confluence", () => readConfluence(ctxFor("confluence")));
  if (transports.bitbucket && config.bitbucket) {
    const bb = config.bitbucket;
    add("bitbucket", () =>
      readBitbucket(ctxFor("bitbucket"), {
        workspace: bb.workspace,
        skipBranchProtection: config.skipBranchProtectionDiscovery,
      }),
    );
  }
  await Promise.all(jobs);

  const section = async (s: SourceName) => (await bySource.get(s))?.section ?? null;
  const statuses = await Promise.all(jobs.map(async (j) => (await j).status));
  if (!config.adminApiKey) {
    notes.push(
      "No adminApiKey configured: Jira and Confluence were read, but org users, product access, billing and IdP correlation are unavailable.",
    );
  }
  for (const s of ["jira", "confluence", "bitbucket"] as const) {
    if (!config.products.includes(s)) continue;
    // Read by the Forge app (siteAccess forge): the sync carries its last crawl forward, not a gap to report.
    if (s !== "bitbucket" && config.siteAccess === "forge") continue;
    if (!transports[s]) notes.push(`${s} is listed in products but has no usable credentials; it was not read.`);
  }

  const snapshot = Snapshot.parse({
    version: 1,
    runId,
    startedAt: iso(startedAt),
    finishedAt: iso(clock()),
    site: config.siteHost,
    statuses,
    notes,
    admin: await section("admin"),
    scim: await section("scim"),
    jira: await section("jira"),
    confluence: await section("confluence"),
    bitbucket: await section("bitbucket"),
  });
  const states = statuses.map((s) => s.state);
  const outcome = states.includes("failed") ? "failed" : states.includes("partial") ? "partial" : "complete";
  return { snapshot, outcome, governor: governor.stats() };
}
