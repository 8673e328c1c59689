/**
 * Who is calling, and what they may do.
 *
 * Credentials (all `Authorization: Bearer …`):
 * - **Operator token** (`ACCESSMAP_OPERATOR_TOKEN`): creates, changes and deletes tenants, mints and revokes API
 *   keys, and may do everything a tenant key may do, on every tenant.
 * - **Tenant API key** (`am_<id>_<secret>`, see `security/api-keys.ts`): reads its own tenant (model, queries,
 *   exports, insights, snapshots, syncs, audit), starts and cancels its syncs, approves or rejects its held runs.
 *   On another tenant's routes it gets 403, whether or not that tenant exists (ids are not revealed).
 * - **Forge Invocation Token** on `/forge/*` only, verified by {@link FitVerifier}; the installation id maps to the
 *   tenant whose configuration holds it as `forgeInstallationId`.
 *
 * 401 means "no valid credential" (missing, malformed, unknown, revoked, badly signed); 403 means "a valid
 * credential that may not do this". Comparisons are constant-time.
 *
 * **API key storage.** The store finds a key by a hash across tenants (`findApiKeyByHash`, a unique index), so the
 * stored hash must be computable from the presented key alone: it is a domain-separated SHA-256 of the whole key.
 * The salted record of `generateApiKey` cannot be looked up that way, and the store offers no cross-tenant lookup by
 * id. A salt adds nothing here: the secret part is 256 bits from the CSPRNG (the api-keys module says as much),
 * so neither precomputation nor guessing is feasible. The key format and minting are the api-keys module's.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Secret } from "../config/secret.js";
import { generateApiKey, parseApiKey } from "../security/api-keys.js";
import type { FitVerifier, InstallationInvocation, VerifiedInvocation } from "../security/fit.js";
import type { ApiKey, Store, Tenant } from "../store/store.js";

export type Principal =
  | { kind: "operator" }
  | { kind: "apikey"; tenantId: string; keyId: string }
  | { kind: "forge"; tenantId: string; installationId: string; invocation: VerifiedInvocation }
  /** A verified FIT whose installation may not be bound to a tenant yet (registration, uninstall). */
  | { kind: "forgeInstall"; tenantId: string | null; installationId: string; invocation: InstallationInvocation };

/**
 * The audit actor of a principal: `operator`, `apikey:<id>`, or `forge:<installationId>`, followed by
 * `:<accountId>` when the token names the user in session (a UI invocation's `principal` claim).
 */
