/**
 * The service's one error shape, `{ error: { code, message, requestId, details? } }`, and the mapping from every
 * failure (validation, auth, store, unexpected) onto it. Messages name fields, never their values; an unexpected
 * error answers 500 with a generic message and is logged, redacted, under the request id.
 *
 * @module
 */
import type { z } from "zod";
import { ConflictError, NotFoundError } from "../store/store.js";

export type ErrorCode =
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "validation_failed"
  | "invalid_json"
  | "invalid_cursor"
  | "cursor_stale"
  | "conflict"
  | "stale_plan"
  | "crawl_complete"
  | "not_configured"
  | "no_model"
  | "payload_too_large"
  | "unsupported_media_type"
  | "forge_not_configured"
  | "unavailable"
  | "internal";

export const ERROR_CODES: readonly ErrorCode[] = [
  "unauthenticated",
  "forbidden",
  "not_found",
  "validation_failed",
  "invalid_json",
  "invalid_cursor",
  "cursor_stale",
  "conflict",
  "stale_plan",
  "crawl_complete",
  "not_configured",
  "no_model",
  "payload_too_large",
  "unsupported_media_type",
  "forge_not_configured",
  "unavailable",
  "internal",
];

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 500 | 503;

/** One problem with a request field: where (`body.products.0`, `query.limit`) and what, never the value. */
export interface FieldIssue {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId: string; details?: unknown };
}

/** An error the API answers as is: status, code, a message safe to show, and optional details. */
export class ApiError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const unauthenticated = (message = "a valid credential is required") =>
  new ApiError(401, "unauthenticated", message);
export const forbidden = (message = "this credential may not do that") => new ApiError(403, "forbidden", message);
export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found`);

/** Issues of a zod error as field paths and messages, prefixed by where the input came from. */
export function fieldIssues(error: z.ZodError, where: "body" | "query" | "path"): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const base = [where, ...issue.path.map(String)].join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: `${base}.${key}`, message: "is not a known field" });
    } else {
      // zod messages state types and constraints, not the input; the ", received …" tail is dropped anyway.
      out.push({ path: base, message: issue.message.replace(/, received .*$/, "") });
    }
  }
  return out;
}

/** A 400 naming every field at fault. */
export function validationError(issues: FieldIssue[]): ApiError {
  const summary = issues
    .slice(0, 5)
    .map((i) => `${i.path}: ${i.message}`)
    .join("; ");
  return new ApiError(
    400,
    "validation_failed",
    `invalid request: ${summary}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ""}`,
    { issues },
  );
}

/**
 * A 422 naming every field at fault: the request is well-formed but its content cannot be used (a settings form whose
 * fields do not go together). Same shape as {@link validationError}; messages never carry the submitted values.
 */
export function unprocessable(issues: FieldIssue[], what = "the settings"): ApiError {
  const summary = issues
    .slice(0, 5)
    .map((i) => `${i.path}: ${i.message}`)
    .join("; ");
  return new ApiError(
    422,
    "validation_failed",
    `${what} cannot be saved: ${summary}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ""}`,
    { issues },
  );
}

/** Store errors that are the caller's business (unknown ids, state conflicts) as API errors; others unchanged. */
export function fromStoreError(err: unknown): unknown {
  if (err instanceof NotFoundError) return new ApiError(404, "not_found", "not found");
  if (err instanceof ConflictError) return new ApiError(409, "conflict", conflictMessage(err.message));
  return err;
}

/** Store conflict messages name versions and states only; keep them, bounded. */
function conflictMessage(message: string): string {
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

export function errorBody(err: ApiError, requestId: string): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      requestId,
      ...(err.details !== undefined ? { details: err.details } : {}),
    },
  };
}
