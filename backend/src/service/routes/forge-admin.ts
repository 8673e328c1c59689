/**
 * The Forge admin page's backend leg (`FORGE_ADMIN_PATHS` in `shared/src/wire/admin.ts`): the resolver calls these
 * with a Forge Invocation Token and they act for the tenant bound to the token's installation (an unbound
 * installation gets 403), answering the same schemas the page renders. Writes are audited with the actor
 * `forge:<installationId>`, followed by `:<accountId>` when the token names the admin in session.
 *
 * - settings (GET/PUT; 422 names every bad field by its form name), the connection test, the sync overview;
 * - the access explorer (people, one person's access, resources, who can access one) and insights, from the cached
 *   current model (404 `no_model` before the first sync);
 * - lifecycle plan (a dry run) and apply, sharing the plan store and engine calls of `routes/lifecycle.ts`;
 * - installation registration and uninstall (`forgeInstall`: the installation need not be bound yet).
 *
 * @module
 */
import {
  AdminSettings,
  ApplyLifecycle,
  ApplyOutcome,
  ConnectionTest,
  InsightDetail,
  InsightsOverview,
  InstallationRegistered,
  LifecycleForm,
  PeopleAnswer,
  PersonAccess,
  PlanPreview,
  RegisterInstallation,
  ResourceAccess,
  ResourceKind,
  ResourcesAnswer,
  SaveSettings,
  SyncOverview,
} from "@accessmap/shared/wire/admin";
import { z } from "zod";
import { ConfigError } from "../../config/load.js";
import type { AttributeValues, LocatedRequest, Plan } from "../../lifecycle/types.js";
import { type Finding, INSIGHT_KINDS, type InsightKind } from "../../model/insights/index.js";
import { personAccess, resourceAccess, searchPeople, searchResources } from "../access-explorer.js";
import { adminSettingsOf, saveSettings } from "../admin-settings.js";
import { testConnection } from "../connection-test.js";
import type { HandlerInput, Router } from "../contract.js";
import { ApiError, notFound } from "../errors.js";
import { registerInstallation, uninstallInstallation } from "../installations.js";
import { syncOverview } from "../sync-overview.js";
import { loadTenantConfig } from "../tenant-config.js";
import { insightsOf } from "./insights.js";
import { applyKeptPlan, makePlan, planDeletes } from "./lifecycle.js";
import { currentModel } from "./model.js";

/** Inactive after this many days, for the licence savings and the inactive-accounts finding. */
export const INACTIVE_DAYS = 90;
/** Rows of one insight answered at most. */
export const INSIGHT_ROWS_CAP = 200;

type Input = HandlerInput<unknown, unknown, unknown>;

/** The admin in session (the FIT's `principal` claim), when the token names one. */
function sessionAccount(input: Pick<Input, "principal">): string | null {
  const p = input.principal;
  return p && (p.kind === "forge" || p.kind === "forgeInstall") ? p.invocation.principal : null;
}

function installationOf(input: Pick<Input, "principal">): { installationId: string; cloudId: string | null } {
  const p = input.principal;
  if (!p || (p.kind !== "forge" && p.kind !== "forgeInstall"))
    throw new Error("a Forge route without a Forge principal");
  return { installationId: p.installationId, cloudId: p.invocation.cloudId };
}

// ---------------------------------------------------------------- insights

/** The admin page knows four severities; the model's `info` shows as `low`. */
const severity = (f: Finding): "low" | "medium" | "high" | "critical" => (f.severity === "info" ? "low" : f.severity);

const summary = (f: Finding) => ({
  kind: f.kind,
  title: f.title,
  severity: severity(f),
  count: f.count,
  remediation: f.remediation,
});

/** Metrics of the inactive-billable-accounts finding that are not product keys. */
const NOT_PRODUCTS = new Set(["accounts", "billableAccounts"]);

// ---------------------------------------------------------------- lifecycle

