/**
 * Behaviour of the simulated Atlassian User Provisioning (SCIM 2.0) API: authentication and directory checks,
 * paging walks with the 100-per-page clamp, the single-`eq` filters, the reliability cases of the SCIM client
 * (B8-S rows S1, S2, S5, S7, S8, S9, S10, S11, S12, S16, S17), and writes that land in the shared state where Admin,
 * Jira and Confluence see them.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { ScimUser } from "../tenant/model.js";
import { makeTestSim, type TestSim } from "../testing.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Json = Record<string, any>;

const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ATLASSIAN = "urn:scim:schemas:extension:atlassian-external:1.0";
const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let t: TestSim;
let base: string;
let domain: string;
let seq = 0;

beforeEach(() => {
  t = makeTestSim("S", 7);
  base = `/scim/directory/${t.sim.state.directoryId}`;
  domain = t.sim.state.tenant.accounts.find((a) => a.managed)!.email.split("@")[1]!;
});

const req = (method: string, body?: unknown, contentType = "application/scim+json"): RequestInit => ({
  method,
  headers: { "content-type": contentType },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

async function call(path: string, init?: RequestInit): Promise<{ status: number; body: Json; res: Response }> {
  const res = await t.scim(`${base}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, res };
}

function newUserBody(extra: Json = {}): Json {
  seq += 1;
  const email = `scim.test.${seq}@${domain}`;
  return {
    schemas: [CORE_USER],
    userName: email,
    externalId: `ext-${seq}`,
    emails: [{ value: email, type: "work", primary: true }],
    name: { givenName: "Test", familyName: `Person ${seq}` },
    active: true,
    ...extra,
  };
}

async function createUser(extra: Json = {}): Promise<Json> {
  const { status, body } = await call("/Users", req("POST", newUserBody(extra)));
  expect(status).toBe(201);
  return body;
}

const accountOf = (user: Json) => user[ATLASSIAN].atlassianAccountId as string;
const patch = (...Operations: Json[]) => req("PATCH", { schemas: [PATCH_OP], Operations });

/** Walks `/Users` by `startIndex`, advancing by what each page returned. */
async function walk(path: string, count: number) {
  const ids: string[] = [];
  const pages: Json[] = [];
  for (let startIndex = 1; ; ) {
    const sep = path.includes("?") ? "&" : "?";
    const { status, body } = await call(`${path}${sep}startIndex=${startIndex}&count=${count}`);
    expect(status).toBe(200);
    pages.push(body);
    expect(body.startIndex).toBe(startIndex);
    expect(body.itemsPerPage).toBe(body.Resources.length);
    ids.push(...body.Resources.map((r: Json) => r.id));
    if (body.Resources.length === 0 || startIndex - 1 + body.Resources.length >= body.totalResults) break;
    startIndex += body.Resources.length;
  }
  return { ids, pages };
}

function expectScimError(body: Json, status: number, scimType?: string) {
  expect(body.schemas).toEqual([ERROR]);
  expect(body.status).toBe(String(status));
  if (scimType) expect(body.scimType).toBe(scimType);
  else expect(body.scimType).toBeUndefined();
  expect(typeof body.detail).toBe("string");
}

describe("authentication and directory", () => {
  it("refuses a missing or wrong key, and the org API key, with Atlassian's Failure body (S14)", async () => {
    const url = `/admin-api${base}/Users`;
    for (const authorization of [undefined, "Bearer wrong", `Bearer ${t.sim.state.tenant.credentials.adminApiKey}`]) {
      const res = await t.fetch(url, authorization ? { headers: { authorization } } : {});
      expect(res.status).toBe(401);
      const body = (await res.json()) as Json;
      expect(Object.keys(body).sort()).toEqual(["error", "traceId"]);
    }
  });

  it("answers 404 with a SCIM error for another directory, on every endpoint", async () => {
    for (const path of ["/Users", "/Groups", "/ServiceProviderConfig", "/Schemas", "/ResourceTypes"]) {
      const res = await t.scim(`/scim/directory/00000000-0000-0000-0000-000000000000${path}`);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/scim+json");
      expectScimError((await res.json()) as Json, 404);
    }
  });

  it("answers unknown SCIM endpoints (bulk, /Me, /.search) with a SCIM 404", async () => {
    for (const path of ["/Bulk", "/Me", "/Users/.search/extra"]) {
      const { status, body } = await call(path);
      expect(status).toBe(404);
      expectScimError(body, 404);
    }
  });
});

