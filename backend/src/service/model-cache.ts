/**
 * A per-tenant cache of the indexed current model, so queries do not decompress and index the model per request.
 *
 * - **Freshness**: before answering from the cache, the tenant's current pointer is read (`getCurrentPointer`, one
 *   indexed row), at most once per `checkIntervalMs` (default 0: every request). A newer version loads the model —
 *   or, when it is a delta version on the cached version's chain (an event patch), only its delta
 *   (`getCurrentDelta`), applied to a copy of the cached model and index (`patchIndex`): the cost follows the size
 *   of the change, not of the model.
 * - **No mixed reads**: a load uses `getCurrentModel` (or `getCurrentDelta`), which returns the data together with
 *   its version from one statement; the cache keeps them together and never changes a cached model or index in
 *   place (a delta makes new ones that share what it does not touch), so a request answers from one whole version
 *   and names it.
 * - **One load at a time**: concurrent requests for a tenant share one pointer check and one load.
 * - **Bounded**: at most `maxTenants` models are kept, least recently used evicted first.
 * - **Primes the event patcher**: after loading a whole model of a tenant that receives events (a full sync
 *   committed), the event patcher's base for that version is made from it in the background, so the next event
 *   does not load the version again.
 *
 * @module
 */
import { patchStatesOf } from "../events/patch-state.js";
import { patchIndex } from "../model/index-patch.js";
import { applyModelDeltaLazily } from "../model/model-delta.js";
import { indexModel, type ModelIndex } from "../model/queries.js";
import type { Model } from "../model/types.js";
import { canApplyAfter } from "../model/version-delta.js";
import type { CurrentPointer, Store } from "../store/store.js";

export interface CachedModel {
  tenantId: string;
  version: number;
  runId: string;
  committedAt: string;
  modelSha256: string;
  /** The full version the model rests on (its own version for a full one). */
  baseVersion: number;
  model: Model;
  index: ModelIndex;
  /**
   * The model this one's entry lists are built from: the last one loaded whole (or the previous version, after a
   * compaction started a new chain). A delta is applied over it, never over a chain of patched models.
   */
  root: { version: number; model: Model };
  /** Derived answers keyed by their parameters (insights), computed once per version. */
  memo: Map<string, unknown>;
}

export interface ModelCacheOptions {
  /** Minimum time between pointer checks for one tenant. Default 0 (every request checks). */
  checkIntervalMs?: number;
  /** Models kept at once. Default 16. */
  maxTenants?: number;
  /** Recompute the model checksum on load. Default false. */
  verify?: boolean;
  /** After a whole load, prime the event patcher's base for tenants that receive events. Default true. */
  primePatchBase?: boolean;
  now?: () => number;
}

interface Entry {
  value: CachedModel | null;
  checkedAt: number;
  refreshing: Promise<CachedModel | null> | null;
}

export class ModelCache {
  readonly #store: Store;
  readonly #checkIntervalMs: number;
  readonly #maxTenants: number;
  readonly #verify: boolean;
  readonly #primePatchBase: boolean;
  readonly #now: () => number;
  /** Insertion order is recency order (re-inserted on use). */
  readonly #entries = new Map<string, Entry>();
  /** Whole-model loads performed (for tests and metrics). */
  loads = 0;
  /** Deltas applied to a cached model instead of a load. */
  patches = 0;

