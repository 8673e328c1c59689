/**
 * The tenant's audit log, newest first: every write through the API (tenant changes, API keys, sync requests,
 * snapshot decisions) and every sync, with who did it. Never secrets or bodies.
 *
 * @module
 */
import { z } from "zod";
import type { Router } from "../contract.js";
import { ApiError } from "../errors.js";
import { decodeCursor, encodeCursor, PageQuery, pageOf } from "../pagination.js";
import { TenantIdParam } from "../schemas.js";

const AuditEntryView = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  result: z.string(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

export function auditRoutes(r: Router): void {
  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/audit",
      operationId: "listAudit",
      summary: "Audit log",
      tags: ["audit"],
      auth: "tenant",
      params: TenantIdParam,
      query: PageQuery.extend({
        action: z.string().min(1).max(100).optional().describe("Only this action, e.g. `sync.request`."),
        actor: z.string().min(1).max(200).optional().describe("Only this actor, e.g. `operator`."),
      }),
      responses: { 200: { description: "A page of entries, newest first.", schema: pageOf(AuditEntryView) } },
    },
    async ({ tenant, query, services }) => {
      const pos = decodeCursor("audit", query.cursor, { s: z.string() });
      let page: Awaited<ReturnType<typeof services.store.listAudit>>;
      try {
        page = await services.store.listAudit(tenant!.id, {
          limit: query.limit,
          cursor: pos?.s ?? null,
          ...(query.action ? { action: query.action } : {}),
          ...(query.actor ? { actor: query.actor } : {}),
        });
      } catch (err) {
        if (pos && err instanceof RangeError)
          throw new ApiError(400, "invalid_cursor", "query.cursor: not a cursor of this list");
        throw err;
      }
      return {
        status: 200,
        body: {
          items: page.entries.map(({ tenantId: _t, ...e }) => e),
          next: page.next === null ? null : encodeCursor("audit", { s: page.next }),
        },
      };
    },
  );
}
