/**
 * What the pagination guards noticed during a run, per endpoint: repeated entries dropped and listings whose
 * totals changed under them. Kept on the transport so every driver reports without callers wiring it, and read
 * by the discovery run into the source's status.
 */
import type { PageStats } from "@accessmap/shared/pagination/guards";

export interface PagingIssue {
  endpoint: string;
  duplicates: number;
  inconsistent: boolean;
}

export class PagingReport {
  private readonly walks: Array<{ endpoint: string; stats: PageStats }> = [];

  /** Registers a walk's live statistics (they keep changing until the walk ends). */
  track(endpoint: string, stats: PageStats): void {
    this.walks.push({ endpoint, stats });
  }

  /** Endpoints with dropped duplicates or inconsistent totals, aggregated. */
  issues(): PagingIssue[] {
    const by = new Map<string, PagingIssue>();
    for (const { endpoint, stats } of this.walks) {
      if (stats.duplicates === 0 && !stats.inconsistent) continue;
      const issue = by.get(endpoint) ?? { endpoint, duplicates: 0, inconsistent: false };
      issue.duplicates += stats.duplicates;
      issue.inconsistent ||= stats.inconsistent;
      by.set(endpoint, issue);
    }
    return [...by.values()];
  }
}
