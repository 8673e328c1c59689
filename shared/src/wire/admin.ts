/**
 * The admin page's wire contract, in two legs that share these schemas:
 *
 * - **UI → resolver** (`@forge/bridge` `invoke(key, payload)` → `@forge/resolver`): {@link ADMIN_RESOLVERS} names each
 *   resolver function with its payload and answer. Every resolver first checks that the caller is a site or
 *   product admin (`asUser()`), and answers {@link AdminFailure} instead of throwing, so the page can show why.
 * - **resolver → backend** (`invokeRemote`, Forge Invocation Token): {@link FORGE_ADMIN_PATHS}. The backend acts for
 *   the tenant bound to the token's installation; the answers are the same schemas.
 *
 * Shapes are made for UI Kit tables and forms: compact, already grouped, capped in size (a resolver answer must stay
 * well under Forge's 5 MB invocation payload).
 */
import { RESOURCE_TYPES } from "@accessmap/shared/model/resource-types";
import { z } from "zod";

// ---------------------------------------------------------------- common

export const AdminProduct = z.enum(["jira", "confluence", "bitbucket"]);
export type AdminProduct = z.infer<typeof AdminProduct>;

/** Secrets the page can set but never read back. */
export const SECRET_FIELDS = ["adminApiKey", "bitbucketOAuthSecret", "lifecycle.scimToken"] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];

/** One problem with one form field (`lifecycle.scimUrl`), in words a person can act on. */
export const FieldProblem = z.object({ field: z.string(), message: z.string() });
export type FieldProblem = z.infer<typeof FieldProblem>;

/** A resolver's refusal or failure, shown by the page (never a stack trace). */
export const AdminFailure = z.object({
  ok: z.literal(false),
  code: z.enum([
    "not_admin",
    "invalid",
    "not_configured",
    "no_model",
    "not_found",
    "stale_plan",
    "backend",
    "conflict",
  ]),
  message: z.string(),
  fields: z.array(FieldProblem).optional(),
});
export type AdminFailure = z.infer<typeof AdminFailure>;

/** An answer: the data, or a failure. */
export const answer = <T extends z.ZodType>(data: T) =>
  z.discriminatedUnion("ok", [z.object({ ok: z.literal(true), data }), AdminFailure]);

// ---------------------------------------------------------------- settings

/** The configuration as the page shows it: secrets only as "set". */
export const AdminSettings = z.object({
  products: z.array(AdminProduct),
  orgId: z.string().nullable(),
  workspace: z.string().nullable(),
  bitbucketOAuthKey: z.string().nullable(),
  skipBranchProtectionDiscovery: z.boolean(),
  lifecycle: z.object({
    enabled: z.boolean(),
    scimUrl: z.string().nullable(),
    scimOrgId: z.string().nullable(),
  }),
  secretsSet: z.array(z.enum(SECRET_FIELDS)),
  /** `forge`: Jira/Confluence are read by the Forge app (no product token); `api-token`: by the backend. */
  siteAccess: z.enum(["forge", "api-token"]),
});
export type AdminSettings = z.infer<typeof AdminSettings>;

const text = (max: number) => z.string().trim().max(max);

/**
 * What the form saves. A secret left out keeps its stored value, `null` removes it, a string replaces it. Empty
 * strings of plain fields mean "not set".
 */
export const SaveSettings = z.strictObject({
  products: z.array(AdminProduct).min(1, "choose at least one product"),
  orgId: text(200),
  adminApiKey: z.string().min(1).max(4096).nullable().optional(),
  workspace: text(200),
  bitbucketOAuthKey: text(200),
  bitbucketOAuthSecret: z.string().min(1).max(4096).nullable().optional(),
  skipBranchProtectionDiscovery: z.boolean(),
  lifecycle: z.strictObject({
    enabled: z.boolean(),
    scimUrl: text(2000),
    scimToken: z.string().min(1).max(4096).nullable().optional(),
    scimOrgId: text(200),
  }),
});
export type SaveSettings = z.infer<typeof SaveSettings>;

/**
 * The cross-field rules of the form, checked inline by the page and again by the backend (which also applies the
 * full configuration schema). `secretsSet` says which secrets are already stored.
 */
