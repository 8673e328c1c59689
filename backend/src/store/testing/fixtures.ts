/**
 * Test fixtures for the store: snapshots and models whose every part carries the run that built it, so a reader can
 * tell a whole model from a mix of two; a controllable clock; a seeded random source.
 */
import type { ProductStatus, Snapshot } from "@accessmap/shared/snapshot/schema";
import type { AccessEntry, Account, Model } from "../../model/types.js";
import type { VersionDelta } from "../../model/version-delta.js";

export function makeStatuses(runId: string): ProductStatus[] {
  return [
    {
      product: "jira",
      state: "complete",
      reasons: [],
      counts: { projects: 1 },
      calls: 3,
      startedAt: "2025-01-01T00:00:00.000Z",
      finishedAt: "2025-01-01T00:01:00.000Z",
    },
    {
      product: "admin",
      state: "complete",
      reasons: [`read by ${runId}`],
      counts: { users: 1 },
      calls: 2,
      startedAt: "2025-01-01T00:00:00.000Z",
      finishedAt: "2025-01-01T00:01:00.000Z",
    },
  ];
}

export function makeSnapshot(runId: string): Snapshot {
  return {
    version: 1,
    runId,
    startedAt: "2025-01-01T00:00:00.000Z",
    finishedAt: "2025-01-01T00:01:00.000Z",
    site: "acme.atlassian.net",
    statuses: makeStatuses(runId),
    notes: [],
    admin: null,
    scim: null,
    jira: null,
    confluence: null,
    bitbucket: null,
  };
}

/** A model of `accounts` accounts with two access entries each; every account and entry names `runId`. */
export function makeModel(runId: string, accounts = 3): Model {
  const accts: Account[] = [];
  const access: AccessEntry[] = [];
  for (let i = 0; i < accounts; i++) {
    const accountId = `acct-${i}`;
    accts.push({
      accountId,
      displayName: `${runId}|user ${i}`,
      email: `user${i}@acme.example`,
      accountType: "atlassian",
      status: "active",
      suspended: false,
      billable: true,
      userType: "human",
      externalCollaborator: false,
      products: [{ key: "jira-software", lastActive: null }],
      lastActive: null,
      seenIn: ["admin", "jira"],
      bitbucketUuid: null,
      identityId: null,
    });
    for (const permission of ["BROWSE_PROJECTS", "CREATE_ISSUES"]) {
      access.push({
        principal: accountId,
        product: "jira",
        resourceType: "jira_project",
        resourceId: `P${i % 50}`,
        permission,
        via: [{ kind: "jira.scheme.user", description: `${runId}|scheme grant ${i}` }],
      });
    }
  }
  // In model order (product, resource type, resource id, permission, principal), as the builder promises.
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  access.sort(
    (a, b) => cmp(a.resourceId, b.resourceId) || cmp(a.permission, b.permission) || cmp(a.principal, b.principal),
  );
  return {
    version: 1,
    builtAt: "2025-01-01T00:01:00.000Z",
    snapshotRunId: runId,
    org: { id: "org-1", name: "Acme" },
    site: "acme.atlassian.net",
    accounts: accts,
    identities: [],
    groups: [],
    resources: [],
    access,
    dormant: [],
    conditional: [],
    correlation: {
      unmatchedIdentities: [],
      ambiguousIdentities: [],
      accountsWithoutIdentity: [],
      identitySourceAvailable: false,
    },
    statuses: [],
    notes: [],
  };
}

/** The run every part of the model names, or a description of the mix. */
export function modelRun(model: Model): { runId: string; mixed: string | null } {
  const runId = model.snapshotRunId;
  for (const a of model.accounts) {
    if (!a.displayName.startsWith(`${runId}|`)) return { runId, mixed: `account ${a.accountId}: ${a.displayName}` };
  }
  for (const e of model.access) {
    for (const v of e.via) {
      if (!v.description.startsWith(`${runId}|`)) return { runId, mixed: `access ${e.principal}: ${v.description}` };
    }
  }
  return { runId, mixed: null };
}

/** A clock that only moves when told to, plus 1 ms per reading so timestamps stay ordered. */
export class TestClock {
  #t: number;
  constructor(start = Date.parse("2025-01-01T00:00:00.000Z")) {
    this.#t = start;
  }
  now = (): Date => new Date(this.#t++);
  advance(ms: number): void {
    this.#t += ms;
  }
  iso(offsetMs = 0): string {
    return new Date(this.#t + offsetMs).toISOString();
  }
}

/** mulberry32: a small seeded PRNG for reproducible random test sequences. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** The run id the store child gives version `v` (see `store-child.ts`). */
export const runIdOf = (v: number) => `run-${v}`;

/**
 * A delta over a {@link makeModel} base: the header and the access of project `P0` name `runId`, so a reader can tell
 * a resolved delta version from a mix (see {@link deltaRun}); the snapshot's header names it too.
 */
export function makeVersionDelta(runId: string, baseVersion: number, chain: number[]): VersionDelta {
  const at = chain[chain.length - 1]!;
  return {
    format: 1,
    baseVersion,
    chain,
    snapshot: {
      header: {
        runId,
        startedAt: "2025-01-02T00:00:00.000Z",
        finishedAt: "2025-01-02T00:00:01.000Z",
        site: "acme.atlassian.net",
        statuses: makeStatuses(runId),
        notes: [`event patch: ${runId}`],
      },
      sections: {},
    },
    model: {
      header: {
        builtAt: "2025-01-02T00:00:01.000Z",
        snapshotRunId: runId,
        statuses: [],
        notes: [`event patch: ${runId}`],
      },
      resources: [],
      buckets: [
        {
          product: "jira",
          resourceType: "jira_project",
          resourceId: "P0",
          access: [["acct-0", "ADMINISTER_PROJECTS", [{ kind: "jira.scheme.user", description: `${runId}|delta` }]]],
          dormant: [],
          at,
        },
      ],
      conditional: [],
    },
  };
}

/** The run a delta version's model names, or a description of the mix (header vs the patched bucket). */
export function deltaRun(model: Model): { runId: string; mixed: string | null } {
  const runId = model.snapshotRunId;
  const p0 = model.access.filter((e) => e.resourceId === "P0");
  if (p0.length !== 1) return { runId, mixed: `P0 has ${p0.length} entries` };
  const d = p0[0]!.via[0]!.description;
  return { runId, mixed: d === `${runId}|delta` ? null : `P0: ${d}` };
}
