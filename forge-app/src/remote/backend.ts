/**
 * The Forge Remote client: JSON calls to the accessmap backend through `invokeRemote` (Forge adds the Forge
 * Invocation Token). Responses are checked against the wire schemas in `shared/`; the Forge app never imports the
 * backend.
 */
import { invokeRemote } from "@forge/api";
import type { ZodType } from "zod";

/** The `remotes` key in manifest.yml. */
export const BACKEND_REMOTE = "accessmap-backend";

/** A non-2xx answer from the backend, with its parsed error body (`{error:{code, message, details?}}`). */
export class RemoteError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
    readonly retryAfterSeconds: number | null,
  ) {
    const msg =
      body && typeof body === "object" && "error" in body
        ? String((body as { error?: { message?: unknown } }).error?.message ?? "")
        : "";
    super(`backend ${path}: HTTP ${status}${msg ? ` (${msg})` : ""}`);
    this.name = "RemoteError";
  }

  /** The backend's error code (`no_model`, `stale_plan`, …), if it sent one. */
  get code(): string | null {
    const e = (this.body as { error?: { code?: unknown } } | null)?.error;
    return typeof e?.code === "string" ? e.code : null;
  }

  /** The backend's error message, meant to be shown (never a stack trace), if it sent one. */
  get detailMessage(): string | null {
    const e = (this.body as { error?: { message?: unknown } } | null)?.error;
    return typeof e?.message === "string" && e.message !== "" ? e.message : null;
  }

  /** The backend's error details (`{issues: [...]}` for validation failures). */
  get details(): unknown {
    return (this.body as { error?: { details?: unknown } } | null)?.error?.details;
  }
}

export interface PostOptions {
  /** Retries on 429/502/503/504 (honouring Retry-After); only for idempotent calls. */
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
}

export type BackendMethod = "GET" | "PUT" | "POST";

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Calls the backend with a JSON body (none for GET) and validates the 2xx answer with `schema`. */
export async function callBackend<T>(
  method: BackendMethod,
  path: string,
  body: unknown,
  schema: ZodType<T>,
  opts: PostOptions = {},
): Promise<T> {
  const retries = opts.retries ?? 0;
  const sleep = opts.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    const res = await invokeRemote(BACKEND_REMOTE, {
      path,
      method,
      headers:
        method === "GET"
          ? { accept: "application/json" }
          : { "content-type": "application/json", accept: "application/json" },
      ...(method === "GET" ? {} : { body: JSON.stringify(body ?? {}) }),
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (res.status >= 200 && res.status < 300) return schema.parse(parsed);
    const ra = Number(res.headers.get("retry-after"));
    const retryAfter = Number.isFinite(ra) && ra > 0 ? ra : null;
    const err = new RemoteError(path, res.status, parsed, retryAfter);
    if (attempt < retries && [429, 502, 503, 504].includes(res.status)) {
      await sleep((retryAfter ?? 2 ** attempt) * 1000);
      continue;
    }
    throw err;
  }
}

/** POSTs JSON to the backend and validates the answer. */
export function postBackend<T>(path: string, body: unknown, schema: ZodType<T>, opts: PostOptions = {}): Promise<T> {
  return callBackend("POST", path, body, schema, opts);
}
