/**
 * The patch bases kept in memory between event patches: per tenant, the current version's snapshot, the identity
 * side of its model (`model/patch-model.ts`) and its cumulative delta, so a patch neither reads nor parses the
 * whole snapshot and model again. A base is good for exactly one version: when the tenant's current version is
 * another one (a full sync, another process's patch), it is loaded again from the store — once, however many
 * patches ask at the same time — or primed ahead of the next patch by whoever loads that version's model anyway
 * (the query cache). Bounded: the least recently used tenants are dropped.
 *
 * @module
 */
import type { Snapshot } from "@accessmap/shared/snapshot/schema";
import { type PatchBase, type PatchCounts, patchBaseOf } from "../model/patch-model.js";
import type { Model } from "../model/types.js";
import { applyVersionDelta, type VersionDelta } from "../model/version-delta.js";
import type { CurrentPointer, Store } from "../store/store.js";

export interface PatchState {
  tenantId: string;
  version: number;
  /** The full version `version` rests on (itself when it is full). */
  baseVersion: number;
  /** `version`'s cumulative delta over `baseVersion`; null when `version` is full. */
  delta: VersionDelta | null;
  snapshot: Snapshot;
  /** Null when the stored model is not what this code builds (a patch then takes a full build). */
  base: PatchBase | null;
}

const COUNT_KEYS = ["accounts", "identities", "groups", "resources", "access", "dormant", "adminGrants"] as const;

export class PatchStates {
  readonly #max: number;
  readonly #states = new Map<string, PatchState>();
  readonly #loading = new Map<string, Promise<PatchState | null>>();
  /** Loads from the store (tests, metrics). */
  loads = 0;

  constructor(maxTenants = 8) {
    if (!Number.isInteger(maxTenants) || maxTenants < 1) throw new TypeError("maxTenants must be ≥ 1");
    this.#max = maxTenants;
  }

  /** The state of the pointer's version, from memory or loaded; null when the version has no snapshot. */
  async get(store: Store, pointer: CurrentPointer): Promise<{ state: PatchState | null; loaded: boolean }> {
    const kept = this.#states.get(pointer.tenantId);
    if (kept && kept.version === pointer.version) {
      this.#states.delete(pointer.tenantId);
      this.#states.set(pointer.tenantId, kept);
      return { state: kept, loaded: false };
    }
    const key = `${pointer.tenantId}\u0000${pointer.version}`;
    let loading = this.#loading.get(key);
    if (!loading) {
      loading = this.#load(store, pointer).finally(() => this.#loading.delete(key));
      this.#loading.set(key, loading);
    }
    const state = await loading;
    if (state) this.remember(state);
    return { state, loaded: true };
  }

  /** Whether patches of the tenant were made (or a state loaded) by this process: it receives events. */
  knows(tenantId: string): boolean {
    return this.#states.has(tenantId);
  }

  /**
   * Loads the state of the pointer's version ahead of the next patch, from the version's model a caller already
   * holds (the query cache's load after a sync): only the snapshot is read. A no-op when it is kept or loading.
   */
  prime(store: Store, pointer: CurrentPointer, model: Model): Promise<void> {
    if (this.#states.get(pointer.tenantId)?.version === pointer.version) return Promise.resolve();
    const key = `${pointer.tenantId}\u0000${pointer.version}`;
    if (this.#loading.has(key)) return Promise.resolve();
    const loading = this.#load(store, pointer, model).finally(() => this.#loading.delete(key));
    this.#loading.set(key, loading);
    return loading.then((state) => {
      if (state && (this.#states.get(pointer.tenantId)?.version ?? 0) < state.version) this.remember(state);
    });
  }

  async #load(store: Store, pointer: CurrentPointer, known?: Model): Promise<PatchState | null> {
    this.loads++;
    const [parts, record] = await Promise.all([
      store.readSnapshotParts(pointer.tenantId, pointer.version, { model: known === undefined }),
      store.getSnapshot(pointer.tenantId, pointer.version),
    ]);
    if (!parts || !record) return null;
    const resolved = parts.delta ? applyVersionDelta(parts.base, parts.delta) : parts.base;
    const snapshot = resolved.snapshot;
    const model = known ?? resolved.model;
    if (!snapshot || !model) return null;
    const stored = record.counts;
    const counts = COUNT_KEYS.every((k) => typeof stored[k] === "number")
      ? (Object.fromEntries(COUNT_KEYS.map((k) => [k, stored[k]])) as unknown as PatchCounts)
      : undefined;
    return {
      tenantId: pointer.tenantId,
      version: pointer.version,
      baseVersion: parts.baseVersion,
      delta: parts.delta,
      snapshot,
      base: patchBaseOf(snapshot, model, counts),
    };
  }

  /** Keeps the state of a version this process just committed. */
  remember(state: PatchState): void {
    this.#states.delete(state.tenantId);
    this.#states.set(state.tenantId, state);
    while (this.#states.size > this.#max) {
      const oldest = this.#states.keys().next();
      if (oldest.done) break;
      this.#states.delete(oldest.value);
    }
  }

  /** The version was rewritten whole (compaction): later patches rest on it, with a fresh delta. */
  compacted(tenantId: string, version: number): void {
    const s = this.#states.get(tenantId);
    if (s && s.version === version) this.#states.set(tenantId, { ...s, baseVersion: version, delta: null });
  }

  forget(tenantId: string): void {
    this.#states.delete(tenantId);
  }
}

const byStore = new WeakMap<Store, PatchStates>();

/** The patch states of a store in this process (every patch path of a process shares them). */
export function patchStatesOf(store: Store): PatchStates {
  let s = byStore.get(store);
  if (!s) {
    s = new PatchStates();
    byStore.set(store, s);
  }
  return s;
}
