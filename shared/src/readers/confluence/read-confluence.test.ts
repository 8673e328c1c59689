import {
  CONFLUENCE_PAGE_CAPS,
  type ConfluenceEntityCounts,
  confluenceCallBreakdown,
  minimumConfluenceCalls,
  readConfluence,
} from "@accessmap/shared/readers/confluence/read-confluence";
import type { ProgressEvent } from "@accessmap/shared/readers/reader";
import {
  AuthError,
  MissingIdentityError,
  SchemaMismatchError,
  ServerError,
  WriteRefusedError,
} from "@accessmap/shared/transport/errors";
import { reply, scriptedSend, testTransport } from "@accessmap/shared/transport/test-kit";
import type { RawRequest, RawResponse } from "@accessmap/shared/transport/transport";
import { describe, expect, it } from "vitest";

// ---------------------------------------------------------------- a scripted Confluence

type Principal = "user" | "group" | "role" | "anonymous" | "unlicensed";

interface FakeSpace {
  id: string;
  key: string;
  name: string;
  type: string;
  status: string;
  authorId: string;
  grants: Array<{ type: Principal; id?: string; op: string }>;
  roleAssignments: Array<{ principalType: string; principalId: string; roleId: string }>;
}

interface FakeConfluence {
  roleMode: string;
  groups: Array<{ id: string; name: string; members: string[] }>;
  adminGroups: string[];
  siteAdminGroups: string[];
  spaces: FakeSpace[];
  roles: Array<{ id: string; name: string }>;
  /** accountId → email shown ("" when hidden). */
  users: Map<string, string>;
}

const ORIGIN = "https://acme.atlassian.net";

function clamp(url: URL, def: number, cap: number): number {
  return Math.min(Number(url.searchParams.get("limit") ?? def), cap);
}

/** A v1 page; `next` is relative to `/wiki`, with the request's other parameters kept. */
function v1Page<T>(items: readonly T[], url: URL, cap: number) {
  const start = Number(url.searchParams.get("start") ?? 0);
  const limit = clamp(url, 25, cap);
  const results = items.slice(start, start + limit);
  const links: Record<string, string> = { base: `${ORIGIN}/wiki`, context: "/wiki" };
  if (start + results.length < items.length) {
    const next = new URL(url);
    next.searchParams.set("start", String(start + results.length));
    next.searchParams.set("limit", String(limit));
    links.next = `${next.pathname.replace(/^\/wiki/, "")}${next.search}`;
  }
  return { results, start, limit, size: results.length, _links: links };
}

/** A v2 cursor page (the cursor is the offset). */
function v2Page<T>(items: readonly T[], url: URL, cap = 250) {
  const offset = Number(url.searchParams.get("cursor") ?? 0);
  const limit = clamp(url, 25, cap);
  const results = items.slice(offset, offset + limit);
  const links: Record<string, string> = { base: `${ORIGIN}/wiki` };
  if (offset + results.length < items.length) {
    const next = new URL(url);
    next.searchParams.set("cursor", String(offset + results.length));
    next.searchParams.set("limit", String(limit));
    links.next = `${next.pathname}${next.search}`;
  }
  return { results, _links: links };
}

function embedded<T>(items: readonly T[]) {
  const hasMore = items.length > 50;
  return { results: items.slice(0, 50), meta: { hasMore, ...(hasMore ? { cursor: "50" } : {}) }, _links: {} };
}

function splitOp(op: string): { key: string; targetType: string } {
  const [key, targetType] = op.split(":") as [string, string];
  return { key, targetType };
}

function v1Permissions(s: FakeSpace) {
  return s.grants
    .filter((g) => g.type !== "role")
    .map((g, i) => {
      const { key, targetType } = splitOp(g.op);
      return {
        id: 1000 + i,
        operation: { operation: key, targetType },
        anonymousAccess: g.type === "anonymous",
        unlicensedAccess: g.type === "unlicensed",
        ...(g.type === "user"
          ? { subjects: { user: { results: [{ type: "known", accountId: g.id }], size: 1 } } }
          : {}),
        ...(g.type === "group" ? { subjects: { group: { results: [{ type: "group", id: g.id, name: g.id }] } } } : {}),
      };
    });
}

