/**
 * Insights of the tenant's current model: inactive billable accounts, exposure, risky grants, … most severe first.
 * Computed once per model version and parameters (and day, since "inactive" depends on today).
 *
 * @module
 */

import { RESOURCE_TYPES } from "@accessmap/shared/model/resource-types";
import { z } from "zod";
import { computeInsights, type Finding, INSIGHT_KINDS, SEVERITIES } from "../../model/insights/index.js";
import type { Router } from "../contract.js";
import type { CachedModel } from "../model-cache.js";
import { PageQuery, pageByOffset, pageOf } from "../pagination.js";
import { ModelRef, TenantIdParam } from "../schemas.js";
import { currentModel, modelRef } from "./model.js";

export const FindingSchema = z.object({
  kind: z.enum(INSIGHT_KINDS),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  count: z.number().int().describe("Evidence rows in full; `evidence` may hold fewer."),
  evidence: z.array(
    z.object({
      accountId: z.string().optional(),
      account: z.string().optional(),
      email: z.string().nullable().optional(),
      product: z.enum(["admin", "jira", "confluence", "bitbucket"]).optional(),
      resourceType: z.enum(RESOURCE_TYPES).optional(),
      resourceId: z.string().optional(),
      resourceName: z.string().optional(),
      permission: z.string().optional(),
      via: z.string().optional(),
      detail: z.string().optional(),
    }),
  ),
  evidenceTruncated: z.boolean(),
  remediation: z.string(),
  metrics: z.record(z.string(), z.number()).optional(),
});

/** The findings of a cached model for these parameters, computed once per version and day. */
export function insightsOf(m: CachedModel, inactiveDays: number, maxEvidence: number, now: Date): Finding[] {
  const key = `insights:${inactiveDays}:${maxEvidence}:${now.toISOString().slice(0, 10)}`;
  let found = m.memo.get(key) as Finding[] | undefined;
  if (!found) {
    found = computeInsights(m.model, { inactiveDays, maxEvidence, now });
    m.memo.set(key, found);
  }
  return found;
}

export function insightRoutes(r: Router): void {
  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/insights",
      operationId: "insights",
      summary: "Findings",
      description: "Every finding the current model supports, most severe first; kinds that find nothing are left out.",
      tags: ["insights"],
      auth: "tenant",
      params: TenantIdParam,
      query: PageQuery.extend({
        inactiveDays: z.coerce.number().int().min(1).max(3650).default(90).describe("Inactive after this many days."),
        maxEvidence: z.coerce.number().int().min(0).max(1000).default(100).describe("Evidence rows per finding."),
      }),
      responses: {
        200: { description: "A page of findings.", schema: pageOf(FindingSchema).extend({ model: ModelRef }) },
      },
      errors: [409],
    },
    async ({ tenant, query, services }) => {
      const m = await currentModel(services, tenant!.id);
      const all = insightsOf(m, query.inactiveDays, query.maxEvidence, services.now());
      const page = pageByOffset(`insights:${query.inactiveDays}:${query.maxEvidence}`, all, query, m.version);
      return { status: 200, body: { model: modelRef(m), ...page } };
    },
  );
}
