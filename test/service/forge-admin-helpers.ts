/**
 * The backend of the Forge admin page under test: the service over an in-memory store, FITs verified against a
 * local JWKS (`startFitIssuer`), the in-process simulator behind `send`, a tenant made from the simulator's
 * configuration and bound to a Forge installation, and (by default) a first full sync committed.
 *
 * The tenant's URLs use a loopback origin (`http://localhost/...`): the simulator routes by path, and the admin
 * form accepts `http://` only on loopback hosts, so the form can be saved with the stored URLs as they are.
 */
import type { ConfigInput } from "@accessmap/backend/config/schema";
import type { FitIssuer } from "@accessmap/backend/service/fit-testing";
import type { ServiceContext } from "@accessmap/backend/service/services";
import { loadTenantConfig } from "@accessmap/backend/service/tenant-config";
import { type TestService, testService } from "@accessmap/backend/service/testing";
import { openSqliteStore } from "@accessmap/backend/store/sqlite";
import { runSync, type SyncResult } from "@accessmap/backend/sync/run-sync";
import type { SaveSettings } from "@accessmap/shared/wire/admin";
import { makeTestSim, type TestSim } from "../atlassian-sim/testing.js";
import { simConfigInput } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";

export const INSTALLATION = "ari:cloud:ecosystem::installation/admin-page-test";
/** The admin in session, as a UI invocation's FIT names them (`principal`). */
export const ADMIN_ACCOUNT = "557058:admin-in-session";
export const LOCAL_ORIGIN = "http://localhost";
export const RETRY = { baseDelayMs: 5, maxDelayMs: 20, deadlineMs: 30_000, maxRetries: 1 };

export interface CallOptions {
  json?: unknown;
  /** Default {@link INSTALLATION}. */
  installationId?: string;
  /** The FIT's `principal` claim; default {@link ADMIN_ACCOUNT}, null for none (a trigger). */
  principal?: string | null;
  aud?: string;
  cloudId?: string;
}

export interface AdminHarness {
  t: TestService;
  sim: TestSim;
  tenantId: string;
  /** A request with a freshly minted FIT. */
  call(method: string, path: string, opts?: CallOptions): Promise<Response>;
  /** A request with the operator token. */
  operator(method: string, path: string, json?: unknown): Promise<Response>;
  fullSync(): Promise<SyncResult>;
  /** The settings form as the page would send it back for the stored settings (secrets left out). */
  form(): Promise<SaveSettings>;
  close(): Promise<void>;
}

export async function adminHarness(
  issuer: FitIssuer,
  opts: {
    sync?: boolean;
    bind?: boolean;
    config?: Partial<ConfigInput>;
    ctx?: Partial<ServiceContext>;
    seed?: number;
  } = {},
): Promise<AdminHarness> {
  const sim = makeTestSim("S", opts.seed ?? 7);
  const store = await openSqliteStore({ path: ":memory:" });
  const t = await testService({ store, ...issuer.verifierFor(store), send: simSend(sim), ...opts.ctx });
  const operator = (method: string, path: string, json?: unknown) => t.call(method, path, { json });
  const input = simConfigInput(sim.sim.state.tenant, LOCAL_ORIGIN, {
    ...(opts.bind === false ? {} : { forgeInstallationId: INSTALLATION }),
    ...opts.config,
  } as Partial<ConfigInput>);
  const created = await operator("POST", "/v1/tenants", input);
  if (created.status !== 201) throw new Error(`tenant: ${created.status} ${await created.text()}`);
  const tenantId = ((await created.json()) as { id: string }).id;
  const fullSync = async () => {
    const tenant = (await t.store.getTenant(tenantId))!;
    return runSync(t.store, tenantId, await loadTenantConfig(t.store, t.keyring, tenant), {
      send: simSend(sim),
      schemaMode: "throw",
      retry: RETRY,
    });
  };
  if (opts.sync !== false) await fullSync();
  const call = async (method: string, path: string, o: CallOptions = {}) => {
    const principal = o.principal === undefined ? ADMIN_ACCOUNT : o.principal;
    const token = await issuer.mint(o.installationId ?? INSTALLATION, {
      aud: o.aud,
      cloudId: o.cloudId,
      claims: principal ? { principal } : {},
    });
    return t.call(method, path, { token, json: o.json });
  };
  return {
    t,
    sim,
    tenantId,
    call,
    operator,
    fullSync,
    form: async () => {
      const res = await call("GET", "/forge/v1/settings");
      if (res.status !== 200) throw new Error(`settings: ${res.status} ${await res.text()}`);
      const s = (await res.json()) as {
        products: SaveSettings["products"];
        orgId: string | null;
        workspace: string | null;
        bitbucketOAuthKey: string | null;
        skipBranchProtectionDiscovery: boolean;
        lifecycle: { enabled: boolean; scimUrl: string | null; scimOrgId: string | null };
      };
      return {
        products: s.products,
        orgId: s.orgId ?? "",
        workspace: s.workspace ?? "",
        bitbucketOAuthKey: s.bitbucketOAuthKey ?? "",
        skipBranchProtectionDiscovery: s.skipBranchProtectionDiscovery,
        lifecycle: {
          enabled: s.lifecycle.enabled,
          scimUrl: s.lifecycle.scimUrl ?? "",
          scimOrgId: s.lifecycle.scimOrgId ?? "",
        },
      };
    },
    close: async () => {
      await t.services.events.idle();
      await t.close();
    },
  };
}
