/**
 * Forge Invocation Token (FIT) verification for Forge Remote calls (reliability cases J1–J10).
 *
 * Forge signs every remote invocation with a short-lived JWT (`Authorization: Bearer <FIT>`). This module checks
 * it with `jose` and the lessons from hono's JWT advisories (style-examples A1):
 *
 * - **Keys** come from Forge's JWKS through a cached `createRemoteJWKSet` (`cacheMaxAge`, `cooldownDuration`,
 *   `timeoutDuration`): an unknown `kid` triggers at most one refetch per cooldown (J7). When the endpoint is down
 *   or slow, the last good key set keeps being used and further fetch attempts wait out the cooldown (J8).
 * - **Algorithms** come from an allowlist of asymmetric algorithms fixed by configuration, never from the token;
 *   `none` and HS* are refused at construction and at verification, before any key is fetched (J3). The key set
 *   only yields a key whose JWK `alg` equals the header `alg` (J4).
 * - **Issuer** is pinned to `forge/invocation-token` (J6) and **audience** to our app id from configuration,
 *   never read from the token (J2).
 * - **`exp`** is required and must be a finite number in the future (`"9999999999"`, `1e400` and absence fail).
 * - **Claims** are then parsed with zod; `app.apiBaseUrl` (and every `app.installation.contexts[].apiBaseUrl`) must
 *   be `https` on an Atlassian host, or a host allowlisted by configuration (the simulator), so a token cannot
 *   steer our outbound calls elsewhere (J10).
 * - **Tenant**: the installation and cloud ids must map to a known tenant through a callback (J9).
 *
 * Errors, for the HTTP layer: {@link FitAuthError} → 401, {@link FitTenantUnknownError} → 403 (and audit),
 * {@link FitKeysUnavailableError} → 503. All carry `status`. Anything else (a resolver failure) is a 500.
 *
 * @module
 */
import {
  type CryptoKey,
  createLocalJWKSet,
  createRemoteJWKSet,
  type ExportedJWKSCache,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTPayload,
  errors as joseErrors,
  jwksCache,
  jwtVerify,
} from "jose";
import { z } from "zod";

/** Forge's production JWKS (forge-offline.md §4). */
export const FORGE_JWKS_URL = "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json";
export const FIT_ISSUER = "forge/invocation-token";

/** Asymmetric JWS algorithms this module can be configured with. HS* and `none` are deliberately absent. */
export const ASYMMETRIC_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

/** Hosts under which `apiBaseUrl` may point (any subdomain; the bare domain is not an API host). */
export const ATLASSIAN_API_DOMAINS = ["atlassian.com", "atlassian.net", "atlassian-dev.net"] as const;

/** FITs are small; anything much larger is refused before parsing. */
const MAX_TOKEN_LENGTH = 16 * 1024;

// ---------------------------------------------------------------------------------------------------------------
// Errors

export type FitRejection =
  | "missing-token"
  | "malformed"
  | "algorithm"
  | "key-not-found"
  | "signature"
  | "issuer"
  | "audience"
  | "expired"
  | "not-yet-valid"
  | "claims"
  | "api-base-url";

/** Base class of FIT failures; `status` is the HTTP answer. */
export abstract class FitError extends Error {
  abstract readonly status: 401 | 403 | 503;
}

/** The token is missing, malformed, badly signed or carries claims we do not accept: answer 401. */
export class FitAuthError extends FitError {
  readonly status = 401 as const;
  constructor(
    readonly reason: FitRejection,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "FitAuthError";
  }
}

/** A valid FIT from an installation we do not know: answer 403 and audit (J9). */
export class FitTenantUnknownError extends FitError {
  readonly status = 403 as const;
  constructor(
    readonly installationId: string,
    readonly cloudId: string | null,
  ) {
    super(`installation ${installationId}${cloudId ? ` (cloud ${cloudId})` : ""} is not registered`);
    this.name = "FitTenantUnknownError";
  }
}

