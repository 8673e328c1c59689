/**
 * Contract cases of the simulated user-management API (`admin-user-management-swagger.v3`, whose path keys carry the
 * full `/users/{account_id}/manage…` path; the routes name the parameter `:accountId`). The runner shares one
 * simulator between all cases, so writes pick their targets when they run and are undone.
 */
import type { SimAccount } from "../../atlassian-sim/tenant/model.js";
import type { TestSim } from "../../atlassian-sim/testing.js";
import type { ContractCase, UnspecifiedRoute } from "../case.js";
import { registerAllowance, type ValidationIssue } from "../openapi-validator.js";

const SPEC = "admin-user-management-swagger.v3" as const;

/** A case whose spec path is the route with `:accountId` written `{account_id}` and other `:name` as `{name}`. */
const c = (
  name: string,
  method: ContractCase["method"],
  route: string,
  expectStatus: number,
  send: ContractCase["send"],
): ContractCase => ({
  name,
  api: "user-management",
  method,
  route,
  spec: SPEC,
  specPath: route.replace(":accountId", "{account_id}").replace(/:(\w+)/g, "{$1}"),
  expectStatus,
  send,
});

const s = (t: TestSim) => t.sim.state;
const json = (method: string, body: unknown): RequestInit => ({ method, body: JSON.stringify(body) });

/** A managed account not provisioned from the IdP, active, and not one of the simulator's API callers. */
const plainManaged = (t: TestSim): SimAccount => {
  const st = s(t);
  const callers = [st.tenant.credentials.productUser.accountId, st.tenant.credentials.limitedProductUser.accountId];
  return st.tenant.accounts.find(
    (a) =>
      a.managed &&
      a.accountType === "atlassian" &&
      a.status === "active" &&
      !a.suspended &&
      !st.scimUserByAccount.has(a.accountId) &&
      !callers.includes(a.accountId),
  )!;
};
const scimManaged = (t: TestSim): SimAccount =>
  s(t).tenant.accounts.find((a) => a.managed && a.status === "active" && s(t).scimUserByAccount.has(a.accountId))!;
const unmanaged = (t: TestSim): SimAccount => s(t).tenant.accounts.find((a) => !a.managed)!;
const manage = (a: SimAccount) => `/users/${encodeURIComponent(a.accountId)}/manage`;

const BASE = "/users/:accountId/manage";

/**
 * A defect of the document, not of the simulator: `AccountId.pattern` is `[a-zA-Z0-9_|:-]{1,128}` followed by a
 * newline (a YAML block-scalar artifact), so no real account id matches it. Forgiven exactly there, on the responses
 * that carry an account id (`AtlassianAccountUser.account_id`, `Conflict.LifecycleErrors.context.accountId`).
 */
const accountIdPatternDefect = (issue: ValidationIssue) =>
  issue.keyword === "pattern" &&
  String(issue.params.pattern).endsWith("\n") &&
  /account_?[iI]d$/.test(issue.instancePath);
for (const [method, path, status] of [
  ["GET", "/users/{account_id}/manage/profile", 200],
  ["PATCH", "/users/{account_id}/manage/profile", 200],
  ["POST", "/users/{account_id}/manage/lifecycle/delete", 409],
  ["POST", "/users/{account_id}/manage/lifecycle/disable", 409],
  ["POST", "/users/{account_id}/manage/lifecycle/enable", 409],
] as const) {
  registerAllowance({
    id: `user-management-account-id-pattern-trailing-newline ${method} ${path} ${status}`,
    spec: SPEC,
    method,
    specPath: path,
    status,
    reason: "AccountId.pattern ends in a newline in the published document, so no account id can match it.",
    accepts: accountIdPatternDefect,
  });
}

