import { describe, expect, it } from "vitest";
import { buildModel } from "./build-model.js";
import {
  correlate,
  IdpExportError,
  identitiesFromFile,
  identitiesFromScim,
  joinAccounts,
  parseIdpExport,
  unifyGroups,
} from "./correlate.js";
import {
  admin,
  adminUser,
  bbMember,
  bitbucket,
  confluence,
  confluenceUser,
  jira,
  jiraUser,
  products,
  scim,
  snapshot,
} from "./testing.js";

function scimUser(scimId: string, over: Partial<Parameters<typeof scim>[0][number]> = {}) {
  return {
    scimId,
    externalId: `ext-${scimId}`,
    userName: `${scimId}@acme.example`,
    displayName: null,
    email: `${scimId}@acme.example`,
    active: true,
    accountId: null,
    ...over,
  };
}

function issuesOf(fn: () => unknown): Array<{ line: number; message: string }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof IdpExportError) return err.issues;
    throw err;
  }
  throw new Error("expected an IdpExportError");
}

describe("parseIdpExport: CSV", () => {
  it("reads a header row and records, matching column names loosely", () => {
    const csv =
      "\uFEFFId,Login,Email,Display Name,Status\r\n00u1,ann,Ann@Acme.example,Ann,ACTIVE\r\n00u2,bob,,Bob,DEPROVISIONED\r\n";
    expect(parseIdpExport(csv, "csv")).toEqual([
      { id: "00u1", login: "ann", email: "Ann@Acme.example", displayName: "Ann", status: "active", line: 2 },
      { id: "00u2", login: "bob", email: null, displayName: "Bob", status: "deactivated", line: 3 },
    ]);
  });

  it("handles quoted fields with commas, quotes and newlines, and counts lines across them", () => {
    const csv = 'externalId,email,name,active\n1,a@x.example,"Smith, ""Al""\nJr",true\n\n2,b@x.example,B,false\n';
    const rows = parseIdpExport(csv, "csv");
    expect(rows.map((r) => [r.id, r.displayName, r.status, r.line])).toEqual([
      ["1", 'Smith, "Al"\nJr', "active", 2],
      ["2", "B", "deactivated", 5],
    ]);
    // Without a login column the email is the login.
    expect(rows[0]!.login).toBe("a@x.example");
  });

  it("names the line of every bad row", () => {
    const csv =
      "id,email,status\n1,a@x.example,active\n,b@x.example,active\n3,,active\n4,d@x.example,sleeping\n5,e@x.example\n";
    expect(issuesOf(() => parseIdpExport(csv, "csv"))).toEqual([
      { line: 3, message: "missing IdP id" },
      { line: 4, message: "missing email and login" },
      { line: 5, message: 'unknown status "sleeping"' },
      { line: 6, message: "expected 3 fields, found 2" },
    ]);
    expect(() => parseIdpExport(csv, "csv")).toThrow(/line 3: missing IdP id/);
  });

  it("refuses a header without the needed columns, at line 1", () => {
    expect(issuesOf(() => parseIdpExport("id,email\n1,a@x.example\n", "csv"))).toEqual([
      { line: 1, message: "no status column (status, active, …)" },
    ]);
    expect(issuesOf(() => parseIdpExport("", "csv"))[0]!.line).toBe(1);
    expect(issuesOf(() => parseIdpExport('id,email,status\n1,"a@x,active\n', "csv"))).toEqual([
      { line: 2, message: "unterminated quoted field" },
    ]);
  });
});

describe("parseIdpExport: JSON", () => {
  it("reads an array of objects, with the line each starts on", () => {
    const json = `[
  {"id": "1", "userName": "ann@x.example", "status": "ACTIVE"},
  {
    "id": "2", "mail": "bob@x.example", "accountEnabled": false, "displayName": "Bob"
  }
]`;
    expect(parseIdpExport(json, "json")).toEqual([
      { id: "1", login: "ann@x.example", email: null, displayName: null, status: "active", line: 2 },
      { id: "2", login: "bob@x.example", email: "bob@x.example", displayName: "Bob", status: "deactivated", line: 3 },
    ]);
  });

  it("reads one object per line, and names bad lines", () => {
    const ndjson = '{"id":"1","email":"a@x.example","status":"active"}\n{"id":"2","status":"active"}\nnot json\n[1]\n';
    expect(issuesOf(() => parseIdpExport(ndjson, "json"))).toEqual([
      { line: 2, message: "missing email and login" },
      { line: 3, message: "not valid JSON" },
      { line: 4, message: "expected an object" },
    ]);
  });

  it("names the line of a record with a bad status inside an array", () => {
    const json =
      '[\n{"id":"1","email":"a@x.example","status":"active"},\n{"id":"2","email":"b@x.example","status":"??"}\n]';
    expect(issuesOf(() => parseIdpExport(json, "json"))).toEqual([{ line: 3, message: 'unknown status "??"' }]);
    expect(issuesOf(() => parseIdpExport('[\n{"id": 1,\n', "json"))[0]!.message).toBe("not valid JSON");
  });
});

