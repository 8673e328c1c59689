/**
 * The incremental model patch: given the model of a snapshot and a partition change of that snapshot (a
 * repository's rows, a Jira project's, a Confluence space's … see `snapshot-delta.ts`), compute only what the
 * change can alter — the access of the resources it touches — instead of building the whole model again. The result
 * is exactly the model `buildModel` gives for the patched snapshot (the property test in `patch-model.test.ts`
 * compares them), expressed as a {@link ModelDelta}.
 *
 * Why it is exact: the model splits into an identity side (groups, accounts, identities, who may use each product,
 * the site and the workspace — `modelContext`), which depends only on users, groups and memberships, and the
 * per-resource access, which depends on the identity side plus the rows of that resource and a few shared tables
 * (a Jira permission scheme and its grants, role names, Confluence role operations, a Bitbucket project's grants
 * for its repositories). A partition change never touches the identity side, so the patch keeps it and re-resolves
 * just the resources whose inputs changed (the "dirty" scope, widened through the shared tables). The notes are
 * the snapshot's, the identity side's (kept) and the product resolvers' (recomputed for the products changed:
 * cheap diagnostics over their sections).
 *
 * @module
 */
import type { Snapshot } from "@accessmap/shared/snapshot/schema";
import {
  buildResources,
  leadingNotes,
  type ModelContext,
  modelContext,
  modelStatuses,
  type ProductResolution,
  productNotes,
  resolveProducts,
} from "./build-model.js";
import { canonicalPermission } from "./canonical.js";
import { type BucketDelta, type BucketEntry, bucketKey, type ModelDelta, toBucketEntries } from "./model-delta.js";
import type { ResolveScope } from "./resolve/context.js";
import {
  applySnapshotChange,
  changedKeys,
  type PartitionedSection,
  type SnapshotChange,
  type SnapshotHeader,
} from "./snapshot-delta.js";
import { type AccessEntry, type AccessProduct, type Model, type Resource, resourceKey } from "./types.js";

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Counts a patch keeps up to date (the store records them with each version). */
export interface PatchCounts {
  accounts: number;
  identities: number;
  groups: number;
  resources: number;
  access: number;
  dormant: number;
  /** Effective entries with an admin-category permission (the mass-deletion guard's denominator). */
  adminGrants: number;
}

/** What the patcher keeps of one model version between patches: the snapshot and the model's identity side. */
export interface PatchBase {
  snapshot: Snapshot;
  ctx: ModelContext;
  /** The model's notes between the leading ones and the resolvers' (kept as the stored model has them). */
  identityNotes: string[];
  productNotes: Record<AccessProduct, string[]>;
  resources: Resource[];
  counts: PatchCounts;
}

const EMPTY_SCOPE: ResolveScope = {
  jiraProjects: new Set(),
  confluenceSpaces: new Set(),
  bitbucketProjects: new Set(),
  bitbucketRepos: new Set(),
};

const isAdmin = (e: AccessEntry) => canonicalPermission(e.product, e.permission) === "admin";

/** Counts of a whole model, as a patch keeps them. */
export function countsOf(model: Model): PatchCounts {
  let adminGrants = 0;
  for (const e of model.access) if (isAdmin(e)) adminGrants++;
  return {
    accounts: model.accounts.length,
    identities: model.identities.length,
    groups: model.groups.length,
    resources: model.resources.length,
    access: model.access.length,
    dormant: model.dormant.length,
    adminGrants,
  };
}

/**
 * The patch base of a stored version: its snapshot and its model (only the model's notes and resources are kept;
 * `counts` default to the model's). Null when the model's notes are not the ones this code would write around the identity side — a model
 * built by other code: patch it by a full build instead.
 */
