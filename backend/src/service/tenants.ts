/**
 * Tenant management shared by the HTTP routes and `accessmap tenants`: checking a tenant's configuration, creating
 * it with its secrets sealed, merging a change into it, and the view that is safe to return (secrets never leave:
 * only their names, as `secretsSet`).
 *
 * A tenant's input is the connection configuration (`config/schema.ts`) plus the service's own fields:
 * `schedule` (`{ everyMinutes }`, how often the scheduler syncs it), `forgeInstallationId` (the Forge installation
 * whose invocation tokens act for it) and `forgeCloudId` (optional: pin that installation to one site).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ConfigInput } from "../config/schema.js";
import { decryptSecrets, type MasterKeyring } from "../security/envelope.js";
import type { Store, Tenant } from "../store/store.js";
import { ApiError, type FieldIssue, fieldIssues, validationError } from "./errors.js";
import {
  connectionFields,
  SECRET_PATHS,
  type SecretPath,
  sealConfig,
  secretsSet,
  splitConfig,
} from "./tenant-config.js";

export const Schedule = z
  .strictObject({
    everyMinutes: z
      .number()
      .int("must be an integer")
      .min(5, "must be at least 5")
      .max(7 * 24 * 60, "must be at most 10080 (a week)"),
  })
  .describe("Sync the tenant every N minutes.");
export type Schedule = z.infer<typeof Schedule>;

const ServiceFields = {
  schedule: Schedule.optional(),
  forgeInstallationId: z.string().min(1).max(200).optional().describe("The Forge installation acting for the tenant."),
  forgeCloudId: z.string().min(1).max(200).optional().describe("Pins the Forge installation to one site."),
  bitbucketWebhookSecret: webhookSecret("The Bitbucket webhook secret (`X-Hub-Signature`); sealed, write-only."),
  bitbucketWebhookSecretPrevious: webhookSecret(
    "The previous webhook secret, accepted too during a rotation window; remove it (null) when done.",
  ),
};

function webhookSecret(description: string) {
  return z
    .string()
    .min(16, "must be at least 16 characters")
    .max(512)
    .refine((v) => v.trim() === v && v.trim() !== "", "must not be blank or padded")
    .optional()
    .describe(description);
}

/** Sealed service secrets, checked as service fields, not as connection fields. */
const SERVICE_SECRET_KEYS = ["bitbucketWebhookSecret", "bitbucketWebhookSecretPrevious"] as const;

/** `POST /v1/tenants`: the connection configuration plus the service fields. Secrets are write-only. */
export const CreateTenantBody = z.strictObject({ ...ConfigInput.shape, ...ServiceFields });
export type CreateTenantBody = z.input<typeof CreateTenantBody>;

// biome-ignore lint/suspicious/noExplicitAny: a generic rewrite of the configuration's shape.
type AnyShape = Record<string, any>;

/**
 * Every field optional; every optional field may be `null` (removed). `name` and `products` may not be removed.
 * Defaults are dropped: a field the patch leaves out must stay as stored, not be reset to its default.
 */
function patchShape(shape: AnyShape, keep: readonly string[]): AnyShape {
  const out: AnyShape = {};
  for (const [key, schema] of Object.entries(shape)) {
    if (key === "lifecycle") {
      const inner = (ConfigInput.shape.lifecycle.unwrap() as z.ZodObject).shape;
      out[key] = z.strictObject(patchShape(inner, [])).nullable().optional();
    } else {
      const base = schema instanceof z.ZodOptional || schema instanceof z.ZodDefault ? schema.unwrap() : schema;
      out[key] = keep.includes(key) ? base.optional() : base.nullable().optional();
    }
  }
  return out;
}

/** `PATCH /v1/tenants/{id}`: a merge patch. `null` removes a field (a secret, the schedule, the Forge binding). */
export const PatchTenantBody = z
  .strictObject(patchShape({ ...ConfigInput.shape, ...ServiceFields }, ["name", "products"]))
  .describe("Fields to change; null removes an optional field. Secrets are write-only.") as z.ZodType<
  Record<string, unknown>
>;