describe("groups", () => {
  it("unifies org groups by groupId across Admin, Jira and Confluence, and keeps Bitbucket groups apart", () => {
    const s = snapshot({
      admin: admin({
        groups: [{ groupId: "g1", name: "devs", description: null }],
        groupMembers: [{ groupId: "g1", accountId: "a" }],
      }),
      jira: jira({ groups: [{ groupId: "g1", name: "devs" }], groupMembers: [{ groupId: "g1", accountId: "b" }] }),
      confluence: confluence({
        groups: [{ groupId: "g2", name: "writers" }],
        groupMembers: [{ groupId: "g2", accountId: "a" }],
      }),
      bitbucket: bitbucket({
        groups: [{ slug: "devs", name: "Developers" }],
        groupMembers: [{ groupSlug: "devs", accountId: "a" }],
      }),
    });
    const g = unifyGroups(s);
    expect(g.groups.map((x) => [x.key, x.name, x.scope, x.members])).toEqual([
      ["bitbucket:devs", "Developers", "bitbucket", ["a"]],
      ["g1", "devs", "org", ["a", "b"]],
      ["g2", "writers", "org", ["a"]],
    ]);
    expect(g.groupsOf.get("a")).toEqual(["g1", "g2"]);
  });

  it("keeps a group that only appears through its members, named by its id, and says so", () => {
    const g = unifyGroups(snapshot({ jira: jira({ groupMembers: [{ groupId: "g9", accountId: "a" }] }) }));
    expect(g.groups[0]).toMatchObject({ key: "g9", name: "g9", members: ["a"] });
    expect(g.notes[0]).toMatch(/1 group/);
  });
});

describe("accounts", () => {
  it("joins one account across Admin, Jira, Confluence and Bitbucket by accountId, keeping the Bitbucket uuid", () => {
    const s = snapshot({
      admin: admin({ users: [adminUser("a", { productAccess: products("jira-software") })] }),
      jira: jira({ users: [jiraUser("a", { email: "other@x.example" })] }),
      confluence: confluence({ users: [confluenceUser("a", { externalCollaborator: true })] }),
      bitbucket: bitbucket({ members: [bbMember("a")] }),
    });
    const j = joinAccounts(s, unifyGroups(s));
    expect(j.accounts).toHaveLength(1);
    expect(j.accounts[0]).toMatchObject({
      accountId: "a",
      email: "a@acme.example",
      seenIn: ["admin", "jira", "confluence", "bitbucket"],
      bitbucketUuid: "{u-a}",
      externalCollaborator: true,
      products: [{ key: "jira-software", lastActive: null }],
      status: "active",
    });
    // Every email seen for the account can correlate it.
    expect(j.byEmail.get("other@x.example")).toEqual(["a"]);
  });

  it("takes suspension from Admin's membership status", () => {
    const s = snapshot({
      admin: admin({ users: [adminUser("a", { membershipStatus: "suspended", status: "suspended" })] }),
    });
    expect(joinAccounts(s, unifyGroups(s)).accounts[0]!.suspended).toBe(true);
  });

  it("gives accounts Admin does not list their product access from the products (apps via application roles; customers never Confluence)", () => {
    const s = snapshot({
      admin: admin({ users: [adminUser("person")] }),
      jira: jira({
        users: [jiraUser("app", { accountType: "app" }), jiraUser("cust", { accountType: "customer" })],
        groups: [{ groupId: "addons", name: "atlassian-addons-admin" }],
        groupMembers: [{ groupId: "addons", accountId: "app" }],
        applicationRoles: [{ key: "jira-software", name: "Jira Software", groupIds: ["addons"], defaultGroupIds: [] }],
      }),
      confluence: confluence({
        users: [confluenceUser("app", { accountType: "app" }), confluenceUser("cust", { accountType: "customer" })],
      }),
    });
    const j = joinAccounts(s, unifyGroups(s));
    const app = j.byId.get("app")!;
    expect(app.products.map((p) => p.key)).toEqual(["jira-software", "confluence"]);
    expect(app.userType).toBe("service_account");
    expect(j.facts.get("app")!.productEvidence.get("jira-software")).toEqual([
      'Jira application role "Jira Software" → group "atlassian-addons-admin"',
    ]);
    expect(j.byId.get("cust")!.products).toEqual([]);
    expect(j.notes[0]).toMatch(/2 account\(s\) .* not listed by the Admin API/);
  });

  it("prefers Admin's group product access, when read, for the accounts Admin does not list", () => {
    const s = snapshot({
      admin: admin({
        users: [adminUser("person")],
        groups: [
          { groupId: "addons", name: "atlassian-addons-admin", description: null },
          { groupId: "cu", name: "confluence-users", description: null },
        ],
        groupMembers: [
          { groupId: "addons", accountId: "app1" },
          { groupId: "addons", accountId: "app2" },
          { groupId: "cu", accountId: "app2" },
        ],
        groupProductAccess: [
          { groupId: "addons", key: "jira-software" },
          { groupId: "cu", key: "confluence" },
        ],
      }),
      jira: jira({ users: [jiraUser("app1", { accountType: "app" }), jiraUser("app2", { accountType: "app" })] }),
      // Both apps are active in Confluence; only app2 is in a group that grants it.
      confluence: confluence({
        users: [confluenceUser("app1", { accountType: "app" }), confluenceUser("app2", { accountType: "app" })],
      }),
    });
    const j = joinAccounts(s, unifyGroups(s));
    expect(j.byId.get("app1")!.products.map((p) => p.key)).toEqual(["jira-software"]);
    expect(j.byId.get("app2")!.products.map((p) => p.key)).toEqual(["confluence", "jira-software"]);
    expect(j.facts.get("app2")!.productEvidence.get("confluence")).toEqual([
      'Admin group product access: group "confluence-users" → confluence',
    ]);
  });
});

