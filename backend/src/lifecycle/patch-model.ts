/**
 * @module lifecycle/patch-model
 *
 * Reflects applied lifecycle changes in the current model at once, so who-can-access answers change the moment an
 * apply succeeds instead of at the next sync; the next sync confirms (or corrects) them from the sources.
 *
 * `patchModel(model, applied)` is pure and conservative — it only takes access away on evidence, and adds access
 * only along paths the model already shows:
 * - an account deactivated (SCIM `active=false`, a directory removal), closed (deleted) or suspended can no longer
 *   sign in: all its effective entries become dormant, as the builder would place them;
 * - a removed membership removes the paths through that group (`… group "name"`), and the entries whose only path
 *   it was; when that takes away the Admin product access that came from the group, the account loses the product
 *   and its entries for that product become dormant;
 * - an added membership gives the member the paths other members hold through that group (a group nobody is in
 *   shows no grants, so nothing is added: the next sync fills it in);
 * - identities are added, updated or removed; created and deleted groups appear and disappear.
 *
 * Storage (decision): the patched model is committed through the store as a NEW SNAPSHOT VERSION derived from the
 * current one — the same snapshot JSON, the patched model, state `complete`, counts marked `lifecycle patch` (the
 * number of applied steps, beside `lifecycleChanges` and `basedOnVersion`) and a
 * run id `lifecycle-patch:<planId>` — with `startSnapshot`/`commitSnapshot`. Rejected: an overlay beside the
 * snapshot, which every reader (queries, exports, the HTTP API, diffs) would have to know to merge. A version keeps
 * one rule for readers (the current model is the truth), keeps history (`query diff` shows the patch), and lets the
 * next sync supersede it as any version is superseded. If a sync committed in between, the patch is dropped: that
 * newer model already reflects the sources.
 */
import { BITBUCKET_KEY, CONFLUENCE_KEY, canSignIn, isJiraKey } from "../model/correlate.js";
import { holdsConfluence, holdsJira } from "../model/queries.js";
import type { AccessEntry, AccessProduct, Account, Group, Identity, Model, ViaPath } from "../model/types.js";
import type { Store } from "../store/store.js";
import type { AuditSink } from "./audit.js";
import type { AppliedChange, StepResult } from "./types.js";

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const entryKey = (e: AccessEntry) =>
  `${e.product}\u0000${e.resourceType}\u0000${e.resourceId}\u0000${e.permission}\u0000${e.principal}`;
const compareEntries = (a: AccessEntry, b: AccessEntry) =>
  cmp(a.product, b.product) ||
  cmp(a.resourceType, b.resourceType) ||
  cmp(a.resourceId, b.resourceId) ||
  cmp(a.permission, b.permission) ||
  cmp(a.principal, b.principal);

/** Whether a path runs through the org group `name` (Bitbucket workspace groups are other groups). */
export function viaGroup(v: ViaPath, name: string): boolean {
  return !v.kind.startsWith("bitbucket.") && v.description.includes(`group "${name}"`);
}

/** Whether the account may use the product, as the model builder decides it (reduced to what the model keeps). */
function eligible(a: Account | undefined, product: AccessProduct): boolean {
  if (!a) return false;
  switch (product) {
    case "admin":
      return canSignIn(a);
    case "jira":
      return holdsJira(a);
    case "confluence":
      return holdsConfluence(a);
    case "bitbucket":
      return (
        !a.suspended &&
        (a.status === "active" || a.status === "unknown") &&
        a.products.some((p) => p.key === BITBUCKET_KEY)
      );
  }
}

function mergeVia(into: ViaPath[], add: readonly ViaPath[]): ViaPath[] {
  const out = [...into];
  for (const v of add) if (!out.some((x) => x.kind === v.kind && x.description === v.description)) out.push(v);
  return out.sort((x, y) => cmp(x.description, y.description) || cmp(x.kind, y.kind));
}

/** The changes of the steps that succeeded. */
export function appliedChanges(applied: readonly StepResult[]): AppliedChange[] {
  return applied.filter((r) => r.status === "ok" || r.status === "adopted").flatMap((r) => r.changes);
}

class Patcher {
  readonly accounts: Map<string, Account>;
  identities: Identity[];
  groups: Group[];
  readonly access = new Map<string, AccessEntry>();
  readonly dormant = new Map<string, AccessEntry>();
  /** Accounts whose entries must be re-placed: `down` only moves to dormant, `up` also back to effective. */
  readonly replace = new Map<string, "down" | "up">();

  constructor(readonly model: Model) {
    this.accounts = new Map(model.accounts.map((a) => [a.accountId, { ...a, products: [...a.products] }]));
    this.identities = model.identities.map((i) => ({ ...i }));
    this.groups = model.groups.map((g) => ({ ...g, members: [...g.members] }));
    for (const e of model.access) this.access.set(entryKey(e), e);
    for (const e of model.dormant) this.dormant.set(entryKey(e), e);
  }

  private touch(accountId: string, direction: "down" | "up"): void {
    if (this.replace.get(accountId) !== "up") this.replace.set(accountId, direction);
  }

