/**
 * Every Forge function handler, by the export name manifest.yml gives (`index.<export>`, resolved from the root
 * `src/index.ts`, which re-exports this module).
 */

import { runCrawlJob, startCrawl } from "@accessmap/forge-app/crawl/crawl";
import { type ForgeEvent, handleLifecycle, handleProductEvent } from "@accessmap/forge-app/events/forward";
import type { AsyncEvent } from "@forge/events";

export { adminResolver } from "@accessmap/forge-app/admin/resolver";

interface FunctionContext {
  installContext?: string;
}

/** scheduledTrigger: start a crawl (one backend run per section, read in queued parts). */
export async function crawlSchedule(): Promise<void> {
  await startCrawl();
}

/** consumer of `crawl-jobs`: read and send the next parts of a section's crawl. */
export async function crawlConsumer(event: AsyncEvent): Promise<void> {
  await runCrawlJob(event, {
    remainingMs: () => {
      const ctx = (
        globalThis as { __forge_runtime__?: { lambdaContext?: { getRemainingTimeInMillis?: () => number } } }
      ).__forge_runtime__?.lambdaContext;
      return ctx?.getRemainingTimeInMillis?.() ?? 840_000;
    },
  });
}

/** trigger: product events (users, projects, groups, spaces). */
export async function productEvents(event: ForgeEvent, _context?: FunctionContext) {
  return handleProductEvent(event);
}

/** trigger: `avi:forge:installed:app` and `avi:forge:upgraded:app`. */
export async function lifecycle(event: ForgeEvent, context?: FunctionContext) {
  return handleLifecycle(event, context);
}
