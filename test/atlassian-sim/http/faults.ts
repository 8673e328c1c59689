/**
 * Injected latency and faults, chosen per API and route, drawn from a seeded generator so that a failing run can be
 * replayed: 5xx (with `Retry-After` when asked), connection resets, truncated JSON, slow bodies, and `next` links
 * rewritten to a foreign origin (to prove clients keep credentials on their origin).
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ApiName } from "./env.js";
import { apiError } from "./errors.js";

export type FaultKind = "status" | "reset" | "truncate" | "slow-body" | "foreign-next";

export interface FaultRule {
  api?: ApiName;
  /** Route template as registered by the API module; absent: every route of the API. */
  route?: string;
  method?: string;
  kind: FaultKind;
  /** For `status`: the status to answer (e.g. 500, 502, 503, 504, 401, 403). */
  status?: number;
  /** For `status`: send `Retry-After` with this many seconds. */
  retryAfterSeconds?: number;
  /** Chance per matching request, default 1. */
  probability?: number;
  /** Let this many matching requests through before the rule can fire. */
  skip?: number;
  /** Fire at most this many times. */
  times?: number;
  /** For `slow-body`: the total time over which the body trickles out. */
  slowBodyMs?: number;
}

export interface LatencyRule {
  api?: ApiName;
  route?: string;
  meanMs: number;
  jitterMs: number;
}

/** An origin nothing listens on, used by `foreign-next`. */
export const FOREIGN_ORIGIN = "http://127.0.0.2:9";

interface ArmedRule {
  rule: FaultRule;
  seen: number;
  fired: number;
}

/** Decides, per request, which latency and fault to apply. */
export class FaultInjector {
  private armed: ArmedRule[] = [];
  latency: LatencyRule[] = [];
  /** Faults fired, per kind. */
  readonly fired = new Map<FaultKind, number>();

  constructor(private readonly random: () => number) {}

  set rules(rules: FaultRule[]) {
    this.armed = rules.map((rule) => ({ rule, seen: 0, fired: 0 }));
  }

  get rules(): FaultRule[] {
    return this.armed.map((a) => a.rule);
  }

  /** The delay to add to a request, in ms. */
  delayFor(api: ApiName, route: string): number {
    const rule = this.latency.find((l) => (!l.api || l.api === api) && (!l.route || l.route === route));
    if (!rule) return 0;
    return Math.max(0, rule.meanMs + (this.random() * 2 - 1) * rule.jitterMs);
  }

  /** The fault to apply to this request, if any. */
  pick(api: ApiName, method: string, route: string): FaultRule | null {
    for (const a of this.armed) {
      const r = a.rule;
      if ((r.api && r.api !== api) || (r.route && r.route !== route) || (r.method && r.method !== method)) continue;
      a.seen += 1;
      if (a.seen <= (r.skip ?? 0)) continue;
      if (r.times !== undefined && a.fired >= r.times) continue;
      if (this.random() >= (r.probability ?? 1)) continue;
      a.fired += 1;
      this.fired.set(r.kind, (this.fired.get(r.kind) ?? 0) + 1);
      return r;
    }
    return null;
  }

  reset(): void {
    this.armed = [];
    this.latency = [];
    this.fired.clear();
  }
}

/** Builds the response for a `status` fault. */
export function statusFault(c: Context, api: ApiName, rule: FaultRule): Response {
  if (rule.retryAfterSeconds !== undefined) c.header("Retry-After", String(rule.retryAfterSeconds));
  const status = (rule.status ?? 500) as ContentfulStatusCode;
  return apiError(c, api, status, `Injected fault: HTTP ${status}`);
}

/** Cuts a JSON body in half, keeping status and headers, so the client gets a complete but unparseable body. */
export async function truncateBody(res: Response): Promise<Response> {
  const text = await res.text();
  const cut = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  return new Response(cut, { status: res.status, headers });
}

/** Streams the body out in small chunks spread over `totalMs`. */
export async function slowBody(res: Response, totalMs: number): Promise<Response> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  const chunks = 8;
  const size = Math.ceil(bytes.length / chunks) || 1;
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i >= bytes.length) {
        controller.close();
        return;
      }
      await new Promise((r) => setTimeout(r, totalMs / chunks));
      controller.enqueue(bytes.subarray(i, i + size));
      i += size;
    },
  });
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  return new Response(stream, { status: res.status, headers });
}

/** Rewrites every pagination link in the body and `Link` header to `FOREIGN_ORIGIN`. */
export async function foreignNext(res: Response, ownOrigin: string): Promise<Response> {
  const text = await res.text();
  const rewritten = text.split(ownOrigin).join(FOREIGN_ORIGIN);
  const headers = new Headers(res.headers);
  headers.delete("content-length");
  const link = headers.get("link");
  if (link) headers.set("link", link.replace(/<\//g, `<${FOREIGN_ORIGIN}/`).split(ownOrigin).join(FOREIGN_ORIGIN));
  // Relative `_links.next` (Confluence) becomes absolute on the foreign origin too.
  const body = rewritten.replace(/"next":"\/(?!\/)/g, `"next":"${FOREIGN_ORIGIN}/`);
  return new Response(body, { status: res.status, headers });
}
