/**
 * Test kit for the transport: a virtual clock whose sleeps complete at once (advancing time), and a scripted `send`
 * that answers from a queue and records every request. Used by the transport, pagination and reader tests.
 */

import { CircuitBreaker } from "@accessmap/shared/transport/circuit-breaker";
import { Governor } from "@accessmap/shared/transport/governor";
import type { HeaderSource } from "@accessmap/shared/transport/rate-limit-headers";
import {
  type RawRequest,
  type RawResponse,
  type Send,
  Transport,
  type TransportConfig,
} from "@accessmap/shared/transport/transport";
import { z } from "zod";

export class VirtualClock {
  now = 1_700_000_000_000;
  readonly sleeps: number[] = [];
  clock = () => this.now;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
    this.now += ms;
  };
}

export function headers(h: Record<string, string> = {}): HeaderSource {
  const lower = new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (name: string) => lower.get(name.toLowerCase()) ?? null };
}

export type Scripted = RawResponse | Error | ((req: RawRequest) => RawResponse | Error);

/** A response with a JSON (or raw string) body. */
export function reply(status: number, body: unknown = {}, h: Record<string, string> = {}): RawResponse {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return { status, headers: headers({ "content-type": "application/json", ...h }), text: async () => text };
}

/** A `send` that answers each request with the next scripted item (or the last one, repeatedly). */
export function scriptedSend(script: Scripted[]): Send & { requests: RawRequest[] } {
  const requests: RawRequest[] = [];
  let i = 0;
  const send = async (req: RawRequest) => {
    requests.push(req);
    const item = script[Math.min(i, script.length - 1)];
    i += 1;
    const out = typeof item === "function" ? item(req) : item;
    if (out instanceof Error) throw out;
    if (!out) throw new Error("script exhausted");
    return out;
  };
  return Object.assign(send, { requests });
}

export function testTransport(
  send: Send,
  clock = new VirtualClock(),
  overrides: Partial<TransportConfig> = {},
): { transport: Transport; clock: VirtualClock; governor: Governor; breaker: CircuitBreaker } {
  const governor = new Governor({ concurrency: 4, maxQueue: 100, clock: clock.clock, sleep: clock.sleep });
  const breaker = new CircuitBreaker("jira", 20, 60_000, clock.clock);
  const transport = new Transport({
    product: "jira",
    baseUrl: "https://acme.atlassian.net",
    authorization: () => "Basic c2VjcmV0LXRva2Vu",
    send,
    governor,
    breaker,
    schemaMode: "throw",
    readOnly: true,
    clock: clock.clock,
    sleep: clock.sleep,
    random: () => 0.5,
    ...overrides,
  });
  return { transport, clock, governor, breaker };
}

export const anyObject = z.looseObject({});
