/** Unit tests of partition changes: in-place replacement, cumulative deltas, and what counts as the identity side. */
import { describe, expect, it } from "vitest";
import {
  applySnapshotChange,
  applySnapshotDelta,
  diffSection,
  mergeSnapshotDelta,
  putPartition,
  type SectionChange,
} from "./snapshot-delta.js";
import { bbMember, bbRepo, bitbucket, snapshot } from "./testing.js";

const grant = (repoSlug: string, principalId: string, permission = "read") => ({
  repoSlug,
  principalType: "user" as const,
  principalId,
  permission,
  source: "explicit" as const,
});

const base = snapshot({
  bitbucket: bitbucket({
    members: [bbMember("a"), bbMember("b")],
    repositories: [bbRepo("r1", null), bbRepo("r2", null), bbRepo("r3", null)],
    repositoryPermissions: [grant("r1", "a"), grant("r2", "a"), grant("r2", "b"), grant("r3", "b")],
  }),
});
const header = (runId: string) => ({ ...base, runId, notes: [runId] });

describe("partition changes", () => {
  it("replace a partition's rows where they were, drop an emptied one, append a new one", () => {
    const change: SectionChange = { lists: {} };
    putPartition(change, "repositoryPermissions", "r2", [grant("r2", "b", "admin")]);
    putPartition(change, "repositoryPermissions", "r3", []);
    putPartition(change, "repositoryPermissions", "r9", [grant("r9", "a")]);
    putPartition(change, "repositoryPermissions", "r2", [grant("r2", "a", "write")]); // replaces the first put
    const next = applySnapshotChange(base, { bitbucket: change });
    expect(next.bitbucket!.repositoryPermissions).toEqual([
      grant("r1", "a"),
      grant("r2", "a", "write"),
      grant("r9", "a"),
    ]);
    // The rest of the section, and the base, are untouched.
    expect(next.bitbucket!.repositories).toBe(base.bitbucket!.repositories);
    expect(base.bitbucket!.repositoryPermissions).toHaveLength(4);
    expect(() => applySnapshotChange(base, { jira: { lists: {} } })).toThrow(/jira section is empty/);
    expect(() => applySnapshotChange(base, { bitbucket: { lists: { members: [["a", []]] } } })).toThrow(
      /not a partitioned list/,
    );
  });

  it("a whole section read again is a partition change unless its identity side differs", () => {
    const next = structuredClone(base.bitbucket!);
    next.repositoryPermissions = next.repositoryPermissions.filter((g) => g.repoSlug !== "r1");
    next.repositories.push(bbRepo("r4", null));
    expect(diffSection("bitbucket", base.bitbucket, next)).toEqual({
      lists: { repositories: [["r4", [bbRepo("r4", null)]]], repositoryPermissions: [["r1", []]] },
      scalars: {},
    });
    expect(diffSection("bitbucket", base.bitbucket, structuredClone(base.bitbucket))).toEqual({
      lists: {},
      scalars: {},
    });
    expect(diffSection("bitbucket", base.bitbucket, { ...next, members: [bbMember("a")] })).toBeNull();
    expect(diffSection("bitbucket", base.bitbucket, { ...next, permissionMode: "fallback" })).toBeNull();
    expect(diffSection("bitbucket", null, next)).toBeNull();
  });

  it("a cumulative delta rebuilds each version from the base, or from an earlier version with the newer parts", () => {
    const c2: SectionChange = { lists: { repositoryPermissions: [["r1", [grant("r1", "b")]]] } };
    const c3: SectionChange = { lists: { repositoryPermissions: [["r3", []]], repositories: [["r3", []]] } };
    const c4: SectionChange = { lists: { repositoryPermissions: [["r1", []]] } };
    const s2 = applySnapshotChange(base, { bitbucket: c2 }, header("v2"));
    const s3 = applySnapshotChange(s2, { bitbucket: c3 }, header("v3"));
    const s4 = applySnapshotChange(s3, { bitbucket: c4 }, header("v4"));
    let d = mergeSnapshotDelta(null, { bitbucket: c2 }, header("v2"), 2);
    d = mergeSnapshotDelta(d, { bitbucket: c3 }, header("v3"), 3);
    expect(applySnapshotDelta(base, d)).toEqual(s3);
    d = mergeSnapshotDelta(d, { bitbucket: c4 }, header("v4"), 4);
    expect(applySnapshotDelta(base, d)).toEqual(s4);
    expect(applySnapshotDelta(s2, d, 2)).toEqual(s4);
    // r1's partition is stored once, stamped by its last change.
    expect(d.sections.bitbucket!.lists.repositoryPermissions!.map((p) => [p.key, p.at])).toEqual([
      ["r1", 4],
      ["r3", 3],
    ]);
  });
});
