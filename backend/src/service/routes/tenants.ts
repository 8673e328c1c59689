/**
 * Tenants and their API keys. Creating, changing and deleting tenants and minting or revoking keys is the
 * operator's; a tenant key may read its own tenant. Secrets are write-only: stored sealed, answered as names in
 * `secretsSet`. A new API key is in the answer to its creation and nowhere else, ever.
 *
 * @module
 */
import { z } from "zod";
import { mintApiKey } from "../auth.js";
import type { Router } from "../contract.js";
import { ApiError, notFound } from "../errors.js";
import { PageQuery, pageByKey, pageOf } from "../pagination.js";
import { TenantIdParam } from "../schemas.js";
import {
  CreateTenantBody,
  createTenant,
  PatchTenantBody,
  patchedFields,
  patchTenant,
  TenantView,
  tenantView,
} from "../tenants.js";

const ApiKeyView = z.object({
  id: z.string(),
  label: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});

const NewApiKey = z.object({
  id: z.string(),
  label: z.string(),
  createdAt: z.string(),
  key: z.string().describe("The API key. Shown once: store it now, it cannot be read again."),
});

const tenantKey = (t: { createdAt: string; id: string }) => `${t.createdAt}\u0000${t.id}`;

export function tenantRoutes(r: Router): void {
  r.route(
    {
      method: "post",
      path: "/v1/tenants",
      operationId: "createTenant",
      summary: "Create a tenant",
      description:
        "The body is the connection configuration (the fields of an accessmap configuration file) plus `schedule` " +
        "and the Forge binding. Secrets (adminApiKey, productToken, bitbucketOAuthSecret, lifecycle.scimToken) are " +
        "sealed with the tenant's envelope key and never returned.",
      tags: ["tenants"],
      auth: "operator",
      body: CreateTenantBody,
      responses: { 201: { description: "Created.", schema: TenantView } },
      errors: [409],
    },
    async ({ body, services, actor, c }) => {
      const tenant = await createTenant(services.store, services.keyring, body as Record<string, unknown>);
      if (tenant.config.forgeInstallationId !== undefined) services.forgeIndex.invalidate();
      await services.store.appendAudit({
        tenantId: tenant.id,
        actor,
        action: "tenant.create",
        target: `tenant:${tenant.id}`,
        result: "ok",
        requestId: c.get("requestId"),
        details: { fields: Object.keys(body as object).sort() },
      });
      return { status: 201, body: tenantView(tenant), headers: { location: `/v1/tenants/${tenant.id}` } };
    },
  );

  r.route(
    {
      method: "get",
      path: "/v1/tenants",
      operationId: "listTenants",
      summary: "List tenants",
      description: "The operator sees every tenant; a tenant API key sees its own.",
      tags: ["tenants"],
      auth: "any",
      query: PageQuery,
      responses: { 200: { description: "A page of tenants.", schema: pageOf(TenantView) } },
    },
    async ({ query, principal, services }) => {
      const all = await services.store.listTenants();
      const visible =
        principal?.kind === "operator"
          ? all
          : all.filter((t) => principal && "tenantId" in principal && t.id === principal.tenantId);
      const page = pageByKey("tenants", visible, tenantKey, query);
      return { status: 200, body: { items: page.items.map(tenantView), next: page.next } };
    },
  );

  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}",
      operationId: "getTenant",
      summary: "Get a tenant",
      tags: ["tenants"],
      auth: "tenant",
      params: TenantIdParam,
      responses: { 200: { description: "The tenant (secrets as names only).", schema: TenantView } },
    },
    ({ tenant }) => ({ status: 200, body: tenantView(tenant!) }),
  );

  r.route(
    {
      method: "patch",
      path: "/v1/tenants/{tenantId}",
      operationId: "updateTenant",
      summary: "Change a tenant",
      description:
        "A JSON merge patch over the tenant's configuration: fields given replace, `null` removes an optional " +
        "field (a secret, the schedule, the Forge binding), `lifecycle` merges field by field. The result is " +
        "checked as a whole.",
      tags: ["tenants"],
      auth: "operator",
      params: TenantIdParam,
      body: PatchTenantBody,
      responses: { 200: { description: "The changed tenant.", schema: TenantView } },
      errors: [409],
    },
    async ({ tenant, body, services, actor, c }) => {
      const updated = await patchTenant(services.store, services.keyring, tenant!, body);
      if ("forgeInstallationId" in body || "forgeCloudId" in body) services.forgeIndex.invalidate();
      await services.store.appendAudit({
        tenantId: updated.id,
        actor,
        action: "tenant.update",
        target: `tenant:${updated.id}`,
        result: "ok",
        requestId: c.get("requestId"),
        details: { fields: patchedFields(body) },
      });
      return { status: 200, body: tenantView(updated) };
    },
  );

  r.route(
    {
      method: "delete",
      path: "/v1/tenants/{tenantId}",
      operationId: "deleteTenant",
      summary: "Delete a tenant",
      description: "Deletes the tenant, its snapshots, jobs and API keys. Its audit log is kept.",
      tags: ["tenants"],
      auth: "operator",
      params: TenantIdParam,
      responses: { 204: { description: "Deleted." } },
    },
    async ({ tenant, services, actor, c }) => {
      const t = tenant!;
      if (!(await services.store.deleteTenant(t.id))) throw notFound("tenant");
      services.models.invalidate(t.id);
      services.forgeIndex.invalidate();
      await services.store.appendAudit({
        tenantId: t.id,
        actor,
        action: "tenant.delete",
        target: `tenant:${t.id}`,
        result: "ok",
        requestId: c.get("requestId"),
      });
      return { status: 204, body: null };
    },
  );

  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/api-keys",
      operationId: "listApiKeys",
      summary: "List a tenant's API keys",
      description: "Ids and labels only; keys themselves are never stored.",
      tags: ["api-keys"],
      auth: "operator",
      params: TenantIdParam,
      query: PageQuery,
      responses: { 200: { description: "A page of keys.", schema: pageOf(ApiKeyView) } },
    },
    async ({ tenant, query, services }) => {
      const keys = await services.store.listApiKeys(tenant!.id);
      const page = pageByKey("api-keys", keys, (k) => `${k.createdAt}\u0000${k.id}`, query);
      return {
        status: 200,
        body: {
          items: page.items.map((k) => ({ id: k.id, label: k.label, createdAt: k.createdAt, revokedAt: k.revokedAt })),
          next: page.next,
        },
      };
    },
  );

  r.route(
    {
      method: "post",
      path: "/v1/tenants/{tenantId}/api-keys",
      operationId: "createApiKey",
      summary: "Mint an API key for a tenant",
      description: "The key is in this answer only. It grants access to this tenant's routes and no other's.",
      tags: ["api-keys"],
      auth: "operator",
      params: TenantIdParam,
      body: z.strictObject({ label: z.string().trim().min(1).max(100).default("api") }),
      bodyOptional: true,
      responses: { 201: { description: "The new key (shown once).", schema: NewApiKey } },
    },
    async ({ tenant, body, services, actor, c }) => {
      const { key, record } = await mintApiKey(services.store, tenant!.id, body.label);
      await services.store.appendAudit({
        tenantId: tenant!.id,
        actor,
        action: "apikey.create",
        target: `apikey:${record.id}`,
        result: "ok",
        requestId: c.get("requestId"),
        details: { label: record.label },
      });
      c.header("cache-control", "no-store");
      return {
        status: 201,
        body: { id: record.id, label: record.label, createdAt: record.createdAt, key: key.reveal() },
      };
    },
  );

  r.route(
    {
      method: "delete",
      path: "/v1/tenants/{tenantId}/api-keys/{keyId}",
      operationId: "revokeApiKey",
      summary: "Revoke an API key",
      tags: ["api-keys"],
      auth: "operator",
      params: TenantIdParam.extend({ keyId: z.string().regex(/^[0-9a-f]{16}$/, "must be a key id") }),
      responses: { 204: { description: "Revoked." } },
    },
    async ({ tenant, params, services, actor, c }) => {
      if (!(await services.store.revokeApiKey(tenant!.id, params.keyId))) {
        throw new ApiError(404, "not_found", "API key not found (or already revoked)");
      }
      await services.store.appendAudit({
        tenantId: tenant!.id,
        actor,
        action: "apikey.revoke",
        target: `apikey:${params.keyId}`,
        result: "ok",
        requestId: c.get("requestId"),
      });
      return { status: 204, body: null };
    },
  );
}
