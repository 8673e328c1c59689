/**
 * The chunked crawl. A scheduled trigger (or the install event) starts one backend crawl run per section and
 * enqueues one job; each job reads one chunk — one section, Jira then Confluence — through the shared readers over
 * Forge's native auth, sends it in numbered batches (`runId` + deterministic `seq`), completes the run with the
 * per-key counts, and enqueues the next chunk. A retried job reuses the run and the seqs, so the backend stores each
 * batch once; a run found already complete counts as done.
 *
 * Limits: a consumer has at most 900 s (`timeoutSeconds` in manifest.yml) and 100 KB per event (the job body holds
 * only run ids); batches stay far below Forge's 5 MB payload limit. Reading stops 60 s before the invocation's end;
 * a chunk cut short that way has sent nothing yet (batches go out only after the whole section is read), so the job
 * puts itself back on the queue for the same run (at most {@link MAX_RESUMES} times) and the next invocation reads
 * the section again. A section too big to read in one invocation needs readers that resume from a cursor — not
 * there yet.
 */

import { type BatchLimits, DEFAULT_BATCH_LIMITS, toBatches } from "@accessmap/forge-app/crawl/batches";
import { crawlQueue } from "@accessmap/forge-app/crawl/queue";
import { postBackend, RemoteError } from "@accessmap/forge-app/remote/backend";
import { forgeTransport } from "@accessmap/forge-app/transport/forge-transport";
import { readConfluence } from "@accessmap/shared/readers/confluence/read-confluence";
import { readJira } from "@accessmap/shared/readers/jira/read-jira";
import type { ReaderResult } from "@accessmap/shared/readers/reader";
import { AbortedError } from "@accessmap/shared/transport/errors";
import type { Transport } from "@accessmap/shared/transport/transport";
import {
  CompleteCrawlResponse,
  CrawlBatchResponse,
  type CrawlSectionName,
  FORGE_PATHS,
  StartCrawlResponse,
} from "@accessmap/shared/wire/forge";
import type { AsyncEvent } from "@forge/events";
import { z } from "zod";

export const CRAWL_SECTIONS: readonly CrawlSectionName[] = ["jira", "confluence"];

const CrawlJob = z.object({
  runs: z.array(z.object({ section: z.enum(["jira", "confluence"]), runId: z.string() })).min(1),
  index: z.number().int().min(0),
  /** Times the current chunk was put back because its invocation ran out of time while reading. */
  resumes: z.number().int().min(0).optional(),
});
export type CrawlJob = z.infer<typeof CrawlJob>;

/** A chunk cut short by the time limit this many times fails instead (the section is too big for one invocation). */
export const MAX_RESUMES = 3;

export interface CrawlDeps {
  transport?: (section: CrawlSectionName) => Transport;
  limits?: BatchLimits;
  /** Milliseconds left in this invocation (Forge's `getRemainingTimeInMillis`). */
  remainingMs?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Starts one run per section at the backend and enqueues the first chunk. */
export async function startCrawl(sections: readonly CrawlSectionName[] = CRAWL_SECTIONS): Promise<CrawlJob> {
  const runs: CrawlJob["runs"] = [];
  for (const section of sections) {
    const started = await postBackend(FORGE_PATHS.crawls, { section }, StartCrawlResponse);
    runs.push({ section: started.section, runId: started.runId });
  }
  const job: CrawlJob = { runs, index: 0 };
  await crawlQueue.push({ body: job, concurrency: { key: "crawl", limit: 1 } });
  return job;
}

function alreadyComplete(err: unknown): boolean {
  // The backend answers 409 with code `crawl_complete` once a run committed (a retried job).
  return err instanceof RemoteError && err.status === 409 && err.code === "crawl_complete";
}

export interface ChunkOutcome {
  section: CrawlSectionName;
  runId: string;
  /** `requeued`: the invocation ran out of time while reading; the same run goes back on the queue. */
  state: "committed" | "held" | "already-complete" | "requeued";
  batches: number;
  counts: Record<string, number>;
  reasons: string[];
}

/** Reads one section and sends it as one crawl run. */
export async function crawlChunk(
  run: { section: CrawlSectionName; runId: string },
  deps: CrawlDeps = {},
): Promise<ChunkOutcome> {
  const transport = (deps.transport ?? forgeTransport)(run.section);
  const remaining = deps.remainingMs?.();
  // Keep 60 s to send what was read; the reader's requests are aborted past that point.
  const signal = remaining !== undefined ? AbortSignal.timeout(Math.max(1_000, remaining - 60_000)) : undefined;
  const ctx = { transport, signal };
  const result: ReaderResult<object> = run.section === "jira" ? await readJira(ctx) : await readConfluence(ctx);
  const { batches, counts } = toBatches(result.section as Record<string, unknown>, deps.limits ?? DEFAULT_BATCH_LIMITS);
  try {
    for (const b of batches) {
      await postBackend(
        FORGE_PATHS.batches(run.runId),
        { seq: b.seq, section: run.section, rows: b.rows },
        CrawlBatchResponse,
        { retries: 3, sleep: deps.sleep },
      );
    }
    const done = await postBackend(FORGE_PATHS.complete(run.runId), { counts }, CompleteCrawlResponse, {
      retries: 3,
      sleep: deps.sleep,
    });
    return { ...run, state: done.outcome, batches: batches.length, counts, reasons: result.reasons };
  } catch (err) {
    if (alreadyComplete(err)) {
      return { ...run, state: "already-complete", batches: batches.length, counts, reasons: result.reasons };
    }
    throw err;
  }
}

/** The queue consumer: one chunk per job, then the next job. */
export async function runCrawlJob(event: Pick<AsyncEvent, "body">, deps: CrawlDeps = {}): Promise<ChunkOutcome> {
  const job = CrawlJob.parse(event.body);
  const run = job.runs[job.index];
  if (!run) throw new Error(`crawl job index ${job.index} is out of range`);
  let outcome: ChunkOutcome;
  try {
    outcome = await crawlChunk(run, deps);
  } catch (err) {
    // The reading deadline passed: nothing of this run was sent, so reading it again later loses and repeats nothing.
    const resumes = job.resumes ?? 0;
    if (err instanceof AbortedError && resumes < MAX_RESUMES) {
      await crawlQueue.push({ body: { ...job, resumes: resumes + 1 }, concurrency: { key: "crawl", limit: 1 } });
      console.warn("crawl chunk out of time, requeued", JSON.stringify({ ...run, resumes: resumes + 1 }));
      return { ...run, state: "requeued", batches: 0, counts: {}, reasons: [] };
    }
    throw err;
  }
  console.info("crawl chunk", JSON.stringify({ ...outcome, reasons: outcome.reasons.length }));
  if (job.index + 1 < job.runs.length) {
    await crawlQueue.push({
      body: { runs: job.runs, index: job.index + 1 },
      concurrency: { key: "crawl", limit: 1 },
    });
  }
  return outcome;
}