function v2Permissions(s: FakeSpace) {
  return s.grants
    .filter((g) => g.type === "user" || g.type === "group" || g.type === "role")
    .map((g, i) => ({ id: String(2000 + i), principal: { type: g.type, id: g.id }, operation: splitOp(g.op) }));
}

function v2Assignments(s: FakeSpace) {
  return s.roleAssignments.map((a) => ({
    principal: { principalType: a.principalType, principalId: a.principalId },
    roleId: a.roleId,
  }));
}

/** Answers the reader's calls from `data`, the way Confluence does (page caps clamped); `override` goes first. */
function fakeConfluence(
  data: FakeConfluence,
  override?: (req: RawRequest, url: URL) => RawResponse | Error | undefined,
) {
  return (req: RawRequest): RawResponse | Error => {
    const url = new URL(req.url);
    const special = override?.(req, url);
    if (special) return special;
    const path = url.pathname;
    if (path === "/wiki/api/v2/space-role-mode") return reply(200, { mode: data.roleMode });
    if (path === "/wiki/rest/api/group") {
      const type = url.searchParams.get("accessType");
      const only = type === "admin" ? data.adminGroups : type === "site-admin" ? data.siteAdminGroups : null;
      const groups = data.groups.filter((g) => !only || only.includes(g.id)).map(({ id, name }) => ({ id, name }));
      return reply(200, v1Page(groups, url, 200));
    }
    const members = /^\/wiki\/rest\/api\/group\/([^/]+)\/membersByGroupId$/.exec(path);
    if (members) {
      const group = data.groups.find((g) => g.id === decodeURIComponent(members[1] ?? ""));
      if (!group) return reply(404, { statusCode: 404, message: "No group found" });
      if (Number(url.searchParams.get("limit")) > 200) return reply(400, { message: "Limit must not exceed 200" });
      return reply(
        200,
        v1Page(
          group.members.map((accountId) => ({ type: "known", accountId })),
          url,
          200,
        ),
      );
    }
    if (path === "/wiki/rest/api/space") {
      const expand = url.searchParams.get("expand") === "permissions";
      const spaces = data.spaces.map((s) => ({
        id: Number(s.id),
        key: s.key,
        name: s.name,
        type: s.type === "personal" ? "personal" : "global",
        status: s.status,
        ...(expand ? { permissions: v1Permissions(s) } : {}),
      }));
      return reply(200, v1Page(spaces, url, 250));
    }
    if (path === "/wiki/api/v2/spaces") {
      const spaces = data.spaces.map(({ id, key, name, type, status, authorId }) => ({
        id,
        key,
        name,
        type,
        status,
        authorId,
      }));
      return reply(200, v2Page(spaces, url));
    }
    const space = /^\/wiki\/api\/v2\/spaces\/(\d+)(\/permissions|\/role-assignments)?$/.exec(path);
    if (space) {
      const s = data.spaces.find((x) => x.id === space[1]);
      if (!s) return reply(404, { errors: [{ status: 404, code: "NOT_FOUND", title: "Not Found" }] });
      if (space[2] === "/permissions") return reply(200, v2Page(v2Permissions(s), url));
      if (space[2] === "/role-assignments") return reply(200, v2Page(v2Assignments(s), url));
      const body: Record<string, unknown> = { id: s.id, key: s.key, name: s.name };
      if (url.searchParams.get("include-permissions") === "true") body.permissions = embedded(v2Permissions(s));
      if (url.searchParams.get("include-role-assignments") === "true") {
        body.roleAssignments = embedded(v2Assignments(s));
      }
      return reply(200, body);
    }
    if (path === "/wiki/api/v2/space-roles") return reply(200, v2Page(data.roles, url));
    if (path === "/wiki/api/v2/users-bulk" && req.method === "POST") {
      const ids = (JSON.parse(req.body ?? "{}") as { accountIds: string[] }).accountIds;
      if (ids.length < 1 || ids.length > 250) return reply(400, { errors: [{ title: "1 to 250 account ids" }] });
      const results = ids.flatMap((accountId) =>
        data.users.has(accountId)
          ? [
              {
                accountId,
                accountType: accountId.startsWith("app") ? "app" : "atlassian",
                accountStatus: "active",
                email: data.users.get(accountId),
                publicName: accountId,
                displayName: `User ${accountId}`,
                isExternalCollaborator: accountId.startsWith("ext"),
              },
            ]
          : [],
      );
      return reply(200, { results, _links: { base: `${ORIGIN}/wiki` } });
    }
    return reply(404, { message: `unexpected ${req.method} ${path}` });
  };
}

