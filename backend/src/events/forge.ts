/**
 * Forge ingestion: product events the Forge app forwards (→ normalized events), and crawl batches (the Forge app
 * reads Jira or Confluence with its native auth and sends the rows in numbered batches; the backend assembles the
 * section, checks the announced counts, validates it and patches it into the current snapshot).
 *
 * @module
 */
import { ConfluenceSection, JiraSection } from "@accessmap/shared/snapshot/schema";
import { z } from "zod";
import type { EventScope, NormalizedEvent, SectionName } from "./types.js";

/** Entities whose events can change access; other product events (issues, pages, comments …) are ignored. */
const ACCESS_ENTITIES = new Set(["user", "users", "project", "space", "group", "permissions", "role", "scheme"]);

/**
 * The section a Forge product event invalidates, or null when it changes no access. Types look like
 * `avi:jira:updated:project`, `avi:confluence:permissions_updated:space:V2`, `avi:jira:created:user`.
 */
export function sectionOfForgeEvent(eventType: string): SectionName | null {
  const parts = eventType.split(":");
  if (parts[0] !== "avi" || parts.length < 4) return null;
  const product = parts[1];
  if (product !== "jira" && product !== "confluence") return null;
  const verb = parts[2] ?? "";
  const entity = parts[3] ?? "";
  if (!ACCESS_ENTITIES.has(entity) && !verb.startsWith("permissions")) return null;
  return product;
}

export function forgeEventOf(
  tenantId: string,
  e: { eventType: string; payload: Record<string, unknown> },
  receivedAt: number,
): NormalizedEvent | null {
  const section = sectionOfForgeEvent(e.eventType);
  if (!section) return null;
  const p = e.payload;
  const pick = (o: unknown, k: string) =>
    o && typeof o === "object" && typeof (o as Record<string, unknown>)[k] === "string"
      ? ((o as Record<string, unknown>)[k] as string)
      : null;
  const target =
    pick(p.space, "key") ?? pick(p.project, "key") ?? pick(p.user, "accountId") ?? pick(p, "accountId") ?? null;
  return {
    tenantId,
    source: "forge-event",
    kind: e.eventType,
    sections: [section],
    ...scopeOfForgeEvent(e.eventType, section, p, pick),
    target,
    deliveryId: pick(p, "eventId") ?? null,
    receivedAt,
  };
}

/**
 * A project or space event names what to re-read (`project.key`/`id`, `space.key`); user, group, role and scheme
 * events change what many resources resolve to, so they re-read the section.
 */
function scopeOfForgeEvent(
  eventType: string,
  section: SectionName,
  p: Record<string, unknown>,
  pick: (o: unknown, k: string) => string | null,
): { scopes?: EventScope[] } {
  const entity = eventType.split(":")[3] ?? "";
  if (section === "jira" && entity === "project") {
    const ref = pick(p.project, "key") ?? pick(p.project, "id");
    if (ref) return { scopes: [{ section: "jira", kind: "project", ref }] };
  }
  if (section === "confluence" && entity === "space") {
    const ref = pick(p.space, "key");
    if (ref) return { scopes: [{ section: "confluence", kind: "space", ref }] };
  }
  return {};
}

export type CrawlSection = "jira" | "confluence";

export const CRAWL_SCHEMAS: Record<CrawlSection, z.ZodObject> = {
  jira: JiraSection,
  confluence: ConfluenceSection,
};

/** The keys of a section: what batches may carry. */
export function crawlKeys(section: CrawlSection): string[] {
  return Object.keys(CRAWL_SCHEMAS[section].shape);
}

/** The list keys of a section (rows are concatenated across batches and counted); the others are scalars. */
export function crawlListKeys(section: CrawlSection): string[] {
  const shape = CRAWL_SCHEMAS[section].shape as Record<string, z.ZodType>;
  return Object.keys(shape).filter((k) => shape[k] instanceof z.ZodArray);
}

export type Assembled =
  | { ok: true; section: Record<string, unknown>; counts: Record<string, number> }
  | { ok: false; kind: "count_mismatch"; differing: Record<string, { announced: number; received: number }> }
  | { ok: false; kind: "invalid"; issues: Array<{ path: string; message: string }> };

/** Assembles a section from its batches (rows concatenated in seq order), checks counts, validates. */
export function assembleCrawl(
  section: CrawlSection,
  batches: Array<{ seq: number; rows: Record<string, unknown> }>,
  announced: Record<string, number>,
): Assembled {
  const keys = crawlListKeys(section);
  const lists: Record<string, unknown[]> = Object.fromEntries(keys.map((k) => [k, []]));
  const scalars: Record<string, unknown> = {};
  for (const b of [...batches].sort((a, c) => a.seq - c.seq)) {
    for (const [k, rows] of Object.entries(b.rows)) {
      const list = lists[k];
      if (list && Array.isArray(rows)) list.push(...rows);
      else if (!list) scalars[k] = rows; // a scalar (e.g. Confluence `roleMode`): the last batch's value
    }
  }
  const out: Record<string, unknown> = { ...scalars, ...lists };
  const counts = Object.fromEntries(keys.map((k) => [k, lists[k]?.length ?? 0]));
  const differing: Record<string, { announced: number; received: number }> = {};
  for (const k of new Set([...keys, ...Object.keys(announced)])) {
    const a = announced[k] ?? 0;
    const r = counts[k] ?? 0;
    if (a !== r) differing[k] = { announced: a, received: r };
  }
  if (Object.keys(differing).length > 0) return { ok: false, kind: "count_mismatch", differing };
  const parsed = CRAWL_SCHEMAS[section].safeParse(out);
  if (!parsed.success) {
    return {
      ok: false,
      kind: "invalid",
      issues: parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join("."), message: i.message })),
    };
  }
  return { ok: true, section: parsed.data as Record<string, unknown>, counts };
}
