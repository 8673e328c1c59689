/**
 * The Forge runtime shim (forge-offline.md §3.6): `global.__forge_fetch__` and `global.__forge_runtime__`, so the REAL
 * `@forge/api` / `@forge/events` run against in-process servers. Product calls (`fpp` jira/confluence) go to the
 * simulator's site: `asApp()` (provider `app`) as the integration user, `asUser()` (provider `user`) as the
 * descriptor's `accountId` or, when `asUser()` names nobody, the invocation's user — the runtime's `aaid`, set per
 * test with `setUser` — through the simulator's Forge-proxy stand-in (`TestSim.siteAs`). `invokeRemote` (`frc`)
 * goes to a handler (the real backend app with a freshly signed FIT); queue pushes (`fpp` stargate
 * `/webhook/queue/publish/…`) are captured for the test to drain.
 */
import type { TestSim } from "../atlassian-sim/testing.js";

export interface ForgeDescriptor {
  type: string;
  provider?: string;
  remote?: string;
  accountId?: string;
}

export interface ShimOptions {
  sim: TestSim;
  remote: (remoteKey: string, path: string, init: RequestInit) => Promise<Response>;
  /**
   * Answers a product call before the simulator does (inject 401/403/429), or lets it through with null. May wait
   * (say, until `init.signal` aborts, as a slow product would).
   */
  productFault?: (product: string, path: string, init: RequestInit) => Response | null | Promise<Response | null>;
  /** The invocation's user (`__forge_runtime__.aaid`), whom `asUser()` acts as. */
  aaid?: string | null;
}

export interface PushedEvent {
  queueName: string;
  body: Record<string, unknown>;
}

export interface ShimCall {
  type: string;
  remote?: string;
  /** `app`, `user` or `none` for product calls. */
  provider?: string;
  /** For `asUser()` calls: the account the call acted as. */
  accountId?: string;
  path: string;
  status: number;
}

export interface Shim {
  pushed: PushedEvent[];
  calls: ShimCall[];
  /** Sets the invocation's user (the runtime's `aaid`); null for none (a trigger, a scheduled run). */
  setUser(aaid: string | null): void;
  uninstall(): void;
}

export function installForgeShim(opts: ShimOptions): Shim {
  const g = globalThis as Record<string, unknown>;
  const pushed: PushedEvent[] = [];
  const calls: Shim["calls"] = [];
  let aaid: string | null = opts.aaid ?? null;
  g.__forge_fetch__ = async (d: ForgeDescriptor, path: string, init: RequestInit = {}) => {
    let res: Response;
    let actedAs: string | undefined;
    if (d.type === "frc" && d.remote) {
      res = await opts.remote(d.remote, path, init);
    } else if (d.type === "fpp" && d.provider === "user" && (d.remote === "jira" || d.remote === "confluence")) {
      actedAs = d.accountId ?? aaid ?? undefined;
      // The product proxy needs a user in session; a trigger or scheduled run has none.
      if (!actedAs) throw new Error("shim: asUser() in an invocation without a user (set one with setUser)");
      res = (await opts.productFault?.(d.remote, path, init)) ?? (await opts.sim.siteAs(actedAs, path, init));
    } else if (d.type === "fpp" && (d.remote === "jira" || d.remote === "confluence")) {
      res = (await opts.productFault?.(d.remote, path, init)) ?? (await opts.sim.site(path, init));
    } else if (d.type === "fpp" && d.remote === "stargate" && path.startsWith("/webhook/queue/publish/")) {
      const req = JSON.parse(String(init.body)) as {
        queueName: string;
        payload: Array<{ body: Record<string, unknown> }>;
      };
      for (const e of req.payload) pushed.push({ queueName: req.queueName, body: e.body });
      res = new Response("{}", { status: 201, headers: { "content-type": "application/json" } });
    } else {
      throw new Error(`shim: no route for ${JSON.stringify(d)} ${path}`);
    }
    calls.push({
      type: d.type,
      remote: d.remote,
      ...(d.provider ? { provider: d.provider } : {}),
      ...(actedAs ? { accountId: actedAs } : {}),
      path,
      status: res.status,
    });
    return res;
  };
  const runtime: Record<string, unknown> = {
    proxy: { token: "shim-token", url: "http://forge-proxy.invalid" },
    contextAri: "ari:cloud:jira::site/cloud-1",
    container: {},
    appContext: {
      appId: "00000000-0000-4000-8000-000000000000",
      appVersion: "1.0.0",
      environmentId: "env-1",
      environmentType: "DEVELOPMENT",
      invocationId: "inv-1",
      installationId: "installation-1",
      functionKey: "crawl-worker",
      moduleType: "core:function",
      moduleKey: "crawl-worker",
    },
    lambdaContext: { awsRequestId: "r", getRemainingTimeInMillis: () => 840_000 },
    tracing: { traceId: "t", spanId: "s" },
    realtime: {},
    metrics: {
      counter: () => ({ incr() {}, incrBy() {}, decr() {}, decrBy() {} }),
      timing: () => ({ measure: () => ({ stop() {} }) }),
      gauge: () => ({ set() {} }),
    },
    featureFlags: () => false,
  };
  // `aaid` is read on each call (`authorize()`), so a getter follows `setUser`.
  Object.defineProperty(runtime, "aaid", { get: () => aaid ?? undefined, enumerable: true });
  g.__forge_runtime__ = runtime;
  return {
    pushed,
    calls,
    setUser: (id) => {
      aaid = id;
    },
    uninstall: () => {
      delete g.__forge_fetch__;
      delete g.__forge_runtime__;
    },
  };
}
