/**
 * Insights: findings computed from the merged model — who should not have what, and what is exposed. Each finding
 * names its kind, a title with the numbers, a severity, the count of evidence rows, the evidence itself (capped by
 * `maxEvidence`; `count` is always the full number) and what to do about it.
 */
import { canonicalPermission } from "../canonical.js";
import type {
  AccessEntry,
  AccessProduct,
  Account,
  CanonicalPermission,
  Identity,
  Model,
  ResourceType,
} from "../types.js";
import { resourceKey } from "../types.js";

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const INSIGHT_KINDS = [
  "inactive-billable-accounts",
  "accounts-without-idp-identity",
  "idp-deactivated-still-active",
  "outsiders-with-write-or-admin",
  "public-or-unlicensed-access",
  "broad-admin-grants",
  "public-repositories",
  "private-repositories-allow-forks",
  "unprotected-default-branches",
  "dormant-grants",
  "fallback-repository-access",
] as const;
export type InsightKind = (typeof INSIGHT_KINDS)[number];

/** One row of evidence; the fields that matter for the finding are set. */
export interface EvidenceRow {
  accountId?: string;
  /** The account's display name, or the pseudo-principal's label. */
  account?: string;
  email?: string | null;
  product?: AccessProduct;
  resourceType?: ResourceType;
  resourceId?: string;
  resourceName?: string;
  permission?: string;
  /** Path descriptions joined with ` | `. */
  via?: string;
  /** What makes the row a finding (last activity, IdP status, account class, …). */
  detail?: string;
}

export interface Finding {
  kind: InsightKind;
  title: string;
  severity: Severity;
  /** Evidence rows in full (the list itself may be capped). */
  count: number;
  evidence: EvidenceRow[];
  /** True when `evidence` holds fewer rows than `count`. */
  evidenceTruncated: boolean;
  remediation: string;
  /** Figures behind the title, e.g. licences per product. */
  metrics?: Record<string, number>;
}

export interface InsightOptions {
  /** An account is inactive when its last activity is older than this. Default 90. */
  inactiveDays?: number;
  /** The reference time. Default: now. */
  now?: Date | string | number;
  /** Evidence rows kept per finding. Default 1000. */
  maxEvidence?: number;
}

/** What every insight reads, indexed once. */
export class InsightContext {
  readonly accounts: Map<string, Account>;
  readonly identities: Map<string, Identity>;
  readonly resourceNames: Map<string, string>;
  readonly now: number;
  readonly inactiveDays: number;
  readonly maxEvidence: number;
  private adminHolders: Set<string> | null = null;

  constructor(
    readonly model: Model,
    opts: InsightOptions = {},
  ) {
    this.accounts = new Map(model.accounts.map((a) => [a.accountId, a]));
    this.identities = new Map(model.identities.map((i) => [i.id, i]));
    this.resourceNames = new Map(model.resources.map((r) => [resourceKey(r), r.name]));
    const now = opts.now === undefined ? Date.now() : new Date(opts.now).getTime();
    if (Number.isNaN(now)) throw new Error(`insights: invalid "now" (${String(opts.now)})`);
    this.now = now;
    this.inactiveDays = opts.inactiveDays ?? 90;
    this.maxEvidence = opts.maxEvidence ?? 1000;
  }

  /** Accounts holding at least one admin-category effective permission. */
  holdsAdmin(accountId: string): boolean {
    if (!this.adminHolders) {
      this.adminHolders = new Set();
      for (const e of this.model.access) if (canonicalOf(e) === "admin") this.adminHolders.add(e.principal);
    }
    return this.adminHolders.has(accountId);
  }

  /** An evidence row for an account. */
  accountRow(accountId: string, extra: EvidenceRow = {}): EvidenceRow {
    const a = this.accounts.get(accountId);
    return { accountId, account: a?.displayName ?? accountId, email: a?.email ?? null, ...extra };
  }

  /** An evidence row for an access entry. */
  entryRow(e: AccessEntry, detail?: string): EvidenceRow {
    const row: EvidenceRow = this.accounts.has(e.principal)
      ? this.accountRow(e.principal)
      : { accountId: e.principal, account: e.principal };
    row.product = e.product;
    row.resourceType = e.resourceType;
    row.resourceId = e.resourceId;
    row.resourceName = this.resourceNames.get(resourceKey({ type: e.resourceType, id: e.resourceId })) ?? "";
    row.permission = e.permission;
    row.via = e.via.map((v) => v.description).join(" | ");
    if (detail !== undefined) row.detail = detail;
    return row;
  }
}

/** The canonical category of an entry's permission. */
export const canonicalOf = (e: Pick<AccessEntry, "product" | "permission">): CanonicalPermission =>
  canonicalPermission(e.product, e.permission);

/** Categories that change data or configuration. */
export const WRITE_OR_ADMIN: ReadonlySet<CanonicalPermission> = new Set([
  "data_write",
  "data_create",
  "data_delete",
  "admin",
]);

/** Collects evidence up to the cap, counting all of it. */
export class Evidence {
  readonly rows: EvidenceRow[] = [];
  count = 0;

  constructor(private readonly max: number) {}

  add(row: EvidenceRow | (() => EvidenceRow)): void {
    this.count++;
    if (this.rows.length < this.max) this.rows.push(typeof row === "function" ? row() : row);
  }
}

/** A finding from collected evidence, or null when there is none. */
export function finding(
  kind: InsightKind,
  ev: Evidence,
  f: { title: string; severity: Severity; remediation: string; metrics?: Record<string, number> },
): Finding | null {
  if (ev.count === 0) return null;
  const out: Finding = {
    kind,
    title: f.title,
    severity: f.severity,
    count: ev.count,
    evidence: ev.rows,
    evidenceTruncated: ev.rows.length < ev.count,
    remediation: f.remediation,
  };
  if (f.metrics) out.metrics = f.metrics;
  return out;
}

/** `n thing(s)` */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
