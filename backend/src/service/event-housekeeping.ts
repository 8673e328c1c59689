/**
 * The service's periodic event work: poll each tenant's Admin audit events stream (the cursor is persisted, so a
 * restart resumes where it stopped) and forget webhook delivery ids past their dedupe window.
 */
import type { AdminEventsPollerDeps } from "../events/admin-events-poller.js";
import { AdminEventsPoller } from "../events/admin-events-poller.js";

export interface EventHousekeepingOptions extends AdminEventsPollerDeps {
  /** Between polls of every tenant's events stream. Default 60 s (the stream allows 60 requests a minute). */
  pollMs?: number;
  /** Between prunes of expired webhook delivery ids. Default 10 min. */
  pruneMs?: number;
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
  const prune = setInterval(
    () => {
      opts.store.pruneWebhookDeliveries().catch((err: unknown) => opts.logger.warn("webhook id prune failed", { err }));
    },
    opts.pruneMs ?? 10 * 60_000,
  );
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