export const cases: ContractCase[] = [
  c("every privilege", "GET", BASE, 200, (t) => t.admin(manage(plainManaged(t)))),
  c("privileges of an IdP-provisioned account", "GET", BASE, 200, (t) =>
    t.admin(`${manage(scimManaged(t))}?privileges=profile.write&privileges=lifecycle.enablement`),
  ),
  c("wrong key", "GET", BASE, 401, (t) => t.admin(manage(plainManaged(t)), { headers: { authorization: "Bearer x" } })),
  c("an account the org does not manage", "GET", BASE, 403, (t) => t.admin(manage(unmanaged(t)))),
  c("unknown account", "GET", BASE, 404, (t) => t.admin("/users/nobody/manage")),

  c("profile", "GET", `${BASE}/profile`, 200, (t) => t.admin(`${manage(plainManaged(t))}/profile`)),
  c("profile of an unknown account", "GET", `${BASE}/profile`, 404, (t) => t.admin("/users/nobody/manage/profile")),
  c("update the profile, then put it back", "PATCH", `${BASE}/profile`, 200, async (t) => {
    const a = plainManaged(t);
    const before = { name: a.displayName, extended_profile: { job_title: a.title ?? "" } };
    const res = await t.admin(
      `${manage(a)}/profile`,
      json("PATCH", { name: "Contract Name", extended_profile: { job_title: "QA" } }),
    );
    s(t).updateProfile(
      a.accountId,
      { displayName: before.name, title: before.extended_profile.job_title || null },
      "contract",
    );
    return res;
  }),
  c("nickname too long", "PATCH", `${BASE}/profile`, 400, (t) =>
    t.admin(`${manage(plainManaged(t))}/profile`, json("PATCH", { nickname: "n".repeat(40) })),
  ),
  c("rename an IdP-provisioned account", "PATCH", `${BASE}/profile`, 403, (t) =>
    t.admin(`${manage(scimManaged(t))}/profile`, json("PATCH", { name: "Renamed" })),
  ),

  c("set the email, then put it back", "PUT", `${BASE}/email`, 204, async (t) => {
    const a = plainManaged(t);
    const before = a.email;
    const res = await t.admin(`${manage(a)}/email`, json("PUT", { email: `contract.${before}` }));
    s(t).setEmail(a.accountId, before, "contract");
    return res;
  }),
  c("email on an unclaimed domain", "PUT", `${BASE}/email`, 403, (t) =>
    t.admin(`${manage(plainManaged(t))}/email`, json("PUT", { email: "someone@unclaimed.test" })),
  ),
  c("malformed email", "PUT", `${BASE}/email`, 400, (t) =>
    t.admin(`${manage(plainManaged(t))}/email`, json("PUT", { email: "nope" })),
  ),

  c("deactivate, then reactivate", "POST", `${BASE}/lifecycle/disable`, 204, async (t) => {
    const a = plainManaged(t);
    const res = await t.admin(`${manage(a)}/lifecycle/disable`, json("POST", { message: "Contract test" }));
    s(t).setAccountActive(a.accountId, true, "contract");
    return res;
  }),
  c("deactivate an IdP-provisioned account", "POST", `${BASE}/lifecycle/disable`, 403, (t) =>
    t.admin(`${manage(scimManaged(t))}/lifecycle/disable`, { method: "POST" }),
  ),
  c("reactivate (deactivated first)", "POST", `${BASE}/lifecycle/enable`, 204, (t) => {
    const a = plainManaged(t);
    s(t).setAccountActive(a.accountId, false, "contract");
    return t.admin(`${manage(a)}/lifecycle/enable`, { method: "POST" });
  }),
  c("reactivate a deleted account", "POST", `${BASE}/lifecycle/enable`, 409, async (t) => {
    const a = plainManaged(t);
    s(t).scheduleDeletion(a.accountId, "contract");
    const res = await t.admin(`${manage(a)}/lifecycle/enable`, { method: "POST" });
    s(t).cancelDeletion(a.accountId, "contract");
    return res;
  }),
  c("delete, then cancel", "POST", `${BASE}/lifecycle/delete`, 200, async (t) => {
    const a = plainManaged(t);
    const res = await t.admin(`${manage(a)}/lifecycle/delete`, { method: "POST" });
    s(t).cancelDeletion(a.accountId, "contract");
    return res;
  }),
  c("delete an unknown account", "POST", `${BASE}/lifecycle/delete`, 404, (t) =>
    t.admin("/users/nobody/manage/lifecycle/delete", { method: "POST" }),
  ),
  c("cancel a deletion (deleted first)", "POST", `${BASE}/lifecycle/cancel-delete`, 200, (t) => {
    const a = plainManaged(t);
    s(t).scheduleDeletion(a.accountId, "contract");
    return t.admin(`${manage(a)}/lifecycle/cancel-delete`, { method: "POST" });
  }),
  c("cancel when nothing is scheduled", "POST", `${BASE}/lifecycle/cancel-delete`, 404, (t) =>
    t.admin(`${manage(plainManaged(t))}/lifecycle/cancel-delete`, { method: "POST" }),
  ),

  c("API tokens", "GET", `${BASE}/api-tokens`, 200, (t) => t.admin(`${manage(plainManaged(t))}/api-tokens`)),
  c("API tokens of an account the org does not manage", "GET", `${BASE}/api-tokens`, 403, (t) =>
    t.admin(`${manage(unmanaged(t))}/api-tokens`),
  ),
  c("revoke an API token, then un-revoke it", "DELETE", `${BASE}/api-tokens/:tokenId`, 204, async (t) => {
    const st = s(t);
    for (const a of st.tenant.accounts.filter((x) => x.managed && x.accountType === "atlassian")) {
      const tokens = (await (await t.admin(`${manage(a)}/api-tokens`)).json()) as Array<{ id: string }>;
      const token = tokens[0];
      if (!token) continue;
      const res = await t.admin(`${manage(a)}/api-tokens/${token.id}`, { method: "DELETE" });
      st.revokedApiTokens.delete(token.id);
      return res;
    }
    throw new Error("no managed account has an API token");
  }),
  c("revoke an unknown API token", "DELETE", `${BASE}/api-tokens/:tokenId`, 404, (t) =>
    t.admin(`${manage(plainManaged(t))}/api-tokens/nope`, { method: "DELETE" }),
  ),
];

/** Every user-management route is in the published document. */
export const unspecified: UnspecifiedRoute[] = [];
