/**
 * Runs the service on Node: the HTTP API (`@hono/node-server`), the sync worker (claims queued syncs, up to
 * `ACCESSMAP_SYNC_CONCURRENCY` at once) and the scheduler (queues syncs of tenants with a `schedule`). `close()`
 * shuts down in order: stop accepting connections and let requests in flight finish (bounded), stop the scheduler,
 * let running syncs finish (bounded; the rest go back to the queue), then close the HTTP client and the store.
 *
 * @module
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createUndiciSend } from "../http/undici-send.js";
import { createLogger, type Logger } from "../security/logger.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { startScheduler } from "../sync/scheduler.js";
import { startSyncWorker } from "../sync/worker.js";
import { createService } from "./app.js";
import { startEventHousekeeping } from "./event-housekeeping.js";
import { servicesFromSettings } from "./services.js";
import type { ServiceSettings } from "./settings.js";

export interface RunningService {
  /** Base URL of the API, e.g. `http://127.0.0.1:8787`. */
  url: string;
  docsUrl: string;
  store: Store;
  /** Graceful shutdown; safe to call twice. */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Run the sync worker and scheduler too (default true). */
  background?: boolean;
  /** How long shutdown waits for requests and syncs in flight. Default 20 s. */
  graceMs?: number;
}

const urlHost = (host: string) => (host.includes(":") && !host.startsWith("[") ? `[${host}]` : host);

export async function startService(settings: ServiceSettings, opts: StartOptions = {}): Promise<RunningService> {
  const logger = opts.logger ?? createLogger({ level: settings.logLevel });
  const graceMs = opts.graceMs ?? 20_000;
  const store = await openStore(settings.storeUrl);
  const send = createUndiciSend({ connections: 16 });
  const background = opts.background ?? true;
  const worker = background
    ? startSyncWorker({
        store,
        keyring: settings.keyring,
        send,
        logger,
        concurrency: settings.syncConcurrency,
        massDeletionThreshold: settings.massDeletionThreshold,
        retentionKeep: settings.retentionKeep,
        stopGraceMs: graceMs,
      })
    : null;
  const scheduler = background ? startScheduler({ store, logger }) : null;

  const { app, services } = createService({
    ...servicesFromSettings(settings, store, logger),
    onSyncRequested: () => worker?.wake(),
  });
  const events = background
    ? startEventHousekeeping({ store, keyring: settings.keyring, send, logger, events: services.events })
    : null;

  const server = serve({ fetch: app.fetch, hostname: settings.host, port: settings.port });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(settings.host)}:${port}`;
  logger.info("accessmap service listening", { url, store: store.dialect, background });

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      logger.info("accessmap service stopping");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          if ("closeAllConnections" in server) server.closeAllConnections();
        }, graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      });
      await scheduler?.stop();
      await events?.stop();
      await services.events.stop();
      await worker?.stop();
      await send.close();
      await store.close();
      logger.info("accessmap service stopped");
    })();
    return closing;
  };
  return { url, docsUrl: `${url}/docs`, store, close };
}
