/**
 * The wire contract between the Forge app and the backend's `/forge/v1` routes (Forge Remote, `invokeRemote`,
 * authenticated by the Forge Invocation Token). The two sides never import each other: they meet here.
 *
 * Crawl: `POST /forge/v1/crawls {section}` → `{runId, section}`; `POST /forge/v1/crawls/{runId}/batches
 * {seq, section, rows}` → `{runId, seq, duplicate}` (a repeated seq is stored once); `POST
 * /forge/v1/crawls/{runId}/complete {counts}` → `{runId, outcome, version, counts}`, 409 when the counts differ.
 * A crawl is read in parts (a directory, then projects or spaces a page at a time), and rows under
 * {@link CRAWL_REPEATABLE_ROWS} may come from more than one part: the backend keeps one row per identity.
 * Events: `POST /forge/v1/events {events: [{eventType, payload, receivedAt}]}` → `{accepted, ignored, crawl?}`; `crawl`
 * names the sections the app should crawl (the backend does not read them itself: `siteAccess: "forge"`).
 */
import { z } from "zod";

export const FORGE_PATHS = {
  crawls: "/forge/v1/crawls",
  batches: (runId: string) => `/forge/v1/crawls/${encodeURIComponent(runId)}/batches`,
  complete: (runId: string) => `/forge/v1/crawls/${encodeURIComponent(runId)}/complete`,
  events: "/forge/v1/events",
} as const;

export const CrawlSectionName = z.enum(["jira", "confluence"]);
export type CrawlSectionName = z.infer<typeof CrawlSectionName>;

export const CrawlRunId = z.string().regex(/^crawl-[0-9a-f-]{36}$/);

export const StartCrawlBody = z.strictObject({ section: CrawlSectionName });
export const StartCrawlResponse = z.object({ runId: CrawlRunId, section: CrawlSectionName });

/**
 * Keys whose rows more than one part of a crawl may send, with the field that identifies a row: a Jira role that
 * several projects have (each project part reads its projects' roles), a Confluence account that several parts name
 * (each part resolves the accounts its own rows name). Every other key's rows come from exactly one part.
 */
export const CRAWL_REPEATABLE_ROWS: Readonly<Record<CrawlSectionName, Readonly<Record<string, string>>>> = {
  jira: { roles: "id" },
  confluence: { users: "accountId" },
};

/**
 * Keeps the first row per identity under the section's {@link CRAWL_REPEATABLE_ROWS} keys (rows in batch order),
 * and returns the counts of the lists it shortened alongside the given ones.
 */
export function dedupeRepeatableRows(
  section: CrawlSectionName,
  rows: Record<string, unknown>,
  counts: Record<string, number>,
): { rows: Record<string, unknown>; counts: Record<string, number> } {
  const out = { ...rows };
  const outCounts = { ...counts };
  for (const [key, field] of Object.entries(CRAWL_REPEATABLE_ROWS[section])) {
    const list = out[key];
    if (!Array.isArray(list)) continue;
    const seen = new Set<unknown>();
    const kept = list.filter((row: unknown) => {
      const id = row !== null && typeof row === "object" ? (row as Record<string, unknown>)[field] : undefined;
      if (id === undefined) return true;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    out[key] = kept;
    outCounts[key] = kept.length;
  }
  return { rows: out, counts: outCounts };
}

/** At most this many events per `/forge/v1/events` call (the route's limit). */
export const MAX_EVENTS_PER_CALL = 500;

export const CrawlBatchBody = z.strictObject({
  seq: z.number().int().min(0).max(1_000_000),
  section: CrawlSectionName,
  rows: z.record(z.string(), z.unknown()),
});
export type CrawlBatchBody = z.infer<typeof CrawlBatchBody>;
export const CrawlBatchResponse = z.object({ runId: z.string(), seq: z.number().int(), duplicate: z.boolean() });

export const CompleteCrawlBody = z.strictObject({ counts: z.record(z.string(), z.number().int().min(0)) });
export const CompleteCrawlResponse = z.object({
  runId: z.string(),
  outcome: z.enum(["committed", "held"]),
  version: z.number().int(),
  counts: z.record(z.string(), z.number().int()),
});

export const ForgeEventsBody = z.strictObject({
  events: z
    .array(
      z.object({
        eventType: z.string().min(1).max(200),
        payload: z.record(z.string(), z.unknown()),
        receivedAt: z.string().min(1).max(64),
      }),
    )
    .min(1)
    .max(MAX_EVENTS_PER_CALL),
});
export type ForgeEventsBody = z.infer<typeof ForgeEventsBody>;
export const ForgeEventsResponse = z.object({
  accepted: z.number().int(),
  ignored: z.number().int(),
  /** For a tenant whose Jira/Confluence the app reads itself: the sections the app should crawl now. */
  crawl: z.array(CrawlSectionName).optional(),
});

/** The backend's error body: `{error: {code, message, details?}}`. */
export const WireError = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
