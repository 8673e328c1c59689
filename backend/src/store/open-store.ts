/**
 * Opens the store a URL names: `sqlite:<path>` (embedded, the default) or `postgres://…` (optionally
 * `?schema=<name>`). The default comes from `ACCESSMAP_STORE`, else `sqlite:.accessmap/accessmap.db`.
 */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { openPostgresStore } from "./postgres.js";
import { openSqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";

export const DEFAULT_STORE_URL = "sqlite:.accessmap/accessmap.db";

/** A store URL that cannot be used; the message says which form is expected. */
export class StoreUrlError extends Error {
  override name = "StoreUrlError";
}

/** The store URL in force: the argument, else `ACCESSMAP_STORE`, else the default SQLite file. */
export function storeUrlFrom(arg: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return arg ?? env.ACCESSMAP_STORE ?? DEFAULT_STORE_URL;
}

/** Opens (creating and migrating as needed) the store at `url`. */
export async function openStore(url: string): Promise<Store> {
  if (url.startsWith("sqlite:")) {
    const path = url.slice("sqlite:".length);
    if (!path) throw new StoreUrlError("store URL sqlite: needs a file path, e.g. sqlite:.accessmap/accessmap.db");
    if (path !== ":memory:") await mkdir(dirname(path), { recursive: true });
    return openSqliteStore({ path });
  }
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    const u = new URL(url);
    const schema = u.searchParams.get("schema") ?? undefined;
    u.searchParams.delete("schema");
    return openPostgresStore({ connectionString: u.toString(), schema });
  }
  throw new StoreUrlError(`store URL must start with sqlite: or postgres:// (got "${url.split(":")[0]}:")`);
}
