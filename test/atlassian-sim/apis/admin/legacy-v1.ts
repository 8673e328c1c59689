/**
 * The Admin v1 lifecycle and search endpoints that Atlassian switched off: "The following v1 APIs will stop working
 * after June 30, 2026" (developer.atlassian.com/cloud/admin/changelog); they are gone from the current
 * specification and documented last in the 2026-07-22 one. By default they answer **410 Gone**: Atlassian does not
 * document the status of a removed Admin endpoint, and 410 is what it answers for the endpoints it removed from
 * Bitbucket Cloud (CHANGE-2770); `SimContext.adminV1Legacy = "not-found"` makes them 404 instead (VERIFY against a
 * live org), and `"served"` serves them as the 2026-07-22 specification describes, over the same state as v2.
 * The 410 body is the v1 `{errors:[…]}` shape; its code `ADMIN-410-1` is the simulator's own (the published code
 * list has no 410).
 */
import { Hono } from "hono";
import { z } from "zod";
import type { SimEnv } from "../../http/env.js";
import { clampPageSize } from "../../http/pagination.js";
import type { SimState } from "../../state.js";
import type { SimAccount } from "../../tenant/model.js";
import { nicknameOf } from "./accounts.js";
import { type AdminContext, adminError, decodeQueryCursor, encodeQueryCursor, jsonBody, seesOrg } from "./common.js";
import { deleteRefusal, seatLimitExceeded } from "./groups-v2.js";
import { RoleIndex } from "./roles.js";
import { keyOwner } from "./users-v2.js";

type LegacyHandler = (c: AdminContext, state: SimState) => Response | Promise<Response>;

/** Answers as the switched-off endpoint would, unless the simulator is told to serve the legacy API. */
function legacy(handler: LegacyHandler) {
  return (c: AdminContext) => {
    const sim = c.get("sim");
    if (sim.adminV1Legacy === "gone") {
      return adminError(
        c,
        410,
        "ADMIN-410-1",
        "Gone",
        "This API was removed on June 30, 2026. Use the v2 API instead.",
      );
    }
    if (sim.adminV1Legacy === "not-found") return adminError(c, 404, "ADMIN-404-1", "Unknown resource");
    // Every legacy operation documents 403 `ADMIN-403-3` ("Not allowed to manage the org").
    if (!seesOrg(c, c.req.param("orgId"))) {
      return adminError(
        c,
        403,
        "ADMIN-403-3",
        "Not allowed to manage the org",
        "The API key cannot manage this organization.",
      );
    }
    return handler(c, sim.state);
  };
}

function invalidBody(c: AdminContext, detail: string) {
  return adminError(c, 400, "ADMIN-400-24", "Invalid request body", detail);
}

const stringFilter = z.object({ contains: z.string().optional(), eq: z.array(z.string()).max(100).optional() });

/** `UsersSearchRequest` minus paging. */
const usersSearchSchema = z.object({
  accountIds: z.array(z.string()).max(100).optional(),
  accountStatuses: z.array(z.enum(["ACTIVE", "INACTIVE"])).optional(),
  accountTypes: z.array(z.enum(["atlassian", "customer", "app"])).optional(),
  emailDomains: stringFilter.optional(),
  emailUsernames: stringFilter.optional(),
  namesOrNicknames: stringFilter.optional(),
  expand: z.array(z.enum(["NAME", "EMAIL", "EMAIL_VERIFIED", "PRODUCT_LAST_ACCESS", "GROUPS"])).optional(),
  isSuspended: z.boolean().optional(),
});

/** `GroupsSearchRequest` minus paging. */
const groupsSearchSchema = z.object({
  groupIds: z.array(z.string()).max(100).optional(),
  groupNames: stringFilter.optional(),
  expand: z.array(z.enum(["USERS", "META", "ROLE_ASSIGNMENTS", "MANAGEMENT_ACCESS"])).optional(),
});

function matchesFilter(value: string, f: z.infer<typeof stringFilter> | undefined): boolean {
  if (!f) return true;
  const v = value.toLowerCase();
  if (f.eq && !f.eq.some((e) => e.toLowerCase() === v)) return false;
  if (f.contains && !v.includes(f.contains.toLowerCase())) return false;
  return true;
}

/** Parses a legacy search body: cursor (carrying the query) or filters, and the limit (default = max). */
async function searchRequest(c: AdminContext, tag: string, max: number) {
  const body = await jsonBody(c);
  if (!body) return null;
  let query: Record<string, unknown> = body;
  let offset = 0;
  if (typeof body.cursor === "string" && body.cursor !== "") {
    const decoded = decodeQueryCursor(tag, body.cursor);
    if (!decoded || typeof decoded.query !== "object" || decoded.query === null) return null;
    query = decoded.query as Record<string, unknown>;
    offset = decoded.offset;
  }
  const { cursor: _c, limit: rawLimit, ...filters } = query;
  const limit = clampPageSize((body.limit ?? rawLimit) as number | undefined, max, max);
  const clean = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== null));
  return { offset, limit, filters: clean };
}

