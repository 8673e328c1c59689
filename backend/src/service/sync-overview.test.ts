import type { ProductStatus } from "@accessmap/shared/snapshot/schema";
import { describe, expect, it } from "vitest";
import { estimateProgress } from "./sync-overview.js";

const status = (
  product: ProductStatus["product"],
  calls: number,
  counts: Record<string, number> = {},
): ProductStatus => ({
  product,
  state: "partial",
  reasons: [],
  counts,
  calls,
  startedAt: "2025-01-01T00:00:00.000Z",
  finishedAt: "2025-01-01T00:00:01.000Z",
});

describe("estimateProgress", () => {
  it("weighs each source by its calls against the last run's, a source not started counting zero", () => {
    const previous = [status("admin", 10), status("jira", 40)];
    expect(estimateProgress([status("admin", 5), status("jira", 10)], previous, ["admin", "jira"])).toBe(0.38);
    expect(estimateProgress([status("admin", 10)], previous, ["admin", "jira"])).toBe(0.5);
  });

  it("falls back on the phase's done/total without a previous run, and stays below 1 while running", () => {
    expect(estimateProgress([status("jira", 3, { done: 1, total: 4 })], [], ["jira"])).toBe(0.25);
    expect(estimateProgress([status("admin", 99)], [status("admin", 10)], ["admin"])).toBe(0.99);
  });

  it("is null when nothing can be estimated", () => {
    expect(estimateProgress([status("jira", 3, { done: 7 })], [], ["jira"])).toBeNull();
    expect(estimateProgress([], [], [])).toBeNull();
  });
});
