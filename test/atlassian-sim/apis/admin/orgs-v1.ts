/**
 * Admin v1 organization endpoints still in the current specification: the org itself, its managed accounts (the
 * only source of `access_billable` and `product_access`), a user's last-active dates, its verified domains, and the
 * org-admin role assignment. JSON:API-style bodies: `{data, links:{self,next,prev}, meta}`.
 */
import { createHash } from "node:crypto";
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { cursorPage, decodeCursor } from "../../http/pagination.js";
import { SimConflict, type SimState } from "../../state.js";
import type { SimAccount } from "../../tenant/model.js";
import { datePart, pictureOf, secondsIso } from "./accounts.js";
import { type AdminContext, adminBase, adminError, jsonBody, seesOrg, urlWith, v1Org } from "./common.js";
import { resourceForProduct } from "./roles.js";

/**
 * Page size of `GET /v1/orgs/{orgId}/users`. The operation takes no `limit`; the server fixes the page size and the
 * document does not state it (VERIFY against a live org). Clients must follow `links.next`.
 */
export const V1_USERS_PAGE_SIZE = 100;

/** Admin v1 product names (`Product.name`). */
const PRODUCT_NAMES: Record<string, string> = {
  "jira-software": "Jira",
  confluence: "Confluence",
  bitbucket: "Bitbucket",
};

function orgModel(c: AdminContext, state: SimState) {
  const base = `${adminBase(c)}/v1/orgs/${state.tenant.org.id}`;
  return {
    id: state.tenant.org.id,
    type: "orgs",
    attributes: { name: state.tenant.org.name },
    relationships: {
      domains: { links: { related: `${base}/domains` } },
      users: { links: { related: `${base}/users` } },
    },
    links: { self: base },
  };
}

/** v1 `User`: products listed are the ones the account can use now (suspension and deactivation remove access). */
function v1User(state: SimState, a: SimAccount) {
  const productAccess = a.products
    .filter((p) => state.hasProduct(a, p.key))
    .map((p) => {
      const resource = resourceForProduct(state, p.key);
      return {
        key: p.key,
        name: PRODUCT_NAMES[p.key] ?? p.key,
        ...(resource ? { url: resource.url } : {}),
        ...(p.lastActive ? { last_active: p.lastActive } : {}),
      };
    });
  return {
    account_id: a.accountId,
    account_type: a.accountType,
    account_status: a.status,
    name: a.displayName,
    picture: pictureOf(a),
    email: a.email,
    access_billable: a.billable,
    ...(a.lastActive ? { last_active: a.lastActive } : {}),
    product_access: productAccess,
  };
}

/** The org's verified domains: the email domains of its managed accounts (a managed account is on a claimed domain). */
export function verifiedDomains(state: SimState): Array<{ id: string; name: string }> {
  const names = new Set<string>();
  for (const a of state.tenant.accounts) {
    const domain = a.managed ? a.email.split("@")[1]?.toLowerCase() : undefined;
    if (domain) names.add(domain);
  }
  return [...names].sort().map((name) => ({ id: domainId(state.tenant.org.id, name), name }));
}

