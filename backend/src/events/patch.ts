/**
 * The incremental patch path shared by event processing and Forge crawls: take the tenant's current version,
 * apply what was read again — partition changes of a section (a repository's rows, a project's, a space's) or whole
 * sections — patch the model, apply the mass-deletion guard, and commit it as a new version, marked as a patch in
 * its statuses' reasons and the snapshot's notes.
 *
 * **Incremental when it can be.** The current version's snapshot and the identity side of its model are kept in
 * memory between patches (`patch-state.ts`). A change of partitioned rows — what a targeted re-read yields, and what
 * a section read again whole amounts to when its users, groups and memberships did not change
 * (`diffSection`) — re-resolves only the resources it touches (`model/patch-model.ts`, exactly the model a full
 * build would give) and is committed as a **delta version**: the store keeps the full base once and, per patch,
 * only the cumulative delta over it. A change of the identity side, of the Admin or SCIM section, or a patch with
 * no current version takes a full build and a full commit, as a sync does.
 *
 * **No lost update (P6).** The commit is a compare-and-set on the current pointer (`expectedCurrent`): when a full
 * sync (or another process's patch) committed after the base was read, the commit is refused and the patch
 * **re-bases**: the sections are produced again (`produce` re-reads the CURRENT state for an event, or returns the
 * same rows for a crawl) over the new current snapshot. After `maxAttempts` it is dropped as superseded — the
 * versions that superseded it are at least as new as what it would have written. A patch also waits (bounded) while
 * a full sync of the tenant is running, so it neither makes the sync's commit fail ("older than the current") nor
 * overwrites it.
 *
 * **The full sync remains the reconciler.** A patch only ever writes what was just read from the source, over the
 * current version; a replayed or forged event re-reads today's state, so it cannot make the model regress, and the
 * next full sync replaces whatever the patches wrote with a fresh full version.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { ProductStatus, Snapshot } from "@accessmap/shared/snapshot/schema";
import { Snapshot as SnapshotSchema } from "@accessmap/shared/snapshot/schema";
import { buildModelWithContext } from "../model/build-model.js";
import type { ParsedIdentity } from "../model/correlate.js";
import { mergeModelDelta } from "../model/model-delta.js";
import { patchBaseOfBuild, patchModel } from "../model/patch-model.js";
import {
  applySnapshotChange,
  diffSection,
  mergeSnapshotDelta,
  PARTITIONED_SECTIONS,
  type PartitionedSection,
  type SnapshotChange,
  type SnapshotHeader,
} from "../model/snapshot-delta.js";
import type { VersionDelta } from "../model/version-delta.js";
import { ConflictError, type SnapshotRecord, type Store } from "../store/store.js";
import { guardVerdict, massDeletionGuard } from "../sync/mass-deletion-guard.js";
import { type PatchState, type PatchStates, patchStatesOf } from "./patch-state.js";
import type { PatchMetrics, SectionName } from "./types.js";

export interface ProducedSections {
  /** Sections read again whole (null: the section could not be read: the patch leaves it as it was). */
  sections: Partial<Record<SectionName, unknown>>;
  /** Statuses of the sections read whole. */
  statuses: ProductStatus[];
  /** Partition changes read for the targets an event named, against the snapshot `produce` was given. */
  changes?: SnapshotChange;
  /** API calls the read made. */
  calls?: number;
}

export interface PatchInput {
  /** Produces the sections from the current snapshot (null without one); called again on every re-base. */
  produce: (base: Snapshot | null) => Promise<ProducedSections>;
  /** Why, for the notes and audit: `event patch: repo:updated ×3`. */
  note: string;
  actor: string;
  /** Without a current snapshot: build on an empty one (a crawl) or skip (an event: the full sync comes first). */
  allowWithoutBase: boolean;
  massDeletionThreshold?: number;
  maxAttempts?: number;
  /** How long to wait for a running full sync before patching anyway. Default 120 s. */
  syncWaitMs?: number;
  syncPollMs?: number;
  now?: () => Date;
  /** People from the tenant's IdP export file, for a full build (an incremental patch keeps the identities). */
  idpIdentities?: () => Promise<ParsedIdentity[] | undefined>;
  /** The in-memory patch bases (default: the store's, shared by every patch path of the process). */
  states?: PatchStates;
  /** A delta whose JSON grows past this many bytes asks for compaction (`compact` in the result). Default 4 MiB. */
  compactAboveBytes?: number;
}

