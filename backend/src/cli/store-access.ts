/**
 * How CLI commands reach the store and pick a tenant: `--store URL` (else `ACCESSMAP_STORE`, else the default
 * SQLite file) and `--tenant NAME|ID` (optional when the store holds a single tenant).
 */
import { openStore, storeUrlFrom } from "../store/open-store.js";
import type { CurrentModel, Store, Tenant } from "../store/store.js";
import { UsageError } from "./usage-error.js";

/** Opens the store named by `--store`. */
export async function storeFromArgs(store: string | undefined): Promise<Store> {
  return openStore(storeUrlFrom(store));
}

/** The tenant named by `--tenant` (name or id), or the only one. */
export async function pickTenant(store: Store, name: string | undefined, help: string): Promise<Tenant> {
  const tenants = await store.listTenants();
  if (name) {
    const t = tenants.find((x) => x.id === name || x.name === name);
    if (!t)
      throw new UsageError(
        `no tenant "${name}" in the store (known: ${tenants.map((x) => x.name).join(", ") || "none"})`,
        help,
      );
    return t;
  }
  if (tenants.length === 1 && tenants[0]) return tenants[0];
  if (tenants.length === 0)
    throw new UsageError("the store holds no tenant yet: run `accessmap discover --config FILE` first", help);
  throw new UsageError(
    `the store holds several tenants; choose one with --tenant (${tenants.map((x) => x.name).join(", ")})`,
    help,
  );
}

/** The tenant's current model, or a usage error saying how to get one. */
export async function currentModel(store: Store, tenant: Tenant, help: string): Promise<CurrentModel> {
  const current = await store.getCurrentModel(tenant.id);
  if (!current)
    throw new UsageError(`tenant "${tenant.name}" has no current model yet: run \`accessmap discover\``, help);
  return current;
}
