/**
 * One sync of one tenant, from discovery to a current model: discover, keep each failed source's last good data,
 * build the model, apply the mass-deletion guard, and commit — all or nothing, in one store transaction. A run in
 * which every source failed never replaces anything. With `siteAccess: "forge"` the Jira and Confluence sections are
 * not read here: they are carried from the current snapshot, where the Forge app's crawls put them.
 */
import { randomUUID } from "node:crypto";
import type { Snapshot } from "@accessmap/shared/snapshot/schema";
import type { Config } from "../config/load.js";
import { type DiscoveryOptions, runDiscovery } from "../discovery/run-discovery.js";
import { buildModel } from "../model/build-model.js";
import { type ParsedIdentity, readIdpExportFile } from "../model/correlate.js";
import type { Model } from "../model/types.js";
import type { SnapshotRecord, Store } from "../store/store.js";
import { carryForgeSections, carryLastGood } from "./carry-last-good.js";
import { massDeletionGuard } from "./mass-deletion-guard.js";

/** The sections the Forge app reads when the tenant's site access is `forge`. */
const FORGE_SECTIONS = ["jira", "confluence"] as const;

export interface SyncOptions extends Omit<DiscoveryOptions, "clock"> {
  /** Share of accounts or admin grants whose removal holds the run for approval (default 0.2). */
  massDeletionThreshold?: number;
  idpIdentities?: ParsedIdentity[];
  actor?: string;
}

export interface SyncResult {
  record: SnapshotRecord;
  /** `complete`/`partial` when it became current, `held` when the guard stopped it, `failed` when nothing was read. */
  outcome: "complete" | "partial" | "held" | "failed";
  model: Model | null;
  carried: string[];
  /** Sections the Forge app reads (`siteAccess: "forge"`), carried from its last crawl. */
  readByForge: string[];
}

/** Runs one sync of `tenantId` with `config`, committing through `store`. */
export async function runSync(store: Store, tenantId: string, config: Config, opts: SyncOptions): Promise<SyncResult> {
  const actor = opts.actor ?? "system:sync";
  const runId = randomUUID();
  const started = await store.startSnapshot(tenantId, { runId });
  await store.appendAudit({
    tenantId,
    actor,
    action: "sync.start",
    target: `snapshot:${started.version}`,
    result: "intent",
  });
  try {
    const discovered = await runDiscovery(config, opts);
    const statuses = discovered.snapshot.statuses;
    if (statuses.length > 0 && statuses.every((s) => s.state === "failed")) {
      const reason = statuses.map((s) => `${s.product}: ${s.reasons.join(" ")}`).join(" | ");
      const record = await store.endSnapshot(tenantId, started.version, { state: "failed", reason, statuses });
      await store.appendAudit({
        tenantId,
        actor,
        action: "sync.end",
        target: `snapshot:${started.version}`,
        result: "failed",
      });
      return { record, outcome: "failed", model: null, carried: [], readByForge: [] };
    }

    const current = await store.getCurrentPointer(tenantId);
    const previous = current ? await store.readSnapshotData(tenantId, current.version) : null;
    const lastGood = carryLastGood(discovered.snapshot, previous?.snapshot ?? null);
    const { carried } = lastGood;
    const forgeRead = config.siteAccess === "forge" ? FORGE_SECTIONS.filter((p) => config.products.includes(p)) : [];
    const forge = carryForgeSections(
      lastGood.snapshot,
      previous?.snapshot ?? null,
      forgeRead,
      new Date().toISOString(),
    );
    const snapshot = forge.snapshot;
    const idpIdentities =
      opts.idpIdentities ?? (config.idpExportFile ? await readIdpExportFile(config.idpExportFile) : undefined);
    const model = buildModel(snapshot, { idpIdentities });
    const verdict = massDeletionGuard(previous?.model ?? null, model, opts.massDeletionThreshold);
    const record = await store.commitSnapshot(tenantId, started.version, {
      snapshot: withRunId(snapshot, runId),
      model,
      statuses: snapshot.statuses,
      hold: verdict.hold && verdict.reason ? { reason: verdict.reason } : null,
    });
    const outcome = verdict.hold ? "held" : discovered.outcome === "complete" ? "complete" : "partial";
    await store.appendAudit({
      tenantId,
      actor,
      action: "sync.end",
      target: `snapshot:${started.version}`,
      result: outcome,
      details: {
        carried,
        readByForge: forge.carried,
        removedAccountsShare: verdict.removedAccountsShare,
        removedAdminGrantsShare: verdict.removedAdminGrantsShare,
      },
    });
    return { record, outcome, model, carried, readByForge: forge.carried };
  } catch (err) {
    // An unexpected failure (not a source failure, which discovery reports in statuses): the run ends failed and
    // the current model stays as it was.
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : "unexpected error";
    await store.endSnapshot(tenantId, started.version, { state: "failed", reason }).catch(() => undefined);
    await store
      .appendAudit({ tenantId, actor, action: "sync.end", target: `snapshot:${started.version}`, result: "error" })
      .catch(() => undefined);
    throw err;
  }
}

function withRunId(s: Snapshot, runId: string): Snapshot {
  return { ...s, runId };
}