describe("listing users", () => {
  it("walks every live user exactly once, in pages capped at 100 (S7)", async () => {
    // Grow the directory past one full page.
    for (let i = 0; i < 120; i++) await createUser();
    const live = t.sim.state.tenant.scim.users.filter((u) => !t.sim.state.scimDeleted.has(u.id)).map((u) => u.id);
    expect(live.length).toBeGreaterThan(100);
    const big = await walk("/Users", 1000);
    expect(big.pages[0]!.itemsPerPage).toBe(100);
    expect(big.pages[0]!.totalResults).toBe(live.length);
    expect(big.ids).toEqual(live);
    const small = await walk("/Users", 7);
    expect(small.ids).toEqual(live);
    expect(new Set(small.ids).size).toBe(small.ids.length);
  });

  it("treats startIndex below 1 as 1 and a negative count as 0 (RFC 7644 §3.4.2.4)", async () => {
    const { body } = await call("/Users?startIndex=-5&count=2");
    expect(body.startIndex).toBe(1);
    expect(body.Resources).toHaveLength(2);
    const zero = await call("/Users?count=-1");
    expect(zero.body.itemsPerPage).toBe(0);
    expect(zero.body.totalResults).toBeGreaterThan(0);
  });

  it("filters with one eq on userName (any case) or externalId (exact case)", async () => {
    const u = t.sim.state.tenant.scim.users[3]!;
    const byName = await call(`/Users?filter=${encodeURIComponent(`userName eq "${u.userName.toUpperCase()}"`)}`);
    expect(byName.body.totalResults).toBe(1);
    expect(byName.body.Resources[0].id).toBe(u.id);
    const byExternal = await call(`/Users?filter=${encodeURIComponent(`externalId eq "${u.externalId}"`)}`);
    expect(byExternal.body.Resources.map((r: Json) => r.id)).toEqual([u.id]);
    const wrongCase = await call(
      `/Users?filter=${encodeURIComponent(`externalId eq "${u.externalId.toUpperCase()}"`)}`,
    );
    expect(wrongCase.body.totalResults).toBe(0);
  });

  it("answers a filter that matches nothing with 200 and totalResults 0 (S5)", async () => {
    const { status, body } = await call(`/Users?filter=${encodeURIComponent('userName eq "nobody@nowhere.example"')}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ totalResults: 0, itemsPerPage: 0, Resources: [] });
  });

  it("refuses every other filter with 400 invalidFilter", async () => {
    for (const filter of [
      'userName sw "a"',
      'emails.value eq "a@b.c"',
      "active eq true",
      'userName eq "a" and externalId eq "b"',
      "userName pr",
      'displayName eq "x"',
      "userName eq unquoted",
    ]) {
      const { status, body } = await call(`/Users?filter=${encodeURIComponent(filter)}`);
      expect(status, filter).toBe(400);
      expectScimError(body, 400, "invalidFilter");
    }
  });

  it("exposes the Atlassian account id and the SCIM groups of each user", async () => {
    const group = t.sim.state.tenant.scim.groups.find((g) => g.members.length > 0)!;
    const member = t.sim.state.scimUsersById.get(group.members[0]!)!;
    const { body } = await call(`/Users/${member.id}`);
    expect(body[ATLASSIAN]).toEqual({ atlassianAccountId: member.accountId });
    expect(body.schemas).toEqual([ATLASSIAN, CORE_USER, ENTERPRISE]);
    expect(body.groups).toContainEqual(expect.objectContaining({ value: group.id, display: group.displayName }));
    expect(body.id).not.toBe(member.accountId);
  });
});

describe("creating users", () => {
  it("creates a managed account that Admin, Jira and Confluence see", async () => {
    const user = await createUser({ title: "Engineer", [ENTERPRISE]: { department: "R&D", organization: "Org" } });
    const account = t.sim.state.accountsById.get(accountOf(user))!;
    expect(account).toMatchObject({ managed: true, status: "active", title: "Engineer", department: "R&D" });
    expect(account.email).toBe(user.userName);
    expect(user[ENTERPRISE]).toEqual({ organization: "Org", department: "R&D" });
    const jira = await t.site("/rest/api/3/users/search?maxResults=1000");
    const listed = ((await jira.json()) as Json[]).find((u) => u.accountId === account.accountId);
    expect(listed).toMatchObject({ active: true, displayName: `Test Person ${seq}` });
    const org = t.sim.state.tenant.org.id;
    const admin = await t.admin(`/admin/v2/orgs/${org}/directories/${t.sim.state.directoryId}/users/search`, {
      method: "POST",
      body: JSON.stringify({ accountIds: [account.accountId] }),
    });
    expect(admin.status).toBe(200);
    expect(((await admin.json()) as Json).data.map((u: Json) => u.accountId)).toEqual([account.accountId]);
    const confluence = await t.site(`/wiki/rest/api/user?accountId=${account.accountId}`);
    expect(confluence.status).toBe(200);
  });

  it("links the existing managed account with the same email instead of creating one", async () => {
    const linked = new Set(t.sim.state.tenant.scim.users.map((u) => u.accountId));
    const account = t.sim.state.tenant.accounts.find(
      (a) => a.managed && a.accountType === "atlassian" && a.status === "active" && !linked.has(a.accountId),
    )!;
    const before = t.sim.state.tenant.accounts.length;
    const user = await createUser({ userName: account.email, emails: [{ value: account.email, primary: true }] });
    expect(accountOf(user)).toBe(account.accountId);
    expect(t.sim.state.tenant.accounts.length).toBe(before);
  });

  it("answers 201 with Location and meta, and no version (no ETags)", async () => {
    const { status, body, res } = await call("/Users", req("POST", newUserBody()));
    expect(status).toBe(201);
    expect(res.headers.get("location")).toBe(body.meta.location);
    expect(body.meta.location).toMatch(new RegExp(`^http://sim\\.test/admin-api${base}/Users/${body.id}$`));
    expect(body.meta).toEqual({
      resourceType: "User",
      location: body.meta.location,
      created: expect.any(String),
      lastModified: expect.any(String),
    });
    expect(res.headers.get("etag")).toBeNull();
  });

  it("refuses an existing userName with 409 uniqueness, and the client can adopt the existing user (S1, S2)", async () => {
    const existing = t.sim.state.tenant.scim.users[0]!;
    const { status, body } = await call("/Users", req("POST", newUserBody({ userName: existing.userName })));
    expect(status).toBe(409);
    expectScimError(body, 409, "uniqueness");
    const found = await call(`/Users?filter=${encodeURIComponent(`userName eq "${existing.userName}"`)}`);
    expect(found.body.Resources[0].id).toBe(existing.id);
  });

  it("refuses a second user for an email that already has one (409)", async () => {
    const existing = t.sim.state.tenant.scim.users[0]!;
    const body = newUserBody({ emails: [{ value: existing.email, primary: true }] });
    const res = await call("/Users", req("POST", body));
    expect(res.status).toBe(409);
    expectScimError(res.body, 409, "uniqueness");
  });

  it("refuses an email outside the organization's verified domains with 400", async () => {
    const { status, body } = await call(
      "/Users",
      req("POST", newUserBody({ userName: "x@gmail.com", emails: [{ value: "x@gmail.com", primary: true }] })),
    );
    expect(status).toBe(400);
    expectScimError(body, 400, "invalidValue");
  });

  it("refuses bodies without schemas, userName or emails, and non-JSON", async () => {
    const { schemas: _s, ...noSchemas } = newUserBody();
    const { userName: _u, ...noUserName } = newUserBody();
    const { emails: _e, ...noEmails } = newUserBody();
    for (const [body, scimType] of [
      [noSchemas, "invalidSyntax"],
      [noUserName, "invalidValue"],
      [noEmails, "invalidValue"],
    ] as const) {
      const res = await call("/Users", req("POST", body));
      expect(res.status).toBe(400);
      expectScimError(res.body, 400, scimType);
    }
    const res = await t.scim(`${base}/Users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expectScimError((await res.json()) as Json, 400, "invalidSyntax");
  });
});

describe("updating users", () => {
  it("deactivates with PATCH active=false, everywhere (S9)", async () => {
    const user = await createUser();
    const { status, body } = await call(`/Users/${user.id}`, patch({ op: "replace", path: "active", value: false }));
    expect(status).toBe(200);
    expect(body.active).toBe(false);
    expect(t.sim.state.accountsById.get(accountOf(user))!.status).toBe("inactive");
    const jira = await t.site(`/rest/api/3/user?accountId=${accountOf(user)}`);
    expect(((await jira.json()) as Json).active).toBe(false);
  });

  it("parses Entra's odd casing leniently: op Replace, active 'False', lowercase operations (S12)", async () => {
    const user = await createUser();
    const res = await call(
      `/Users/${user.id}`,
      req("PATCH", { operations: [{ op: "Replace", value: { active: "False" } }] }),
    );
    expect(res.status).toBe(200);
    expect(res.body.active).toBe(false);
    const back = await call(`/Users/${user.id}`, patch({ op: "REPLACE", path: "active", value: "True" }));
    expect(back.body.active).toBe(true);
  });

  it("accepts and drops RFC attributes Atlassian does not keep, as Entra ID sends them when mapped", async () => {
    const user = await createUser();
    const { status, body } = await call(
      `/Users/${user.id}`,
      patch(
        { op: "Add", path: `${ENTERPRISE}:manager`, value: "someone" },
        { op: "Replace", path: "locale", value: "en-US" },
        { op: "Replace", path: "title", value: "Kept" },
      ),
    );
    expect(status).toBe(200);
    expect(body.title).toBe("Kept");
    expect(body.locale).toBeUndefined();
    expect(body[ENTERPRISE]).toBeUndefined();
  });

  it("clears an attribute set to '' or null (S11)", async () => {
    const user = await createUser({ title: "Lead" });
    const a = await call(`/Users/${user.id}`, patch({ op: "replace", path: "title", value: "" }));
    expect(a.body.title).toBeUndefined();
    await call(`/Users/${user.id}`, patch({ op: "replace", path: "title", value: "Lead" }));
    const b = await call(`/Users/${user.id}`, patch({ op: "replace", path: "title", value: null }));
    expect(b.body.title).toBeUndefined();
    expect(t.sim.state.accountsById.get(accountOf(user))!.title).toBeNull();
  });

  it("reactivates the same SCIM id and account after a deactivation (S16)", async () => {
    const user = await createUser();
    await call(`/Users/${user.id}`, patch({ op: "replace", path: "active", value: false }));
    const { body } = await call(`/Users/${user.id}`, patch({ op: "replace", path: "active", value: true }));
    expect(body.id).toBe(user.id);
    expect(accountOf(body)).toBe(accountOf(user));
    expect(t.sim.state.accountsById.get(accountOf(user))!.status).toBe("active");
  });

  it("replaces with PUT: attributes left out are cleared, active is kept", async () => {
    const user = await createUser({ title: "Lead", nickName: "T", [ENTERPRISE]: { department: "Ops" } });
    const { status, body } = await call(
      `/Users/${user.id}`,
      req("PUT", { schemas: [CORE_USER], userName: user.userName, emails: user.emails, displayName: "Renamed" }),
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: user.id, displayName: "Renamed", active: true });
    expect(body.title).toBeUndefined();
    expect(body.nickName).toBeUndefined();
    expect(body.name).toBeUndefined();
    expect(body[ENTERPRISE]).toBeUndefined();
    const account = t.sim.state.accountsById.get(accountOf(user))!;
    expect(account).toMatchObject({ displayName: "Renamed", title: null, department: null });
  });

  it("refuses a PATCH that renames onto an existing userName, leaving the user unchanged", async () => {
    const user = await createUser({ title: "Keep" });
    const other = t.sim.state.tenant.scim.users[0]!;
    const { status, body } = await call(
      `/Users/${user.id}`,
      patch(
        { op: "replace", path: "title", value: "Changed" },
        { op: "replace", path: "userName", value: other.userName },
      ),
    );
    expect(status).toBe(409);
    expectScimError(body, 409, "uniqueness");
    expect((await call(`/Users/${user.id}`)).body.title).toBe("Keep");
  });

  it("answers a no-op PATCH without writing", async () => {
    const user = await createUser({ title: "Same" });
    const revision = t.sim.state.revision;
    const { status } = await call(`/Users/${user.id}`, patch({ op: "replace", path: "title", value: "Same" }));
    expect(status).toBe(200);
    expect(t.sim.state.revision).toBe(revision);
  });
});

describe("deleting users", () => {
  it("deactivates the account, and every later operation answers 404", async () => {
    const user = await createUser();
    const del = await t.scim(`${base}/Users/${user.id}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect(await del.text()).toBe("");
    expect(t.sim.state.accountsById.get(accountOf(user))!.status).toBe("inactive");
    for (const init of [undefined, patch({ op: "replace", path: "active", value: true }), { method: "DELETE" }]) {
      const { status, body } = await call(`/Users/${user.id}`, init);
      expect(status).toBe(404);
      expectScimError(body, 404);
    }
    const listed = await call(`/Users?filter=${encodeURIComponent(`userName eq "${user.userName}"`)}`);
    expect(listed.body.totalResults).toBe(0);
  });

  it("lets the IdP create the person again: a new SCIM id, linked to the same account", async () => {
    const user = await createUser();
    await t.scim(`${base}/Users/${user.id}`, { method: "DELETE" });
    const again = await call(
      "/Users",
      req("POST", { ...newUserBody(), userName: user.userName, emails: user.emails, externalId: user.externalId }),
    );
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(user.id);
    expect(accountOf(again.body)).toBe(accountOf(user));
    expect(t.sim.state.accountsById.get(accountOf(user))!.status).toBe("active");
  });
});

describe("groups", () => {
  async function createGroup(displayName: string, members: string[] = []) {
    return call(
      "/Groups",
      req("POST", { schemas: [CORE_GROUP], displayName, members: members.map((value) => ({ value })) }),
    );
  }

  it("creates an Atlassian group, and member PATCHes change the accounts' groups everywhere (S10)", async () => {
    const a = await createUser();
    const b = await createUser();
    const created = await createGroup("scim-test-group", [a.id]);
    expect(created.status).toBe(201);
    expect(created.res.headers.get("location")).toBe(created.body.meta.location);
    const group = t.sim.state.groupsByName.get("scim-test-group")!;
    expect(group.source).toBe("scim");
    expect(t.sim.state.groupIdsOf(accountOf(a))).toContain(group.groupId);

    const added = await call(
      `/Groups/${created.body.id}`,
      patch({ op: "add", path: "members", value: [{ value: b.id }] }),
    );
    expect(added.status).toBe(200);
    expect(added.body.members.map((m: Json) => m.value)).toEqual([a.id, b.id]);
    expect(t.sim.state.groupIdsOf(accountOf(b))).toContain(group.groupId);
    const jira = (await (await t.site(`/rest/api/3/user?accountId=${accountOf(b)}&expand=groups`)).json()) as Json;
    expect(jira.groups.items.map((g: Json) => g.groupId)).toContain(group.groupId);
    const confluence = (await (await t.site(`/wiki/rest/api/user/memberof?accountId=${accountOf(b)}`)).json()) as Json;
    expect(confluence.results.map((g: Json) => g.id)).toContain(group.groupId);

    const removed = await call(
      `/Groups/${created.body.id}`,
      patch({ op: "remove", path: `members[value eq "${a.id}"]` }),
    );
    expect(removed.body.members.map((m: Json) => m.value)).toEqual([b.id]);
    expect(t.sim.state.groupIdsOf(accountOf(a))).not.toContain(group.groupId);

    // Entra ID's form: remove with the members as the value.
    const entra = await call(
      `/Groups/${created.body.id}`,
      patch({ op: "Remove", path: "members", value: [{ value: b.id }] }),
    );
    expect(entra.body.members).toEqual([]);
    expect(t.sim.state.groupIdsOf(accountOf(b))).not.toContain(group.groupId);
  });

  it("refuses a duplicate name (also of an admin-managed group) with 409 uniqueness", async () => {
    const scimGroup = t.sim.state.tenant.scim.groups[0]!;
    const adminGroup = t.sim.state.tenant.groups.find((g) => g.source === "admin")!;
    for (const name of [scimGroup.displayName.toUpperCase(), adminGroup.name]) {
      const { status, body } = await createGroup(name);
      expect(status).toBe(409);
      expectScimError(body, 409, "uniqueness");
    }
  });

  it("refuses renames with 400 mutability, through PATCH and PUT", async () => {
    const g = t.sim.state.tenant.scim.groups[0]!;
    const viaPatch = await call(`/Groups/${g.id}`, patch({ op: "replace", value: { displayName: "renamed" } }));
    expect(viaPatch.status).toBe(400);
    expectScimError(viaPatch.body, 400, "mutability");
    const viaPut = await call(`/Groups/${g.id}`, req("PUT", { schemas: [CORE_GROUP], displayName: "renamed" }));
    expect(viaPut.status).toBe(400);
    expectScimError(viaPut.body, 400, "mutability");
    expect(t.sim.state.scimGroupsById.get(g.id)!.displayName).toBe(g.displayName);
  });

  it("refuses unknown members with 400, changing nothing", async () => {
    const g = t.sim.state.tenant.scim.groups.find((x) => x.members.length > 0)!;
    const before = [...g.members];
    const { status } = await call(
      `/Groups/${g.id}`,
      patch({ op: "remove", path: "members" }, { op: "add", path: "members", value: [{ value: "nobody" }] }),
    );
    expect(status).toBe(400);
    expect(g.members).toEqual(before);
  });

  it("lists with a displayName eq filter and pages", async () => {
    const g = t.sim.state.tenant.scim.groups[0]!;
    const one = await call(`/Groups?filter=${encodeURIComponent(`displayName eq "${g.displayName.toUpperCase()}"`)}`);
    expect(one.body.Resources.map((r: Json) => r.id)).toEqual([g.id]);
    const bad = await call(`/Groups?filter=${encodeURIComponent(`displayName co "x"`)}`);
    expect(bad.status).toBe(400);
    expectScimError(bad.body, 400, "invalidFilter");
    const all = t.sim.state.tenant.scim.groups.map((x) => x.id);
    const ids: string[] = [];
    for (let i = 1; i <= all.length; i++)
      ids.push(...(await call(`/Groups?startIndex=${i}&count=1`)).body.Resources.map((r: Json) => r.id));
    expect(ids).toEqual(all);
  });

  it("deletes the group and the Atlassian group, then answers 404", async () => {
    const user: ScimUser = t.sim.state.scimUsersById.get((await createUser()).id)!;
    const created = await createGroup("scim-doomed", [user.id]);
    const groupId = t.sim.state.groupsByName.get("scim-doomed")!.groupId;
    const del = await t.scim(`${base}/Groups/${created.body.id}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect(t.sim.state.groupsById.has(groupId)).toBe(false);
    expect(t.sim.state.groupIdsOf(user.accountId)).not.toContain(groupId);
    const again = await call(`/Groups/${created.body.id}`);
    expect(again.status).toBe(404);
    expectScimError(again.body, 404);
  });
});

describe("discovery (S17)", () => {
  it("advertises PATCH and filtering, and no bulk, sort, ETags or password change", async () => {
    const { body, res } = await call("/ServiceProviderConfig");
    expect(res.headers.get("content-type")).toBe("application/scim+json");
    expect(body).toMatchObject({
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 100 },
      sort: { supported: false },
      etag: { supported: false },
      changePassword: { supported: false },
    });
  });
});

describe("request log", () => {
  it("logs SCIM writes as writes under their route template, and reads as reads", async () => {
    const user = await createUser();
    await call(`/Users/${user.id}`);
    const entries = t.sim.log.entries().filter((e) => e.api === "scim");
    expect(entries.map((e) => [e.method, e.route, e.status, e.write])).toEqual([
      ["POST", "/scim/directory/:directoryId/Users", 201, true],
      ["GET", "/scim/directory/:directoryId/Users/:userId", 200, false],
    ]);
  });
});
