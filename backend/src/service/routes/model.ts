/**
 * Questions answered from the tenant's current model: what one person can access, who can access a resource, why
 * an account holds (or does not hold) a permission, and a text search. Every answer names the model version it
 * was computed from (`model.version`), and all of it comes from that one version: the model cache loads a model
 * and its version in one read. A cursor is bound to its version; once the model moves on, the next page answers
 * 409 `cursor_stale`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { RESOURCE_TYPES } from "@accessmap/shared/model/resource-types";
import { z } from "zod";
import { AccountExport, GroupExport, IdentityExport, ResourceExport } from "../../model/exports/json.js";
import { accessOf, resolvePerson, search, whoCanAccess, why } from "../../model/queries.js";
import type { Router } from "../contract.js";
import { ApiError } from "../errors.js";
import type { CachedModel } from "../model-cache.js";
import { PageQuery, pageByOffset, pageOf } from "../pagination.js";
import { AccessEntry, ModelRef, TenantIdParam } from "../schemas.js";
import type { Services } from "../services.js";

const ResourceTypeSchema = z.enum(RESOURCE_TYPES);

/** The tenant's current model, or 404 `no_model`. */
export async function currentModel(services: Services, tenantId: string): Promise<CachedModel> {
  const m = await services.models.get(tenantId);
  if (!m) throw new ApiError(404, "no_model", "the tenant has no current model yet: request a sync");
  return m;
}

export const modelRef = (m: CachedModel) => ({ version: m.version, runId: m.runId, committedAt: m.committedAt });

const Conditional = z.object({
  projectKey: z.string(),
  permission: z.string(),
  holderType: z.string(),
  parameter: z.string().nullable(),
});

const AccessItem = AccessEntry.extend({
  through: z
    .enum(["direct", "pseudo", "dormant"])
    .describe(
      "direct: held by the account; pseudo: held by a pseudo-principal that includes it; dormant: would be held " +
        "if the account could use the product.",
    ),
});

const AccountAccessAnswer = pageOf(AccessItem).extend({
  model: ModelRef,
  query: z.string(),
  accountId: z.string().nullable(),
  account: AccountExport.nullable(),
  identity: IdentityExport.nullable(),
  ambiguous: z.array(z.string()).describe("When the query matches several accounts: their ids."),
  pseudoPrincipals: z.array(z.string()),
});

const ResourceAccessAnswer = pageOf(AccessEntry.extend({ pseudo: z.boolean() })).extend({
  model: ModelRef,
  resource: ResourceExport.nullable(),
  conditional: z.array(Conditional),
});

const WhyAnswer = z.object({
  model: ModelRef,
  accountId: z.string(),
  account: AccountExport.nullable(),
  resource: ResourceExport.nullable(),
  permission: z.string(),
  granted: z.boolean(),
  direct: AccessEntry.nullable(),
  impliedBy: AccessEntry.nullable(),
  throughPseudo: z.array(AccessEntry),
  dormant: AccessEntry.nullable(),
  conditional: z.array(Conditional),
  explanation: z.array(z.string()),
});

const SearchItem = z.union([
  z.object({ kind: z.literal("account"), account: AccountExport }),
  z.object({ kind: z.literal("group"), group: GroupExport }),
  z.object({ kind: z.literal("resource"), resource: ResourceExport }),
]);
type SearchItem = z.infer<typeof SearchItem>;

const SearchAnswer = pageOf(SearchItem).extend({ model: ModelRef });

/** Binds a search cursor to its text without carrying the text. */
const digest = (q: string) => createHash("sha256").update(q).digest("base64url").slice(0, 12);

/** Search hits kept per kind before paging. */
const SEARCH_CAP = 1000;

