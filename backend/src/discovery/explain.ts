/**
 * Turns a failed or refused read into words a user can act on: which credential, what it lacks, what to do.
 * Dispatches on error classes only.
 */
import {
  AccessmapError,
  AuthError,
  CircuitOpenError,
  ForbiddenError,
  MissingIdentityError,
  NetworkError,
  OriginError,
  PaginationError,
  RateLimitError,
  SchemaMismatchError,
  ServerError,
  TimeoutError,
} from "@accessmap/shared/transport/errors";
import { NoOrganizationError } from "../connectors/admin/errors.js";
import type { SourceName } from "./transports.js";

const CREDENTIAL: Record<SourceName, string> = {
  admin: "the admin API key (adminApiKey)",
  scim: "the SCIM directory token (lifecycle.scimToken)",
  jira: "the product user's API token (productUser / productToken)",
  confluence: "the product user's API token (productUser / productToken)",
  bitbucket: "the Bitbucket OAuth consumer (bitbucketOAuthKey / bitbucketOAuthSecret)",
};

/** A one-sentence explanation of why `source` could not be read. */
export function explainFailure(source: SourceName, err: unknown): string {
  if (err instanceof NoOrganizationError) {
    return `no organization found: the admin API key sees no organization ${err.orgId}. Scoped keys cannot read the organization; create an unscoped API key at admin.atlassian.com → Settings → API keys, and check orgId.`;
  }
  if (err instanceof AuthError) {
    const scope = /scope/i.test(err.info.productMessage ?? "") ? " The token lacks a required scope." : "";
    return `${CREDENTIAL[source]} was rejected (HTTP 401 at ${err.info.endpoint}).${scope} Check that it is current and belongs to this ${source === "admin" || source === "scim" ? "organization" : "site"}.`;
  }
  if (err instanceof ForbiddenError) {
    return `${CREDENTIAL[source]} is valid but lacks permission for ${err.info.endpoint} (HTTP 403).`;
  }
  if (err instanceof RateLimitError || err instanceof TimeoutError) {
    return `${source} kept rate-limiting or timing out until the retry budget ran out (${err.message}). Try again later or lower the concurrency.`;
  }
  if (err instanceof CircuitOpenError || err instanceof ServerError) {
    return `${source} is failing on Atlassian's side (${err.message}); its last good data is kept.`;
  }
  if (err instanceof NetworkError) return `${source} could not be reached: ${err.message}.`;
  if (err instanceof OriginError) return `${source}: ${err.message} (a pagination link pointed elsewhere).`;
  if (err instanceof PaginationError) return `${source}: the API's paging misbehaved — ${err.message}.`;
  if (err instanceof SchemaMismatchError)
    return `${source}: a response did not have the expected shape — ${err.message}.`;
  if (err instanceof MissingIdentityError) return `${source}: ${err.message}.`;
  if (err instanceof AccessmapError) return `${source}: ${err.message}`;
  return `${source}: unexpected error (${err instanceof Error ? err.name : "unknown"}); see the log`;
}
