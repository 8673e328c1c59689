/**
 * Test helper: a local Forge Invocation Token issuer. It serves an RS256 public key as a JWKS on 127.0.0.1 (so the
 * real {@link FitVerifier} fetches and caches keys as in production) and mints FIT-shaped tokens (forge-offline.md §4).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { FIT_ISSUER, FitVerifier } from "../security/fit.js";
import type { Store } from "../store/store.js";
import { ForgeTenantIndex } from "./auth.js";

/** The app id tests pin as the audience. */
export const TEST_FORGE_APP_ID = "ari:cloud:ecosystem::app/11111111-2222-3333-4444-555555555555";

export interface MintOptions {
  /** Audience; defaults to the issuer's app id. */
  aud?: string;
  installationId?: string;
  cloudId?: string;
  /** Seconds until expiry (negative: already expired). Default 25, as in Forge's docs example. */
  ttlSeconds?: number;
  /** Extra claims merged at the top level (e.g. `principal`). */
  claims?: Record<string, unknown>;
}

export interface FitIssuer {
  readonly appId: string;
  readonly jwksUrl: string;
  /** The JWKS the server answers (tests may rotate it). */
  jwk: JWK;
  /** How many times the JWKS was fetched. */
  readonly fetches: () => number;
  mint(installationId: string, opts?: Omit<MintOptions, "installationId">): Promise<string>;
  /** A verifier pinned to this issuer's app id, resolving installations through the store's tenants. */
  verifierFor(store: Store): { fit: FitVerifier; forgeIndex: ForgeTenantIndex };
  close(): Promise<void>;
}

/** Starts a JWKS server with a fresh key pair and returns the issuer. */
export async function startFitIssuer(appId = TEST_FORGE_APP_ID): Promise<FitIssuer> {
  const pair = await generateKeyPair("RS256", { extractable: true });
  const privateKey: CryptoKey = pair.privateKey;
  let fetches = 0;
  const issuer = {
    appId,
    jwksUrl: "",
    jwk: { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" } as JWK,
  };
  const server: Server = createServer((_req, res) => {
    fetches++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [issuer.jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer.jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  return Object.assign(issuer, {
    fetches: () => fetches,
    mint: async (installationId: string, opts: Omit<MintOptions, "installationId"> = {}) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        app: { id: appId, installationId },
        context: { cloudId: opts.cloudId ?? "cloud-1" },
        ...opts.claims,
      })
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuer(FIT_ISSUER)
        .setAudience(opts.aud ?? appId)
        .setIssuedAt(now)
        .setExpirationTime(now + (opts.ttlSeconds ?? 25))
        .sign(privateKey);
    },
    verifierFor: (store: Store) => {
      const forgeIndex = new ForgeTenantIndex(store, { refreshMs: 0 });
      const fit = new FitVerifier({ appId, jwksUrl: issuer.jwksUrl, resolveTenant: forgeIndex.resolve });
      return { fit, forgeIndex };
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
}
