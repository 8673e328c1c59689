/**
 * The simulated user-management API (`api.atlassian.com/users/{account_id}/manage…`, admin-user-management spec):
 * what the org key may manage, the profile, the email address, the account lifecycle (deactivate, reactivate,
 * delete with its grace period, cancel the deletion) and API tokens. Only the org's managed accounts can be managed;
 * errors are the API's own `{key, context?}` bodies. Every write goes through `SimState`, so a deactivation or a new
 * name shows in Admin, Jira and Confluence.
 */
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { SimEnv } from "../../http/env.js";
import { type ProfilePatch, SimConflict, type SimState } from "../../state.js";
import type { SimAccount } from "../../tenant/model.js";
import { extendedProfileOf, nicknameOf, pictureOf } from "../admin/accounts.js";
import { type AdminContext, jsonBody } from "../admin/common.js";
import { verifiedDomains } from "../admin/orgs-v1.js";
import { keyOwner } from "../admin/users-v2.js";
import {
  apiTokensOf,
  PRIVILEGES,
  type Privilege,
  type ProfileField,
  privilegeRule,
  profileMutability,
  type Rule,
} from "./manageability.js";

type ManagedHandler = (c: AdminContext, state: SimState, a: SimAccount) => Response | Promise<Response>;

function keyBody(c: AdminContext, status: ContentfulStatusCode, key: string, context?: unknown) {
  return c.json({ key, ...(context !== undefined ? { context } : {}) }, status);
}

/**
 * Wraps a handler: a scoped key manages no one (`forbidden`), an unknown account is `accountNotFound`, and an
 * account that is not one of the org's managed accounts is `forbidden` ("Only managed accounts can be managed").
 */
function managed(handler: ManagedHandler) {
  return (c: AdminContext) => {
    const state = c.get("sim").state;
    if (c.get("adminKeyScoped")) return keyBody(c, 403, "forbidden");
    const a = state.accountsById.get(c.req.param("accountId") ?? "");
    if (!a) return keyBody(c, 404, "accountNotFound");
    if (!a.managed || a.accountType !== "atlassian") return keyBody(c, 403, "forbidden");
    return handler(c, state, a);
  };
}

/** `Response.Forbidden.Action` when the rule does not allow the action. */
function forbiddenAction(c: AdminContext, rule: Rule) {
  return rule.allowed ? null : keyBody(c, 403, "forbidden.action", rule);
}

/** `Conflict.LifecycleErrors` ("This account isn't eligible for the requested action"). */
function lifecycleConflict(c: AdminContext, a: SimAccount, code: string, message: string) {
  return keyBody(c, 409, "conflict.lifecycleErrors", {
    message,
    accountId: a.accountId,
    errorCodes: [{ code, message, link: "https://confluence.atlassian.com/x/pTgoPQ" }],
  });
}

function violations(c: AdminContext, list: Array<{ field: string; key: string }>) {
  return keyBody(c, 400, "fieldConstraintsViolated", {
    fieldViolations: list.map((v) => ({ field: v.field, violations: [{ key: v.key }] })),
  });
}

/** `AtlassianAccountUser`: the account's profile as user management shows it. */
function profileOf(state: SimState, a: SimAccount) {
  const p = extendedProfileOf(state, a);
  const extended = Object.fromEntries(
    [
      ["job_title", p.jobTitle],
      ["department", p.department],
      ["organization", p.organization],
      ["location", p.location],
    ].filter(([, v]) => v),
  );
  return {
    account_id: a.accountId,
    account_type: a.accountType,
    account_status: a.status,
    name: a.displayName,
    email: a.email,
    picture: pictureOf(a),
    nickname: nicknameOf(state, a),
    extended_profile: extended,
    ...(p.zoneinfo ? { zoneinfo: p.zoneinfo } : {}),
    ...(p.locale ? { locale: p.locale } : {}),
  };
}

