/**
 * The org audit log (`read:events:admin`): the filtered query `GET /v1/orgs/{orgId}/events` (newest first,
 * `limit` 1–500, default 30), the polling feed `GET /v1/orgs/{orgId}/events-stream` (oldest first by default,
 * `limit` 1–500, default 200, whose cursor can be re-polled at the end for new events), one event by id, and the
 * catalogue of event actions. Every mutation the simulated APIs make appends an event (see `SimState.touch`), so
 * the log reflects writes made through any API.
 */
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { clampPageSize, decodeCursor, encodeCursor } from "../../http/pagination.js";
import type { SimState } from "../../state.js";
import type { AuditEvent } from "../../tenant/model.js";
import { type AdminContext, adminBase, adminError, queryList, urlWith, v1Org } from "./common.js";

/** Display names of the event actions the tenant generator and the simulated APIs record. */
const ACTIONS: Record<string, { displayName: string; groupDisplayName: string }> = {
  user_added_to_group: { displayName: "Added user to group", groupDisplayName: "Group management" },
  user_removed_from_group: { displayName: "Removed user from group", groupDisplayName: "Group management" },
  group_created: { displayName: "Created group", groupDisplayName: "Group management" },
  group_deleted: { displayName: "Deleted group", groupDisplayName: "Group management" },
  user_invited: { displayName: "Invited user", groupDisplayName: "User management" },
  user_suspended: { displayName: "Suspended user access", groupDisplayName: "User management" },
  user_restored: { displayName: "Restored user access", groupDisplayName: "User management" },
  user_removed_from_org: { displayName: "Removed user from organization", groupDisplayName: "User management" },
  user_activated: { displayName: "Activated account", groupDisplayName: "Account management" },
  user_deactivated: { displayName: "Deactivated account", groupDisplayName: "Account management" },
  user_closed: { displayName: "Deleted account", groupDisplayName: "Account management" },
  user_deletion_cancelled: { displayName: "Cancelled account deletion", groupDisplayName: "Account management" },
  user_profile_updated: { displayName: "Updated profile", groupDisplayName: "Account management" },
  user_email_changed: { displayName: "Changed email address", groupDisplayName: "Account management" },
  api_token_revoked: { displayName: "Revoked API token", groupDisplayName: "Account management" },
  user_provisioned: { displayName: "Provisioned user", groupDisplayName: "User provisioning" },
  user_deprovisioned: { displayName: "Deprovisioned user", groupDisplayName: "User provisioning" },
  user_updated: { displayName: "Updated provisioned user", groupDisplayName: "User provisioning" },
  product_access_granted: { displayName: "Granted product access", groupDisplayName: "Product access" },
  org_admin_role_granted: { displayName: "Granted organization admin role", groupDisplayName: "Organization admins" },
  org_admin_role_revoked: { displayName: "Revoked organization admin role", groupDisplayName: "Organization admins" },
  api_key_created: { displayName: "Created API key", groupDisplayName: "API keys" },
  project_role_actor_added: { displayName: "Added project role actor", groupDisplayName: "Jira" },
  project_role_actors_updated: { displayName: "Updated project role actors", groupDisplayName: "Jira" },
  permission_scheme_updated: { displayName: "Updated permission scheme", groupDisplayName: "Jira" },
  space_permission_added: { displayName: "Added space permission", groupDisplayName: "Confluence" },
  repository_permission_updated: { displayName: "Updated repository permission", groupDisplayName: "Bitbucket" },
  branch_restriction_created: { displayName: "Created branch restriction", groupDisplayName: "Bitbucket" },
};

/** The display name of an action: the catalogue's, else the key in words ("space_role_added" → "Space role added"). */
function actionInfo(action: string): { displayName: string; groupDisplayName: string } {
  const known = ACTIONS[action];
  if (known) return known;
  const words = action.replaceAll("_", " ");
  return { displayName: words.charAt(0).toUpperCase() + words.slice(1), groupDisplayName: "Other" };
}

/** The products the events filter names (`product` query enum); admin-only events belong to none of them. */
const PRODUCTS = ["bitbucket", "confluence", "guard_detect", "jira", "loom"] as const;