export type PatchResult =
  | {
      outcome: "committed" | "held";
      record: SnapshotRecord;
      rebased: number;
      metrics: PatchMetrics;
      /** The delta version grew large: rewrite it whole (`compactCurrent`) once the patch is reported. */
      compact: boolean;
    }
  | {
      outcome: "no-base" | "nothing-read" | "superseded";
      record: null;
      rebased: number;
      reason: string;
      metrics?: PatchMetrics;
    };

/** The marker a patched snapshot's statuses and notes carry. */
export const PATCH_MARK = "event patch";

const SECTIONS: readonly SectionName[] = ["admin", "scim", "jira", "confluence", "bitbucket"];
const DEFAULT_COMPACT_ABOVE = 4 * 1024 * 1024;
/** A delta's chain grows by one version per patch; past this many, compaction starts a new one. */
const MAX_CHAIN = 1000;

/** A running full sync of the tenant, if any (patches are never left `running`: they start right before commit). */
async function runningSync(store: Store, tenantId: string): Promise<SnapshotRecord | null> {
  const recent = await store.listSnapshots(tenantId, { limit: 10 });
  return recent.find((s) => s.state === "running") ?? null;
}

function emptySnapshot(now: string): Snapshot {
  return {
    version: 1,
    runId: "empty",
    startedAt: now,
    finishedAt: now,
    site: null,
    statuses: [],
    notes: [],
    admin: null,
    scim: null,
    jira: null,
    confluence: null,
    bitbucket: null,
  };
}

const withoutMark = (reasons: readonly string[]) => reasons.filter((r) => !r.startsWith(`${PATCH_MARK}:`));

/**
 * The snapshot fields a patch rewrites: its run id and end, the statuses (a section read whole takes its new
 * status; a section patched in part keeps its status with counts of the patched section; both carry the patch's
 * mark) and the notes (the previous patch's note replaced by this one's).
 */
function patchHeader(
  base: Snapshot,
  after: Snapshot,
  produced: ProducedSections,
  whole: readonly SectionName[],
  targeted: readonly SectionName[],
  runId: string,
  note: string,
  at: string,
): SnapshotHeader {
  const mark = `${PATCH_MARK}: ${note}`;
  const statuses = base.statuses.filter((st) => !whole.includes(st.product) && !targeted.includes(st.product));
  for (const st of produced.statuses) {
    if (whole.includes(st.product)) statuses.push({ ...st, reasons: [...st.reasons, mark] });
  }
  for (const product of targeted) {
    const prev = base.statuses.find((st) => st.product === product);
    if (!prev) continue;
    const section = (product === "scim" ? after.scim : after[product]) as Record<string, unknown> | null;
    const counts = { ...prev.counts };
    for (const k of Object.keys(counts)) {
      const list = section?.[k];
      if (Array.isArray(list)) counts[k] = list.length;
    }
    statuses.push({ ...prev, counts, reasons: [...withoutMark(prev.reasons), mark], finishedAt: at });
  }
  statuses.sort((a, b) => SECTIONS.indexOf(a.product) - SECTIONS.indexOf(b.product));
  return {
    runId,
    startedAt: base.startedAt,
    finishedAt: at,
    site: base.site,
    statuses,
    notes: [...base.notes.filter((n) => !n.startsWith(`${PATCH_MARK}:`)), mark],
  };
}

/** How a patch applies: partition changes over the base (incremental), or whole sections (a full build). */
interface Plan {
  change: SnapshotChange;
  /** Sections read whole that are not partition changes (identity side changed, Admin, SCIM, no base section). */
  replace: SectionName[];
  whole: SectionName[];
  targeted: SectionName[];
}

function planOf(base: Snapshot, produced: ProducedSections): Plan {
  const change: SnapshotChange = { ...(produced.changes ?? {}) };
  const targeted = PARTITIONED_SECTIONS.filter((s) => change[s] !== undefined && base[s] !== null);
  for (const s of PARTITIONED_SECTIONS) if (base[s] === null) delete change[s];
  const whole: SectionName[] = [];
  const replace: SectionName[] = [];
  for (const s of SECTIONS) {
    const next = produced.sections[s];
    if (next === undefined || next === null) continue;
    whole.push(s);
    const asPartitions = (PARTITIONED_SECTIONS as readonly string[]).includes(s)
      ? diffSection(s as PartitionedSection, base[s], next)
      : null;
    if (asPartitions) change[s as PartitionedSection] = asPartitions;
    else replace.push(s);
  }
  return { change, replace, whole, targeted: targeted.filter((s) => !whole.includes(s)) };
}

