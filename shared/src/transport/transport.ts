/**
 * The one transport: every request to an Atlassian API goes through `Transport.request`, which alone paces,
 * retries and classifies. Platform code only supplies `send` (undici in the backend, `requestJira` /
 * `requestConfluence` in the Forge app), so both run the same rules.
 *
 * Rules (reference §3; reliability cases H1–H16):
 * - only idempotent requests are retried, on 429, 502, 503, 504 and transient network errors; never on
 *   400/401/403/404/409, and 500 only when `retryServerErrors` is set;
 * - the wait is the server's (`Retry-After`, then `X-RateLimit-Reset`), never clamped; else exponential backoff
 *   ×2 from `baseDelayMs` with jitter ×[0.7, 1.3], capped at `maxDelayMs`, at most `maxRetries` retries;
 * - an overall deadline ends the attempts with a TimeoutError; a caller's abort is never retried;
 * - credentials go only to the configured origin, whatever a `next` link says;
 * - responses are validated with zod: a mismatch throws in tests and warns (paths only) in production.
 */

import type { CircuitBreaker } from "@accessmap/shared/transport/circuit-breaker";
import {
  AbortedError,
  type AccessmapError,
  type ApiErrorInfo,
  AuthError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NetworkError,
  NotFoundError,
  OriginError,
  RateLimitError,
  SchemaMismatchError,
  ServerError,
  TimeoutError,
  WriteRefusedError,
} from "@accessmap/shared/transport/errors";
import type { Governor } from "@accessmap/shared/transport/governor";
import { PagingReport } from "@accessmap/shared/transport/paging-report";
import { type HeaderSource, readRateLimitSignals } from "@accessmap/shared/transport/rate-limit-headers";
import { redactUrl } from "@accessmap/shared/transport/redact";
import type { ZodType } from "zod";

export interface RawRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  headers: HeaderSource;
  text(): Promise<string>;
}

/** The platform's HTTP client. It must not follow redirects to other origins and must not retry by itself. */
export type Send = (req: RawRequest) => Promise<RawResponse>;

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Overall budget for one logical request, attempts and waits included. */
  deadlineMs: number;
  retryServerErrors: boolean;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 5_000,
  maxDelayMs: 30_000,
  deadlineMs: 15 * 60_000,
  retryServerErrors: false,
};

/** One HTTP exchange, reported for counting (calls, bytes, retries, waits). */
export interface CallEvent {
  product: string;
  endpoint: string;
  method: string;
  status: number;
  bytes: number;
  attempt: number;
  willRetry: boolean;
}

export interface TransportConfig {
  /** API name, used for governor lanes, the breaker and error messages: `admin`, `scim`, `jira`, … */
  product: string;
  /** Base URL; every request's URL must share its origin. */
  baseUrl: string;
  /** The Authorization header value (may fetch or refresh a token). */
  authorization?: () => Promise<string | null> | string | null;
  /** Called once on a 401; returning true retries the request with a fresh credential (Bitbucket token expiry). */
  refreshAuth?: () => Promise<boolean>;
  send: Send;
  governor: Governor;
  breaker: CircuitBreaker;
  retry?: Partial<RetryPolicy>;
  /** `throw` in tests; `warn` in production. */
  schemaMode: "warn" | "throw";
  /** Read-only transports refuse anything but GET/HEAD and requests marked `readOnlyPost`. */
  readOnly: boolean;
  warn?: (message: string, fields: Record<string, unknown>) => void;
  onCall?: (e: CallEvent) => void;
  clock?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export type QueryValue = string | number | boolean | undefined | null | Array<string | number>;

export interface RequestOptions<T> {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";
  /** Path relative to the base URL (starting with `/`), or an absolute URL on the same origin. */
  path: string;
  query?: Record<string, QueryValue>;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  schema?: ZodType<T>;
  /** Label for pacing, counting and errors, e.g. `GET /rest/api/3/group/member`. */
  endpoint: string;
  /** A POST that only reads (searches): may be sent by a read-only transport and retried. */
  readOnlyPost?: boolean;
  signal?: AbortSignal;
}

export interface TransportResponse<T> {
  data: T;
  status: number;
  headers: HeaderSource;
  bytes: number;
}

/** Network error codes that mean "try again" (undici, Node, TLS), found by walking `cause`. */
const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

/** Finds the first error code in an error's cause chain. */
export function networkErrorCode(err: unknown): string | null {
  let e: unknown = err;
  for (let depth = 0; e && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true || (err as { name?: string } | null)?.name === "AbortError";
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortedError());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** Extracts a product's own error message from an error body, without echoing the whole body. */
function productMessage(text: string): string | null {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const candidates: unknown[] = [
      (body.errorMessages as unknown[] | undefined)?.[0],
      (body.errors as Array<Record<string, unknown>> | undefined)?.[0]?.title,
      (body.error as Record<string, unknown> | undefined)?.message,
      body.detail,
      body.message,
      typeof body.error === "string" ? body.error : undefined,
    ];
    const found = candidates.find((c) => typeof c === "string" && c.length > 0) as string | undefined;
    return found ? found.slice(0, 300) : null;
  } catch {
    return null;
  }
}

/** Describes zod issues by path and expected type only: values (names, emails) never leave this function. */
function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; code: string; expected?: unknown }>): string[] {
  return issues.slice(0, 20).map((i) => {
    const path = i.path.map((p) => (typeof p === "number" ? "[]" : String(p))).join(".") || "(root)";
    return `${path}: ${i.code}${i.expected ? ` (expected ${String(i.expected)})` : ""}`;
  });
}

