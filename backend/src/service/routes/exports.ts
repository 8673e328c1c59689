/**
 * Exports of the tenant's current model: the access-review CSV and the versioned JSON model, streamed from their
 * writers with backpressure (the body is never one string in memory), and Veza OAA payloads. The model version
 * exported is in the `X-Model-Version` header.
 *
 * @module
 */
import { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { stream } from "hono/streaming";
import type { StreamingApi } from "hono/utils/stream";
import { z } from "zod";
import { writeAccessCsv } from "../../model/exports/csv.js";
import { writeModelJson } from "../../model/exports/json.js";
import { buildOaaPayload, buildOaaPayloads, OAA_PRODUCTS } from "../../model/exports/oaa.js";
import { OaaPayload } from "../../model/exports/oaa-schema.js";
import type { AppContext, Router } from "../contract.js";
import type { CachedModel } from "../model-cache.js";
import { TenantIdParam } from "../schemas.js";
import { currentModel } from "./model.js";

/** `true`/`false` (or `1`/`0`) in a query string. */
export const BoolQuery = z
  .enum(["true", "false", "1", "0"], { error: "must be true or false" })
  .transform((v) => v === "true" || v === "1");

/** A Node writable over Hono's streaming response, so the model writers can write to it. */
function toWritable(s: StreamingApi): Writable {
  return new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer | string, _enc, cb) {
      if (s.aborted) {
        cb(new Error("the client went away"));
        return;
      }
      s.write(typeof chunk === "string" ? chunk : new Uint8Array(chunk)).then(
        () => cb(),
        (err: unknown) => cb(err instanceof Error ? err : new Error("stream write failed")),
      );
    },
  });
}

function streamed(
  c: AppContext,
  m: CachedModel,
  contentType: string,
  filename: string,
  write: (out: Writable) => Promise<unknown>,
): Response {
  c.header("content-type", contentType);
  c.header("content-disposition", `attachment; filename="${filename}"`);
  c.header("x-model-version", String(m.version));
  const log = c.get("log");
  return stream(
    c,
    async (s) => {
      const out = toWritable(s);
      await write(out);
      out.end();
      await finished(out);
    },
    async (err) => {
      // Headers are gone by now: the body is cut short, and the log says why.
      log.error("export stream failed", { err, file: filename });
    },
  );
}

export function exportRoutes(r: Router): void {
  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/exports/access.csv",
      operationId: "exportAccessCsv",
      summary: "Access-review CSV",
      description:
        "One row per effective access (identity, account, product, resource, permission, via), sorted; " +
        "byte-identical for the same model. Pseudo-principals appear once unless `expand=true`.",
      tags: ["exports"],
      auth: "tenant",
      params: TenantIdParam,
      query: z.object({ expand: BoolQuery.default(false) }),
      responses: { 200: { description: "The CSV, streamed.", contentType: "text/csv" } },
    },
    async ({ c, tenant, query, services }) => {
      const m = await currentModel(services, tenant!.id);
      return streamed(c, m, "text/csv; charset=utf-8", `access-v${m.version}.csv`, (out) =>
        writeAccessCsv(m.model, out, { expand: query.expand }),
      );
    },
  );

  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/exports/model.json",
      operationId: "exportModelJson",
      summary: "The model as JSON",
      description: "The whole model in its versioned schema (`format: accessmap-model`), streamed.",
      tags: ["exports"],
      auth: "tenant",
      params: TenantIdParam,
      responses: { 200: { description: "The model document, streamed.", contentType: "application/json" } },
    },
    async ({ c, tenant, services }) => {
      const m = await currentModel(services, tenant!.id);
      return streamed(c, m, "application/json; charset=utf-8", `model-v${m.version}.json`, (out) =>
        writeModelJson(m.model, out),
      );
    },
  );

  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/exports/oaa",
      operationId: "exportOaa",
      summary: "Veza OAA payloads",
      description: "A custom-application payload per product (or only `product`), ready to push to Veza.",
      tags: ["exports"],
      auth: "tenant",
      params: TenantIdParam,
      query: z.object({ product: z.enum(OAA_PRODUCTS).optional() }),
      responses: {
        200: {
          description: "The payloads.",
          schema: z.object({
            modelVersion: z.number().int(),
            payloads: z.array(z.object({ product: z.enum(OAA_PRODUCTS), payload: OaaPayload })),
          }),
        },
      },
    },
    async ({ tenant, query, services }) => {
      const m = await currentModel(services, tenant!.id);
      // Built once per model version (and product).
      const memoKey = `oaa:${query.product ?? "*"}`;
      let payloads = m.memo.get(memoKey) as ReturnType<typeof buildOaaPayloads> | undefined;
      if (!payloads) {
        payloads = query.product
          ? [{ product: query.product, payload: buildOaaPayload(m.model, query.product) }]
          : buildOaaPayloads(m.model);
        m.memo.set(memoKey, payloads);
      }
      return {
        status: 200,
        body: { modelVersion: m.version, payloads },
        headers: { "x-model-version": String(m.version) },
      };
    },
  );
}