export function modelRoutes(r: Router): void {
  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/access/{account}",
      operationId: "accessOfAccount",
      summary: "What one person can access",
      description:
        "By account id, email or login (case-insensitive) or IdP identity id: every effective access entry with " +
        "every path, including those held through pseudo-principals, and dormant grants.",
      tags: ["queries"],
      auth: "tenant",
      params: TenantIdParam.extend({ account: z.string().min(1).max(320) }),
      query: PageQuery,
      responses: { 200: { description: "The account's access.", schema: AccountAccessAnswer } },
      errors: [409],
    },
    async ({ tenant, params, query, services }) => {
      const m = await currentModel(services, tenant!.id);
      const r = accessOf(m.index, params.account);
      if (!r) throw new ApiError(404, "not_found", "no account or identity matches");
      const all = [
        ...r.direct.map((e) => ({ ...e, through: "direct" as const })),
        ...r.throughPseudo.map((e) => ({ ...e, through: "pseudo" as const })),
        ...r.dormant.map((e) => ({ ...e, through: "dormant" as const })),
      ];
      const page = pageByOffset("access", all, query, m.version);
      return {
        status: 200,
        body: {
          model: modelRef(m),
          query: r.query,
          accountId: r.accountId,
          account: r.account,
          identity: r.identity,
          ambiguous: r.ambiguous,
          pseudoPrincipals: r.pseudoPrincipals,
          ...page,
        },
      };
    },
  );

  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/resources/{resourceType}/{resourceId}/access",
      operationId: "whoCanAccess",
      summary: "Who can access a resource",
      description:
        "Accounts (each with every path) and pseudo-principals holding `permission` (or any permission) on the " +
        "resource. Resource ids containing `/` (Bitbucket `workspace/repo`) are sent URL-encoded (`%2F`).",
      tags: ["queries"],
      auth: "tenant",
      params: TenantIdParam.extend({ resourceType: ResourceTypeSchema, resourceId: z.string().min(1).max(500) }),
      query: PageQuery.extend({ permission: z.string().min(1).max(200).optional() }),
      responses: { 200: { description: "Who holds what on the resource.", schema: ResourceAccessAnswer } },
      errors: [409],
    },
    async ({ tenant, params, query, services }) => {
      const m = await currentModel(services, tenant!.id);
      const r = whoCanAccess(m.index, params.resourceType, params.resourceId, query.permission);
      if (!r.resource && r.accounts.length === 0 && r.pseudo.length === 0) {
        throw new ApiError(404, "not_found", "the model has no such resource");
      }
      const all = [
        ...r.accounts.map((e) => ({ ...e, pseudo: false })),
        ...r.pseudo.map((e) => ({ ...e, pseudo: true })),
      ];
      const page = pageByOffset("resource-access", all, query, m.version);
      return {
        status: 200,
        body: { model: modelRef(m), resource: r.resource, conditional: r.conditional, ...page },
      };
    },
  );

  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/why",
      operationId: "why",
      summary: "Why an account holds a permission",
      description: "Every path that grants it, or what stands in the way (dormant grants, pseudo-principals).",
      tags: ["queries"],
      auth: "tenant",
      params: TenantIdParam,
      query: z.object({
        account: z.string().min(1).max(320).describe("Account id, email, login or identity id."),
        resourceType: ResourceTypeSchema,
        resourceId: z.string().min(1).max(500),
        permission: z.string().min(1).max(200),
      }),
      responses: { 200: { description: "The derivation.", schema: WhyAnswer } },
      errors: [409],
    },
    async ({ tenant, query, services }) => {
      const m = await currentModel(services, tenant!.id);
      const who = resolvePerson(m.index, query.account);
      if (!who) throw new ApiError(404, "not_found", "no account or identity matches");
      if (!who.accountId) {
        throw new ApiError(409, "conflict", "the query matches several accounts: use an account id", {
          candidates: who.ambiguous,
        });
      }
      const w = why(m.index, who.accountId, query.resourceType, query.resourceId, query.permission);
      return { status: 200, body: { model: modelRef(m), ...w } };
    },
  );

  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/search",
      operationId: "search",
      summary: "Search accounts, groups and resources",
      description: "Case-insensitive substring match on names, emails and ids; exact matches first within each kind.",
      tags: ["queries"],
      auth: "tenant",
      params: TenantIdParam,
      query: PageQuery.extend({ q: z.string().trim().min(1, "must not be empty").max(200) }),
      responses: { 200: { description: "Matches.", schema: SearchAnswer } },
      errors: [409],
    },
    async ({ tenant, query, services }) => {
      const m = await currentModel(services, tenant!.id);
      const s = search(m.index, query.q, SEARCH_CAP);
      const all: SearchItem[] = [
        ...s.accounts.map((account) => ({ kind: "account" as const, account })),
        ...s.groups.map((group) => ({ kind: "group" as const, group })),
        ...s.resources.map((resource) => ({ kind: "resource" as const, resource })),
      ];
      const page = pageByOffset(`search:${digest(query.q)}`, all, query, m.version);
      return { status: 200, body: { model: modelRef(m), ...page } };
    },
  );
}
