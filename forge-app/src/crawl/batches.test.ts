import { toBatches } from "@accessmap/forge-app/crawl/batches";
import { describe, expect, it } from "vitest";

describe("toBatches", () => {
  const section = {
    users: Array.from({ length: 7 }, (_, i) => ({ accountId: `u${i}` })),
    groups: [{ groupId: "g1" }, { groupId: "g2" }],
    roleMode: "roles",
    empty: [] as unknown[],
  };

  it("splits rows by count, keeps every row once in order, and counts each list", () => {
    const { batches, counts } = toBatches(section, { maxRows: 3, maxBytes: 1e9 });
    expect(batches.map((b) => b.seq)).toEqual([0, 1, 2]);
    expect(counts).toEqual({ users: 7, groups: 2, empty: 0 });
    const users = batches.flatMap((b) => (b.rows.users as unknown[] | undefined) ?? []);
    expect(users).toEqual(section.users);
    expect(batches.every((b) => Object.values(b.rows).flat().length <= 3 + 1)).toBe(true);
    expect(batches.filter((b) => "roleMode" in b.rows)).toHaveLength(1);
  });

  it("is deterministic, whatever the key order", () => {
    const reordered = { roleMode: "roles", empty: [], groups: section.groups, users: section.users };
    expect(toBatches(reordered, { maxRows: 3, maxBytes: 1e9 })).toEqual(
      toBatches(section, { maxRows: 3, maxBytes: 1e9 }),
    );
  });

  it("splits by size", () => {
    const { batches } = toBatches({ users: section.users }, { maxRows: 1000, maxBytes: 60 });
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(JSON.stringify(b.rows).length).toBeLessThan(120);
  });
});
