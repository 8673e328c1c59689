/**
 * What the per-product resolvers share: interned paths (`ViaPath`), sinks that collect effective and dormant access
 * per resource, and the routing of a grant to an account into one or the other by the account's eligibility for the
 * product. Everything is keyed by strings and Maps so a large tenant resolves without per-row object churn: a path
 * object is made once and shared, an entry's `via` stays a single object until a second path arrives.
 */
import type { Snapshot } from "@accessmap/shared/snapshot/schema";
import type { JoinedAccounts, UnifiedGroups } from "../correlate.js";
import type { AccessEntry, AccessProduct, Model, ResourceType, ViaPath } from "../types.js";

/** Everything a product resolver reads and writes. */
export interface ResolveInput {
  snapshot: Snapshot;
  vias: ViaTable;
  access: AccessSink;
  dormant: AccessSink;
  notes: string[];
  groups: UnifiedGroups;
  accounts: JoinedAccounts;
  /** Accounts that may use each product (active, not suspended, holding it). */
  eligible: {
    admin: ReadonlySet<string>;
    jira: ReadonlySet<string>;
    confluence: ReadonlySet<string>;
    bitbucket: ReadonlySet<string>;
  };
  /** Site host (resource id of the site), or null when unknown. */
  siteHost: string | null;
  /** Bitbucket workspace slug, or null. */
  bitbucketSlug: string | null;
  conditional: Model["conditional"];
  /**
   * Which resources to emit entries for; null: every one (a full build). An incremental patch recomputes only the
   * resources a change touched; the notes (diagnostics over the whole section) are produced either way.
   */
  scope: ResolveScope | null;
}

/**
 * The per-resource part of a product's access that a change of the snapshot's partitioned rows can touch: Jira
 * projects (by key), Confluence spaces (by key), Bitbucket projects (by key) and repositories (by slug). Site,
 * org and workspace entries depend on identities and memberships only, so a scoped run never emits them.
 */
export interface ResolveScope {
  jiraProjects: ReadonlySet<string>;
  confluenceSpaces: ReadonlySet<string>;
  bitbucketProjects: ReadonlySet<string>;
  bitbucketRepos: ReadonlySet<string>;
}

/** One path, or several: most grants reach a principal one way, so the array is made only when a second arrives. */
export type ViaSlot = ViaPath | ViaPath[];

/** Interns paths by kind and description, so every entry reached the same way shares one object. */
export class ViaTable {
  private readonly table = new Map<string, ViaPath>();

  get(kind: string, description: string): ViaPath {
    const key = `${kind}\u0000${description}`;
    let v = this.table.get(key);
    if (!v) {
      v = { kind, description };
      this.table.set(key, v);
    }
    return v;
  }
}

/** Adds a path for a principal; the same (interned) path is kept once. */
export function addVia(m: Map<string, ViaSlot>, principal: string, via: ViaPath): void {
  const cur = m.get(principal);
  if (cur === undefined) m.set(principal, via);
  else if (Array.isArray(cur)) {
    if (!cur.includes(via)) cur.push(via);
  } else if (cur !== via) m.set(principal, [cur, via]);
}

/** The paths of one (resource, permission): principal → path(s). */
export type PermissionMap = Map<string, ViaSlot>;

export class ResourceBucket {
  readonly perms = new Map<string, PermissionMap>();

  constructor(
    readonly product: AccessProduct,
    readonly resourceType: ResourceType,
    readonly resourceId: string,
  ) {}