/** The engine's request for one form of the page. */
function formRequest(form: LifecycleForm): LocatedRequest {
  const origin = { source: "admin page" };
  switch (form.action) {
    case "DEPROVISION_IDENTITY":
      return {
        origin,
        request: {
          action: "DEPROVISION_IDENTITY",
          user: { user: form.user },
          suspendAccess: form.suspendAccess,
          removeFromGroups: form.removeFromGroups,
        },
      };
    case "MANAGE_RELATIONSHIPS":
      return {
        origin,
        request: {
          action: "MANAGE_RELATIONSHIPS",
          memberships: [{ op: form.op, user: { user: form.user }, group: form.group }],
        },
      };
    case "SYNC_IDENTITIES":
      return {
        origin,
        request: {
          action: "SYNC_IDENTITIES",
          user: {
            userName: form.userName,
            ...(form.email !== "" ? { email: form.email } : {}),
            ...(form.displayName !== "" ? { displayName: form.displayName } : {}),
          },
        },
      };
    case "DELETE_IDENTITY":
      // Removal from the SCIM directory (Atlassian deactivates; no hard delete). The page confirms at apply time
      // (`confirmDelete`), so the plan is made as confirmed and the apply refuses it without that confirmation.
      return {
        origin,
        request: { action: "DELETE_IDENTITY", user: { user: form.user }, mode: "directory", confirm: true },
      };
  }
}

/** A target's attributes in one line: `active: true, email: a@b.c`. */
function attributes(v: AttributeValues | null): string | null {
  if (v === null) return null;
  return Object.entries(v)
    .map(([k, x]) => `${k}: ${Array.isArray(x) ? x.join(", ") : String(x)}`)
    .join("; ");
}

function preview(plan: Plan): PlanPreview {
  return {
    planId: plan.id,
    steps: plan.steps.map((s) => ({
      id: s.id,
      summary: s.summary,
      status: s.status,
      reason: s.reason,
      call: `${s.call.method} ${s.call.path} (${s.call.api})`,
      current: attributes(s.current),
      intended: attributes(s.intended),
    })),
    problems: plan.problems.map((p) => p.message),
    blocked: plan.blocked,
    deletes: planDeletes(plan),
    writes: plan.steps.filter((s) => s.status === "pending").length,
  };
}

// ---------------------------------------------------------------- routes

