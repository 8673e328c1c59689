/**
 * Contract cases of the simulated Atlassian User Provisioning (SCIM 2.0) API
 * (`admin-user-provisioning-swagger.v3`, path keys carrying `/scim/directory/{directoryId}`).
 *
 * The runner shares one simulator between all cases, so each write case works on a user or group it creates through
 * the state first, and removes the groups it creates. Users cannot be removed (Atlassian has no hard delete), so the
 * few created here stay as extra accounts with no product access.
 *
 * Two defects of the published document are registered as allowances below: `ScimMetadata.resourceType` enumerates
 * `USER|GROUP|DIRECTORY` while Atlassian sends `User`/`Group` (RFC 7643 §3.1, and the spec's own PATCH /Groups
 * example), and the discovery endpoints' bodies are typed `string` while they are JSON objects (RFC 7644 §4).
 */

import type { ScimGroup, ScimUser } from "../../atlassian-sim/tenant/model.js";
import type { TestSim } from "../../atlassian-sim/testing.js";
import type { ContractCase, UnspecifiedRoute } from "../case.js";
import { registerAllowance } from "../openapi-validator.js";

const SPEC = "admin-user-provisioning-swagger.v3" as const;
const P = "/scim/directory/{directoryId}";
const R = "/scim/directory/:directoryId";
const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

// ---------------------------------------------------------------- allowances for the document's defects

const RESOURCE_BODIES: ReadonlyArray<[string, string, number]> = [
  ["get", `${P}/Users`, 200],
  ["post", `${P}/Users`, 201],
  ["get", `${P}/Users/{userId}`, 200],
  ["put", `${P}/Users/{userId}`, 200],
  ["patch", `${P}/Users/{userId}`, 200],
  ["get", `${P}/Groups`, 200],
  ["post", `${P}/Groups`, 201],
  ["get", `${P}/Groups/{id}`, 200],
  ["put", `${P}/Groups/{id}`, 200],
  ["patch", `${P}/Groups/{id}`, 200],
];
for (const [method, specPath, status] of RESOURCE_BODIES) {
  registerAllowance({
    id: `scim-meta-resource-type-casing ${method} ${specPath} ${status}`,
    spec: SPEC,
    method,
    specPath,
    status,
    reason:
      "ScimMetadata.resourceType enumerates USER|GROUP|DIRECTORY, but Atlassian sends `User` and `Group` as RFC 7643 " +
      "§3.1 defines them (see the spec's own PATCH /Groups response example and recorded live responses).",
    accepts: (issue) => issue.keyword === "enum" && /\/meta\/resourceType$/.test(issue.instancePath),
  });
}

const DISCOVERY_PATHS = [
  `${P}/ServiceProviderConfig`,
  `${P}/ResourceTypes`,
  `${P}/ResourceTypes/User`,
  `${P}/ResourceTypes/Group`,
  `${P}/Schemas`,
  `${P}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User`,
  `${P}/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group`,
  `${P}/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`,
];
for (const specPath of DISCOVERY_PATHS) {
  registerAllowance({
    id: `scim-discovery-body-typed-string ${specPath}`,
    spec: SPEC,
    method: "get",
    specPath,
    status: 200,
    reason:
      "The document types the discovery responses as `string`; RFC 7644 §4 requires JSON objects " +
      "(ServiceProviderConfig, ResourceType, Schema, or a ListResponse of them).",
    accepts: (issue) => issue.keyword === "type" && issue.instancePath === "",
  });
}

// ---------------------------------------------------------------- fixtures

let seq = 0;
const dir = (t: TestSim) => `/scim/directory/${t.sim.state.directoryId}`;
const domain = (t: TestSim) => t.sim.state.tenant.accounts.find((a) => a.managed)!.email.split("@")[1]!;
const send = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { "content-type": "application/scim+json" },
  body: JSON.stringify(body),
});

/** A new user of the directory, made through the state. */
const newUser = (t: TestSim): ScimUser => {
  seq += 1;
  const email = `contract.scim.${seq}@${domain(t)}`;
  return t.sim.state.scimCreateUser({
    externalId: `contract-ext-${seq}`,
    userName: email,
    displayName: `Contract User ${seq}`,
    givenName: "Contract",
    familyName: `User ${seq}`,
    email,
    active: true,
    title: null,
    department: null,
    organization: null,
  });
};

/** A new SCIM group, made through the state. */
const newGroup = (t: TestSim, members: string[] = []): ScimGroup => {
  seq += 1;
  return t.sim.state.scimCreateGroup(`contract-scim-group-${seq}`, members);
};