function eventModel(c: AdminContext, state: SimState, e: AuditEvent, stream: boolean) {
  const actor = state.accountsById.get(e.actorAccountId);
  const t = state.tenant;
  const site = t.sites[0];
  const container =
    e.product === "admin" || !site
      ? [{ id: t.org.id, type: "organizations", attributes: { name: t.org.name } }]
      : e.product === "bitbucket"
        ? [
            {
              id: t.bitbucket.workspace.uuid,
              type: "bitbucket-workspaces",
              attributes: { name: t.bitbucket.workspace.slug },
            },
          ]
        : [{ id: site.cloudId, type: "sites", attributes: { siteHostName: site.host } }];
  return {
    id: e.id,
    type: "events",
    attributes: {
      time: e.time,
      ...(stream ? { processedAt: e.time } : {}),
      action: e.action,
      actor: actor
        ? { id: actor.accountId, name: actor.displayName, email: actor.email }
        : { id: e.actorAccountId, name: e.actorAccountId === "scim" ? "User provisioning" : e.actorAccountId },
      context: e.targets.map((target) => ({
        id: target.id,
        type: target.type,
        ...(target.name ? { attributes: { name: target.name } } : {}),
      })),
      container,
    },
    message: { content: actionInfo(e.action).displayName, format: "simple" },
    links: { self: `${adminBase(c)}/v1/orgs/${t.org.id}/events/${e.id}` },
  };
}

/** Parses `from`/`to` (epoch milliseconds); `false` when malformed. */
function timeRange(c: AdminContext): { from: number; to: number } | false {
  const parse = (raw: string | undefined, def: number) => {
    if (raw === undefined || raw === "") return def;
    const n = Number(raw);
    return Number.isFinite(n) ? n : Number.NaN;
  };
  const from = parse(c.req.query("from"), Number.NEGATIVE_INFINITY);
  const to = parse(c.req.query("to"), Number.POSITIVE_INFINITY);
  return Number.isNaN(from) || Number.isNaN(to) ? false : { from, to };
}

function badTime(c: AdminContext) {
  return adminError(
    c,
    400,
    "ADMIN-400-3",
    "Invalid time date",
    "`from` and `to` are UNIX epoch times in milliseconds.",
  );
}

function badCursor(c: AdminContext) {
  return adminError(c, 400, "ADMIN-400-1", "Invalid page cursor", "The cursor is not valid for this listing.");
}

/**
 * Collects up to `limit` matching events walking the log (oldest-first array, append-only, so indexes are stable)
 * from `start` in direction `step`; returns them and the index to continue from, or null when nothing matches after.
 */
function walk(
  events: readonly AuditEvent[],
  start: number,
  step: 1 | -1,
  limit: number,
  match: (e: AuditEvent) => boolean,
) {
  const out: AuditEvent[] = [];
  let i = step === 1 ? start : start - 1;
  for (; i >= 0 && i < events.length; i += step) {
    const e = events[i];
    if (!e || !match(e)) continue;
    if (out.length === limit) return { page: out, more: true, resume: step === 1 ? i : i + 1 };
    out.push(e);
  }
  return { page: out, more: false, resume: step === 1 ? events.length : 0 };
}