export class Transport {
  readonly product: string;
  /** Duplicates dropped and inconsistent totals seen by the pagination drivers on this transport. */
  readonly paging = new PagingReport();
  private readonly origin: string;
  private readonly basePath: string;
  private readonly retry: RetryPolicy;
  private readonly clock: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly cfg: TransportConfig) {
    const base = new URL(cfg.baseUrl);
    this.product = cfg.product;
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, "");
    this.retry = { ...DEFAULT_RETRY, ...cfg.retry };
    this.clock = cfg.clock ?? Date.now;
    this.sleep = cfg.sleep ?? defaultSleep;
    this.random = cfg.random ?? Math.random;
  }

  /** Builds the absolute URL for a path or link, refusing any origin but the configured one. */
  resolveUrl(pathOrUrl: string, query?: Record<string, QueryValue>): URL {
    const url = /^https?:\/\//i.test(pathOrUrl)
      ? new URL(pathOrUrl)
      : new URL(`${this.origin}${this.basePath}${pathOrUrl}`);
    if (url.origin !== this.origin) throw new OriginError(this.origin, url.origin);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, String(item));
      else url.searchParams.set(k, String(v));
    }
    return url;
  }

  /** Sends one logical request, with pacing, retries and validation. */
  async request<T = unknown>(opts: RequestOptions<T>): Promise<TransportResponse<T>> {
    const method = opts.method ?? "GET";
    const isRead = method === "GET" || method === "HEAD" || opts.readOnlyPost === true;
    if (this.cfg.readOnly && !isRead) throw new WriteRefusedError(opts.endpoint);
    const idempotent = isRead || method === "PUT" || method === "DELETE";
    const url = this.resolveUrl(opts.path, opts.query);
    const started = this.clock();
    const deadline = started + this.retry.deadlineMs;
    let refreshed = false;

    for (let attempt = 1; ; attempt++) {
      if (opts.signal?.aborted) throw new AbortedError();
      this.cfg.breaker.before();
      let outcome: { res: TransportResponse<T> } | { err: AccessmapError; waitMs: number | undefined };
      try {
        outcome = await this.cfg.governor.run(
          this.product,
          opts.endpoint,
          () => this.attempt(method, url, opts, attempt),
          opts.signal,
        );
      } catch (err) {
        if (err instanceof AbortedError || isAbort(err, opts.signal)) throw new AbortedError(undefined, { cause: err });
        throw err;
      }
      if ("res" in outcome) return outcome.res;
      const { err } = outcome;

      if (err instanceof AuthError && this.cfg.refreshAuth && !refreshed) {
        refreshed = true;
        if (await this.cfg.refreshAuth()) continue;
      }
      const retryable =
        idempotent &&
        attempt <= this.retry.maxRetries &&
        (err instanceof RateLimitError ||
          (err instanceof ServerError &&
            ([502, 503, 504].includes(err.status) || (this.retry.retryServerErrors && err.status === 500))) ||
          (err instanceof NetworkError && err.transient));
      if (!retryable) throw err;

      const backoff =
        Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1)) * (0.7 + this.random() * 0.6);
      // The server's wait is a minimum and is never clamped (H1); the governor also holds other requests back.
      const wait = outcome.waitMs !== undefined ? Math.max(outcome.waitMs, 0) : backoff;
      if (this.clock() + wait > deadline) {
        throw new TimeoutError(`${this.product} ${opts.endpoint}: retry budget exhausted after ${attempt} attempts`, {
          cause: err,
        });
      }
      if (outcome.waitMs === undefined) await this.sleep(wait, opts.signal);
    }
  }

  private async attempt<T>(
    method: string,
    url: URL,
    opts: RequestOptions<T>,
    attempt: number,
  ): Promise<{ res: TransportResponse<T> } | { err: AccessmapError; waitMs: number | undefined }> {
    const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
    const auth = await this.cfg.authorization?.();
    if (auth) headers.authorization = auth;
    let body: string | undefined;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["content-type"] ??= "application/json";
    } else if (opts.form) {
      body = new URLSearchParams(opts.form).toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    }
    const report = (status: number, bytes: number, willRetry: boolean) =>
      this.cfg.onCall?.({ product: this.product, endpoint: opts.endpoint, method, status, bytes, attempt, willRetry });

    let raw: RawResponse;
    try {
      raw = await this.cfg.send({ method, url: url.toString(), headers, body, signal: opts.signal });
    } catch (cause) {
      if (isAbort(cause, opts.signal)) throw new AbortedError(undefined, { cause });
      const code = networkErrorCode(cause);
      this.cfg.breaker.failure();
      report(0, 0, true);
      const transient = code === null || TRANSIENT_CODES.has(code);
      return {
        err: new NetworkError(
          `${this.product} ${opts.endpoint}: connection failed${code ? ` (${code})` : ""}`,
          code,
          transient,
          {
            cause,
          },
        ),
        waitMs: undefined,
      };
    }

    const signals = readRateLimitSignals(raw.headers, this.clock());
    this.cfg.governor.observe(this.product, opts.endpoint, raw.status, signals);
    let text: string;
    try {
      text = await raw.text();
    } catch (cause) {
      this.cfg.breaker.failure();
      report(raw.status, 0, true);
      return {
        err: new NetworkError(
          `${this.product} ${opts.endpoint}: response body interrupted`,
          networkErrorCode(cause),
          true,
          { cause },
        ),
        waitMs: undefined,
      };
    }
    const bytes = text.length;

    if (raw.status >= 200 && raw.status < 300) {
      let data: unknown;
      try {
        data = text.length === 0 ? undefined : JSON.parse(text);
      } catch (cause) {
        // A cut-off body: transient for a retry-safe request, like a reset connection.
        this.cfg.breaker.failure();
        report(raw.status, bytes, true);
        return {
          err: new NetworkError(`${this.product} ${opts.endpoint}: truncated or invalid JSON body`, null, true, {
            cause,
          }),
          waitMs: undefined,
        };
      }
      this.cfg.breaker.success();
      report(raw.status, bytes, false);
      return { res: { data: this.validate(opts, data), status: raw.status, headers: raw.headers, bytes } };
    }

    const info: ApiErrorInfo = {
      product: this.product,
      method,
      url: redactUrl(url.toString()),
      endpoint: opts.endpoint,
      status: raw.status,
      productMessage: productMessage(text),
      requestId: raw.headers.get("x-arequestid") ?? raw.headers.get("x-request-id") ?? raw.headers.get("atl-traceid"),
    };
    const err = classify(info, signals.waitMs, signals.reason);
    if (raw.status >= 500) this.cfg.breaker.failure();
    else this.cfg.breaker.success();
    const willRetry = err instanceof RateLimitError || err instanceof ServerError;
    report(raw.status, bytes, willRetry);
    return { err, waitMs: raw.status === 429 || raw.status === 503 ? signals.waitMs : undefined };
  }

  private validate<T>(opts: RequestOptions<T>, data: unknown): T {
    if (!opts.schema) return data as T;
    const parsed = opts.schema.safeParse(data);
    if (parsed.success) return parsed.data;
    const issues = describeIssues(parsed.error.issues as never);
    if (this.cfg.schemaMode === "throw") throw new SchemaMismatchError(opts.endpoint, issues);
    this.cfg.warn?.("response does not match its schema", { product: this.product, endpoint: opts.endpoint, issues });
    return data as T;
  }
}

/** Maps an HTTP error status to its typed error. */
function classify(info: ApiErrorInfo, waitMs: number | undefined, reason: string | null): AccessmapError {
  switch (info.status) {
    case 400:
      return new BadRequestError("bad-request", info);
    case 401:
      return new AuthError("auth", info);
    case 403:
      return new ForbiddenError("forbidden", info);
    case 404:
      return new NotFoundError("not-found", info);
    case 409:
      return new ConflictError("conflict", info);
    case 429:
      return new RateLimitError(info, waitMs ?? null, reason);
    default:
      if (info.status === 503 && waitMs !== undefined) return new RateLimitError(info, waitMs, reason);
      if (info.status >= 500) return new ServerError("server", info);
      return new BadRequestError("bad-request", info);
  }
}
