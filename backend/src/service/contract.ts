/**
 * Route contracts: each route is declared once, with zod schemas for its path parameters, query, body and
 * responses and the credential it needs, and {@link Router.route} both mounts it on the Hono app (authenticating,
 * validating and answering in the one error shape) and records it for the OpenAPI document (`openapi.ts`), so the
 * document cannot drift from the routes.
 *
 * Order of checks: credential (401), permission (403), path parameters (400), the tenant's existence (404),
 * query and body (415, 400), then the handler. With `validateResponses` (tests), every JSON answer is checked
 * against its declared response schema too.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import type { z } from "zod";
import type { Logger } from "../security/logger.js";
import type { Tenant } from "../store/store.js";
import {
  type AuthOutcome,
  actorOf,
  authenticateBearer,
  authenticateForge,
  authenticateForgeInstall,
  type Principal,
} from "./auth.js";
import {
  ApiError,
  type ErrorStatus,
  fieldIssues,
  forbidden,
  notFound,
  unauthenticated,
  validationError,
} from "./errors.js";
import type { Services } from "./services.js";

export type AppEnv = {
  Variables: {
    requestId: string;
    principal: Principal | null;
    log: Logger;
  };
};
export type AppContext = Context<AppEnv>;

/**
 * - `none`: no credential.
 * - `operator`: the operator token only (a tenant key gets 403).
 * - `tenant`: the operator, or a key of the tenant named by the `{tenantId}` path parameter (another tenant's key
 *   gets 403).
 * - `any`: the operator or any tenant key.
 * - `forge`: a Forge Invocation Token; the tenant is the installation's (an unbound installation gets 403).
 * - `forgeInstall`: a Forge Invocation Token whose installation may not be bound yet; the tenant is the
 *   installation's, or null (registration and uninstall, which must work before and after the binding).
 */
export type AuthMode = "none" | "operator" | "tenant" | "any" | "forge" | "forgeInstall";

export type Method = "get" | "post" | "put" | "patch" | "delete";

export interface ResponseSpec {
  description: string;
  /** JSON body schema; absent for bodiless (204) or non-JSON answers. */
  schema?: z.ZodType;
  /** Default `application/json` when `schema` is set. */
  contentType?: string;
}

type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface RouteContract<
  P extends AnyObject | undefined = AnyObject | undefined,
  Q extends AnyObject | undefined = AnyObject | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: Method;
  /** OpenAPI form: `/v1/tenants/{tenantId}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  auth: AuthMode;
  params?: P;
  query?: Q;
  body?: B;
  /** Whether the body may be omitted (treated as `{}`). */
  bodyOptional?: boolean;
  /** Success answers by status. */
  responses: Record<number, ResponseSpec>;
  /** Error statuses the route can answer besides those implied by auth and validation. */
  errors?: ErrorStatus[];
  /** Regular expressions for path parameters, so `/snapshots/diff` never matches `/snapshots/{version}`. */
  paramPatterns?: Record<string, string>;
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface HandlerInput<P, Q, B> {
  c: AppContext;
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  principal: Principal | null;
  /** `operator`, `apikey:<id>`, `forge:<installationId>`, or `anonymous`. */
  actor: string;
  /** The tenant of a `tenant` or `forge` route (checked to exist); of a `forgeInstall` route when bound, else null. */
  tenant: Tenant | null;
  log: Logger;
  services: Services;
}

export type JsonResult = { status: number; body: unknown; headers?: Record<string, string> };
export type HandlerResult = Response | JsonResult;

export type Handler<P, Q, B> = (input: HandlerInput<P, Q, B>) => Promise<HandlerResult> | HandlerResult;

/** Hono's path syntax for an OpenAPI path: `{id}` → `:id`, with an optional pattern. */
export function honoPath(path: string, patterns: Record<string, string> = {}): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, (_m, name: string) =>
    patterns[name] ? `:${name}{${patterns[name]}}` : `:${name}`,
  );
}

async function authenticate(c: AppContext, mode: AuthMode, services: Services): Promise<AuthOutcome | null> {
  if (mode === "none") return null;
  const header = c.req.header("authorization");
  if (mode === "forge" || mode === "forgeInstall") {
    if (!services.fit) {
      throw new ApiError(503, "forge_not_configured", "Forge authentication is not enabled on this service");
    }
    return mode === "forge" ? authenticateForge(header, services.fit) : authenticateForgeInstall(header, services.fit);
  }
  return authenticateBearer(header, services.operator, services.store);
}

function authError(outcome: Extract<AuthOutcome, { ok: false }>): ApiError {
  if (outcome.status === 401) return unauthenticated(outcome.reason);
  if (outcome.status === 403) return forbidden(outcome.reason);
  return new ApiError(503, "unavailable", outcome.reason);
}

