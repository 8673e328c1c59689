/**
 * Test helpers: a fresh in-process simulator over a generated tenant, and request helpers that add each API's
 * credentials. Requests go through `app.request`, so no port is opened.
 */
import { randomUUID } from "node:crypto";
import { createSimApp, HOST_PREFIXES } from "./app.js";
import { SimContext } from "./context.js";
import { generateTenant } from "./tenant/generate.js";
import type { SizePreset } from "./tenant/model.js";

export const ORIGIN = "http://sim.test";

export interface TestSim {
  sim: SimContext;
  app: ReturnType<typeof createSimApp>;
  /** Raw request to a path under the simulator's origin (host prefix included). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Admin API (`/admin/...`), user management (`/users/...`) and SCIM (`/scim/...`) with the org key / SCIM key. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  scim(path: string, init?: RequestInit): Promise<Response>;
  /** Jira (`/rest/api/3/...`) and Confluence (`/wiki/...`) as the integration user, or the limited user. */
  site(path: string, init?: RequestInit & { limited?: boolean }): Promise<Response>;
  /**
   * Jira and Confluence as any account, the way Forge's product proxy calls for `asUser()`: through the
   * simulator-only `SimForgeUser` scheme (`SimContext.forgeUserProxyToken`, switched on for every test simulator).
   */
  siteAs(accountId: string, path: string, init?: RequestInit): Promise<Response>;
  /** Bitbucket 2.0/1.0 with a fresh token of the admin consumer, or the member consumer. */
  bitbucket(path: string, init?: RequestInit & { member?: boolean }): Promise<Response>;
}

/** Builds a simulator over a freshly generated tenant (a new one per call, so tests can mutate it). */
export function makeTestSim(size: SizePreset = "S", seed = 1): TestSim {
  const sim = new SimContext(generateTenant(size, seed));
  sim.forgeUserProxyToken = randomUUID();
  const app = createSimApp(sim);
  const creds = () => sim.state.tenant.credentials;
  const withAuth = (init: RequestInit | undefined, authorization: string): RequestInit => {
    const headers = new Headers(init?.headers);
    if (!headers.has("authorization")) headers.set("authorization", authorization);
    if (init?.body && !headers.has("content-type")) headers.set("content-type", "application/json");
    return { ...init, headers };
  };
  const fetch = async (path: string, init?: RequestInit) => app.request(`${ORIGIN}${path}`, init);
  const tokens = new Map<string, string>();
  const bitbucketToken = async (member: boolean) => {
    const consumer = member ? creds().bitbucketMemberConsumer : creds().bitbucketAdminConsumer;
    const cached = tokens.get(consumer.key);
    if (cached && sim.bitbucketTokens.lookup(cached) !== "expired") return cached;
    const res = await fetch(`${HOST_PREFIXES.bitbucket}/site/oauth2/access_token`, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${consumer.key}:${consumer.secret}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    const body = (await res.json()) as { access_token: string };
    tokens.set(consumer.key, body.access_token);
    return body.access_token;
  };
  return {
    sim,
    app,
    fetch,
    admin: (path, init) => fetch(`${HOST_PREFIXES.adminApi}${path}`, withAuth(init, `Bearer ${creds().adminApiKey}`)),
    scim: (path, init) => fetch(`${HOST_PREFIXES.adminApi}${path}`, withAuth(init, `Bearer ${creds().scimToken}`)),
    site: (path, init) => {
      const user = init?.limited ? creds().limitedProductUser : creds().productUser;
      const basic = Buffer.from(`${user.email}:${user.token}`).toString("base64");
      return fetch(`${HOST_PREFIXES.site}${path}`, withAuth(init, `Basic ${basic}`));
    },
    siteAs: (accountId, path, init) =>
      fetch(`${HOST_PREFIXES.site}${path}`, withAuth(init, `SimForgeUser ${sim.forgeUserProxyToken} ${accountId}`)),
    bitbucket: async (path, init) =>
      fetch(
        `${HOST_PREFIXES.bitbucketApi}${path}`,
        withAuth(init, `Bearer ${await bitbucketToken(init?.member ?? false)}`),
      ),
  };
}
