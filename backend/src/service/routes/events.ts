/**
 * Event ingestion routes (issue "The backend service" §5–§6):
 *
 * - `POST /webhooks/bitbucket/{tenantId}`: a Bitbucket webhook delivery. The app's body limit answers 413 before
 *   the body is read, let alone hashed (W9). The signature (`X-Hub-Signature: sha256=…` over the RAW bytes) is
 *   checked against the tenant's sealed webhook secret(s) — current, and previous during a rotation (W8); any
 *   problem, including an unknown tenant or a tenant without a secret, is 401 (W3–W5), never a 500. A delivery id
 *   seen before (`X-Request-UUID`) is 200 `duplicate` with no side effect (W6). `X-Event-Key` must agree with the
 *   signed payload (W10: rejected otherwise). The event goes on the bounded queue and the answer is immediate; a
 *   full queue is 503 + Retry-After (W11), checked before the delivery is remembered, so the redelivery counts.
 * - `POST /forge/v1/events`: Forge product events the Forge app forwards (FIT); acknowledged at once (Forge's 5 s
 *   limit), processed from the queue.
 * - `POST /forge/v1/crawls`, `…/{runId}/batches`, `…/{runId}/complete`: a crawl the Forge app made with its native
 *   auth, in numbered batches; a retried batch is idempotent; completion checks the counts (409 on a mismatch,
 *   nothing committed), validates the section and patches it into the current snapshot through the normal path.
 *
 * @module
 */
import { createHash, randomUUID } from "node:crypto";
import { dedupeRepeatableRows, ForgeEventsResponse } from "@accessmap/shared/wire/forge";
import { z } from "zod";
import { parseBitbucketDelivery } from "../../events/bitbucket.js";
import { assembleCrawl, type CrawlSection, crawlKeys, forgeEventOf } from "../../events/forge.js";
import { crawlRequestsFor } from "../../events/forge-crawl-requests.js";
import { patchCurrent } from "../../events/patch.js";
import { tenantIdpIdentities } from "../../events/processor.js";
import type { NormalizedEvent } from "../../events/types.js";
import { SIGNATURE_HEADER, WebhookVerifier } from "../../security/webhook-signature.js";
import type { AppContext, Router } from "../contract.js";
import { ApiError, errorBody, notFound, unauthenticated } from "../errors.js";
import { TenantIdParam } from "../schemas.js";
import type { Services } from "../services.js";
import { loadWebhookSecrets } from "../tenant-config.js";

const RETRY_AFTER_SECONDS = 5;

const WebhookAck = z.object({
  status: z.enum(["accepted", "duplicate", "ignored"]),
  deliveryId: z.string(),
  eventKey: z.string().nullable(),
});

function queueFull(c: AppContext): Response {
  const body = errorBody(new ApiError(503, "unavailable", "the event queue is full: retry later"), c.get("requestId"));
  return c.json(body, 503, { "retry-after": String(RETRY_AFTER_SECONDS) });
}

/** Verifiers by tenant, rebuilt when the tenant changes (a rotated secret). */
const verifiers = new WeakMap<Services, Map<string, { updatedAt: string; verifier: WebhookVerifier | null }>>();

async function verifierFor(services: Services, tenantId: string): Promise<WebhookVerifier | null> {
  const tenant = await services.store.getTenant(tenantId);
  if (!tenant) return null;
  let cache = verifiers.get(services);
  if (!cache) {
    cache = new Map();
    verifiers.set(services, cache);
  }
  const hit = cache.get(tenantId);
  if (hit && hit.updatedAt === tenant.updatedAt) return hit.verifier;
  const secrets = await loadWebhookSecrets(services.store, services.keyring, tenant);
  let verifier: WebhookVerifier | null = null;
  try {
    verifier = secrets.length > 0 ? new WebhookVerifier(secrets) : null;
  } catch {
    verifier = null; // an unusable secret verifies nothing
  }
  cache.set(tenantId, { updatedAt: tenant.updatedAt, verifier });
  return verifier;
}

const DELIVERY_ID_RE = /^[A-Za-z0-9{}._:-]{1,128}$/;