export function patchBaseOf(snapshot: Snapshot, model: Model, counts: PatchCounts = countsOf(model)): PatchBase | null {
  const ctx = modelContext(snapshot);
  const r = resolveProducts(snapshot, ctx, EMPTY_SCOPE);
  const leading = leadingNotes(snapshot);
  const trailing = productNotes(r.notes);
  const n = model.notes;
  if (n.length < leading.length + trailing.length) return null;
  for (let i = 0; i < leading.length; i++) if (n[i] !== leading[i]) return null;
  for (let i = 0; i < trailing.length; i++) if (n[n.length - trailing.length + i] !== trailing[i]) return null;
  return {
    snapshot,
    ctx,
    identityNotes: n.slice(leading.length, n.length - trailing.length),
    productNotes: r.notes,
    resources: model.resources,
    counts,
  };
}

/** The patch base right after a full build of `snapshot` (no recomputation). */
export function patchBaseOfBuild(
  snapshot: Snapshot,
  ctx: ModelContext,
  resolution: Pick<ProductResolution, "notes">,
  model: Model,
): PatchBase {
  return {
    snapshot,
    ctx,
    identityNotes: ctx.identityNotes,
    productNotes: resolution.notes,
    resources: model.resources,
    counts: countsOf(model),
  };
}

/** The resources (per product) whose access a change can alter, widened through the tables they share. */
export function dirtyScope(before: Snapshot, after: Snapshot, change: SnapshotChange): ResolveScope {
  const jiraProjects = new Set<string>();
  const confluenceSpaces = new Set<string>();
  const bitbucketProjects = new Set<string>();
  const bitbucketRepos = new Set<string>();
  const both = [before, after];

  if (change.jira) {
    const ids = new Set([...changedKeys(change, "jira", "projects"), ...changedKeys(change, "jira", "roleActors")]);
    const schemes = new Set([
      ...changedKeys(change, "jira", "permissionSchemes"),
      ...changedKeys(change, "jira", "grants"),
    ]);
    const roles = new Set(changedKeys(change, "jira", "roles"));
    for (const s of both) {
      const withRole = new Set(s.jira?.roleActors.filter((a) => roles.has(a.roleId)).map((a) => a.projectId));
      for (const p of s.jira?.projects ?? []) {
        if (ids.has(p.id) || withRole.has(p.id) || (p.permissionSchemeId !== null && schemes.has(p.permissionSchemeId)))
          jiraProjects.add(p.key);
      }
    }
  }

  if (change.confluence) {
    const ids = new Set([
      ...changedKeys(change, "confluence", "spaces"),
      ...changedKeys(change, "confluence", "spacePermissions"),
      ...changedKeys(change, "confluence", "roleAssignments"),
    ]);
    const roles = new Set(changedKeys(change, "confluence", "roles"));
    const opsChanged = !sameRoleOperations(before, after);
    for (const s of both) {
      const withRole = new Set(s.confluence?.roleAssignments.filter((a) => roles.has(a.roleId)).map((a) => a.spaceId));
      for (const sp of s.confluence?.spaces ?? []) {
        if (opsChanged || ids.has(sp.id) || withRole.has(sp.id)) confluenceSpaces.add(sp.key);
      }
    }
  }

  if (change.bitbucket) {
    for (const k of [
      ...changedKeys(change, "bitbucket", "repositories"),
      ...changedKeys(change, "bitbucket", "repositoryPermissions"),
      ...changedKeys(change, "bitbucket", "branchProtection"),
    ])
      bitbucketRepos.add(k);
    for (const k of [
      ...changedKeys(change, "bitbucket", "projects"),
      ...changedKeys(change, "bitbucket", "projectPermissions"),
    ])
      bitbucketProjects.add(k);
    // A project's grants are inherited by its repositories.
    for (const s of both) {
      for (const r of s.bitbucket?.repositories ?? []) {
        if (r.project_key && bitbucketProjects.has(r.project_key)) bitbucketRepos.add(r.slug);
      }
    }
  }
  return { jiraProjects, confluenceSpaces, bitbucketProjects, bitbucketRepos };
}

