/**
 * The admin page's access explorer over the cached, indexed current model (`model/queries.ts`): find people, one
 * person's access grouped by product with every path in words, find resources, and who holds what on one resource
 * (pseudo-principals included). Answers are capped for a Forge invocation (`truncated` says when rows were left
 * out) and name the model version they come from.
 *
 * @module
 */
import type {
  AccessRow,
  PeopleAnswer,
  PersonAccess,
  PersonHit,
  ResourceAccess,
  ResourceHit,
  ResourceKind,
  ResourcesAnswer,
} from "@accessmap/shared/wire/admin";
import { accessOf, search, whoCanAccess } from "../model/queries.js";
import {
  type AccessEntry,
  type Account,
  ANONYMOUS,
  CONFLUENCE_UNLICENSED,
  JIRA_PRODUCT_USERS,
  type Resource,
} from "../model/types.js";
import { ApiError } from "./errors.js";
import type { CachedModel } from "./model-cache.js";

/** People answered per search. */
export const PEOPLE_CAP = 25;
/** Resources answered per search. */
export const RESOURCES_CAP = 50;
/** Access rows answered per person or resource. */
export const ROWS_CAP = 500;

/** The pseudo-principals in words. */
export const PSEUDO_LABELS: Readonly<Record<string, string>> = {
  [ANONYMOUS]: "Anyone (anonymous access)",
  [JIRA_PRODUCT_USERS]: "Logged-in users with Jira",
  [CONFLUENCE_UNLICENSED]: "Logged-in users without a Confluence licence",
};

const PRODUCT_ORDER = ["admin", "jira", "confluence", "bitbucket"] as const;
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function personHit(a: Account): PersonHit {
  return {
    accountId: a.accountId,
    displayName: a.displayName,
    email: a.email,
    status: a.suspended ? `${a.status} (suspended)` : a.status,
    accountType: a.accountType,
  };
}

/** Accounts whose name, email or id contains `query` (exact matches first). */
export function searchPeople(m: CachedModel, query: string): PeopleAnswer {
  const hits = search(m.index, query, PEOPLE_CAP + 1).accounts;
  return { query, people: hits.slice(0, PEOPLE_CAP).map(personHit), truncated: hits.length > PEOPLE_CAP };
}

function resourceName(m: CachedModel, type: string, id: string): string {
  return m.index.resources.get(`${type}:${id}`)?.name ?? id;
}

/** Every path of an entry in words; a pseudo-principal's or dormant entry says so. */
function pathsOf(e: AccessEntry, through: AccessRow["through"]): string[] {
  const descriptions = e.via.length > 0 ? e.via.map((v) => v.description) : ["(no path recorded)"];
  if (through === "pseudo") return descriptions.map((d) => `as ${PSEUDO_LABELS[e.principal] ?? e.principal}: ${d}`);
  if (through === "dormant")
    return descriptions.map((d) => `${d} (dormant: not in effect while the account cannot use it)`);
  return descriptions;
}

/** One person's access, by account id (or email/login), grouped by product; 404 when nobody matches. */
export function personAccess(m: CachedModel, who: string): PersonAccess {
  const r = accessOf(m.index, who);
  if (r && !r.accountId && r.ambiguous.length > 1) {
    throw new ApiError(409, "conflict", "several accounts match: pick one by its account id", {
      candidates: r.ambiguous,
    });
  }
  const account = r?.accountId ? m.index.accounts.get(r.accountId) : undefined;
  if (!r || !account) throw new ApiError(404, "not_found", "no account matches in the current model");
  const row = (e: AccessEntry, through: AccessRow["through"]): AccessRow => ({
    product: e.product,
    resourceType: e.resourceType,
    resourceId: e.resourceId,
    resourceName: resourceName(m, e.resourceType, e.resourceId),
    permission: e.permission,
    through,
    paths: pathsOf(e, through),
  });
  const all = [
    ...r.direct.map((e) => row(e, "direct")),
    ...r.throughPseudo.map((e) => row(e, "pseudo")),
    ...r.dormant.map((e) => row(e, "dormant")),
  ].sort(
    (a, b) =>
      PRODUCT_ORDER.indexOf(a.product) - PRODUCT_ORDER.indexOf(b.product) ||
      cmp(a.resourceName, b.resourceName) ||
      cmp(a.resourceId, b.resourceId) ||
      cmp(a.permission, b.permission) ||
      cmp(a.through, b.through),
  );
  const kept = all.slice(0, ROWS_CAP);
  const byProduct: PersonAccess["byProduct"] = [];
  for (const x of kept) {
    const last = byProduct[byProduct.length - 1];
    if (last?.product === x.product) last.rows.push(x);
    else byProduct.push({ product: x.product, rows: [x] });
  }
  return {
    modelVersion: m.version,
    person: personHit(account),
    byProduct,
    total: all.length,
    truncated: kept.length < all.length,
  };
}

const resourceHit = (r: Resource): ResourceHit => ({ type: r.type, id: r.id, name: r.name, product: r.product });

/** Resources (of `type`, if given) whose name or id contains `query`; every resource when `query` is empty. */
export function searchResources(m: CachedModel, query: string, type: ResourceKind | undefined): ResourcesAnswer {
  const pool = query === "" ? m.model.resources : search(m.index, query, m.model.resources.length).resources;
  const matching = pool.filter((r) => type === undefined || r.type === type);
  return {
    query,
    resources: matching.slice(0, RESOURCES_CAP).map(resourceHit),
    truncated: matching.length > RESOURCES_CAP,
  };
}

/** Who holds what on one resource (accounts, then pseudo-principals); 404 when the model has no such resource. */
export function resourceAccess(m: CachedModel, type: ResourceKind, id: string): ResourceAccess {
  const r = whoCanAccess(m.index, type, id);
  if (!r.resource && r.accounts.length === 0 && r.pseudo.length === 0) {
    throw new ApiError(404, "not_found", "the current model has no such resource");
  }
  const holder = (e: AccessEntry, pseudo: boolean): ResourceAccess["holders"][number] => ({
    principal: e.principal,
    displayName: pseudo
      ? (PSEUDO_LABELS[e.principal] ?? e.principal)
      : (m.index.accounts.get(e.principal)?.displayName ?? e.principal),
    pseudo,
    permission: e.permission,
    paths: e.via.length > 0 ? e.via.map((v) => v.description) : ["(no path recorded)"],
  });
  const all = [...r.accounts.map((e) => holder(e, false)), ...r.pseudo.map((e) => holder(e, true))];
  const kept = all.slice(0, ROWS_CAP);
  return {
    modelVersion: m.version,
    resource: r.resource
      ? resourceHit(r.resource)
      : { type, id, name: id, product: r.accounts[0]?.product ?? r.pseudo[0]?.product ?? "unknown" },
    holders: kept,
    total: all.length,
    truncated: kept.length < all.length,
  };
}