export function eventRoutes(r: Router): void {
  r.route(
    {
      method: "post",
      path: "/webhooks/bitbucket/{tenantId}",
      operationId: "bitbucketWebhook",
      summary: "Receive a Bitbucket webhook delivery",
      description:
        "Signed with the tenant's webhook secret: `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. " +
        "Any signature problem is 401. A repeated `X-Request-UUID` is answered `duplicate` and has no effect. " +
        "`X-Event-Key` must match the payload. The delivery is acknowledged at once and processed from a bounded " +
        "queue: when it is full the answer is 503 with Retry-After. Repository and project events trigger a " +
        "re-read of the tenant's Bitbucket permissions and a patch of the model; other events are ignored.",
      tags: ["events"],
      auth: "none",
      params: TenantIdParam,
      responses: {
        200: { description: "A duplicate or an event that changes no access.", schema: WebhookAck },
        202: { description: "Accepted and queued.", schema: WebhookAck },
      },
      errors: [401, 413, 503],
    },
    async ({ c, params, services, log }) => {
      // W9: the app's body limit has already answered 413 for an oversized body, before it was read.
      const raw = new Uint8Array(await c.req.arrayBuffer());
      const verifier = await verifierFor(services, params.tenantId);
      // W3–W5: unknown tenant, no secret, missing/malformed/wrong signature: all the same 401, never a throw.
      if (!verifier?.verify(raw, c.req.header(SIGNATURE_HEADER))) {
        throw unauthenticated("the webhook signature is not valid");
      }
      const text = Buffer.from(raw).toString("utf8");
      const given = c.req.header("x-request-uuid") ?? c.req.header("x-atlassian-webhook-identifier");
      const deliveryId =
        given && DELIVERY_ID_RE.test(given) ? given : `sha256:${createHash("sha256").update(raw).digest("hex")}`;
      const receivedAt = Date.now();
      const parsed = parseBitbucketDelivery(params.tenantId, text, c.req.header("x-event-key"), deliveryId, receivedAt);
      if (!parsed.ok) {
        throw new ApiError(400, "validation_failed", parsed.message, [
          { path: "header.X-Event-Key", message: parsed.code },
        ]);
      }
      // W11: hold a queue place before remembering the delivery, so a 503 leaves it redeliverable.
      const place = parsed.event ? services.events.reserve(1) : null;
      if (parsed.event && !place) return queueFull(c);
      let first: boolean;
      try {
        first = await services.store.recordWebhookDelivery(
          params.tenantId,
          "bitbucket",
          deliveryId,
          services.webhookDedupeTtlMs,
        );
      } catch (err) {
        place?.release();
        throw err;
      }
      if (!first) {
        place?.release();
        return { status: 200, body: { status: "duplicate", deliveryId, eventKey: parsed.eventKey } };
      }
      if (!parsed.event || !place) {
        return { status: 200, body: { status: "ignored", deliveryId, eventKey: parsed.eventKey } };
      }
      place.offer(parsed.event);
      log.debug("webhook queued", { tenantId: params.tenantId, eventKey: parsed.eventKey });
      return { status: 202, body: { status: "accepted", deliveryId, eventKey: parsed.eventKey } };
    },
  );

  r.route(
    {
      method: "post",
      path: "/forge/v1/events",
      operationId: "forgeEvents",
      summary: "Forward Forge product events (users, projects, spaces, space permissions)",
      description:
        "Acknowledged at once (Forge's 5 s limit) and processed from the queue: each event is a hint that triggers a " +
        "re-read of the Jira or Confluence section and a patch of the model. Events that change no access are " +
        "counted as ignored. 503 with Retry-After when the queue is full.",
      tags: ["forge"],
      auth: "forge",
      body: z.strictObject({
        events: z
          .array(
            z.object({
              eventType: z.string().min(1).max(200),
              payload: z.record(z.string(), z.unknown()),
              receivedAt: z.string().min(1).max(64),
            }),
          )
          .min(1)
          .max(500),
      }),
      responses: {
        202: {
          description:
            "Accepted. For a tenant whose Jira and Confluence the app reads itself (`siteAccess: forge`), `crawl` " +
            "names the sections the app should crawl now (at most once per section per 10 minutes).",
          schema: ForgeEventsResponse,
        },
      },
      errors: [503],
    },
    async ({ c, body, tenant, services }) => {
      const t = tenant!;
      const now = Date.now();
      const events = body.events.map((e) => forgeEventOf(t.id, e, now)).filter((e): e is NormalizedEvent => e !== null);
      if (t.config.siteAccess === "forge") {
        // The backend cannot re-read these sections: the app crawls them (events/forge-crawl-requests.ts).
        const sections = events.flatMap((e) => e.sections);
        const crawl = await crawlRequestsFor(services.store, t.id, sections, new Date(now));
        return { status: 202, body: { accepted: events.length, ignored: body.events.length - events.length, crawl } };
      }
      if (events.length > 0) {
        const place = services.events.reserve(events.length);
        if (!place) return queueFull(c);
        for (const e of events) place.offer(e);
      }
      return { status: 202, body: { accepted: events.length, ignored: body.events.length - events.length } };
    },
  );

  const CrawlSectionSchema = z.enum(["jira", "confluence"]);
  const RunIdParam = z.object({ runId: z.string().regex(/^crawl-[0-9a-f-]{36}$/, "not a crawl run id") });
  const cursorName = (runId: string) => `forge-crawl:${runId}`;
  type CrawlState = { section: CrawlSection; state: "open" | "complete"; version?: number };

  async function crawlOf(services: Services, tenantId: string, runId: string): Promise<CrawlState> {
    const cur = await services.store.getCursor(tenantId, cursorName(runId));
    if (!cur) throw notFound("crawl run");
    return JSON.parse(cur.value) as CrawlState;
  }

  r.route(
    {
      method: "post",
      path: "/forge/v1/crawls",
      operationId: "forgeStartCrawl",
      summary: "Start a crawl: the Forge app will send the rows of one section in numbered batches",
      tags: ["forge"],
      auth: "forge",
      body: z.strictObject({ section: CrawlSectionSchema }),
      responses: {
        201: { description: "Started.", schema: z.object({ runId: z.string(), section: CrawlSectionSchema }) },
      },
    },
    async ({ body, tenant, services }) => {
      const runId = `crawl-${randomUUID()}`;
      const state: CrawlState = { section: body.section, state: "open" };
      await services.store.setCursor(tenant!.id, cursorName(runId), JSON.stringify(state), { expected: null });
      return { status: 201, body: { runId, section: body.section } };
    },
  );

  r.route(
    {
      method: "post",
      path: "/forge/v1/crawls/{runId}/batches",
      operationId: "forgeCrawlBatch",
      summary: "Send one batch of a crawl (a retry of the same seq is accepted idempotently)",
      tags: ["forge"],
      auth: "forge",
      params: RunIdParam,
      body: z.strictObject({
        seq: z.number().int().min(0).max(1_000_000),
        section: CrawlSectionSchema,
        rows: z
          .record(z.string(), z.unknown())
          .describe("Rows by section key: arrays for lists (concatenated across batches), values for scalars."),
      }),
      responses: {
        202: {
          description: "Stored (or already stored: `duplicate`).",
          schema: z.object({ runId: z.string(), seq: z.number().int(), duplicate: z.boolean() }),
        },
      },
      errors: [409],
    },
    async ({ params, body, tenant, services }) => {
      const t = tenant!;
      const crawl = await crawlOf(services, t.id, params.runId);
      if (crawl.state !== "open") throw new ApiError(409, "crawl_complete", "this crawl run is already complete");
      if (body.section !== crawl.section) {
        throw new ApiError(400, "validation_failed", `this crawl run reads ${crawl.section}`, [
          { path: "body.section", message: `must be ${crawl.section}` },
        ]);
      }
      const allowed = crawlKeys(crawl.section);
      const unknown = Object.keys(body.rows).filter((k) => !allowed.includes(k));
      if (unknown.length > 0) {
        throw new ApiError(
          400,
          "validation_failed",
          "the batch names rows the section does not have",
          unknown.map((k) => ({ path: `body.rows.${k}`, message: `not a ${crawl.section} key` })),
        );
      }
      const fresh = await services.store.putCrawlBatch(t.id, {
        runId: params.runId,
        seq: body.seq,
        section: body.section,
        rows: body.rows,
      });
      return { status: 202, body: { runId: params.runId, seq: body.seq, duplicate: !fresh } };
    },
  );

  r.route(
    {
      method: "post",
      path: "/forge/v1/crawls/{runId}/complete",
      operationId: "forgeCompleteCrawl",
      summary: "Complete a crawl: check the counts, validate the section and patch it into the model",
      description:
        "`counts` gives the number of rows sent per key. A mismatch with what was received is 409 with the " +
        "differing counts in `details`, and nothing is committed. Otherwise the section is validated against the " +
        "snapshot schema and merged into the current snapshot (or a new one), committed through the normal path " +
        "(model build, mass-deletion guard).",
      tags: ["forge"],
      auth: "forge",
      params: RunIdParam,
      body: z.strictObject({ counts: z.record(z.string(), z.number().int().min(0)) }),
      responses: {
        200: {
          description: "Committed (or held by the mass-deletion guard).",
          schema: z.object({
            runId: z.string(),
            outcome: z.enum(["committed", "held"]),
            version: z.number().int(),
            counts: z.record(z.string(), z.number().int()),
          }),
        },
      },
      errors: [409],
    },
    async ({ params, body, tenant, services, actor, c }) => {
      const t = tenant!;
      const crawl = await crawlOf(services, t.id, params.runId);
      if (crawl.state !== "open") throw new ApiError(409, "crawl_complete", "this crawl run is already complete");
      const batches = await services.store.listCrawlBatches(t.id, params.runId);
      const assembled = assembleCrawl(crawl.section, batches, body.counts);
      if (!assembled.ok && assembled.kind === "count_mismatch") {
        throw new ApiError(409, "conflict", "the counts received differ from those announced", {
          differing: assembled.differing,
        });
      }
      if (!assembled.ok) {
        throw new ApiError(
          400,
          "validation_failed",
          "the assembled section is not valid",
          assembled.kind === "invalid" ? assembled.issues : undefined,
        );
      }
      // Rows that more than one crawl part may send (a shared role, an account several parts name) are kept once.
      const merged = dedupeRepeatableRows(crawl.section, assembled.section, assembled.counts);
      const at = services.now().toISOString();
      const result = await patchCurrent(services.store, t.id, {
        produce: async () => ({
          sections: { [crawl.section]: merged.rows },
          statuses: [
            {
              product: crawl.section,
              state: "complete",
              reasons: [`read by the Forge app (crawl ${params.runId})`],
              counts: merged.counts,
              calls: 0,
              startedAt: batches[0]?.receivedAt ?? at,
              finishedAt: at,
            },
          ],
        }),
        note: `forge crawl ${params.runId} (${crawl.section})`,
        actor,
        allowWithoutBase: true,
        idpIdentities: tenantIdpIdentities(services.store, services.keyring, t.id),
        syncWaitMs: 3_000,
        now: services.now,
      });
      if (result.outcome !== "committed" && result.outcome !== "held") {
        throw new ApiError(
          409,
          "conflict",
          `the crawl could not be committed: ${"reason" in result ? result.reason : "superseded"}`,
        );
      }
      await services.store.setCursor(
        t.id,
        cursorName(params.runId),
        JSON.stringify({ ...crawl, state: "complete", version: result.record.version } satisfies CrawlState),
      );
      await services.store.deleteCrawl(t.id, params.runId);
      await services.store.appendAudit({
        tenantId: t.id,
        actor,
        action: "forge.crawl.complete",
        target: `snapshot:${result.record.version}`,
        result: result.outcome,
        requestId: c.get("requestId"),
        details: { runId: params.runId, section: crawl.section, counts: merged.counts },
      });
      services.models.invalidate(t.id);
      return {
        status: 200,
        body: {
          runId: params.runId,
          outcome: result.outcome,
          version: result.record.version,
          counts: merged.counts,
        },
      };
    },
  );
}
