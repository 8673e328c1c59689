/**
 * The Forge test harness: the real backend (events harness over the S simulator, first sync committed) with FIT
 * verification against a local JWKS, a tenant bound to a Forge installation, and the runtime shim, whose
 * `invokeRemote` reaches that backend with a freshly minted FIT (naming the invocation's user, when the shim has
 * one, as `principal`). Tests of the crawl, events and admin page share it.
 */
import type { FitIssuer } from "@accessmap/backend/service/fit-testing";
import { openSqliteStore } from "@accessmap/backend/store/sqlite";
import { type EventsHarness, eventsHarness } from "../events/helpers.js";
import { installForgeShim, type Shim, type ShimOptions } from "./forge-runtime-shim.js";

export const INSTALLATION = "ari:cloud:ecosystem::installation/forge-test";

export interface BackendRequest {
  method: string;
  path: string;
  body: unknown;
}

/** A fault for one backend call: an answer instead of the backend's, or an error thrown (the invocation dies). */
export type RemoteFault = (path: string, method: string) => Response | Error | null;

export interface ForgeHarness {
  h: EventsHarness;
  shim: Shim;
  /** Every backend call the app made through `invokeRemote`, with its JSON body (faulted ones included). */
  requests: BackendRequest[];
  /** Set to fault backend calls before the backend sees them; null (the default) lets them through. */
  remoteFault: RemoteFault | null;
  /** Drops the answer to the next matching remote call after the backend handled it (a lost response). */
  loseAnswer(pattern: RegExp): void;
  /** Re-installs the shim with other options (faults), keeping the backend. */
  reshim(opts: Partial<Omit<ShimOptions, "sim" | "remote">>): Shim;
  close(): Promise<void>;
}

/** Starts the backend, binds `installationId` (default {@link INSTALLATION}) to its tenant and installs the shim. */
export async function forgeHarness(
  issuer: FitIssuer,
  opts: { installationId?: string; bind?: boolean; sync?: boolean; size?: "S" | "M" } & Partial<
    Omit<ShimOptions, "sim" | "remote">
  > = {},
): Promise<ForgeHarness> {
  const store = await openSqliteStore({ path: ":memory:" });
  const h = await eventsHarness({
    size: opts.size ?? "S",
    ctx: { store, ...issuer.verifierFor(store) },
    sync: opts.sync ?? true,
  });
  if (opts.bind !== false) {
    const bind = await h.t.call("PATCH", `/v1/tenants/${h.tenantId}`, {
      json: { forgeInstallationId: INSTALLATION },
    });
    if (bind.status !== 200) throw new Error(`binding the installation: ${bind.status} ${await bind.text()}`);
    h.t.services.forgeIndex.invalidate();
  }
  const lose: RegExp[] = [];
  const requests: BackendRequest[] = [];
  let harness: ForgeHarness | null = null;
  const remote: ShimOptions["remote"] = async (remoteKey, path, init) => {
    if (remoteKey !== "accessmap-backend") throw new Error(`unexpected remote ${remoteKey}`);
    const method = init.method ?? "GET";
    requests.push({ method, path, body: typeof init.body === "string" ? JSON.parse(init.body) : null });
    const fault = harness?.remoteFault?.(path, method) ?? null;
    if (fault instanceof Error) throw fault;
    if (fault) return fault;
    const headers = new Headers(init.headers as Record<string, string>);
    // A UI invocation's token names the user in session (`principal`): the runtime's `aaid`, as the shim sets it.
    const aaid = (globalThis as { __forge_runtime__?: { aaid?: string } }).__forge_runtime__?.aaid;
    const token = await issuer.mint(opts.installationId ?? INSTALLATION, aaid ? { claims: { principal: aaid } } : {});
    headers.set("authorization", `Bearer ${token}`);
    const res = await h.t.app.request(path, { ...init, headers });
    const i = lose.findIndex((p) => p.test(path));
    if (i >= 0) {
      lose.splice(i, 1);
      return new Response(JSON.stringify({ error: { code: "unavailable", message: "lost" } }), { status: 502 });
    }
    return res;
  };
  const { installationId: _i, bind: _b, sync: _s, size: _z, ...shimExtras } = opts;
  let shim = installForgeShim({ sim: h.sim, remote, ...shimExtras });
  harness = {
    h,
    shim,
    requests,
    remoteFault: null,
    loseAnswer: (p) => void lose.push(p),
    reshim: (extra) => {
      shim.uninstall();
      shim = installForgeShim({ sim: h.sim, remote, ...shimExtras, ...extra });
      if (harness) harness.shim = shim;
      return shim;
    },
    close: async () => {
      shim.uninstall();
      await h.t.services.events.idle();
      await h.t.close();
    },
  };
  return harness;
}
