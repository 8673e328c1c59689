/**
 * Lifecycle management over HTTP (issue "Lifecycle management" §3): plan, apply, and the lifecycle part of the
 * audit log. The routes drive the same library as `accessmap lifecycle` (`../../lifecycle/`): `planLifecycle` is the
 * dry run, `applyPlan` re-plans, refuses a stale plan (D13), runs the steps and writes the audit entries itself,
 * with the caller as actor (`operator`, `apikey:<id>`).
 *
 * - `POST …/lifecycle/plans` takes `{ requests: [...] }` (the engine's request types, checked field by field) or
 *   `{ desiredState: { format, content } }` (a joiners/movers/leavers file, errors name the line) and answers the
 *   plan. Nothing is written, neither to Atlassian nor to the audit log.
 * - `POST …/lifecycle/plans/{planId}/apply` needs `{ confirm: true }`, and `confirmDelete: true` as well when the
 *   plan deletes identities; `force: true` lifts the deprovision limit. It answers every step's result; a plan whose
 *   state moved is refused with 409 `stale_plan` and the differences.
 * - `GET …/lifecycle/audit` lists the audit entries whose action starts with `lifecycle.`, newest first.
 *
 * **Where plans are kept.** In memory, per process, for {@link PLAN_TTL_MS} (at most {@link MAX_PLANS} plans, the
 * oldest evicted first), and forgotten once applied. The Forge admin page's lifecycle routes (`forge-admin.ts`) plan
 * and apply through {@link makePlan} and {@link applyKeptPlan} too, over the same store of plans. Nothing is lost by this: a plan is only a convenience for the
 * caller to review before applying, since the apply plans again from the plan's requests and refuses it when the
 * fresh plan differs. The price is that a plan made by one replica is unknown to another (404: plan again), which
 * is acceptable for a step a person confirms right after reviewing; the store's cursors table would survive
 * restarts but would need expiry sweeping and carries secrets-free but large JSON, for no gain in safety.
 *
 * A tenant without `lifecycle.scimUrl`, `lifecycle.scimToken`, `lifecycle.scimOrgId`, `adminApiKey` or `orgId`
 * answers 409 `not_configured`, naming the missing fields.
 *
 * @module
 */
import {
  CircuitOpenError,
  NetworkError,
  TimeoutError,
  ApiError as TransportApiError,
} from "@accessmap/shared/transport/errors";
import { z } from "zod";
import { applyPlan } from "../../lifecycle/apply.js";
import { buildLifecycleClients, missingLifecycleConfig } from "../../lifecycle/clients/build.js";
import { DesiredStateError, parseDesiredState } from "../../lifecycle/desired-state.js";
import { type LifecycleDeps, planFingerprint, planLifecycle } from "../../lifecycle/plan.js";
import {
  LIFECYCLE_ACTIONS,
  LifecycleError,
  type LocatedRequest,
  type Plan,
  StalePlanError,
} from "../../lifecycle/types.js";
import type { Logger } from "../../security/logger.js";
import { encodeAuditCursor } from "../../store/common.js";
import type { AuditEntry, Tenant } from "../../store/store.js";
import type { Router } from "../contract.js";
import { ApiError, notFound, validationError } from "../errors.js";
import { decodeCursor, encodeCursor, PageQuery, pageOf } from "../pagination.js";
import { TenantIdParam } from "../schemas.js";
import type { Services } from "../services.js";
import { loadTenantConfig } from "../tenant-config.js";

/** How long a plan can be applied by its id. */
export const PLAN_TTL_MS = 15 * 60 * 1000;
/** Plans kept per process, across tenants. */
export const MAX_PLANS = 1000;
/** The prefix of every action the engine writes to the audit log. */
export const LIFECYCLE_AUDIT_PREFIX = "lifecycle.";

// ---------------------------------------------------------------- request schemas

const name = z.string().trim().min(1).max(500);
const attr = z.string().max(1000).nullable().optional();

