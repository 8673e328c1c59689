/**
 * Forge installations and their tenants: registration when the app is installed, and deletion when it is
 * uninstalled.
 *
 * - **Registration** (the install trigger calls it with the installation's product, site URL and cloud id). An
 *   installation already bound to a tenant is idempotent: the product is added to the tenant's products if missing.
 *   An unbound one gets a new tenant of its own when auto-registration is on (`ACCESSMAP_FORGE_AUTO_REGISTER`,
 *   default on: how a Marketplace backend serves every site that installs the app), named after the site host,
 *   with `siteAccess: "forge"` (the app reads Jira and Confluence; no token is needed) and pinned to the token's
 *   cloud id. With auto-registration off it is refused (403): an operator binds the installation id to a tenant.
 * - **Uninstall** (the manifest's `preUninstall`): the tenant bound to the installation is deleted with everything
 *   it owns — configuration and sealed secrets, snapshots and models, jobs, API keys, crawl batches, cursors.
 *   Customer data is not kept after an uninstall; a reinstall registers again and the app crawls again. The audit
 *   log is kept (it holds actors, actions and field names, never configuration values or secrets), as for any
 *   deleted tenant. A second call finds nothing to delete and is harmless.
 *
 * @module
 */
import type { RegisterInstallation } from "@accessmap/shared/wire/admin";
import type { Logger } from "../security/logger.js";
import type { Tenant } from "../store/store.js";
import { ApiError, forbidden, validationError } from "./errors.js";
import type { Services } from "./services.js";
import { connectionFields } from "./tenant-config.js";
import { createTenant, patchTenant } from "./tenants.js";

export interface InstallationIds {
  installationId: string;
  /** The cloud id the invocation token carries (signed), if any. */
  cloudId: string | null;
}

/** The name of a new installation's tenant: the site host, made unique among the tenants. */
async function tenantName(services: Services, ids: InstallationIds, siteUrl: string | null): Promise<string> {
  const base = siteUrl ? new URL(siteUrl).host : `forge ${ids.cloudId ?? ids.installationId.split("/").pop()}`;
  const taken = new Set((await services.store.listTenants()).map((t) => t.name));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base} (${n})`)) return `${base} (${n})`;
}

/**
 * Registers an installation: binds it to a new tenant (201 `created`), or confirms the tenant it is bound to
 * (`created: false`, the product added when missing). 403 when it is unbound and auto-registration is off.
 */
export async function registerInstallation(
  services: Services,
  bound: Tenant | null,
  ids: InstallationIds,
  body: RegisterInstallation,
  actor: string,
  requestId: string,
): Promise<{ tenant: Tenant; created: boolean }> {
  // The token's cloud id is signed; the body's only repeats it. A mismatch is a confused caller, not a new site.
  if (ids.cloudId && body.cloudId && ids.cloudId !== body.cloudId) {
    throw validationError([{ path: "body.cloudId", message: "does not match the invocation token's cloud id" }]);
  }
  const cloudId = ids.cloudId ?? body.cloudId;
  if (bound) {
    const products = connectionFields(bound).products;
    const list = Array.isArray(products) ? (products as string[]) : [];
    if (list.includes(body.product)) return { tenant: bound, created: false };
    let tenant: Tenant;
    try {
      tenant = await patchTenant(services.store, services.keyring, bound, { products: [...list, body.product] });
    } catch (err) {
      if (err instanceof ApiError && err.code === "validation_failed") {
        throw new ApiError(
          409,
          "not_configured",
          `${body.product} cannot be added to this tenant's products as it is configured: ${err.message}`,
        );
      }
      throw err;
    }
    await services.store.appendAudit({
      tenantId: tenant.id,
      actor,
      action: "forge.installation.register",
      target: `tenant:${tenant.id}`,
      result: "ok",
      requestId,
      details: { installationId: ids.installationId, created: false, addedProduct: body.product },
    });
    return { tenant, created: false };
  }
  if (!services.forgeAutoRegister) {
    throw forbidden(
      `this Forge installation is not registered and automatic registration is off: an operator binds installation ${ids.installationId} to a tenant (forgeInstallationId)`,
    );
  }
  const input: Record<string, unknown> = {
    name: await tenantName(services, ids, body.siteUrl),
    products: [body.product],
    siteAccess: "forge",
    forgeInstallationId: ids.installationId,
    ...(body.siteUrl ? { atlassianUrl: body.siteUrl } : {}),
    ...(cloudId ? { forgeCloudId: cloudId } : {}),
  };
  const tenant = await createTenant(services.store, services.keyring, input);
  services.forgeIndex.invalidate();
  await services.store.appendAudit({
    tenantId: tenant.id,
    actor,
    action: "forge.installation.register",
    target: `tenant:${tenant.id}`,
    result: "ok",
    requestId,
    details: {
      installationId: ids.installationId,
      created: true,
      product: body.product,
      fields: Object.keys(input).sort(),
    },
  });
  return { tenant, created: true };
}

/** Deletes the installation's tenant and everything it owns; nothing to do when none is bound. */
export async function uninstallInstallation(
  services: Services,
  bound: Tenant | null,
  ids: InstallationIds,
  actor: string,
  requestId: string,
  log: Logger,
): Promise<{ deleted: boolean }> {
  if (!bound) {
    log.info("forge uninstall: no tenant is bound to the installation; nothing to delete", {
      installationId: ids.installationId,
    });
    return { deleted: false };
  }
  const deleted = await services.store.deleteTenant(bound.id);
  services.models.invalidate(bound.id);
  services.forgeIndex.invalidate();
  if (deleted) {
    await services.store.appendAudit({
      tenantId: bound.id,
      actor,
      action: "forge.installation.uninstall",
      target: `tenant:${bound.id}`,
      result: "ok",
      requestId,
      details: { installationId: ids.installationId },
    });
  }
  log.info("forge uninstall: the tenant and its data were deleted", {
    installationId: ids.installationId,
    tenantId: bound.id,
    deleted,
  });
  return { deleted };
}