/** Patches the tenant's current version with what `produce` reads (see the module comment); never half-commits. */
export async function patchCurrent(store: Store, tenantId: string, input: PatchInput): Promise<PatchResult> {
  const now = input.now ?? (() => new Date());
  const maxAttempts = input.maxAttempts ?? 4;
  const waitMs = input.syncWaitMs ?? 120_000;
  const pollMs = input.syncPollMs ?? 25;
  const states = input.states ?? patchStatesOf(store);
  const metrics: PatchMetrics = {
    mode: "incremental",
    targeted: [],
    whole: [],
    calls: 0,
    loadMs: 0,
    readMs: 0,
    patchMs: 0,
    commitMs: 0,
    storedBytes: 0,
    storedJsonBytes: 0,
    buckets: 0,
    baseVersion: null,
  };
  let rebased = 0;
  let lastBase: number | null = null;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const deadline = Date.now() + waitMs;
    while ((await runningSync(store, tenantId)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, pollMs));
    }
    const pointer = await store.getCurrentPointer(tenantId);
    if (!pointer && !input.allowWithoutBase) {
      return { outcome: "no-base", record: null, rebased, reason: "the tenant has no current model yet" };
    }
    if (lastBase !== null && pointer?.version !== lastBase) rebased++;
    lastBase = pointer?.version ?? null;

    let t = performance.now();
    const state = pointer ? (await states.get(store, pointer)).state : null;
    metrics.loadMs += performance.now() - t;
    // Every committed version stores its snapshot; patching over a missing one would drop every other section.
    if (pointer && !state) throw new Error(`version ${pointer.version} has no stored snapshot to patch`);
    t = performance.now();
    const produced = await input.produce(state?.snapshot ?? null);
    metrics.readMs += performance.now() - t;
    metrics.calls += produced.calls ?? 0;
    const nothing =
      Object.values(produced.sections).every((v) => v === null || v === undefined) &&
      Object.keys(produced.changes ?? {}).length === 0;
    if (nothing) {
      return { outcome: "nothing-read", record: null, rebased, reason: "no section could be read", metrics };
    }

    const at = now().toISOString();
    const runId = `patch-${randomUUID()}`;
    const base = state?.snapshot ?? emptySnapshot(at);
    const plan = planOf(base, produced);
    metrics.targeted = plan.targeted;
    metrics.whole = plan.whole;
    const started = await store.startSnapshot(tenantId, { runId, statuses: base.statuses });
    try {
      const args = { version: started.version, expectedCurrent: pointer?.version ?? null, plan, produced, runId, at };
      const done =
        state?.base && pointer && plan.replace.length === 0
          ? await commitIncremental(store, tenantId, input, { ...args, state })
          : await commitFull(store, tenantId, input, { ...args, base });
      Object.assign(metrics, done.metrics);
      if (done.state) states.remember(done.state);
      return {
        outcome: done.record.state === "held" ? "held" : "committed",
        record: done.record,
        rebased,
        metrics,
        compact: done.compact,
      };
    } catch (err) {
      const reason = `superseded: the base version ${pointer?.version ?? "none"} stopped being current before this ${PATCH_MARK} committed`;
      await store.endSnapshot(tenantId, started.version, { state: "failed", reason }).catch(() => undefined);
      if (!(err instanceof ConflictError)) throw err;
      if (attempt === maxAttempts) return { outcome: "superseded", record: null, rebased, reason, metrics };
    }
  }
  return { outcome: "superseded", record: null, rebased, reason: "superseded" };
}

/** What both commit paths need to know about the patch. */
interface CommitArgs {
  version: number;
  expectedCurrent: number | null;
  plan: Plan;
  produced: ProducedSections;
  runId: string;
  at: string;
}

interface Committed {
  record: SnapshotRecord;
  compact: boolean;
  /** The patch state of the committed version (null when it was held: the current version did not change). */
  state: PatchState | null;
  metrics: Pick<
    PatchMetrics,
    "mode" | "patchMs" | "commitMs" | "storedBytes" | "storedJsonBytes" | "buckets" | "baseVersion"
  >;
}

