/**
 * Guards every pagination driver shares: a cursor must change and an offset must advance, duplicates across pages
 * are dropped and counted, and no loop can run past `maxPages`.
 */
import { PaginationError } from "@accessmap/shared/transport/errors";

export interface PageStats {
  pages: number;
  items: number;
  /** Items dropped because an earlier page already had their key. */
  duplicates: number;
  /** The server's reported total changed during the walk, or it contradicted what was received. */
  inconsistent: boolean;
}

export const DEFAULT_MAX_PAGES = 200_000;

export function newStats(): PageStats {
  return { pages: 0, items: 0, duplicates: 0, inconsistent: false };
}

/** Drops items whose key was seen on an earlier page, counting them. */
export class Deduper<T> {
  private readonly seen = new Set<string>();
  constructor(
    private readonly key: ((item: T) => string) | undefined,
    private readonly stats: PageStats,
  ) {}

  filter(items: T[]): T[] {
    if (!this.key) {
      this.stats.items += items.length;
      return items;
    }
    const out: T[] = [];
    for (const item of items) {
      const k = this.key(item);
      if (this.seen.has(k)) {
        this.stats.duplicates += 1;
        continue;
      }
      this.seen.add(k);
      out.push(item);
    }
    this.stats.items += out.length;
    return out;
  }
}

/** Throws when a continuation token did not change between pages (a server or client bug that would loop). */
export function assertCursorChanged(endpoint: string, previous: string | null, next: string): void {
  if (previous !== null && previous === next) {
    throw new PaginationError(
      endpoint,
      "unchanged-cursor",
      "the next-page token did not change; stopping to avoid an endless loop",
    );
  }
}

/** Throws when the page budget is spent. */
export function assertPageBudget(endpoint: string, pages: number, maxPages: number): void {
  if (pages > maxPages) throw new PaginationError(endpoint, "too-many-pages", `more than ${maxPages} pages; stopping`);
}