// Control and null characters are not allowed in names and nicknames (spec `Name`, `Nickname` constraints).
// biome-ignore lint/suspicious/noControlCharactersInRegex: the constraint is about control characters.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Validates a profile PATCH body into the fields it changes; returns the constraint violations otherwise. */
function readProfilePatch(
  state: SimState,
  a: SimAccount,
  body: Record<string, unknown>,
): { changes: Map<ProfileField, string> } | { violations: Array<{ field: string; key: string }> } {
  const found: Array<{ field: string; key: string }> = [];
  const changes = new Map<ProfileField, string>();
  const current = profileOf(state, a) as Record<string, unknown>;
  // Read-only fields may be echoed back unchanged (a client PATCHes what it read), not changed.
  for (const field of ["account_id", "account_type", "account_status", "email", "picture"]) {
    if (body[field] !== undefined && body[field] !== current[field]) found.push({ field, key: "readOnly" });
  }
  const take = (field: ProfileField, value: unknown, max?: number) => {
    if (value === undefined) return;
    if (typeof value !== "string") return found.push({ field, key: "type" });
    if (CONTROL.test(value)) return found.push({ field, key: "validCharacters" });
    if (max !== undefined && value.length > max) return found.push({ field, key: "maxLength" });
    if ((field === "name" || field === "nickname") && value.trim() === "")
      return found.push({ field, key: "minLength" });
    changes.set(field, value);
  };
  take("name", body.name, 100);
  take("nickname", body.nickname, 30);
  take("zoneinfo", body.zoneinfo);
  take("locale", body.locale);
  const ext = body.extended_profile;
  if (ext !== undefined) {
    if (!ext || typeof ext !== "object" || Array.isArray(ext)) found.push({ field: "extended_profile", key: "type" });
    else {
      const e = ext as Record<string, unknown>;
      take("extended_profile.job_title", e.job_title);
      take("extended_profile.department", e.department);
      take("extended_profile.organization", e.organization);
      take("extended_profile.location", e.location);
    }
  }
  return found.length > 0 ? { violations: found } : { changes };
}