/** Partition changes: the model patched incrementally, stored as a delta version over the base. */
async function commitIncremental(
  store: Store,
  tenantId: string,
  input: PatchInput,
  a: CommitArgs & { state: PatchState },
): Promise<Committed> {
  const { state, version, plan } = a;
  let t = performance.now();
  const applied = applySnapshotChange(state.snapshot, plan.change);
  const header = patchHeader(state.snapshot, applied, a.produced, plan.whole, plan.targeted, a.runId, input.note, a.at);
  const patch = patchModel(state.base!, plan.change, header, version);
  const verdict = guardVerdict(
    {
      accounts: patch.next.counts.accounts,
      removedAccounts: 0,
      adminGrants: patch.guard.adminGrants,
      removedAdmin: patch.guard.adminRemoved,
    },
    input.massDeletionThreshold,
  );
  const delta: VersionDelta = {
    format: 1,
    baseVersion: state.baseVersion,
    chain: [...(state.delta?.chain ?? []), version],
    snapshot: mergeSnapshotDelta(state.delta?.snapshot ?? null, plan.change, header, version),
    model: mergeModelDelta(state.delta?.model ?? null, patch.delta),
  };
  const patchMs = performance.now() - t;
  t = performance.now();
  const record = await store.commitSnapshotDelta(tenantId, version, {
    delta,
    counts: { ...patch.next.counts },
    statuses: header.statuses,
    finishedAt: a.at,
    hold: verdict.hold && verdict.reason ? { reason: verdict.reason } : null,
    expectedCurrent: a.expectedCurrent,
  });
  const jsonBytes = record.delta?.jsonBytes ?? 0;
  return {
    record,
    compact: jsonBytes > (input.compactAboveBytes ?? DEFAULT_COMPACT_ABOVE) || delta.chain.length >= MAX_CHAIN,
    state:
      record.state === "held"
        ? null
        : { tenantId, version, baseVersion: state.baseVersion, delta, snapshot: patch.snapshot, base: patch.next },
    metrics: {
      mode: "incremental",
      patchMs,
      commitMs: performance.now() - t,
      storedBytes: record.delta?.bytes ?? 0,
      storedJsonBytes: jsonBytes,
      buckets: patch.delta.buckets.length,
      baseVersion: state.baseVersion,
    },
  };
}

/** Whole sections (or no base): a full build, guarded against the current model, committed whole. */
async function commitFull(
  store: Store,
  tenantId: string,
  input: PatchInput,
  a: CommitArgs & { base: Snapshot },
): Promise<Committed> {
  const { plan, version } = a;
  let t = performance.now();
  const next: Record<string, unknown> = { ...a.base };
  for (const s of plan.whole) next[s] = a.produced.sections[s];
  const targeted: SnapshotChange = {};
  for (const s of plan.targeted) targeted[s as PartitionedSection] = plan.change[s as PartitionedSection];
  const withTargets = applySnapshotChange(next as Snapshot, targeted);
  const header = patchHeader(a.base, withTargets, a.produced, plan.whole, plan.targeted, a.runId, input.note, a.at);
  const snapshot = SnapshotSchema.parse({ ...withTargets, ...header });
  const built = buildModelWithContext(snapshot, { idpIdentities: await input.idpIdentities?.() });
  const current =
    a.expectedCurrent === null ? null : ((await store.readSnapshotData(tenantId, a.expectedCurrent))?.model ?? null);
  const verdict = massDeletionGuard(current, built.model, input.massDeletionThreshold);
  const patchMs = performance.now() - t;
  t = performance.now();
  const record = await store.commitSnapshot(tenantId, version, {
    snapshot,
    model: built.model,
    statuses: snapshot.statuses,
    finishedAt: a.at,
    hold: verdict.hold && verdict.reason ? { reason: verdict.reason } : null,
    expectedCurrent: a.expectedCurrent,
  });
  return {
    record,
    compact: false,
    state:
      record.state === "held"
        ? null
        : {
            tenantId,
            version,
            baseVersion: version,
            delta: null,
            snapshot,
            base: patchBaseOfBuild(snapshot, built.ctx, built.resolution, built.model),
          },
    metrics: {
      mode: "full",
      patchMs,
      commitMs: performance.now() - t,
      storedBytes: 0,
      storedJsonBytes: 0,
      buckets: 0,
      baseVersion: null,
    },
  };
}

/**
 * Rewrites a delta version whole (same content) so the next patches rest on it with a fresh delta — the delta
 * grew large, or its chain long. A no-op when it is no longer a delta version.
 */
export async function compactCurrent(
  store: Store,
  tenantId: string,
  version: number,
  states: PatchStates = patchStatesOf(store),
): Promise<boolean> {
  const done = await store.compactSnapshot(tenantId, version);
  if (done) states.compacted(tenantId, version);
  return done;
}