/** No signing keys could be obtained (JWKS unreachable and nothing cached): answer 503. */
export class FitKeysUnavailableError extends FitError {
  readonly status = 503 as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "FitKeysUnavailableError";
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Claims

const nonEmpty = z.string().min(1);

const InstallationContext = z.looseObject({
  name: z.string().optional(),
  apiBaseUrl: z.string().optional(),
  cloudId: z.string().optional(),
  workspaceId: z.string().optional(),
});

/** The FIT claims we rely on; unknown fields pass through (Forge adds fields over time). */
export const FitClaims = z.looseObject({
  iss: z.literal(FIT_ISSUER),
  aud: z.union([nonEmpty, z.array(nonEmpty).min(1)]),
  exp: z.number().refine(Number.isFinite, "exp must be finite"),
  iat: z.number().refine(Number.isFinite).optional(),
  nbf: z.number().refine(Number.isFinite).optional(),
  jti: z.string().optional(),
  app: z.looseObject({
    id: nonEmpty.optional(),
    appVersion: z.string().optional(),
    installationId: nonEmpty,
    apiBaseUrl: z.string().optional(),
    environment: z.looseObject({ type: z.string(), id: z.string() }).optional(),
    module: z.looseObject({ type: z.string(), key: z.string() }).optional(),
    license: z.looseObject({}).optional(),
    installation: z
      .looseObject({
        id: z.string().optional(),
        contexts: z.array(InstallationContext).optional(),
      })
      .optional(),
  }),
  context: z
    .looseObject({
      cloudId: z.string().optional(),
      siteUrl: z.string().optional(),
      moduleKey: z.string().optional(),
    })
    .optional(),
  principal: z.string().optional(),
});
export type FitClaims = z.infer<typeof FitClaims>;

/** What a verified invocation tells the handler. */
export interface VerifiedInvocation {
  readonly tenantId: string;
  readonly installationId: string;
  readonly cloudId: string | null;
  /** Checked against the Atlassian host allowlist; no trailing slash. `null` when the token has none. */
  readonly apiBaseUrl: string | null;
  /** The user's Atlassian account id, for UI invocations; `null` for triggers. */
  readonly principal: string | null;
  readonly moduleKey: string | null;
  readonly environment: { readonly type: string; readonly id: string } | null;
  readonly jti: string | null;
  readonly expiresAt: Date;
  readonly claims: FitClaims;
}

/** A verified invocation whose installation may not be bound to a tenant yet (`tenantId` null). */
export type InstallationInvocation = Omit<VerifiedInvocation, "tenantId"> & { readonly tenantId: string | null };

export interface TenantLookup {
  readonly installationId: string;
  readonly cloudId: string | null;
}

/** Maps an installation to our tenant id; `null`/`undefined` when unknown. Throwing is a server error, not a 401. */
export type ResolveTenant = (ids: TenantLookup) => string | null | undefined | Promise<string | null | undefined>;

// ---------------------------------------------------------------------------------------------------------------
// apiBaseUrl guard (J10)

/**
 * The normalized `apiBaseUrl` when it is safe to call: `https`, default port, no credentials, query or fragment, on
 * a subdomain of an Atlassian domain; or any scheme of http/https on a `host[:port]` listed in `extraHosts` (the
 * simulator). `null` otherwise.
 */
export function checkApiBaseUrl(value: string, extraHosts: readonly string[] = []): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.username || url.password || url.search || url.hash) return null;
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  const normalized = url.href.replace(/\/+$/, "");
  if (extraHosts.some((h) => h.toLowerCase() === url.host)) return normalized;
  if (url.protocol !== "https:" || url.port !== "") return null;
  const host = url.hostname;
  return ATLASSIAN_API_DOMAINS.some((d) => host.endsWith(`.${d}`)) ? normalized : null;
}

// ---------------------------------------------------------------------------------------------------------------
// Keys

/** jose errors that mean "no acceptable key for this token" (a 401), as opposed to "could not get keys". */
const KEY_SELECTION_CODES = new Set([
  "ERR_JWKS_NO_MATCHING_KEY",
  "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
  "ERR_JOSE_NOT_SUPPORTED",
  "ERR_JWK_INVALID",
  "ERR_JOSE_ALG_NOT_ALLOWED",
]);

function isKeySelectionError(err: unknown): boolean {
  return err instanceof joseErrors.JOSEError && KEY_SELECTION_CODES.has(err.code);
}

type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

