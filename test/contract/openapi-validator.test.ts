/**
 * Unit tests of the OpenAPI/Swagger response validator, against the published documents themselves. All tests
 * share one process, so each document is parsed once for the whole file.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  compiledSchemaCount,
  findOperation,
  KNOWN_DEFECTS,
  listOperations,
  loadSpec,
  registerAllowance,
  responseKeyFor,
  SPEC_BASE_PATHS,
  SPEC_NAMES,
  SPECS_DIR,
  type SpecName,
  toSpecPath,
  validateResponse,
} from "./openapi-validator.js";

const JIRA = "jira-platform-swagger-v3.v3";
const CONFLUENCE_V2 = "confluence-v2-openapi-v2.v3";
const ADMIN = "admin-organization-swagger.v3";
const ADMIN_2026_07_22 = "admin-organization-swagger.v3.2026-07-22";
const USER_MANAGEMENT = "admin-user-management-swagger.v3";
const SCIM = "admin-user-provisioning-swagger.v3";
const BITBUCKET = "bitbucket-swagger";

/** Reads a node of a loaded document by property names, for test fixtures taken from the documents. */
function at(spec: SpecName, ...keys: string[]): unknown {
  return keys.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], loadSpec(spec));
}

/** The example Jira publishes for `GET /rest/api/3/project/search` (a JSON string in the document). */
function projectSearchExample(): { values: Record<string, unknown>[]; [key: string]: unknown } {
  const raw = at(JIRA, "paths", "/rest/api/3/project/search", "get", "responses", "200", "content", "application/json");
  return JSON.parse((raw as { example: string }).example);
}

const adminUserDetails = {
  data: {
    accountId: "5b10a2844c20165700ede21g",
    accountStatus: "active",
    accountType: "atlassian",
    name: "Ada Lovelace",
    email: "ada@example.com",
    membershipStatus: "active",
    claimStatus: "managed",
    managementSource: null,
    counts: { resources: 3 },
  },
};

const bitbucketMember = {
  type: "workspace_membership",
  user: {
    type: "user",
    uuid: "{d301aafa-d676-4ee0-88be-962be7417567}",
    display_name: "Ada Lovelace",
    account_id: "5b10a2844c20165700ede21g",
    nickname: "ada",
    links: { self: { href: "https://api.bitbucket.org/2.0/users/%7Bd301aafa-d676-4ee0-88be-962be7417567%7D" } },
  },
  workspace: { type: "workspace", uuid: "{a15fb181-db1f-48f7-b41f-e1eff06929d6}", slug: "acme", name: "Acme" },
  links: { self: { href: "https://api.bitbucket.org/2.0/workspaces/acme/members/%7Bd301aafa%7D" } },
};

const scimUser = {
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
  id: "a8d2f6b0-6f4e-4c9a-9f3c-2b1f0c7e5d11",
  externalId: "ext-ada",
  userName: "ada@example.com",
  emails: [{ value: "ada@example.com", type: "work", primary: true }],
  name: { givenName: "Ada", familyName: "Lovelace" },
  displayName: "Ada Lovelace",
  active: true,
  meta: { resourceType: "USER", created: "2024-01-01T00:00:00.000Z", lastModified: "2024-01-02T00:00:00.000Z" },
};

