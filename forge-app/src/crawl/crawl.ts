/**
 * The crawl, in resumable parts. A scheduled trigger (or the install event) starts one backend crawl run per section
 * and enqueues one job. A section is read in parts (`parts.ts`): a `directory` part (what is not per project or
 * space), then one listing page of projects or spaces per part. Each job reads one part — or several in a row while
 * the invocation has time, stopping between parts — through the shared readers over Forge's native auth, sends
 * that part's rows as numbered batches (`runId` + `seq`), and enqueues the next job; after the last part it
 * completes the run with the per-key counts over all parts, and the next section starts.
 *
 * What a job carries (far below Forge's event size limit): the run ids, the section index, and the section's
 * progress — the part to read (its index and a {@link PartCursor}: an offset in the Jira project listing, or the
 * Confluence space listing's own next-page link, plus the previous project page's ids), the first seq of that part
 * and the running per-key counts. The directory part tells later parts nothing but where the listing starts: each
 * project or space part reads the next page of the listing itself, so no id list rides in the job and the listing
 * is read once, page by page, as a whole-section read would. If projects are deleted between two parts, the next
 * part steps back by that many rows and drops those of the previous page, so none is missed or read twice.
 *
 * Resumable: a part's seqs continue the previous part's, so a retried job (Forge redelivering it, or a resend after
 * a lost answer) sends the same seqs and the backend stores each batch once. Batches go out only once a part is
 * read whole: reading stops {@link SEND_RESERVE_MS} before the invocation's end, and a part cut short there has sent
 * nothing, so the job puts that same part back on the queue (at most {@link MAX_RESUMES} times in a row; the parts
 * before it are not read again). A run found already complete (a redelivered job after the commit) counts as done.
 *
 * Limits: a consumer has at most 900 s (`timeoutSeconds` in manifest.yml) and each pushed event is small; batches
 * stay far below Forge's 5 MB payload limit; a part holds at most one listing page, so its reading fits one
 * invocation even under the products' rate limits.
 */

import { type BatchLimits, DEFAULT_BATCH_LIMITS, toBatches } from "@accessmap/forge-app/crawl/batches";
import { DEFAULT_PART_SIZES, PartCursor, type PartSizes, readPart } from "@accessmap/forge-app/crawl/parts";
import { crawlQueue } from "@accessmap/forge-app/crawl/queue";
import { postBackend, RemoteError } from "@accessmap/forge-app/remote/backend";
import { forgeTransport } from "@accessmap/forge-app/transport/forge-transport";
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

/** Where a section's crawl stands between jobs. */
const SectionProgress = z.strictObject({
  /** Index of the part to read (0: the directory). */
  part: z.number().int().min(0),
  at: PartCursor,
  /** The first seq of that part's batches. */
  seq: z.number().int().min(0),
  /** Rows sent so far per key, over the parts before it. */
  counts: z.record(z.string().max(64), z.number().int().min(0)),
});
type SectionProgress = z.infer<typeof SectionProgress>;

const CrawlJob = z.object({
  runs: z.array(z.object({ section: z.enum(["jira", "confluence"]), runId: z.string() })).min(1),
  index: z.number().int().min(0),
  /** The current section's progress; absent at its start. */
  progress: SectionProgress.optional(),
  /** Times the current part was put back because its invocation ran out of time while reading it. */
  resumes: z.number().int().min(0).optional(),
});
export type CrawlJob = z.infer<typeof CrawlJob>;

/** A part cut short by the time limit this many times in a row fails instead (it is too big for one invocation). */
export const MAX_RESUMES = 3;
/** Reading stops this long before the invocation's end, to send what was read and enqueue the next job. */
export const SEND_RESERVE_MS = 60_000;

const START: SectionProgress = { part: 0, at: { kind: "directory" }, seq: 0, counts: {} };