/**
 * jose's remote key set plus stale-if-error: jose refetches when its cache passes `cacheMaxAge` and fails the
 * request when that fetch fails. Here a failed fetch falls back to the last good key set, and for
 * `cooldownMs` after a failure no request tries the network again (so an outage costs one bounded wait per
 * cooldown, not one per request).
 */
class ResilientJwks {
  readonly #remote: ReturnType<typeof createRemoteJWKSet>;
  readonly #cache: Partial<ExportedJWKSCache> = {};
  readonly #cooldownMs: number;
  readonly #clock: () => number;
  #seenUat: number | undefined;
  #lastGood: ReturnType<typeof createLocalJWKSet> | null = null;
  #failedAt: number | null = null;

  constructor(url: URL, opts: { cooldownMs: number; cacheMaxAgeMs: number; timeoutMs: number; clock: () => number }) {
    this.#cooldownMs = opts.cooldownMs;
    this.#clock = opts.clock;
    this.#remote = createRemoteJWKSet(url, {
      cooldownDuration: opts.cooldownMs,
      cacheMaxAge: opts.cacheMaxAgeMs,
      timeoutDuration: opts.timeoutMs,
      [jwksCache]: this.#cache as ExportedJWKSCache,
    });
  }

  /** The key set currently cached (for diagnostics and tests). */
  jwks(): JSONWebKeySet | undefined {
    return this.#remote.jwks();
  }

  readonly getKey: KeyResolver = async (header, token) => {
    if (this.#failedAt !== null && this.#clock() - this.#failedAt < this.#cooldownMs) {
      return this.#fromLastGood(header, token, null);
    }
    try {
      const key = await this.#remote(header, token);
      this.#failedAt = null;
      this.#snapshot();
      return key;
    } catch (err) {
      this.#snapshot();
      if (isKeySelectionError(err)) throw err;
      this.#failedAt = this.#clock();
      return this.#fromLastGood(header, token, err);
    }
  };

  #snapshot(): void {
    if (this.#cache.uat !== undefined && this.#cache.uat !== this.#seenUat && this.#cache.jwks) {
      this.#seenUat = this.#cache.uat;
      this.#lastGood = createLocalJWKSet(this.#cache.jwks);
    }
  }

  async #fromLastGood(header: JWSHeaderParameters, token: FlattenedJWSInput, cause: unknown): Promise<CryptoKey> {
    if (!this.#lastGood) {
      throw new FitKeysUnavailableError("the Forge JWKS endpoint is unavailable and no keys are cached", { cause });
    }
    return this.#lastGood(header, token);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Verifier

export interface FitVerifierOptions {
  /** Our Forge app id (`ari:cloud:ecosystem::app/<uuid>`): the only accepted audience. */
  appId: string;
  resolveTenant: ResolveTenant;
  /** Default {@link FORGE_JWKS_URL}. Must be https, except on a loopback host (tests). */
  jwksUrl?: string | URL;
  /** Default `["RS256"]` (what Forge signs with). Only asymmetric algorithms are accepted. */
  algorithms?: readonly AsymmetricAlgorithm[];
  /** Minimum time between fetches triggered by an unknown `kid`, and after a failed fetch. Default 30 s. */
  cooldownMs?: number;
  /** Cached keys are refetched after this long. Default 10 min. */
  cacheMaxAgeMs?: number;
  /** JWKS fetch timeout. Default 3 s (a trigger has 5 s in all). */
  timeoutMs?: number;
  /** Clock skew tolerated on `exp`/`nbf`, seconds. Default 5. */
  clockToleranceSec?: number;
  /** Extra `host[:port]` values accepted for `apiBaseUrl` (the simulator). Default none. */
  allowedApiHosts?: readonly string[];
  /** Milliseconds since the epoch. Default `Date.now` (jose's key cache always uses real time). */
  now?: () => number;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

function positiveMs(value: number | undefined, fallback: number, name: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) throw new TypeError(`${name} must be a non-negative integer`);
  return v;
}

export class FitVerifier {
  readonly #appId: string;
  readonly #algorithms: AsymmetricAlgorithm[];
  readonly #keys: ResilientJwks;
  readonly #resolveTenant: ResolveTenant;
  readonly #toleranceSec: number;
  readonly #allowedApiHosts: readonly string[];
  readonly #now: () => number;

