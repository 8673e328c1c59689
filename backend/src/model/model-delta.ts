/**
 * A model delta: what an incremental patch changes in a model, stored by a delta version instead of the whole
 * model. Access is grouped in **buckets** — one (product, resource type, resource id) — and a delta holds, for each
 * bucket it touches, the bucket's complete entries after the change (an empty bucket: the resource lost them all),
 * along with the resource rows and Jira conditional grants it touches and the model's header fields (timestamps,
 * statuses, notes). Accounts, identities and groups never change in a delta: a change of the identity side is
 * committed as a full version.
 *
 * Like the snapshot delta, a delta version's model delta is cumulative over its full base, each part stamped with
 * the version that last changed it: `applyModelDelta(base, d)` gives the version's model, and
 * `applyModelDelta(modelOfV, d, v)` brings a copy of an earlier version `v` of the same chain up to date.
 *
 * @module
 */
import { RESOURCE_TYPES } from "@accessmap/shared/model/resource-types";
import {
  type AccessEntry,
  type AccessProduct,
  type Model,
  type Resource,
  type ResourceType,
  resourceKey,
  type ViaPath,
} from "./types.js";

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** One entry of a bucket: principal, permission, paths. */
export type BucketEntry = [principal: string, permission: string, via: ViaPath[]];

export interface BucketDelta {
  product: AccessProduct;
  resourceType: ResourceType;
  resourceId: string;
  /** The bucket's effective entries after the change, in model order (permission, then principal). */
  access: BucketEntry[];
  dormant: BucketEntry[];
  at: number;
}

export interface ModelHeader {
  builtAt: string;
  snapshotRunId: string;
  statuses: Model["statuses"];
  notes: string[];
}

export interface ModelDelta {
  header: ModelHeader;
  /** Resource rows replaced (`resource: null`: removed), keyed `type:id`. */
  resources: Array<{ key: string; resource: Resource | null; at: number }>;
  buckets: BucketDelta[];
  /** Conditional Jira grants, per project key: the project's complete list after the change. */
  conditional: Array<{ projectKey: string; rows: Model["conditional"]; at: number }>;
}

/** A bucket's key. */
export const bucketKey = (b: { product: string; resourceType: string; resourceId: string }): string =>
  `${b.product}\u0000${b.resourceType}\u0000${b.resourceId}`;

/** Orders buckets as the model orders entries: product, resource type, resource id. */
export function compareBuckets(
  a: { product: string; resourceType: string; resourceId: string },
  b: { product: string; resourceType: string; resourceId: string },
): number {
  return cmp(a.product, b.product) || cmp(a.resourceType, b.resourceType) || cmp(a.resourceId, b.resourceId);
}

/** The bucket entries of a list of model entries of one bucket (model order kept). */
export function toBucketEntries(entries: readonly AccessEntry[]): BucketEntry[] {
  return entries.map((e) => [e.principal, e.permission, e.via]);
}

function toEntries(b: BucketDelta, list: readonly BucketEntry[]): AccessEntry[] {
  return list.map(([principal, permission, via]) => ({
    principal,
    product: b.product,
    resourceType: b.resourceType,
    resourceId: b.resourceId,
    permission,
    via,
  }));
}

/** First index in the sorted `entries` whose bucket is not before `b` (binary search). */
function lowerBound(entries: readonly AccessEntry[], b: BucketDelta): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBuckets(entries[mid]!, b) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(entries: readonly AccessEntry[], b: BucketDelta, from: number): number {
  let lo = from;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBuckets(entries[mid]!, b) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `entries` (sorted as in the model) with the given buckets' entries replaced: each bucket's range is found by
 * binary search, so the work is one copy of the list plus the buckets' own entries.
 */
export function replaceBuckets(
  entries: readonly AccessEntry[],
  buckets: readonly BucketDelta[],
  pick: (b: BucketDelta) => readonly BucketEntry[],
): AccessEntry[] {
  if (buckets.length === 0) return entries as AccessEntry[];
  const sorted = [...buckets].sort(compareBuckets);
  const out: AccessEntry[] = [];
  let from = 0;
  for (const b of sorted) {
    const lo = lowerBound(entries, b);
    const hi = upperBound(entries, b, lo);
    for (let i = from; i < lo; i++) out.push(entries[i]!);
    out.push(...toEntries(b, pick(b)));
    from = Math.max(from, hi);
  }
  for (let i = from; i < entries.length; i++) out.push(entries[i]!);
  return out;
}

const TYPE_ORDER = RESOURCE_TYPES;

/** Sorts resources as the model lists them: by type, then id. */
export function sortResources(list: Resource[]): Resource[] {
  return list.sort((a, b) => TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) || cmp(a.id, b.id));
}