export interface CrawlDeps {
  transport?: (section: CrawlSectionName) => Transport;
  limits?: BatchLimits;
  /** Projects or spaces per part. */
  partSizes?: Partial<PartSizes>;
  /** At most this many parts per job (default: as many as the invocation's time allows). */
  partsPerJob?: number;
  /** Milliseconds left in this invocation (Forge's `getRemainingTimeInMillis`). */
  remainingMs?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Starts one run per section at the backend and enqueues the first job. */
export async function startCrawl(sections: readonly CrawlSectionName[] = CRAWL_SECTIONS): Promise<CrawlJob> {
  const runs: CrawlJob["runs"] = [];
  for (const section of sections) {
    const started = await postBackend(FORGE_PATHS.crawls, { section }, StartCrawlResponse);
    runs.push({ section: started.section, runId: started.runId });
  }
  const job: CrawlJob = { runs, index: 0 };
  await enqueue(job);
  return job;
}

async function enqueue(job: CrawlJob): Promise<void> {
  await crawlQueue.push({ body: job, concurrency: { key: "crawl", limit: 1 } });
}

function alreadyComplete(err: unknown): boolean {
  // The backend answers 409 with code `crawl_complete` once a run committed (a retried job).
  return err instanceof RemoteError && err.status === 409 && err.code === "crawl_complete";
}

export interface JobOutcome {
  section: CrawlSectionName;
  runId: string;
  /**
   * `continued`: parts were sent and the next part is queued; `requeued`: the invocation ran out of time while
   * reading a part, which is back on the queue; otherwise the run's end.
   */
  state: "committed" | "held" | "already-complete" | "continued" | "requeued";
  /** Parts read and sent by this job. */
  parts: number;
  /** Batches sent by this job. */
  batches: number;
  /** Rows sent per key over the run's parts so far. */
  counts: Record<string, number>;
  reasons: string[];
}

/** The queue consumer: the current section's next parts, then the next job. */
export async function runCrawlJob(event: Pick<AsyncEvent, "body">, deps: CrawlDeps = {}): Promise<JobOutcome> {
  const job = CrawlJob.parse(event.body);
  const run = job.runs[job.index];
  if (!run) throw new Error(`crawl job index ${job.index} is out of range`);
  const sizes: PartSizes = { ...DEFAULT_PART_SIZES, ...deps.partSizes };
  const transport = (deps.transport ?? forgeTransport)(run.section);
  const remaining = deps.remainingMs?.();
  // Reading is aborted past this point, leaving time to send; no part is sent half read.
  const signal =
    remaining !== undefined ? AbortSignal.timeout(Math.max(1_000, remaining - SEND_RESERVE_MS)) : undefined;
  const post = <T>(path: string, body: unknown, schema: z.ZodType<T>) =>
    postBackend(path, body, schema, { retries: 3, sleep: deps.sleep });

  const first = job.progress ?? START;
  let progress = first;
  const outcome: JobOutcome = {
    ...run,
    state: "continued",
    parts: 0,
    batches: 0,
    counts: progress.counts,
    reasons: [],
  };
  try {
    for (;;) {
      const started = Date.now();
      let read: Awaited<ReturnType<typeof readPart>>;
      try {
        read = await readPart(run.section, progress.at, { transport, signal }, sizes);
      } catch (err) {
        // The count is of this part's cut-short invocations in a row; a later part of this job starts afresh.
        const resumes = progress === first ? (job.resumes ?? 0) : 0;
        if (err instanceof AbortedError && resumes < MAX_RESUMES) {
          // Nothing of this part was sent: reading it again in the next invocation loses and repeats nothing.
          await enqueue({ runs: job.runs, index: job.index, progress, resumes: resumes + 1 });
          console.warn("crawl part out of time, requeued", JSON.stringify({ ...run, part: progress.part }));
          return { ...outcome, state: "requeued" };
        }
        throw err;
      }
      const { batches, counts } = toBatches(read.rows, deps.limits ?? DEFAULT_BATCH_LIMITS);
      for (const b of batches) {
        await post(
          FORGE_PATHS.batches(run.runId),
          { seq: progress.seq + b.seq, section: run.section, rows: b.rows },
          CrawlBatchResponse,
        );
      }
      const total = { ...progress.counts };
      for (const [k, n] of Object.entries(counts)) total[k] = (total[k] ?? 0) + n;
      outcome.parts += 1;
      outcome.batches += batches.length;
      outcome.counts = total;
      outcome.reasons.push(...read.reasons);

      if (read.next === null) {
        const done = await post(FORGE_PATHS.complete(run.runId), { counts: total }, CompleteCrawlResponse);
        outcome.state = done.outcome;
        break;
      }
      progress = { part: progress.part + 1, at: read.next, seq: progress.seq + batches.length, counts: total };
      if (!timeForAnother(outcome.parts, Date.now() - started, deps)) {
        await enqueue({ runs: job.runs, index: job.index, progress });
        break;
      }
    }
  } catch (err) {
    if (!alreadyComplete(err)) throw err;
    outcome.state = "already-complete";
  }
  console.info("crawl job", JSON.stringify({ ...outcome, reasons: outcome.reasons.length }));
  if (outcome.state !== "continued" && job.index + 1 < job.runs.length) {
    await enqueue({ runs: job.runs, index: job.index + 1 });
  }
  return outcome;
}

/**
 * Whether this job reads another part: within `partsPerJob`, and with time for a part as long as twice the last
 * one before reading stops (the rest waits for the next invocation rather than being cut short).
 */
function timeForAnother(partsDone: number, lastPartMs: number, deps: CrawlDeps): boolean {
  if (partsDone >= (deps.partsPerJob ?? Number.POSITIVE_INFINITY)) return false;
  const remaining = deps.remainingMs?.();
  return remaining === undefined || remaining - SEND_RESERVE_MS > 2 * lastPartMs;
}