/** Routes of the audit-log endpoints. */
export function eventsRoutes(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  app.get(
    "/admin/v1/orgs/:orgId/events",
    v1Org((c, state) => {
      const range = timeRange(c);
      if (!range) return badTime(c);
      const products = queryList(c, "product");
      if (products?.some((p) => !(PRODUCTS as readonly string[]).includes(p))) {
        return adminError(
          c,
          400,
          "ADMIN-400-19",
          "Invalid request syntax",
          `\`product\` must be one of ${PRODUCTS.join(", ")}.`,
        );
      }
      const limit = clampPageSize(c.req.query("limit"), 30, 500);
      const events = state.tenant.events;
      const rawCursor = c.req.query("cursor");
      const start = rawCursor ? decodeCursor("events", rawCursor) : events.length;
      if (start === null || start > events.length) return badCursor(c);
      const q = c.req.query("q")?.toLowerCase();
      const action = c.req.query("action");
      const actors = queryList(c, "actor");
      const ips = queryList(c, "ip");
      const location = c.req.query("location");
      const match = (e: AuditEvent) => {
        const t = Date.parse(e.time);
        if (t < range.from || t > range.to) return false;
        if (action && e.action !== action) return false;
        if (actors && !actors.includes(e.actorAccountId)) return false;
        if (products && !products.includes(e.product)) return false;
        // The tenant's events carry no location or IP, so those filters match nothing.
        if (ips || location) return false;
        if (q) {
          const actor = state.accountsById.get(e.actorAccountId);
          const hay = [
            e.action,
            e.actorAccountId,
            actor?.displayName,
            actor?.email,
            ...e.targets.flatMap((x) => [x.id, x.name]),
          ];
          if (!hay.some((h) => h?.toLowerCase().includes(q))) return false;
        }
        return true;
      };
      const { page, more, resume } = walk(events, start, -1, limit, match);
      const next = more ? encodeCursor("events", resume) : undefined;
      return c.json({
        data: page.map((e) => eventModel(c, state, e, false)),
        links: { self: c.req.url, ...(next ? { next: urlWith(c, { cursor: next }) } : {}) },
        meta: { page_size: limit, ...(next ? { next } : {}) },
      });
    }),
  );

  // "Can be used when last page is reached to poll for new events. The sort order is maintained in the cursor."
  app.get(
    "/admin/v1/orgs/:orgId/events-stream",
    v1Org((c, state) => {
      const range = timeRange(c);
      if (!range) return badTime(c);
      const limit = clampPageSize(c.req.query("limit"), 200, 500);
      const events = state.tenant.events;
      const rawCursor = c.req.query("cursor");
      let order: "asc" | "desc";
      let start: number;
      if (rawCursor) {
        const asc = decodeCursor("events-stream-asc", rawCursor);
        const desc = asc === null ? decodeCursor("events-stream-desc", rawCursor) : null;
        if ((asc ?? desc) === null || (asc ?? desc ?? 0) > events.length) return badCursor(c);
        order = asc !== null ? "asc" : "desc";
        start = asc ?? desc ?? 0;
      } else {
        const sortOrder = c.req.query("sortOrder") ?? "asc";
        if (sortOrder !== "asc" && sortOrder !== "desc") {
          return adminError(c, 400, "ADMIN-400-19", "Invalid request syntax", "`sortOrder` must be `asc` or `desc`.");
        }
        order = sortOrder;
        start = order === "asc" ? 0 : events.length;
      }
      const match = (e: AuditEvent) => {
        const t = Date.parse(e.time);
        return t >= range.from && t <= range.to;
      };
      const { page, more, resume } = walk(events, start, order === "asc" ? 1 : -1, limit, match);
      const tag = `events-stream-${order}`;
      // Ascending, the cursor past the last event stays valid for polling; descending, the walk simply ends.
      const pollCursor = order === "asc" ? encodeCursor(tag, resume) : more ? encodeCursor(tag, resume) : undefined;
      return c.json({
        data: page.map((e) => eventModel(c, state, e, true)),
        links: { self: c.req.url, ...(more && pollCursor ? { next: urlWith(c, { cursor: pollCursor }) } : {}) },
        meta: { page_size: limit, ...(pollCursor ? { next: pollCursor } : {}) },
      });
    }),
  );

  app.get(
    "/admin/v1/orgs/:orgId/events/:eventId",
    v1Org((c, state) => {
      const id = c.req.param("eventId") ?? "";
      const event = state.tenant.events.find((e) => e.id === id);
      if (!event) return adminError(c, 404, "ADMIN-404-4", "Event not found", `We couldn’t find the event ${id}.`);
      return c.json({ data: eventModel(c, state, event, false) });
    }),
  );

  app.get(
    "/admin/v1/orgs/:orgId/event-actions",
    v1Org((c, state) => {
      const keys = new Set(Object.keys(ACTIONS));
      for (const e of state.tenant.events) keys.add(e.action);
      return c.json({
        data: [...keys].sort().map((id) => ({ id, type: "event-actions", attributes: actionInfo(id) })),
      });
    }),
  );

  return app;
}
