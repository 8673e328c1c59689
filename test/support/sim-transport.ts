/**
 * Transports wired to an in-process simulator: the real shared `Transport` (pacing, retries, validation) over a
 * `send` that calls the simulator's Hono app directly, with each API's credentials. Sleeps are real but retry
 * delays default to a few milliseconds so fault tests stay fast.
 */
import { CircuitBreaker } from "@accessmap/shared/transport/circuit-breaker";
import { Governor } from "@accessmap/shared/transport/governor";
import {
  type RawRequest,
  type RawResponse,
  type Send,
  Transport,
  type TransportConfig,
} from "@accessmap/shared/transport/transport";
import { HOST_PREFIXES } from "../atlassian-sim/app.js";
import { ORIGIN, type TestSim } from "../atlassian-sim/testing.js";

/** A `send` that dispatches to the simulator app in-process. */
export function simSend(t: TestSim): Send {
  return async (req: RawRequest): Promise<RawResponse> => {
    const res = await t.app.request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: req.signal,
    });
    return { status: res.status, headers: res.headers, text: () => res.text() };
  };
}

export type SimProduct = "admin" | "scim" | "jira" | "confluence" | "bitbucket";

export interface SimTransportOptions extends Partial<TransportConfig> {
  /** Use the limited product user (Jira/Confluence) or the member consumer (Bitbucket). */
  limited?: boolean;
  governor?: Governor;
}

/** Base URL of each product on the in-process simulator. */
export function simBaseUrl(product: SimProduct): string {
  switch (product) {
    case "admin":
      return `${ORIGIN}${HOST_PREFIXES.adminApi}/admin`;
    case "scim":
      return `${ORIGIN}${HOST_PREFIXES.adminApi}/scim`;
    case "jira":
    case "confluence":
      return `${ORIGIN}${HOST_PREFIXES.site}`;
    case "bitbucket":
      return `${ORIGIN}${HOST_PREFIXES.bitbucketApi}`;
  }
}

/** A read-only transport for one product of the simulator, authenticated as that API expects. */
export function simTransport(t: TestSim, product: SimProduct, opts: SimTransportOptions = {}): Transport {
  const creds = () => t.sim.state.tenant.credentials;
  const governor =
    opts.governor ??
    new Governor({
      concurrency: 8,
      maxQueue: 10_000,
      clock: Date.now,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
  let bitbucketToken: string | null = null;
  const bitbucketAuth = async (): Promise<string> => {
    if (!bitbucketToken) {
      const consumer = opts.limited ? creds().bitbucketMemberConsumer : creds().bitbucketAdminConsumer;
      const res = await t.fetch(`${HOST_PREFIXES.bitbucket}/site/oauth2/access_token`, {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from(`${consumer.key}:${consumer.secret}`).toString("base64")}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: "grant_type=client_credentials",
      });
      bitbucketToken = ((await res.json()) as { access_token: string }).access_token;
    }
    return `Bearer ${bitbucketToken}`;
  };
  const authorization = (): string | Promise<string> => {
    switch (product) {
      case "admin":
        return `Bearer ${creds().adminApiKey}`;
      case "scim":
        return `Bearer ${creds().scimToken}`;
      case "jira":
      case "confluence": {
        const u = opts.limited ? creds().limitedProductUser : creds().productUser;
        return `Basic ${Buffer.from(`${u.email}:${u.token}`).toString("base64")}`;
      }
      case "bitbucket":
        return bitbucketAuth();
    }
  };
  return new Transport({
    product,
    baseUrl: simBaseUrl(product),
    send: simSend(t),
    authorization,
    refreshAuth:
      product === "bitbucket"
        ? async () => {
            bitbucketToken = null;
            return true;
          }
        : undefined,
    governor,
    breaker: new CircuitBreaker(product, 20, 30_000, Date.now),
    schemaMode: "throw",
    readOnly: true,
    retry: { baseDelayMs: 5, maxDelayMs: 50, deadlineMs: 60_000 },
    ...opts,
  });
}
