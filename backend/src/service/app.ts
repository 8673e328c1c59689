/**
 * The accessmap HTTP service: `createServiceApp(ctx)` builds the Hono app over a store.
 *
 * Every request gets, in this order:
 * - a **request id**: `X-Request-Id` as given (letters, digits, `-_.:`, ≤ 128) or a new UUID, echoed in the answer
 *   and in every log line and error body;
 * - a **structured JSON log line** when it ends (method, route pattern, status, duration, actor), through the
 *   redacting logger; bodies, query strings and the Authorization header are never logged;
 * - **security headers** (`nosniff`, `no-store`, `no-referrer`);
 * - a **body-size limit** (413 beyond `bodyLimitBytes`), before any route reads the body.
 *
 * Every failure answers in one shape, `{ error: { code, message, requestId, details? } }`: validation errors name
 * the fields, store conflicts are 409, unknown routes 404, and anything unexpected is a 500 with a generic
 * message, logged (redacted) with the request id.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { actorOf } from "./auth.js";
import { type AppEnv, Router } from "./contract.js";
import { ApiError, type ErrorStatus, errorBody, fromStoreError } from "./errors.js";
import { docsRoutes } from "./openapi.js";
import { auditRoutes } from "./routes/audit.js";
import { eventRoutes } from "./routes/events.js";
import { exportRoutes } from "./routes/exports.js";
import { forgeRoutes } from "./routes/forge.js";
import { forgeAdminRoutes } from "./routes/forge-admin.js";
import { healthRoutes } from "./routes/health.js";
import { insightRoutes } from "./routes/insights.js";
import { lifecycleRoutes } from "./routes/lifecycle.js";
import { modelRoutes } from "./routes/model.js";
import { snapshotRoutes } from "./routes/snapshots.js";
import { syncRoutes } from "./routes/syncs.js";
import { tenantRoutes } from "./routes/tenants.js";
import { resolveServices, type ServiceContext, type Services } from "./services.js";

export type { ServiceContext } from "./services.js";

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

const KNOWN_STATUSES = new Set<number>([400, 401, 403, 404, 409, 413, 415, 422, 500, 503]);

export interface Service {
  app: Hono<AppEnv>;
  services: Services;
  router: Router;
}

/** The app with its services and route table (for tests and the OpenAPI check). */
export function createService(ctx: ServiceContext): Service {
  const services = resolveServices(ctx);
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    const given = c.req.header("x-request-id");
    const requestId = given && REQUEST_ID_RE.test(given) ? given : randomUUID();
    c.set("requestId", requestId);
    c.set("principal", null);
    const log = services.logger.child({ requestId });
    c.set("log", log);
    const started = performance.now();
    await next();
    c.header("x-request-id", requestId);
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    if (!c.res.headers.has("cache-control")) c.header("cache-control", "no-store");
    const principal = c.get("principal");
    log.info("request", {
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      actor: principal ? actorOf(principal) : null,
    });
  });

  app.use(
    bodyLimit({
      maxSize: services.bodyLimitBytes,
      onError: () => {
        throw new ApiError(413, "payload_too_large", `the body is larger than ${services.bodyLimitBytes} bytes`);
      },
    }),
  );

  app.onError((err, c) => {
    const requestId = c.get("requestId") ?? randomUUID();
    let e = fromStoreError(err);
    if (e instanceof HTTPException) {
      const status = KNOWN_STATUSES.has(e.status) ? (e.status as ErrorStatus) : 400;
      e = new ApiError(status, status === 413 ? "payload_too_large" : "validation_failed", "the request is invalid");
    }
    if (!(e instanceof ApiError)) {
      (c.get("log") ?? services.logger).error("unexpected error", { err, requestId });
      e = new ApiError(500, "internal", "internal error: quote the request id when reporting it");
    } else if (e.status >= 500) {
      (c.get("log") ?? services.logger).warn("request failed", { code: e.code, requestId });
    }
    const api = e as ApiError;
    return c.json(errorBody(api, requestId), api.status);
  });

  app.notFound((c) =>
    c.json(errorBody(new ApiError(404, "not_found", "no such route"), c.get("requestId") ?? randomUUID()), 404),
  );

  const router = new Router(app, services);
  healthRoutes(router);
  tenantRoutes(router);
  syncRoutes(router);
  snapshotRoutes(router);
  modelRoutes(router);
  exportRoutes(router);
  insightRoutes(router);
  auditRoutes(router);
  lifecycleRoutes(router);
  forgeRoutes(router);
  forgeAdminRoutes(router);
  eventRoutes(router);
  docsRoutes(router);
  return { app, services, router };
}

/** The accessmap HTTP service as a Hono app. */
export function createServiceApp(ctx: ServiceContext): Hono<AppEnv> {
  return createService(ctx).app;
}