/** A site with 3 groups (one of 450 members), 3 spaces (one with 120 grants and 60 role assignments), 453 users referenced. */
function site(roleMode = "ROLES_TRANSITION"): FakeConfluence {
  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const big = ids("u", 450);
  const users = new Map<string, string>();
  for (const id of [...big, ...ids("ext", 3), "app0"]) users.set(id, id === "u1" ? "" : `${id}@example.com`);
  const roleGrants = roleMode === "PRE_ROLES" ? [] : [{ type: "role" as const, id: "r1", op: "read:space" }];
  return {
    roleMode,
    groups: [
      { id: "g-big", name: "everyone", members: big },
      { id: "g-admins", name: "confluence-admins", members: ["u0", "u1"] },
      { id: "g-empty", name: "empty", members: [] },
    ],
    adminGroups: ["g-admins"],
    siteAdminGroups: ["g-admins"],
    roles: roleMode === "PRE_ROLES" ? [] : [{ id: "r1", name: "Viewer" }],
    users,
    spaces: [
      {
        id: "101",
        key: "BIG",
        name: "Big space",
        type: "global",
        status: "current",
        authorId: "u0",
        grants: [
          ...ids("u", 118).map((id) => ({ type: "user" as const, id, op: "read:space" })),
          { type: "group", id: "g-admins", op: "administer:space" },
          ...roleGrants,
        ],
        roleAssignments:
          roleMode === "PRE_ROLES"
            ? []
            : ids("u", 60).map((id) => ({ principalType: "USER", principalId: id, roleId: "r1" })),
      },
      {
        id: "102",
        key: "PUB",
        name: "Public",
        type: "knowledge_base",
        status: "current",
        authorId: "ext0",
        grants: [
          { type: "anonymous", op: "read:space" },
          { type: "unlicensed", op: "read:space" },
          { type: "unlicensed", op: "create:comment" },
          { type: "user", id: "ext1", op: "read:space" },
          { type: "group", id: "g-big", op: "read:space" },
        ],
        roleAssignments:
          roleMode === "PRE_ROLES" ? [] : [{ principalType: "GROUP", principalId: "g-big", roleId: "r1" }],
      },
      {
        id: "103",
        key: "~app0",
        name: "App",
        type: "personal",
        status: "archived",
        authorId: "app0",
        grants: [{ type: "user", id: "app0", op: "administer:space" }],
        roleAssignments: [],
      },
    ],
  };
}

/** The counts the fake site implies, for the call lower bound. */
function countsOf(data: FakeConfluence, users: number): ConfluenceEntityCounts {
  return {
    groups: data.groups.length,
    groupsMembers: data.groups.map((g) => g.members.length),
    adminGroups: data.adminGroups.length,
    siteAdminGroups: data.siteAdminGroups.length,
    spaces: data.spaces.length,
    roleMode: data.roleMode,
    roles: data.roles.length,
    spacesAccess: data.spaces.map((s) => ({
      permissions: s.grants.filter((g) => ["user", "group", "role"].includes(g.type)).length,
      roleAssignments: s.roleAssignments.length,
    })),
    users,
  };
}

function confluenceTransport(send: ReturnType<typeof scriptedSend>) {
  return testTransport(send, undefined, { product: "confluence" }).transport;
}

async function run(data: FakeConfluence, override?: Parameters<typeof fakeConfluence>[1]) {
  const send = scriptedSend([fakeConfluence(data, override)]);
  const events: ProgressEvent[] = [];
  const result = await readConfluence({ transport: confluenceTransport(send), progress: (e) => events.push(e) });
  const endpoints = send.requests.map((r) => {
    const u = new URL(r.url);
    return `${r.method} ${u.pathname}`;
  });
  return { result, requests: send.requests, endpoints, events };
}