  constructor(store: Store, opts: ModelCacheOptions = {}) {
    this.#store = store;
    this.#checkIntervalMs = opts.checkIntervalMs ?? 0;
    this.#maxTenants = opts.maxTenants ?? 16;
    this.#verify = opts.verify ?? false;
    this.#primePatchBase = opts.primePatchBase ?? true;
    this.#now = opts.now ?? Date.now;
    if (!Number.isInteger(this.#maxTenants) || this.#maxTenants < 1) throw new TypeError("maxTenants must be ≥ 1");
  }

  /** The tenant's current model, indexed, or null when it has none. */
  async get(tenantId: string): Promise<CachedModel | null> {
    let entry = this.#entries.get(tenantId);
    if (entry) {
      this.#entries.delete(tenantId);
      this.#entries.set(tenantId, entry);
      if (entry.refreshing) return entry.refreshing;
      if (entry.value && this.#now() - entry.checkedAt < this.#checkIntervalMs) return entry.value;
    } else {
      entry = { value: null, checkedAt: 0, refreshing: null };
      this.#entries.set(tenantId, entry);
      this.#evict();
    }
    const e = entry;
    const refreshing = this.#refresh(tenantId, e).finally(() => {
      e.refreshing = null;
    });
    e.refreshing = refreshing;
    return refreshing;
  }

  /** Forgets a tenant (deleted, or its model is known to have changed). */
  invalidate(tenantId: string): void {
    this.#entries.delete(tenantId);
  }

  /** Tenants currently cached (for tests). */
  cachedTenants(): string[] {
    return [...this.#entries.keys()];
  }

  async #refresh(tenantId: string, entry: Entry): Promise<CachedModel | null> {
    const checkedAt = this.#now();
    const pointer = await this.#store.getCurrentPointer(tenantId);
    if (!pointer) {
      entry.value = null;
      entry.checkedAt = checkedAt;
      return null;
    }
    if (entry.value && entry.value.version >= pointer.version) {
      entry.checkedAt = checkedAt;
      return entry.value;
    }
    if (entry.value && pointer.baseVersion !== pointer.version) {
      const patched = await this.#patch(tenantId, entry.value);
      if (patched) {
        if (!entry.value || patched.version >= entry.value.version) entry.value = patched;
        entry.checkedAt = checkedAt;
        return entry.value;
      }
    }
    const current = await this.#store.getCurrentModel(tenantId, { verify: this.#verify });
    this.loads++;
    if (!current) {
      entry.value = null;
      entry.checkedAt = checkedAt;
      return null;
    }
    // The pointer may have moved again between the two reads; the model and its version still belong together.
    const value: CachedModel = {
      tenantId,
      version: current.version,
      runId: current.runId,
      committedAt: current.committedAt,
      modelSha256: current.modelSha256,
      baseVersion: current.baseVersion,
      model: current.model,
      index: indexModel(current.model),
      root: { version: current.version, model: current.model },
      memo: new Map(),
    };
    if (!entry.value || value.version >= entry.value.version) entry.value = value;
    entry.checkedAt = checkedAt;
    // A tenant that receives events patches this version next: its patch base is made from the model just loaded
    // (only the snapshot is read), in the background, instead of by the next event.
    const states = patchStatesOf(this.#store);
    if (this.#primePatchBase && states.knows(tenantId)) {
      void states.prime(this.#store, current, current.model).catch(() => undefined);
    }
    return entry.value;
  }

  /**
   * The current version from the cached one and the current delta, when the cached version is the delta's base or
   * on its chain; null when it is not (the caller loads the whole model).
   */
  async #patch(tenantId: string, cached: CachedModel): Promise<CachedModel | null> {
    const current = await this.#store.getCurrentDelta(tenantId);
    if (!current?.delta || !canApplyAfter(current.delta, cached.version)) return null;
    const p: CurrentPointer = current.pointer;
    const delta = current.delta;
    const root = canApplyAfter(delta, cached.root.version)
      ? cached.root
      : { version: cached.version, model: cached.model };
    // The index is patched now; the model's entry lists are built only if an export or an insight reads them.
    const model = applyModelDeltaLazily(root.model, delta.model, root.version);
    this.patches++;
    return {
      tenantId,
      version: p.version,
      runId: p.runId,
      committedAt: p.committedAt,
      modelSha256: p.modelSha256,
      baseVersion: p.baseVersion,
      model,
      index: patchIndex(cached.index, model, delta.model, cached.version),
      root,
      memo: new Map(),
    };
  }

  #evict(): void {
    while (this.#entries.size > this.#maxTenants) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) return;
      this.#entries.delete(oldest.value);
    }
  }
}
