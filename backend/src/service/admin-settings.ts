/**
 * The Forge admin page's settings form over a tenant's configuration: the view the page shows (`AdminSettings`,
 * secrets only as names in `secretsSet`), and a save (`SaveSettings`) checked twice — the form's cross-field rules
 * (`settingsProblems`, the same the page runs inline) and the whole tenant configuration check — then merged,
 * sealed and stored like a tenant PATCH.
 *
 * A save answers 422 naming every field at fault by its form name (`lifecycle.scimUrl`), never a value. A secret
 * left out keeps its sealed value, `null` removes it, a string replaces it; empty plain fields mean "not set".
 *
 * @module
 */
import {
  AdminProduct,
  type AdminSettings,
  type FieldProblem,
  type SaveSettings,
  SECRET_FIELDS,
  type SecretField,
  settingsProblems,
} from "@accessmap/shared/wire/admin";
import type { MasterKeyring } from "../security/envelope.js";
import type { Store, Tenant } from "../store/store.js";
import { type FieldIssue, unprocessable } from "./errors.js";
import { connectionFields, secretsSet } from "./tenant-config.js";
import { patchTenant, tenantPatchIssues } from "./tenants.js";

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const record = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The tenant's configuration as the settings form shows it. */
export function adminSettingsOf(tenant: Tenant): AdminSettings {
  const c = connectionFields(tenant);
  const lifecycle = record(c.lifecycle);
  const products = Array.isArray(c.products) ? c.products : [];
  return {
    products: products.filter((p): p is AdminProduct => AdminProduct.safeParse(p).success),
    orgId: str(c.orgId),
    workspace: str(c.workspace),
    bitbucketOAuthKey: str(c.bitbucketOAuthKey),
    skipBranchProtectionDiscovery: c.skipBranchProtectionDiscovery === true,
    lifecycle: {
      enabled: lifecycle.enabled === true,
      scimUrl: str(lifecycle.scimUrl),
      scimOrgId: str(lifecycle.scimOrgId),
    },
    secretsSet: secretsSet(tenant).filter((n): n is SecretField => (SECRET_FIELDS as readonly string[]).includes(n)),
    siteAccess: c.siteAccess === "forge" ? "forge" : "api-token",
  };
}

/** `""` → null (remove the field), anything else as given. */
const plain = (v: string): string | null => (v === "" ? null : v);

/** The merge patch (`PATCH /v1/tenants/{id}` semantics) a saved form makes. */
export function settingsPatch(s: SaveSettings): Record<string, unknown> {
  const patch: Record<string, unknown> = {
    products: s.products,
    orgId: plain(s.orgId),
    workspace: plain(s.workspace),
    bitbucketOAuthKey: plain(s.bitbucketOAuthKey),
    skipBranchProtectionDiscovery: s.skipBranchProtectionDiscovery,
  };
  const lifecycle: Record<string, unknown> = {
    enabled: s.lifecycle.enabled,
    scimUrl: plain(s.lifecycle.scimUrl),
    scimOrgId: plain(s.lifecycle.scimOrgId),
  };
  // A secret left out (undefined) is not in the patch, so the stored one stays.
  if (s.adminApiKey !== undefined) patch.adminApiKey = s.adminApiKey;
  if (s.bitbucketOAuthSecret !== undefined) patch.bitbucketOAuthSecret = s.bitbucketOAuthSecret;
  if (s.lifecycle.scimToken !== undefined) lifecycle.scimToken = s.lifecycle.scimToken;
  patch.lifecycle = lifecycle;
  return patch;
}

/** The form fields a save changes (names only, for the audit log). */
export function changedFields(before: AdminSettings, s: SaveSettings): string[] {
  const out: string[] = [];
  const differs = (field: string, was: unknown, now: unknown) => {
    if (was !== now) out.push(field);
  };
  const sorted = (xs: readonly string[]) => [...new Set(xs)].sort().join(",");
  differs("products", sorted(before.products), sorted(s.products));
  differs("orgId", before.orgId ?? "", s.orgId);
  differs("workspace", before.workspace ?? "", s.workspace);
  differs("bitbucketOAuthKey", before.bitbucketOAuthKey ?? "", s.bitbucketOAuthKey);
  differs("skipBranchProtectionDiscovery", before.skipBranchProtectionDiscovery, s.skipBranchProtectionDiscovery);
  differs("lifecycle.enabled", before.lifecycle.enabled, s.lifecycle.enabled);
  differs("lifecycle.scimUrl", before.lifecycle.scimUrl ?? "", s.lifecycle.scimUrl);
  differs("lifecycle.scimOrgId", before.lifecycle.scimOrgId ?? "", s.lifecycle.scimOrgId);
  const secret = (field: SecretField, v: string | null | undefined) => {
    // A new value always counts as a change: the stored one is not opened to compare.
    if (typeof v === "string" || (v === null && before.secretsSet.includes(field))) out.push(field);
  };
  secret("adminApiKey", s.adminApiKey);
  secret("bitbucketOAuthSecret", s.bitbucketOAuthSecret);
  secret("lifecycle.scimToken", s.lifecycle.scimToken);
  return out.sort();
}

/** A configuration-check issue (`body.lifecycle.scimUrl`) under its form name (`lifecycle.scimUrl`). */
function formIssue(i: FieldIssue): FieldIssue {
  const path = i.path === "body" ? "(form)" : i.path.replace(/^body\./, "");
  return { path, message: i.message };
}

/**
 * Checks a saved form against the stored configuration and stores it: 422 naming every bad field (the form's rules
 * first, then the tenant configuration check), else the updated tenant and the fields that changed.
 */
export async function saveSettings(
  store: Store,
  keyring: MasterKeyring,
  tenant: Tenant,
  form: SaveSettings,
): Promise<{ tenant: Tenant; changed: string[] }> {
  const before = adminSettingsOf(tenant);
  const patch = settingsPatch(form);
  const problems: FieldProblem[] = settingsProblems(form, before.secretsSet);
  const issues: FieldIssue[] = problems.map((p) => ({ path: p.field, message: p.message }));
  for (const i of (await tenantPatchIssues(store, keyring, tenant, patch)).map(formIssue)) {
    if (!issues.some((x) => x.path === i.path)) issues.push(i);
  }
  if (issues.length > 0) throw unprocessable(issues);
  const updated = await patchTenant(store, keyring, tenant, patch);
  return { tenant: updated, changed: changedFields(before, form) };
}
