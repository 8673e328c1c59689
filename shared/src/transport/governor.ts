/**
 * The rate governor: per tenant and per API, a concurrency cap with a bounded queue, plus pacing fed by response
 * headers. A quota signal pauses the whole API; a burst signal slows only its endpoint; a near-limit signal spreads
 * the remaining budget over the rest of the window before any 429 arrives. One governor instance is shared by every
 * request of a tenant so that concurrent readers cannot out-run it.
 */
import { BulkheadFullError } from "@accessmap/shared/transport/errors";
import type { RateLimitSignals } from "@accessmap/shared/transport/rate-limit-headers";
import { isQuotaReason } from "@accessmap/shared/transport/rate-limit-headers";

/** Share of a per-second burst limit the governor uses, leaving a margin for windows that do not align with ours. */
const PER_SECOND_SHARE = 0.9;

export interface GovernorOptions {
  /** Requests in flight per API. */
  concurrency: number;
  /** Requests waiting per API before new ones are refused. */
  maxQueue: number;
  clock: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface Lane {
  active: number;
  /** Requests sent and not yet answered (`active` also counts those still waiting for their slot). */
  sending: number;
  /** The budget per window the API last stated (`X-RateLimit-Limit`). */
  limit: number | undefined;
  queue: Array<() => void>;
  /** No request starts before this time (quota pause or Retry-After). */
  pausedUntil: number;
  /** Minimum spacing between request starts while near the limit. */
  spacingMs: number;
  spacingUntil: number;
  /** When the last request started (its scheduled slot when it waited for one). */
  lastSlot: number;
  /** Endpoint-level pauses (burst limits). */
  endpointPausedUntil: Map<string, number>;
  waitedMs: number;
}

export interface GovernorStats {
  /** Total time requests spent waiting on pauses and spacing, per API. */
  waitedMs: Record<string, number>;
  /** Highest number of requests seen in flight at once, per API. */
  peakInFlight: Record<string, number>;
}

export class Governor {
  private readonly lanes = new Map<string, Lane>();
  private readonly peak = new Map<string, number>();

  constructor(private readonly opts: GovernorOptions) {}

  private lane(api: string): Lane {
    let lane = this.lanes.get(api);
    if (!lane) {
      lane = {
        active: 0,
        sending: 0,
        limit: undefined,
        queue: [],
        pausedUntil: 0,
        spacingMs: 0,
        spacingUntil: 0,
        lastSlot: Number.NEGATIVE_INFINITY,
        endpointPausedUntil: new Map(),
        waitedMs: 0,
      };
      this.lanes.set(api, lane);
    }
    return lane;
  }

  /** Waits for a slot and for any pause, then runs `fn`; the slot is released when it settles. */
  async run<T>(api: string, endpoint: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const lane = this.lane(api);
    if (lane.active >= this.cap(lane)) {
      if (lane.queue.length >= this.opts.maxQueue) throw new BulkheadFullError(api);
      await new Promise<void>((resolve) => lane.queue.push(resolve));
    } else {
      lane.active += 1;
    }
    this.peak.set(api, Math.max(this.peak.get(api) ?? 0, lane.active));
    try {
      await this.pace(lane, endpoint, signal);
      lane.sending += 1;
      try {
        return await fn();
      } finally {
        lane.sending -= 1;
      }
    } finally {
      lane.active -= 1;
      while (lane.queue.length > 0 && lane.active < this.cap(lane)) {
        lane.active += 1;
        lane.queue.shift()?.();
      }
    }
  }

  /**
   * Requests a lane lets in flight: the configured concurrency, but never more than the API's whole stated budget
   * (`X-RateLimit-Limit`): with a budget of 4 per window, a fifth request in flight can only collect a 429.
   */
  private cap(lane: Lane): number {
    return Math.max(1, Math.min(this.opts.concurrency, lane.limit ?? Number.POSITIVE_INFINITY));
  }

