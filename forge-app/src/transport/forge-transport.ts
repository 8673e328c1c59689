/**
 * The shared Transport for Jira or Confluence under Forge: the same pacing, retry and validation rules as the
 * backend, with `forgeSend` as the last hop. Read-only by construction (discovery only reads).
 */

import { FORGE_PRODUCT_BASE, type ForgeProduct, forgeSend } from "@accessmap/forge-app/transport/forge-send";
import { CircuitBreaker } from "@accessmap/shared/transport/circuit-breaker";
import { Governor } from "@accessmap/shared/transport/governor";
import { Transport, type TransportConfig } from "@accessmap/shared/transport/transport";

export interface ForgeTransportOptions extends Partial<TransportConfig> {
  /** Requests in flight per product; Forge counts product calls separately from egress, but the site still paces. */
  concurrency?: number;
}

export function forgeTransport(product: ForgeProduct, opts: ForgeTransportOptions = {}): Transport {
  const { concurrency = 4, ...overrides } = opts;
  const clock = overrides.clock ?? Date.now;
  const sleep = overrides.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return new Transport({
    product,
    baseUrl: FORGE_PRODUCT_BASE[product],
    send: forgeSend({ product }),
    governor: new Governor({ concurrency, maxQueue: 10_000, clock, sleep }),
    breaker: new CircuitBreaker(product, 20, 60_000, clock),
    // Forge functions have at most 900 s; leave room to send what was read.
    retry: { deadlineMs: 120_000, maxDelayMs: 30_000 },
    schemaMode: "warn",
    readOnly: true,
    warn: (message, fields) => console.warn(message, JSON.stringify(fields)),
    ...overrides,
  });
}