describe("identity correlation", () => {
  const accountsOf = (users: ReturnType<typeof adminUser>[]) => {
    const s = snapshot({ admin: admin({ users }) });
    return joinAccounts(s, unifyGroups(s));
  };

  it("links by the account id SCIM states", () => {
    const j = accountsOf([adminUser("a", { email: "different@acme.example" })]);
    const c = correlate(identitiesFromScim(scim([scimUser("s1", { accountId: "a" })])), j);
    expect(c.identities[0]).toMatchObject({ id: "ext-s1", source: "scim", accountId: "a", match: "account-id" });
    expect(j.byId.get("a")!.identityId).toBe("ext-s1");
  });

  it("links by email, case-insensitively, when no account id is stated", () => {
    const j = accountsOf([adminUser("a", { email: "Ann.Lee@Acme.Example" })]);
    const file = identitiesFromFile([
      { id: "00u1", login: "ann", email: "ann.lee@acme.example", displayName: null, status: "active", line: 2 },
    ]);
    const c = correlate(file, j);
    expect(c.identities[0]).toMatchObject({ id: "00u1", source: "idp-file", accountId: "a", match: "email" });
    expect(j.byId.get("a")!.identityId).toBe("00u1");
  });

  it("uses an email-shaped login when the email is absent", () => {
    const j = accountsOf([adminUser("a", { email: "ann@acme.example" })]);
    const c = correlate(
      identitiesFromFile([
        { id: "1", login: "ANN@acme.example", email: null, displayName: null, status: "active", line: 2 },
      ]),
      j,
    );
    expect(c.identities[0]!.match).toBe("email");
  });

  it("keeps an identity matching several accounts as ambiguous, with every candidate", () => {
    const j = accountsOf([adminUser("a", { email: "x@acme.example" }), adminUser("b", { email: "X@acme.example" })]);
    const c = correlate(
      identitiesFromFile([
        { id: "1", login: "x", email: "x@acme.example", displayName: null, status: "active", line: 2 },
      ]),
      j,
    );
    expect(c.identities[0]).toMatchObject({ accountId: null, match: "ambiguous", candidates: ["a", "b"] });
    expect(c.report.ambiguousIdentities).toEqual(["1"]);
    expect(j.byId.get("a")!.identityId).toBeNull();
  });

  it("keeps unmatched identities, and reports accounts with product access and no identity", () => {
    const j = accountsOf([
      adminUser("a", { productAccess: products("confluence") }),
      adminUser("b"),
      adminUser("app", { accountType: "app", productAccess: products("confluence") }),
    ]);
    const c = correlate(
      identitiesFromFile([
        { id: "9", login: "z@acme.example", email: null, displayName: null, status: "deactivated", line: 2 },
      ]),
      j,
    );
    expect(c.identities[0]).toMatchObject({ id: "9", match: "unmatched", accountId: null, status: "deactivated" });
    expect(c.report).toEqual({
      unmatchedIdentities: ["9"],
      ambiguousIdentities: [],
      ambiguousAccounts: [],
      accountsWithoutIdentity: ["a"],
      identitySourceAvailable: true,
    });
  });

  it("leaves an account claimed by several identities by email unlinked, and reports both sides", () => {
    const j = accountsOf([adminUser("a", { email: "a@acme.example" })]);
    const file = identitiesFromFile([
      { id: "1", login: "a@acme.example", email: null, displayName: null, status: "active", line: 2 },
      { id: "2", login: "A@ACME.example", email: null, displayName: null, status: "active", line: 3 },
    ]);
    const c = correlate(file, j);
    expect(c.identities.map((i) => [i.id, i.match, i.candidates])).toEqual([
      ["1", "ambiguous", ["a"]],
      ["2", "ambiguous", ["a"]],
    ]);
    expect(c.report.ambiguousAccounts).toEqual(["a"]);
    expect(j.byId.get("a")!.identityId).toBeNull();
  });

  it("prefers the identity that names the account by id over one that only shares its email", () => {
    const j = accountsOf([adminUser("a", { email: "a@acme.example" })]);
    const inputs = [
      ...identitiesFromScim(scim([scimUser("s1", { accountId: "a", email: "a@acme.example" })])),
      ...identitiesFromFile([
        { id: "other", login: "a@acme.example", email: null, displayName: null, status: "active", line: 2 },
      ]),
    ];
    const c = correlate(inputs, j);
    expect(j.byId.get("a")!.identityId).toBe("ext-s1");
    expect(c.identities.find((i) => i.id === "other")).toMatchObject({ match: "ambiguous", candidates: ["a"] });
    expect(c.report.ambiguousAccounts).toEqual([]);
  });

  it("merges SCIM and file records with the same IdP id; a deactivation in the file wins", () => {
    const j = accountsOf([adminUser("a")]);
    const inputs = [
      ...identitiesFromScim(scim([scimUser("s1", { externalId: "00u1", accountId: "a" })])),
      ...identitiesFromFile([
        { id: "00u1", login: "x", email: null, displayName: "X", status: "deactivated", line: 2 },
      ]),
    ];
    const c = correlate(inputs, j);
    expect(c.identities).toHaveLength(1);
    expect(c.identities[0]).toMatchObject({ id: "00u1", source: "scim", status: "deactivated", match: "account-id" });
    expect(c.notes.join(" ")).toMatch(/both in SCIM and in the IdP export/);
  });

  it("falls back to email when SCIM names an account no source reported", () => {
    const j = accountsOf([adminUser("a", { email: "s1@acme.example" })]);
    const c = correlate(identitiesFromScim(scim([scimUser("s1", { accountId: "gone" })])), j);
    expect(c.identities[0]).toMatchObject({ accountId: "a", match: "email" });
    expect(c.notes.join(" ")).toMatch(/name an account no source reported/);
  });

  it("says when there is no identity source, and buildModel correlates SCIM and a file together", () => {
    const m0 = buildModel(
      snapshot({ admin: admin({ users: [adminUser("a", { productAccess: products("confluence") })] }) }),
    );
    expect(m0.correlation.identitySourceAvailable).toBe(false);
    expect(m0.correlation.accountsWithoutIdentity).toEqual([]);
    const m = buildModel(
      snapshot({
        admin: admin({ users: [adminUser("a"), adminUser("b")] }),
        scim: scim([scimUser("s1", { accountId: "a" })]),
      }),
      {
        idpIdentities: [
          { id: "f1", login: "b@acme.example", email: null, displayName: null, status: "active", line: 2 },
        ],
      },
    );
    expect(m.identities.map((i) => [i.id, i.accountId, i.match])).toEqual([
      ["ext-s1", "a", "account-id"],
      ["f1", "b", "email"],
    ]);
    expect(m.accounts.map((a) => a.identityId)).toEqual(["ext-s1", "f1"]);
    expect(m.accounts[0]!.seenIn).toEqual(["admin", "scim"]);
  });
});
