/**
 * Event processing: a batch of one tenant's events (the queue hands them over serialised per tenant) becomes one
 * TARGETED re-read and one incremental patch of the current model (`patch.ts`).
 *
 * - **What is read.** Where every event of a section names what it is about (`scopes`: a Bitbucket repository or
 *   project, a Jira project, a Confluence space) and they name at most `maxTargets` things, only those are read
 *   (`connectors/bitbucket/read-targets.ts`, `targeted/jira.ts`, `targeted/confluence.ts`) and become partition
 *   changes of the current snapshot. Otherwise — an event about users or groups, a burst naming many things, a
 *   target the credential cannot read — the section is read whole, through the same connectors a sync uses.
 * - **One transport per tenant.** Targeted reads go through the tenant's transports, kept between batches (one
 *   governor, one OAuth token), so only the transport retries and paces, and a patch does not pay for a token.
 * - **The patch** replaces those partitions (or sections), patches the model incrementally, guards and commits a
 *   delta version; re-based when a full sync committed meanwhile (P6). A delta grown large is compacted once the
 *   outcome is reported.
 *
 * Because the re-read fetches the CURRENT state, an event is only a hint: a replayed or forged-but-valid old
 * delivery (W7) triggers a re-read of today's state and cannot make the model regress. The full sync stays the
 * reconciler: an event that asks for it (large Admin changes) or a tenant without a current model queues one.
 *
 * @module
 */
import type { ReaderContext } from "@accessmap/shared/readers/reader";
import type { Snapshot } from "@accessmap/shared/snapshot/schema";
import type { Send, Transport, TransportConfig } from "@accessmap/shared/transport/transport";
import type { Config } from "../config/load.js";
import { readBitbucketTargets } from "../connectors/bitbucket/read-targets.js";
import { runDiscovery } from "../discovery/run-discovery.js";
import { buildTransports } from "../discovery/transports.js";
import { type ParsedIdentity, readIdpExportFile } from "../model/correlate.js";
import type { PartitionedSection, SnapshotChange } from "../model/snapshot-delta.js";
import type { MasterKeyring } from "../security/envelope.js";
import type { Logger } from "../security/logger.js";
import { loadTenantConfig } from "../service/tenant-config.js";
import type { Store } from "../store/store.js";
import { compactCurrent, type PatchResult, type ProducedSections, patchCurrent } from "./patch.js";
import { type PatchStates, patchStatesOf } from "./patch-state.js";
import { readConfluenceSpaces } from "./targeted/confluence.js";
import { readJiraProjects } from "./targeted/jira.js";
import type { EventScope, NormalizedEvent, PatchOutcome, SectionName } from "./types.js";

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
  /** Most distinct targets of one section a batch reads one by one; more read the section whole. Default 25. */
  maxTargets?: number;
  /** Delta size (JSON bytes) above which the version is compacted after the patch. Default 4 MiB. */
  compactAboveBytes?: number;
  /** The in-memory patch bases (default: the store's). */
  states?: PatchStates;
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
  let calls = 0;
  const r = await runDiscovery(restrictConfig(config, sections), {
    send: opts.send,
    retry: opts.retry,
    schemaMode: opts.schemaMode ?? "warn",
    signal: opts.signal,
    onCall: () => {
      calls++;
    },
  });
  const out: ProducedSections = { sections: {}, statuses: [], calls };
  for (const s of sections) {
    const status = r.snapshot.statuses.find((x) => x.product === s);
    if (!status) continue;
    out.statuses.push(status);
    out.sections[s] = status.state === "failed" ? null : r.snapshot[s];
  }
  out.calls = calls;
  return out;
}

/**
 * The people of a tenant's IdP export file, read when a patch takes a full build (an incremental patch keeps the
 * model's identities); undefined without a file or a tenant.
 */
export function tenantIdpIdentities(
  store: Store,
  keyring: MasterKeyring,
  tenantId: string,
): () => Promise<ParsedIdentity[] | undefined> {
  return async () => {
    const tenant = await store.getTenant(tenantId);
    const file = tenant ? (await loadTenantConfig(store, keyring, tenant)).idpExportFile : null;
    return file ? readIdpExportFile(file) : undefined;
  };
}

function describe(events: NormalizedEvent[]): string {
  const kinds = new Map<string, number>();
  for (const e of events) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
  return [...kinds]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([k, n]) => (n > 1 ? `${k} ×${n}` : k))
    .join(", ");
}

