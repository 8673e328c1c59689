/**
 * The Admin audit events-stream poller. The org has no webhooks; `GET /v1/orgs/{orgId}/events-stream` is the feed,
 * oldest first, whose cursor can be re-polled at the end for new events (atlassian-api.md §4).
 *
 * - The cursor is persisted per tenant (`admin-events-stream`) with compare-and-set, only after the events it
 *   covers are on the queue: a restart resumes from it, and no event is processed twice by two pollers.
 * - The first poll of a tenant (no cursor) walks to the end and records the cursor without processing: the full
 *   sync covers the past.
 * - Each event is mapped to the section it invalidates (membership, users, product access → Admin; Jira, Confluence,
 *   Bitbucket permission actions → that product). More than `largeChange` events in one poll ask for a full sync
 *   instead (one `full` event).
 * - A full queue leaves the cursor where it was: the next poll sees the same events again.
 *
 * @module
 */

import type { Send, TransportConfig } from "@accessmap/shared/transport/transport";
import { z } from "zod";
import type { Config } from "../config/load.js";
import { buildTransports } from "../discovery/transports.js";
import type { MasterKeyring } from "../security/envelope.js";
import type { Logger } from "../security/logger.js";
import { loadTenantConfig } from "../service/tenant-config.js";
import type { Store } from "../store/store.js";
import type { EventQueue } from "./queue.js";
import type { NormalizedEvent, SectionName } from "./types.js";

export const ADMIN_EVENTS_CURSOR = "admin-events-stream";

const StreamPage = z.object({
  data: z.array(
    z.looseObject({
      id: z.string(),
      attributes: z.looseObject({
        action: z.string(),
        context: z.array(z.looseObject({ id: z.string().optional(), type: z.string().optional() })).optional(),
      }),
    }),
  ),
  links: z.looseObject({ next: z.string().optional() }).optional(),
  meta: z.looseObject({ next: z.string().optional() }).optional(),
});

/** The section an Admin audit action invalidates, or null when it changes no access. */
export function sectionOfAdminAction(action: string): SectionName | null {
  if (/^bitbucket_|^repository_|^branch_restriction/.test(action)) return "bitbucket";
  if (/^space_|^confluence_/.test(action)) return "confluence";
  if (/^project_role|^permission_scheme|^jira_/.test(action)) return "jira";
  if (/^user_(provisioned|deprovisioned|updated)$/.test(action)) return "admin";
  if (/^(user_|group_|product_access|org_admin)/.test(action)) return "admin";
  return null;
}

export interface AdminEventsPollerDeps {
  store: Store;
  keyring: MasterKeyring;
  send: Send;
  events: EventQueue;
  logger: Logger;
  /** Events in one poll above which a full sync is asked for instead. Default 200. */
  largeChange?: number;
  /** Page size (≤ 500). Default 200. */
  limit?: number;
  retry?: TransportConfig["retry"];
  configFor?: (tenantId: string) => Promise<Config | null>;
  now?: () => number;
}

export interface PollResult {
  tenantId: string;
  /** Events read from the stream in this poll. */
  read: number;
  /** Events put on the queue (a large change counts as one). */
  queued: number;
  /** `baseline`: first poll, cursor recorded; `queue-full`: cursor not advanced; `lost-race`: another poller moved it. */
  state: "ok" | "baseline" | "queue-full" | "lost-race" | "not-configured";
  cursor: string | null;
}

export class AdminEventsPoller {
  readonly #d: AdminEventsPollerDeps;

  constructor(deps: AdminEventsPollerDeps) {
    this.#d = deps;
  }

  async poll(tenantId: string): Promise<PollResult> {
    const d = this.#d;
    let config: Config | null;
    if (d.configFor) config = await d.configFor(tenantId);
    else {
      const tenant = await d.store.getTenant(tenantId);
      config = tenant ? await loadTenantConfig(d.store, d.keyring, tenant) : null;
    }
    const base = { tenantId, read: 0, queued: 0 };
    if (!config?.adminApiKey || !config.orgId) return { ...base, state: "not-configured", cursor: null };
    const transport = buildTransports(
      { ...config, products: [], bitbucket: null, lifecycle: { ...config.lifecycle, scimUrl: null } },
      { send: d.send, schemaMode: "warn", retry: d.retry },
    ).transports.admin;
    if (!transport) return { ...base, state: "not-configured", cursor: null };
    const stored = await d.store.getCursor(tenantId, ADMIN_EVENTS_CURSOR);
    const start = stored?.value ?? null;
    let cursor = start;
    const seen: Array<{ id: string; action: string; target: string | null }> = [];
    for (let page = 0; page < 1000; page++) {
      const { data } = await transport.request({
        path: `/v1/orgs/${encodeURIComponent(config.orgId)}/events-stream`,
        query: { limit: d.limit ?? 200, ...(cursor ? { cursor } : { sortOrder: "asc" }) },
        schema: StreamPage,
        endpoint: "GET /v1/orgs/{orgId}/events-stream",
      });
      for (const e of data.data) {
        const ctx = e.attributes.context ?? [];
        const target = ctx.find((c) => c.type === "user")?.id ?? ctx[0]?.id ?? null;
        seen.push({ id: e.id, action: e.attributes.action, target });
      }
      const next = data.meta?.next ?? null;
      if (next) cursor = next;
      if (!data.links?.next || data.data.length === 0) break;
    }
    if (cursor === null) return { ...base, read: seen.length, state: "ok", cursor: null };
    if (start === null) {
      const ok = await d.store.setCursor(tenantId, ADMIN_EVENTS_CURSOR, cursor, { expected: null });
      return { ...base, read: seen.length, state: ok ? "baseline" : "lost-race", cursor };
    }
    const now = (d.now ?? Date.now)();
    const relevant = seen
      .map((e) => ({ ...e, section: sectionOfAdminAction(e.action) }))
      .filter((e): e is typeof e & { section: SectionName } => e.section !== null);
    const events: NormalizedEvent[] =
      relevant.length > (d.largeChange ?? 200)
        ? [
            {
              tenantId,
              source: "admin-events",
              kind: `admin:large-change(${relevant.length})`,
              sections: "full",
              target: null,
              deliveryId: null,
              receivedAt: now,
            },
          ]
        : relevant.map((e) => ({
            tenantId,
            source: "admin-events",
            kind: `admin:${e.action}`,
            sections: [e.section],
            target: e.target,
            deliveryId: e.id,
            receivedAt: now,
          }));
    const place = events.length > 0 ? d.events.reserve(events.length) : null;
    if (events.length > 0 && !place) return { ...base, read: seen.length, state: "queue-full", cursor: start };
    // The cursor moves first (compare-and-set): a poller that lost the race queues nothing.
    if (cursor !== start) {
      const ok = await d.store.setCursor(tenantId, ADMIN_EVENTS_CURSOR, cursor, { expected: start });
      if (!ok) {
        place?.release();
        return { ...base, read: seen.length, state: "lost-race", cursor: start };
      }
    }
    for (const e of events) place?.offer(e);
    d.logger.debug("admin events polled", { tenantId, read: seen.length, queued: events.length });
    return { ...base, read: seen.length, queued: events.length, state: "ok", cursor };
  }
}
