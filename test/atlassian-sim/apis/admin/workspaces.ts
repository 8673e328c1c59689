/**
 * `POST /v2/orgs/{orgId}/workspaces` (`read:workspaces:admin`): the org's product instances — Jira and Confluence on
 * each site, and the Bitbucket workspace — which is how a client maps a site to the resource ARI used by role
 * assignments. Paging is in the body (`limit` 1–1000, default 20; a `cursor` must come alone), filtering by the
 * `query` operators (`and`, `nor`, `field`, `searchWorkspaces`, `features`, `policies`) and `sort`. This operation's
 * errors are a single `ApplicationError` object, not the `{errors:[…]}` list.
 */
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { clampPageSize } from "../../http/pagination.js";
import type { SimState } from "../../state.js";
import { type AdminContext, adminBase, decodeQueryCursor, encodeQueryCursor, jsonBody, seesOrg } from "./common.js";
import { type ProductResource, productResources } from "./roles.js";

/** `ApplicationError` as one object, as this operation documents its 400/403/404. */
function applicationError(c: AdminContext, status: 400 | 404, code: string, title: string, detail: string) {
  return c.json({ id: crypto.randomUUID(), status: String(status), code, title, detail }, status);
}

const TYPE_KEYS: Record<ProductResource["productKey"], string> = {
  "jira-software": "jira-software",
  confluence: "confluence",
  bitbucket: "bitbucket",
};

/** `WorkspaceModel` of one product instance. */
function workspaceModel(c: AdminContext, state: SimState, r: ProductResource) {
  const t = state.tenant;
  const jira = t.jira.applicationRoles.find((role) => role.key === "jira-software");
  const capacity = r.productKey === "jira-software" && jira && !jira.hasUnlimitedSeats ? jira.numberOfSeats : null;
  return {
    id: r.id,
    type: "workspaces",
    attributes: {
      name: r.name,
      typeKey: TYPE_KEYS[r.productKey],
      type: r.owner,
      owner: t.org.id,
      status: "online",
      statusDetails: [],
      icons: {},
      avatars: {},
      labels: [],
      sandbox: { type: "NONE" },
      usage: null,
      capacity,
      createdAt: null,
      createdBy: null,
      hostUrl: r.owner === "confluence" ? r.url.replace(/\/wiki$/, "") : r.url,
      realm: "us",
      regions: ["us-east-1"],
    },
    links: { self: `${adminBase(c)}/v2/orgs/${t.org.id}/workspaces/${encodeURIComponent(r.id)}` },
  };
}

type Workspace = ReturnType<typeof workspaceModel>;

/** Reads a dotted path (`attributes.type`) of a workspace as a string. */
function valueAt(w: Workspace, path: string): string | undefined {
  let v: unknown = w;
  for (const key of path.split(".")) v = v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined;
  return v === undefined || v === null ? undefined : String(v);
}

/** Evaluates a `QueryVariants` node; throws a message for an operator the document does not define. */
function matches(w: Workspace, q: unknown): boolean {
  if (q === null || q === undefined) return true;
  if (typeof q !== "object" || Array.isArray(q)) throw new Error("query: must be an object");
  const node = q as Record<string, unknown>;
  if (Array.isArray(node.and)) return node.and.every((x) => matches(w, x));
  if (Array.isArray(node.nor)) return !node.nor.some((x) => matches(w, x));
  if (node.field && typeof node.field === "object") {
    const f = node.field as { name?: unknown; values?: unknown };
    // "Absent of values makes this operator no-op."
    if (!Array.isArray(f.values) || f.values.length === 0) return true;
    const v = typeof f.name === "string" ? valueAt(w, f.name) : undefined;
    return v !== undefined && f.values.map(String).includes(v);
  }
  if (typeof node.searchWorkspaces === "string" || typeof node.value === "string") {
    const text = String(node.searchWorkspaces ?? node.value).toLowerCase();
    return w.attributes.name.toLowerCase().includes(text) || w.attributes.hostUrl.toLowerCase().includes(text);
  }
  // The tenant's workspaces carry no features or policies, so a non-empty filter on them matches none.
  if (Array.isArray(node.features)) return node.features.length === 0;
  if (Array.isArray(node.policies)) return node.policies.length === 0;
  throw new Error(`query: unknown operator ${Object.keys(node).join(", ") || "{}"}`);
}

/** Routes of the workspaces endpoint. */
export function workspacesRoutes(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  app.post("/admin/v2/orgs/:orgId/workspaces", async (c) => {
    const state = c.get("sim").state;
    if (!seesOrg(c, c.req.param("orgId"))) {
      return applicationError(c, 404, "ADMIN-404-2", "Organization not found", "We couldn’t find the organization.");
    }
    const body = await jsonBody(c);
    if (!body)
      return applicationError(c, 400, "ADMIN-400-4", "Invalid resource", "The request body is not valid JSON.");
    let request = body;
    let offset = 0;
    if (typeof body.cursor === "string" && body.cursor !== "") {
      // "When a cursor is provided in the request body, no other properties may be present."
      if (Object.keys(body).some((k) => k !== "cursor" && body[k] !== null)) {
        return applicationError(c, 400, "ADMIN-400-4", "Invalid resource", "A cursor must be sent alone.");
      }
      const decoded = decodeQueryCursor("workspaces", body.cursor);
      if (!decoded?.query || typeof decoded.query !== "object") {
        return applicationError(c, 400, "ADMIN-400-4", "Invalid resource", "The cursor is not valid.");
      }
      request = decoded.query as Record<string, unknown>;
      offset = decoded.offset;
    }
    const limit = clampPageSize(request.limit as number | undefined, 20, 1000);
    let all: Workspace[];
    try {
      all = productResources(state)
        .map((r) => workspaceModel(c, state, r))
        .filter((w) => matches(w, request.query));
    } catch (e) {
      return applicationError(c, 400, "ADMIN-400-4", "Invalid resource", (e as Error).message);
    }
    const sort = Array.isArray(request.sort) ? (request.sort as Array<{ field?: unknown; order?: unknown }>) : [];
    for (const s of [...sort].reverse()) {
      if (typeof s.field !== "string") continue;
      const field = s.field;
      const sign = s.order === "desc" ? -1 : 1;
      all.sort((x, y) => sign * (valueAt(x, field) ?? "").localeCompare(valueAt(y, field) ?? ""));
    }
    const page = all.slice(offset, offset + limit);
    const carried = { query: request.query ?? null, sort: request.sort ?? null, limit };
    const next = offset + limit < all.length ? encodeQueryCursor("workspaces", offset + limit, carried) : undefined;
    return c.json({
      data: page,
      links: {
        self: encodeQueryCursor("workspaces", offset, carried),
        ...(next ? { next } : {}),
        ...(offset > 0 ? { prev: encodeQueryCursor("workspaces", Math.max(0, offset - limit), carried) } : {}),
      },
      meta: {
        pageSize: limit,
        startIndex: page.length > 0 ? offset : null,
        endIndex: page.length > 0 ? offset + page.length - 1 : null,
        total: all.length,
      },
    });
  });

  return app;
}