const key = (r: object) => JSON.stringify(r);

// ---------------------------------------------------------------- tests

describe("readConfluence", () => {
  it("reads everything at the largest page sizes with exactly the minimum calls (role mode)", async () => {
    const data = site();
    const { result, requests, events } = await run(data);
    const s = result.section;
    expect(result.reasons).toEqual([]);

    expect(s.roleMode).toBe("ROLES_TRANSITION");
    expect(s.groups).toHaveLength(3);
    expect(s.adminGroupIds).toEqual(["g-admins"]);
    expect(s.siteAdminGroupIds).toEqual(["g-admins"]);
    expect(s.groupMembers).toHaveLength(452);
    expect(s.spaces.map((x) => [x.key, x.type, x.status, x.anonymousAccess, x.unlicensedAccess])).toEqual([
      ["BIG", "global", "current", false, false],
      ["PUB", "knowledge_base", "current", true, true],
      ["~app0", "personal", "archived", false, false],
    ]);
    // BIG: 118 users + 1 group + 1 role grant (embedded 50, then one continuation of 250).
    expect(s.spacePermissions.filter((p) => p.spaceId === "101")).toHaveLength(120);
    expect(s.spacePermissions).toContainEqual({
      spaceId: "101",
      principalType: "role",
      principalId: "r1",
      operation: "read:space",
    });
    expect(s.spacePermissions.filter((p) => p.spaceId === "102").map(key)).toEqual(
      expect.arrayContaining(
        [
          { spaceId: "102", principalType: "anonymous", principalId: null, operation: "read:space" },
          { spaceId: "102", principalType: "unlicensed", principalId: null, operation: "read:space" },
          { spaceId: "102", principalType: "unlicensed", principalId: null, operation: "create:comment" },
          { spaceId: "102", principalType: "user", principalId: "ext1", operation: "read:space" },
          { spaceId: "102", principalType: "group", principalId: "g-big", operation: "read:space" },
        ].map(key),
      ),
    );
    // No row twice although v1 and v2 both state the user and group grants.
    expect(new Set(s.spacePermissions.map(key)).size).toBe(s.spacePermissions.length);
    expect(s.roles).toEqual([{ id: "r1", name: "Viewer" }]);
    expect(s.roleAssignments).toHaveLength(61);
    expect(s.roleAssignments).toContainEqual({
      spaceId: "102",
      roleId: "r1",
      principalType: "group",
      principalId: "g-big",
    });

    // Users: every id seen (members, grantees, assignees, authors), resolved in chunks of 250.
    expect(s.users).toHaveLength(453);
    expect(s.users.find((u) => u.accountId === "u1")?.email).toBeNull();
    expect(s.users.find((u) => u.accountId === "ext1")).toMatchObject({ externalCollaborator: true });
    expect(s.users.find((u) => u.accountId === "app0")).toMatchObject({ accountType: "app" });
    const bulk = requests.filter((r) => r.url.endsWith("/users-bulk"));
    expect(bulk.map((r) => (JSON.parse(r.body ?? "{}") as { accountIds: string[] }).accountIds.length)).toEqual([
      250, 203,
    ]);

    expect(result.counts).toEqual({
      users: 453,
      groups: 3,
      groupMembers: 452,
      spaces: 3,
      spacePermissions: s.spacePermissions.length,
      roles: 1,
      roleAssignments: 61,
    });

    // The largest page every listing accepts.
    for (const r of requests) {
      const u = new URL(r.url);
      const limit = u.searchParams.get("limit");
      if (u.pathname.startsWith("/wiki/rest/api/group")) expect(limit).toBe("200");
      else if (limit !== null) expect(limit).toBe("250");
    }
    expect(requests.length).toBe(minimumConfluenceCalls(countsOf(data, 453)));
    expect(events.at(-1)).toMatchObject({ product: "confluence", phase: "users", done: 453, total: 453 });
  });

  it("PRE_ROLES: v1's listing states every grant; no space is read one by one", async () => {
    const data = site("PRE_ROLES");
    const { result, endpoints } = await run(data);
    expect(result.reasons).toEqual([]);
    expect(endpoints.some((e) => /\/wiki\/api\/v2\/spaces\/\d+/.test(e))).toBe(false);
    expect(endpoints.some((e) => e.endsWith("/space-roles"))).toBe(false);
    expect(result.section.roles).toEqual([]);
    expect(result.section.roleAssignments).toEqual([]);
    expect(result.section.spacePermissions).toHaveLength(118 + 1 + 5 + 1);
    expect(endpoints.length).toBe(minimumConfluenceCalls(countsOf(data, result.section.users.length)));
  });

  it("role mode: v2 is the source of user and group grants; v1 only adds anonymous and unlicensed rows", async () => {
    const data = site();
    // v2 knows a grant v1 cannot show (its group was renamed away from v1), and v1 a stale one v2 no longer has.
    const { result } = await run(data, (_req, url) => {
      if (url.pathname === "/wiki/rest/api/space") {
        const body = {
          results: [
            {
              id: 102,
              key: "PUB",
              permissions: [
                { operation: { operation: "read", targetType: "space" }, anonymousAccess: true },
                {
                  operation: { operation: "read", targetType: "space" },
                  subjects: { user: { results: [{ accountId: "stale" }] } },
                },
              ],
            },
            { id: 101, key: "BIG", permissions: [] },
            { id: 103, key: "~app0", permissions: [] },
          ],
          _links: { context: "/wiki" },
        };
        return reply(200, body);
      }
      return undefined;
    });
    const pub = result.section.spacePermissions.filter((p) => p.spaceId === "102");
    expect(pub.some((p) => p.principalId === "stale")).toBe(false);
    expect(pub.some((p) => p.principalType === "unlicensed")).toBe(false);
    expect(pub.filter((p) => p.principalType === "anonymous")).toHaveLength(1);
    expect(pub.some((p) => p.principalType === "group" && p.principalId === "g-big")).toBe(true);
  });

  it("a 403 or 404 on one space names it, keeps what v1 said about it, and keeps the other spaces", async () => {
    const data = site();
    const { result } = await run(data, (_req, url) =>
      url.pathname === "/wiki/api/v2/spaces/102" ? reply(404, { errors: [{ title: "Not Found" }] }) : undefined,
    );
    expect(result.reasons).toHaveLength(1);
    expect(result.reasons[0]).toMatch(/^space permissions: space Public \(PUB\) answered 404 Not Found/);
    const pub = result.section.spacePermissions.filter((p) => p.spaceId === "102");
    expect(pub).toHaveLength(5);
    expect(result.section.roleAssignments.some((a) => a.spaceId === "102")).toBe(false);
    expect(result.section.spacePermissions.filter((p) => p.spaceId === "101")).toHaveLength(120);
    expect(result.section.spaces).toHaveLength(3);

    const forbidden = await run(site(), (_req, url) =>
      url.pathname === "/wiki/api/v2/spaces/101" ? reply(403, { errors: [{ title: "Forbidden" }] }) : undefined,
    );
    expect(forbidden.result.reasons).toEqual([
      expect.stringMatching(/^space permissions: Confluence answered 403 Forbidden for space Big space \(BIG\)/),
    ]);
  });

  it("limited product user: members 403 once for all groups, and hidden emails, as reasons in plain words", async () => {
    const data = site();
    for (const id of data.users.keys()) data.users.set(id, "");
    const { result } = await run(data, (_req, url) =>
      url.pathname.endsWith("/membersByGroupId") ? reply(403, { message: "no permission to view users" }) : undefined,
    );
    expect(result.section.groupMembers).toEqual([]);
    expect(result.section.users.every((u) => u.email === null)).toBe(true);
    expect(result.reasons).toHaveLength(2);
    expect(result.reasons[0]).toMatch(
      /^group members: Confluence answered 403 Forbidden for 3 of 3 groups \(everyone, confluence-admins, empty\) — the product user lacks the "Browse users and groups" global permission/,
    );
    expect(result.reasons[1]).toMatch(/^user emails: Confluence returned no email address for \d+ of \d+ users/);
    for (const r of result.reasons) expect(r).toMatch(/run discovery again/);
  });

  it("the product user's own visible email does not hide that every other email is hidden", async () => {
    const data = site();
    for (const id of data.users.keys()) data.users.set(id, id === "u0" ? "me@example.com" : "");
    const { result } = await run(data);
    expect(result.reasons).toEqual([expect.stringMatching(/^user emails:/)]);
  });

  it("an unreadable role mode reads permissions per space through v2, without roles, and says so", async () => {
    const data = site();
    const { result, endpoints, requests } = await run(data, (_req, url) =>
      url.pathname.endsWith("/space-role-mode") ? reply(404, { errors: [{ title: "Not Found" }] }) : undefined,
    );
    expect(result.section.roleMode).toBeNull();
    expect(result.reasons).toEqual([
      expect.stringMatching(/^space roles: GET \/wiki\/api\/v2\/space-role-mode answered HTTP 404/),
    ]);
    expect(result.section.roles).toEqual([]);
    expect(result.section.roleAssignments).toEqual([]);
    expect(result.section.spacePermissions.some((p) => p.principalType === "role")).toBe(true);
    expect(endpoints.some((e) => e.endsWith("/space-roles"))).toBe(false);
    expect(requests.some((r) => r.url.includes("include-role-assignments"))).toBe(false);
  });

  it("a space the v1 listing lacks is read through v2 and its unknown anonymous access is said", async () => {
    const data = site("PRE_ROLES");
    const { result, endpoints } = await run(data, (_req, url) =>
      url.pathname === "/wiki/rest/api/space"
        ? reply(200, { results: [{ id: 101, key: "BIG", permissions: [] }], _links: { context: "/wiki" } })
        : undefined,
    );
    expect(endpoints.filter((e) => /\/wiki\/api\/v2\/spaces\/\d+$/.test(e))).toEqual([
      "GET /wiki/api/v2/spaces/102",
      "GET /wiki/api/v2/spaces/103",
    ]);
    expect(result.reasons).toEqual([
      expect.stringMatching(
        /^anonymous and unlicensed access: the v1 space listing did not include spaces Public \(PUB\), App \(~app0\)/,
      ),
    ]);
    expect(result.section.spacePermissions.filter((p) => p.spaceId === "102")).toHaveLength(2);
  });

  it("an embedded list with more but no cursor is read again from the start", async () => {
    const data = site();
    const { result } = await run(data, (_req, url) => {
      if (url.pathname !== "/wiki/api/v2/spaces/101") return undefined;
      return reply(200, {
        id: "101",
        key: "BIG",
        permissions: { results: [], meta: { hasMore: true } },
        roleAssignments: { results: [], meta: { hasMore: false } },
      });
    });
    expect(result.section.spacePermissions.filter((p) => p.spaceId === "101")).toHaveLength(120);
  });

  it("grants to principal types it does not know are reported, not dropped silently", async () => {
    const data = site();
    const { result } = await run(data, (_req, url) => {
      if (url.pathname !== "/wiki/api/v2/spaces/103") return undefined;
      return reply(200, {
        id: "103",
        key: "~app0",
        permissions: {
          results: [{ principal: { type: "team", id: "t1" }, operation: { key: "read", targetType: "space" } }],
          meta: { hasMore: false },
        },
        roleAssignments: {
          results: [{ principal: { principalType: "ACCESS_CLASS", principalId: "anonymous-users" }, roleId: "r1" }],
          meta: { hasMore: false },
        },
      });
    });
    expect(result.reasons).toEqual([expect.stringMatching(/left out \(1 to "team"\)/)]);
    expect(result.section.roleAssignments).toContainEqual({
      spaceId: "103",
      roleId: "r1",
      principalType: "access_class",
      principalId: "anonymous-users",
    });
  });

  it("other errors propagate: 401, 5xx, a schema mismatch, a missing identity", async () => {
    const fail = (path: string, res: RawResponse) => (_req: RawRequest, url: URL) =>
      url.pathname === path ? res : undefined;
    await expect(run(site(), fail("/wiki/api/v2/space-role-mode", reply(401, {})))).rejects.toBeInstanceOf(AuthError);
    await expect(run(site(), fail("/wiki/api/v2/spaces", reply(500, {})))).rejects.toBeInstanceOf(ServerError);
    await expect(
      run(site(), fail("/wiki/api/v2/spaces", reply(200, { results: [{ id: "1", name: "no key" }] }))),
    ).rejects.toBeInstanceOf(SchemaMismatchError);
    await expect(
      run(
        site(),
        fail("/wiki/rest/api/group", reply(200, { results: [{ id: "", name: "x" }], _links: { context: "/wiki" } })),
      ),
    ).rejects.toBeInstanceOf(MissingIdentityError);
  });

  it("users-bulk goes out as a read-only POST: a read-only transport would refuse any other", async () => {
    const send = scriptedSend([reply(200, {})]);
    const transport = confluenceTransport(send);
    await expect(
      transport.request({ method: "POST", path: "/wiki/api/v2/users-bulk", json: {}, endpoint: "x" }),
    ).rejects.toBeInstanceOf(WriteRefusedError);
    const { requests } = await run(site());
    expect(requests.filter((r) => r.method !== "GET").every((r) => r.url.endsWith("/wiki/api/v2/users-bulk"))).toBe(
      true,
    );
  });
});

