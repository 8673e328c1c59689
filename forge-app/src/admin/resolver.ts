/**
 * The resolver shared by the Jira admin page and the Confluence global settings page: one function per key of
 * `ADMIN_RESOLVERS` (shared/wire/admin.ts). Each one, in order:
 *
 * 1. asks the product, as the calling user, whether the caller administers it (`admin-check.ts`); a refusal is the
 *    whole answer, before any payload parsing or backend call;
 * 2. validates the payload with the contract schema (`invalid` with the fields at fault);
 * 3. calls the backend's `/forge/v1` route through `invokeRemote` and validates the answer with the contract's data
 *    schema; backend errors become `AdminFailure`s (`failures.ts`).
 *
 * Answers are `{ok:true, data}` or an `AdminFailure`; resolvers never throw at the page.
 */

import { checkAdmin, hostProductOf } from "@accessmap/forge-app/admin/admin-check";
import { failureOf, invalidPayload } from "@accessmap/forge-app/admin/failures";
import { startCrawl } from "@accessmap/forge-app/crawl/crawl";
import { callBackend } from "@accessmap/forge-app/remote/backend";
import {
  ADMIN_RESOLVERS,
  type AdminAnswer,
  type AdminData,
  type AdminFailure,
  type AdminResolverKey,
  AdminSettings,
  FORGE_ADMIN_PATHS,
} from "@accessmap/shared/wire/admin";
import type { CrawlSectionName } from "@accessmap/shared/wire/forge";
import resolverPackage from "@forge/resolver";
import { z } from "zod";

type ResolverClass = typeof resolverPackage.default;
// CommonJS with `exports.default`: Node's ESM loader hands us `module.exports`, a bundler hands us the class.
const Resolver = ((resolverPackage as unknown as { default?: ResolverClass }).default ??
  resolverPackage) as ResolverClass;

type Payload<K extends AdminResolverKey> = z.output<(typeof ADMIN_RESOLVERS)[K]["payload"]>;
type Handler<K extends AdminResolverKey> = (payload: Payload<K>) => Promise<AdminData<K>>;

/** A failure a handler chose itself (rather than one mapped from a backend error). */
class HandlerFailure extends Error {
  constructor(readonly failure: AdminFailure) {
    super(failure.message);
    this.name = "HandlerFailure";
  }
}

/** `POST /forge/v1/syncs` answers the queued job (the backend's `SyncRequested`; only what the page needs). */
const SyncQueued = z.object({ job: z.object({ id: z.string() }), created: z.boolean() });

const P = FORGE_ADMIN_PATHS;
const data = <K extends AdminResolverKey>(k: K) => ADMIN_RESOLVERS[k].data as unknown as z.ZodType<AdminData<K>>;
const get = <K extends AdminResolverKey>(k: K, path: string) => callBackend("GET", path, undefined, data(k));
const withQuery = (path: string, q: Record<string, string | undefined>) => {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, v);
  const s = params.toString();
  return s ? `${path}?${s}` : path;
};

/** Starts the backend's sync and, when the app reads Jira/Confluence itself, the Forge crawl of those products. */
async function syncNow(): Promise<AdminData<"syncNow">> {
  const settings = await callBackend("GET", P.settings, undefined, AdminSettings);
  const queued = await callBackend("POST", P.syncs, {}, SyncQueued);
  const sections: CrawlSectionName[] =
    settings.siteAccess === "forge"
      ? (["jira", "confluence"] as const).filter((s) => settings.products.includes(s))
      : [];
  let crawls: string[] = [];
  if (sections.length > 0) {
    try {
      const job = await startCrawl(sections);
      crawls = job.runs.map((r) => r.section);
    } catch (err) {
      const f = failureOf(err);
      throw new HandlerFailure({
        ...f,
        message: `The sync was queued, but the app could not start reading ${sections.join(" and ")}: ${f.message}`,
      });
    }
  }
  const queuedText = queued.created ? "Sync queued." : "A sync was already queued.";
  const crawlText = crawls.length > 0 ? ` The app is reading ${crawls.join(" and ")} now.` : "";
  return { jobId: queued.job.id, crawls, message: `${queuedText}${crawlText}` };
}

const HANDLERS: { [K in AdminResolverKey]: Handler<K> } = {
  getSettings: () => get("getSettings", P.settings),
  saveSettings: (p) => callBackend("PUT", P.settings, p, data("saveSettings")),
  testConnection: () => callBackend("POST", P.connectionTest, {}, data("testConnection")),
  getOverview: () => get("getOverview", P.overview),
  syncNow: () => syncNow(),
  searchPeople: (p) => get("searchPeople", withQuery(P.people, { q: p.query })),
  personAccess: (p) => get("personAccess", P.personAccess(p.accountId)),
  searchResources: (p) => get("searchResources", withQuery(P.resources, { q: p.query, type: p.type })),
  resourceAccess: (p) => get("resourceAccess", P.resourceAccess(p.type, p.id)),
  getInsights: () => get("getInsights", P.insights),
  insightDetail: (p) => get("insightDetail", P.insightDetail(p.kind)),
  planLifecycle: (p) => callBackend("POST", P.lifecyclePlans, p, data("planLifecycle")),
  applyLifecycle: (p) => callBackend("POST", P.lifecycleApply(p.planId), p, data("applyLifecycle")),
};

interface ResolverRequest {
  payload: unknown;
  context: { accountId?: string; extension?: unknown; installContext?: unknown; [k: string]: unknown };
}

/** Runs one resolver function: admin check, payload check, backend call; never throws. */
export async function runAdminResolver<K extends AdminResolverKey>(
  key: K,
  req: ResolverRequest,
): Promise<AdminAnswer<K>> {
  const host = hostProductOf(req.context);
  const check = await checkAdmin(host, req.context.accountId);
  if (!check.admin) {
    return { ok: false, code: check.reason === "not_admin" ? "not_admin" : "backend", message: check.message };
  }
  const parsed = ADMIN_RESOLVERS[key].payload.safeParse(req.payload ?? {});
  if (!parsed.success) return invalidPayload(parsed.error);
  try {
    const handler = HANDLERS[key] as Handler<K>;
    return { ok: true, data: await handler(parsed.data as Payload<K>) };
  } catch (err) {
    return err instanceof HandlerFailure ? err.failure : failureOf(err);
  }
}

const resolver = new Resolver();
for (const key of Object.keys(ADMIN_RESOLVERS) as AdminResolverKey[]) {
  resolver.define(key, (req: ResolverRequest) => runAdminResolver(key, req));
}

/** The `admin-resolver` function (manifest.yml), for `jira:adminPage` and `confluence:globalSettings`. */
export const adminResolver = resolver.getDefinitions();