/** What a batch reads: per section, the targets named, or null for the whole section. */
type ReadPlan = Map<SectionName, EventScope[] | null>;

/** Targets when every event of a section names some and they are few; else the whole section. */
export function readPlan(events: readonly NormalizedEvent[], maxTargets: number): ReadPlan {
  const plan: ReadPlan = new Map();
  for (const e of events) {
    if (e.sections === "full") continue;
    for (const s of e.sections) {
      const mine = (e.scopes ?? []).filter((x) => x.section === s);
      const prev = plan.get(s);
      if (prev === null) continue;
      if (mine.length === 0) plan.set(s, null);
      else plan.set(s, [...(prev ?? []), ...mine]);
    }
  }
  for (const [s, scopes] of plan) {
    if (!scopes) continue;
    const distinct = [...new Map(scopes.map((x) => [`${x.kind}\u0000${x.ref}`, x])).values()];
    plan.set(s, distinct.length > maxTargets ? null : distinct);
  }
  return plan;
}

/** A tenant's configuration and the transports its targeted reads share, kept while the tenant is unchanged. */
interface Sources {
  key: string;
  config: Config;
  transports: ReturnType<typeof buildTransports>["transports"];
  /** Calls made through them so far (a patch reports the difference). */
  calls: number;
}

const MAX_SOURCES = 32;

export class EventProcessor {
  readonly #d: EventProcessorDeps;
  readonly #sources = new Map<string, Sources>();

  constructor(deps: EventProcessorDeps) {
    this.#d = deps;
  }