export function settingsProblems(s: SaveSettings, secretsSet: readonly SecretField[]): FieldProblem[] {
  const out: FieldProblem[] = [];
  const has = (f: SecretField, v: string | null | undefined) => (v === undefined ? secretsSet.includes(f) : v !== null);
  const need = (ok: boolean, field: string, message: string) => {
    if (!ok) out.push({ field, message });
  };
  if (s.products.includes("bitbucket")) {
    need(s.workspace !== "", "workspace", "Enter the Bitbucket workspace to discover.");
    need(s.bitbucketOAuthKey !== "", "bitbucketOAuthKey", "Enter the key of the Bitbucket OAuth consumer.");
    need(
      has("bitbucketOAuthSecret", s.bitbucketOAuthSecret),
      "bitbucketOAuthSecret",
      "Enter the secret of the Bitbucket OAuth consumer.",
    );
  }
  if (s.workspace !== "" && !/^[a-z0-9_.-]{1,62}$/i.test(s.workspace)) {
    out.push({ field: "workspace", message: "A workspace id has letters, digits, '-', '_' or '.' only." });
  }
  const adminKey = has("adminApiKey", s.adminApiKey);
  if (adminKey) need(s.orgId !== "", "orgId", "Enter the organization id that goes with the admin API key.");
  if (s.orgId !== "" && !/^[A-Za-z0-9-]{1,200}$/.test(s.orgId)) {
    out.push({ field: "orgId", message: "An organization id has letters, digits and '-' only." });
  }
  if (s.lifecycle.enabled) {
    need(
      s.lifecycle.scimUrl !== "",
      "lifecycle.scimUrl",
      "Enter the SCIM base URL of the identity-provider directory.",
    );
    need(
      has("lifecycle.scimToken", s.lifecycle.scimToken),
      "lifecycle.scimToken",
      "Enter the SCIM API key of the directory.",
    );
    need(s.lifecycle.scimOrgId !== "", "lifecycle.scimOrgId", "Enter the organization id the directory belongs to.");
    need(adminKey, "adminApiKey", "Lifecycle actions need the organization admin API key.");
  }
  if (s.lifecycle.scimUrl !== "" && !isHttpsUrl(s.lifecycle.scimUrl)) {
    out.push({ field: "lifecycle.scimUrl", message: "The SCIM URL must start with https://." });
  }
  return out;
}

function isHttpsUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return (
      u.protocol === "https:" || (u.protocol === "http:" && (u.hostname === "127.0.0.1" || u.hostname === "localhost"))
    );
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- connection test

export const CredentialCheck = z.object({
  credential: z.enum(["adminApiKey", "productToken", "bitbucket", "scimToken", "forge"]),
  label: z.string(),
  result: z.enum(["ok", "failed", "skipped"]),
  /** Plain words: what was checked, and what to do about a failure. */
  message: z.string(),
});
export type CredentialCheck = z.infer<typeof CredentialCheck>;
export const ConnectionTest = z.object({ checks: z.array(CredentialCheck) });
export type ConnectionTest = z.infer<typeof ConnectionTest>;

// ---------------------------------------------------------------- sync status

export const ProductRun = z.object({
  product: z.string(),
  state: z.enum(["complete", "partial", "failed", "skipped"]),
  reasons: z.array(z.string()),
  /** When this product was last read. */
  readAt: z.string().nullable(),
});
export type ProductRun = z.infer<typeof ProductRun>;

export const SyncOverview = z.object({
  tenantName: z.string(),
  /** The run going on now, with its progress (0..1, or null when it cannot be estimated). */
  running: z
    .object({
      jobId: z.string().nullable(),
      startedAt: z.string().nullable(),
      progress: z.number().min(0).max(1).nullable(),
      products: z.array(ProductRun),
    })
    .nullable(),
  /** The current model. */
  current: z.object({ version: z.number().int(), committedAt: z.string(), products: z.array(ProductRun) }).nullable(),
  /** The last sync job (its state and error, if it failed or is held). */
  lastJob: z
    .object({ id: z.string(), state: z.string(), finishedAt: z.string().nullable(), error: z.string().nullable() })
    .nullable(),
  /** A run held by the mass-deletion guard, waiting for an operator. */
  held: z.object({ version: z.number().int(), reason: z.string().nullable() }).nullable(),
});
export type SyncOverview = z.infer<typeof SyncOverview>;

export const SyncStarted = z.object({
  jobId: z.string().nullable(),
  /** Forge crawl runs started for Jira/Confluence (read with the app's native auth). */
  crawls: z.array(z.string()),
  message: z.string(),
});
export type SyncStarted = z.infer<typeof SyncStarted>;

// ---------------------------------------------------------------- access explorer

export const PersonHit = z.object({
  accountId: z.string(),
  displayName: z.string(),
  email: z.string().nullable(),
  status: z.string(),
  accountType: z.string(),
});
export type PersonHit = z.infer<typeof PersonHit>;
export const PeopleAnswer = z.object({ query: z.string(), people: z.array(PersonHit), truncated: z.boolean() });
export type PeopleAnswer = z.infer<typeof PeopleAnswer>;

export const ResourceKind = z.enum(RESOURCE_TYPES);
export type ResourceKind = z.infer<typeof ResourceKind>;

