/**
 * The bounded in-process event queue (W11). Handlers `offer` an event and acknowledge at once; the queue runs one
 * consumer per tenant, so a tenant's patches never race each other, and tenants proceed side by side.
 *
 * - **Bounded**: at most `capacity` events wait (across tenants). `offer` answers false when full; the caller turns
 *   that into 503 + Retry-After, so the sender redelivers: nothing is dropped silently.
 * - **Coalescing**: the events of a tenant that wait while its previous batch is processed are handed over together,
 *   as one batch: one re-read per section serves them all (a burst of 1,000 deliveries makes a few patches, not
 *   1,000). Every accepted event is in exactly one batch, processed after it was accepted: none is lost.
 * - A failing batch is logged and reported; the next batch of the tenant still runs.
 *
 * @module
 */
import type { Logger } from "../security/logger.js";
import type { NormalizedEvent } from "./types.js";

export interface EventQueueOptions {
  /** Events waiting at most, across tenants. Default 10,000. */
  capacity?: number;
  /** Processes one tenant's batch; never called concurrently for one tenant. */
  process: (tenantId: string, batch: NormalizedEvent[]) => Promise<void>;
  logger?: Logger;
  /** Most events handed over in one batch. Default 5,000. */
  maxBatch?: number;
}

interface Lane {
  pending: NormalizedEvent[];
  running: Promise<void> | null;
}

export class EventQueue {
  readonly capacity: number;
  readonly #process: EventQueueOptions["process"];
  readonly #logger: Logger | undefined;
  readonly #maxBatch: number;
  readonly #lanes = new Map<string, Lane>();
  #waiting = 0;
  #reserved = 0;
  #inFlight = 0;
  #stopped = false;
  #idle: Array<() => void> = [];
  /** Counters (tests, metrics). */
  readonly stats = { accepted: 0, rejected: 0, processed: 0, batches: 0, failedBatches: 0 };

  constructor(opts: EventQueueOptions) {
    this.capacity = opts.capacity ?? 10_000;
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new TypeError("capacity must be ≥ 1");
    this.#process = opts.process;
    this.#logger = opts.logger;
    this.#maxBatch = opts.maxBatch ?? 5_000;
  }

  /** Events accepted and not yet handed to the processor. */
  get size(): number {
    return this.#waiting;
  }

  /**
   * Holds `n` places, so a handler can check capacity before it records a delivery as seen and enqueue after: a
   * held place is never refused. Null when they are not free (the caller answers 503). Call `release` for places
   * not used.
   */
  reserve(n = 1): { offer(event: NormalizedEvent): void; release(): void } | null {
    if (this.#stopped || this.#waiting + this.#reserved + n > this.capacity) {
      this.stats.rejected++;
      return null;
    }
    this.#reserved += n;
    let left = n;
    return {
      offer: (event) => {
        if (left <= 0) throw new Error("no reserved place left");
        left--;
        this.#reserved--;
        this.#enqueue(event);
      },
      release: () => {
        this.#reserved -= left;
        left = 0;
      },
    };
  }

  /** Accepts the event, or answers false when the queue is full or stopped (the caller answers 503). */
  offer(event: NormalizedEvent): boolean {
    if (this.#stopped || this.#waiting + this.#reserved >= this.capacity) {
      this.stats.rejected++;
      return false;
    }
    this.#enqueue(event);
    return true;
  }

  #enqueue(event: NormalizedEvent): void {
    let lane = this.#lanes.get(event.tenantId);
    if (!lane) {
      lane = { pending: [], running: null };
      this.#lanes.set(event.tenantId, lane);
    }
    lane.pending.push(event);
    this.#waiting++;
    this.stats.accepted++;
    if (!lane.running) this.#start(event.tenantId, lane);
  }

  #start(tenantId: string, lane: Lane): void {
    lane.running = (async () => {
      // Yield first, so the handler that offered the event answers before processing starts.
      await new Promise<void>((r) => setImmediate(r));
      while (lane.pending.length > 0) {
        const batch = lane.pending.splice(0, this.#maxBatch);
        this.#waiting -= batch.length;
        this.#inFlight += batch.length;
        this.stats.batches++;
        try {
          await this.#process(tenantId, batch);
        } catch (err) {
          this.stats.failedBatches++;
          this.#logger?.error("event batch failed", { tenantId, events: batch.length, err });
        } finally {
          this.#inFlight -= batch.length;
          this.stats.processed += batch.length;
        }
      }
    })().finally(() => {
      lane.running = null;
      if (lane.pending.length === 0) this.#lanes.delete(tenantId);
      else this.#start(tenantId, lane);
      this.#checkIdle();
    });
  }

  #checkIdle(): void {
    if (this.#waiting === 0 && this.#inFlight === 0 && [...this.#lanes.values()].every((l) => !l.running)) {
      const waiters = this.#idle;
      this.#idle = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves when nothing waits and nothing is being processed. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idle.push(resolve);
      this.#checkIdle();
    });
  }

  /** Stops accepting events and waits for those accepted to be processed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.idle();
  }
}
