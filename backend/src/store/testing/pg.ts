/**
 * PostgreSQL for tests: each test gets its own schema (`accessmap_test_<random>`), dropped afterwards. The server is
 * `ACCESSMAP_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`, trust auth, as CI starts it). An
 * unreachable server fails the suite: it is never skipped.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const TEST_PG_URL = process.env.ACCESSMAP_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export function testSchemaName(): string {
  return `accessmap_test_${randomBytes(6).toString("hex")}`;
}

async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Throws, with what to do, when the test server cannot be reached. */
export async function requirePostgres(): Promise<void> {
  try {
    await withClient((c) => c.query("SELECT 1"));
  } catch (err) {
    throw new Error(
      `PostgreSQL is required for this suite and is not reachable at ${TEST_PG_URL.replace(/:[^:@/]*@/, ":***@")} ` +
        `(${(err as Error).message}). Start it, or set ACCESSMAP_TEST_PG_URL.`,
    );
  }
}

export async function dropSchema(schema: string): Promise<void> {
  if (!/^accessmap_test_[0-9a-f]+$/.test(schema)) throw new Error(`refusing to drop ${schema}`);
  await withClient((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}