export function actorOf(p: Principal): string {
  switch (p.kind) {
    case "operator":
      return "operator";
    case "apikey":
      return `apikey:${p.keyId}`;
    case "forge":
    case "forgeInstall":
      return p.invocation.principal
        ? `forge:${p.installationId}:${p.invocation.principal}`
        : `forge:${p.installationId}`;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined | null): string | null {
  if (typeof header !== "string" || header.length > 8192) return null;
  const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  return m?.[1] ?? null;
}

const sha256 = (label: string, value: string): Buffer =>
  createHash("sha256").update(label).update("\0").update(value, "utf8").digest();

/** Checks presented tokens against the operator token in constant time (digests of equal length). */
export class OperatorCheck {
  readonly #digest: Buffer;

  constructor(token: Secret | string) {
    const value = typeof token === "string" ? token : token.reveal();
    if (value.length === 0) throw new TypeError("the operator token must not be empty");
    this.#digest = sha256("accessmap/operator-token", value);
  }

  matches(presented: string): boolean {
    return timingSafeEqual(sha256("accessmap/operator-token", presented), this.#digest);
  }
}

/** The stored hash of an API key (hex): what `addApiKey` keeps and `findApiKeyByHash` looks up. */
export function apiKeyStoreHash(key: string): string {
  return sha256("accessmap/api-key/lookup/v1", key).toString("hex");
}

/** Mints a key for a tenant and stores its hash; the returned key is shown once and never stored. */
export async function mintApiKey(
  store: Store,
  tenantId: string,
  label: string,
): Promise<{ key: Secret; record: ApiKey }> {
  const generated = generateApiKey(tenantId, { label });
  const record = await store.addApiKey(tenantId, {
    id: generated.record.id,
    label,
    hash: apiKeyStoreHash(generated.key.reveal()),
  });
  return { key: generated.key, record };
}

/** The tenant and key id of a presented API key, or null when it is malformed, unknown or revoked. */
export async function authenticateApiKey(
  store: Store,
  presented: string,
): Promise<{ tenantId: string; keyId: string } | null> {
  const parsed = parseApiKey(presented);
  if (!parsed) return null;
  const hash = apiKeyStoreHash(presented);
  const row = await store.findApiKeyByHash(hash);
  if (!row || row.revokedAt !== null) return null;
  // The index lookup already matched the hash; compare again in constant time, and bind the id in the key.
  const stored = Buffer.from(row.hash, "utf8");
  const given = Buffer.from(hash, "utf8");
  const equal = stored.length === given.length && timingSafeEqual(stored, given);
  return equal && row.id === parsed.id ? { tenantId: row.tenantId, keyId: row.id } : null;
}

/**
 * Maps Forge installations to tenants (`config.forgeInstallationId`, optionally `config.forgeCloudId`). The tenant
 * list is re-read at most once per `refreshMs` on a miss, so unknown installations cannot make every request scan
 * the store.
 */
export class ForgeTenantIndex {
  readonly #store: Store;
  readonly #refreshMs: number;
  readonly #now: () => number;
  #byInstallation = new Map<string, { tenantId: string; cloudId: string | null }>();
  #loadedAt = Number.NEGATIVE_INFINITY;
  #loading: Promise<void> | null = null;
  /** Bumped by {@link invalidate}, so a load that began before a change is not taken as fresh. */
  #generation = 0;

  constructor(store: Store, opts: { refreshMs?: number; now?: () => number } = {}) {
    this.#store = store;
    this.#refreshMs = opts.refreshMs ?? 5_000;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Forget the index (a tenant's installation changed, or a tenant was created or deleted). The known bindings are
   * dropped too: a deleted tenant's installation must not keep resolving to it, nor hide a new binding.
   */
  invalidate(): void {
    this.#generation++;
    this.#byInstallation = new Map();
    this.#loadedAt = Number.NEGATIVE_INFINITY;
  }

  readonly resolve = async (ids: { installationId: string; cloudId: string | null }): Promise<string | null> => {
    let hit = this.#byInstallation.get(ids.installationId);
    if (!hit && this.#now() - this.#loadedAt >= this.#refreshMs) {
      await this.#reload();
      hit = this.#byInstallation.get(ids.installationId);
    }
    if (!hit) return null;
    // A tenant pinned to a cloud id accepts that cloud only.
    if (hit.cloudId !== null && ids.cloudId !== hit.cloudId) return null;
    return hit.tenantId;
  };

  async #reload(): Promise<void> {
    if (!this.#loading) {
      const generation = this.#generation;
      this.#loading = (async () => {
        const tenants = await this.#store.listTenants();
        const next = new Map<string, { tenantId: string; cloudId: string | null }>();
        for (const t of tenants) {
          const inst = forgeInstallationOf(t);
          if (inst) next.set(inst, { tenantId: t.id, cloudId: stringOrNull(t.config.forgeCloudId) });
        }
        this.#byInstallation = next;
        // An invalidation during the load: use what was read, but read again on the next miss.
        if (generation === this.#generation) this.#loadedAt = this.#now();
      })().finally(() => {
        this.#loading = null;
      });
    }
    await this.#loading;
  }
}

const stringOrNull = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/** The Forge installation id a tenant is bound to, if any. */
export function forgeInstallationOf(t: Tenant): string | null {
  return stringOrNull(t.config.forgeInstallationId);
}

export type AuthOutcome =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403 | 503; reason: string; installationId?: string };

/** Authenticates an operator token or tenant API key (the `/v1` credentials). */
export async function authenticateBearer(
  header: string | undefined,
  operator: OperatorCheck,
  store: Store,
): Promise<AuthOutcome> {
  const token = bearerToken(header);
  if (!token) return { ok: false, status: 401, reason: "an Authorization: Bearer credential is required" };
  if (operator.matches(token)) return { ok: true, principal: { kind: "operator" } };
  const key = await authenticateApiKey(store, token);
  if (key) return { ok: true, principal: { kind: "apikey", ...key } };
  return { ok: false, status: 401, reason: "the credential is not valid" };
}

/** Authenticates a Forge Invocation Token (the `/forge` credential). */
export async function authenticateForge(header: string | undefined, fit: FitVerifier): Promise<AuthOutcome> {
  return forgeOutcome(async () => {
    const inv = await fit.verifyAuthorization(header);
    return { kind: "forge", tenantId: inv.tenantId, installationId: inv.installationId, invocation: inv };
  });
}

/** Authenticates a Forge Invocation Token whose installation need not be bound to a tenant (registration). */
export async function authenticateForgeInstall(header: string | undefined, fit: FitVerifier): Promise<AuthOutcome> {
  return forgeOutcome(async () => {
    const inv = await fit.verifyInstallation(header);
    return { kind: "forgeInstall", tenantId: inv.tenantId, installationId: inv.installationId, invocation: inv };
  });
}

async function forgeOutcome(verify: () => Promise<Principal>): Promise<AuthOutcome> {
  try {
    return { ok: true, principal: await verify() };
  } catch (err) {
    const status = (err as { status?: unknown }).status;
    if (status === 401 || status === 403 || status === 503) {
      const reason =
        status === 401
          ? "the Forge invocation token is not valid"
          : status === 403
            ? "this Forge installation is not registered"
            : "the Forge signing keys are unavailable";
      const installationId = (err as { installationId?: unknown }).installationId;
      return { ok: false, status, reason, ...(typeof installationId === "string" ? { installationId } : {}) };
    }
    throw err;
  }
}