  /** @throws TypeError on a missing app id, a symmetric or unknown algorithm, or a non-https JWKS URL. */
  constructor(opts: FitVerifierOptions) {
    if (typeof opts.appId !== "string" || opts.appId.trim() === "") {
      throw new TypeError("FitVerifier needs the app id (the pinned audience)");
    }
    if (typeof opts.resolveTenant !== "function") throw new TypeError("FitVerifier needs resolveTenant");
    const algorithms = [...(opts.algorithms ?? ["RS256"])];
    if (algorithms.length === 0) throw new TypeError("FitVerifier needs at least one algorithm");
    for (const alg of algorithms) {
      // Reject symmetric algorithms and `none` to prevent algorithm-confusion attacks (hono cc0aa7ae, 190f6e28).
      if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
        throw new TypeError(`algorithm ${String(alg)} is not an allowed asymmetric JWS algorithm`);
      }
    }
    const url = new URL(opts.jwksUrl ?? FORGE_JWKS_URL);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname))) {
      throw new TypeError("the JWKS URL must use https");
    }
    this.#appId = opts.appId;
    this.#algorithms = algorithms;
    this.#resolveTenant = opts.resolveTenant;
    this.#toleranceSec = opts.clockToleranceSec ?? 5;
    if (!Number.isFinite(this.#toleranceSec) || this.#toleranceSec < 0) {
      throw new TypeError("clockToleranceSec must be a non-negative number");
    }
    this.#allowedApiHosts = (opts.allowedApiHosts ?? []).map((h) => h.toLowerCase());
    this.#now = opts.now ?? Date.now;
    this.#keys = new ResilientJwks(url, {
      cooldownMs: positiveMs(opts.cooldownMs, 30_000, "cooldownMs"),
      cacheMaxAgeMs: positiveMs(opts.cacheMaxAgeMs, 600_000, "cacheMaxAgeMs"),
      timeoutMs: positiveMs(opts.timeoutMs, 3_000, "timeoutMs"),
      clock: Date.now,
    });
  }

  /** The currently cached key set (diagnostics). */
  cachedKeys(): JSONWebKeySet | undefined {
    return this.#keys.jwks();
  }

  /**
   * Verifies an `Authorization` header value (`Bearer <FIT>`).
   * @throws FitAuthError (401), FitTenantUnknownError (403), FitKeysUnavailableError (503).
   */
  async verifyAuthorization(header: string | null | undefined): Promise<VerifiedInvocation> {
    return this.verify(FitVerifier.#tokenOf(header));
  }

  /**
   * Verifies an `Authorization` header value like {@link verifyAuthorization}, but an installation no tenant is bound
   * to yet is not an error: its `tenantId` is null. For the one route that binds installations (registration).
   * @throws FitAuthError (401), FitKeysUnavailableError (503).
   */
  async verifyInstallation(header: string | null | undefined): Promise<InstallationInvocation> {
    const inv = await this.#check(FitVerifier.#tokenOf(header));
    const tenantId = await this.#resolveTenant({ installationId: inv.installationId, cloudId: inv.cloudId });
    return { ...inv, tenantId: typeof tenantId === "string" && tenantId !== "" ? tenantId : null };
  }

  static #tokenOf(header: string | null | undefined): string {
    const m = typeof header === "string" ? /^Bearer +(\S+)\s*$/i.exec(header) : null;
    if (!m?.[1]) throw new FitAuthError("missing-token", "no Bearer token in the Authorization header");
    return m[1];
  }

  /**
   * Verifies a compact FIT.
   * @throws FitAuthError (401), FitTenantUnknownError (403), FitKeysUnavailableError (503).
   */
  async verify(token: string): Promise<VerifiedInvocation> {
    const inv = await this.#check(token);
    const tenantId = await this.#resolveTenant({ installationId: inv.installationId, cloudId: inv.cloudId });
    if (typeof tenantId !== "string" || tenantId === "")
      throw new FitTenantUnknownError(inv.installationId, inv.cloudId);
    return { ...inv, tenantId };
  }

  /** Signature, issuer, audience, expiry, claims and `apiBaseUrl`: everything but the tenant. */
  async #check(token: string): Promise<Omit<VerifiedInvocation, "tenantId">> {
    if (typeof token !== "string" || token === "") throw new FitAuthError("missing-token", "no token");
    if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) {
      throw new FitAuthError("malformed", "the token is not a compact JWS");
    }
    const nowMs = this.#now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#keys.getKey, {
        algorithms: this.#algorithms,
        issuer: FIT_ISSUER,
        audience: this.#appId,
        requiredClaims: ["exp"],
        clockTolerance: this.#toleranceSec,
        currentDate: new Date(nowMs),
      }));
    } catch (err) {
      throw toFitError(err);
    }

    // jose accepts any JSON number; Infinity (from `1e400`) would never expire. Check it here too.
    const exp = payload.exp;
    if (typeof exp !== "number" || !Number.isFinite(exp) || exp <= nowMs / 1000 - this.#toleranceSec) {
      throw new FitAuthError("expired", "exp must be a finite time in the future");
    }

    const parsed = FitClaims.safeParse(payload);
    if (!parsed.success) {
      const paths = parsed.error.issues.map((i) => i.path.join(".") || "(root)").join(", ");
      throw new FitAuthError("claims", `FIT claims do not have the expected shape at: ${paths}`);
    }
    const claims = parsed.data;

    let apiBaseUrl: string | null = null;
    if (claims.app.apiBaseUrl !== undefined) {
      apiBaseUrl = checkApiBaseUrl(claims.app.apiBaseUrl, this.#allowedApiHosts);
      if (apiBaseUrl === null) throw new FitAuthError("api-base-url", "app.apiBaseUrl is not an Atlassian API host");
    }
    for (const ctx of claims.app.installation?.contexts ?? []) {
      if (ctx.apiBaseUrl !== undefined && checkApiBaseUrl(ctx.apiBaseUrl, this.#allowedApiHosts) === null) {
        throw new FitAuthError("api-base-url", "app.installation.contexts[].apiBaseUrl is not an Atlassian API host");
      }
    }

    const installationId = claims.app.installationId;
    const cloudId =
      claims.context?.cloudId ?? claims.app.installation?.contexts?.find((c) => c.cloudId)?.cloudId ?? null;
    return {
      installationId,
      cloudId,
      apiBaseUrl,
      principal: claims.principal ?? null,
      moduleKey: claims.app.module?.key ?? claims.context?.moduleKey ?? null,
      environment: claims.app.environment ? { type: claims.app.environment.type, id: claims.app.environment.id } : null,
      jti: claims.jti ?? null,
      expiresAt: new Date(claims.exp * 1000),
      claims,
    };
  }
}