/** A stable uuid-shaped id for a domain of an org. */
function domainId(orgId: string, name: string): string {
  const h = createHash("sha256").update(`${orgId}:${name}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function domainModel(c: AdminContext, state: SimState, d: { id: string; name: string }) {
  return {
    id: d.id,
    type: "domains",
    attributes: { name: d.name, claim: { type: "dns", status: "verified" } },
    links: { self: `${adminBase(c)}/v1/orgs/${state.tenant.org.id}/domains/${d.id}` },
  };
}

function invalidCursor(c: AdminContext) {
  return adminError(c, 400, "ADMIN-400-1", "Invalid page cursor", "The cursor is not valid for this listing.");
}

/** A v1 page: `links.next` is the request URL with the next cursor (the spec's `LinkPageModel` holds URLs). */
function v1Page<T>(c: AdminContext, items: readonly T[], tag: string, size: number) {
  const offset = decodeCursor(tag, c.req.query("cursor"));
  if (offset === null) return null;
  const page = cursorPage(items, tag, offset, size);
  return {
    data: page.values,
    links: {
      self: c.req.url,
      ...(page.next ? { next: urlWith(c, { cursor: page.next }) } : {}),
    },
  };
}

/** Org-admin role assignment (`POST /v1/orgs/{orgId}/users/{userId}/role-assignments/assign|revoke`). */
function roleAssignment(assign: boolean) {
  return async (c: AdminContext) => {
    const state = c.get("sim").state;
    if (!seesOrg(c, c.req.param("orgId"))) {
      return adminError(c, 404, "ADMIN-UAM-404-2", "Organization not found", "We couldn’t find the organization.");
    }
    const body = await jsonBody(c);
    if (body?.role !== "atlassian/org-admin") {
      return adminError(c, 400, "ADMIN-UAM-400-1", "Bad Request", "`role` must be `atlassian/org-admin`.");
    }
    const userId = c.req.param("userId") ?? "";
    const account = state.accountsById.get(userId);
    if (!account) return adminError(c, 404, "ADMIN-UAM-404-3", "Not found", `We couldn’t find the user ${userId}.`);
    if (assign && account.status !== "active") {
      return adminError(c, 400, "ADMIN-UAM-400-2", "Inactive user", "Only an active account can be made an org admin.");
    }
    try {
      if (assign) state.assignOrgAdmin(userId, "api-key");
      else state.revokeOrgAdmin(userId, "api-key");
    } catch (e) {
      if (e instanceof SimConflict) return adminError(c, 404, "ADMIN-UAM-404-3", "Not found", e.message);
      throw e;
    }
    return c.body(null, 204);
  };
}

/** Routes of the v1 organization endpoints. */
export function orgsV1Routes(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  // "Returns a list of your organizations (based on your API key)": a scoped key finds none.
  app.get("/admin/v1/orgs", (c) => {
    const state = c.get("sim").state;
    const orgs = c.get("adminKeyScoped") ? [] : [orgModel(c, state)];
    const body = v1Page(c, orgs, "orgs", 20);
    return body ? c.json(body) : invalidCursor(c);
  });

  app.get(
    "/admin/v1/orgs/:orgId",
    v1Org((c, state) => c.json({ data: orgModel(c, state) })),
  );

  app.get(
    "/admin/v1/orgs/:orgId/users",
    v1Org((c, state) => {
      const managed = state.tenant.accounts.filter((a) => a.managed);
      const offset = decodeCursor("v1-users", c.req.query("cursor"));
      if (offset === null) return invalidCursor(c);
      const page = cursorPage(managed, "v1-users", offset, V1_USERS_PAGE_SIZE);
      return c.json({
        data: page.values.map((a) => v1User(state, a)),
        links: { self: c.req.url, ...(page.next ? { next: urlWith(c, { cursor: page.next }) } : {}) },
        meta: { total: managed.length },
      });
    }),
  );

  // "If the user has not accessed a product, the `product_access` response field will be empty."
  app.get(
    "/admin/v1/orgs/:orgId/directory/users/:accountId/last-active-dates",
    v1Org((c, state) => {
      const accountId = c.req.param("accountId") ?? "";
      const a = state.accountsById.get(accountId);
      if (!a) return adminError(c, 404, "ADMIN-404-8", "User not found", `We couldn’t find the user ${accountId}.`);
      if (decodeCursor("last-active", c.req.query("cursor")) === null) {
        return adminError(c, 400, "ADMIN-400-4", "Invalid resource", "The cursor is not valid for this listing.");
      }
      const productAccess = a.products.flatMap((p) => {
        const resource = resourceForProduct(state, p.key);
        if (!p.lastActive || !resource) return [];
        return [
          {
            id: resource.instanceId,
            key: p.key,
            last_active: datePart(p.lastActive),
            last_active_timestamp: secondsIso(p.lastActive),
          },
        ];
      });
      return c.json({
        data: {
          product_access: productAccess,
          added_to_org: datePart(a.addedToOrg),
          added_to_org_timestamp: secondsIso(a.addedToOrg),
        },
        links: {},
      });
    }),
  );

  app.get(
    "/admin/v1/orgs/:orgId/domains",
    v1Org((c, state) => {
      const body = v1Page(
        c,
        verifiedDomains(state).map((d) => domainModel(c, state, d)),
        "domains",
        20,
      );
      return body ? c.json(body) : invalidCursor(c);
    }),
  );

  app.get(
    "/admin/v1/orgs/:orgId/domains/:domainId",
    v1Org((c, state) => {
      const id = c.req.param("domainId") ?? "";
      const domain = verifiedDomains(state).find((d) => d.id === id);
      if (!domain) return adminError(c, 404, "ADMIN-404-3", "Domain not found", `We couldn’t find the domain ${id}.`);
      return c.json({ data: domainModel(c, state, domain) });
    }),
  );

  app.post("/admin/v1/orgs/:orgId/users/:userId/role-assignments/assign", roleAssignment(true));
  app.post("/admin/v1/orgs/:orgId/users/:userId/role-assignments/revoke", roleAssignment(false));

  return app;
}