async function readJson(c: AppContext, optional: boolean): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") {
    if (optional) return {};
    throw validationError([{ path: "body", message: "a JSON body is required" }]);
  }
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new ApiError(415, "unsupported_media_type", "the body must be JSON (Content-Type: application/json)");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "invalid_json", "the body is not valid JSON");
  }
}

function parseOr400<T extends z.ZodType>(schema: T, value: unknown, where: "path" | "query" | "body"): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(fieldIssues(r.error, where));
  return r.data;
}

/** Registers routes on an app and remembers their contracts. */
export class Router {
  readonly contracts: RouteContract[] = [];

  constructor(
    readonly app: Hono<AppEnv>,
    readonly services: Services,
  ) {}

  route<P extends AnyObject | undefined, Q extends AnyObject | undefined, B extends z.ZodType | undefined>(
    contract: RouteContract<P, Q, B>,
    handler: Handler<P, Q, B>,
  ): void {
    this.contracts.push(contract as RouteContract);
    const services = this.services;
    const path = honoPath(contract.path, contract.paramPatterns);
    this.app.on(contract.method.toUpperCase(), path, async (c) => {
      const outcome = await authenticate(c, contract.auth, services);
      if (outcome && !outcome.ok) {
        // J9: a valid token of an installation no tenant is bound to. No tenant's audit log can hold it: log it.
        if (outcome.installationId) {
          c.get("log").warn("Forge installation not registered", { installationId: outcome.installationId });
        }
        throw authError(outcome);
      }
      const principal = outcome?.ok ? outcome.principal : null;
      c.set("principal", principal);
      if (contract.auth === "operator" && principal?.kind !== "operator") {
        throw forbidden("only the operator may do this");
      }
      const params = contract.params ? parseOr400(contract.params, c.req.param(), "path") : undefined;
      let tenant: Tenant | null = null;
      if (contract.auth === "tenant" || (contract.auth === "operator" && contract.path.includes("{tenantId}"))) {
        const tenantId = (params as { tenantId?: string } | undefined)?.tenantId;
        if (typeof tenantId !== "string") throw new TypeError(`${contract.path}: tenant routes need {tenantId}`);
        // A key of another tenant is refused before the store is asked, so ids are never confirmed to it.
        if (principal?.kind === "apikey" && principal.tenantId !== tenantId) {
          throw forbidden("this API key belongs to another tenant");
        }
        tenant = await services.store.getTenant(tenantId);
        if (!tenant) {
          if (principal?.kind === "operator") throw notFound("tenant");
          // The key's own tenant vanished (deleted meanwhile): the key no longer authenticates.
          throw unauthenticated("the credential is not valid");
        }
      } else if (contract.auth === "forge" && principal?.kind === "forge") {
        tenant = await services.store.getTenant(principal.tenantId);
        if (!tenant) throw forbidden("this Forge installation is not registered");
      } else if (contract.auth === "forgeInstall" && principal?.kind === "forgeInstall" && principal.tenantId) {
        // A binding the index still remembers for a tenant deleted meanwhile counts as no binding.
        tenant = await services.store.getTenant(principal.tenantId);
      }
      const query = contract.query ? parseOr400(contract.query, c.req.query(), "query") : undefined;
      const body = contract.body
        ? parseOr400(contract.body, await readJson(c, contract.bodyOptional ?? false), "body")
        : undefined;
      const result = await handler({
        c,
        params: params as Out<P>,
        query: query as Out<Q>,
        body: body as Out<B>,
        principal,
        actor: principal ? actorOf(principal) : "anonymous",
        tenant,
        log: c.get("log"),
        services,
      });
      if (result instanceof Response) return result;
      const spec = contract.responses[result.status];
      if (!spec) throw new Error(`${contract.operationId} answered undeclared status ${result.status}`);
      if (services.validateResponses && spec.schema) {
        const check = spec.schema.safeParse(result.body);
        if (!check.success) {
          throw new Error(
            `${contract.operationId} ${result.status} breaks its contract: ${check.error.issues
              .slice(0, 5)
              .map((i) => `${i.path.join(".")}: ${i.message}`)
              .join("; ")}`,
          );
        }
      }
      for (const [k, v] of Object.entries(result.headers ?? {})) c.header(k, v);
      if (!spec.schema) return c.body(null, result.status as 204);
      return c.json(result.body as object, result.status as 200);
    });
  }
}

/** Looks a tenant's store up, for handlers that need it typed non-null. */
export function tenantOf(input: { tenant: Tenant | null }): Tenant {
  if (!input.tenant) throw new Error("route declared without a tenant");
  return input.tenant;
}