/** Sends a request about a fresh group, then deletes the group again. */
const withGroup = async (t: TestSim, request: (g: ScimGroup) => Promise<Response>): Promise<Response> => {
  const group = newGroup(t, [newUser(t).id]);
  const res = await request(group);
  if (t.sim.state.scimGroupsById.has(group.id)) t.sim.state.scimDeleteGroup(group.id);
  return res;
};

const userBody = (t: TestSim, extra: Record<string, unknown> = {}) => {
  seq += 1;
  const email = `contract.scim.new.${seq}@${domain(t)}`;
  return {
    schemas: [CORE_USER],
    userName: email,
    emails: [{ value: email, type: "work", primary: true }],
    name: { givenName: "New", familyName: `Person ${seq}` },
    active: true,
    ...extra,
  };
};

const c = (
  name: string,
  method: ContractCase["method"],
  route: string,
  specPath: string,
  expectStatus: number,
  sendCase: ContractCase["send"],
): ContractCase => ({ name, api: "scim", method, route, specPath, expectStatus, send: sendCase, spec: SPEC });

// ---------------------------------------------------------------- cases

export const cases: ContractCase[] = [
  // Users
  c("first page, count clamped to 100", "GET", `${R}/Users`, `${P}/Users`, 200, (t) =>
    t.scim(`${dir(t)}/Users?startIndex=1&count=500`),
  ),
  c("filter userName eq", "GET", `${R}/Users`, `${P}/Users`, 200, (t) => {
    const u = t.sim.state.tenant.scim.users[0]!;
    return t.scim(`${dir(t)}/Users?filter=${encodeURIComponent(`userName eq "${u.userName}"`)}`);
  }),
  c("excludedAttributes", "GET", `${R}/Users`, `${P}/Users`, 200, (t) =>
    t.scim(`${dir(t)}/Users?count=3&excludedAttributes=groups,name`),
  ),
  c("unsupported filter", "GET", `${R}/Users`, `${P}/Users`, 400, (t) =>
    t.scim(`${dir(t)}/Users?filter=${encodeURIComponent('userName sw "a"')}`),
  ),
  c("unknown directory", "GET", `${R}/Users`, `${P}/Users`, 404, (t) => t.scim("/scim/directory/not-this-one/Users")),
  c("no credentials", "GET", `${R}/Users`, `${P}/Users`, 401, (t) =>
    t.fetch(`/admin-api/scim/directory/${t.sim.state.directoryId}/Users`),
  ),
  c("create", "POST", `${R}/Users`, `${P}/Users`, 201, (t) => t.scim(`${dir(t)}/Users`, send("POST", userBody(t)))),
  c("existing userName", "POST", `${R}/Users`, `${P}/Users`, 409, (t) => {
    const u = newUser(t);
    return t.scim(`${dir(t)}/Users`, send("POST", { ...userBody(t), userName: u.userName }));
  }),
  c("no userName", "POST", `${R}/Users`, `${P}/Users`, 400, (t) => {
    const { userName: _omit, ...body } = userBody(t);
    return t.scim(`${dir(t)}/Users`, send("POST", body));
  }),
  c("get", "GET", `${R}/Users/:userId`, `${P}/Users/{userId}`, 200, (t) => t.scim(`${dir(t)}/Users/${newUser(t).id}`)),
  c("unknown user", "GET", `${R}/Users/:userId`, `${P}/Users/{userId}`, 404, (t) =>
    t.scim(`${dir(t)}/Users/00000000-0000-0000-0000-000000000000`),
  ),
  c("replace", "PUT", `${R}/Users/:userId`, `${P}/Users/{userId}`, 200, (t) => {
    const u = newUser(t);
    const body = { ...userBody(t), userName: u.userName, emails: [{ value: u.email, primary: true }], title: "Lead" };
    return t.scim(`${dir(t)}/Users/${u.id}`, send("PUT", body));
  }),
  c("replace without emails", "PUT", `${R}/Users/:userId`, `${P}/Users/{userId}`, 400, (t) => {
    const u = newUser(t);
    return t.scim(`${dir(t)}/Users/${u.id}`, send("PUT", { schemas: [CORE_USER], userName: u.userName }));
  }),
  c("replace unknown user", "PUT", `${R}/Users/:userId`, `${P}/Users/{userId}`, 404, (t) =>
    t.scim(`${dir(t)}/Users/00000000-0000-0000-0000-000000000000`, send("PUT", userBody(t))),
  ),
  c("deactivate", "PATCH", `${R}/Users/:userId`, `${P}/Users/{userId}`, 200, (t) =>
    t.scim(
      `${dir(t)}/Users/${newUser(t).id}`,
      send("PATCH", { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] }),
    ),
  ),
  c("unsupported op", "PATCH", `${R}/Users/:userId`, `${P}/Users/{userId}`, 400, (t) =>
    t.scim(
      `${dir(t)}/Users/${newUser(t).id}`,
      send("PATCH", { schemas: [PATCH_OP], Operations: [{ op: "move", path: "title", value: "x" }] }),
    ),
  ),
  c("patch unknown user", "PATCH", `${R}/Users/:userId`, `${P}/Users/{userId}`, 404, (t) =>
    t.scim(
      `${dir(t)}/Users/00000000-0000-0000-0000-000000000000`,
      send("PATCH", { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] }),
    ),
  ),
  c("delete", "DELETE", `${R}/Users/:userId`, `${P}/Users/{userId}`, 204, (t) =>
    t.scim(`${dir(t)}/Users/${newUser(t).id}`, { method: "DELETE" }),
  ),
  c("delete a deleted user", "DELETE", `${R}/Users/:userId`, `${P}/Users/{userId}`, 404, (t) => {
    const u = newUser(t);
    t.sim.state.scimDeleteUser(u.id);
    return t.scim(`${dir(t)}/Users/${u.id}`, { method: "DELETE" });
  }),

  // Groups
  c("first page", "GET", `${R}/Groups`, `${P}/Groups`, 200, (t) => t.scim(`${dir(t)}/Groups?count=1000`)),
  c("filter displayName eq", "GET", `${R}/Groups`, `${P}/Groups`, 200, (t) =>
    withGroup(t, (g) => t.scim(`${dir(t)}/Groups?filter=${encodeURIComponent(`displayName eq "${g.displayName}"`)}`)),
  ),
  c("unsupported filter", "GET", `${R}/Groups`, `${P}/Groups`, 400, (t) =>
    t.scim(`${dir(t)}/Groups?filter=${encodeURIComponent('externalId eq "x"')}`),
  ),
  c("unknown directory", "GET", `${R}/Groups`, `${P}/Groups`, 404, (t) =>
    t.scim("/scim/directory/not-this-one/Groups"),
  ),
  c("create", "POST", `${R}/Groups`, `${P}/Groups`, 201, async (t) => {
    seq += 1;
    const body = {
      schemas: [CORE_GROUP],
      displayName: `contract-scim-created-${seq}`,
      members: [{ value: newUser(t).id }],
    };
    const res = await t.scim(`${dir(t)}/Groups`, send("POST", body));
    const created = t.sim.state.tenant.scim.groups.find((g) => g.displayName === body.displayName);
    if (created) t.sim.state.scimDeleteGroup(created.id);
    return res;
  }),
  c("existing displayName", "POST", `${R}/Groups`, `${P}/Groups`, 409, (t) =>
    withGroup(t, (g) =>
      t.scim(`${dir(t)}/Groups`, send("POST", { schemas: [CORE_GROUP], displayName: g.displayName })),
    ),
  ),
  c("unknown member", "POST", `${R}/Groups`, `${P}/Groups`, 400, (t) =>
    t.scim(
      `${dir(t)}/Groups`,
      send("POST", { schemas: [CORE_GROUP], displayName: "contract-scim-bad-member", members: [{ value: "nobody" }] }),
    ),
  ),
  c("get", "GET", `${R}/Groups/:groupId`, `${P}/Groups/{id}`, 200, (t) =>
    withGroup(t, (g) => t.scim(`${dir(t)}/Groups/${g.id}`)),
  ),
  c("unknown group", "GET", `${R}/Groups/:groupId`, `${P}/Groups/{id}`, 404, (t) =>
    t.scim(`${dir(t)}/Groups/00000000-0000-0000-0000-000000000000`),
  ),
  c("replace members", "PUT", `${R}/Groups/:groupId`, `${P}/Groups/{id}`, 200, (t) =>
    withGroup(t, (g) =>
      t.scim(
        `${dir(t)}/Groups/${g.id}`,
        send("PUT", { schemas: [CORE_GROUP], displayName: g.displayName, members: [{ value: newUser(t).id }] }),
      ),
    ),
  ),
  c("rename refused", "PUT", `${R}/Groups/:groupId`, `${P}/Groups/{id}`, 400, (t) =>
    withGroup(t, (g) =>
      t.scim(
        `${dir(t)}/Groups/${g.id}`,
        send("PUT", { schemas: [CORE_GROUP], displayName: `${g.displayName}-renamed` }),
      ),
    ),
  ),
  c("replace unknown group", "PUT", `${R}/Groups/:groupId`, `${P}/Groups/{id}`, 404, (t) =>
    t.scim(
      `${dir(t)}/Groups/00000000-0000-0000-0000-000000000000`,
      send("PUT", { schemas: [CORE_GROUP], displayName: "x" }),
    ),
  ),
  c("add and remove members", "PATCH", `${R}/Groups/:groupId`, `${P}/Groups/{id}`, 200, (t) =>
    withGroup(t, (g) =>
      t.scim(
        `${dir(t)}/Groups/${g.id}`,
        send("PATCH", {
          schemas: [PATCH_OP],
          Operations: [
            { op: "add", path: "members", value: [{ value: newUser(t).id }] },
            { op: "remove", path: `members[value eq "${g.members[0]}"]` },
          ],
        }),
      ),
    ),
  ),
  c("rename refused", "PATCH", `${R}/Groups/:groupId`, `${P}/Groups/{id}`, 400, (t) =>
    withGroup(t, (g) =>
      t.scim(
        `${dir(t)}/Groups/${g.id}`,
        send("PATCH", { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: "other" }] }),
      ),
    ),
  ),
  c("patch unknown group", "PATCH", `${R}/Groups/:groupId`, `${P}/Groups/{id}`, 404, (t) =>
    t.scim(
      `${dir(t)}/Groups/00000000-0000-0000-0000-000000000000`,
      send("PATCH", { schemas: [PATCH_OP], Operations: [{ op: "remove", path: "members" }] }),
    ),
  ),
  c("delete", "DELETE", `${R}/Groups/:groupId`, `${P}/Groups/{id}`, 204, (t) =>
    withGroup(t, (g) => t.scim(`${dir(t)}/Groups/${g.id}`, { method: "DELETE" })),
  ),
  c("delete unknown group", "DELETE", `${R}/Groups/:groupId`, `${P}/Groups/{id}`, 404, (t) =>
    t.scim(`${dir(t)}/Groups/00000000-0000-0000-0000-000000000000`, { method: "DELETE" }),
  ),

  // Discovery
  c("service provider config", "GET", `${R}/ServiceProviderConfig`, `${P}/ServiceProviderConfig`, 200, (t) =>
    t.scim(`${dir(t)}/ServiceProviderConfig`),
  ),
  c("unknown directory", "GET", `${R}/ServiceProviderConfig`, `${P}/ServiceProviderConfig`, 404, (t) =>
    t.scim("/scim/directory/not-this-one/ServiceProviderConfig"),
  ),
  c("no credentials", "GET", `${R}/ServiceProviderConfig`, `${P}/ServiceProviderConfig`, 401, (t) =>
    t.fetch(`/admin-api/scim/directory/${t.sim.state.directoryId}/ServiceProviderConfig`),
  ),
  c("resource types", "GET", `${R}/ResourceTypes`, `${P}/ResourceTypes`, 200, (t) => t.scim(`${dir(t)}/ResourceTypes`)),
  c("User resource type", "GET", `${R}/ResourceTypes/:name`, `${P}/ResourceTypes/User`, 200, (t) =>
    t.scim(`${dir(t)}/ResourceTypes/User`),
  ),
  c("Group resource type", "GET", `${R}/ResourceTypes/:name`, `${P}/ResourceTypes/Group`, 200, (t) =>
    t.scim(`${dir(t)}/ResourceTypes/Group`),
  ),
  c("schemas", "GET", `${R}/Schemas`, `${P}/Schemas`, 200, (t) => t.scim(`${dir(t)}/Schemas`)),
  c("core User schema", "GET", `${R}/Schemas/:id`, `${P}/Schemas/${CORE_USER}`, 200, (t) =>
    t.scim(`${dir(t)}/Schemas/${CORE_USER}`),
  ),
  c("core Group schema", "GET", `${R}/Schemas/:id`, `${P}/Schemas/${CORE_GROUP}`, 200, (t) =>
    t.scim(`${dir(t)}/Schemas/${CORE_GROUP}`),
  ),
  c(
    "enterprise User schema",
    "GET",
    `${R}/Schemas/:id`,
    `${P}/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`,
    200,
    (t) => t.scim(`${dir(t)}/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`),
  ),
];

/** Every served SCIM route is in the published document (its discovery paths are literal; ours take a parameter). */
export const unspecified: UnspecifiedRoute[] = [];