  private group(groupId: string | null, name: string): Group | undefined {
    return (
      (groupId ? this.groups.find((g) => g.scope === "org" && g.groupId === groupId) : undefined) ??
      this.groups.find((g) => g.scope === "org" && g.name.toLowerCase() === name.toLowerCase())
    );
  }

  /** Drops the paths through a group from the entries of one principal (or all), and entries left with none. */
  private dropVia(name: string, principal: string | null): void {
    for (const sink of [this.access, this.dormant]) {
      for (const [k, e] of sink) {
        if (principal !== null && e.principal !== principal) continue;
        if (!e.via.some((v) => viaGroup(v, name))) continue;
        const via = e.via.filter((v) => !viaGroup(v, name));
        if (via.length > 0) {
          sink.set(k, { ...e, via });
          continue;
        }
        sink.delete(k);
        // Product access that only this group gave: the account no longer holds the product.
        if (
          e.product === "admin" &&
          e.resourceType === "site" &&
          (isJiraKey(e.permission) || e.permission === CONFLUENCE_KEY)
        ) {
          const a = this.accounts.get(e.principal);
          if (a) {
            a.products = a.products.filter((p) => p.key !== e.permission);
            this.touch(a.accountId, "down");
          }
        }
      }
    }
  }

  apply(c: AppliedChange): void {
    switch (c.kind) {
      case "account.status": {
        const a = this.accounts.get(c.accountId);
        if (!a) return;
        a.status = c.status;
        this.touch(a.accountId, c.status === "active" ? "up" : "down");
        return;
      }
      case "account.suspended": {
        const a = this.accounts.get(c.accountId);
        if (!a) return;
        a.suspended = c.suspended;
        this.touch(a.accountId, c.suspended ? "down" : "up");
        return;
      }
      case "identity.upsert": {
        const id = c.externalId ?? c.scimId;
        const found =
          (c.accountId ? this.identities.find((i) => i.source === "scim" && i.accountId === c.accountId) : undefined) ??
          this.identities.find((i) => i.source === "scim" && (i.id === id || i.id === c.scimId));
        const next: Identity = {
          id: found?.id ?? id,
          source: "scim",
          login: c.userName,
          email: c.email,
          displayName: c.displayName,
          status: c.active ? "active" : "deactivated",
          accountId: c.accountId,
          match: c.accountId ? "account-id" : "unmatched",
          candidates: [],
        };
        this.identities = found ? this.identities.map((i) => (i === found ? next : i)) : [...this.identities, next];
        if (c.accountId) {
          let a = this.accounts.get(c.accountId);
          if (!a) {
            a = {
              accountId: c.accountId,
              displayName: c.displayName ?? c.userName,
              email: c.email,
              accountType: "atlassian",
              status: c.active ? "active" : "inactive",
              suspended: false,
              billable: null,
              userType: "human",
              externalCollaborator: false,
              products: [],
              lastActive: null,
              seenIn: ["scim"],
              bitbucketUuid: null,
              identityId: next.id,
            };
            this.accounts.set(a.accountId, a);
          } else {
            a.identityId = next.id;
            if (c.displayName) a.displayName = c.displayName;
            if (c.email) a.email = c.email;
          }
        }
        return;
      }
      case "identity.remove": {
        const gone = this.identities.filter(
          (i) =>
            i.source === "scim" &&
            ((c.accountId !== null && i.accountId === c.accountId) ||
              i.id === c.scimId ||
              (c.externalId !== null && i.id === c.externalId)),
        );
        if (gone.length === 0) return;
        this.identities = this.identities.filter((i) => !gone.includes(i));
        for (const i of gone) {
          const a = i.accountId ? this.accounts.get(i.accountId) : undefined;
          if (a && a.identityId === i.id) a.identityId = null;
        }
        return;
      }
      case "membership": {
        const g = this.group(c.groupId, c.groupName);
        if (c.op === "remove") {
          if (g) g.members = g.members.filter((m) => m !== c.accountId);
          this.dropVia(g?.name ?? c.groupName, c.accountId);
          return;
        }
        if (g && !g.members.includes(c.accountId)) g.members = [...g.members, c.accountId].sort(cmp);
        const name = g?.name ?? c.groupName;
        const account = this.accounts.get(c.accountId);
        // The group's grants, as the paths other members hold through it.
        const grants = new Map<string, { e: AccessEntry; via: ViaPath[] }>();
        for (const sink of [this.access, this.dormant]) {
          for (const e of sink.values()) {
            if (e.principal === c.accountId) continue;
            const via = e.via.filter((v) => viaGroup(v, name));
            if (via.length === 0) continue;
            const k = `${e.product}\u0000${e.resourceType}\u0000${e.resourceId}\u0000${e.permission}`;
            const cur = grants.get(k);
            grants.set(k, { e, via: cur ? mergeVia(cur.via, via) : via });
          }
        }
        for (const { e, via } of grants.values()) {
          const mine: AccessEntry = { ...e, principal: c.accountId, via };
          const k = entryKey(mine);
          const target = eligible(account, e.product) ? this.access : this.dormant;
          const existing = this.access.get(k) ?? this.dormant.get(k);
          if (existing) {
            const where = this.access.has(k) ? this.access : this.dormant;
            where.set(k, { ...existing, via: mergeVia(existing.via, via) });
          } else target.set(k, mine);
        }
        return;
      }
      case "group": {
        if (c.op === "create") {
          if (this.group(c.groupId, c.groupName)) return;
          this.groups = [
            ...this.groups,
            {
              key: c.groupId ?? `pending:${c.groupName}`,
              groupId: c.groupId,
              bitbucketSlug: null,
              name: c.groupName,
              scope: "org" as const,
              members: [],
            },
          ].sort((x, y) => cmp(x.key, y.key));
          return;
        }
        const g = this.group(c.groupId, c.groupName);
        this.groups = this.groups.filter((x) => x !== g);
        this.dropVia(g?.name ?? c.groupName, null);
        return;
      }
    }
  }