const UserRefSchema = z
  .strictObject({
    user: name.optional().describe("A SCIM userName, an email address or an Atlassian account id."),
    accountId: name.optional(),
    externalId: name.optional().describe("The IdP's id in the SCIM directory."),
  })
  .refine((u) => u.user !== undefined || u.accountId !== undefined || u.externalId !== undefined, {
    message: "give user, accountId or externalId",
  });

const UserAttributesSchema = z.strictObject({
  userName: name,
  email: z.string().trim().min(3).max(500).optional(),
  givenName: attr,
  familyName: attr,
  displayName: attr,
  title: attr,
  department: attr,
  organization: attr,
  externalId: attr,
  active: z.boolean().optional(),
});

const Via = z.enum(["scim", "admin"]);

export const LifecycleRequestSchema = z.discriminatedUnion("action", [
  z.strictObject({
    action: z.literal("SYNC_IDENTITIES"),
    user: UserAttributesSchema,
    updateOnly: z.boolean().optional(),
  }),
  z.strictObject({
    action: z.literal("MANAGE_RELATIONSHIPS"),
    memberships: z
      .array(z.strictObject({ op: z.enum(["add", "remove"]), user: UserRefSchema, group: name, via: Via.optional() }))
      .max(10_000)
      .optional(),
    groups: z
      .array(
        z.strictObject({
          op: z.enum(["create", "delete"]),
          group: name,
          via: Via.optional(),
          description: z.string().max(1000).optional(),
        }),
      )
      .max(10_000)
      .optional(),
  }),
  z.strictObject({
    action: z.literal("DEPROVISION_IDENTITY"),
    user: UserRefSchema,
    suspendAccess: z.boolean().optional(),
    removeFromGroups: z.boolean().optional(),
  }),
  z.strictObject({
    action: z.literal("DELETE_IDENTITY"),
    user: UserRefSchema,
    mode: z.enum(["directory", "account"]),
    confirm: z.boolean().optional().describe("Required (true) for the step to be planned as anything but refused."),
  }),
]);

const PlanOptionsSchema = z.strictObject({
  maxDeprovisions: z.number().int().min(0).max(100_000).optional().describe("Default 10."),
  disabledActions: z.array(z.enum(LIFECYCLE_ACTIONS)).optional().describe("Kill switches: steps planned, skipped."),
  force: z.boolean().optional().describe("Plan beyond the deprovision limit (else the plan is blocked)."),
});

export const PlanBody = z
  .strictObject({
    requests: z.array(LifecycleRequestSchema).min(1).max(10_000).optional(),
    desiredState: z
      .strictObject({
        format: z.enum(["csv", "json"]),
        content: z
          .string()
          .min(1)
          .max(512 * 1024),
      })
      .optional()
      .describe("A joiners/movers/leavers file, as `accessmap lifecycle plan --file` reads it."),
    options: PlanOptionsSchema.optional(),
  })
  .superRefine((b, ctx) => {
    const given = (b.requests ? 1 : 0) + (b.desiredState ? 1 : 0);
    if (given !== 1)
      ctx.addIssue({
        code: "custom",
        path: [b.requests ? "desiredState" : "requests"],
        message: given === 0 ? "give requests or desiredState" : "give requests or desiredState, not both",
      });
  });

export const ApplyBody = z.strictObject({
  confirm: z.literal(true, { error: "must be true: applying sends the changes" }),
  confirmDelete: z.boolean().optional().describe("Must be true when the plan deletes identities."),
  force: z.boolean().optional().describe("Apply beyond the deprovision limit."),
});

// ---------------------------------------------------------------- response schemas

const AttributeValuesView = z.record(
  z.string(),
  z.union([z.string(), z.boolean(), z.number(), z.null(), z.array(z.string())]),
);

