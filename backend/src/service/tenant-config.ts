/**
 * How a tenant's connection configuration is kept: the non-secret fields as plain JSON in the store, the secret
 * fields encrypted with the tenant's envelope (AES-256-GCM, tenant-bound). Secrets are write-only: they are never
 * returned, only reported as set.
 */
import { type Config, parseConfig } from "../config/load.js";
import { ConfigInput } from "../config/schema.js";
import { decryptSecrets, encryptSecrets, type MasterKeyring } from "../security/envelope.js";
import type { Store, Tenant } from "../store/store.js";

/** The secret fields of a connection configuration, by their path in it. */
export const SECRET_PATHS = [
  "adminApiKey",
  "productToken",
  "bitbucketOAuthSecret",
  "lifecycle.scimToken",
  "bitbucketWebhookSecret",
  "bitbucketWebhookSecretPrevious",
] as const;
export type SecretPath = (typeof SECRET_PATHS)[number];

/**
 * Secrets the service keeps for itself rather than for a connection (the Bitbucket webhook secret, and the previous
 * one during a rotation window, W8): sealed like the others, never part of the connection configuration.
 */
export const SERVICE_SECRET_PATHS = ["bitbucketWebhookSecret", "bitbucketWebhookSecretPrevious"] as const;

/**
 * Keys the service keeps in a tenant's stored configuration beside the connection fields: the list of secrets set,
 * the sync schedule (`{ everyMinutes }`) and the Forge installation binding. They are not connection fields, so
 * {@link loadTenantConfig} leaves them out.
 */
export const SERVICE_CONFIG_KEYS = ["secretsSet", "schedule", "forgeInstallationId", "forgeCloudId"] as const;

/** The stored connection fields of a tenant (no service keys, no secrets). */
export function connectionFields(tenant: Tenant): Record<string, unknown> {
  const plain: Record<string, unknown> = { ...tenant.config };
  for (const key of SERVICE_CONFIG_KEYS) delete plain[key];
  return plain;
}

/** A configuration split into what may be stored in clear and what must be encrypted. */
export interface SplitConfig {
  plain: Record<string, unknown>;
  secrets: Partial<Record<SecretPath, string>>;
}

function take(obj: Record<string, unknown>, path: string): unknown {
  const [head, tail] = path.split(".") as [string, string | undefined];
  if (!tail) {
    const v = obj[head];
    delete obj[head];
    return v;
  }
  const inner = obj[head];
  if (!inner || typeof inner !== "object") return undefined;
  const v = (inner as Record<string, unknown>)[tail];
  delete (inner as Record<string, unknown>)[tail];
  return v;
}

/** Splits a raw configuration (as given to the API or in a file) into plain and secret parts. */
export function splitConfig(input: Record<string, unknown>): SplitConfig {
  const plain = structuredClone(input);
  const secrets: SplitConfig["secrets"] = {};
  for (const path of SECRET_PATHS) {
    const v = take(plain, path);
    if (typeof v === "string" && v.length > 0) secrets[path] = v;
  }
  return { plain, secrets };
}

/** Puts secrets back into a plain configuration (for validation and use, never for output). */
export function joinConfig(
  plain: Record<string, unknown>,
  secrets: Partial<Record<SecretPath, string>>,
): Record<string, unknown> {
  const out = structuredClone(plain);
  for (const [path, value] of Object.entries(secrets)) {
    const [head, tail] = path.split(".") as [string, string | undefined];
    if (!tail) out[head] = value;
    else out[head] = { ...((out[head] as Record<string, unknown> | undefined) ?? {}), [tail]: value };
  }
  return out;
}

/** Which secrets a stored tenant has (names only), for display: "set" or absent. */
export function secretsSet(tenant: Tenant): string[] {
  const list = tenant.config.secretsSet;
  return Array.isArray(list) ? list.filter((x): x is string => typeof x === "string") : [];
}

/** Encrypts the secrets of a configuration for `tenantId`; the plain part records which secrets are set. */
export function sealConfig(
  tenantId: string,
  split: SplitConfig,
  keyring: MasterKeyring,
): { config: Record<string, unknown>; secrets: Uint8Array | null } {
  const names = Object.keys(split.secrets).sort();
  return {
    config: { ...split.plain, secretsSet: names },
    secrets: names.length > 0 ? encryptSecrets(tenantId, split.secrets as Record<string, string>, keyring) : null,
  };
}

/** Validates a raw configuration without resolving `env:` secrets into values (they may only exist at sync time). */
export function checkConfigInput(raw: unknown): ReturnType<typeof ConfigInput.safeParse> {
  return ConfigInput.safeParse(raw);
}

/** The checked configuration of a stored tenant, its secrets decrypted, ready for a sync. */
export async function loadTenantConfig(store: Store, keyring: MasterKeyring, tenant: Tenant): Promise<Config> {
  const blob = await store.getTenantSecrets(tenant.id);
  const secrets: Partial<Record<SecretPath, string>> = {};
  if (blob) {
    for (const [name, secret] of Object.entries(decryptSecrets(tenant.id, blob, keyring))) {
      if ((SERVICE_SECRET_PATHS as readonly string[]).includes(name)) continue;
      secrets[name as SecretPath] = secret.reveal();
    }
  }
  return parseConfig(joinConfig(connectionFields(tenant), secrets), `tenant ${tenant.name}`);
}

/** The tenant's Bitbucket webhook secrets, current first (and the previous one during a rotation); [] when none. */
export async function loadWebhookSecrets(store: Store, keyring: MasterKeyring, tenant: Tenant): Promise<string[]> {
  const blob = await store.getTenantSecrets(tenant.id);
  if (!blob) return [];
  const secrets = decryptSecrets(tenant.id, blob, keyring);
  return SERVICE_SECRET_PATHS.map((p) => secrets[p]?.reveal()).filter((v): v is string => typeof v === "string");
}