function toFitError(err: unknown): FitError {
  if (err instanceof FitError) return err;
  const E = joseErrors;
  if (err instanceof E.JOSEAlgNotAllowed || err instanceof E.JOSENotSupported) {
    return new FitAuthError("algorithm", "the token's algorithm is not allowed", { cause: err });
  }
  if (err instanceof E.JWKSNoMatchingKey || err instanceof E.JWKSMultipleMatchingKeys || err instanceof E.JWKInvalid) {
    return new FitAuthError("key-not-found", "no signing key matches the token's kid and alg", { cause: err });
  }
  if (err instanceof E.JWSSignatureVerificationFailed) {
    return new FitAuthError("signature", "the token signature does not verify", { cause: err });
  }
  if (err instanceof E.JWTExpired) return new FitAuthError("expired", "the token has expired", { cause: err });
  if (err instanceof E.JWTClaimValidationFailed) {
    const reason: FitRejection =
      err.claim === "iss"
        ? "issuer"
        : err.claim === "aud"
          ? "audience"
          : err.claim === "nbf"
            ? "not-yet-valid"
            : "claims";
    return new FitAuthError(reason, `the token's ${err.claim} claim is not accepted`, { cause: err });
  }
  if (err instanceof E.JWSInvalid || err instanceof E.JWTInvalid) {
    return new FitAuthError("malformed", "the token is malformed", { cause: err });
  }
  // Key-set errors outside our resolver's handling (e.g. a malformed key set): treat as unavailable keys.
  if (err instanceof E.JWKSInvalid || err instanceof E.JWKSTimeout) {
    return new FitKeysUnavailableError("the Forge JWKS could not be used", { cause: err });
  }
  return new FitAuthError("malformed", "the token could not be verified", { cause: err });
}