  permission(permission: string): PermissionMap {
    let m = this.perms.get(permission);
    if (!m) {
      m = new Map();
      this.perms.set(permission, m);
    }
    return m;
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Entries per resource; turned into the sorted entry list once, at the end. */
export class AccessSink {
  private readonly buckets = new Map<string, ResourceBucket>();

  resource(product: AccessProduct, resourceType: ResourceType, resourceId: string): ResourceBucket {
    const key = `${product}\u0000${resourceType}\u0000${resourceId}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = new ResourceBucket(product, resourceType, resourceId);
      this.buckets.set(key, b);
    }
    return b;
  }

  /**
   * Entries sorted by (product, resourceType, resourceId, permission, principal); each `via` sorted by description.
   * Drains the sink: each resource's Maps are released once its entries are made, so peak memory stays near the
   * size of the result.
   */
  entries(): AccessEntry[] {
    const buckets = [...this.buckets.values()].sort(
      (a, b) => cmp(a.product, b.product) || cmp(a.resourceType, b.resourceType) || cmp(a.resourceId, b.resourceId),
    );
    const single = new Map<ViaPath, ViaPath[]>();
    const out: AccessEntry[] = [];
    for (const b of buckets) {
      const perms = [...b.perms.keys()].sort(cmp);
      for (const permission of perms) {
        const m = b.perms.get(permission)!;
        const principals = [...m.keys()].sort(cmp);
        for (const principal of principals) {
          const slot = m.get(principal)!;
          let via: ViaPath[];
          if (Array.isArray(slot)) via = slot.length > 1 ? slot.sort(byDescription) : slot;
          else {
            via = single.get(slot) ?? [slot];
            single.set(slot, via);
          }
          out.push({
            principal,
            product: b.product,
            resourceType: b.resourceType,
            resourceId: b.resourceId,
            permission,
            via,
          });
        }
        b.perms.delete(permission);
      }
    }
    this.buckets.clear();
    return out;
  }
}

function byDescription(a: ViaPath, b: ViaPath): number {
  return cmp(a.description, b.description) || cmp(a.kind, b.kind);
}

/**
 * One product's view of the sinks: a grant to an account lands in `access` when the account is eligible for the
 * product (active, not suspended, holding it), else in `dormant`; pseudo-principals always land in `access`.
 */
export class ProductEmitter {
  constructor(
    readonly product: AccessProduct,
    private readonly access: AccessSink,
    private readonly dormant: AccessSink,
    private readonly eligible: ReadonlySet<string>,
  ) {}

  isEligible(accountId: string): boolean {
    return this.eligible.has(accountId);
  }

  resource(resourceType: ResourceType, resourceId: string): ResourceTarget {
    return new ResourceTarget(
      this.access.resource(this.product, resourceType, resourceId),
      () => this.dormant.resource(this.product, resourceType, resourceId),
      this.eligible,
    );
  }
}

/** One resource in both sinks, with the permission maps cached. */
export class ResourceTarget {
  private dormantBucket: ResourceBucket | null = null;

  constructor(
    private readonly bucket: ResourceBucket,
    private readonly dormantOf: () => ResourceBucket,
    private readonly eligible: ReadonlySet<string>,
  ) {}

  /** The maps of one permission: effective, and (lazily) dormant. */
  permission(permission: string): PermissionTarget {
    return new PermissionTarget(this.bucket.permission(permission), () => this.dormantPerm(permission), this.eligible);
  }

  private dormantPerm(permission: string): PermissionMap {
    if (!this.dormantBucket) this.dormantBucket = this.dormantOf();
    return this.dormantBucket.permission(permission);
  }
}

export class PermissionTarget {
  private dormant: PermissionMap | null = null;

  constructor(
    private readonly access: PermissionMap,
    private readonly dormantOf: () => PermissionMap,
    private readonly eligible: ReadonlySet<string>,
  ) {}

  /** A grant to one account: effective when the account is eligible, else dormant. */
  account(accountId: string, via: ViaPath): void {
    if (this.eligible.has(accountId)) addVia(this.access, accountId, via);
    else {
      if (!this.dormant) this.dormant = this.dormantOf();
      addVia(this.dormant, accountId, via);
    }
  }

  accounts(accountIds: Iterable<string>, via: ViaPath): void {
    for (const id of accountIds) this.account(id, via);
  }

  /** A grant to a pseudo-principal (`anonymous`, `product-users:jira`, `unlicensed:confluence`): always effective. */
  pseudo(principal: string, via: ViaPath): void {
    addVia(this.access, principal, via);
  }
}

/** Quotes a name for a path description. */
export const q = (name: string): string => `"${name}"`;
