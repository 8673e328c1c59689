/**
 * The admin page's connection test: one check per configured credential, each one or two read-only calls through
 * the discovery transports (the same `send`, governor, retries and redaction as a sync), answered in plain words
 * that say what to do about a failure. Messages name fields and endpoints, never a credential.
 *
 * How refusals are told apart (the connectors' own rules, reference §2.1, §2.3, §2.6):
 * - **Admin API key**: `GET /v1/orgs/{orgId}`. A 401 is a key that is wrong or revoked. A 404/403 means the key
 *   does not see that organization; `GET /v1/orgs` then says why: a key with scopes lists no organization at all
 *   (what the organization endpoints do for scoped keys), a key that lists others means `orgId` is wrong.
 * - **Bitbucket**: the OAuth token request refuses a wrong key or secret (400 `unauthorized_client`, or 401); then
 *   `GET /2.0/workspaces/{ws}` (404/403: no such workspace for this consumer), and the workspace's repository
 *   permissions (`GET /2.0/workspaces/{ws}/permissions/repositories`, workspace admins only): a 403 there is a
 *   consumer whose owner is not a workspace admin.
 * - **SCIM**: `GET /Users?count=1` on the directory URL: 401 is a refused key, 404 a directory that does not exist
 *   (or is not the key's).
 * - **Product token** (`siteAccess: "api-token"` only): `GET /rest/api/3/myself` (or Confluence's
 *   `user/current`): 401 is a refused token. With `siteAccess: "forge"` the Forge app reads the site: reported ok.
 *
 * @module
 */

import { AccessmapError, ApiError, AuthError, ForbiddenError, NotFoundError } from "@accessmap/shared/transport/errors";
import type { RetryPolicy, Send, Transport } from "@accessmap/shared/transport/transport";
import type { CredentialCheck } from "@accessmap/shared/wire/admin";
import { z } from "zod";
import type { Config } from "../config/load.js";
import { AdminOrgSchema } from "../connectors/admin/schemas.js";
import { BbEffectivePermissionPageSchema, BbWorkspaceSchema } from "../connectors/bitbucket/schemas.js";
import { ScimUserListSchema } from "../connectors/scim/schemas.js";
import { explainFailure } from "../discovery/explain.js";
import { buildTransports, type SourceName } from "../discovery/transports.js";

export interface ConnectionTestDeps {
  send: Send;
  /** Retries of each probe; default: one quick retry, so the page answers within seconds. */
  retry?: Partial<RetryPolicy>;
  warn?: (message: string, fields: Record<string, unknown>) => void;
}

const QUICK_RETRY: Partial<RetryPolicy> = { maxRetries: 1, baseDelayMs: 250, maxDelayMs: 1_000, deadlineMs: 10_000 };

const OrgListSchema = z.looseObject({ data: z.array(z.looseObject({ id: z.string() })) });
const AccountSchema = z.looseObject({ accountId: z.string().optional() });

type Check = CredentialCheck;
const ok = (credential: Check["credential"], label: string, message: string): Check => ({
  credential,
  label,
  result: "ok",
  message,
});
const failed = (credential: Check["credential"], label: string, message: string): Check => ({
  credential,
  label,
  result: "failed",
  message,
});
const skipped = (credential: Check["credential"], label: string, message: string): Check => ({
  credential,
  label,
  result: "skipped",
  message,
});

/** Anything the probes did not expect (outage, rate limit, network): the sync's own explanation. */
function otherwise(source: SourceName, err: unknown): string {
  if (err instanceof AccessmapError) return explainFailure(source, err);
  throw err;
}

const ADMIN = "Organization admin API key";

