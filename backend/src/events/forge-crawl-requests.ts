/**
 * Product events for a tenant whose Jira and Confluence are read by the Forge app (`siteAccess: "forge"`): the
 * backend holds no credential to re-read them, so the answer to the forwarded events asks the app to crawl the
 * sections they touch. At most one request per section per {@link CRAWL_REQUEST_DEBOUNCE_MS}: a burst of events
 * (a bulk permission change) becomes one crawl, and what a crawl already under way misses, the next event after the
 * window or the scheduled crawl picks up (the crawl, like the full sync, is the reconciler).
 *
 * The last request time per section is a cursor (`forge-crawl-request:<section>`), set with compare-and-set so two
 * replicas answering events at once ask for one crawl between them.
 *
 * @module
 */
import type { Store } from "../store/store.js";
import type { SectionName } from "./types.js";

export const CRAWL_REQUEST_DEBOUNCE_MS = 10 * 60_000;

const cursorName = (section: string) => `forge-crawl-request:${section}`;

/** The sections (of `jira`, `confluence`) the app should crawl now for events touching `sections`. */
export async function crawlRequestsFor(
  store: Store,
  tenantId: string,
  sections: Iterable<SectionName | "full">,
  now: Date,
  debounceMs = CRAWL_REQUEST_DEBOUNCE_MS,
): Promise<Array<"jira" | "confluence">> {
  const out: Array<"jira" | "confluence"> = [];
  for (const section of new Set(sections)) {
    if (section !== "jira" && section !== "confluence") continue;
    const last = await store.getCursor(tenantId, cursorName(section));
    const lastAt = last ? Date.parse(last.value) : Number.NaN;
    if (!Number.isNaN(lastAt) && now.getTime() - lastAt < debounceMs) continue;
    const won = await store.setCursor(tenantId, cursorName(section), now.toISOString(), {
      expected: last?.value ?? null,
    });
    if (won) out.push(section);
  }
  return out;
}
