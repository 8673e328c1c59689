/**
 * Brings a model's query index up to date with a delta, instead of indexing the whole model again: only the
 * principals and resources whose access the delta touches get new lists; every other list and Map is shared with
 * the old index, which stays whole and untouched (copy-on-write), so a request that holds the old index keeps
 * answering from one version.
 *
 * @module
 */
import { type BucketDelta, bucketEntries, bucketKey, type ModelDelta } from "./model-delta.js";
import { compareEntries, type ModelIndex } from "./queries.js";
import { type AccessEntry, type Model, resourceKey } from "./types.js";

type ByResource = Map<string, Map<string, AccessEntry[]>>;

/** The entries the given buckets held in an index by resource (`byResource` or `dormantByResource`). */
function entriesBefore(index: ByResource, buckets: readonly BucketDelta[]): Map<string, AccessEntry[]> {
  const out = new Map<string, AccessEntry[]>();
  for (const b of buckets) {
    const list: AccessEntry[] = [];
    for (const perm of index.get(resourceKey({ type: b.resourceType, id: b.resourceId }))?.values() ?? []) {
      for (const e of perm) if (e.product === b.product) list.push(e);
    }
    out.set(bucketKey(b), list.sort(compareEntries));
  }
  return out;
}

/** The entries the given buckets hold after the delta. */
function entriesAfter(buckets: readonly BucketDelta[], which: "access" | "dormant"): Map<string, AccessEntry[]> {
  return new Map(buckets.map((b) => [bucketKey(b), bucketEntries(b, which)]));
}

/** `byPrincipal`-style index with the given buckets' old entries replaced by their new ones. */
function patchByPrincipal(
  old: Map<string, AccessEntry[]>,
  changed: ReadonlySet<string>,
  before: Map<string, AccessEntry[]>,
  after: Map<string, AccessEntry[]>,
): { index: Map<string, AccessEntry[]>; principals: Set<string> } {
  const principals = new Set<string>();
  for (const list of [...before.values(), ...after.values()]) for (const e of list) principals.add(e.principal);
  const index = new Map(old);
  const fresh = new Map<string, AccessEntry[]>();
  for (const list of after.values()) {
    for (const e of list) {
      const l = fresh.get(e.principal);
      if (l) l.push(e);
      else fresh.set(e.principal, [e]);
    }
  }
  for (const p of principals) {
    const kept = (old.get(p) ?? []).filter((e) => !changed.has(bucketKey(e)));
    const next = [...kept, ...(fresh.get(p) ?? [])].sort(compareEntries);
    if (next.length > 0) index.set(p, next);
    else index.delete(p);
  }
  return { index, principals };
}

/** `byResource`-style index with the given buckets' entries replaced (other products on the resource kept). */
function patchByResource(
  old: ByResource,
  changed: ReadonlySet<string>,
  after: Map<string, AccessEntry[]>,
  buckets: readonly BucketDelta[],
): ByResource {
  const index = new Map(old);
  const keys = new Set(buckets.map((b) => resourceKey({ type: b.resourceType, id: b.resourceId })));
  for (const key of keys) {
    const entries: AccessEntry[] = [];
    for (const list of old.get(key)?.values() ?? [])
      for (const e of list) if (!changed.has(bucketKey(e))) entries.push(e);
    for (const b of buckets) {
      if (resourceKey({ type: b.resourceType, id: b.resourceId }) === key)
        entries.push(...(after.get(bucketKey(b)) ?? []));
    }
    if (entries.length === 0) {
      index.delete(key);
      continue;
    }
    entries.sort(compareEntries);
    const perms = new Map<string, AccessEntry[]>();
    for (const e of entries) {
      const l = perms.get(e.permission);
      if (l) l.push(e);
      else perms.set(e.permission, [e]);
    }
    index.set(key, perms);
  }
  return index;
}

/**
 * The index of `model` — `old.model` with `delta` applied (only the parts stamped after `after`) — built from `old`
 * and the delta alone (`model`'s entry lists are not read). `old` is not changed.
 */
export function patchIndex(old: ModelIndex, model: Model, delta: ModelDelta, after: number): ModelIndex {
  const buckets = delta.buckets.filter((b) => b.at > after);
  const changed = new Set(buckets.map(bucketKey));
  // The entries come from the old index and the delta: the models' lists are not read (they may not be built yet).
  const accessAfter = entriesAfter(buckets, "access");
  const dormantAfter = entriesAfter(buckets, "dormant");
  const access = patchByPrincipal(old.byPrincipal, changed, entriesBefore(old.byResource, buckets), accessAfter);
  const dormant = patchByPrincipal(
    old.dormantByPrincipal,
    changed,
    entriesBefore(old.dormantByResource, buckets),
    dormantAfter,
  );
  const resourcesChanged = delta.resources.some((r) => r.at > after);
  const conditionalChanged = delta.conditional.some((c) => c.at > after);
  const conditionalByProject = new Map<string, Model["conditional"]>();
  if (conditionalChanged) {
    for (const c of model.conditional) {
      const l = conditionalByProject.get(c.projectKey);
      if (l) l.push(c);
      else conditionalByProject.set(c.projectKey, [c]);
    }
  }
  // Cached entry lists of pseudo-principal sets: kept unless one of their principals changed.
  const pseudoCache = new Map<string, AccessEntry[]>();
  for (const [key, list] of old.pseudoCache) {
    if (!key.split("\u0000").some((p) => access.principals.has(p))) pseudoCache.set(key, list);
  }
  return {
    ...old,
    model,
    resources: resourcesChanged ? new Map(model.resources.map((r) => [resourceKey(r), r])) : old.resources,
    byPrincipal: access.index,
    dormantByPrincipal: dormant.index,
    byResource: patchByResource(old.byResource, changed, accessAfter, buckets),
    dormantByResource: patchByResource(old.dormantByResource, changed, dormantAfter, buckets),
    conditionalByProject: conditionalChanged ? conditionalByProject : old.conditionalByProject,
    pseudoCache,
    text: resourcesChanged
      ? { ...old.text, resources: model.resources.map((r) => `${r.name}\n${r.id}`.toLowerCase()) }
      : old.text,
  };
}
