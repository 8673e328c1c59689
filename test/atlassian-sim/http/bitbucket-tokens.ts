/**
 * Bitbucket OAuth access tokens issued by the simulated client-credentials grant. They expire after `ttlSeconds`
 * (the real ones announce `expires_in`), so clients must refresh them.
 */
import { randomBytes } from "node:crypto";

export interface IssuedToken {
  accessToken: string;
  refreshToken: string;
  consumerKey: string;
  expiresAt: number;
}

export class BitbucketTokenStore {
  private readonly byAccess = new Map<string, IssuedToken>();
  private readonly byRefresh = new Map<string, IssuedToken>();
  /** Lifetime of new tokens. */
  ttlSeconds = 3600;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Issues a fresh access/refresh token pair for a consumer. */
  issue(consumerKey: string): IssuedToken {
    const token: IssuedToken = {
      accessToken: randomBytes(24).toString("base64url"),
      refreshToken: randomBytes(16).toString("base64url"),
      consumerKey,
      expiresAt: this.clock() + this.ttlSeconds * 1000,
    };
    this.byAccess.set(token.accessToken, token);
    this.byRefresh.set(token.refreshToken, token);
    return token;
  }

  /** The token record, or `expired` / `unknown`. */
  lookup(accessToken: string): IssuedToken | "expired" | "unknown" {
    const t = this.byAccess.get(accessToken);
    if (!t) return "unknown";
    return t.expiresAt <= this.clock() ? "expired" : t;
  }

  /** Exchanges a refresh token for a new pair; the old refresh token stays valid, as Bitbucket's does. */
  refresh(refreshToken: string): IssuedToken | null {
    const old = this.byRefresh.get(refreshToken);
    return old ? this.issue(old.consumerKey) : null;
  }

  /** Expires every issued token now (for tests of refresh handling). */
  expireAll(): void {
    for (const t of this.byAccess.values()) t.expiresAt = 0;
  }

  reset(): void {
    this.byAccess.clear();
    this.byRefresh.clear();
  }
}