describe("loading", () => {
  it("resolves the documents beside the checkout and parses each once", () => {
    expect(SPECS_DIR).toBe(path.resolve(import.meta.dirname, "../../../shared/atlassian-specs"));
    expect(loadSpec(JIRA)).toBe(loadSpec(JIRA));
  });

  it("documents each spec's base path as its servers/basePath say", () => {
    for (const spec of SPEC_NAMES) {
      const doc = loadSpec(spec);
      const serverUrl = doc.servers?.[0]?.url ?? "";
      const documented = doc.basePath ?? new URL(serverUrl.replace("{your-domain}", "x"), "https://x").pathname;
      expect(SPEC_BASE_PATHS[spec], spec).toBe(documented.replace(/\/$/, ""));
    }
  });

  it("maps simulator URLs to document-relative paths", () => {
    expect(toSpecPath(CONFLUENCE_V2, "/wiki/api/v2/spaces?limit=25")).toBe("/spaces");
    expect(toSpecPath(BITBUCKET, "/2.0/workspaces/acme/members")).toBe("/workspaces/acme/members");
    expect(toSpecPath(ADMIN, "/admin/v1/orgs")).toBe("/v1/orgs");
    expect(toSpecPath(JIRA, "/rest/api/3/myself")).toBe("/rest/api/3/myself");
    expect(toSpecPath(BITBUCKET, "/1.0/groups/acme")).toBeUndefined();
  });
});

describe("listOperations", () => {
  it("lists every documented operation with its operationId", () => {
    const ops = listOperations(JIRA);
    const expected = Object.values(loadSpec(JIRA).paths).reduce(
      (n, item) => n + Object.keys(item).filter((k) => ["get", "put", "post", "delete", "patch"].includes(k)).length,
      0,
    );
    expect(ops).toHaveLength(expected);
    expect(ops).toContainEqual({ method: "get", path: "/rest/api/3/project/search", operationId: "searchProjects" });
    expect(listOperations(BITBUCKET).find((o) => o.path === "/workspaces/{workspace}/members")).toMatchObject({
      method: "get",
    });
  });
});

describe("findOperation", () => {
  it("prefers literal segments over placeholders", () => {
    expect(findOperation(JIRA, "GET", "/rest/api/3/project/search")?.specPath).toBe("/rest/api/3/project/search");
    expect(findOperation(JIRA, "GET", "/rest/api/3/project/10001")?.specPath).toBe(
      "/rest/api/3/project/{projectIdOrKey}",
    );
    expect(findOperation(JIRA, "GET", "/rest/api/3/project/type/accessible")?.specPath).toBe(
      "/rest/api/3/project/type/accessible",
    );
    expect(findOperation(JIRA, "GET", "/rest/api/3/project/type/business")?.specPath).toBe(
      "/rest/api/3/project/type/{projectTypeKey}",
    );
  });

  it("extracts path parameters and picks the key that documents the method", () => {
    const match = findOperation(JIRA, "get", "/rest/api/3/project/10001/role/10002");
    expect(match).toMatchObject({
      specPath: "/rest/api/3/project/{projectIdOrKey}/role/{id}",
      pathParams: { projectIdOrKey: "10001", id: "10002" },
      parameterIssues: [],
    });
    // Jira splits one path shape across two keys by method.
    expect(findOperation(JIRA, "PUT", "/rest/api/3/field/customfield_10000")?.specPath).toBe(
      "/rest/api/3/field/{fieldId}",
    );
    expect(findOperation(JIRA, "DELETE", "/rest/api/3/field/customfield_10000")?.specPath).toBe(
      "/rest/api/3/field/{id}",
    );
  });

  it("accepts a paths key itself and decodes percent-encoded segments", () => {
    expect(findOperation(JIRA, "GET", "/rest/api/3/project/{projectIdOrKey}/role/{id}")?.specPath).toBe(
      "/rest/api/3/project/{projectIdOrKey}/role/{id}",
    );
    const scimSchema = findOperation(
      SCIM,
      "GET",
      "/scim/directory/d1/Schemas/urn%3Aietf%3Aparams%3Ascim%3Aschemas%3Acore%3A2.0%3AUser",
    );
    expect(scimSchema?.operationId).toBe("getUserSchemas");
  });

  it("matches partly templated segments", () => {
    const match = findOperation(BITBUCKET, "GET", "/repositories/acme/web/issues/export/web-issues-42.zip");
    expect(match?.pathParams).toMatchObject({ repo_name: "web", task_id: "42" });
  });

  it("returns undefined for an undocumented operation", () => {
    expect(findOperation(JIRA, "GET", "/rest/api/3/no-such-thing")).toBeUndefined();
    expect(findOperation(JIRA, "PATCH", "/rest/api/3/project/search")).toBeUndefined();
  });
});