describe("minimumConfluenceCalls", () => {
  const base: ConfluenceEntityCounts = {
    groups: 450,
    groupsMembers: [0, 200, 201, 1000],
    adminGroups: 1,
    siteAdminGroups: 2,
    spaces: 260,
    roleMode: "ROLES",
    roles: 4,
    spacesAccess: [
      { permissions: 50, roleAssignments: 0 },
      { permissions: 51, roleAssignments: 50 },
      { permissions: 300, roleAssignments: 301 },
      { permissions: 301, roleAssignments: 0 },
    ],
    users: 501,
  };

  it("counts every list at its largest page, and one call per space with embedded lists", () => {
    expect(confluenceCallBreakdown(base)).toEqual({
      "GET /wiki/api/v2/space-role-mode": 1,
      // 450 groups at 200, then one page each for the admin and site-admin filters.
      "GET /wiki/rest/api/group": 3 + 1 + 1,
      // An empty group still answers one page.
      "GET /wiki/rest/api/group/{groupId}/membersByGroupId": 1 + 1 + 2 + 5,
      "GET /wiki/api/v2/spaces": 2,
      "GET /wiki/rest/api/space": 2,
      "POST /wiki/api/v2/users-bulk": 3,
      "GET /wiki/api/v2/space-roles": 1,
      "GET /wiki/api/v2/spaces/{id}": 4,
      // Beyond the first 50: 0, 1, 1 (250 more), 2 (251 more).
      "GET /wiki/api/v2/spaces/{id}/permissions": 0 + 1 + 1 + 2,
      "GET /wiki/api/v2/spaces/{id}/role-assignments": 0 + 0 + 2 + 0,
    });
    expect(minimumConfluenceCalls(base)).toBe(1 + 5 + 9 + 2 + 2 + 3 + 1 + 4 + 4 + 2);
  });

  it("PRE_ROLES needs no per-space call and no roles", () => {
    const pre = confluenceCallBreakdown({ ...base, roleMode: "PRE_ROLES" });
    expect(Object.keys(pre).some((k) => k.includes("{id}") || k.includes("space-roles"))).toBe(false);
    expect(minimumConfluenceCalls({ ...base, roleMode: "PRE_ROLES" })).toBe(1 + 5 + 9 + 2 + 2 + 3);
  });

  it("an empty site still lists once per listing and resolves no user", () => {
    expect(
      minimumConfluenceCalls({
        groups: 0,
        groupsMembers: [],
        spaces: 0,
        roleMode: "PRE_ROLES",
        roles: 0,
        spacesAccess: [],
        users: 0,
      }),
    ).toBe(1 + 3 + 0 + 1 + 1 + 0);
  });

  it("follows other page caps when given", () => {
    const caps = { ...CONFLUENCE_PAGE_CAPS, groupMembers: 100 };
    expect(confluenceCallBreakdown(base, caps)["GET /wiki/rest/api/group/{groupId}/membersByGroupId"]).toBe(
      1 + 2 + 3 + 10,
    );
  });
});
