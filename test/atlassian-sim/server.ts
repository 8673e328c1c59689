/**
 * Runs the simulator on a real TCP port (for the demo, benchmarks and end-to-end tests) and reports the base URLs
 * and credentials a client needs.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createSimApp, HOST_PREFIXES } from "./app.js";
import { SimContext } from "./context.js";
import { generateTenant } from "./tenant/generate.js";
import type { SimCredentials, SimTenant, SizePreset } from "./tenant/model.js";

export interface SimulatorOptions {
  size?: SizePreset;
  seed?: number;
  /** Use an already generated tenant instead of size/seed. */
  tenant?: SimTenant;
  port?: number;
  host?: string;
}

/** Where each simulated host lives, as a client configures them. */
export interface SimulatorBases {
  origin: string;
  /** Stands for `https://api.atlassian.com` (Admin, user management, SCIM). */
  adminApi: string;
  /** Stands for `https://<site>.atlassian.net` (Jira and Confluence); use as `atlassianUrl`. */
  site: string;
  /** Stands for `https://api.bitbucket.org`. */
  bitbucketApi: string;
  /** Stands for `https://bitbucket.org` (OAuth token endpoint). */
  bitbucket: string;
  /** Control endpoints. */
  control: string;
}

export interface RunningSimulator {
  sim: SimContext;
  bases: SimulatorBases;
  credentials: SimCredentials;
  orgId: string;
  workspace: string;
  scimDirectoryId: string;
  close(): Promise<void>;
}

/** Starts a simulator; port 0 picks a free port. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const tenant = opts.tenant ?? generateTenant(opts.size ?? "S", opts.seed ?? 7);
  const sim = new SimContext(tenant);
  const app = createSimApp(sim);
  const host = opts.host ?? "127.0.0.1";
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? 0, hostname: host }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host}:${port}`;
  return {
    sim,
    bases: {
      origin,
      adminApi: `${origin}${HOST_PREFIXES.adminApi}`,
      site: `${origin}${HOST_PREFIXES.site}`,
      bitbucketApi: `${origin}${HOST_PREFIXES.bitbucketApi}`,
      bitbucket: `${origin}${HOST_PREFIXES.bitbucket}`,
      control: `${origin}/_sim`,
    },
    credentials: tenant.credentials,
    orgId: tenant.org.id,
    workspace: tenant.bitbucket.workspace.slug,
    scimDirectoryId: tenant.scim.directoryId,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
