/**
 * Bitbucket OAuth 2.0 client-credentials tokens (Bitbucket API "Authentication methods"): fetched with the
 * consumer's key and secret as HTTP Basic, cached until shortly before `expires_in`, refreshed on expiry or when
 * the API answers 401. The token request goes through its own transport instance, so it is paced and retried by
 * the same rules as every other call.
 */
import { CircuitBreaker } from "@accessmap/shared/transport/circuit-breaker";
import { Governor } from "@accessmap/shared/transport/governor";
import { type CallEvent, type Send, Transport } from "@accessmap/shared/transport/transport";
import { z } from "zod";
import type { Secret } from "../../config/secret.js";

const TokenResponse = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
  refresh_token: z.string().optional(),
  scopes: z.string().optional(),
});

export interface TokenProviderOptions {
  tokenUrl: string;
  key: string;
  secret: Secret;
  send: Send;
  clock?: () => number;
  /** Reports the token request like every other call (product `bitbucket-oauth`). */
  onCall?: (e: CallEvent) => void;
}

/** Renew this long before the stated expiry, so a request never leaves with a token about to lapse. */
const EARLY_RENEWAL_MS = 60_000;

export class BitbucketTokenProvider {
  private token: { value: string; expiresAt: number; refresh: string | null } | null = null;
  private pending: Promise<string> | null = null;
  private readonly transport: Transport;
  private readonly clock: () => number;
  private readonly path: string;
  /** Tokens fetched so far (for tests and the benchmark). */
  fetched = 0;

  constructor(opts: TokenProviderOptions) {
    this.clock = opts.clock ?? Date.now;
    const url = new URL(opts.tokenUrl);
    this.path = url.pathname;
    this.transport = new Transport({
      product: "bitbucket-oauth",
      baseUrl: url.origin,
      send: opts.send,
      governor: new Governor({
        concurrency: 1,
        maxQueue: 1000,
        clock: this.clock,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      }),
      breaker: new CircuitBreaker("bitbucket-oauth", 5, 30_000, this.clock),
      schemaMode: "throw",
      readOnly: true,
      authorization: () => `Basic ${Buffer.from(`${opts.key}:${opts.secret.reveal()}`).toString("base64")}`,
      clock: this.clock,
      retry: { baseDelayMs: 500, maxDelayMs: 5_000 },
      onCall: opts.onCall,
    });
  }

  /** The Authorization header value, fetching or renewing the token when needed. */
  async authorization(): Promise<string> {
    if (!this.token || this.token.expiresAt - EARLY_RENEWAL_MS <= this.clock()) await this.renew();
    return `Bearer ${this.token?.value}`;
  }

  /** Forces a new token after a 401 (expired or revoked); true when one was obtained. */
  async refresh(): Promise<boolean> {
    this.token = null;
    await this.renew();
    return this.token !== null;
  }

  private async renew(): Promise<string> {
    // One token request at a time, however many readers ask at once.
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async fetchToken(): Promise<string> {
    const { data } = await this.transport.request({
      method: "POST",
      readOnlyPost: true,
      path: this.path,
      form: { grant_type: "client_credentials" },
      schema: TokenResponse,
      endpoint: "POST /site/oauth2/access_token",
    });
    this.fetched += 1;
    this.token = {
      value: data.access_token,
      expiresAt: this.clock() + data.expires_in * 1000,
      refresh: data.refresh_token ?? null,
    };
    return data.access_token;
  }
}
