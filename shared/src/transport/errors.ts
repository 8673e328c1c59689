/**
 * Typed transport errors. Callers branch on the class (or `kind`), never on message text. Every error keeps its
 * `cause`, and none carries a secret: URLs are redacted and bodies are reduced to the product's own error message.
 */

export type ErrorKind =
  | "auth"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "bad-request"
  | "rate-limit"
  | "server"
  | "network"
  | "timeout"
  | "aborted"
  | "circuit-open"
  | "bulkhead-full"
  | "origin"
  | "schema"
  | "pagination"
  | "missing-identity"
  | "write-refused";

/** Base class of every error the transport and readers raise. */
export class AccessmapError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.name = new.target.name;
  }
}

export interface ApiErrorInfo {
  product: string;
  method: string;
  /** Redacted URL (no query secrets). */
  url: string;
  /** Endpoint label, e.g. `GET /rest/api/3/group/member`. */
  endpoint: string;
  status: number;
  /** The product's own error message, when the body carried one. */
  productMessage: string | null;
  requestId: string | null;
}

/** An HTTP error answer from a product API. */
export class ApiError extends AccessmapError {
  readonly info: ApiErrorInfo;
  constructor(kind: ErrorKind, info: ApiErrorInfo, message?: string, options?: { cause?: unknown }) {
    super(
      kind,
      message ??
        `${info.product} ${info.endpoint}: HTTP ${info.status}${info.productMessage ? ` — ${info.productMessage}` : ""}`,
      options,
    );
    this.info = info;
  }
  get status(): number {
    return this.info.status;
  }
}

/** 401: the credential is missing, wrong or expired. */
export class AuthError extends ApiError {}
/** 403: the credential is valid but lacks a permission or scope. */
export class ForbiddenError extends ApiError {}
export class NotFoundError extends ApiError {}
export class ConflictError extends ApiError {}
export class BadRequestError extends ApiError {}
/** 429 (or 503 with Retry-After) that outlasted the retry budget. */
export class RateLimitError extends ApiError {
  constructor(
    info: ApiErrorInfo,
    readonly retryAfterMs: number | null,
    readonly reason: string | null,
  ) {
    super("rate-limit", info);
  }
}
export class ServerError extends ApiError {}

/** A connection-level failure (reset, refused, DNS, TLS, truncated body). */
export class NetworkError extends AccessmapError {
  constructor(
    message: string,
    readonly code: string | null,
    readonly transient: boolean,
    options?: { cause?: unknown },
  ) {
    super("network", message, options);
  }
}

export class TimeoutError extends AccessmapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("timeout", message, options);
  }
}

export class AbortedError extends AccessmapError {
  constructor(message = "aborted by the caller", options?: { cause?: unknown }) {
    super("aborted", message, options);
  }
}

/** The product's circuit breaker is open after repeated failures: fail fast until a probe succeeds. */
export class CircuitOpenError extends AccessmapError {
  constructor(readonly product: string) {
    super("circuit-open", `${product}: too many consecutive failures; pausing requests to this product`);
  }
}

/** The per-product request queue is full. */
export class BulkheadFullError extends AccessmapError {
  constructor(readonly product: string) {
    super("bulkhead-full", `${product}: request queue is full`);
  }
}

/** A request (usually a `next` link) pointed at an origin other than the configured one; credentials stay home. */
export class OriginError extends AccessmapError {
  constructor(
    readonly expected: string,
    readonly got: string,
  ) {
    super("origin", `refused to send credentials to ${got}: only ${expected} is configured`);
  }
}

/** A response did not match its schema. `issues` hold paths and expected types only, never values. */
export class SchemaMismatchError extends AccessmapError {
  constructor(
    readonly endpoint: string,
    readonly issues: string[],
  ) {
    super("schema", `${endpoint}: response does not match its schema (${issues.slice(0, 5).join("; ")})`);
  }
}

/** A paginated listing misbehaved: unchanged cursor, offset not advancing, too many pages. */
export class PaginationError extends AccessmapError {
  constructor(
    readonly endpoint: string,
    readonly problem: "unchanged-cursor" | "no-progress" | "too-many-pages",
    message: string,
  ) {
    super("pagination", `${endpoint}: ${message}`);
  }
}

/** A record lacked the identity field that keys it (accountId, groupId, key…): the read fails rather than invent one. */
export class MissingIdentityError extends AccessmapError {
  constructor(
    readonly entity: string,
    readonly field: string,
  ) {
    super("missing-identity", `${entity} without ${field}: refusing to invent an identity`);
  }
}

/** Whether an error is worth retrying for an idempotent request (429/502/503/504, transient network). */
export function isRetryable(err: unknown): boolean {
  if (err instanceof RateLimitError) return true;
  if (err instanceof ServerError) return [502, 503, 504].includes(err.status);
  if (err instanceof NetworkError) return err.transient;
  return false;
}

/** A read-only (discovery) transport was asked to send a request that could change state. */
export class WriteRefusedError extends AccessmapError {
  constructor(readonly endpoint: string) {
    super("write-refused", `${endpoint}: refused — discovery may only send reads`);
  }
}
