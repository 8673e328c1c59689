import { beforeAll, describe } from "vitest";
import { openPostgresStore } from "./postgres.js";
import { describeStoreContract } from "./store.contract.js";
import { dropSchema, requirePostgres, TEST_PG_URL, testSchemaName } from "./testing/pg.js";

describe("PostgreSQL store", () => {
  // An unreachable server fails the suite; it is never skipped.
  beforeAll(requirePostgres);

  describeStoreContract("postgres", async (clock) => {
    const schema = testSchemaName();
    const open = () => openPostgresStore({ connectionString: TEST_PG_URL, schema, now: clock.now });
    const store = await open();
    const others: Array<{ close(): Promise<void> }> = [];
    return {
      store,
      another: async () => {
        const s = await open();
        others.push(s);
        return s;
      },
      dispose: async () => {
        for (const o of others) await o.close();
        await store.close();
        await dropSchema(schema);
      },
    };
  });
});
