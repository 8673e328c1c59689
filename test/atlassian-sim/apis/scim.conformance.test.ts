/**
 * Conformance of the simulator's SCIM server, written from RFC 7643 (core schema) and RFC 7644 (protocol) and the
 * checks of public SCIM test suites (reliability case S18): discovery, CRUD, `eq` filters, paging, PATCH,
 * attribute projection, error bodies, unsupported methods and media types. Where Atlassian narrows the RFC
 * (one `eq` filter, no bulk, no sort, no ETags) the test checks that the server says so in ServiceProviderConfig
 * and behaves accordingly.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { makeTestSim, type TestSim } from "../testing.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Json = Record<string, any>;

const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SCIM_JSON = "application/scim+json";

let t: TestSim;
let base: string;
let domain: string;
let seq = 0;

beforeAll(() => {
  t = makeTestSim("S", 3);
  base = `/scim/directory/${t.sim.state.directoryId}`;
  domain = t.sim.state.tenant.accounts.find((a) => a.managed)!.email.split("@")[1]!;
});

interface Reply {
  status: number;
  body: Json;
  text: string;
  headers: Headers;
}

async function call(path: string, method = "GET", body?: unknown, contentType = SCIM_JSON): Promise<Reply> {
  const init: RequestInit = { method, headers: { "content-type": contentType, accept: SCIM_JSON } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await t.scim(`${base}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, text, headers: res.headers };
}

function userResource(extra: Json = {}): Json {
  seq += 1;
  const email = `conformance.${seq}@${domain}`;
  return {
    schemas: [CORE_USER, ENTERPRISE],
    userName: email,
    externalId: `conf-${seq}`,
    name: { givenName: "Conform", familyName: `Ance${seq}`, formatted: `Conform Ance${seq}` },
    displayName: `Conform Ance${seq}`,
    emails: [{ value: email, type: "work", primary: true }],
    active: true,
    ...extra,
  };
}

async function createUser(extra: Json = {}): Promise<Json> {
  const r = await call("/Users", "POST", userResource(extra));
  expect(r.status).toBe(201);
  return r.body;
}

async function createGroup(members: string[] = []): Promise<Json> {
  seq += 1;
  const r = await call("/Groups", "POST", {
    schemas: [CORE_GROUP],
    displayName: `conformance-group-${seq}`,
    members: members.map((value) => ({ value })),
  });
  expect(r.status).toBe(201);
  return r.body;
}

const patchOp = (...Operations: Json[]) => ({ schemas: [PATCH_OP], Operations });

/** RFC 7644 §3.12: an Error message with the HTTP status as a string and, where given, the scimType. */
function expectError(r: Reply, status: number, scimType?: string) {
  expect(r.status).toBe(status);
  expect(r.headers.get("content-type")).toBe(SCIM_JSON);
  expect(r.body.schemas).toEqual([ERROR]);
  expect(r.body.status).toBe(String(status));
  if (scimType !== undefined) expect(r.body.scimType).toBe(scimType);
  expect(typeof r.body.detail).toBe("string");
}

