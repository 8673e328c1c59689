/** Unit tests of model deltas: bucket ranges replaced in model order, lazily built lists, cumulative merges. */
import { describe, expect, it } from "vitest";
import {
  applyModelDelta,
  applyModelDeltaLazily,
  type BucketDelta,
  type ModelDelta,
  mergeModelDelta,
} from "./model-delta.js";
import type { AccessEntry, Model } from "./types.js";

const e = (resourceId: string, principal: string, permission = "read"): AccessEntry => ({
  principal,
  product: "bitbucket",
  resourceType: "bitbucket_repo",
  resourceId,
  permission,
  via: [{ kind: "k", description: `${resourceId}/${principal}` }],
});

const base: Model = {
  version: 1,
  builtAt: "t0",
  snapshotRunId: "r0",
  org: null,
  site: null,
  accounts: [],
  identities: [],
  groups: [],
  resources: [],
  access: [e("ws/a", "p1"), e("ws/a", "p2"), e("ws/b", "p1"), e("ws/d", "p3")],
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

const bucket = (resourceId: string, principals: string[], at: number): BucketDelta => ({
  product: "bitbucket",
  resourceType: "bitbucket_repo",
  resourceId,
  access: principals.map((p) => [p, "read", [{ kind: "k", description: `${resourceId}/${p}` }]]),
  dormant: [],
  at,
});

const delta = (buckets: BucketDelta[], runId: string): ModelDelta => ({
  header: { builtAt: runId, snapshotRunId: runId, statuses: [], notes: [runId] },
  resources: [],
  buckets,
  conditional: [],
});

describe("model deltas", () => {
  it("replace each bucket's range, remove an emptied one and insert a new one in model order", () => {
    const d = delta([bucket("ws/b", ["p2", "p4"], 2), bucket("ws/a", [], 2), bucket("ws/c", ["p1"], 2)], "r2");
    const m = applyModelDelta(base, d);
    expect(m.access.map((x) => `${x.resourceId}:${x.principal}`)).toEqual(["ws/b:p2", "ws/b:p4", "ws/c:p1", "ws/d:p3"]);
    expect(m).toMatchObject({ snapshotRunId: "r2", notes: ["r2"] });
    expect(base.access).toHaveLength(4);
  });

  it("builds the entry lists lazily, once, with the same result", () => {
    const d = delta([bucket("ws/d", ["p9"], 2)], "r2");
    const lazy = applyModelDeltaLazily(base, d);
    expect(lazy.snapshotRunId).toBe("r2");
    const first = lazy.access;
    expect(lazy.access).toBe(first);
    expect(lazy).toEqual(applyModelDelta(base, d));
  });

  it("merges cumulatively: a bucket changed twice is kept once, with the later stamp", () => {
    const d = mergeModelDelta(
      delta([bucket("ws/a", ["p1"], 2)], "r2"),
      delta([bucket("ws/a", ["p2"], 3), bucket("ws/b", [], 3)], "r3"),
    );
    expect(d.buckets.map((b) => [b.resourceId, b.at])).toEqual([
      ["ws/a", 3],
      ["ws/b", 3],
    ]);
    expect(applyModelDelta(base, d, 2).access.map((x) => `${x.resourceId}:${x.principal}`)).toEqual([
      "ws/a:p2",
      "ws/d:p3",
    ]);
  });
});