export function forgeAdminRoutes(r: Router): void {
  r.route(
    {
      method: "get",
      path: "/forge/v1/settings",
      operationId: "forgeGetSettings",
      summary: "The installation's settings, as the admin page's form shows them",
      description: "Secrets are never returned: `secretsSet` names those stored.",
      tags: ["forge", "forge-admin"],
      auth: "forge",
      responses: { 200: { description: "The settings.", schema: AdminSettings } },
    },
    ({ tenant }) => ({ status: 200, body: adminSettingsOf(tenant!) }),
  );

  r.route(
    {
      method: "put",
      path: "/forge/v1/settings",
      operationId: "forgeSaveSettings",
      summary: "Save the admin page's settings form",
      description:
        "Checked with the form's cross-field rules and the whole tenant configuration check: 422 names every field " +
        "at fault by its form name (`lifecycle.scimUrl`), never a value. A secret left out keeps its stored value, " +
        "`null` removes it, a string replaces it; empty plain fields mean not set. Secrets are sealed, write-only.",
      tags: ["forge", "forge-admin"],
      auth: "forge",
      body: SaveSettings,
      responses: { 200: { description: "The saved settings.", schema: AdminSettings } },
      errors: [422],
    },
    async ({ tenant, body, services, actor, c }) => {
      const { tenant: updated, changed } = await saveSettings(services.store, services.keyring, tenant!, body);
      await services.store.appendAudit({
        tenantId: updated.id,
        actor,
        action: "settings.update",
        target: `tenant:${updated.id}`,
        result: "ok",
        requestId: c.get("requestId"),
        details: { fields: changed },
      });
      return { status: 200, body: adminSettingsOf(updated) };
    },
  );

  r.route(
    {
      method: "post",
      path: "/forge/v1/connection-test",
      operationId: "forgeConnectionTest",
      summary: "Check each configured credential against its API",
      description:
        "One or two read-only calls per credential; each failure says in plain words what to do (a refused key, a " +
        "key with scopes, a wrong organization id, a Bitbucket consumer whose owner is not a workspace admin, a " +
        "missing SCIM directory). Never a secret in a message.",
      tags: ["forge", "forge-admin"],
      auth: "forge",
      body: z.strictObject({}),
      bodyOptional: true,
      responses: { 200: { description: "One check per credential.", schema: ConnectionTest } },
      errors: [409],
    },
    async ({ tenant, services, log }) => {
      let config: Awaited<ReturnType<typeof loadTenantConfig>>;
      try {
        config = await loadTenantConfig(services.store, services.keyring, tenant!);
      } catch (err) {
        if (err instanceof ConfigError) {
          throw new ApiError(409, "not_configured", "the settings are incomplete: save them first", {
            issues: err.issues,
          });
        }
        throw err;
      }
      const result = await testConnection(config, { send: services.send, warn: (m, f) => log.warn(m, f) });
      return { status: 200, body: result };
    },
  );

  r.route(
    {
      method: "get",
      path: "/forge/v1/overview",
      operationId: "forgeOverview",
      summary: "Sync status: the run going on, each product in the current model, the last job, a held run",
      tags: ["forge", "forge-admin"],
      auth: "forge",
      responses: { 200: { description: "The overview.", schema: SyncOverview } },
    },
    async ({ tenant, services }) => ({ status: 200, body: await syncOverview(services.store, tenant!) }),
  );

  r.route(
    {
      method: "get",
      path: "/forge/v1/people",
      operationId: "forgeSearchPeople",
      summary: "Find people by name, email or account id",
      tags: ["forge", "forge-admin"],
      auth: "forge",
      query: z.object({ q: z.string().trim().min(1, "must not be empty").max(320) }),
      responses: { 200: { description: "Matching accounts (capped).", schema: PeopleAnswer } },
      errors: [404],
    },
    async ({ tenant, query, services }) => ({
      status: 200,
      body: searchPeople(await currentModel(services, tenant!.id), query.q),
    }),
  );

  r.route(
    {
      method: "get",
      path: "/forge/v1/people/{accountId}/access",
      operationId: "forgePersonAccess",
      summary: "One person's access, grouped by product, with every path that grants it",
      tags: ["forge", "forge-admin"],
      auth: "forge",
      params: z.object({ accountId: z.string().min(1).max(320) }),
      responses: { 200: { description: "The person's access (rows capped).", schema: PersonAccess } },
      errors: [409],
    },
    async ({ tenant, params, services }) => ({
      status: 200,
      body: personAccess(await currentModel(services, tenant!.id), params.accountId),
    }),
  );

  r.route(
    {
      method: "get",
      path: "/forge/v1/resources",
      operationId: "forgeSearchResources",
      summary: "Find projects, spaces, repositories and other resources",
      description: "An empty `q` lists the resources (of `type`, if given), capped.",
      tags: ["forge", "forge-admin"],
      auth: "forge",
      query: z.object({ q: z.string().trim().max(320).default(""), type: ResourceKind.optional() }),
      responses: { 200: { description: "Matching resources (capped).", schema: ResourcesAnswer } },
      errors: [404],
    },
    async ({ tenant, query, services }) => ({
      status: 200,
      body: searchResources(await currentModel(services, tenant!.id), query.q, query.type),
    }),
  );

  r.route(
    {
      method: "get",
      path: "/forge/v1/resources/{type}/{id}/access",
      operationId: "forgeResourceAccess",
      summary: "Who can access one resource, with every path (pseudo-principals included)",
      description: "Resource ids containing `/` (Bitbucket `workspace/repo`) are sent URL-encoded (`%2F`).",
      tags: ["forge", "forge-admin"],
      auth: "forge",
      params: z.object({ type: ResourceKind, id: z.string().min(1).max(500) }),
      responses: { 200: { description: "The holders (capped).", schema: ResourceAccess } },
    },
    async ({ tenant, params, services }) => ({
      status: 200,
      body: resourceAccess(await currentModel(services, tenant!.id), params.type, params.id),
    }),
  );

  r.route(
    {
      method: "get",
      path: "/forge/v1/insights",
      operationId: "forgeInsights",
      summary: "Findings of the installation's tenant, with the licence savings up front",
      tags: ["forge", "forge-admin"],
      auth: "forge",
      responses: { 200: { description: "The findings, most severe first.", schema: InsightsOverview } },
      errors: [404],
    },
    async ({ tenant, services }) => {
      const m = await currentModel(services, tenant!.id);
      const findings = insightsOf(m, INACTIVE_DAYS, 0, services.now());
      const inactive = findings.find((f) => f.kind === "inactive-billable-accounts");
      const metrics = inactive?.metrics ?? {};
      const perProduct = Object.entries(metrics)
        .filter(([k]) => !NOT_PRODUCTS.has(k))
        .map(([product, licences]) => ({ product, licences }))
        .sort((a, b) => b.licences - a.licences || (a.product < b.product ? -1 : 1));
      return {
        status: 200,
        body: {
          modelVersion: m.version,
          licenceSavings: { accounts: metrics.accounts ?? 0, inactiveDays: INACTIVE_DAYS, perProduct },
          findings: findings.map(summary),
        },
      };
    },
  );

  r.route(
    {
      method: "get",
      path: "/forge/v1/insights/{kind}",
      operationId: "forgeInsightDetail",
      summary: "One finding with its rows (capped)",
      description: `A kind with nothing to report answers count 0 and no rows; an unknown kind is 404. Kinds: ${INSIGHT_KINDS.join(", ")}.`,
      tags: ["forge", "forge-admin"],
      auth: "forge",
      params: z.object({ kind: z.string().min(1).max(100) }),
      responses: { 200: { description: "The finding.", schema: InsightDetail } },
    },
    async ({ tenant, params, services }) => {
      if (!(INSIGHT_KINDS as readonly string[]).includes(params.kind)) throw notFound("insight kind");
      const kind = params.kind as InsightKind;
      const m = await currentModel(services, tenant!.id);
      const f = insightsOf(m, INACTIVE_DAYS, INSIGHT_ROWS_CAP, services.now()).find((x) => x.kind === kind);
      if (!f) {
        return {
          status: 200,
          body: {
            kind,
            title: "Nothing to report",
            severity: "low",
            count: 0,
            remediation: "",
            modelVersion: m.version,
            rows: [],
            truncated: false,
          },
        };
      }
      return {
        status: 200,
        body: {
          ...summary(f),
          modelVersion: m.version,
          rows: f.evidence.map((e) => ({
            account: e.account ?? null,
            email: e.email ?? null,
            product: e.product ?? null,
            resource: e.resourceName || e.resourceId || null,
            permission: e.permission ?? null,
            detail: e.detail ?? e.via ?? null,
          })),
          truncated: f.evidenceTruncated,
        },
      };
    },
  );

  r.route(
    {
      method: "post",
      path: "/forge/v1/lifecycle/plans",
      operationId: "forgePlanLifecycle",
      summary: "Plan one lifecycle action (a dry run: nothing is written)",
      description:
        "Reads the SCIM directory and the Admin API and answers every call the action would make. The plan is kept " +
        "for a while, to be applied by its id. 409 `not_configured` names the missing settings.",
      tags: ["forge", "forge-admin", "lifecycle"],
      auth: "forge",
      body: LifecycleForm,
      responses: { 201: { description: "The plan.", schema: PlanPreview } },
      errors: [409, 503],
    },
    async (input) => {
      const { tenant, body, actor, log, services } = input;
      const { plan } = await makePlan(services, tenant!, actor, log, [formRequest(body)], {
        selfAccountId: sessionAccount(input),
      });
      return { status: 201, body: preview(plan) };
    },
  );

  r.route(
    {
      method: "post",
      path: "/forge/v1/lifecycle/plans/{planId}/apply",
      operationId: "forgeApplyLifecycle",
      summary: "Apply a lifecycle plan after confirmation",
      description:
        "Needs `confirm: true`, and `confirmDelete: true` when the plan deletes identities. Plans again first and " +
        "refuses a plan whose state moved (409 `stale_plan`). Every write is audited with the admin as actor.",
      tags: ["forge", "forge-admin", "lifecycle"],
      auth: "forge",
      params: z.object({ planId: z.string().min(1).max(200) }),
      body: ApplyLifecycle,
      responses: { 200: { description: "The result of every step.", schema: ApplyOutcome } },
      errors: [404, 409, 503],
    },
    async ({ tenant, params, body, actor, log, services }) => {
      if (body.planId !== params.planId) {
        throw new ApiError(400, "validation_failed", "the body names another plan than the path", {
          issues: [{ path: "body.planId", message: "must be the plan id of the path" }],
        });
      }
      const report = await applyKeptPlan(services, tenant!, actor, log, params.planId, {
        confirmDelete: body.confirmDelete,
      });
      return {
        status: 200,
        body: {
          planId: report.planId,
          results: report.results.map((x) => ({
            stepId: x.stepId,
            summary: x.summary,
            status: x.status,
            message: x.message,
          })),
          summary: report.summary,
          patchedVersion: report.patchedVersion,
        },
      };
    },
  );

  r.route(
    {
      method: "post",
      path: "/forge/v1/installations",
      operationId: "forgeRegisterInstallation",
      summary: "Register the installation (the app's install trigger)",
      description:
        "A bound installation answers 200 (`created: false`; the product is added to the tenant's products when " +
        "missing). An unbound one gets a tenant of its own, named after the site, reading Jira and Confluence " +
        "through the Forge app (201 `created: true`) — unless automatic registration is off " +
        "(`ACCESSMAP_FORGE_AUTO_REGISTER=false`): then 403, and an operator binds the installation id.",
      tags: ["forge"],
      auth: "forgeInstall",
      body: RegisterInstallation,
      responses: {
        200: { description: "Already registered.", schema: InstallationRegistered },
        201: { description: "Registered with a new tenant.", schema: InstallationRegistered },
      },
      errors: [409],
    },
    async (input) => {
      const { tenant, body, services, actor, c } = input;
      const { tenant: t, created } = await registerInstallation(
        services,
        tenant,
        installationOf(input),
        body,
        actor,
        c.get("requestId"),
      );
      return { status: created ? 201 : 200, body: { tenantId: t.id, created } };
    },
  );

  r.route(
    {
      method: "post",
      path: "/forge/v1/uninstall",
      operationId: "forgeUninstall",
      summary: "The app is being uninstalled: delete the installation's tenant and its data",
      description:
        "Deletes the tenant bound to the installation with its configuration, sealed secrets, snapshots, models, " +
        "jobs and keys (customer data is not kept after an uninstall; a reinstall registers and crawls again). The " +
        "audit log is kept. A second call finds nothing and answers 204 too.",
      tags: ["forge"],
      auth: "forgeInstall",
      body: z.looseObject({}),
      bodyOptional: true,
      responses: { 204: { description: "Deleted (or nothing to delete)." } },
    },
    async (input) => {
      const { tenant, services, actor, c, log } = input;
      await uninstallInstallation(services, tenant, installationOf(input), actor, c.get("requestId"), log);
      return { status: 204, body: null };
    },
  );
}
