/**
 * The Forge Remote client: JSON calls to the accessmap backend through `invokeRemote` (Forge adds the Forge
 * Invocation Token). Responses are checked against the wire schemas in `shared/`; the Forge app never imports the
 * backend.
 */
import { invokeRemote } from "@forge/api";
import type { ZodType } from "zod";

/** The `remotes` key in manifest.yml. */
export const BACKEND_REMOTE = "accessmap-backend";

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

  get code(): string | null {
    const e = (this.body as { error?: { code?: unknown } } | null)?.error;
    return typeof e?.code === "string" ? e.code : null;
  }
}

export interface PostOptions {
  /** Retries on 429/502/503/504 (honouring Retry-After); only for idempotent calls. */
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** POSTs JSON to the backend and validates the answer. */
export async function postBackend<T>(
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
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
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