describe("validateResponse", () => {
  it("accepts Jira's own project/search example and reports a wrong-type field with its path", () => {
    const valid = validateResponse({
      spec: JIRA,
      method: "GET",
      path: "/rest/api/3/project/search",
      status: 200,
      contentType: "application/json;charset=UTF-8",
      body: projectSearchExample(),
    });
    expect(valid).toMatchObject({ ok: true, operationId: "searchProjects", responseKey: "200", bodyChecked: true });

    const body = projectSearchExample();
    body.values[0] = { ...body.values[0], id: 10000 };
    body.total = "7";
    const invalid = validateResponse({
      spec: JIRA,
      method: "GET",
      path: "/rest/api/3/project/search",
      status: 200,
      body,
    });
    expect(invalid.ok).toBe(false);
    expect(invalid.reason).toBe("schema-mismatch");
    expect(invalid.errors).toContainEqual(expect.objectContaining({ instancePath: "/values/0/id", keyword: "type" }));
    expect(invalid.errors.map((e) => e.message)).toContain("/total must be integer");
  });

  it("rejects properties a closed Jira schema does not declare", () => {
    const result = validateResponse({
      spec: JIRA,
      method: "GET",
      path: "/rest/api/3/project/search",
      status: 200,
      body: { ...projectSearchExample(), surprise: true },
    });
    expect(result.errors.map((e) => e.message)).toEqual(['(root) must NOT have additional properties: "surprise"']);
  });

  it("reads additionalProperties: false beside a discriminated oneOf as 'nothing beyond the variant'", () => {
    const page = (value: Record<string, unknown>) => ({
      isLast: true,
      maxResults: 50,
      startAt: 0,
      total: 1,
      values: [value],
    });
    const check = (value: Record<string, unknown>) =>
      validateResponse({
        spec: JIRA,
        method: "GET",
        path: "/rest/api/3/field/customfield_10000/context/defaultValue",
        status: 200,
        body: page(value),
      });
    expect(check({ type: "option.single", contextId: "10100", optionId: "10001" }).ok).toBe(true);
    expect(check({ type: "option.single", contextId: "10100", optionId: "10001", bogus: 1 }).errors).toContainEqual(
      expect.objectContaining({ instancePath: "/values/0", keyword: "unevaluatedProperties" }),
    );
    expect(check({ type: "option.single", contextId: "10100" }).errors.map((e) => e.message)).toContain(
      "/values/0 must have required property 'optionId'",
    );
  });

  it("validates a Confluence v2 GET /spaces page", () => {
    const body = {
      results: [
        {
          id: "98306",
          key: "ENG",
          name: "Engineering",
          type: "global",
          status: "current",
          authorId: "5b10a2844c20165700ede21g",
          createdAt: "2024-01-01T09:00:00.000Z",
          homepageId: "98307",
          description: { plain: { value: "Team space", representation: "plain" } },
          icon: { path: "/wiki/download/attachments/98306/ENG", apiDownloadLink: "/wiki/rest/api/x" },
          _links: { webui: "/spaces/ENG" },
        },
      ],
      _links: { next: "/wiki/api/v2/spaces?cursor=abc", base: "https://acme.atlassian.net/wiki" },
    };
    const specPath = toSpecPath(CONFLUENCE_V2, "/wiki/api/v2/spaces?limit=1") ?? "";
    expect(validateResponse({ spec: CONFLUENCE_V2, method: "GET", path: specPath, status: 200, body })).toMatchObject({
      ok: true,
      operationId: "getSpaces",
    });
    const bad = { ...body, results: [{ ...body.results[0], status: "deleted" }] };
    expect(
      validateResponse({ spec: CONFLUENCE_V2, method: "GET", path: specPath, status: 200, body: bad }).errors,
    ).toContainEqual(expect.objectContaining({ instancePath: "/results/0/status", keyword: "enum" }));
  });

  it("does not check a body the document describes with an empty content map", () => {
    const result = validateResponse({
      spec: CONFLUENCE_V2,
      method: "GET",
      path: "/spaces",
      status: 400,
      contentType: "application/json",
      body: { errors: [{ status: 400, code: "INVALID_REQUEST_PARAMETER", title: "bad limit" }] },
    });
    expect(result).toMatchObject({ ok: true, bodyChecked: false, responseKey: "400" });
  });

  it("validates an Admin v2 error body", () => {
    const path = "/v2/orgs/o-1/directories/d-1/users/u-1";
    const body = {
      errors: [{ id: "e-1", status: "404", code: "ADMIN-404-2", title: "Not Found", detail: "No such user" }],
    };
    expect(validateResponse({ spec: ADMIN, method: "GET", path, status: 404, body })).toMatchObject({
      ok: true,
      operationId: "getDirectoryUserDetails",
    });
    const numeric = { errors: [{ ...body.errors[0], status: 404 }] };
    expect(validateResponse({ spec: ADMIN, method: "GET", path, status: 404, body: numeric }).errors).toContainEqual(
      expect.objectContaining({ instancePath: "/errors/0/status", message: "/errors/0/status must be string" }),
    );
  });

  it("honours nullable, including beside enum and $ref", () => {
    const roleAssignments = (assignment: Record<string, unknown>) => ({
      data: [{ resourceId: "ari:cloud:jira::site/1", roles: ["atlassian/user"], ...assignment }],
    });
    const check = (body: unknown) =>
      validateResponse({
        spec: ADMIN,
        method: "GET",
        path: "/v2/orgs/o/directories/d/users/u/role-assignments",
        status: 200,
        body,
      });
    expect(check(roleAssignments({ directoryId: null, userDirectoryStatus: null })).ok).toBe(true);
    expect(check(roleAssignments({ directoryId: "d", userDirectoryStatus: "active" })).ok).toBe(true);
    expect(check(roleAssignments({ userDirectoryStatus: "gone" })).ok).toBe(false);
    expect(check(roleAssignments({ resourceId: null })).errors).toContainEqual(
      expect.objectContaining({ instancePath: "/data/0/resourceId", keyword: "type" }),
    );
    const details = { data: { ...adminUserDetails.data, managementSource: "sideways" } };
    expect(
      validateResponse({
        spec: ADMIN,
        method: "GET",
        path: "/v2/orgs/o/directories/d/users/u",
        status: 200,
        body: details,
      }).errors,
    ).toContainEqual(expect.objectContaining({ instancePath: "/data/managementSource", keyword: "enum" }));
  });

  it("dispatches on an OpenAPI discriminator mapping (user management 403)", () => {
    const check = (body: unknown) =>
      validateResponse({
        spec: USER_MANAGEMENT,
        method: "POST",
        path: "/users/abc/manage/lifecycle/disable",
        status: 403,
        body,
      });
    expect(check({ key: "forbidden" }).ok).toBe(true);
    expect(check({ key: "forbidden.action" }).errors.map((e) => e.message)).toContain(
      "(root) must have required property 'context'",
    );
    expect(check({ key: "nope" }).errors).toContainEqual(expect.objectContaining({ keyword: "enum" }));
  });

  it("validates a Bitbucket GET /workspaces/{workspace}/members page", () => {
    const body = { pagelen: 10, page: 1, size: 1, values: [bitbucketMember] };
    const path = toSpecPath(BITBUCKET, "/2.0/workspaces/acme/members") ?? "";
    expect(validateResponse({ spec: BITBUCKET, method: "GET", path, status: 200, body }).ok).toBe(true);
    const bad = { ...body, pagelen: 0, values: [{ ...bitbucketMember, type: undefined }] };
    const errors = validateResponse({ spec: BITBUCKET, method: "GET", path, status: 200, body: bad }).errors;
    expect(errors).toContainEqual(expect.objectContaining({ instancePath: "/pagelen", keyword: "minimum" }));
    expect(errors).toContainEqual(expect.objectContaining({ instancePath: "/values/0", keyword: "required" }));
    const rawBraces = {
      ...body,
      values: [{ ...bitbucketMember, links: { self: { href: "https://api.bitbucket.org/2.0/users/{d301aafa}" } } }],
    };
    expect(
      validateResponse({ spec: BITBUCKET, method: "GET", path, status: 200, body: rawBraces }).errors,
    ).toContainEqual(expect.objectContaining({ instancePath: "/values/0/links/self/href", keyword: "format" }));
  });

  it("falls back to Swagger's default response", () => {
    const result = validateResponse({
      spec: BITBUCKET,
      method: "GET",
      path: "/user/emails",
      status: 500,
      body: { type: "error", error: { message: "Something went wrong" } },
    });
    expect(result).toMatchObject({ ok: true, responseKey: "default" });
  });

  it("validates a SCIM ListResponse served as application/scim+json", () => {
    const body = {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
      totalResults: 1,
      startIndex: 1,
      itemsPerPage: 1,
      Resources: [scimUser],
    };
    const path = "/scim/directory/d-1/Users";
    const contentType = "application/scim+json; charset=utf-8";
    expect(validateResponse({ spec: SCIM, method: "GET", path, status: 200, contentType, body })).toMatchObject({
      ok: true,
      operationId: "getUsersFromAnActiveDirectory",
    });
    const bad = { ...body, totalResults: 2 ** 31 };
    expect(
      validateResponse({ spec: SCIM, method: "GET", path, status: 200, contentType, body: bad }).errors,
    ).toContainEqual(expect.objectContaining({ instancePath: "/totalResults", keyword: "format" }));
    expect(
      validateResponse({ spec: SCIM, method: "GET", path, status: 200, contentType: "text/html", body }),
    ).toMatchObject({
      ok: false,
      reason: "undocumented-content-type",
    });
  });

  it("reports undocumented operations and statuses as results, not exceptions", () => {
    expect(
      validateResponse({ spec: JIRA, method: "GET", path: "/rest/api/3/no-such-thing", status: 200, body: {} }),
    ).toMatchObject({ ok: false, reason: "undocumented-operation", specPath: undefined });
    expect(
      validateResponse({ spec: JIRA, method: "PATCH", path: "/rest/api/3/project/search", status: 200, body: {} })
        .errors[0]?.message,
    ).toContain("document no PATCH");
    expect(
      validateResponse({ spec: CONFLUENCE_V2, method: "GET", path: "/spaces", status: 418, body: {} }),
    ).toMatchObject({ ok: false, reason: "undocumented-status", specPath: "/spaces" });
  });

  it("flags a body on 204 and a missing body where one is documented", () => {
    const revoke = {
      spec: ADMIN,
      method: "POST",
      path: "/v1/orgs/o/users/u/role-assignments/revoke",
      status: 204,
    } as const;
    expect(validateResponse({ ...revoke, body: undefined }).ok).toBe(true);
    expect(validateResponse({ ...revoke, body: { done: true } }).errors[0]?.keyword).toBe("unexpected-body");
    expect(
      validateResponse({ spec: JIRA, method: "GET", path: "/rest/api/3/project/search", status: 200, body: undefined })
        .errors[0]?.keyword,
    ).toBe("missing-body");
  });
});