/** One permission one principal holds on one resource, with every path that grants it (in words). */
export const AccessRow = z.object({
  product: z.enum(["admin", "jira", "confluence", "bitbucket"]),
  resourceType: ResourceKind,
  resourceId: z.string(),
  resourceName: z.string(),
  permission: z.string(),
  /** `direct`, `pseudo` (held through a pseudo-principal such as "logged-in users") or `dormant`. */
  through: z.enum(["direct", "pseudo", "dormant"]),
  paths: z.array(z.string()).min(1),
});
export type AccessRow = z.infer<typeof AccessRow>;

export const PersonAccess = z.object({
  modelVersion: z.number().int(),
  person: PersonHit,
  /** Rows grouped by product, each group sorted by resource then permission. */
  byProduct: z.array(z.object({ product: z.string(), rows: z.array(AccessRow) })),
  total: z.number().int(),
  truncated: z.boolean(),
});
export type PersonAccess = z.infer<typeof PersonAccess>;

export const ResourceHit = z.object({ type: ResourceKind, id: z.string(), name: z.string(), product: z.string() });
export type ResourceHit = z.infer<typeof ResourceHit>;
export const ResourcesAnswer = z.object({ query: z.string(), resources: z.array(ResourceHit), truncated: z.boolean() });
export type ResourcesAnswer = z.infer<typeof ResourcesAnswer>;

export const ResourceAccess = z.object({
  modelVersion: z.number().int(),
  resource: ResourceHit,
  holders: z.array(
    z.object({
      /** Account id, or the pseudo-principal's name (`anonymous`, `logged-in users`). */
      principal: z.string(),
      displayName: z.string(),
      pseudo: z.boolean(),
      permission: z.string(),
      paths: z.array(z.string()).min(1),
    }),
  ),
  total: z.number().int(),
  truncated: z.boolean(),
});
export type ResourceAccess = z.infer<typeof ResourceAccess>;

// ---------------------------------------------------------------- insights

export const InsightSummary = z.object({
  kind: z.string(),
  title: z.string(),
  severity: z.enum(["low", "medium", "high", "critical"]),
  count: z.number().int(),
  remediation: z.string(),
});
export const InsightsOverview = z.object({
  modelVersion: z.number().int(),
  /** Licences to reclaim (inactive billable accounts), per product and in all: stated up front. */
  licenceSavings: z.object({
    accounts: z.number().int(),
    inactiveDays: z.number().int(),
    perProduct: z.array(z.object({ product: z.string(), licences: z.number().int() })),
  }),
  findings: z.array(InsightSummary),
});
export type InsightsOverview = z.infer<typeof InsightsOverview>;

export const InsightDetail = InsightSummary.extend({
  modelVersion: z.number().int(),
  rows: z.array(
    z.object({
      account: z.string().nullable(),
      email: z.string().nullable(),
      product: z.string().nullable(),
      resource: z.string().nullable(),
      permission: z.string().nullable(),
      detail: z.string().nullable(),
    }),
  ),
  truncated: z.boolean(),
});
export type InsightDetail = z.infer<typeof InsightDetail>;

// ---------------------------------------------------------------- lifecycle

/** The lifecycle actions the page offers: one person (or one group) at a time. */
export const LifecycleForm = z.discriminatedUnion("action", [
  z.strictObject({
    action: z.literal("DEPROVISION_IDENTITY"),
    user: z.string().trim().min(1, "Enter an email, user name or account id.").max(500),
    suspendAccess: z.boolean(),
    removeFromGroups: z.boolean(),
  }),
  z.strictObject({
    action: z.literal("MANAGE_RELATIONSHIPS"),
    op: z.enum(["add", "remove"]),
    user: z.string().trim().min(1, "Enter an email, user name or account id.").max(500),
    group: z.string().trim().min(1, "Enter a group name.").max(500),
  }),
  z.strictObject({
    action: z.literal("SYNC_IDENTITIES"),
    userName: z.string().trim().min(1, "Enter the user name (usually the email).").max(500),
    email: z.string().trim().max(500),
    displayName: z.string().trim().max(500),
  }),
  z.strictObject({
    action: z.literal("DELETE_IDENTITY"),
    user: z.string().trim().min(1, "Enter an email, user name or account id.").max(500),
  }),
]);
export type LifecycleForm = z.infer<typeof LifecycleForm>;

export const PlanPreview = z.object({
  planId: z.string(),
  steps: z.array(
    z.object({
      id: z.string(),
      summary: z.string(),
      status: z.enum(["pending", "noop", "refused", "skipped"]),
      reason: z.string().nullable(),
      call: z.string(),
      current: z.string().nullable(),
      intended: z.string().nullable(),
    }),
  ),
  problems: z.array(z.string()),
  blocked: z.string().nullable(),
  /** Whether apply needs the extra delete confirmation. */
  deletes: z.boolean(),
  /** Steps that would make a call. */
  writes: z.number().int(),
});
export type PlanPreview = z.infer<typeof PlanPreview>;