/** `PublicUser`: account id, type and status always; name, email and verification as `expand` asks. */
function publicUser(state: SimState, a: SimAccount, expand: ReadonlySet<string>) {
  return {
    accountId: a.accountId,
    accountType: a.accountType,
    accountStatus: a.status,
    statusInUserbase: !state.removedFromDirectory.has(a.accountId),
    ...(expand.has("NAME") ? { name: a.displayName, nickname: nicknameOf(state, a) } : {}),
    // "The email will be absent for any user with an account_type of `app`."
    ...(expand.has("EMAIL") && a.accountType !== "app" ? { email: a.email } : {}),
    ...(expand.has("EMAIL_VERIFIED") ? { emailVerified: true } : {}),
  };
}

/** Routes of the switched-off v1 endpoints. */
export function legacyV1Routes(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  const base = "/admin/v1/orgs/:orgId";

  app.post(
    `${base}/users/search`,
    legacy(async (c, state) => {
      const req = await searchRequest(c, "v1-users-search", 10_000);
      if (!req) return invalidBody(c, "The request body or cursor is not valid.");
      const parsed = usersSearchSchema.safeParse(req.filters);
      if (!parsed.success) return invalidBody(c, parsed.error.issues[0]?.message ?? "invalid");
      const f = parsed.data;
      const ids = f.accountIds ? new Set(f.accountIds) : undefined;
      const users = state.tenant.accounts.filter((a) => {
        if (state.removedFromDirectory.has(a.accountId)) return false;
        if (ids && !ids.has(a.accountId)) return false;
        if (f.accountStatuses && !f.accountStatuses.some((s) => s.toLowerCase() === a.status)) return false;
        if (f.accountTypes && !f.accountTypes.includes(a.accountType)) return false;
        if (f.isSuspended !== undefined && a.suspended !== f.isSuspended) return false;
        const [local = "", domain = ""] = a.email.split("@");
        if (!matchesFilter(domain, f.emailDomains) || !matchesFilter(local, f.emailUsernames)) return false;
        if (f.namesOrNicknames) {
          const nick = nicknameOf(state, a);
          if (!matchesFilter(a.displayName, f.namesOrNicknames) && !matchesFilter(nick, f.namesOrNicknames))
            return false;
        }
        return true;
      });
      const page = users.slice(req.offset, req.offset + req.limit);
      const end = req.offset + page.length;
      const expand = new Set(f.expand ?? []);
      return c.json({
        data: page.map((a) => publicUser(state, a, expand)),
        links:
          end < users.length ? { next: encodeQueryCursor("v1-users-search", end, { ...f, limit: req.limit }) } : {},
      });
    }),
  );

  app.post(
    `${base}/groups/search`,
    legacy(async (c, state) => {
      const req = await searchRequest(c, "v1-groups-search", 1000);
      if (!req) return invalidBody(c, "The request body or cursor is not valid.");
      const parsed = groupsSearchSchema.safeParse(req.filters);
      if (!parsed.success) return invalidBody(c, parsed.error.issues[0]?.message ?? "invalid");
      const f = parsed.data;
      const ids = f.groupIds ? new Set(f.groupIds) : undefined;
      const groups = state.tenant.groups.filter(
        (g) => (!ids || ids.has(g.groupId)) && matchesFilter(g.name, f.groupNames),
      );
      const page = groups.slice(req.offset, req.offset + req.limit);
      const end = req.offset + page.length;
      const roles = f.expand?.includes("ROLE_ASSIGNMENTS") ? new RoleIndex(state) : undefined;
      return c.json({
        data: page.map((g) => ({
          id: g.groupId,
          name: g.name,
          description: g.description,
          ...(roles
            ? {
                roleAssignments: roles
                  .groupAssignments(g.groupId)
                  .flatMap((r) =>
                    [...r.roles.keys()].map((roleId) => ({ principalId: g.groupId, resourceId: r.resourceId, roleId })),
                  ),
              }
            : {}),
        })),
        links:
          end < groups.length ? { next: encodeQueryCursor("v1-groups-search", end, { ...f, limit: req.limit }) } : {},
      });
    }),
  );

  const userOr404 = (c: AdminContext, state: SimState) => {
    const accountId = c.req.param("accountId") ?? "";
    const a = state.accountsById.get(accountId);
    return a && !state.removedFromDirectory.has(accountId)
      ? a
      : adminError(c, 404, "ADMIN-404-8", "User not found", `We couldn’t find the user ${accountId}.`);
  };

  app.post(
    `${base}/directory/users/:accountId/suspend-access`,
    legacy((c, state) => {
      const a = userOr404(c, state);
      if (a instanceof Response) return a;
      if (!a.suspended) state.suspend(a.accountId, keyOwner(state));
      return c.json({ message: `User ${a.accountId} was successfully suspended in the organization directory.` });
    }),
  );

  app.post(
    `${base}/directory/users/:accountId/restore-access`,
    legacy((c, state) => {
      const a = userOr404(c, state);
      if (a instanceof Response) return a;
      if (a.suspended) state.restore(a.accountId, keyOwner(state));
      return c.json({
        message: `User ${a.accountId}'s access is successfully restored in the organization directory.`,
      });
    }),
  );

  // This operation documents no 404: an unknown account is an invalid resource (`ADMIN-400-4`).
  app.delete(
    `${base}/directory/users/:accountId`,
    legacy((c, state) => {
      const accountId = c.req.param("accountId") ?? "";
      if (!state.accountsById.has(accountId) || state.removedFromDirectory.has(accountId)) {
        return adminError(c, 400, "ADMIN-400-4", "Invalid resource", `We couldn’t find the user ${accountId}.`);
      }
      state.removeFromOrg(accountId, keyOwner(state));
      return c.body(null, 204);
    }),
  );

  app.post(
    `${base}/directory/groups`,
    legacy(async (c, state) => {
      const body = await jsonBody(c);
      const name = typeof body?.name === "string" ? body.name.trim() : "";
      if (name === "") return invalidBody(c, "`name` is required.");
      // "The creation of new groups using existing group names is not permitted."
      if (state.groupsByName.has(name.toLowerCase())) return invalidBody(c, `A group named ${name} already exists.`);
      const g = state.createGroup(
        name,
        typeof body?.description === "string" ? body.description : "",
        "admin",
        keyOwner(state),
      );
      return c.json({ groupId: g.groupId, message: `Group ${name} was created.` });
    }),
  );

  const groupOr404 = (c: AdminContext, state: SimState) => {
    const groupId = c.req.param("groupId") ?? "";
    return (
      state.groupsById.get(groupId) ??
      adminError(c, 404, "ADMIN-404-10", "Group not found", `We couldn’t find the group ${groupId}.`)
    );
  };

  app.delete(
    `${base}/directory/groups/:groupId`,
    legacy((c, state) => {
      const g = groupOr404(c, state);
      if (g instanceof Response) return g;
      const refusal = deleteRefusal(g, new RoleIndex(state).groupAssignments(g.groupId));
      if (refusal) return adminError(c, 403, refusal.code, "Forbidden", refusal.detail);
      // "Groups cannot be deleted if it contains users, unless `forceIfNotEmpty=true` is provided."
      if (g.members.length > 0 && c.req.query("forceIfNotEmpty") !== "true") {
        return adminError(
          c,
          409,
          "ADMIN-409-5",
          "Group not empty",
          "Pass forceIfNotEmpty=true to delete a group with members.",
        );
      }
      state.deleteGroup(g.groupId, keyOwner(state));
      return c.json({ message: `Group ${g.name} was deleted.` });
    }),
  );

  app.post(
    `${base}/directory/groups/:groupId/memberships`,
    legacy(async (c, state) => {
      const g = groupOr404(c, state);
      if (g instanceof Response) return g;
      const body = await jsonBody(c);
      const accountId = typeof body?.account_id === "string" ? body.account_id : "";
      if (accountId === "") return invalidBody(c, "`account_id` is required.");
      if (!state.accountsById.has(accountId) || state.removedFromDirectory.has(accountId)) {
        return adminError(c, 404, "ADMIN-404-8", "User not found", `We couldn’t find the user ${accountId}.`);
      }
      if (g.source === "scim") {
        return adminError(
          c,
          403,
          "ADMIN-403-5",
          "Not allowed to manage the group",
          "This group is synced through SCIM.",
        );
      }
      if (state.groupsOfAccount.get(accountId)?.has(g.groupId)) {
        return adminError(c, 409, "ADMIN-409-28", "Conflict", "The user is already a member of the group.");
      }
      if (seatLimitExceeded(state, g, accountId)) {
        return adminError(
          c,
          409,
          "ADMIN-409-3",
          "License limit exceeded",
          "The group grants a product whose licence is full.",
        );
      }
      state.addMember(g.groupId, accountId, keyOwner(state));
      return c.json({ message: `User ${accountId} was added to group ${g.name}.` });
    }),
  );

  app.delete(
    `${base}/directory/groups/:groupId/memberships/:accountId`,
    legacy((c, state) => {
      const g = groupOr404(c, state);
      if (g instanceof Response) return g;
      const accountId = c.req.param("accountId") ?? "";
      if (!state.accountsById.has(accountId)) {
        return adminError(c, 404, "ADMIN-404-8", "User not found", `We couldn’t find the user ${accountId}.`);
      }
      if (g.source === "scim") {
        return adminError(
          c,
          403,
          "ADMIN-403-5",
          "Not allowed to manage the group",
          "This group is synced through SCIM.",
        );
      }
      if (!state.groupsOfAccount.get(accountId)?.has(g.groupId)) {
        return adminError(c, 409, "ADMIN-409-28", "Conflict", "The user is not a member of the group.");
      }
      state.removeMember(g.groupId, accountId, keyOwner(state));
      return c.json({ message: `User ${accountId} was removed from group ${g.name}.` });
    }),
  );

  return app;
}
