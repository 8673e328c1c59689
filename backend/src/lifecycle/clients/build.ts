/**
 * @module lifecycle/clients/build
 *
 * Builds the lifecycle clients from a checked configuration: read-write transports (the discovery transports are
 * read-only by construction) for SCIM, the Admin API and user management, one governor for the tenant, and the
 * error-body tap that keeps `scimType` for the audit log.
 *
 * Lifecycle needs `lifecycle.scimUrl`, `lifecycle.scimToken`, `lifecycle.scimOrgId`, `adminApiKey` and `orgId`;
 * `productUser`/`productToken` are not needed (its email only names the integration's own account for the guard).
 * The Admin API writes to the directory named in the SCIM URL (`…/scim/directory/{directoryId}`), the directory the
 * SCIM key provisions. `scimOrgId` (the id Atlassian shows beside the SCIM key) is required as the integration
 * documents it; the URL, not it, decides where writes go, so the two cannot disagree.
 */
import { CircuitBreaker } from "@accessmap/shared/transport/circuit-breaker";
import { Governor } from "@accessmap/shared/transport/governor";
import { type CallEvent, type Send, Transport, type TransportConfig } from "@accessmap/shared/transport/transport";
import type { Config } from "../../config/load.js";
import { directoryIdFromPath } from "../../connectors/scim/transform.js";
import { LifecycleError } from "../types.js";
import { AdminClient } from "./admin-client.js";
import { ErrorBodyTap } from "./error-bodies.js";
import { ScimClient } from "./scim-client.js";

export interface LifecycleClients {
  scim: ScimClient;
  admin: AdminClient;
  tap: ErrorBodyTap;
  governor: Governor;
}

export interface LifecycleClientDeps {
  send: Send;
  schemaMode: "warn" | "throw";
  onCall?: (e: CallEvent) => void;
  warn?: (message: string, fields: Record<string, unknown>) => void;
  clock?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  retry?: TransportConfig["retry"];
}

/** The configuration fields lifecycle management lacks (field names only, never values). */
export function missingLifecycleConfig(config: Config): string[] {
  const missing: string[] = [];
  if (!config.lifecycle.scimUrl) missing.push("lifecycle.scimUrl");
  if (!config.lifecycle.scimToken) missing.push("lifecycle.scimToken");
  if (!config.lifecycle.scimOrgId) missing.push("lifecycle.scimOrgId");
  if (!config.adminApiKey) missing.push("adminApiKey");
  if (!config.orgId) missing.push("orgId");
  return missing;
}

/** Builds the clients, or throws a `LifecycleError` naming every missing field. */
export function buildLifecycleClients(config: Config, deps: LifecycleClientDeps): LifecycleClients {
  const missing = missingLifecycleConfig(config);
  if (missing.length > 0) {
    throw new LifecycleError("config", `lifecycle management needs ${missing.join(", ")} in the configuration`);
  }
  const scimUrl = config.lifecycle.scimUrl!;
  const directoryId = directoryIdFromPath(new URL(scimUrl).pathname);
  if (!directoryId) {
    throw new LifecycleError(
      "config",
      "lifecycle.scimUrl names no directory: use the directory's full SCIM URL, https://api.atlassian.com/scim/directory/{directoryId}",
    );
  }
  const clock = deps.clock ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const governor = new Governor({ concurrency: config.concurrency, maxQueue: 10_000, clock, sleep });
  const tap = new ErrorBodyTap();
  const send = tap.wrap(deps.send);
  const common = (product: string, baseUrl: string, authorization: () => string): TransportConfig => ({
    product,
    baseUrl,
    send,
    authorization,
    governor,
    breaker: new CircuitBreaker(product, 20, 30_000, clock),
    schemaMode: deps.schemaMode,
    readOnly: false,
    onCall: deps.onCall,
    warn: deps.warn,
    clock,
    sleep,
    retry: deps.retry,
  });
  const scimToken = config.lifecycle.scimToken!;
  const adminKey = config.adminApiKey!;
  const scim = new ScimClient(new Transport(common("scim", scimUrl, () => `Bearer ${scimToken.reveal()}`)), { tap });
  const admin = new AdminClient(
    new Transport(common("admin", `${config.adminApiUrl}/admin`, () => `Bearer ${adminKey.reveal()}`)),
    new Transport(common("user-management", config.adminApiUrl, () => `Bearer ${adminKey.reveal()}`)),
    { orgId: config.orgId!, directoryId },
    { tap },
  );
  return { scim, admin, tap, governor };
}
