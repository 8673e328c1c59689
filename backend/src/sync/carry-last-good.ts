/**
 * Keeps the last good data of a source that failed in this run (reliability case D2/D3): its section is taken from
 * the previous snapshot and its status says so, so a failed read never empties what was known.
 *
 * Also carries the sections the Forge app reads (`siteAccess: "forge"`): a full sync never reads Jira or Confluence
 * then, so their sections and statuses come from the current snapshot, where the app's last crawl put them (with
 * the crawl's times: a section counts as read when its crawl was patched in).
 */
import type { ProductStatus, Snapshot } from "@accessmap/shared/snapshot/schema";

const SECTIONS = ["admin", "scim", "jira", "confluence", "bitbucket"] as const;

/** The start of the reason a section read by the Forge app carries after a full sync. */
export const FORGE_CARRY_REASON = "read by the Forge app, not by this sync";

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

const bySectionOrder = (a: ProductStatus, b: ProductStatus) =>
  SECTIONS.indexOf(a.product) - SECTIONS.indexOf(b.product);

/**
 * The new snapshot with the Forge-read `sections` taken from `previous` (their crawl's status kept, with a reason
 * saying so), or marked `skipped` when no crawl has delivered them yet. `carried` names the sections taken over.
 */
export function carryForgeSections(
  next: Snapshot,
  previous: Snapshot | null,
  sections: ReadonlyArray<"jira" | "confluence">,
  at: string,
): { snapshot: Snapshot; carried: string[] } {
  const out: Snapshot = { ...next, statuses: next.statuses.filter((s) => !sections.includes(s.product as "jira")) };
  const carried: string[] = [];
  for (const source of sections) {
    const section = previous?.[source] ?? null;
    const before = previous?.statuses.find((s) => s.product === source);
    if (section !== null && before) {
      (out as Record<string, unknown>)[source] = section;
      const reasons = before.reasons.filter((r) => !r.startsWith(FORGE_CARRY_REASON));
      out.statuses.push({
        ...before,
        reasons: [...reasons, `${FORGE_CARRY_REASON}: the app's last crawl (${before.finishedAt}) is kept`],
        calls: 0,
      });
      carried.push(source);
    } else {
      (out as Record<string, unknown>)[source] = null;
      out.statuses.push({
        product: source,
        state: "skipped",
        reasons: [`${FORGE_CARRY_REASON}: no crawl has delivered it yet (the app crawls after install and daily)`],
        counts: {},
        calls: 0,
        startedAt: at,
        finishedAt: at,
      });
    }
  }
  out.statuses.sort(bySectionOrder);
  return { snapshot: out, carried };
}
