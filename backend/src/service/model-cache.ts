/**
 * A per-tenant cache of the indexed current model, so queries do not decompress and index the model per request.
 *
 * - **Freshness**: before answering from the cache, the tenant's current pointer is read (`getCurrentPointer`, one
 *   indexed row), at most once per `checkIntervalMs` (default 0: every request). A newer version loads the model.
 * - **No mixed reads**: a load uses `getCurrentModel`, which returns the model together with its version from one
 *   statement; the cache keeps them together, so a request answers from one whole version and names it.
 * - **One load at a time**: concurrent requests for a tenant share one pointer check and one load.
 * - **Bounded**: at most `maxTenants` models are kept, least recently used evicted first.
 *
 * @module
 */
import { indexModel, type ModelIndex } from "../model/queries.js";
import type { Model } from "../model/types.js";
import type { Store } from "../store/store.js";

export interface CachedModel {
  tenantId: string;
  version: number;
  runId: string;
  committedAt: string;
  modelSha256: string;
  model: Model;
  index: ModelIndex;
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
  readonly #now: () => number;
  /** Insertion order is recency order (re-inserted on use). */
  readonly #entries = new Map<string, Entry>();
  /** Loads performed (for tests and metrics). */
  loads = 0;

  constructor(store: Store, opts: ModelCacheOptions = {}) {
    this.#store = store;
    this.#checkIntervalMs = opts.checkIntervalMs ?? 0;
    this.#maxTenants = opts.maxTenants ?? 16;
    this.#verify = opts.verify ?? false;
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
      model: current.model,
      index: indexModel(current.model),
      memo: new Map(),
    };
    if (!entry.value || value.version >= entry.value.version) entry.value = value;
    entry.checkedAt = checkedAt;
    return entry.value;
  }

  #evict(): void {
    while (this.#entries.size > this.#maxTenants) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) return;
      this.#entries.delete(oldest.value);
    }
  }
}