describe("RFC 7644 §4 discovery", () => {
  it("/ServiceProviderConfig states the supported features", async () => {
    const r = await call("/ServiceProviderConfig");
    expect(r.status).toBe(200);
    expect(r.body.schemas).toEqual(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]);
    for (const feature of ["patch", "bulk", "filter", "changePassword", "sort", "etag"]) {
      expect(typeof r.body[feature].supported, feature).toBe("boolean");
    }
    expect(r.body.filter.maxResults).toBe(100);
    expect(r.body.bulk).toMatchObject({ supported: false, maxOperations: 0, maxPayloadSize: 0 });
    expect(r.body.authenticationSchemes.length).toBeGreaterThan(0);
    for (const scheme of r.body.authenticationSchemes) {
      expect(scheme).toEqual(expect.objectContaining({ type: expect.any(String), name: expect.any(String) }));
    }
  });

  it("/ResourceTypes is a ListResponse of User and Group, each also served by name", async () => {
    const r = await call("/ResourceTypes");
    expect(r.body.schemas).toEqual([LIST]);
    expect(r.body.totalResults).toBe(r.body.Resources.length);
    const byName = Object.fromEntries(r.body.Resources.map((x: Json) => [x.name, x]));
    expect(byName.User).toMatchObject({ endpoint: "/Users", schema: CORE_USER });
    expect(byName.Group).toMatchObject({ endpoint: "/Groups", schema: CORE_GROUP });
    for (const type of r.body.Resources) {
      expect(type.schemas).toEqual(["urn:ietf:params:scim:schemas:core:2.0:ResourceType"]);
      const one = await call(`/ResourceTypes/${type.id}`);
      expect(one.body).toEqual(type);
    }
    expectError(await call("/ResourceTypes/Device"), 404);
  });

  it("every schema a resource type names is served by /Schemas, with RFC 7643 §7 attribute characteristics", async () => {
    const list = await call("/Schemas");
    expect(list.body.schemas).toEqual([LIST]);
    const ids = list.body.Resources.map((s: Json) => s.id);
    const types = (await call("/ResourceTypes")).body.Resources as Json[];
    const named = types.flatMap((rt) => [rt.schema, ...rt.schemaExtensions.map((e: Json) => e.schema)]);
    for (const id of named) {
      expect(ids).toContain(id);
      const one = await call(`/Schemas/${encodeURIComponent(id)}`);
      expect(one.status).toBe(200);
      expect(one.body.id).toBe(id);
      for (const attr of one.body.attributes) {
        for (const key of [
          "name",
          "type",
          "multiValued",
          "required",
          "caseExact",
          "mutability",
          "returned",
          "uniqueness",
        ]) {
          expect(attr, `${id} ${attr.name}.${key}`).toHaveProperty(key);
        }
      }
    }
    const user = list.body.Resources.find((s: Json) => s.id === CORE_USER);
    expect(user.attributes.find((a: Json) => a.name === "userName")).toMatchObject({
      required: true,
      uniqueness: "server",
    });
    expectError(await call("/Schemas/urn:example:unknown"), 404);
  });
});

describe("RFC 7644 §3.1, §3.8 media types", () => {
  it("accepts application/scim+json and application/json and answers application/scim+json", async () => {
    for (const type of [SCIM_JSON, "application/json", "application/scim+json; charset=utf-8"]) {
      const r = await call("/Users", "POST", userResource(), type);
      expect(r.status, type).toBe(201);
      expect(r.headers.get("content-type")).toBe(SCIM_JSON);
    }
    expect((await call("/Users?count=1")).headers.get("content-type")).toBe(SCIM_JSON);
  });
});

