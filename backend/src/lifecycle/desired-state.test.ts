import { describe, expect, it } from "vitest";
import { DesiredStateError, parseDesiredState } from "./desired-state.js";

const errorsOf = (fn: () => unknown): Array<[number, string]> => {
  try {
    fn();
  } catch (err) {
    if (err instanceof DesiredStateError) return err.issues.map((i) => [i.line, i.message]);
    throw err;
  }
  throw new Error("expected a DesiredStateError");
};

describe("parseDesiredState: CSV", () => {
  it("turns joiners, movers and leavers into requests that remember their line", () => {
    const csv = [
      "kind,userName,email,givenName,familyName,title,groups,removeGroups,suspend,removeFromGroups",
      "joiner,ann@acme.com,ann@acme.com,Ann,Lee,Engineer,jira-users;team-a,,,",
      "mover,bob@acme.com,,,,Manager,team-b,team-a,,",
      '"leaver","cyd@acme.com",,,,,,,true,yes',
    ].join("\r\n");
    const out = parseDesiredState(csv, "people.csv");
    expect(out.map((r) => [r.origin?.line, r.request.action])).toEqual([
      [2, "SYNC_IDENTITIES"],
      [2, "MANAGE_RELATIONSHIPS"],
      [3, "SYNC_IDENTITIES"],
      [3, "MANAGE_RELATIONSHIPS"],
      [4, "DEPROVISION_IDENTITY"],
    ]);
    expect(out[0]?.request).toEqual({
      action: "SYNC_IDENTITIES",
      user: {
        userName: "ann@acme.com",
        email: "ann@acme.com",
        givenName: "Ann",
        familyName: "Lee",
        title: "Engineer",
        active: true,
      },
    });
    expect(out[1]?.request).toEqual({
      action: "MANAGE_RELATIONSHIPS",
      memberships: [
        { op: "add", user: { user: "ann@acme.com" }, group: "jira-users" },
        { op: "add", user: { user: "ann@acme.com" }, group: "team-a" },
      ],
    });
    expect(out[2]?.request).toEqual({
      action: "SYNC_IDENTITIES",
      user: { userName: "bob@acme.com", title: "Manager" },
      updateOnly: true,
    });
    expect(out[3]?.request).toMatchObject({
      memberships: [
        { op: "add", group: "team-b" },
        { op: "remove", group: "team-a" },
      ],
    });
    expect(out[4]?.request).toEqual({
      action: "DEPROVISION_IDENTITY",
      user: { user: "cyd@acme.com" },
      suspendAccess: true,
      removeFromGroups: true,
    });
  });

  it("counts lines across quoted line breaks and skips blank lines", () => {
    const csv = 'kind,userName,title\n\nmover,a@x.io,"two\nlines"\nleaver,b@x.io,\n';
    expect(parseDesiredState(csv, "f.csv").map((r) => r.origin?.line)).toEqual([3, 5]);
  });

  it("names the line of every bad row", () => {
    const csv = [
      "kind,userName,email,suspend",
      "joiner,ann@acme.com,,",
      "hire,bob@acme.com,,",
      "leaver,,,",
      "leaver,cyd@acme.com,,maybe",
      "mover,dee@acme.com,,",
      "leaver,eve@acme.com,",
    ].join("\n");
    expect(errorsOf(() => parseDesiredState(csv, "f.csv"))).toEqual([
      [2, "a joiner needs userName and email"],
      [3, 'kind must be joiner, mover or leaver (got "hire")'],
      [4, "name the user with userName, email or accountId"],
      [5, "suspend must be true or false"],
      [6, "a mover with nothing to change"],
      [7, "expected 4 fields, found 3"],
    ]);
  });

  it("refuses unknown columns and a missing kind column at the header", () => {
    expect(errorsOf(() => parseDesiredState("kind,user,mail\n", "f.csv"))[0]?.[1]).toMatch(
      /unknown column\(s\) "user", "mail"/,
    );
    expect(errorsOf(() => parseDesiredState("userName\nann@x.io\n", "f.csv"))).toEqual([[1, 'no "kind" column']]);
    expect(errorsOf(() => parseDesiredState("", "f.csv"))).toEqual([[1, "empty file: expected a header row"]]);
    expect(errorsOf(() => parseDesiredState('kind,userName\nleaver,"open', "f.csv"))).toEqual([
      [2, "unterminated quoted field"],
    ]);
  });

  it("the error message names the file and each line", () => {
    expect(() => parseDesiredState("kind,userName\nboss,a@x.io\n", "leavers.csv")).toThrow(
      'leavers.csv: 1 problem(s)\n  line 2: kind must be joiner, mover or leaver (got "boss")',
    );
  });
});

describe("parseDesiredState: JSON", () => {
  it("reads joiners, movers and leavers lists, each row with its line", () => {
    const json = `{
  "joiners": [
    { "userName": "ann@acme.com", "email": "ann@acme.com", "groups": ["team-a"] }
  ],
  "leavers": [
    { "userName": "cyd@acme.com", "suspend": true },
    { "accountId": "712020:abc" }
  ]
}`;
    const out = parseDesiredState(json, "people.json");
    expect(out.map((r) => [r.origin?.line, r.request.action])).toEqual([
      [3, "SYNC_IDENTITIES"],
      [3, "MANAGE_RELATIONSHIPS"],
      [6, "DEPROVISION_IDENTITY"],
      [7, "DEPROVISION_IDENTITY"],
    ]);
    expect(out[3]?.request).toEqual({ action: "DEPROVISION_IDENTITY", user: { accountId: "712020:abc" } });
  });

  it("reads an array of rows with kinds", () => {
    const out = parseDesiredState(
      '[\n {"kind":"leaver","email":"a@x.io"},\n {"kind":"mover","userName":"b@x.io","department":"R&D"}\n]',
      "x.json",
    );
    expect(out.map((r) => [r.origin?.line, r.request.action])).toEqual([
      [2, "DEPROVISION_IDENTITY"],
      [3, "SYNC_IDENTITIES"],
    ]);
  });

  it("names the line of bad rows and of invalid JSON", () => {
    const json =
      '{\n  "leavers": [\n    {"userName": "a@x.io"},\n    {"userName": 7},\n    {"userNme": "b@x.io"}\n  ],\n  "hires": []\n}';
    expect(errorsOf(() => parseDesiredState(json, "x.json"))).toEqual([
      [1, 'unknown key "hires": expected joiners, movers, leavers'],
      [4, "userName must be text"],
      [4, "name the user with userName, email or accountId"],
      [5, 'unknown field "userNme"'],
      [5, "name the user with userName, email or accountId"],
    ]);
    expect(errorsOf(() => parseDesiredState('{\n "leavers": [\n  {"userName": "a@x.io",}\n ]\n}', "x.json"))).toEqual([
      [3, "not valid JSON: expected a property name"],
    ]);
  });
});