/** What the API returns for a tenant: never a secret, only the names of those set. */
export const TenantView = z.object({
  id: z.string(),
  name: z.string(),
  config: z.record(z.string(), z.unknown()).describe("The non-secret connection fields, as given."),
  secretsSet: z.array(z.enum(SECRET_PATHS)).describe("Names of the secrets stored (sealed); values never leave."),
  schedule: Schedule.nullable(),
  forgeInstallationId: z.string().nullable(),
  forgeCloudId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TenantView = z.infer<typeof TenantView>;

export function tenantView(t: Tenant): TenantView {
  const schedule = Schedule.safeParse(t.config.schedule);
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
  return {
    id: t.id,
    name: t.name,
    config: connectionFields(t),
    secretsSet: secretsSet(t).filter((n): n is SecretPath => (SECRET_PATHS as readonly string[]).includes(n)),
    schedule: schedule.success ? schedule.data : null,
    forgeInstallationId: str(t.config.forgeInstallationId),
    forgeCloudId: str(t.config.forgeCloudId),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

const SERVICE_KEYS = ["schedule", "forgeInstallationId", "forgeCloudId"] as const;

function getPath(obj: Record<string, unknown>, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/**
 * Checks a whole tenant input (connection fields and service fields). `env:NAME` secrets are refused unless
 * `allowEnvRefs`: over the API they would make the service read its own environment (its master key, say) into a
 * request sent to a host the caller chose.
 */
export function checkTenantInput(
  raw: Record<string, unknown>,
  opts: { where?: "body"; allowEnvRefs?: boolean } = {},
): FieldIssue[] {
  const where = opts.where ?? "body";
  const issues: FieldIssue[] = [];
  const shape = CreateTenantBody.safeParse(raw);
  if (!shape.success) issues.push(...fieldIssues(shape.error, where));
  const connection: Record<string, unknown> = { ...raw };
  for (const k of [...SERVICE_KEYS, ...SERVICE_SECRET_KEYS]) delete connection[k];
  const rules = ConfigInput.safeParse(connection);
  if (!rules.success) {
    for (const i of fieldIssues(rules.error, where)) {
      if (!issues.some((x) => x.path === i.path)) issues.push(i);
    }
  }
  if (!opts.allowEnvRefs) issues.push(...envRefIssues(raw, where));
  return issues;
}

/** Secrets written as `env:NAME`, refused over the API. */
export function envRefIssues(raw: Record<string, unknown>, where: "body" = "body"): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const path of SECRET_PATHS) {
    const v = getPath(raw, path);
    if (typeof v === "string" && v.startsWith("env:")) {
      issues.push({
        path: `${where}.${path}`,
        message: "env: references are only accepted in configuration files; send the secret itself",
      });
    }
  }
  return issues;
}

async function assertUnique(store: Store, raw: Record<string, unknown>, self: string | null): Promise<void> {
  const tenants = (await store.listTenants()).filter((t) => t.id !== self);
  if (typeof raw.name === "string" && tenants.some((t) => t.name === raw.name)) {
    throw new ApiError(409, "conflict", "body.name: another tenant has this name");
  }
  const inst = raw.forgeInstallationId;
  if (typeof inst === "string" && tenants.some((t) => t.config.forgeInstallationId === inst)) {
    throw new ApiError(409, "conflict", "body.forgeInstallationId: another tenant is bound to this installation");
  }
}

function seal(tenantId: string, raw: Record<string, unknown>, keyring: MasterKeyring) {
  const service: Record<string, unknown> = {};
  const connection: Record<string, unknown> = { ...raw };
  for (const k of SERVICE_KEYS) {
    if (connection[k] !== undefined) service[k] = connection[k];
    delete connection[k];
  }
  const sealed = sealConfig(tenantId, splitConfig(connection), keyring);
  return { config: { ...sealed.config, ...service }, secrets: sealed.secrets };
}

/** Creates a tenant from a checked input; secrets are sealed for the new tenant id before anything is stored. */
export async function createTenant(
  store: Store,
  keyring: MasterKeyring,
  raw: Record<string, unknown>,
  opts: { allowEnvRefs?: boolean } = {},
): Promise<Tenant> {
  const issues = checkTenantInput(raw, opts);
  if (issues.length > 0) throw validationError(issues);
  await assertUnique(store, raw, null);
  const id = randomUUID();
  const { config, secrets } = seal(id, raw, keyring);
  return store.createTenant({ id, name: raw.name as string, config, secrets });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** RFC 7386 merge: `null` removes, objects merge, anything else replaces. */
export function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (v === undefined) continue;
    else if (isPlainObject(v)) out[k] = mergePatch(isPlainObject(out[k]) ? out[k] : {}, v);
    else out[k] = v;
  }
  return out;
}

/** The names of the top-level fields (and `lifecycle.*`) a patch touches, for the audit log. */
export function patchedFields(patch: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (isPlainObject(v) && k === "lifecycle") for (const inner of Object.keys(v)) out.push(`${k}.${inner}`);
    else out.push(k);
  }
  return out.sort();
}

/** The tenant's whole input as stored: connection fields with secrets opened, plus service fields. */
function storedInput(tenant: Tenant, blob: Uint8Array | null, keyring: MasterKeyring): Record<string, unknown> {
  const raw: Record<string, unknown> = connectionFields(tenant);
  for (const k of SERVICE_KEYS) if (tenant.config[k] !== undefined) raw[k] = tenant.config[k];
  if (blob) {
    for (const [path, secret] of Object.entries(decryptSecrets(tenant.id, blob, keyring))) {
      const [head, tail] = path.split(".") as [string, string | undefined];
      if (!tail) raw[head] = secret.reveal();
      else raw[head] = { ...(isPlainObject(raw[head]) ? raw[head] : {}), [tail]: secret.reveal() };
    }
  }
  return raw;
}

/** Every problem the tenant's configuration would have with `patch` merged in (none: the patch can be stored). */
export async function tenantPatchIssues(
  store: Store,
  keyring: MasterKeyring,
  tenant: Tenant,
  patch: Record<string, unknown>,
): Promise<FieldIssue[]> {
  return (await mergeChecked(store, keyring, tenant, patch)).issues;
}

async function mergeChecked(store: Store, keyring: MasterKeyring, tenant: Tenant, patch: Record<string, unknown>) {
  const merged = mergePatch(storedInput(tenant, await store.getTenantSecrets(tenant.id), keyring), patch);
  const issues = [...checkTenantInput(merged, { allowEnvRefs: true }), ...envRefIssues(patch)];
  return { merged, issues };
}

/** Merges a (shape-checked) patch into a tenant, checks the result as a whole, re-seals and stores it. */
export async function patchTenant(
  store: Store,
  keyring: MasterKeyring,
  tenant: Tenant,
  patch: Record<string, unknown>,
): Promise<Tenant> {
  const { merged, issues } = await mergeChecked(store, keyring, tenant, patch);
  if (issues.length > 0) throw validationError(issues);
  await assertUnique(store, merged, tenant.id);
  const { config, secrets } = seal(tenant.id, merged, keyring);
  return store.updateTenant(tenant.id, { name: merged.name as string, config, secrets });
}
