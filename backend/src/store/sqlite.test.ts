import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "vitest";
import { openSqliteStore } from "./sqlite.js";
import { describeStoreContract } from "./store.contract.js";

describe("SQLite store", () => {
  describeStoreContract("sqlite", async (clock) => {
    const dir = await mkdtemp(join(tmpdir(), "accessmap-store-"));
    const path = join(dir, "store.db");
    const store = await openSqliteStore({ path, now: clock.now });
    const others: Array<{ close(): Promise<void> }> = [];
    return {
      store,
      another: async () => {
        const s = await openSqliteStore({ path, now: clock.now });
        others.push(s);
        return s;
      },
      dispose: async () => {
        for (const o of others) await o.close();
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });
});
