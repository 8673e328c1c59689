/**
 * Product and lifecycle events. Product events (users, projects, groups, spaces) are forwarded to the backend's
 * `/forge/v1/events`, which acknowledges at once and re-reads the section. The install/upgrade events first check
 * that the app user can read the product, then register the installation with the backend (product, site, cloud
 * id; the token carries the installation id), then start a crawl so the model fills without waiting for the
 * schedule.
 *
 * At install time the app user's permissions propagate eventually (docs: events-reference/life-cycle), and the
 * backend may not know the installation yet: a 401 or 403 then asks Forge to retry (`InvocationError`,
 * `FUNCTION_RETRY_REQUEST`; Forge retries up to 4 times). `@forge/events`' `InvocationError` constructor returns a
 * plain `{_retry, retryOptions}` object, which the platform reads from the function's return value.
 */

import { startCrawl } from "@accessmap/forge-app/crawl/crawl";
import { postBackend, RemoteError } from "@accessmap/forge-app/remote/backend";
import { FORGE_ADMIN_PATHS, InstallationRegistered, RegisterInstallation } from "@accessmap/shared/wire/admin";
import { FORGE_PATHS, ForgeEventsBody, ForgeEventsResponse } from "@accessmap/shared/wire/forge";
import { asApp, route } from "@forge/api";
import { InvocationError, InvocationErrorCode } from "@forge/events";
import type { z } from "zod";

/** Seconds before Forge retries an event that met install-time permission lag. */
export const PERMISSION_RETRY_AFTER_S = 60;

export interface ForgeEvent {
  eventType: string;
  [key: string]: unknown;
}

export type RetryRequest = ReturnType<InvocationError["toJSON"]>;

function retry(reason: string): RetryRequest {
  console.warn("asking Forge to retry", reason);
  return new InvocationError({
    retryAfter: PERMISSION_RETRY_AFTER_S,
    retryReason: InvocationErrorCode.FUNCTION_RETRY_REQUEST,
  }) as unknown as RetryRequest;
}

const isAuthStatus = (status: number) => status === 401 || status === 403;

/** Posts one product event to the backend; a 401/403 becomes a retry request. */
async function postEvent(event: ForgeEvent, now: Date): Promise<RetryRequest | z.infer<typeof ForgeEventsResponse>> {
  const { eventType, ...payload } = event;
  const body = ForgeEventsBody.parse({ events: [{ eventType, payload, receivedAt: now.toISOString() }] });
  try {
    return await postBackend(FORGE_PATHS.events, body, ForgeEventsResponse, { retries: 2 });
  } catch (err) {
    if (err instanceof RemoteError && isAuthStatus(err.status)) return retry(`backend ${err.status}`);
    throw err;
  }
}

/** Forwards one product event; a 401/403 from the backend becomes a retry request. */
export async function forwardEvent(event: ForgeEvent, now = new Date()): Promise<RetryRequest | { accepted: number }> {
  const res = await postEvent(event, now);
  return "_retry" in res ? res : { accepted: res.accepted };
}

/**
 * The product-event trigger handler: forwards the event; when the backend does not read the product itself
 * (`siteAccess: "forge"`) its answer names the sections to crawl, and the app starts that crawl.
 */
export async function handleProductEvent(
  event: ForgeEvent,
  now = new Date(),
): Promise<RetryRequest | { accepted: number; crawl?: string[] }> {
  const res = await postEvent(event, now);
  if ("_retry" in res) return res;
  if (!res.crawl?.length) return { accepted: res.accepted };
  const job = await startCrawl(res.crawl);
  return { accepted: res.accepted, crawl: job.runs.map((r) => r.runId) };
}

/** Which product the installation is in, from the function context's `installContext` ARI. */
function productOf(installContext: unknown): "jira" | "confluence" | null {
  if (typeof installContext !== "string") return null;
  if (installContext.startsWith("ari:cloud:jira:")) return "jira";
  if (installContext.startsWith("ari:cloud:confluence:")) return "confluence";
  return null;
}

/** A cheap read the crawl needs anyway: 401/403 means the app user's permissions have not propagated yet. */
async function probeStatus(product: "jira" | "confluence"): Promise<number> {
  const res =
    product === "jira"
      ? await asApp().requestJira(route`/rest/api/3/users/search?maxResults=${1}`)
      : await asApp().requestConfluence(route`/wiki/api/v2/spaces?limit=${1}`);
  await res.text();
  return res.status;
}

/** The cloud id: the event's `context.cloudId`, else the last segment of the `ari:cloud:<product>::site/<id>` ARI. */
function cloudIdOf(event: ForgeEvent, installContext: unknown): string | null {
  const fromEvent = (event.context as { cloudId?: unknown } | undefined)?.cloudId;
  if (typeof fromEvent === "string" && fromEvent !== "") return fromEvent;
  if (typeof installContext !== "string") return null;
  const m = /::site\/([^/]+)$/.exec(installContext);
  return m?.[1] ?? null;
}

/** The site URL, when the event or the function context states one (the backend also has the token's `apiBaseUrl`). */
function siteUrlOf(event: ForgeEvent, context: { siteUrl?: unknown }): string | null {
  for (const v of [(event.context as { siteUrl?: unknown } | undefined)?.siteUrl, event.siteUrl, context.siteUrl]) {
    if (typeof v === "string" && RegisterInstallation.shape.siteUrl.safeParse(v).success) return v;
  }
  return null;
}

/** Tells the backend about the installation; a 401/403 (not known yet, or propagation lag) becomes a retry. */
async function registerInstallation(
  event: ForgeEvent,
  context: { installContext?: unknown; siteUrl?: unknown },
  product: "jira" | "confluence",
): Promise<RetryRequest | null> {
  const body = RegisterInstallation.parse({
    product,
    siteUrl: siteUrlOf(event, context),
    cloudId: cloudIdOf(event, context.installContext),
  });
  try {
    await postBackend(FORGE_ADMIN_PATHS.installations, body, InstallationRegistered, { retries: 2 });
    return null;
  } catch (err) {
    if (err instanceof RemoteError && isAuthStatus(err.status)) return retry(`backend ${err.status}`);
    throw err;
  }
}

/** `avi:forge:installed:app` / `avi:forge:upgraded:app`: check access, register, tell the backend, start a crawl. */
export async function handleLifecycle(
  event: ForgeEvent,
  context: { installContext?: unknown; siteUrl?: unknown } = {},
): Promise<RetryRequest | { crawl: string[] }> {
  const product = productOf(context.installContext);
  if (product) {
    const status = await probeStatus(product);
    if (isAuthStatus(status)) return retry(`${product} answered ${status}`);
    const registered = await registerInstallation(event, context, product);
    if (registered) return registered;
  }
  const forwarded = await forwardEvent(event);
  if ("_retry" in forwarded) return forwarded;
  try {
    const job = await startCrawl();
    return { crawl: job.runs.map((r) => r.runId) };
  } catch (err) {
    if (err instanceof RemoteError && isAuthStatus(err.status)) return retry(`backend ${err.status}`);
    throw err;
  }
}