/** Confluence role → operations as the resolver derives them (stated by the role, else from `role` rows). */
function roleOperations(s: Snapshot): Map<string, string[]> {
  const conf = s.confluence;
  const out = new Map<string, Set<string>>();
  if (!conf) return new Map();
  for (const r of conf.roles) {
    const stated = (r as { operations?: unknown }).operations;
    if (Array.isArray(stated)) out.set(r.id, new Set(stated.filter((o): o is string => typeof o === "string")));
  }
  const stated = new Set(out.keys());
  for (const row of conf.spacePermissions) {
    if (row.principalType !== "role" || !row.principalId || stated.has(row.principalId)) continue;
    let set = out.get(row.principalId);
    if (!set) {
      set = new Set();
      out.set(row.principalId, set);
    }
    set.add(row.operation);
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort(cmp)]));
}

function sameRoleOperations(a: Snapshot, b: Snapshot): boolean {
  const x = roleOperations(a);
  const y = roleOperations(b);
  if (x.size !== y.size) return false;
  for (const [k, v] of x) {
    const w = y.get(k);
    if (!w || w.length !== v.length || w.some((op, i) => op !== v[i])) return false;
  }
  return true;
}

/** Whether two resource rows are equal (their attributes are flat: strings, numbers, booleans, null). */
function sameResource(a: Resource, b: Resource): boolean {
  if (a.type !== b.type || a.id !== b.id || a.name !== b.name || a.product !== b.product || a.parent !== b.parent)
    return false;
  const ka = Object.keys(a.attributes);
  if (ka.length !== Object.keys(b.attributes).length) return false;
  return ka.every((k) => k in b.attributes && a.attributes[k] === b.attributes[k]);
}

/** Entries grouped by bucket, in model order within each. */
function byBucket(entries: readonly AccessEntry[]): Map<string, AccessEntry[]> {
  const out = new Map<string, AccessEntry[]>();
  for (const e of entries) {
    const k = bucketKey(e);
    const list = out.get(k);
    if (list) list.push(e);
    else out.set(k, [e]);
  }
  return out;
}

const serialize = (entries: readonly AccessEntry[] | undefined): string =>
  JSON.stringify((entries ?? []).map((e) => [e.principal, e.permission, e.via]));

const adminKey = (e: AccessEntry) => `${e.principal}\u0000${e.resourceType}\u0000${e.resourceId}\u0000${e.permission}`;

export interface ModelPatch {
  /** The patched snapshot. */
  snapshot: Snapshot;
  /** This patch's changes to the model, stamped `at`. */
  delta: ModelDelta;
  /** The patch base of the patched version. */
  next: PatchBase;
  /** For the mass-deletion guard: admin grants before, and how many this patch removes. */
  guard: { adminGrants: number; adminRemoved: number };
}

/** Section → the model's product of the same name. */
const PRODUCT_OF: Readonly<Record<PartitionedSection, AccessProduct>> = {
  jira: "jira",
  confluence: "confluence",
  bitbucket: "bitbucket",
};

/**
 * Applies a partition change to the base's snapshot and computes the model change incrementally. `header` holds
 * the patched snapshot's run id, timestamps, statuses and notes; `at` stamps the delta (the new version).
 */