const cmpConditional = (a: Model["conditional"][number], b: Model["conditional"][number]): number =>
  cmp(a.projectKey, b.projectKey) ||
  cmp(a.permission, b.permission) ||
  cmp(a.holderType, b.holderType) ||
  cmp(a.parameter ?? "", b.parameter ?? "");

/**
 * The model of a delta version: `base` with the delta applied (a new object; `base` is not changed, and what the
 * delta does not touch is shared with it). With `after`, only the parts changed after that version are applied.
 */
export function applyModelDelta(base: Model, d: ModelDelta, after = Number.NEGATIVE_INFINITY): Model {
  const buckets = d.buckets.filter((b) => b.at > after);
  const resources = d.resources.filter((r) => r.at > after);
  const conditional = d.conditional.filter((c) => c.at > after);
  let nextResources = base.resources;
  if (resources.length > 0) {
    const byKey = new Map(base.resources.map((r) => [resourceKey(r), r]));
    for (const r of resources) {
      if (r.resource) byKey.set(r.key, r.resource);
      else byKey.delete(r.key);
    }
    nextResources = sortResources([...byKey.values()]);
  }
  let nextConditional = base.conditional;
  if (conditional.length > 0) {
    const projects = new Set(conditional.map((c) => c.projectKey));
    nextConditional = [
      ...base.conditional.filter((c) => !projects.has(c.projectKey)),
      ...conditional.flatMap((c) => c.rows),
    ].sort(cmpConditional);
  }
  return {
    ...base,
    builtAt: d.header.builtAt,
    snapshotRunId: d.header.snapshotRunId,
    statuses: d.header.statuses,
    notes: d.header.notes,
    resources: nextResources,
    access: replaceBuckets(base.access, buckets, (b) => b.access),
    dormant: replaceBuckets(base.dormant, buckets, (b) => b.dormant),
    conditional: nextConditional,
  };
}

/** A bucket's entries as model entries. */
export function bucketEntries(b: BucketDelta, which: "access" | "dormant"): AccessEntry[] {
  return toEntries(b, b[which]);
}

/**
 * `applyModelDelta`, with the effective and dormant entry lists built only when first read (then kept): a reader
 * that answers from an index (the model cache) never pays for copying them, an export or an insight pays once.
 * The lists are built from `base`'s, which the result holds until then.
 */
export function applyModelDeltaLazily(base: Model, d: ModelDelta, after = Number.NEGATIVE_INFINITY): Model {
  const buckets = d.buckets.filter((b) => b.at > after);
  const eager = applyModelDelta({ ...base, access: [], dormant: [] }, { ...d, buckets: [] }, after);
  if (buckets.length === 0) return { ...eager, access: base.access, dormant: base.dormant };
  let access: AccessEntry[] | null = null;
  let dormant: AccessEntry[] | null = null;
  const model = eager as Model;
  Object.defineProperty(model, "access", {
    enumerable: true,
    configurable: true,
    get: () => {
      access ??= replaceBuckets(base.access, buckets, (b) => b.access);
      return access;
    },
  });
  Object.defineProperty(model, "dormant", {
    enumerable: true,
    configurable: true,
    get: () => {
      dormant ??= replaceBuckets(base.dormant, buckets, (b) => b.dormant);
      return dormant;
    },
  });
  return model;
}

/** The cumulative delta after one more patch: its buckets, resources and conditional lists replace earlier ones. */
export function mergeModelDelta(prev: ModelDelta | null, next: ModelDelta): ModelDelta {
  if (!prev) return next;
  const merge = <T>(a: readonly T[], b: readonly T[], key: (x: T) => string): T[] => {
    const m = new Map(a.map((x) => [key(x), x]));
    for (const x of b) m.set(key(x), x);
    return [...m.values()];
  };
  return {
    header: next.header,
    resources: merge(prev.resources, next.resources, (r) => r.key),
    buckets: merge(prev.buckets, next.buckets, bucketKey),
    conditional: merge(prev.conditional, next.conditional, (c) => c.projectKey),
  };
}
