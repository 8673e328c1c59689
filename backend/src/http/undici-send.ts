/**
 * The backend's `send` for the shared transport: undici with a keep-alive agent, no redirects (a redirect to
 * another host must not carry credentials), and header/body timeouts so a stalled server becomes a typed
 * network error the transport can retry.
 */
import type { RawRequest, RawResponse, Send } from "@accessmap/shared/transport/transport";
import { Agent, request } from "undici";

export interface UndiciSendOptions {
  /** Connections per origin. */
  connections?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

/** Creates a `send` over one undici agent; call `close` when done. */
export function createUndiciSend(opts: UndiciSendOptions = {}): Send & { close(): Promise<void> } {
  const agent = new Agent({
    connections: opts.connections ?? 16,
    headersTimeout: opts.headersTimeoutMs ?? 60_000,
    bodyTimeout: opts.bodyTimeoutMs ?? 120_000,
    keepAliveTimeout: 10_000,
  });
  const send = async (req: RawRequest): Promise<RawResponse> => {
    const res = await request(req.url, {
      method: req.method as "GET",
      headers: req.headers,
      body: req.body,
      signal: req.signal,
      dispatcher: agent,
    });
    return {
      status: res.statusCode,
      headers: {
        get(name: string): string | null {
          const v = res.headers[name.toLowerCase()];
          if (v === undefined) return null;
          return Array.isArray(v) ? v.join(", ") : v;
        },
      },
      text: () => res.body.text(),
    };
  };
  return Object.assign(send, { close: () => agent.close() });
}