describe("responseKeyFor", () => {
  it("prefers the exact code, then the range, then default", () => {
    expect(responseKeyFor(["200", "4XX", "default"], 200)).toBe("200");
    expect(responseKeyFor(["200", "4XX", "default"], 404)).toBe("4XX");
    expect(responseKeyFor(["200", "4xx", "default"], 409)).toBe("4xx");
    expect(responseKeyFor(["200", "4XX", "default"], 503)).toBe("default");
    expect(responseKeyFor(["200"], 503)).toBeUndefined();
  });
});

describe("registered allowances", () => {
  it("forgives only the issues it names, for its one response, and shows its id", () => {
    const body = { ...projectSearchExample(), surprise: true };
    body.values[0] = { ...body.values[0], id: 10000 };
    const request = { spec: JIRA, method: "GET", path: "/rest/api/3/project/search", status: 200, body } as const;
    const remove = registerAllowance({
      id: "sim-numeric-project-id",
      spec: JIRA,
      method: "GET",
      specPath: "/rest/api/3/project/search",
      status: 200,
      reason: "test: the simulator emits numeric project ids",
      accepts: (i) => /^\/values\/\d+\/id$/.test(i.instancePath) && i.keyword === "type",
    });
    try {
      const result = validateResponse(request);
      expect(result.appliedAllowances).toEqual(["sim-numeric-project-id"]);
      expect(result.errors.map((e) => e.keyword)).toEqual(["additionalProperties"]);
      const { surprise: _surprise, ...withoutSurprise } = body;
      expect(validateResponse({ ...request, body: withoutSurprise })).toMatchObject({ ok: true });
      expect(() =>
        registerAllowance({ ...request, id: "sim-numeric-project-id", specPath: "/x", reason: "dup" }),
      ).toThrow();
    } finally {
      remove();
    }
    expect(validateResponse(request).appliedAllowances).toEqual([]);
  });

  it("can cover an undocumented status", () => {
    const request = {
      spec: CONFLUENCE_V2,
      method: "GET",
      path: "/spaces",
      status: 429,
      body: { message: "slow down" },
    } as const;
    expect(validateResponse(request).reason).toBe("undocumented-status");
    const remove = registerAllowance({
      id: "sim-confluence-rate-limit",
      spec: CONFLUENCE_V2,
      method: "get",
      specPath: "/spaces",
      status: 429,
      reason: "test: rate limiting is documented in prose only",
    });
    try {
      expect(validateResponse(request)).toMatchObject({ ok: true, appliedAllowances: ["sim-confluence-rate-limit"] });
    } finally {
      remove();
    }
  });
});

