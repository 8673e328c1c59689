/**
 * One running simulator: the live tenant state plus the request log, rate limiter, fault injector and Bitbucket
 * token store that every API shares. Replaceable state lets a test reset the tenant without restarting the server.
 */
import { BitbucketTokenStore } from "./http/bitbucket-tokens.js";
import { FaultInjector } from "./http/faults.js";
import { RateLimiter } from "./http/rate-limit.js";
import { RequestLog } from "./http/request-log.js";
import { SimState } from "./state.js";
import type { SimTenant } from "./tenant/model.js";

/** A small seeded generator (splitmix32) for fault and latency draws, independent of the tenant generator's. */
function faultRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

/** See `SimContext.adminV1Legacy`. */
export type AdminV1LegacyMode = "gone" | "not-found" | "served";

export class SimContext {
  state: SimState;
  readonly log = new RequestLog();
  readonly limiter = new RateLimiter();
  readonly faults: FaultInjector;
  readonly bitbucketTokens = new BitbucketTokenStore();
  /**
   * How the Admin v1 lifecycle and search endpoints that Atlassian switched off after 2026-06-30 answer: `gone`
   * (410, the default), `not-found` (404), or `served` as the 2026-07-22 specification describes them.
   */
  adminV1Legacy: AdminV1LegacyMode = "gone";
  /**
   * Simulator-only stand-in for Forge's product proxy acting as a user (`asUser()`): when set, Jira and Confluence
   * also accept `Authorization: SimForgeUser <token> <accountId>` and answer as that account, its privileges taken
   * from the tenant (see `http/auth.ts`). Unset (the default, and always in the CLI server), the scheme is refused.
   * Real Forge never sends such a header: the proxy holds the user's token; this only lets tests act as any user.
   */
  forgeUserProxyToken: string | null = null;

  constructor(tenant: SimTenant, faultSeed = tenant.seed) {
    this.state = new SimState(tenant);
    this.faults = new FaultInjector(faultRandom(faultSeed));
  }

  /** Replaces the tenant and clears logs, limits, faults and tokens. */
  reset(tenant: SimTenant): void {
    this.state = new SimState(tenant);
    this.log.reset();
    this.limiter.reset();
    this.limiter.rules = [];
    this.faults.reset();
    this.bitbucketTokens.reset();
  }
}