/** The profile change in the model's terms; empty strings clear a field. */
function toPatch(changes: Map<ProfileField, string>): ProfilePatch {
  const patch: ProfilePatch = {};
  for (const [field, value] of changes) {
    switch (field) {
      case "name":
        patch.displayName = value;
        break;
      case "nickname":
        patch.nickname = value;
        break;
      case "extended_profile.job_title":
        patch.title = value === "" ? null : value;
        break;
      case "extended_profile.department":
        patch.department = value === "" ? null : value;
        break;
      case "extended_profile.organization":
        patch.organization = value;
        break;
      case "extended_profile.location":
        patch.location = value;
        break;
      case "zoneinfo":
        patch.zoneinfo = value;
        break;
      case "locale":
        patch.locale = value;
        break;
    }
  }
  return patch;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The user-management API's routes, registered with their full path under the api.atlassian.com host. */
export function userManagementApi(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();
  const base = "/users/:accountId/manage";

  // `privileges` narrows the answer; without it every privilege is described. Unknown names are ignored.
  app.get(
    base,
    managed((c, state, a) => {
      const asked = (c.req.queries("privileges") ?? []).flatMap((v) => v.split(","));
      const wanted = asked.length > 0 ? PRIVILEGES.filter((p) => asked.includes(p)) : PRIVILEGES;
      const out: Partial<Record<Privilege, unknown>> = {};
      for (const p of wanted) out[p] = privilegeRule(state, a, p);
      return c.json(out);
    }),
  );

  app.get(
    `${base}/profile`,
    managed((c, state, a) => c.json({ account: profileOf(state, a) })),
  );

  app.patch(
    `${base}/profile`,
    managed(async (c, state, a) => {
      const body = await jsonBody(c);
      if (!body) return keyBody(c, 400, "bodyParseFailure");
      const read = readProfilePatch(state, a, body);
      if ("violations" in read) return violations(c, read.violations);
      const current = profileOf(state, a) as Record<string, unknown> & { extended_profile: Record<string, unknown> };
      const valueNow = (field: ProfileField) =>
        field.startsWith("extended_profile.")
          ? (current.extended_profile[field.slice("extended_profile.".length)] ?? "")
          : (current[field] ?? "");
      const changed = new Map([...read.changes].filter(([field, value]) => valueNow(field) !== value));
      const rules = profileMutability(state, a);
      const refused = [...changed.keys()].filter((f) => !rules[f].allowed);
      if (refused.length > 0) {
        return keyBody(c, 403, "forbidden.fieldMutation", Object.fromEntries(refused.map((f) => [f, rules[f]])));
      }
      if (changed.size > 0) state.updateProfile(a.accountId, toPatch(changed), keyOwner(state));
      return c.json({ account: profileOf(state, a) });
    }),
  );

  // "Before using this endpoint, you must verify the target domain as the new email address will be considered verified."
  app.put(
    `${base}/email`,
    managed(async (c, state, a) => {
      const body = await jsonBody(c);
      if (!body) return keyBody(c, 400, "bodyParseFailure");
      const email = body.email;
      if (typeof email !== "string" || !EMAIL.test(email)) return violations(c, [{ field: "email", key: "format" }]);
      const refused = forbiddenAction(c, privilegeRule(state, a, "email.set") as Rule);
      if (refused) return refused;
      const domain = email.split("@")[1]?.toLowerCase() ?? "";
      if (!verifiedDomains(state).some((d) => d.name === domain)) {
        return keyBody(c, 403, "forbidden.unclaimedDomain", { domain });
      }
      try {
        state.setEmail(a.accountId, email, keyOwner(state));
      } catch (e) {
        if (e instanceof SimConflict) return violations(c, [{ field: "email", key: "unique" }]);
        throw e;
      }
      return c.body(null, 204);
    }),
  );

  app.post(
    `${base}/lifecycle/disable`,
    managed(async (c, state, a) => {
      const body = await jsonBody(c);
      if (body && body.message !== undefined && typeof body.message !== "string") {
        return violations(c, [{ field: "message", key: "type" }]);
      }
      const refused = forbiddenAction(c, privilegeRule(state, a, "lifecycle.enablement") as Rule);
      if (refused) return refused;
      if (a.status === "closed") return lifecycleConflict(c, a, "ACCOUNT_CLOSED", "The account is deleted.");
      if (a.status !== "inactive") state.setAccountActive(a.accountId, false, keyOwner(state));
      return c.body(null, 204);
    }),
  );

  // "User accounts that have been deleted need the deletion to be canceled before reactivating."
  app.post(
    `${base}/lifecycle/enable`,
    managed((c, state, a) => {
      const refused = forbiddenAction(c, privilegeRule(state, a, "lifecycle.enablement") as Rule);
      if (refused) return refused;
      if (a.status === "closed") {
        return lifecycleConflict(
          c,
          a,
          "ACCOUNT_CLOSED",
          "The account is deleted; cancel the deletion before reactivating it.",
        );
      }
      if (a.status !== "active") state.setAccountActive(a.accountId, true, keyOwner(state));
      return c.body(null, 204);
    }),
  );

  // "Before you permanently delete the account, you’ll have a 14-day grace period."
  app.post(
    `${base}/lifecycle/delete`,
    managed((c, state, a) => {
      const refused = forbiddenAction(c, privilegeRule(state, a, "lifecycle.delete") as Rule);
      if (refused) return refused;
      if (a.status === "closed") return lifecycleConflict(c, a, "ACCOUNT_CLOSED", "The account is already deleted.");
      state.scheduleDeletion(a.accountId, keyOwner(state));
      return c.json({ message: `Account ${a.accountId} is scheduled for deletion in 14 days.` });
    }),
  );

  app.post(
    `${base}/lifecycle/cancel-delete`,
    managed((c, state, a) => {
      const refused = forbiddenAction(c, privilegeRule(state, a, "lifecycle.delete") as Rule);
      if (refused) return refused;
      if (!state.pendingDeletion.has(a.accountId)) return keyBody(c, 404, "notFound");
      state.cancelDeletion(a.accountId, keyOwner(state));
      return c.json({ message: `The deletion of account ${a.accountId} was cancelled.` });
    }),
  );

  app.get(
    `${base}/api-tokens`,
    managed((c, state, a) => {
      const refused = forbiddenAction(c, privilegeRule(state, a, "apiToken.read") as Rule);
      return refused ?? c.json(apiTokensOf(state, a));
    }),
  );

  app.delete(
    `${base}/api-tokens/:tokenId`,
    managed((c, state, a) => {
      const refused = forbiddenAction(c, privilegeRule(state, a, "apiToken.delete") as Rule);
      if (refused) return refused;
      const tokenId = c.req.param("tokenId") ?? "";
      if (!apiTokensOf(state, a).some((t) => t.id === tokenId)) return keyBody(c, 404, "notFound");
      state.revokeApiToken(a.accountId, tokenId, keyOwner(state));
      return c.body(null, 204);
    }),
  );

  return app;
}