describe("RFC 7644 §3.3–3.6 CRUD", () => {
  it("creates (201, Location = meta.location), retrieves, replaces and deletes a user", async () => {
    const created = await call("/Users", "POST", userResource({ id: "client-chosen", meta: { version: "W/1" } }));
    expect(created.status).toBe(201);
    const user = created.body;
    expect(user.id).not.toBe("client-chosen");
    expect(created.headers.get("location")).toBe(user.meta.location);
    expect(user.meta).toMatchObject({ resourceType: "User" });
    expect(Date.parse(user.meta.created)).not.toBeNaN();
    expect(Date.parse(user.meta.lastModified)).not.toBeNaN();
    expect(user.meta.version).toBeUndefined();

    const got = await call(`/Users/${user.id}`);
    expect(got.body).toEqual(user);

    const replaced = await call(`/Users/${user.id}`, "PUT", {
      schemas: [CORE_USER],
      userName: user.userName,
      emails: user.emails,
      nickName: "Nick",
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.nickName).toBe("Nick");
    expect(replaced.body.name).toBeUndefined();
    expect(replaced.body.externalId).toBeUndefined();
    expect(replaced.body.id).toBe(user.id);
    expect(replaced.body.meta.created).toBe(user.meta.created);

    const deleted = await call(`/Users/${user.id}`, "DELETE");
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    expectError(await call(`/Users/${user.id}`), 404);
  });

  it("creates, retrieves and deletes a group with members", async () => {
    const u = await createUser();
    const g = await createGroup([u.id]);
    expect(g.schemas).toEqual([CORE_GROUP]);
    expect(g.meta.resourceType).toBe("Group");
    expect(g.members).toEqual([{ type: "User", value: u.id, display: u.userName, $ref: u.meta.location }]);
    expect((await call(`/Groups/${g.id}`)).body).toEqual(g);
    const user = await call(`/Users/${u.id}`);
    expect(user.body.groups).toEqual([{ value: g.id, display: g.displayName, type: "direct", $ref: g.meta.location }]);
    expect((await call(`/Groups/${g.id}`, "DELETE")).status).toBe(204);
    expectError(await call(`/Groups/${g.id}`), 404);
  });

  it("refuses a duplicate userName with 409 uniqueness (§3.3)", async () => {
    const u = await createUser();
    expectError(await call("/Users", "POST", userResource({ userName: u.userName.toUpperCase() })), 409, "uniqueness");
  });

  it("ignores If-Match, since ETags are not supported (§3.14)", async () => {
    const u = await createUser();
    const res = await t.scim(`${base}/Users/${u.id}`, {
      method: "PATCH",
      headers: { "content-type": SCIM_JSON, "if-match": 'W/"stale"' },
      body: JSON.stringify(patchOp({ op: "replace", path: "title", value: "X" })),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBeNull();
  });
});

describe("RFC 7644 §3.4.2 list, filter and paging", () => {
  it("returns a ListResponse with 1-based startIndex and itemsPerPage = resources on the page", async () => {
    const r = await call("/Users?startIndex=2&count=3");
    expect(r.body.schemas).toEqual([LIST]);
    expect(r.body).toMatchObject({ startIndex: 2, itemsPerPage: 3 });
    expect(r.body.Resources).toHaveLength(3);
    const first = await call("/Users?startIndex=1&count=4");
    expect(first.body.Resources.slice(1).map((x: Json) => x.id)).toEqual(r.body.Resources.map((x: Json) => x.id));
  });

  it("count=0 returns only totalResults; a startIndex past the end returns no resources", async () => {
    const zero = await call("/Users?count=0");
    expect(zero.body.totalResults).toBeGreaterThan(0);
    expect(zero.body.Resources).toEqual([]);
    const past = await call(`/Users?startIndex=${zero.body.totalResults + 10}`);
    expect(past.status).toBe(200);
    expect(past.body).toMatchObject({ totalResults: zero.body.totalResults, itemsPerPage: 0, Resources: [] });
  });

  it("never returns more than filter.maxResults per page", async () => {
    const max = (await call("/ServiceProviderConfig")).body.filter.maxResults as number;
    const r = await call("/Users?count=100000");
    expect(r.body.Resources.length).toBeLessThanOrEqual(max);
  });

  it("matches eq with case-insensitive attribute names and operator", async () => {
    const u = await createUser();
    for (const filter of [
      `userName eq "${u.userName}"`,
      `USERNAME EQ "${u.userName}"`,
      `${CORE_USER}:userName eq "${u.userName}"`,
      `externalId eq "${u.externalId}"`,
    ]) {
      const r = await call(`/Users?filter=${encodeURIComponent(filter)}`);
      expect(
        r.body.Resources.map((x: Json) => x.id),
        filter,
      ).toEqual([u.id]);
    }
    const g = await createGroup();
    const byName = await call(`/Groups?filter=${encodeURIComponent(`displayName eq "${g.displayName}"`)}`);
    expect(byName.body.Resources.map((x: Json) => x.id)).toEqual([g.id]);
  });

  it("answers an unsupported filter with 400 invalidFilter, and no match with an empty 200", async () => {
    expectError(await call(`/Users?filter=${encodeURIComponent('userName co "a"')}`), 400, "invalidFilter");
    expectError(await call(`/Groups?filter=${encodeURIComponent('members eq "a"')}`), 400, "invalidFilter");
    const none = await call(`/Users?filter=${encodeURIComponent('userName eq "absent@example.invalid"')}`);
    expect(none.status).toBe(200);
    expect(none.body.totalResults).toBe(0);
  });
});

describe("RFC 7644 §3.4.2.5, §3.9 attributes and excludedAttributes", () => {
  it("returns only the requested attributes, plus id and schemas", async () => {
    const u = await createUser({ [ENTERPRISE]: { department: "Sales" } });
    const r = await call(`/Users/${u.id}?attributes=userName,name.givenName,${ENTERPRISE}:department`);
    expect(r.body).toEqual({
      schemas: u.schemas,
      id: u.id,
      userName: u.userName,
      name: { givenName: "Conform" },
      [ENTERPRISE]: { department: "Sales" },
    });
    const listed = await call(`/Users?filter=${encodeURIComponent(`userName eq "${u.userName}"`)}&attributes=active`);
    expect(listed.body.Resources).toEqual([{ schemas: u.schemas, id: u.id, active: true }]);
  });

  it("leaves out excluded attributes but never id or schemas", async () => {
    const u = await createUser();
    const r = await call(`/Users/${u.id}?excludedAttributes=emails,name.familyName,id,schemas,meta`);
    expect(r.body.id).toBe(u.id);
    expect(r.body.schemas).toEqual(u.schemas);
    expect(r.body.emails).toBeUndefined();
    expect(r.body.meta).toBeUndefined();
    expect(r.body.name).toEqual({ formatted: u.name.formatted, givenName: u.name.givenName });
    const g = await createGroup([u.id]);
    const groups = await call(`/Groups/${g.id}?excludedAttributes=members`);
    expect(groups.body.members).toBeUndefined();
    expect(groups.body.displayName).toBe(g.displayName);
  });
});

describe("RFC 7644 §3.5.2 PATCH", () => {
  it("adds, replaces and removes attributes by path, answering 200 with the resource", async () => {
    const u = await createUser();
    const r = await call(
      `/Users/${u.id}`,
      "PATCH",
      patchOp(
        { op: "add", path: "title", value: "Architect" },
        { op: "replace", path: "name.givenName", value: "Changed" },
        { op: "replace", path: 'emails[type eq "work"].value', value: `changed.${u.userName}` },
        { op: "add", path: `${ENTERPRISE}:department`, value: "Platform" },
        { op: "add", path: "phoneNumbers", value: [{ value: "+1 555 0100", type: "work" }] },
        { op: "remove", path: "externalId" },
      ),
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: u.id,
      title: "Architect",
      name: { givenName: "Changed", familyName: u.name.familyName },
      emails: [{ value: `changed.${u.userName}`, primary: true }],
      [ENTERPRISE]: { department: "Platform" },
      phoneNumbers: [{ value: "+1 555 0100", type: "work" }],
    });
    expect(r.body.externalId).toBeUndefined();
    expect((await call(`/Users/${u.id}`)).body).toEqual(r.body);
  });

  it("applies a value object when the path is omitted, including fully qualified keys", async () => {
    const u = await createUser();
    const r = await call(
      `/Users/${u.id}`,
      "PATCH",
      patchOp({
        op: "replace",
        value: {
          active: false,
          displayName: "No Path",
          [`${ENTERPRISE}:organization`]: "Org",
          name: { familyName: "NP" },
        },
      }),
    );
    expect(r.body).toMatchObject({
      active: false,
      displayName: "No Path",
      name: { givenName: "Conform", familyName: "NP" },
      [ENTERPRISE]: { organization: "Org" },
    });
  });

  it("matches op names case-insensitively", async () => {
    const u = await createUser();
    const r = await call(`/Users/${u.id}`, "PATCH", patchOp({ op: "Add", path: "nickName", value: "N" }));
    expect(r.body.nickName).toBe("N");
  });

  it('adds and removes group members, including the members[value eq "…"] path', async () => {
    const [a, b, c] = [await createUser(), await createUser(), await createUser()];
    const g = await createGroup([a.id]);
    const added = await call(
      `/Groups/${g.id}`,
      "PATCH",
      patchOp({ op: "add", path: "members", value: [{ value: b.id }, { value: c.id }, { value: a.id }] }),
    );
    expect(added.body.members.map((m: Json) => m.value)).toEqual([a.id, b.id, c.id]);
    const removed = await call(
      `/Groups/${g.id}`,
      "PATCH",
      patchOp({ op: "remove", path: `members[value eq "${b.id}"]` }),
    );
    expect(removed.body.members.map((m: Json) => m.value)).toEqual([a.id, c.id]);
    const replaced = await call(
      `/Groups/${g.id}`,
      "PATCH",
      patchOp({ op: "replace", path: "members", value: [{ value: b.id }] }),
    );
    expect(replaced.body.members.map((m: Json) => m.value)).toEqual([b.id]);
    const cleared = await call(`/Groups/${g.id}`, "PATCH", patchOp({ op: "remove", path: "members" }));
    expect(cleared.body.members).toEqual([]);
  });

  it("answers remove without a path with 400 noTarget", async () => {
    const u = await createUser();
    expectError(await call(`/Users/${u.id}`, "PATCH", patchOp({ op: "remove" })), 400, "noTarget");
  });

  it("answers an unknown attribute path with 400 invalidPath and a read-only one with 400 mutability", async () => {
    const u = await createUser();
    expectError(
      await call(`/Users/${u.id}`, "PATCH", patchOp({ op: "add", path: "shoeSize", value: "9" })),
      400,
      "invalidPath",
    );
    expectError(
      await call(`/Users/${u.id}`, "PATCH", patchOp({ op: "replace", path: "id", value: "x" })),
      400,
      "mutability",
    );
    expectError(
      await call(`/Users/${u.id}`, "PATCH", patchOp({ op: "replace", path: "name[", value: "x" })),
      400,
      "invalidPath",
    );
  });

  it("is atomic: when one operation fails, none is applied", async () => {
    const u = await createUser({ title: "Before" });
    const r = await call(
      `/Users/${u.id}`,
      "PATCH",
      patchOp({ op: "replace", path: "title", value: "After" }, { op: "replace", path: "active", value: "maybe" }),
    );
    expectError(r, 400, "invalidValue");
    expect((await call(`/Users/${u.id}`)).body.title).toBe("Before");
  });

  it("refuses a malformed PATCH body with 400 invalidSyntax", async () => {
    const u = await createUser();
    expectError(await call(`/Users/${u.id}`, "PATCH", { schemas: [PATCH_OP] }), 400, "invalidSyntax");
    expectError(await call(`/Users/${u.id}`, "PATCH", patchOp({ op: "copy", path: "title" })), 400, "invalidSyntax");
  });
});

describe("RFC 7644 §3.12 errors and unsupported methods", () => {
  it("answers an unknown resource with 404 and the Error schema", async () => {
    expectError(await call("/Users/does-not-exist"), 404);
    expectError(await call("/Groups/does-not-exist", "PATCH", patchOp({ op: "remove", path: "members" })), 404);
  });

  it("answers methods an endpoint does not support with 405 and an Allow header", async () => {
    const u = await createUser();
    const cases: Array<[string, string]> = [
      ["PUT", "/Users"],
      ["DELETE", "/Users"],
      ["PATCH", "/Groups"],
      ["POST", `/Users/${u.id}`],
      ["POST", "/ServiceProviderConfig"],
      ["DELETE", "/Schemas"],
      ["PUT", "/ResourceTypes/User"],
      ["DELETE", `/Schemas/${CORE_USER}`],
    ];
    for (const [method, path] of cases) {
      const r = await call(path, method, method === "DELETE" ? undefined : {});
      expectError(r, 405);
      expect(r.headers.get("allow"), `${method} ${path}`).toMatch(/GET/);
    }
  });
});
