import { SchemaMismatchError, ServerError } from "@accessmap/shared/transport/errors";
import { reply, scriptedSend, testTransport } from "@accessmap/shared/transport/test-kit";
import type { RawRequest, RawResponse } from "@accessmap/shared/transport/transport";
import { describe, expect, it } from "vitest";
import { NoOrganizationError } from "./errors.js";
import {
  ADMIN_PAGE_CAPS,
  adminCallBreakdown,
  minimumAdminCalls,
  PRODUCT_ACCESS_GROUPS_ENDPOINT,
  readAdmin,
} from "./read-admin.js";

const BASE = "https://api.atlassian.com/admin";
const ORG = "org-1";
const JIRA_ARI = "ari:cloud:jira::site/c1";
const BB_ARI = "ari:cloud:bitbucket::workspace/w1";

type Route = (req: RawRequest, body: Record<string, unknown>) => RawResponse | undefined;

/** A `send` answering by method and path; anything unrouted is a test failure (404 with a marker). */
function routed(overrides: Record<string, Route> = {}) {
  const routes: Record<string, Route> = {
    [`GET /admin/v1/orgs/${ORG}`]: () => reply(200, { data: { id: ORG, type: "orgs", attributes: { name: "Acme" } } }),
    [`GET /admin/v2/orgs/${ORG}/directories`]: () =>
      reply(200, { data: [{ directoryId: "d1", name: "Okta" }], links: {} }),
    [`POST /admin/v2/orgs/${ORG}/directories/-/users/search`]: (_req, body) =>
      body.cursor === "u2"
        ? reply(200, {
            data: [
              {
                accountId: "a2",
                accountType: "atlassian",
                accountStatus: "active",
                status: "active",
                membershipStatus: "active",
                claimStatus: "unmanaged",
                name: "Ext",
                productAccess: [{ id: JIRA_ARI, key: "jira", lastActiveTimestamp: "2025-02-01T00:00:00Z" }],
                groups: [{ id: "ari:cloud:identity::group/g2" }],
              },
            ],
            links: { self: "u2" },
          })
        : reply(200, {
            data: [
              {
                accountId: "a1",
                accountType: "atlassian",
                accountStatus: "active",
                status: "active",
                membershipStatus: "active",
                claimStatus: "managed",
                name: "Ann",
                email: "ann@acme.io",
                platformRoles: ["atlassian/org-admin"],
                groups: [{ id: "ari:cloud:identity::group/g1" }, { id: "ari:cloud:identity::group/g2" }],
              },
            ],
            links: { self: "u1", next: "u2" },
          }),
    [`GET /admin/v1/orgs/${ORG}/users`]: (req) =>
      new URL(req.url).searchParams.get("cursor") === "p2"
        ? reply(200, {
            data: [{ account_id: "bot", account_type: "app", account_status: "active", name: "Bot", picture: "x" }],
            links: { self: req.url },
          })
        : reply(200, {
            data: [
              {
                account_id: "a1",
                account_type: "atlassian",
                account_status: "active",
                name: "Ann",
                picture: "x",
                access_billable: true,
                product_access: [{ key: "jira-software", name: "Jira", last_active: "2025-01-05T00:00:00Z" }],
                last_active: "2025-01-05T00:00:00Z",
              },
            ],
            links: { self: req.url, next: `${BASE}/v1/orgs/${ORG}/users?cursor=p2` },
          }),
    [`POST /admin/v2/orgs/${ORG}/directories/-/groups/search`]: (_req, body) =>
      // Filtered by a product's user role: only devs grants Jira.
      body.resourceIds
        ? reply(200, { data: [{ id: "g2", name: "devs" }], links: {} })
        : reply(200, {
            data: [
              { id: "g1", name: "admins", description: "Admins" },
              { id: "g2", name: "devs" },
            ],
            links: {},
          }),
    [`POST /admin/v2/orgs/${ORG}/workspaces`]: (_req, body) =>
      body.cursor === "w2"
        ? reply(200, {
            data: [
              { id: BB_ARI, attributes: { name: "acme", typeKey: "bitbucket", hostUrl: "https://bitbucket.org/acme" } },
            ],
            links: {},
          })
        : reply(200, {
            data: [
              {
                id: JIRA_ARI,
                attributes: { name: "Acme", typeKey: "jira-software", hostUrl: "https://acme.atlassian.net" },
              },
            ],
            links: { next: "w2" },
          }),
    ...overrides,
  };
  return scriptedSend([
    (req) => {
      const path = new URL(req.url).pathname;
      const body = req.body ? (JSON.parse(req.body) as Record<string, unknown>) : {};
      return routes[`${req.method} ${path}`]?.(req, body) ?? reply(418, { message: `unrouted ${req.method} ${path}` });
    },
  ]);
}

