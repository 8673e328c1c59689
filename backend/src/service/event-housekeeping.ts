/**
 * The service's periodic event work: poll each tenant's Admin audit events stream (the cursor is persisted, so a
 * restart resumes where it stopped), forget webhook delivery ids past their dedupe window, and forget abandoned Forge
 * crawls (batches of runs that never completed, and old run cursors) after `crawlMaxAgeMs`.
 */
import type { AdminEventsPollerDeps } from "../events/admin-events-poller.js";
import { AdminEventsPoller } from "../events/admin-events-poller.js";

export interface EventHousekeepingOptions extends AdminEventsPollerDeps {
  /** Between polls of every tenant's events stream. Default 60 s (the stream allows 60 requests a minute). */
  pollMs?: number;
  /** Between prunes of expired webhook delivery ids and abandoned crawls. Default 10 min. */
  pruneMs?: number;
  /**
   * Age past which a Forge crawl's batches and run cursor are forgotten. Default 3 days: a parted crawl of a large
   * site takes hours, and Forge retries a job within minutes, so a run this old is finished or abandoned.
   */
  crawlMaxAgeMs?: number;
}

/** Default {@link EventHousekeepingOptions.crawlMaxAgeMs}. */
export const CRAWL_MAX_AGE_MS = 3 * 24 * 60 * 60 * 1000;

/** One prune pass: expired webhook delivery ids and abandoned crawls. */
export async function pruneEventState(
  opts: Pick<EventHousekeepingOptions, "store" | "logger" | "crawlMaxAgeMs">,
  now = new Date(),
): Promise<void> {
  try {
    await opts.store.pruneWebhookDeliveries();
  } catch (err) {
    opts.logger.warn("webhook id prune failed", { err });
  }
  try {
    const pruned = await opts.store.pruneCrawls(new Date(now.getTime() - (opts.crawlMaxAgeMs ?? CRAWL_MAX_AGE_MS)));
    if (pruned.batches + pruned.runs > 0) opts.logger.info("abandoned crawls pruned", pruned);
  } catch (err) {
    opts.logger.warn("crawl prune failed", { err });
  }
}

/** Starts the timers; `stop` waits for a poll in progress. */
export function startEventHousekeeping(opts: EventHousekeepingOptions): { stop(): Promise<void> } {
  const poller = new AdminEventsPoller(opts);
  let running: Promise<void> | null = null;
  const pollAll = () => {
    running ??= (async () => {
      for (const tenant of await opts.store.listTenants()) {
        try {
          await poller.poll(tenant.id);
        } catch (err) {
          opts.logger.warn("admin events poll failed", { tenantId: tenant.id, err });
        }
      }
    })()
      .catch((err: unknown) => opts.logger.warn("admin events poll failed", { err }))
      .finally(() => {
        running = null;
      });
  };
  const poll = setInterval(pollAll, opts.pollMs ?? 60_000);
  const prune = setInterval(() => void pruneEventState(opts), opts.pruneMs ?? 10 * 60_000);
  poll.unref();
  prune.unref();
  return {
    async stop() {
      clearInterval(poll);
      clearInterval(prune);
      await running;
    },
  };
}