const StepView = z.object({
  id: z.string(),
  action: z.enum(LIFECYCLE_ACTIONS),
  kind: z.string(),
  summary: z.string(),
  call: z.object({ api: z.string(), method: z.string(), path: z.string() }),
  user: z
    .object({
      ref: z.string(),
      scimId: z.string().nullable(),
      accountId: z.string().nullable(),
      userName: z.string().nullable(),
      fromStep: z.string().optional(),
    })
    .nullable(),
  group: z
    .object({
      name: z.string(),
      scimId: z.string().nullable(),
      groupId: z.string().nullable(),
      fromStep: z.string().optional(),
    })
    .nullable(),
  current: AttributeValuesView.nullable(),
  intended: AttributeValuesView.nullable(),
  status: z.enum(["pending", "noop", "refused", "skipped"]),
  reason: z.string().nullable(),
  dependsOn: z.array(z.string()),
  requestIndex: z.number().int(),
});

export const PlanView = z.object({
  version: z.literal(1),
  id: z.string().describe("Apply with POST …/lifecycle/plans/{id}/apply."),
  createdAt: z.string(),
  expiresAt: z.string().describe("After this, the plan is forgotten: plan again."),
  requests: z.array(
    z.object({
      request: z.record(z.string(), z.unknown()),
      origin: z.object({ source: z.string(), line: z.number().int().optional() }).optional(),
    }),
  ),
  steps: z.array(StepView),
  problems: z.array(
    z.object({
      requestIndex: z.number().int(),
      origin: z.object({ source: z.string(), line: z.number().int().optional() }).optional(),
      message: z.string(),
    }),
  ),
  blocked: z.string().nullable(),
  capabilities: z.object({ patch: z.boolean(), etag: z.boolean() }),
  options: z.object({
    maxDeprovisions: z.number().int(),
    force: z.boolean(),
    disabledActions: z.array(z.string()),
    selfAccountId: z.string().nullable(),
  }),
  fingerprint: z.string(),
  notes: z.array(z.string()),
});

const StepResultView = z.object({
  stepId: z.string(),
  kind: z.string(),
  summary: z.string(),
  status: z.enum(["ok", "adopted", "noop", "refused", "skipped", "failed", "not-run", "dry-run"]),
  message: z.string(),
  requestIds: z.array(z.string()),
  error: z
    .object({
      kind: z.string(),
      status: z.number().int().nullable(),
      message: z.string(),
      scimType: z.string().nullable(),
      code: z.string().nullable().optional(),
    })
    .nullable(),
  changes: z.array(z.record(z.string(), z.unknown())),
  produced: z.record(z.string(), z.string().nullable()).optional(),
});

export const ApplyReportView = z.object({
  planId: z.string(),
  dryRun: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string(),
  results: z.array(StepResultView),
  summary: z.record(z.string(), z.number().int()),
  patchedVersion: z.number().int().nullable().describe("The snapshot version holding the patched model."),
  notes: z.array(z.string()),
});

