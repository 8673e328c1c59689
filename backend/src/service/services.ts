/**
 * What the service's routes run on: the store, the master keyring, the logger, the credentials' checkers and the
 * model cache. {@link resolveServices} fills in defaults; {@link servicesFromSettings} builds them from the
 * checked settings (the Forge verifier only when `ACCESSMAP_FORGE_APP_ID` is set).
 *
 * @module
 */
import type { Send } from "@accessmap/shared/transport/transport";
import type { Secret } from "../config/secret.js";
import { EventProcessor, type EventProcessorDeps } from "../events/processor.js";
import { EventQueue } from "../events/queue.js";
import type { PatchOutcome } from "../events/types.js";
import { createUndiciSend } from "../http/undici-send.js";
import type { MasterKeyring } from "../security/envelope.js";
import { FitVerifier } from "../security/fit.js";
import type { Logger } from "../security/logger.js";
import type { Store } from "../store/store.js";
import { ForgeTenantIndex, OperatorCheck } from "./auth.js";
import { ModelCache } from "./model-cache.js";
import type { ServiceSettings } from "./settings.js";

export interface ServiceContext {
  store: Store;
  keyring: MasterKeyring;
  logger: Logger;
  operatorToken: Secret | string;
  /** Default: a cache checking the current pointer on every request. */
  models?: ModelCache;
  /** The Forge verifier; null or absent disables `/forge/*` (503 `forge_not_configured`). */
  fit?: FitVerifier | null;
  /** The installation → tenant index the verifier resolves with (invalidated when a binding changes). */
  forgeIndex?: ForgeTenantIndex;
  /** Whether an unbound installation gets its own tenant when it registers (default true; see settings.ts). */
  forgeAutoRegister?: boolean;
  /** Default 1 MiB. */
  bodyLimitBytes?: number;
  /** Check every JSON answer against its contract (tests). Default false. */
  validateResponses?: boolean;
  /** Called after a sync is queued (the service wakes its worker). */
  onSyncRequested?: (tenantId: string) => void;
  now?: () => Date;
  /** How event re-reads and lifecycle calls reach the APIs. Default: undici, created on first use. */
  send?: Send;
  /** The event queue (webhooks, Forge events, the Admin events poller feed it). Default: one over an
   *  {@link EventProcessor} of this context. */
  events?: EventQueue;
  /** Events waiting at most before webhooks answer 503 (default 10,000). */
  eventQueueCapacity?: number;
  /** Called after each processed batch of events (benchmark, tests). */
  onEventOutcome?: (o: PatchOutcome) => void;
  /** Extra processor settings (tests). */
  eventProcessor?: Partial<Omit<EventProcessorDeps, "store" | "keyring" | "logger" | "send">>;
  /** How long a webhook delivery id is remembered (W6). Default 7 days. */
  webhookDedupeTtlMs?: number;
}

export interface Services {
  store: Store;
  keyring: MasterKeyring;
  logger: Logger;
  operator: OperatorCheck;
  models: ModelCache;
  fit: FitVerifier | null;
  forgeIndex: ForgeTenantIndex;
  forgeAutoRegister: boolean;
  bodyLimitBytes: number;
  validateResponses: boolean;
  onSyncRequested: (tenantId: string) => void;
  now: () => Date;
  events: EventQueue;
  webhookDedupeTtlMs: number;
  /** How the service reaches the Atlassian APIs (event re-reads, lifecycle management). */
  send: Send;
}

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export const DEFAULT_WEBHOOK_DEDUPE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

function lazyUndiciSend(): Send {
  let send: Send | null = null;
  return (req) => {
    send ??= createUndiciSend();
    return send(req);
  };
}

export function resolveServices(ctx: ServiceContext): Services {
  const onSyncRequested = ctx.onSyncRequested ?? (() => undefined);
  const send = ctx.send ?? lazyUndiciSend();
  let events = ctx.events;
  if (!events) {
    const processor = new EventProcessor({
      store: ctx.store,
      keyring: ctx.keyring,
      logger: ctx.logger,
      send,
      onSyncRequested,
      onOutcome: ctx.onEventOutcome,
      ...ctx.eventProcessor,
    });
    events = new EventQueue({
      capacity: ctx.eventQueueCapacity,
      logger: ctx.logger,
      process: async (tenantId, batch) => {
        await processor.process(tenantId, batch);
      },
    });
  }
  return {
    events,
    send,
    webhookDedupeTtlMs: ctx.webhookDedupeTtlMs ?? DEFAULT_WEBHOOK_DEDUPE_TTL_MS,
    store: ctx.store,
    keyring: ctx.keyring,
    logger: ctx.logger,
    operator: new OperatorCheck(ctx.operatorToken),
    models: ctx.models ?? new ModelCache(ctx.store),
    fit: ctx.fit ?? null,
    forgeIndex: ctx.forgeIndex ?? new ForgeTenantIndex(ctx.store),
    forgeAutoRegister: ctx.forgeAutoRegister ?? true,
    bodyLimitBytes: ctx.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    validateResponses: ctx.validateResponses ?? false,
    onSyncRequested,
    now: ctx.now ?? (() => new Date()),
  };
}

/** The service context the checked settings describe, over an opened store. */
export function servicesFromSettings(settings: ServiceSettings, store: Store, logger: Logger): ServiceContext {
  const forgeIndex = new ForgeTenantIndex(store);
  const fit = settings.forge
    ? new FitVerifier({
        appId: settings.forge.appId,
        jwksUrl: settings.forge.jwksUrl,
        allowedApiHosts: settings.forge.allowedApiHosts,
        resolveTenant: forgeIndex.resolve,
      })
    : null;
  return {
    store,
    keyring: settings.keyring,
    logger,
    operatorToken: settings.operatorToken,
    fit,
    forgeIndex,
    forgeAutoRegister: settings.forge?.autoRegister ?? true,
    bodyLimitBytes: settings.bodyLimitBytes,
  };
}
