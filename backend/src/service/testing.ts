/**
 * Test helpers: the service over an in-memory SQLite store, with a fresh master key, an operator token, every log
 * line captured, and every JSON answer checked against its contract.
 */
import { randomBytes } from "node:crypto";
import { MasterKeyring } from "../security/envelope.js";
import { createLogger } from "../security/logger.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { createService, type Service } from "./app.js";
import type { ServiceContext } from "./services.js";

export const TEST_OPERATOR_TOKEN = "op-token-0123456789abcdefghijklmnopqrstuvwxyz";

export interface TestService extends Service {
  store: Store;
  keyring: MasterKeyring;
  logs: string[];
  operator: string;
  /** A request to the app; `token` becomes `Authorization: Bearer <token>`, `json` the JSON body. */
  call(
    method: string,
    path: string,
    opts?: { token?: string | null; json?: unknown; body?: string; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
}

export async function testService(overrides: Partial<ServiceContext> = {}): Promise<TestService> {
  const store = overrides.store ?? (await openSqliteStore({ path: ":memory:" }));
  const keyring = MasterKeyring.from([{ id: "test", key: randomBytes(32) }]);
  const logs: string[] = [];
  const service = createService({
    store,
    keyring,
    logger: createLogger({ level: "trace", write: (line) => void logs.push(line) }),
    operatorToken: TEST_OPERATOR_TOKEN,
    validateResponses: true,
    ...overrides,
  });
  return {
    ...service,
    store,
    keyring,
    logs,
    operator: TEST_OPERATOR_TOKEN,
    call: (method, path, opts = {}) => {
      const headers = new Headers(opts.headers);
      const token = opts.token === undefined ? TEST_OPERATOR_TOKEN : opts.token;
      if (token !== null) headers.set("authorization", `Bearer ${token}`);
      let body: string | undefined = opts.body;
      if (opts.json !== undefined) {
        body = JSON.stringify(opts.json);
        if (!headers.has("content-type")) headers.set("content-type", "application/json");
      }
      return Promise.resolve(service.app.request(path, { method, headers, body }));
    },
    close: () => store.close(),
  };
}

/** A minimal valid tenant body (Jira and Confluence with the product user's token). */
export function tenantBody(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    atlassianUrl: "acme.atlassian.net",
    products: ["jira", "confluence"],
    productUser: "integration@acme.example",
    productToken: "product-token-value",
    ...extra,
  };
}
