/**
 * Connection configurations pointing at a simulator, exactly as a user would write them for a real tenant, with
 * the Atlassian hosts overridden to the simulator's prefixes.
 */
import { type Config, parseConfig } from "@accessmap/backend/config/load";
import type { ConfigInput } from "@accessmap/backend/config/schema";
import { HOST_PREFIXES } from "../atlassian-sim/app.js";
import type { SimTenant } from "../atlassian-sim/tenant/model.js";

/** The raw configuration (as in a config file) for a tenant served at `origin`. */
export function simConfigInput(tenant: SimTenant, origin: string, overrides: Partial<ConfigInput> = {}): ConfigInput {
  const c = tenant.credentials;
  const adminApi = `${origin}${HOST_PREFIXES.adminApi}`;
  return {
    name: `sim-${tenant.size}-${tenant.seed}`,
    atlassianUrl: `${origin}${HOST_PREFIXES.site}`,
    adminApiKey: c.adminApiKey,
    orgId: tenant.org.id,
    products: ["jira", "confluence", "bitbucket"],
    productUser: c.productUser.email,
    productToken: c.productUser.token,
    bitbucketOAuthKey: c.bitbucketAdminConsumer.key,
    bitbucketOAuthSecret: c.bitbucketAdminConsumer.secret,
    workspace: tenant.bitbucket.workspace.slug,
    skipBranchProtectionDiscovery: false,
    lifecycle: {
      enabled: false,
      scimUrl: `${adminApi}/scim/directory/${tenant.scim.directoryId}`,
      scimToken: c.scimToken,
    },
    adminApiUrl: adminApi,
    bitbucketApiUrl: `${origin}${HOST_PREFIXES.bitbucketApi}`,
    bitbucketUrl: `${origin}${HOST_PREFIXES.bitbucket}`,
    ...overrides,
  };
}

/** The checked configuration for a tenant served at `origin`. */
export function simConfig(tenant: SimTenant, origin: string, overrides: Partial<ConfigInput> = {}): Config {
  return parseConfig(simConfigInput(tenant, origin, overrides), "simulator");
}