/** One scenario per known defect: shows the allowance at work, or for no-op entries that its premise holds. */
const DEFECT_SCENARIOS: Record<string, () => void> = {
  "admin-user-path-param-declared-as-accountId": () => {
    for (const spec of [ADMIN, ADMIN_2026_07_22] as const) {
      const path = "/v2/orgs/o-1/directories/d-1/users/u-1";
      const request = { spec, method: "GET", path, status: 200, body: adminUserDetails } as const;
      expect(findOperation(spec, "GET", path)?.pathParams).toEqual({
        orgId: "o-1",
        directoryId: "d-1",
        accountId: "u-1",
      });
      expect(validateResponse(request)).toMatchObject({
        ok: true,
        appliedAllowances: ["admin-user-path-param-declared-as-accountId"],
      });
      // The key as written, which the contract cases pass, takes the same route.
      const byKey = { ...request, path: "/v2/orgs/{orgId}/directories/{directoryId}/users/{userId}" };
      expect(validateResponse(byKey).appliedAllowances).toEqual(["admin-user-path-param-declared-as-accountId"]);
      const strict = validateResponse({ ...request, knownDefects: [] });
      expect(strict).toMatchObject({ ok: false, reason: "path-parameter-mismatch" });
      expect(strict.errors.map((e) => e.message)).toContain("placeholder {userId} is not a declared path parameter");
    }
  },
  "admin-2026-07-22-stray-quote-in-path-key": () => {
    const request = {
      spec: ADMIN_2026_07_22,
      method: "POST",
      path: "/v2/orgs/o/directories/d/groups/g/role-assignments/revoke",
      status: 204,
      body: undefined,
    } as const;
    expect(validateResponse(request)).toMatchObject({
      ok: true,
      specPath: "/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments/revoke'",
      appliedAllowances: ["admin-2026-07-22-stray-quote-in-path-key"],
    });
    const byKey = {
      ...request,
      path: "/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments/revoke'",
    };
    expect(validateResponse(byKey).ok).toBe(true);
    expect(validateResponse({ ...request, knownDefects: [] }).reason).toBe("undocumented-operation");
    // The current document has the key without the quote and needs no allowance.
    expect(validateResponse({ ...request, spec: ADMIN })).toMatchObject({ ok: true, appliedAllowances: [] });
  },
  "bitbucket-document-invalid-as-a-whole": () => {
    const body = { pagelen: 10, values: [bitbucketMember] };
    const result = validateResponse({
      spec: BITBUCKET,
      method: "GET",
      path: "/workspaces/acme/members",
      status: 200,
      body,
    });
    expect(result.ok).toBe(true);
    const definitions = Object.keys(at(BITBUCKET, "definitions") as object).length;
    expect(compiledSchemaCount(BITBUCKET)).toBeLessThan(definitions / 2);
  },
  "bitbucket-branchrestriction-undeclared-properties": () => {
    const parts = at(BITBUCKET, "definitions", "branchrestriction", "allOf") as { additionalProperties?: boolean }[];
    expect((at(BITBUCKET, "definitions", "object") as { additionalProperties: boolean }).additionalProperties).toBe(
      true,
    );
    expect(parts[1]?.additionalProperties).toBe(true);
    const restriction = {
      type: "branchrestriction",
      id: 7,
      kind: "push",
      pattern: "main",
      value: null,
      branch_match_kind: "glob",
      branch_type: "production",
      users: [],
      groups: [],
    };
    const request = {
      spec: BITBUCKET,
      method: "GET",
      path: "/repositories/acme/web/branch-restrictions/7",
      status: 200,
      body: restriction,
    } as const;
    expect(validateResponse(request)).toMatchObject({ ok: true, appliedAllowances: [] });
    expect(validateResponse({ ...request, body: { ...restriction, users: "nobody" } }).ok).toBe(false);
  },
  "scim-readonly-fields-written-by-clients": () => {
    expect(at(SCIM, "components", "schemas", "ScimUser", "properties", "externalId", "readOnly")).toBe(true);
    expect(at(SCIM, "components", "schemas", "ScimGroup", "properties", "members", "readOnly")).toBe(true);
    const group = {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"],
      id: "g-1",
      externalId: "ext-g-1",
      displayName: "engineering",
      members: [{ value: scimUser.id, display: "Ada Lovelace" }],
      meta: { resourceType: "GROUP" },
    };
    const created = {
      spec: SCIM,
      method: "POST",
      path: "/scim/directory/d-1/Groups",
      status: 201,
      body: group,
    } as const;
    expect(validateResponse(created)).toMatchObject({ ok: true, appliedAllowances: [] });
    const user = {
      spec: SCIM,
      method: "PUT",
      path: "/scim/directory/d-1/Users/u-1",
      status: 200,
      body: scimUser,
    } as const;
    expect(validateResponse(user)).toMatchObject({ ok: true, appliedAllowances: [] });
  },
};

describe("KNOWN_DEFECTS", () => {
  it("has a scenario for every entry, and every no-op entry says why", () => {
    expect(Object.keys(DEFECT_SCENARIOS).sort()).toEqual(KNOWN_DEFECTS.map((d) => d.id).sort());
    for (const defect of KNOWN_DEFECTS) {
      const hooks = Object.keys(defect.apply).length;
      expect(hooks > 0 || (defect.noOp ?? "").length > 0, defect.id).toBe(true);
    }
  });

  it.each(KNOWN_DEFECTS.map((d) => [d.id, d] as const))("%s", (id) => {
    DEFECT_SCENARIOS[id]?.();
  });
});