export const ApplyLifecycle = z.strictObject({
  planId: z.string().min(1).max(200),
  confirm: z.literal(true, { error: "Confirm the plan before applying it." }),
  confirmDelete: z.boolean().optional(),
});
export type ApplyLifecycle = z.infer<typeof ApplyLifecycle>;

export const ApplyOutcome = z.object({
  planId: z.string(),
  results: z.array(z.object({ stepId: z.string(), summary: z.string(), status: z.string(), message: z.string() })),
  summary: z.record(z.string(), z.number().int()),
  patchedVersion: z.number().int().nullable(),
});
export type ApplyOutcome = z.infer<typeof ApplyOutcome>;

// ---------------------------------------------------------------- installation

/** What the install trigger tells the backend about the installation (the FIT carries the installation id). */
export const RegisterInstallation = z.strictObject({
  product: z.enum(["jira", "confluence"]),
  siteUrl: z.url().max(500).nullable(),
  cloudId: z.string().min(1).max(200).nullable(),
});
export type RegisterInstallation = z.infer<typeof RegisterInstallation>;
export const InstallationRegistered = z.object({ tenantId: z.string(), created: z.boolean() });

// ---------------------------------------------------------------- the two legs

/** Resolver function keys with their payloads and answers (UI → resolver). */
export const ADMIN_RESOLVERS = {
  getSettings: { payload: z.strictObject({}), data: AdminSettings },
  saveSettings: { payload: SaveSettings, data: AdminSettings },
  testConnection: { payload: z.strictObject({}), data: ConnectionTest },
  getOverview: { payload: z.strictObject({}), data: SyncOverview },
  syncNow: { payload: z.strictObject({}), data: SyncStarted },
  searchPeople: { payload: z.strictObject({ query: z.string().trim().min(1).max(320) }), data: PeopleAnswer },
  personAccess: { payload: z.strictObject({ accountId: z.string().min(1).max(320) }), data: PersonAccess },
  searchResources: {
    payload: z.strictObject({ query: z.string().trim().max(320), type: ResourceKind.optional() }),
    data: ResourcesAnswer,
  },
  resourceAccess: {
    payload: z.strictObject({ type: ResourceKind, id: z.string().min(1).max(500) }),
    data: ResourceAccess,
  },
  getInsights: { payload: z.strictObject({}), data: InsightsOverview },
  insightDetail: { payload: z.strictObject({ kind: z.string().min(1).max(100) }), data: InsightDetail },
  planLifecycle: { payload: LifecycleForm, data: PlanPreview },
  applyLifecycle: { payload: ApplyLifecycle, data: ApplyOutcome },
} as const;
export type AdminResolverKey = keyof typeof ADMIN_RESOLVERS;
export type AdminPayload<K extends AdminResolverKey> = z.input<(typeof ADMIN_RESOLVERS)[K]["payload"]>;
export type AdminData<K extends AdminResolverKey> = z.infer<(typeof ADMIN_RESOLVERS)[K]["data"]>;
export type AdminAnswer<K extends AdminResolverKey> = { ok: true; data: AdminData<K> } | AdminFailure;

/** Backend paths (resolver → backend, FIT-authenticated). */
export const FORGE_ADMIN_PATHS = {
  settings: "/forge/v1/settings", // GET → AdminSettings; PUT SaveSettings → AdminSettings (422 names fields)
  connectionTest: "/forge/v1/connection-test", // POST {} → ConnectionTest
  overview: "/forge/v1/overview", // GET → SyncOverview
  syncs: "/forge/v1/syncs", // POST {} → 202 (existing)
  people: "/forge/v1/people", // GET ?q= → PeopleAnswer
  personAccess: (accountId: string) => `/forge/v1/people/${encodeURIComponent(accountId)}/access`, // → PersonAccess
  resources: "/forge/v1/resources", // GET ?q=&type= → ResourcesAnswer
  resourceAccess: (type: ResourceKind, id: string) => `/forge/v1/resources/${type}/${encodeURIComponent(id)}/access`, // → ResourceAccess
  insights: "/forge/v1/insights", // GET → InsightsOverview (replaces the earlier page of findings)
  insightDetail: (kind: string) => `/forge/v1/insights/${encodeURIComponent(kind)}`, // → InsightDetail
  lifecyclePlans: "/forge/v1/lifecycle/plans", // POST LifecycleForm → PlanPreview
  lifecycleApply: (planId: string) => `/forge/v1/lifecycle/plans/${encodeURIComponent(planId)}/apply`, // POST → ApplyOutcome
  installations: "/forge/v1/installations", // POST RegisterInstallation → InstallationRegistered
  uninstall: "/forge/v1/uninstall", // POST (preUninstall endpoint) → 204
} as const;