  /** Processes one tenant's batch; never throws for a source failure (it is reported as the outcome). */
  readonly process = async (tenantId: string, events: NormalizedEvent[]): Promise<PatchOutcome> => {
    const d = this.#d;
    let compact: number | null = null;
    const outcome = await this.#run(tenantId, events)
      .then(([o, c]) => {
        compact = c;
        return o;
      })
      .catch(
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
      ...(outcome.metrics ? { metrics: outcome.metrics } : {}),
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
          ...(outcome.metrics
            ? { mode: outcome.metrics.mode, targeted: outcome.metrics.targeted, calls: outcome.metrics.calls }
            : {}),
        },
      })
      .catch(() => undefined);
    d.onOutcome?.(outcome);
    if (compact !== null) {
      // After the outcome: the patch is visible already; the next batch of the tenant waits for this.
      await compactCurrent(d.store, tenantId, compact, d.states ?? patchStatesOf(d.store)).catch((err: unknown) =>
        d.logger.warn("compaction failed", { tenantId, version: compact, err }),
      );
    }
    return outcome;
  };

  async #requestSync(tenantId: string): Promise<void> {
    await this.#d.store.enqueueJob(tenantId, { kind: "sync", dedupeKey: "sync", payload: { reason: "events" } });
    this.#d.onSyncRequested?.(tenantId);
  }

  /** The tenant's configuration and transports, built again when the tenant changed. */
  async #sourcesOf(tenantId: string): Promise<Sources | null> {
    const d = this.#d;
    let config: Config | null;
    let key: string;
    if (d.configFor) {
      config = await d.configFor(tenantId);
      key = "configured";
    } else {
      const tenant = await d.store.getTenant(tenantId);
      if (!tenant) return null;
      key = tenant.updatedAt;
      const kept = this.#sources.get(tenantId);
      if (kept?.key === key) return kept;
      config = await loadTenantConfig(d.store, d.keyring, tenant);
    }
    if (!config) return null;
    const kept = this.#sources.get(tenantId);
    if (kept && kept.key === key && d.configFor === undefined) return kept;
    const sources: Sources = { key, config, transports: {}, calls: 0 };
    sources.transports = buildTransports(restrictConfig(config, ["jira", "confluence", "bitbucket"]), {
      send: d.send,
      schemaMode: d.schemaMode ?? "warn",
      retry: d.retry,
      onCall: () => {
        sources.calls++;
      },
    }).transports;
    this.#sources.delete(tenantId);
    this.#sources.set(tenantId, sources);
    while (this.#sources.size > MAX_SOURCES) this.#sources.delete(this.#sources.keys().next().value!);
    return sources;
  }

  async #run(tenantId: string, events: NormalizedEvent[]): Promise<[PatchOutcome, number | null]> {
    const d = this.#d;
    const base = { tenantId, events, rebased: 0 };
    if (events.some((e) => e.sections === "full")) {
      await this.#requestSync(tenantId);
      return [
        { ...base, outcome: "sync-requested", version: null, sections: [], reason: "an event asked for a full sync" },
        null,
      ];
    }
    const plan = readPlan(events, d.maxTargets ?? 25);
    const sections = [...plan.keys()].sort();
    if (sections.length === 0) {
      return [{ ...base, outcome: "skipped", version: null, sections, reason: "no section to re-read" }, null];
    }
    const sources = await this.#sourcesOf(tenantId);
    if (!sources) return [{ ...base, outcome: "skipped", version: null, sections, reason: "no such tenant" }, null];
    const { config } = sources;
    const idpFile = config.idpExportFile;
    const result: PatchResult = await patchCurrent(d.store, tenantId, {
      produce: (snapshot) => this.#produce(sources, plan, snapshot),
      note: describe(events),
      actor: "system:events",
      allowWithoutBase: false,
      massDeletionThreshold: d.massDeletionThreshold,
      syncWaitMs: d.syncWaitMs,
      idpIdentities: idpFile ? () => readIdpExportFile(idpFile) : undefined,
      states: d.states,
      compactAboveBytes: d.compactAboveBytes,
    });
    if (result.outcome === "no-base") {
      await this.#requestSync(tenantId);
      return [{ ...base, outcome: "sync-requested", version: null, sections, reason: result.reason }, null];
    }
    const metrics = result.metrics ? { metrics: result.metrics } : {};
    if (result.outcome === "committed" || result.outcome === "held") {
      return [
        {
          ...base,
          outcome: result.outcome === "committed" ? "patched" : "held",
          version: result.record.version,
          sections,
          rebased: result.rebased,
          reason: result.record.reason,
          ...metrics,
        },
        result.compact && result.outcome === "committed" ? result.record.version : null,
      ];
    }
    return [
      {
        ...base,
        outcome: result.outcome === "superseded" ? "skipped" : "failed",
        version: null,
        sections,
        rebased: result.rebased,
        reason: "reason" in result ? result.reason : null,
        ...metrics,
      },
      null,
    ];
  }

  /** The batch's re-read over `base`: its targets where it names them and they can be read, else whole sections. */
  async #produce(sources: Sources, plan: ReadPlan, base: Snapshot | null): Promise<ProducedSections> {
    const d = this.#d;
    const before = sources.calls;
    const whole: SectionName[] = [];
    const changes: SnapshotChange = {};
    const reads: Array<Promise<void>> = [];
    for (const [section, scopes] of plan) {
      const transport = (sources.transports as Record<string, Transport | undefined>)[section];
      if (!scopes || !base || !transport || base[section] === null) {
        whole.push(section);
        continue;
      }
      const ctx: ReaderContext = { transport };
      reads.push(
        this.#readTargets(section as PartitionedSection, ctx, sources.config, base, scopes).then((r) => {
          if (r.ok) changes[section as PartitionedSection] = r.change;
          else {
            d.logger.info("targeted re-read fell back to the section", { section, reason: r.reason });
            whole.push(section);
          }
        }),
      );
    }
    await Promise.all(reads);
    const read =
      whole.length > 0
        ? await readSections(sources.config, whole, { send: d.send, retry: d.retry, schemaMode: d.schemaMode })
        : { sections: {}, statuses: [], calls: 0 };
    return { ...read, changes, calls: (read.calls ?? 0) + sources.calls - before };
  }

  #readTargets(
    section: PartitionedSection,
    ctx: ReaderContext,
    config: Config,
    base: Snapshot,
    scopes: EventScope[],
  ): ReturnType<typeof readBitbucketTargets> {
    const refs = (kind: string) => scopes.filter((s) => s.kind === kind).map((s) => s.ref);
    switch (section) {
      case "bitbucket":
        return readBitbucketTargets(ctx, {
          base: base.bitbucket!,
          skipBranchProtection: config.skipBranchProtectionDiscovery,
          targets: { repositories: refs("repository"), projects: refs("project") },
        });
      case "jira":
        return readJiraProjects(ctx, { base: base.jira!, projects: refs("project") });
      case "confluence":
        return readConfluenceSpaces(ctx, { base: base.confluence!, spaces: refs("space") });
    }
  }
}