async function checkAdmin(config: Config, transport: Transport | undefined): Promise<Check> {
  if (!config.adminApiKey || !transport) {
    return config.lifecycle.enabled
      ? failed("adminApiKey", ADMIN, "Lifecycle actions need the organization admin API key: enter it and save.")
      : skipped(
          "adminApiKey",
          ADMIN,
          "No admin API key is set, so organization users, product access, billing and identity-provider links are not read. Add one to see them.",
        );
  }
  if (!config.orgId) return failed("adminApiKey", ADMIN, "Enter the organization id that goes with the admin API key.");
  const orgId = config.orgId;
  try {
    const { data } = await transport.request({
      path: `/v1/orgs/${encodeURIComponent(orgId)}`,
      schema: AdminOrgSchema,
      endpoint: "GET /v1/orgs/{orgId}",
    });
    const name = data.data.attributes?.name;
    return ok("adminApiKey", ADMIN, `The key reads the organization${name ? ` "${name}"` : ""}.`);
  } catch (err) {
    if (err instanceof AuthError) {
      return failed(
        "adminApiKey",
        ADMIN,
        "Atlassian refused the admin API key (HTTP 401): it is wrong, expired or revoked. Create a new API key at admin.atlassian.com → Settings → API keys, paste it and save.",
      );
    }
    if (!(err instanceof NotFoundError || err instanceof ForbiddenError)) {
      return failed("adminApiKey", ADMIN, otherwise("admin", err));
    }
  }
  // The key works but does not see this organization: a key with scopes sees none, another key sees others.
  try {
    const { data } = await transport.request({ path: "/v1/orgs", schema: OrgListSchema, endpoint: "GET /v1/orgs" });
    if (data.data.length === 0) {
      return failed(
        "adminApiKey",
        ADMIN,
        "This key has scopes; create an API key without scopes. Keys with scopes cannot read the organization: at admin.atlassian.com → Settings → API keys, create a key without scopes, paste it and save.",
      );
    }
    return failed(
      "adminApiKey",
      ADMIN,
      `The key works but sees no organization with this id (it sees ${data.data.length === 1 ? "1 other organization" : `${data.data.length} others`}). Check the organization id: it is the id in the admin.atlassian.com/o/<id>/ address.`,
    );
  } catch (err) {
    return failed("adminApiKey", ADMIN, otherwise("admin", err));
  }
}

const PRODUCT = "Product user's API token";

async function checkProductToken(config: Config, jira?: Transport, confluence?: Transport): Promise<Check> {
  if (!jira && !confluence) {
    return failed(
      "productToken",
      PRODUCT,
      "Jira and Confluence are read with a product user's API token here, and none is set: set productUser and productToken (or switch the site access to the Forge app).",
    );
  }
  try {
    if (jira) {
      await jira.request({ path: "/rest/api/3/myself", schema: AccountSchema, endpoint: "GET /rest/api/3/myself" });
    } else {
      await confluence!.request({
        path: "/wiki/rest/api/user/current",
        schema: AccountSchema,
        endpoint: "GET /wiki/rest/api/user/current",
      });
    }
    return ok("productToken", PRODUCT, `The token signs in to ${config.siteHost ?? "the site"}.`);
  } catch (err) {
    if (err instanceof AuthError) {
      return failed(
        "productToken",
        PRODUCT,
        "The site refused the product user's API token (HTTP 401). Check that productUser is the email of the token's owner and that the token is current (id.atlassian.com → Security → API tokens).",
      );
    }
    return failed("productToken", PRODUCT, otherwise(jira ? "jira" : "confluence", err));
  }
}

const BITBUCKET = "Bitbucket OAuth consumer";