function transportFor(send: ReturnType<typeof routed>) {
  return testTransport(send, undefined, { product: "admin", baseUrl: BASE }).transport;
}

const forbidden = () => reply(403, { errors: [{ status: "403", code: "ADMIN-403", title: "Forbidden" }] });

describe("readAdmin", () => {
  it("reads every part with the fewest calls and merges v1 and v2 by accountId", async () => {
    const send = routed();
    const phases = new Set<string>();
    const r = await readAdmin({ transport: transportFor(send), progress: (e) => phases.add(e.phase) }, { orgId: ORG });
    expect(r.reasons).toEqual([]);
    expect(r.counts).toEqual({
      users: 3,
      groups: 2,
      groupMembers: 3,
      orgAdmins: 1,
      workspaces: 2,
      directories: 1,
      groupProductAccess: 1,
    });
    expect(r.section.groupProductAccess).toEqual([{ groupId: "g2", key: "jira-software" }]);
    const s = r.section;
    expect(s.org).toEqual({ id: ORG, name: "Acme" });
    expect(s.directories).toEqual([{ directoryId: "d1", name: "Okta" }]);
    expect(s.orgAdmins).toEqual(["a1"]);
    expect(s.groupMembers).toEqual([
      { groupId: "g1", accountId: "a1" },
      { groupId: "g2", accountId: "a1" },
      { groupId: "g2", accountId: "a2" },
    ]);
    expect(s.workspaces.map((w) => [w.type, w.url])).toEqual([
      ["jira-software", "https://acme.atlassian.net"],
      ["bitbucket", "https://bitbucket.org/acme"],
    ]);
    const byId = new Map(s.users.map((u) => [u.accountId, u]));
    expect(byId.get("a1")).toMatchObject({
      billable: true,
      claimStatus: "managed",
      status: "active",
      userType: "human",
    });
    expect(byId.get("a1")?.productAccess).toEqual([{ key: "jira-software", lastActive: "2025-01-05T00:00:00Z" }]);
    // Unmanaged: only v2 knows it; its product key is mapped through the workspace ARI.
    expect(byId.get("a2")).toMatchObject({
      billable: null,
      productAccess: [{ key: "jira-software", lastActive: "2025-02-01T00:00:00Z" }],
    });
    expect(byId.get("bot")).toMatchObject({ accountType: "app", userType: "service_account", status: null });
    expect(phases).toEqual(
      new Set([
        "organization",
        "directories",
        "users",
        "managed accounts",
        "groups",
        "workspaces",
        "product access groups",
      ]),
    );

    // 1 org + 1 directories + 2 users/search + 2 v1 users + 1 groups + 2 workspaces + 1 Jira access groups.
    expect(send.requests).toHaveLength(10);
    const bodies = send.requests
      .filter((q) => q.method === "POST")
      .map((q) => [new URL(q.url).pathname, JSON.parse(q.body ?? "{}")]);
    expect(bodies).toContainEqual([
      `/admin/v2/orgs/${ORG}/directories/-/users/search`,
      { limit: 100, expand: ["platformRoles", "productAccess", "groups"] },
    ]);
    expect(bodies).toContainEqual([
      `/admin/v2/orgs/${ORG}/directories/-/users/search`,
      { limit: 100, expand: ["platformRoles", "productAccess", "groups"], cursor: "u2" },
    ]);
    expect(bodies).toContainEqual([`/admin/v2/orgs/${ORG}/directories/-/groups/search`, { limit: 100 }]);
    // The workspaces operation takes a cursor alone.
    expect(bodies).toContainEqual([`/admin/v2/orgs/${ORG}/workspaces`, { limit: 1000 }]);
    expect(bodies).toContainEqual([`/admin/v2/orgs/${ORG}/workspaces`, { cursor: "w2" }]);
    const dirUrl = send.requests.find((q) => q.url.includes("/directories?"))?.url ?? "";
    expect(new URL(dirUrl).searchParams.get("limit")).toBe("100");
  });

  it("throws NoOrganizationError when the key does not see the org (scoped key, wrong orgId)", async () => {
    const notFound = routed({
      [`GET /admin/v1/orgs/${ORG}`]: () =>
        reply(404, { errors: [{ code: "ADMIN-404-2", title: "Organization not found" }] }),
    });
    await expect(readAdmin({ transport: transportFor(notFound) }, { orgId: ORG })).rejects.toBeInstanceOf(
      NoOrganizationError,
    );
    expect(notFound.requests).toHaveLength(1);

    const otherOrg = routed({ [`GET /admin/v1/orgs/${ORG}`]: () => reply(200, { data: { id: "org-2" } }) });
    await expect(readAdmin({ transport: transportFor(otherOrg) }, { orgId: ORG })).rejects.toBeInstanceOf(
      NoOrganizationError,
    );
  });

  it("marks the read partial on a 403 for workspaces, naming the missing scope, and keeps the rest", async () => {
    const send = routed({ [`POST /admin/v2/orgs/${ORG}/workspaces`]: forbidden });
    const r = await readAdmin({ transport: transportFor(send) }, { orgId: ORG });
    expect(r.reasons).toHaveLength(1);
    expect(r.reasons[0]).toMatch(/^workspaces: .*403.*read:workspaces:admin/);
    expect(r.section.workspaces).toEqual([]);
    expect(r.section.users).toHaveLength(3);
    // Without workspaces, v2's own product key stands.
    expect(r.section.users.find((u) => u.accountId === "a2")?.productAccess[0]?.key).toBe("jira");
  });

  it("a 403 on v1 users keeps the v2 users with billable unknown, and says which scope is missing", async () => {
    const send = routed({ [`GET /admin/v1/orgs/${ORG}/users`]: forbidden });
    const r = await readAdmin({ transport: transportFor(send) }, { orgId: ORG });
    expect(r.reasons).toEqual([expect.stringMatching(/^managed accounts: .*read:accounts:admin.*billable/)]);
    expect(r.section.users.map((u) => [u.accountId, u.billable])).toEqual([
      ["a1", null],
      ["a2", null],
    ]);
  });

  it("a 403 on v2 users still lists managed accounts from v1, without memberships or org admins", async () => {
    const send = routed({ [`POST /admin/v2/orgs/${ORG}/directories/-/users/search`]: forbidden });
    const r = await readAdmin({ transport: transportFor(send) }, { orgId: ORG });
    expect(r.reasons).toEqual([
      expect.stringMatching(/^users: .*read:directories:admin.*group memberships and org admins/),
    ]);
    expect(r.section.users.map((u) => u.accountId)).toEqual(["a1", "bot"]);
    expect(r.section.groupMembers).toEqual([]);
    expect(r.section.orgAdmins).toEqual([]);
  });

  it("fails on an error that is not a refusal, and stops the other parts", async () => {
    const send = routed({
      [`GET /admin/v2/orgs/${ORG}/directories`]: () => reply(500, { errors: [{ title: "boom" }] }),
    });
    await expect(readAdmin({ transport: transportFor(send) }, { orgId: ORG })).rejects.toBeInstanceOf(ServerError);
    expect(send.requests.length).toBeLessThan(9);
  });

  it("fails on a user without an accountId", async () => {
    const send = routed({
      [`POST /admin/v2/orgs/${ORG}/directories/-/users/search`]: () =>
        reply(200, { data: [{ name: "nobody" }], links: {} }),
    });
    await expect(readAdmin({ transport: transportFor(send) }, { orgId: ORG })).rejects.toBeInstanceOf(
      SchemaMismatchError,
    );
  });
});

describe("minimumAdminCalls", () => {
  it("counts every listing at its largest page, at least one call each", () => {
    const counts = { directories: 1, users: 2001, managedAccounts: 1870, groups: 150, workspaces: 3 };
    expect(adminCallBreakdown(counts)).toEqual({
      "GET /v1/orgs/{orgId}": 1,
      "GET /v2/orgs/{orgId}/directories": 1,
      "POST /v2/orgs/{orgId}/directories/-/users/search": 21,
      "GET /v1/orgs/{orgId}/users": 19,
      "POST /v2/orgs/{orgId}/directories/-/groups/search": 2,
      "POST /v2/orgs/{orgId}/workspaces": 1,
      [PRODUCT_ACCESS_GROUPS_ENDPOINT]: 0,
    });
    expect(minimumAdminCalls(counts)).toBe(45);
    expect(minimumAdminCalls({ ...counts, productAccessGroups: [3, 150] })).toBe(45 + 1 + 2);
    expect(minimumAdminCalls({ directories: 0, users: 0, managedAccounts: 0, groups: 0, workspaces: 0 })).toBe(6);
    expect(minimumAdminCalls(counts, { ...ADMIN_PAGE_CAPS, managedAccounts: 50 })).toBe(45 - 19 + 38);
  });
});
