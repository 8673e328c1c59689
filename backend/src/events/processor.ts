/**
 * Event processing: a batch of one tenant's events (the queue hands them over serialised per tenant) becomes one
 * TARGETED re-read — only the sections the events name, read fresh through the same connectors a sync uses — and
 * one incremental patch of the current model (`patch.ts`: replace those sections in the current snapshot, build,
 * guard, commit as a new version marked "event patch"; re-base when a full sync committed meanwhile, P6).
 *
 * Because the re-read fetches the CURRENT state, an event is only a hint: a replayed or forged-but-valid old
 * delivery (W7) triggers a re-read of today's state and cannot make the model regress. The full sync stays the
 * reconciler: an event that asks for it (large Admin changes) or a tenant without a current model queues one.
 *
 * @module
 */
import type { Send, TransportConfig } from "@accessmap/shared/transport/transport";
import type { Config } from "../config/load.js";
import { runDiscovery } from "../discovery/run-discovery.js";
import type { MasterKeyring } from "../security/envelope.js";
import type { Logger } from "../security/logger.js";
import { loadTenantConfig } from "../service/tenant-config.js";
import type { Store } from "../store/store.js";
import { type PatchResult, type ProducedSections, patchCurrent } from "./patch.js";
import type { NormalizedEvent, PatchOutcome, SectionName } from "./types.js";

export interface EventProcessorDeps {
  store: Store;
  keyring: MasterKeyring;
  send: Send;
  logger: Logger;
  /** Called after a full sync is queued (wakes the worker). */
  onSyncRequested?: (tenantId: string) => void;
  /** Called after every batch (the benchmark and tests wait on it). */
  onOutcome?: (o: PatchOutcome) => void;
  massDeletionThreshold?: number;
  retry?: TransportConfig["retry"];
  schemaMode?: "warn" | "throw";
  /** How long a patch waits for a running full sync. Default 120 s. */
  syncWaitMs?: number;
  /** Overrides the tenant configuration (tests, benchmark). */
  configFor?: (tenantId: string) => Promise<Config | null>;
}

/** The configuration restricted to the given sections, so discovery reads those and nothing else. */
export function restrictConfig(config: Config, sections: readonly SectionName[]): Config {
  const want = new Set(sections);
  return {
    ...config,
    products: config.products.filter((p) => want.has(p)),
    adminApiKey: want.has("admin") ? config.adminApiKey : null,
    bitbucket: want.has("bitbucket") ? config.bitbucket : null,
    lifecycle: want.has("scim") ? config.lifecycle : { ...config.lifecycle, scimUrl: null, scimToken: null },
  };
}

/** Reads the given sections' current state through the sync's connectors. A failed section yields null. */
export async function readSections(
  config: Config,
  sections: readonly SectionName[],
  opts: { send: Send; retry?: TransportConfig["retry"]; schemaMode?: "warn" | "throw"; signal?: AbortSignal },
): Promise<ProducedSections> {
  const r = await runDiscovery(restrictConfig(config, sections), {
    send: opts.send,
    retry: opts.retry,
    schemaMode: opts.schemaMode ?? "warn",
    signal: opts.signal,
  });
  const out: ProducedSections = { sections: {}, statuses: [] };
  for (const s of sections) {
    const status = r.snapshot.statuses.find((x) => x.product === s);
    if (!status) continue;
    out.statuses.push(status);
    out.sections[s] = status.state === "failed" ? null : r.snapshot[s];
  }
  return out;
}

function describe(events: NormalizedEvent[]): string {
  const kinds = new Map<string, number>();
  for (const e of events) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
  return [...kinds]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([k, n]) => (n > 1 ? `${k} ×${n}` : k))
    .join(", ");
}

export class EventProcessor {
  readonly #d: EventProcessorDeps;

  constructor(deps: EventProcessorDeps) {
    this.#d = deps;
  }

  /** Processes one tenant's batch; never throws for a source failure (it is reported as the outcome). */
  readonly process = async (tenantId: string, events: NormalizedEvent[]): Promise<PatchOutcome> => {
    const d = this.#d;
    const outcome = await this.#run(tenantId, events).catch(
      (err): PatchOutcome => ({
        tenantId,
        outcome: "failed",
        version: null,
        sections: [],
        events,
        rebased: 0,
        reason: err instanceof Error ? `${err.name}: ${err.message}` : "unexpected error",
      }),
    );
    d.logger[outcome.outcome === "failed" ? "warn" : "info"]("events processed", {
      tenantId,
      events: events.length,
      outcome: outcome.outcome,
      version: outcome.version,
      sections: outcome.sections,
      rebased: outcome.rebased,
    });
    await d.store
      .appendAudit({
        tenantId,
        actor: "system:events",
        action: "events.patch",
        target: outcome.version !== null ? `snapshot:${outcome.version}` : null,
        result: outcome.outcome,
        details: {
          events: events.length,
          kinds: describe(events),
          sections: outcome.sections,
          rebased: outcome.rebased,
          reason: outcome.reason,
        },
      })
      .catch(() => undefined);
    d.onOutcome?.(outcome);
    return outcome;
  };

  async #requestSync(tenantId: string): Promise<void> {
    await this.#d.store.enqueueJob(tenantId, { kind: "sync", dedupeKey: "sync", payload: { reason: "events" } });
    this.#d.onSyncRequested?.(tenantId);
  }

  async #run(tenantId: string, events: NormalizedEvent[]): Promise<PatchOutcome> {
    const d = this.#d;
    const base = { tenantId, events, rebased: 0 };
    if (events.some((e) => e.sections === "full")) {
      await this.#requestSync(tenantId);
      return {
        ...base,
        outcome: "sync-requested",
        version: null,
        sections: [],
        reason: "an event asked for a full sync",
      };
    }
    const sections = [...new Set(events.flatMap((e) => (e.sections === "full" ? [] : e.sections)))].sort();
    if (sections.length === 0) {
      return { ...base, outcome: "skipped", version: null, sections, reason: "no section to re-read" };
    }
    let config: Config | null;
    if (d.configFor) config = await d.configFor(tenantId);
    else {
      const tenant = await d.store.getTenant(tenantId);
      config = tenant ? await loadTenantConfig(d.store, d.keyring, tenant) : null;
    }
    if (!config) return { ...base, outcome: "skipped", version: null, sections, reason: "no such tenant" };
    const cfg = config;
    const result: PatchResult = await patchCurrent(d.store, tenantId, {
      produce: () => readSections(cfg, sections, { send: d.send, retry: d.retry, schemaMode: d.schemaMode }),
      note: describe(events),
      actor: "system:events",
      allowWithoutBase: false,
      massDeletionThreshold: d.massDeletionThreshold,
      syncWaitMs: d.syncWaitMs,
    });
    if (result.outcome === "no-base") {
      await this.#requestSync(tenantId);
      return { ...base, outcome: "sync-requested", version: null, sections, rebased: 0, reason: result.reason };
    }
    if (result.outcome === "committed" || result.outcome === "held") {
      return {
        ...base,
        outcome: result.outcome === "committed" ? "patched" : "held",
        version: result.record.version,
        sections,
        rebased: result.rebased,
        reason: result.record.reason,
      };
    }
    return {
      ...base,
      outcome: result.outcome === "superseded" ? "skipped" : "failed",
      version: null,
      sections,
      rebased: result.rebased,
      reason: "reason" in result ? result.reason : null,
    };
  }
}