async function checkBitbucket(config: Config, transport: Transport | undefined): Promise<Check> {
  const bb = config.bitbucket;
  if (!bb || !transport) {
    return failed(
      "bitbucket",
      BITBUCKET,
      "Bitbucket is selected but its workspace, consumer key or consumer secret is missing: enter all three and save.",
    );
  }
  const ws = encodeURIComponent(bb.workspace);
  try {
    await transport.request({
      path: `/2.0/workspaces/${ws}`,
      schema: BbWorkspaceSchema,
      endpoint: "GET /2.0/workspaces/{ws}",
    });
  } catch (err) {
    // The token request (its own transport) refuses a wrong key or secret with 400 `unauthorized_client` or 401.
    if (
      err instanceof ApiError &&
      err.info.product === "bitbucket-oauth" &&
      (err.status === 400 || err.status === 401)
    ) {
      return failed(
        "bitbucket",
        BITBUCKET,
        "Bitbucket refused the OAuth consumer's key and secret. Copy both again from the workspace settings → OAuth consumers, paste them and save.",
      );
    }
    if (err instanceof NotFoundError || err instanceof ForbiddenError) {
      return failed(
        "bitbucket",
        BITBUCKET,
        `The consumer signs in, but Bitbucket shows it no workspace "${bb.workspace}". Check the workspace id: it is the first part of bitbucket.org/<workspace>/ addresses.`,
      );
    }
    return failed("bitbucket", BITBUCKET, otherwise("bitbucket", err));
  }
  try {
    await transport.request({
      path: `/2.0/workspaces/${ws}/permissions/repositories`,
      query: { pagelen: 1 },
      schema: BbEffectivePermissionPageSchema,
      endpoint: "GET /2.0/workspaces/{ws}/permissions/repositories",
    });
    return ok("bitbucket", BITBUCKET, `The consumer reads workspace "${bb.workspace}" with admin rights.`);
  } catch (err) {
    if (err instanceof ForbiddenError) {
      return failed(
        "bitbucket",
        BITBUCKET,
        `The consumer signs in, but its owner is not an admin of workspace "${bb.workspace}", so repository permissions cannot be read in full. Have a workspace admin create the OAuth consumer (with Repositories: Admin and Projects: Admin), paste its key and secret and save.`,
      );
    }
    return failed("bitbucket", BITBUCKET, otherwise("bitbucket", err));
  }
}

const SCIM = "SCIM directory API key";

async function checkScim(config: Config, transport: Transport | undefined): Promise<Check> {
  if (!transport) {
    return config.lifecycle.enabled
      ? failed("scimToken", SCIM, "Lifecycle is on but the SCIM URL or API key is missing: enter both and save.")
      : skipped(
          "scimToken",
          SCIM,
          "No SCIM directory is set, so identity-provider links and lifecycle actions are off.",
        );
  }
  try {
    await transport.request({
      path: "/Users",
      query: { count: 1, startIndex: 1 },
      schema: ScimUserListSchema,
      endpoint: "GET /Users",
    });
    return ok("scimToken", SCIM, "The key reads the SCIM directory.");
  } catch (err) {
    if (err instanceof AuthError) {
      return failed(
        "scimToken",
        SCIM,
        "The SCIM directory refused the API key (HTTP 401). Regenerate it at admin.atlassian.com → Security → Identity providers → your directory, paste it and save.",
      );
    }
    if (err instanceof NotFoundError) {
      return failed(
        "scimToken",
        SCIM,
        "The SCIM directory was not found (HTTP 404). Check the SCIM URL: copy the full directory URL (…/scim/directory/<id>) from the identity provider's settings at admin.atlassian.com.",
      );
    }
    return failed("scimToken", SCIM, otherwise("scim", err));
  }
}

/** Checks every configured credential of a tenant's configuration; never throws for a refused credential. */
export async function testConnection(config: Config, deps: ConnectionTestDeps): Promise<{ checks: CredentialCheck[] }> {
  const { transports } = buildTransports(config, {
    send: deps.send,
    schemaMode: "warn",
    warn: deps.warn,
    retry: deps.retry ?? QUICK_RETRY,
  });
  const readsSite = config.products.includes("jira") || config.products.includes("confluence");
  const pending: Array<Promise<Check>> = [checkAdmin(config, transports.admin)];
  if (readsSite && config.siteAccess === "forge") {
    pending.push(
      Promise.resolve(
        ok("forge", "Jira and Confluence", "Read by the Forge app with its own permissions: no token is needed."),
      ),
    );
  } else if (readsSite) {
    pending.push(checkProductToken(config, transports.jira, transports.confluence));
  }
  if (config.products.includes("bitbucket")) pending.push(checkBitbucket(config, transports.bitbucket));
  pending.push(checkScim(config, transports.scim));
  return { checks: await Promise.all(pending) };
}