  private async pace(lane: Lane, endpoint: string, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.opts.clock();
      let until = Math.max(lane.pausedUntil, lane.endpointPausedUntil.get(endpoint) ?? 0);
      if (lane.spacingMs > 0 && now < lane.spacingUntil) until = Math.max(until, lane.lastSlot + lane.spacingMs);
      if (until <= now) break;
      const wait = until - now;
      lane.waitedMs += wait;
      await this.opts.sleep(wait, signal);
    }
    // Every start is recorded, spaced or not, so spacing armed by its response applies to the very next start (after a
    // pause, the first request goes and the others follow it one spacing apart). A start less than one spacing late
    // keeps its slot's time rather than the moment a late timer or a busy event loop let it go, so the lateness is
    // caught up and the pace holds on average; a later one (the lane was idle) starts the schedule afresh.
    const now = this.opts.clock();
    const slot = lane.lastSlot + lane.spacingMs;
    lane.lastSlot = lane.spacingMs > 0 && now >= slot && now - slot < lane.spacingMs ? slot : now;
  }

  /** Feeds the governor what a response said about the rate limit. */
  observe(api: string, endpoint: string, status: number, s: RateLimitSignals): void {
    const lane = this.lane(api);
    const now = this.opts.clock();
    if (s.limit !== undefined && s.limit > 0) lane.limit = s.limit;
    if (status === 429 || (status === 503 && s.waitMs !== undefined)) {
      const wait = s.waitMs ?? 0;
      // A quota (or an unlabelled limit) covers the whole API; a burst limit covers one endpoint (reference §3).
      if (s.reason && !isQuotaReason(s.reason)) {
        lane.endpointPausedUntil.set(endpoint, Math.max(lane.endpointPausedUntil.get(endpoint) ?? 0, now + wait));
      } else {
        lane.pausedUntil = Math.max(lane.pausedUntil, now + wait);
      }
      return;
    }
    // What is left for requests not yet sent: the requests already on their way (besides this one) spend the rest.
    const left = s.remaining === undefined ? undefined : s.remaining - Math.max(0, lane.sending - 1);
    if (left !== undefined && left <= 0 && s.resetMs !== undefined) {
      lane.pausedUntil = Math.max(lane.pausedUntil, now + s.resetMs);
      return;
    }
    if (s.remaining === 0 && s.resetMs === undefined && s.limit !== undefined) {
      // Spent, with no reset stated: a per-second burst window ends within a second (a longer one answers the next
      // request with a 429 and its Retry-After, which the governor then honours).
      lane.pausedUntil = Math.max(lane.pausedUntil, now + 1000);
    }
    if (s.nearLimit && left !== undefined && left > 0 && s.resetMs !== undefined) {
      // Spread what is left over the rest of the window instead of spending it and collecting 429s.
      lane.spacingMs = Math.ceil(s.resetMs / left);
      lane.spacingUntil = now + s.resetMs;
    } else if (s.limit !== undefined && s.limit > 0 && s.resetMs === undefined) {
      // A limit stated without its window is a burst limit, which Atlassian counts per second (Jira, Confluence):
      // start at most a share of it per second, so the server's window is never exhausted and no request waits out
      // a whole-second Retry-After. Re-armed by every response; a limit that is really per hour is not slowed.
      lane.spacingMs = 1000 / (s.limit * PER_SECOND_SHARE);
      lane.spacingUntil = now + 1000;
    } else if (s.nearLimit && now >= lane.spacingUntil) {
      lane.spacingMs = 100;
      lane.spacingUntil = now + 10_000;
    }
  }

  /** Whether the API is paused right now (for progress reporting). */
  pausedFor(api: string): number {
    return Math.max(0, this.lane(api).pausedUntil - this.opts.clock());
  }

  stats(): GovernorStats {
    const waitedMs: Record<string, number> = {};
    for (const [api, lane] of this.lanes) waitedMs[api] = lane.waitedMs;
    return { waitedMs, peakInFlight: Object.fromEntries(this.peak) };
  }
}
