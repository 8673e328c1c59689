/**
 * The Forge runtime shim (forge-offline.md §3.6): `global.__forge_fetch__` and `global.__forge_runtime__`, so the REAL
 * `@forge/api` / `@forge/events` run against in-process servers. Product calls (`fpp` jira/confluence) go to the
 * simulator's site as the integration user; `invokeRemote` (`frc`) goes to a handler (the real backend app with a
 * freshly signed FIT); queue pushes (`fpp` stargate `/webhook/queue/publish/…`) are captured for the test to drain.
 */
import type { TestSim } from "../atlassian-sim/testing.js";

export interface ForgeDescriptor {
  type: string;
  provider?: string;
  remote?: string;
}

export interface ShimOptions {
  sim: TestSim;
  remote: (remoteKey: string, path: string, init: RequestInit) => Promise<Response>;
  /** Answers a product call before the simulator does (inject 401/403/429). */
  productFault?: (product: string, path: string) => Response | null;
}

export interface PushedEvent {
  queueName: string;
  body: Record<string, unknown>;
}

export interface Shim {
  pushed: PushedEvent[];
  calls: Array<{ type: string; remote?: string; path: string; status: number }>;
  uninstall(): void;
}

export function installForgeShim(opts: ShimOptions): Shim {
  const g = globalThis as Record<string, unknown>;
  const pushed: PushedEvent[] = [];
  const calls: Shim["calls"] = [];
  g.__forge_fetch__ = async (d: ForgeDescriptor, path: string, init: RequestInit = {}) => {
    let res: Response;
    if (d.type === "frc" && d.remote) {
      res = await opts.remote(d.remote, path, init);
    } else if (d.type === "fpp" && (d.remote === "jira" || d.remote === "confluence")) {
      res = opts.productFault?.(d.remote, path) ?? (await opts.sim.site(path, init));
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
    calls.push({ type: d.type, remote: d.remote, path, status: res.status });
    return res;
  };
  g.__forge_runtime__ = {
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
  return {
    pushed,
    calls,
    uninstall: () => {
      delete g.__forge_fetch__;
      delete g.__forge_runtime__;
    },
  };
}
