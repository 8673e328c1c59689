/**
 * What a Confluence caller may see and do: the spaces it can view or administer, and whether it sees emails.
 * Confluence lists "only spaces that the user has permission to view" (v2 `GET /spaces`, v1 `GET /space`), and
 * hides email addresses from callers without the *Browse users* global permission or when the user chose to hide it.
 */
import type { Context } from "hono";
import type { ProductCaller, SimEnv } from "../../http/env.js";
import type { SimState } from "../../state.js";
import type { ConfluencePrincipal, ConfluenceSpace, ConfluenceSpaceRole, SimAccount } from "../../tenant/model.js";

/** The calling user's view of Confluence, computed once per request. */
export interface ConfluenceView {
  state: SimState;
  caller: ProductCaller;
  canView(space: ConfluenceSpace): boolean;
  canAdminister(space: ConfluenceSpace): boolean;
  /**
   * The email as this caller may see it: its own always, others' only with Browse users and when not hidden by the
   * user; otherwise "" (both Confluence specs: "Depending on the user's privacy setting, this may return an empty
   * string", and v2 types `email` as a non-nullable string).
   */
  emailOf(account: SimAccount): string;
}

/** Builds the caller's view from the request context. */
export function viewOf(c: Context<SimEnv>): ConfluenceView {
  const state = c.get("sim").state;
  const caller = c.get("productCaller");
  const groups = new Set(state.groupIdsOf(caller.accountId));
  const roles = new Map<string, ConfluenceSpaceRole>(state.tenant.confluence.roles.map((r) => [r.id, r]));
  const holds = (p: ConfluencePrincipal): boolean => {
    switch (p.type) {
      case "user":
        return p.id === caller.accountId;
      case "group":
        return groups.has(p.id);
      // Anonymous access opens the space to everyone, logged-in users included.
      case "anonymous":
        return true;
      // Unlicensed access is for users without a Confluence licence; the API callers hold one.
      case "unlicensed":
      case "role":
        return false;
    }
  };
  const has = (space: ConfluenceSpace, key: string, targetType: string): boolean => {
    for (const p of space.permissions) {
      if (p.operation.key === key && p.operation.targetType === targetType && holds(p.principal)) return true;
    }
    const op = `${key}:${targetType}`;
    for (const a of space.roleAssignments) {
      const principal: ConfluencePrincipal =
        a.principal.type === "USER" ? { type: "user", id: a.principal.id } : { type: "group", id: a.principal.id };
      if (holds(principal) && roles.get(a.roleId)?.operations.includes(op)) return true;
    }
    return false;
  };
  return {
    state,
    caller,
    // Site admins view every space: the integration user is one, and discovery must see every space
    // (VERIFY: a live site admin without View space may see fewer; they can recover space permissions).
    canView: (space) => caller.siteAdmin || has(space, "read", "space"),
    // Site admins may manage space permissions of any space (they can recover them in the admin console).
    canAdminister: (space) => caller.siteAdmin || has(space, "administer", "space"),
    emailOf: (account) =>
      account.accountId === caller.accountId || (account.emailVisible && caller.browseUsers) ? account.email : "",
  };
}

/** A Confluence global operation (v1 `OperationCheckResult` on the `application` target). */
export interface GlobalOperation {
  operation: "use" | "create_space" | "administer";
  targetType: "application";
}

/**
 * The caller's global operations, from the tenant: `use` for accounts with Confluence (or any admin),
 * `create_space` for licensed non-guests (Confluence Cloud's default grant to its users group), and `administer`
 * for members of the Confluence admin or site-admin groups and for site admins ("site admins are Confluence
 * admins"). An empty list means the caller may not use Confluence.
 */
export function globalOperations(view: ConfluenceView): GlobalOperation[] {
  const { state, caller } = view;
  const account = state.accountsById.get(caller.accountId);
  if (!account) return [];
  const groups = new Set(state.groupIdsOf(caller.accountId));
  const conf = state.tenant.confluence;
  const admin = caller.siteAdmin || [...conf.adminGroups, ...conf.siteAdminGroups].some((g) => groups.has(g));
  const licensed = state.hasProduct(account, "confluence");
  const ops: GlobalOperation[] = [];
  if (licensed || admin) ops.push({ operation: "use", targetType: "application" });
  if (licensed && !account.externalCollaborator) ops.push({ operation: "create_space", targetType: "application" });
  if (admin) ops.push({ operation: "administer", targetType: "application" });
  return ops;
}

/** The spaces the caller can view, in tenant order. */
export function visibleSpaces(view: ConfluenceView): ConfluenceSpace[] {
  return view.state.tenant.confluence.spaces.filter((s) => view.canView(s));
}

/** accountId → id of the account's personal space. */
export function personalSpaceIds(state: SimState): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of state.tenant.confluence.spaces) if (s.type === "personal") out.set(s.authorAccountId, s.id);
  return out;
}
