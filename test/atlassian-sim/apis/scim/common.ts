/**
 * Shared pieces of the SCIM 2.0 handlers: schema URNs, the `application/scim+json` response, request-body parsing,
 * and `ScimProblem`, the error a handler throws to answer with a SCIM `Error` body (RFC 7644 §3.12).
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { SimEnv } from "../../http/env.js";
import { baseOf } from "../../http/pagination.js";

export const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
export const CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/** Atlassian's own extension, carrying the linked account id (`atlassianAccountId`). */
export const ATLASSIAN_EXTERNAL = "urn:scim:schemas:extension:atlassian-external:1.0";
export const LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/** Largest `count` the directory serves per page (Atlassian KB "How to fetch all users via … SCIM API"). */
export const MAX_COUNT = 100;

/** The RFC 7644 §3.12 `scimType` keywords the spec's `ScimError` enumerates. */
export type ScimType =
  | "invalidFilter"
  | "tooMany"
  | "uniqueness"
  | "mutability"
  | "invalidSyntax"
  | "invalidPath"
  | "noTarget"
  | "invalidValue"
  | "invalidVers"
  | "sensitive";

/** A request the SCIM API refuses; the module's error handler renders it as a SCIM `Error` body. */
export class ScimProblem extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly scimType: ScimType | undefined,
    detail: string,
  ) {
    super(detail);
  }
}

/** A SCIM response body: Atlassian answers `application/scim+json` whatever the request's content type. */
export function scimJson(
  c: Context<SimEnv>,
  body: unknown,
  status: ContentfulStatusCode = 200,
  headers: Record<string, string> = {},
): Response {
  return c.body(JSON.stringify(body), status, { ...headers, "content-type": "application/scim+json" });
}

/** The absolute URL of the directory the request addresses, e.g. `<origin>/admin-api/scim/directory/<id>`. */
export function directoryBase(c: Context<SimEnv>): string {
  return baseOf(c, `/scim/directory/${c.req.param("directoryId") ?? ""}`);
}

/**
 * The request's JSON object body. Both `application/scim+json` and `application/json` are accepted (reference §2.3),
 * as is a missing content type; a body that is not a JSON object is `invalidSyntax`.
 */
export async function readObject(c: Context<SimEnv>): Promise<Record<string, unknown>> {
  const type = (c.req.header("content-type") ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (type !== "" && type !== "application/json" && type !== "application/scim+json") {
    throw new ScimProblem(400, "invalidSyntax", `Unsupported content type ${type}; send application/scim+json`);
  }
  const text = await c.req.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ScimProblem(400, "invalidSyntax", "The request body is not valid JSON");
  }
  if (!isObject(parsed)) throw new ScimProblem(400, "invalidSyntax", "The request body must be a JSON object");
  return parsed;
}

/** Refuses a resource body whose `schemas` does not name the resource's core schema (required on create/replace). */
export function requireSchema(body: Record<string, unknown>, urn: string): void {
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === "string" && s.toLowerCase() === urn.toLowerCase())) {
    throw new ScimProblem(400, "invalidSyntax", `The request must list the schema ${urn} in "schemas"`);
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The value of `key` in `obj`, matching the key case-insensitively (SCIM attribute names are, RFC 7643 §2.1). */
export function getCI(obj: Record<string, unknown>, key: string): unknown {
  if (key in obj) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

/** A string attribute value: `null` and `""` clear it (reference-cases S11 treats both alike). */
export function optionalString(v: unknown, attr: string): string | null {
  if (v === null || v === undefined || v === "") return null;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new ScimProblem(400, "invalidValue", `Attribute ${attr} must be a string`);
}

/** A boolean attribute value; the strings "True"/"False" are accepted leniently, as Entra ID sends them. */
export function booleanValue(v: unknown, attr: string): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|false)$/i.test(v)) return v.toLowerCase() === "true";
  throw new ScimProblem(400, "invalidValue", `Attribute ${attr} must be a boolean`);
}