const LifecycleAuditEntryView = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  result: z.string(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

// ---------------------------------------------------------------- plans kept in memory

interface KeptPlan {
  tenantId: string;
  plan: Plan;
  expiresAt: number;
}

/** Plans by id, per process, with a TTL and a bound (see the module comment). */
export class PlanCache {
  readonly #plans = new Map<string, KeptPlan>();

  constructor(
    private readonly now: () => number,
    private readonly ttlMs = PLAN_TTL_MS,
    private readonly max = MAX_PLANS,
  ) {}

  put(tenantId: string, plan: Plan): number {
    this.#sweep();
    const expiresAt = this.now() + this.ttlMs;
    this.#plans.set(plan.id, { tenantId, plan, expiresAt });
    while (this.#plans.size > this.max) {
      const oldest = this.#plans.keys().next();
      if (oldest.done) break;
      this.#plans.delete(oldest.value);
    }
    return expiresAt;
  }

  /** The plan of this tenant with this id, unless expired; another tenant's plan is not found. */
  get(tenantId: string, planId: string): Plan | null {
    const kept = this.#plans.get(planId);
    if (!kept || kept.tenantId !== tenantId) return null;
    if (kept.expiresAt <= this.now()) {
      this.#plans.delete(planId);
      return null;
    }
    return kept.plan;
  }

  delete(planId: string): void {
    this.#plans.delete(planId);
  }

  #sweep(): void {
    const now = this.now();
    for (const [id, kept] of this.#plans) if (kept.expiresAt <= now) this.#plans.delete(id);
  }
}

// ---------------------------------------------------------------- wiring

/** The engine's dependencies for a tenant, or 409 `not_configured` naming the missing fields. */
async function lifecycleDeps(
  services: Services,
  tenant: Tenant,
  actor: string,
  log: Logger,
  options: Plan["options"] | null,
  extra: PlanOptions = {},
): Promise<LifecycleDeps> {
  const config = await loadTenantConfig(services.store, services.keyring, tenant);
  const missing = missingLifecycleConfig(config);
  if (missing.length > 0) {
    throw new ApiError(
      409,
      "not_configured",
      `lifecycle management is not configured for this tenant: set ${missing.join(", ")}`,
      { missing },
    );
  }
  let clients: ReturnType<typeof buildLifecycleClients>;
  try {
    clients = buildLifecycleClients(config, {
      send: services.send,
      schemaMode: "warn",
      warn: (message, fields) => log.warn(message, fields),
    });
  } catch (err) {
    if (err instanceof LifecycleError) throw new ApiError(409, "not_configured", err.message);
    throw err;
  }
  const current = await services.models.get(tenant.id);
  return {
    scim: clients.scim,
    admin: clients.admin,
    store: services.store,
    tenantId: tenant.id,
    actor,
    model: current?.model ?? null,
    clock: services.now,
    options: {
      selfEmail: config.productUser ?? null,
      // The account the guards protect: the integration's own user (productUser) when there is one, else the
      // admin in session on the Forge page (siteAccess forge has no user of its own), so nobody locks themselves out.
      selfAccountId: options?.selfAccountId ?? (config.productUser ? null : (extra.selfAccountId ?? null)),
      maxDeprovisions: extra.maxDeprovisions ?? options?.maxDeprovisions,
      disabledActions: extra.disabledActions ?? options?.disabledActions ?? [],
      force: extra.force === true || options?.force === true,
    },
  };
}

/** Failures of the Atlassian APIs while planning or applying: 503, with what the API said (never a body). */
function upstreamError(err: unknown): ApiError | null {
  if (err instanceof TransportApiError)
    return new ApiError(503, "unavailable", `an Atlassian API call failed (${err.kind}, HTTP ${err.status})`);
  if (err instanceof NetworkError || err instanceof TimeoutError || err instanceof CircuitOpenError)
    return new ApiError(503, "unavailable", `an Atlassian API could not be reached (${err.kind})`);
  return null;
}

function lifecycleError(err: unknown): unknown {
  if (err instanceof StalePlanError)
    return new ApiError(409, "stale_plan", err.message, { differences: err.differences });
  if (err instanceof LifecycleError) {
    if (err.code === "config") return new ApiError(409, "not_configured", err.message);
    if (err.code === "blocked") return new ApiError(409, "conflict", err.message, { reason: "blocked" });
    if (err.code === "invalid-plan") return validationError([{ path: "body", message: err.message }]);
    return new ApiError(409, "conflict", err.message);
  }
  return upstreamError(err) ?? err;
}

const PlanParams = TenantIdParam.extend({ planId: z.string().min(1).max(200).describe("The plan's id.") });

/** A position in the lifecycle audit list: the seq of the last entry looked at. */
const AUDIT_CURSOR_KIND = "lifecycle-audit";
/** Store pages read per request at most while looking for lifecycle entries among the others. */
const MAX_AUDIT_SCAN_PAGES = 20;
const AUDIT_SCAN_PAGE = 500;

/** The plans of a service instance: one cache shared by the tenant routes and the Forge admin routes. */
const planCaches = new WeakMap<Services, PlanCache>();

export function planCacheOf(services: Services): PlanCache {
  let cache = planCaches.get(services);
  if (!cache) {
    cache = new PlanCache(() => services.now().getTime());
    planCaches.set(services, cache);
  }
  return cache;
}

export interface PlanOptions {
  maxDeprovisions?: number;
  disabledActions?: Plan["options"]["disabledActions"];
  force?: boolean;
  /** The caller's own account, which the guards never let a plan deprovision or delete. */
  selfAccountId?: string | null;
}

/** Plans `requests` for a tenant (a dry run: nothing is written) and keeps the plan to be applied by its id. */
export async function makePlan(
  services: Services,
  tenant: Tenant,
  actor: string,
  log: Logger,
  requests: LocatedRequest[],
  options: PlanOptions,
): Promise<{ plan: Plan; expiresAt: string }> {
  const deps = await lifecycleDeps(services, tenant, actor, log, null, options);
  let plan: Plan;
  try {
    plan = await planLifecycle(requests, deps);
  } catch (err) {
    throw lifecycleError(err);
  }
  const expiresAt = planCacheOf(services).put(tenant.id, plan);
  return { plan, expiresAt: new Date(expiresAt).toISOString() };
}

/**
 * Applies a kept plan: 404 when it is unknown or expired, 400 when it deletes identities without `confirmDelete`,
 * 409 when it has problems or went stale (`stale_plan`, with the differences). The plan is forgotten once applied.
 */
export async function applyKeptPlan(
  services: Services,
  tenant: Tenant,
  actor: string,
  log: Logger,
  planId: string,
  body: { confirmDelete?: boolean; force?: boolean },
): Promise<Awaited<ReturnType<typeof applyPlan>>> {
  const plans = planCacheOf(services);
  const stored = plans.get(tenant.id, planId);
  if (!stored) throw notFound("plan (plans are kept for a while by the process that made them: plan again)");
  if (planDeletes(stored) && body.confirmDelete !== true)
    throw validationError([{ path: "body.confirmDelete", message: "must be true: the plan deletes identities" }]);
  if (stored.problems.length > 0)
    throw new ApiError(409, "conflict", "the plan has problems: fix the requests and plan again", {
      problems: stored.problems,
    });
  // `force` lifts the deprovision limit, the only thing it changes: compare against the plan as if forced.
  let plan = stored;
  if (body.force === true && !stored.options.force) {
    plan = { ...stored, blocked: null, options: { ...stored.options, force: true } };
    plan.fingerprint = planFingerprint(plan);
  }
  const deps = await lifecycleDeps(services, tenant, actor, log, plan.options);
  let report: Awaited<ReturnType<typeof applyPlan>>;
  try {
    report = await applyPlan(plan, deps);
  } catch (err) {
    throw lifecycleError(err);
  }
  plans.delete(stored.id);
  if (report.patchedVersion !== null) services.models.invalidate(tenant.id);
  return report;
}

/** Whether applying the plan would delete an identity (and so needs `confirmDelete`). */
export const planDeletes = (plan: Plan): boolean =>
  plan.steps.some((s) => s.action === "DELETE_IDENTITY" && s.status === "pending");

export function lifecycleRoutes(r: Router): void {
  r.route(
    {
      method: "post",
      path: "/v1/tenants/{tenantId}/lifecycle/plans",
      operationId: "planLifecycle",
      summary: "Plan lifecycle changes (dry run)",
      description:
        "Reads the SCIM directory and the Admin API and answers every call the changes would make, with each " +
        "target's current and intended state. Nothing is written. Give `requests` (the lifecycle actions) or " +
        "`desiredState` (a joiners/movers/leavers CSV or JSON file). The plan is kept in memory by this process " +
        `for ${PLAN_TTL_MS / 60_000} minutes, to be applied by its id.`,
      tags: ["lifecycle"],
      auth: "tenant",
      params: TenantIdParam,
      body: PlanBody,
      responses: { 201: { description: "The plan.", schema: PlanView } },
      errors: [409, 503],
    },
    async ({ tenant, body, actor, log, services }) => {
      let requests: LocatedRequest[];
      if (body.desiredState) {
        try {
          requests = parseDesiredState(body.desiredState.content, "desiredState", body.desiredState.format);
        } catch (err) {
          if (err instanceof DesiredStateError)
            throw validationError(
              err.issues.map((i) => ({ path: "body.desiredState.content", message: `line ${i.line}: ${i.message}` })),
            );
          throw err;
        }
        if (requests.length === 0)
          throw validationError([
            { path: "body.desiredState.content", message: "holds no joiners, movers or leavers" },
          ]);
      } else {
        requests = (body.requests ?? []).map((request, n) => ({
          request,
          origin: { source: `requests[${n}]` },
        }));
      }
      const { plan, expiresAt } = await makePlan(services, tenant!, actor, log, requests, body.options ?? {});
      return { status: 201, body: { ...plan, expiresAt } };
    },
  );

  r.route(
    {
      method: "post",
      path: "/v1/tenants/{tenantId}/lifecycle/plans/{planId}/apply",
      operationId: "applyLifecyclePlan",
      summary: "Apply a lifecycle plan",
      description:
        "Plans again and refuses the plan when the state moved since (409 `stale_plan`, with the differences); " +
        "then runs the steps in order and answers every step's result. Needs `confirm: true`, and " +
        "`confirmDelete: true` when the plan deletes identities. Every write is audited (an intent before, a result " +
        "after) with the caller as actor, and the model is patched at once. A plan is applied once.",
      tags: ["lifecycle"],
      auth: "tenant",
      params: PlanParams,
      body: ApplyBody,
      bodyOptional: true,
      responses: { 200: { description: "The result of every step.", schema: ApplyReportView } },
      errors: [404, 409, 503],
    },
    async ({ tenant, params, body, actor, log, services }) => ({
      status: 200,
      body: await applyKeptPlan(services, tenant!, actor, log, params.planId, body),
    }),
  );

  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/lifecycle/audit",
      operationId: "listLifecycleAudit",
      summary: "Lifecycle audit log",
      description:
        "The audit entries of lifecycle management (actions `lifecycle.*`: every write's intent and result, no-ops, " +
        "skips, refusals, applies and model patches), newest first. A page may hold fewer entries than `limit` " +
        "while `next` is set: keep following it.",
      tags: ["lifecycle", "audit"],
      auth: "tenant",
      params: TenantIdParam,
      query: PageQuery,
      responses: { 200: { description: "A page of entries, newest first.", schema: pageOf(LifecycleAuditEntryView) } },
    },
    async ({ tenant, query, services }) => {
      const pos = decodeCursor(AUDIT_CURSOR_KIND, query.cursor, { q: z.number().int().min(0) });
      const items: AuditEntry[] = [];
      let storeCursor: string | null = pos ? encodeAuditCursor(pos.q) : null;
      let lastSeen: number | null = null;
      // Whether the log goes on past `lastSeen` (the page filled up, or the scan bound was reached).
      let more = true;
      for (let n = 0; n < MAX_AUDIT_SCAN_PAGES && more && items.length < query.limit; n++) {
        const page = await services.store.listAudit(tenant!.id, { limit: AUDIT_SCAN_PAGE, cursor: storeCursor });
        more = page.next !== null;
        for (const [i, e] of page.entries.entries()) {
          lastSeen = e.seq;
          if (!e.action.startsWith(LIFECYCLE_AUDIT_PREFIX)) continue;
          items.push(e);
          if (items.length === query.limit) {
            more ||= i < page.entries.length - 1;
            break;
          }
        }
        storeCursor = page.next;
      }
      const next = more && lastSeen !== null ? encodeCursor(AUDIT_CURSOR_KIND, { q: lastSeen }) : null;
      return {
        status: 200,
        body: { items: items.map(({ tenantId: _t, ...e }) => e), next },
      };
    },
  );
}
