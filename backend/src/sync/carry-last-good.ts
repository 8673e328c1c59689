/**
 * Keeps the last good data of a source that failed in this run (reliability case D2/D3): its section is taken from
 * the previous snapshot and its status says so, so a failed read never empties what was known.
 */
import type { Snapshot } from "@accessmap/shared/snapshot/schema";

const SECTIONS = ["admin", "scim", "jira", "confluence", "bitbucket"] as const;

/** The new snapshot with each failed source's section carried over from `previous` (when it had one). */
export function carryLastGood(next: Snapshot, previous: Snapshot | null): { snapshot: Snapshot; carried: string[] } {
  if (!previous) return { snapshot: next, carried: [] };
  const out: Snapshot = { ...next, statuses: next.statuses.map((s) => ({ ...s, reasons: [...s.reasons] })) };
  const carried: string[] = [];
  for (const source of SECTIONS) {
    const status = out.statuses.find((s) => s.product === source);
    if (status?.state !== "failed" || next[source] !== null || previous[source] === null) continue;
    (out as Record<string, unknown>)[source] = previous[source];
    status.reasons.push(
      `the last good data (run ${previous.runId}, ${previous.finishedAt}) is kept until a run succeeds`,
    );
    carried.push(source);
  }
  return { snapshot: out, carried };
}