  /** Re-places the entries of the accounts whose standing changed. */
  finish(): Model {
    for (const [accountId, direction] of this.replace) {
      const a = this.accounts.get(accountId);
      for (const [k, e] of [...this.access]) {
        if (e.principal !== accountId || eligible(a, e.product)) continue;
        this.access.delete(k);
        const d = this.dormant.get(k);
        this.dormant.set(k, d ? { ...d, via: mergeVia(d.via, e.via) } : e);
      }
      if (direction !== "up") continue;
      for (const [k, e] of [...this.dormant]) {
        if (e.principal !== accountId || !eligible(a, e.product)) continue;
        this.dormant.delete(k);
        this.access.set(k, e);
      }
    }
    return {
      ...this.model,
      accounts: [...this.accounts.values()],
      identities: this.identities,
      groups: this.groups,
      access: [...this.access.values()].sort(compareEntries),
      dormant: [...this.dormant.values()].sort(compareEntries),
    };
  }
}

/**
 * The model with the applied changes reflected. Accepts step results (only `ok` and `adopted` ones count) or the
 * changes themselves; the input model is not modified.
 */
export function patchModel(model: Model, applied: readonly StepResult[] | readonly AppliedChange[]): Model {
  const changes: AppliedChange[] =
    applied.length > 0 && "stepId" in (applied[0] as object)
      ? appliedChanges(applied as readonly StepResult[])
      : [...(applied as readonly AppliedChange[])];
  if (changes.length === 0) return model;
  const p = new Patcher(model);
  for (const c of changes) p.apply(c);
  const out = p.finish();
  return {
    ...out,
    notes: [
      ...model.notes,
      `Lifecycle patch: ${changes.length} applied change(s) are reflected ahead of the next sync, which confirms them.`,
    ],
  };
}

export interface PatchCommit {
  /** The new current version, or null when nothing was committed (no change, no current model, a newer sync). */
  version: number | null;
  reason: string;
}

/**
 * Commits the patched model as a new snapshot version derived from the current one (see the module comment).
 * Audited as `lifecycle.model.patch`.
 */
export async function commitPatchedModel(
  store: Store,
  tenantId: string,
  applied: readonly StepResult[],
  meta: { planId: string; actor: string; audit?: AuditSink | null },
): Promise<PatchCommit> {
  const changes = appliedChanges(applied);
  if (changes.length === 0) return { version: null, reason: "no applied change to reflect" };
  const steps = applied.filter((r) => (r.status === "ok" || r.status === "adopted") && r.changes.length > 0).length;
  const current = await store.getCurrentModel(tenantId);
  if (!current)
    return { version: null, reason: "the tenant has no current model yet; the next sync will show the changes" };
  const data = await store.readSnapshotData(tenantId, current.version);
  if (!data?.snapshot)
    return { version: null, reason: "the current snapshot cannot be read; the next sync will show the changes" };
  const patched = patchModel(current.model, changes);
  const started = await store.startSnapshot(tenantId, {
    runId: `lifecycle-patch:${meta.planId}`,
    statuses: data.snapshot.statuses,
  });
  const pointer = await store.getCurrentPointer(tenantId);
  if (pointer?.version !== current.version) {
    await store.endSnapshot(tenantId, started.version, {
      state: "failed",
      reason: "lifecycle patch dropped: a newer sync became current while it was prepared",
    });
    return { version: null, reason: "a newer sync became current first; it reflects the sources" };
  }
  const record = await store.commitSnapshot(tenantId, started.version, {
    snapshot: data.snapshot,
    model: patched,
    statuses: data.snapshot.statuses,
    counts: { "lifecycle patch": steps, lifecycleChanges: changes.length, basedOnVersion: current.version },
  });
  await meta.audit?.append({
    actor: meta.actor,
    action: "lifecycle.model.patch",
    target: `snapshot:${record.version}`,
    result: "ok",
    details: { plan: meta.planId, basedOnVersion: current.version, steps, changes: changes.length },
  });
  return { version: record.version, reason: `lifecycle patch of version ${current.version}` };
}
