/**
 * Error bodies exactly as each Atlassian API publishes them, so clients are tested against the real shapes.
 * Each helper returns a Response; callers `return` it.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Admin v2: `{"errors":[{id,status,code,title,detail}]}` (admin-organization spec, `Errors`). */
export function adminV2Error(c: Context, status: ContentfulStatusCode, code: string, title: string, detail?: string) {
  return c.json(
    { errors: [{ id: crypto.randomUUID(), status: String(status), code, title, ...(detail ? { detail } : {}) }] },
    status,
  );
}

/** Admin v1 gateway error: `ProxyError {code, message}` (401, 429). */
export function adminProxyError(c: Context, status: ContentfulStatusCode, message: string) {
  return c.json({ code: status, message }, status);
}

/** SCIM error per RFC 7644 §3.12 (`status` is a string, as Atlassian sends it). */
export function scimError(c: Context, status: ContentfulStatusCode, detail: string, scimType?: string) {
  return c.body(
    JSON.stringify({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
      status: String(status),
      ...(scimType ? { scimType } : {}),
      detail,
    }),
    status,
    { "content-type": "application/scim+json" },
  );
}

/** SCIM 401/403: Atlassian's `Failure {error, traceId}`, which is not SCIM-shaped. */
export function scimAuthFailure(c: Context, status: 401 | 403, error: string) {
  return c.json({ error, traceId: crypto.randomUUID().replaceAll("-", "") }, status);
}

/** Jira REST v3 `ErrorCollection`. */
export function jiraError(c: Context, status: ContentfulStatusCode, ...messages: string[]) {
  return c.json({ errorMessages: messages, errors: {} }, status);
}

/** Confluence v2 `{"errors":[{status,code,title,detail}]}`. */
export function confluenceV2Error(c: Context, status: ContentfulStatusCode, code: string, title: string) {
  return c.json({ errors: [{ status, code, title, detail: null }] }, status);
}

/** Confluence v1 error body. */
export function confluenceV1Error(c: Context, status: ContentfulStatusCode, message: string) {
  return c.json(
    {
      statusCode: status,
      data: { authorized: status !== 401 && status !== 403, valid: true, errors: [], successful: false },
      message,
    },
    status,
  );
}

/** Bitbucket 2.0 `{"type":"error","error":{message,detail?}}`. */
export function bitbucketError(c: Context, status: ContentfulStatusCode, message: string, detail?: string) {
  return c.json({ type: "error", error: { message, ...(detail ? { detail } : {}) } }, status);
}

/** An error body in the style of the given API, for injected faults and rate limits. */
export function apiError(c: Context, api: import("./env.js").ApiName, status: ContentfulStatusCode, message: string) {
  switch (api) {
    case "admin":
    case "user-management":
      return adminV2Error(c, status, `ADMIN-${status}`, message);
    case "scim":
      return scimError(c, status, message);
    case "jira":
      return jiraError(c, status, message);
    case "confluence":
      return confluenceV2Error(c, status, `HTTP_${status}`, message);
    case "bitbucket":
    case "bitbucket-oauth":
      return bitbucketError(c, status, message);
  }
}
