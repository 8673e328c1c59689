/**
 * Builds the transports one discovery run uses, from a checked configuration: one governor for the whole tenant
 * (so concurrent readers share each API's budget), one circuit breaker per product, and each API's credentials.
 */
import { CircuitBreaker } from "@accessmap/shared/transport/circuit-breaker";
import { Governor } from "@accessmap/shared/transport/governor";
import { type CallEvent, type Send, Transport, type TransportConfig } from "@accessmap/shared/transport/transport";
import type { Config } from "../config/load.js";
import { BitbucketTokenProvider } from "../connectors/bitbucket/oauth.js";

export type SourceName = "admin" | "scim" | "jira" | "confluence" | "bitbucket";

export interface TransportDeps {
  send: Send;
  schemaMode: "warn" | "throw";
  onCall?: (e: CallEvent) => void;
  warn?: (message: string, fields: Record<string, unknown>) => void;
  clock?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  retry?: TransportConfig["retry"];
}

/** The transports of every source the configuration enables, and the governor they share. */
export function buildTransports(
  config: Config,
  deps: TransportDeps,
): { transports: Partial<Record<SourceName, Transport>>; governor: Governor } {
  const clock = deps.clock ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const governor = new Governor({ concurrency: config.concurrency, maxQueue: 100_000, clock, sleep });
  const common = (product: SourceName, baseUrl: string): TransportConfig => ({
    product,
    baseUrl,
    send: deps.send,
    governor,
    breaker: new CircuitBreaker(product, 20, 30_000, clock),
    schemaMode: deps.schemaMode,
    readOnly: true,
    onCall: deps.onCall,
    warn: deps.warn,
    clock,
    sleep,
    retry: deps.retry,
  });
  const out: Partial<Record<SourceName, Transport>> = {};
  if (config.adminApiKey) {
    const key = config.adminApiKey;
    out.admin = new Transport({
      ...common("admin", `${config.adminApiUrl}/admin`),
      authorization: () => `Bearer ${key.reveal()}`,
    });
  }
  if (config.lifecycle.scimUrl && config.lifecycle.scimToken) {
    const token = config.lifecycle.scimToken;
    out.scim = new Transport({
      ...common("scim", config.lifecycle.scimUrl),
      authorization: () => `Bearer ${token.reveal()}`,
    });
  }
  // With `forge` site access the backend never calls Jira or Confluence: the Forge app's crawl delivers them.
  if (config.siteAccess === "api-token" && config.siteUrl && config.productUser && config.productToken) {
    const basic = `Basic ${Buffer.from(`${config.productUser}:${config.productToken.reveal()}`).toString("base64")}`;
    for (const product of ["jira", "confluence"] as const) {
      if (config.products.includes(product))
        out[product] = new Transport({ ...common(product, config.siteUrl), authorization: () => basic });
    }
  }
  if (config.bitbucket && config.products.includes("bitbucket")) {
    const tokens = new BitbucketTokenProvider({
      tokenUrl: `${config.bitbucketUrl}/site/oauth2/access_token`,
      key: config.bitbucket.key,
      secret: config.bitbucket.secret,
      send: deps.send,
      clock,
      onCall: deps.onCall,
    });
    out.bitbucket = new Transport({
      ...common("bitbucket", config.bitbucketApiUrl),
      authorization: () => tokens.authorization(),
      refreshAuth: () => tokens.refresh(),
    });
  }
  return { transports: out, governor };
}