export function patchModel(base: PatchBase, change: SnapshotChange, header: SnapshotHeader, at: number): ModelPatch {
  const before = base.snapshot;
  const after = applySnapshotChange(before, change, header);
  const scope = dirtyScope(before, after, change);
  const products = (Object.keys(change) as PartitionedSection[]).map((s) => PRODUCT_OF[s]);
  const fresh = resolveProducts(after, base.ctx, scope, products);
  const old = resolveProducts(before, base.ctx, scope, products);

  // Buckets: every bucket either run emitted, unless its entries did not change.
  const oldAccess = byBucket(old.access);
  const oldDormant = byBucket(old.dormant);
  const newAccess = byBucket(fresh.access);
  const newDormant = byBucket(fresh.dormant);
  const keys = new Set([...oldAccess.keys(), ...oldDormant.keys(), ...newAccess.keys(), ...newDormant.keys()]);
  const buckets: BucketDelta[] = [];
  const counts = { ...base.counts };
  let adminRemoved = 0;
  for (const k of [...keys].sort(cmp)) {
    const oa = oldAccess.get(k);
    const od = oldDormant.get(k);
    const na = newAccess.get(k);
    const nd = newDormant.get(k);
    if (serialize(oa) === serialize(na) && serialize(od) === serialize(nd)) continue;
    const sample = (na ?? nd ?? oa ?? od)![0]!;
    const access: BucketEntry[] = toBucketEntries(na ?? []);
    const dormant: BucketEntry[] = toBucketEntries(nd ?? []);
    buckets.push({
      product: sample.product,
      resourceType: sample.resourceType,
      resourceId: sample.resourceId,
      access,
      dormant,
      at,
    });
    counts.access += (na?.length ?? 0) - (oa?.length ?? 0);
    counts.dormant += (nd?.length ?? 0) - (od?.length ?? 0);
    const oldAdmin = (oa ?? []).filter(isAdmin);
    const newAdmin = new Set((na ?? []).filter(isAdmin).map(adminKey));
    const removed = oldAdmin.filter((e) => !newAdmin.has(adminKey(e))).length;
    adminRemoved += removed;
    counts.adminGrants += newAdmin.size - oldAdmin.length;
  }

  // Resource rows: recomputed whole (cheap), only the differing ones stored. Only the changed products' rows can
  // differ (org and site rows depend on the identity side and on which sections exist).
  const resources = buildResources(after, base.ctx.siteHost, base.ctx.bitbucketSlug);
  const oldByKey = new Map(base.resources.map((r) => [resourceKey(r), r]));
  const resourceChanges: ModelDelta["resources"] = [];
  const seen = new Set<string>();
  for (const r of resources) {
    const k = resourceKey(r);
    seen.add(k);
    const prev = oldByKey.get(k);
    if (!prev || (products.includes(r.product) && !sameResource(prev, r)))
      resourceChanges.push({ key: k, resource: r, at });
  }
  for (const k of oldByKey.keys()) if (!seen.has(k)) resourceChanges.push({ key: k, resource: null, at });
  counts.resources = resources.length;

  // Conditional Jira grants of the projects in scope.
  const conditional: ModelDelta["conditional"] = [];
  if (scope.jiraProjects.size > 0) {
    const group = (list: Model["conditional"]) => {
      const m = new Map<string, Model["conditional"]>();
      for (const c of list) {
        const l = m.get(c.projectKey);
        if (l) l.push(c);
        else m.set(c.projectKey, [c]);
      }
      return m;
    };
    const o = group(old.conditional);
    const n = group(fresh.conditional);
    for (const key of [...scope.jiraProjects].sort(cmp)) {
      const rows = n.get(key) ?? [];
      if (JSON.stringify(o.get(key) ?? []) !== JSON.stringify(rows)) conditional.push({ projectKey: key, rows, at });
    }
  }

  const nextProductNotes = { ...base.productNotes };
  for (const p of products) nextProductNotes[p] = fresh.notes[p];
  const notes = [...leadingNotes(after), ...base.identityNotes, ...productNotes(nextProductNotes)];
  const delta: ModelDelta = {
    header: { builtAt: after.finishedAt, snapshotRunId: after.runId, statuses: modelStatuses(after), notes },
    resources: resourceChanges,
    buckets,
    conditional,
  };
  return {
    snapshot: after,
    delta,
    next: {
      snapshot: after,
      ctx: base.ctx,
      identityNotes: base.identityNotes,
      productNotes: nextProductNotes,
      resources,
      counts,
    },
    guard: { adminGrants: base.counts.adminGrants, adminRemoved },
  };
}
