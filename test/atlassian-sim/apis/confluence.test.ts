/**
 * Behaviour of the simulated Confluence Cloud APIs (v2 and v1): authentication, cursor and offset pagination with
 * clamping, filters, what a caller without Browse users sees, anonymous and unlicensed access (v1 only), and writes
 * that land in the shared state where the other APIs see them.
 */
import { describe, expect, it } from "vitest";
import type { ConfluenceSpace } from "../tenant/model.js";
import { makeTestSim, type TestSim } from "../testing.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Json = Record<string, any>;

async function json(res: Response): Promise<Json> {
  return (await res.json()) as Json;
}

/** Follows a v2 listing through `_links.next`, checking that the `Link` header announces the same page. */
async function walkV2(t: TestSim, first: string, opts: { limited?: boolean } = {}) {
  const items: Json[] = [];
  const pageSizes: number[] = [];
  let path: string | undefined = first;
  while (path) {
    const res = await t.site(path, opts);
    expect(res.status).toBe(200);
    const body = await json(res);
    items.push(...body.results);
    pageSizes.push(body.results.length);
    const link = res.headers.get("link");
    if (body._links.next) {
      expect(link).toContain(`<${body._links.next}>; rel="next"`);
      // `_links.next` is relative to the site: it starts with `/wiki`.
      path = body._links.next as string;
    } else {
      expect(link ?? "").not.toContain('rel="next"');
      path = undefined;
    }
  }
  return { items, pageSizes };
}

/** Follows a v1 listing through `_links.next` (relative to `_links.base`, which ends in `/wiki`). */
async function walkV1(t: TestSim, first: string, opts: { limited?: boolean } = {}) {
  const items: Json[] = [];
  const pageSizes: number[] = [];
  let path: string | undefined = first;
  while (path) {
    const res = await t.site(path, opts);
    expect(res.status).toBe(200);
    const body = await json(res);
    items.push(...body.results);
    pageSizes.push(body.size);
    expect(body.size).toBe(body.results.length);
    path = body._links.next ? `/wiki${body._links.next}` : undefined;
  }
  return { items, pageSizes };
}

/** Adds synthetic spaces so a walk needs more than one 250-item page. */
function addSpaces(t: TestSim, n: number): void {
  const spaces = t.sim.state.tenant.confluence.spaces;
  const author = t.sim.state.tenant.credentials.productUser.accountId;
  let id = Math.max(...spaces.map((s) => Number(s.id)));
  for (let i = 0; i < n; i++) {
    id += 3;
    spaces.push({
      id: String(id),
      key: `SYN${i}`,
      name: `Synthetic ${i}`,
      type: "global",
      status: "current",
      authorAccountId: author,
      createdAt: "2024-01-01T00:00:00.000Z",
      homepageId: String(900_000 + i),
      permissions: [
        {
          id: String(9_000_000 + i),
          principal: { type: "user", id: author },
          operation: { key: "read", targetType: "space" },
        },
      ],
      roleAssignments: [],
    });
  }
}

const conf = (t: TestSim) => t.sim.state.tenant.confluence;
const spaceWith = (t: TestSim, pred: (s: ConfluenceSpace) => boolean) => {
  const s = conf(t).spaces.find(pred);
  if (!s) throw new Error("the tenant has no such space");
  return s;
};

describe("Confluence authentication", () => {
  it("answers 401 in each API's own error shape", async () => {
    const t = makeTestSim("S", 3);
    const v2 = await t.fetch("/site/wiki/api/v2/spaces");
    expect(v2.status).toBe(401);
    expect((await json(v2)).errors[0]).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    const v1 = await t.fetch("/site/wiki/rest/api/group", { headers: { authorization: "Basic Zm9vOmJhcg==" } });
    expect(v1.status).toBe(401);
    expect(await json(v1)).toMatchObject({ statusCode: 401 });
  });
});

describe("Confluence v2 spaces", () => {
  it("walks every space exactly once with limit=1000 clamped to 250, via Link and _links.next", async () => {
    const t = makeTestSim("S", 3);
    addSpaces(t, 300);
    const { items, pageSizes } = await walkV2(t, "/wiki/api/v2/spaces?limit=1000");
    expect(pageSizes[0]).toBe(250);
    expect(pageSizes.every((n) => n <= 250)).toBe(true);
    const ids = items.map((s) => s.id as string);
    expect(new Set(ids).size).toBe(ids.length);
    const expected = conf(t)
      .spaces.map((s) => s.id)
      .sort((a, b) => Number(a) - Number(b));
    // Sorted by id ascending, as the spec says.
    expect(ids).toEqual(expected);
  });

  it("renders the spec's Space fields", async () => {
    const t = makeTestSim("S", 3);
    const space = conf(t).spaces[0]!;
    const body = await json(await t.site(`/wiki/api/v2/spaces/${space.id}`));
    expect(body).toMatchObject({
      id: space.id,
      key: space.key,
      name: space.name,
      type: space.type,
      status: space.status,
      authorId: space.authorAccountId,
      homepageId: space.homepageId,
      _links: { webui: `/spaces/${space.key}` },
    });
    expect(body._links.base).toMatch(/\/site\/wiki$/);
  });

  it("filters by keys, ids, type and status", async () => {
    const t = makeTestSim("S", 3);
    const spaces = conf(t).spaces;
    const [a, b] = spaces;
    const byKeys = await json(await t.site(`/wiki/api/v2/spaces?keys=${a!.key},${b!.key}`));
    expect(byKeys.results.map((s: Json) => s.key).sort()).toEqual([a!.key, b!.key].sort());
    const byIds = await json(await t.site(`/wiki/api/v2/spaces?ids=${a!.id}&ids=${b!.id}`));
    expect(byIds.results).toHaveLength(2);
    const personal = await walkV2(t, "/wiki/api/v2/spaces?type=personal&limit=1");
    expect(personal.items.length).toBe(spaces.filter((s) => s.type === "personal").length);
    expect(personal.items.every((s) => s.type === "personal")).toBe(true);
    const archived = await json(await t.site("/wiki/api/v2/spaces?status=archived"));
    expect(archived.results.length).toBe(spaces.filter((s) => s.status === "archived").length);
    const bad = await t.site("/wiki/api/v2/spaces?type=nonsense");
    expect(bad.status).toBe(400);
  });

  it("refuses a malformed or foreign cursor with a v2 400", async () => {
    const t = makeTestSim("S", 3);
    const bad = await t.site("/wiki/api/v2/spaces?cursor=not-a-cursor");
    expect(bad.status).toBe(400);
    expect((await json(bad)).errors[0]).toMatchObject({ status: 400, code: "INVALID_REQUEST_PARAMETER" });
    const space = spaceWith(t, (s) => s.permissions.length > 2);
    const page = await json(await t.site(`/wiki/api/v2/spaces/${space.id}/permissions?limit=1`));
    const cursor = new URL(page._links.next, "http://x").searchParams.get("cursor");
    expect((await t.site(`/wiki/api/v2/spaces?cursor=${cursor}`)).status).toBe(400);
  });

  it("answers 404 for an unknown space and for a space the caller cannot view", async () => {
    const t = makeTestSim("S", 3);
    const missing = await t.site("/wiki/api/v2/spaces/1");
    expect(missing.status).toBe(404);
    expect((await json(missing)).errors[0]).toMatchObject({ status: 404, code: "NOT_FOUND" });
    const limited = t.sim.state.tenant.credentials.limitedProductUser.accountId;
    const groups = new Set(t.sim.state.groupIdsOf(limited));
    const hidden = spaceWith(
      t,
      (s) =>
        !s.permissions.some(
          (p) =>
            p.operation.key === "read" &&
            (p.principal.type === "anonymous" ||
              (p.principal.type === "user" && p.principal.id === limited) ||
              (p.principal.type === "group" && groups.has(p.principal.id))),
        ),
    );
    expect((await t.site(`/wiki/api/v2/spaces/${hidden.id}`, { limited: true })).status).toBe(404);
    const visible = await walkV2(t, "/wiki/api/v2/spaces?limit=250", { limited: true });
    expect(visible.items.some((s) => s.id === hidden.id)).toBe(false);
    expect(visible.items.length).toBeLessThan(conf(t).spaces.length);
  });

  it("lists each space's permissions once per page walk, without anonymous or unlicensed grants", async () => {
    const t = makeTestSim("S", 3);
    for (const space of conf(t).spaces) {
      const { items } = await walkV2(t, `/wiki/api/v2/spaces/${space.id}/permissions?limit=7`);
      const expected = space.permissions.filter(
        (p) => p.principal.type !== "anonymous" && p.principal.type !== "unlicensed",
      );
      expect(items.map((p) => p.id)).toEqual(expected.map((p) => p.id));
      for (const p of items) expect(["user", "group", "role"]).toContain(p.principal.type);
    }
  });

  it("embeds at most 50 permissions and role assignments with include-*", async () => {
    const t = makeTestSim("S", 3);
    const space = spaceWith(t, (s) => s.roleAssignments.length > 0);
    const body = await json(
      await t.site(`/wiki/api/v2/spaces/${space.id}?include-permissions=true&include-role-assignments=true`),
    );
    const v2Count = space.permissions.filter(
      (p) => p.principal.type !== "anonymous" && p.principal.type !== "unlicensed",
    ).length;
    expect(body.permissions.results.length).toBe(Math.min(50, v2Count));
    expect(body.permissions.meta.hasMore).toBe(v2Count > 50);
    expect(body.permissions._links.self).toBe(`/wiki/api/v2/spaces/${space.id}/permissions`);
    expect(body.roleAssignments.results).toEqual(
      space.roleAssignments.map((a) => ({
        principal: { principalType: a.principal.type, principalId: a.principal.id },
        roleId: a.roleId,
      })),
    );
    if (body.permissions.meta.hasMore) {
      const rest = await t.site(`/wiki/api/v2/spaces/${space.id}/permissions?cursor=${body.permissions.meta.cursor}`);
      expect(rest.status).toBe(200);
    }
  });
});

describe("Confluence v2 space roles (EAP)", () => {
  it("serves roles, one role, the role mode and role assignments with filters", async () => {
    const t = makeTestSim("S", 3);
    const roles = await json(await t.site("/wiki/api/v2/space-roles"));
    expect(roles.results.map((r: Json) => r.id)).toEqual(conf(t).roles.map((r) => r.id));
    const role = conf(t).roles[0]!;
    const one = await json(await t.site(`/wiki/api/v2/space-roles/${role.id}`));
    expect(one).toMatchObject({ id: role.id, name: role.name, type: role.type, spacePermissions: role.operations });
    expect((await t.site("/wiki/api/v2/space-roles/does-not-exist")).status).toBe(404);
    const system = await json(await t.site("/wiki/api/v2/space-roles?role-type=CUSTOM"));
    expect(system.results.every((r: Json) => r.type === "CUSTOM")).toBe(true);
    expect(await json(await t.site("/wiki/api/v2/space-role-mode"))).toEqual({ mode: conf(t).roleMode });

    const space = spaceWith(t, (s) => s.roleAssignments.length > 1);
    const all = await walkV2(t, `/wiki/api/v2/spaces/${space.id}/role-assignments?limit=1`);
    expect(all.items).toHaveLength(space.roleAssignments.length);
    const a = space.roleAssignments[0]!;
    const filtered = await json(
      await t.site(
        `/wiki/api/v2/spaces/${space.id}/role-assignments?principal-type=${a.principal.type}&principal-id=${a.principal.id}`,
      ),
    );
    expect(filtered.results.every((r: Json) => r.principal.principalId === a.principal.id)).toBe(true);
    expect((await t.site(`/wiki/api/v2/spaces/${space.id}/role-assignments?principal-type=USER`)).status).toBe(400);
    const held = await json(
      await t.site(`/wiki/api/v2/space-roles?principal-type=${a.principal.type}&principal-id=${a.principal.id}`),
    );
    expect(held.results.map((r: Json) => r.id)).toContain(a.roleId);
  });

  it("lists a permission catalogue covering every operation the roles carry", async () => {
    const t = makeTestSim("S", 3);
    const { items } = await walkV2(t, "/wiki/api/v2/space-permissions?limit=4");
    const ids = new Set(items.map((p) => p.id));
    for (const role of conf(t).roles) for (const op of role.operations) expect(ids.has(op)).toBe(true);
  });
});

describe("Confluence v2 users-bulk", () => {
  it("returns known users in request order, caps the request at 250 ids and counts as a read", async () => {
    const t = makeTestSim("S", 3);
    const accounts = t.sim.state.tenant.accounts;
    const ids = accounts.slice(0, 5).map((a) => a.accountId);
    const res = await t.site("/wiki/api/v2/users-bulk", {
      method: "POST",
      body: JSON.stringify({ accountIds: [...ids, "unknown-account"] }),
    });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.results.map((u: Json) => u.accountId)).toEqual(ids);
    const a = accounts[0]!;
    expect(body.results[0]).toMatchObject({
      accountId: a.accountId,
      accountType: a.accountType,
      accountStatus: a.status,
      displayName: a.displayName,
      publicName: a.displayName,
      isExternalCollaborator: a.externalCollaborator,
    });

    const many = Array.from({ length: 251 }, (_, i) => `id-${i}`);
    const over = await t.site("/wiki/api/v2/users-bulk", {
      method: "POST",
      body: JSON.stringify({ accountIds: many }),
    });
    expect(over.status).toBe(400);
    expect((await json(over)).errors[0].status).toBe(400);
    const max = await t.site("/wiki/api/v2/users-bulk", {
      method: "POST",
      body: JSON.stringify({ accountIds: many.slice(0, 250) }),
    });
    expect(max.status).toBe(200);
    const empty = await t.site("/wiki/api/v2/users-bulk", { method: "POST", body: JSON.stringify({ accountIds: [] }) });
    expect(empty.status).toBe(400);
    expect(t.sim.log.writeCount()).toBe(0);
  });

  it("hides emails from a caller without Browse users, and hidden emails from everyone", async () => {
    const t = makeTestSim("S", 3);
    const accounts = t.sim.state.tenant.accounts;
    const { productUser, limitedProductUser } = t.sim.state.tenant.credentials;
    // Callers always see their own email, so neither caller is asked about.
    const callers = new Set([productUser.accountId, limitedProductUser.accountId]);
    const others = accounts.filter((a) => !callers.has(a.accountId) && a.accountType === "atlassian");
    const visible = others.find((a) => a.emailVisible && !a.externalCollaborator)!;
    const hidden = others.find((a) => !a.emailVisible && !a.externalCollaborator)!;
    const external = others.find((a) => a.externalCollaborator)!;
    const ask = async (limited: boolean) => {
      const res = await t.site("/wiki/api/v2/users-bulk", {
        method: "POST",
        limited,
        body: JSON.stringify({ accountIds: [visible.accountId, hidden.accountId, external.accountId] }),
      });
      const body = await json(res);
      return new Map<string, Json>(body.results.map((u: Json) => [u.accountId as string, u]));
    };
    const full = await ask(false);
    expect(full.get(visible.accountId)!.email).toBe(visible.email);
    expect(full.get(hidden.accountId)!.email).toBe("");
    expect(full.get(external.accountId)!.isExternalCollaborator).toBe(true);
    const limited = await ask(true);
    expect([...limited.values()].map((u) => u.email)).toEqual(["", "", ""]);
  });
});

describe("Confluence v1 groups", () => {
  it("lists groups alphabetically with start/limit paging, clamped at 200, and filters by accessType", async () => {
    const t = makeTestSim("S", 3);
    const { items } = await walkV1(t, "/wiki/rest/api/group?limit=3");
    const names = items.map((g) => g.name as string);
    expect(names).toEqual([...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    expect(names.length).toBe(t.sim.state.tenant.groups.length);
    expect(new Set(items.map((g) => g.id)).size).toBe(items.length);
    const clamped = await json(await t.site("/wiki/rest/api/group?limit=5000"));
    expect(clamped.limit).toBe(200);
    const admins = await json(await t.site("/wiki/rest/api/group?accessType=admin"));
    expect(admins.results.map((g: Json) => g.id)).toEqual(conf(t).adminGroups);
    const siteAdmins = await json(await t.site("/wiki/rest/api/group?accessType=site-admin"));
    expect(siteAdmins.results.map((g: Json) => g.id)).toEqual(conf(t).siteAdminGroups);
    const users = await json(await t.site("/wiki/rest/api/group?accessType=user"));
    expect(users.results.map((g: Json) => g.id)).toEqual(t.sim.state.confluenceAccessGroupIds());
  });

  it("pages group members, refuses limit > 200 and a caller without Browse users", async () => {
    const t = makeTestSim("S", 3);
    const group = [...t.sim.state.tenant.groups].sort((a, b) => b.members.length - a.members.length)[0]!;
    const { items, pageSizes } = await walkV1(t, `/wiki/rest/api/group/${group.groupId}/membersByGroupId?limit=7`);
    expect(items.map((u) => u.accountId)).toEqual(group.members);
    expect(pageSizes[0]).toBe(Math.min(7, group.members.length));
    expect(items.every((u) => u.type === "known")).toBe(true);
    const total = await json(
      await t.site(`/wiki/rest/api/group/${group.groupId}/membersByGroupId?limit=1&shouldReturnTotalSize=true`),
    );
    expect(total.totalSize).toBe(group.members.length);
    const tooMany = await t.site(`/wiki/rest/api/group/${group.groupId}/membersByGroupId?limit=201`);
    expect(tooMany.status).toBe(400);
    expect(await json(tooMany)).toMatchObject({ statusCode: 400 });
    const limited = await t.site(`/wiki/rest/api/group/${group.groupId}/membersByGroupId`, { limited: true });
    expect(limited.status).toBe(403);
    expect((await t.site("/wiki/rest/api/group/nope/membersByGroupId")).status).toBe(404);
  });

  it("adds and removes members through the shared state, visible to memberof and to every other API", async () => {
    const t = makeTestSim("S", 3);
    const state = t.sim.state;
    const group = state.tenant.groups.find((g) => g.source === "admin" && g.members.length > 0)!;
    const account = state.tenant.accounts.find((a) => a.status === "active" && !group.members.includes(a.accountId))!;
    const before = state.revision;
    const add = await t.site(`/wiki/rest/api/group/userByGroupId?groupId=${group.groupId}`, {
      method: "POST",
      body: JSON.stringify({ accountId: account.accountId }),
    });
    expect(add.status).toBe(201);
    expect(state.revision).toBeGreaterThan(before);
    // Jira, Admin and SCIM read memberships from the same index.
    expect(state.groupIdsOf(account.accountId)).toContain(group.groupId);
    const memberOf = await walkV1(t, `/wiki/rest/api/user/memberof?accountId=${account.accountId}`);
    expect(memberOf.items.map((g) => g.id)).toContain(group.groupId);

    const del = await t.site(
      `/wiki/rest/api/group/userByGroupId?groupId=${group.groupId}&accountId=${account.accountId}`,
      {
        method: "DELETE",
      },
    );
    expect(del.status).toBe(204);
    expect(state.groupIdsOf(account.accountId)).not.toContain(group.groupId);
    // Removing a non-member still answers 204.
    const again = await t.site(
      `/wiki/rest/api/group/userByGroupId?groupId=${group.groupId}&accountId=${account.accountId}`,
      {
        method: "DELETE",
      },
    );
    expect(again.status).toBe(204);
    expect(t.sim.log.writeCount()).toBe(3);
  });

  it("refuses membership writes from a non site admin, for unknown groups and for IdP-synced groups", async () => {
    const t = makeTestSim("S", 3);
    const state = t.sim.state;
    const group = state.tenant.groups.find((g) => g.source === "admin")!;
    const account = state.tenant.accounts[0]!;
    const body = JSON.stringify({ accountId: account.accountId });
    const limited = await t.site(`/wiki/rest/api/group/userByGroupId?groupId=${group.groupId}`, {
      method: "POST",
      body,
      limited: true,
    });
    expect(limited.status).toBe(403);
    const unknown = await t.site("/wiki/rest/api/group/userByGroupId?groupId=nope", { method: "POST", body });
    expect(unknown.status).toBe(404);
    const noBody = await t.site(`/wiki/rest/api/group/userByGroupId?groupId=${group.groupId}`, {
      method: "POST",
      body: JSON.stringify({}),
    });
    expect(noBody.status).toBe(400);
    const synced = state.tenant.groups.find((g) => g.source === "scim");
    if (synced) {
      const res = await t.site(`/wiki/rest/api/group/userByGroupId?groupId=${synced.groupId}`, {
        method: "POST",
        body,
      });
      expect(res.status).toBe(400);
      expect(state.groupIdsOf(account.accountId)).not.toContain(synced.groupId);
    }
  });
});

describe("Confluence v1 users", () => {
  it("gets a user and 404s an unknown one", async () => {
    const t = makeTestSim("S", 3);
    const a = t.sim.state.tenant.accounts.find((x) => x.emailVisible)!;
    const body = await json(await t.site(`/wiki/rest/api/user?accountId=${a.accountId}`));
    expect(body).toMatchObject({ type: "known", accountId: a.accountId, displayName: a.displayName, email: a.email });
    const limited = await json(await t.site(`/wiki/rest/api/user?accountId=${a.accountId}`, { limited: true }));
    expect(limited.email).toBe("");
    const self = t.sim.state.tenant.credentials.limitedProductUser;
    const own = await json(await t.site(`/wiki/rest/api/user?accountId=${self.accountId}`, { limited: true }));
    expect(own.email).toBe(self.email);
    const missing = await t.site("/wiki/rest/api/user?accountId=nobody");
    expect(missing.status).toBe(404);
    expect(await json(missing)).toMatchObject({ statusCode: 404 });
  });

  it("searches users with CQL, paged, and filters by site permission type", async () => {
    const t = makeTestSim("S", 3);
    const state = t.sim.state;
    const all = await walkV1(t, "/wiki/rest/api/search/user?cql=type=user&sitePermissionTypeFilter=all&limit=9");
    expect(all.items.map((r) => r.user.accountId)).toEqual(state.tenant.accounts.map((a) => a.accountId));
    expect(all.items[0]).toMatchObject({ entityType: "user", breadcrumbs: [] });

    const licensed = await walkV1(t, "/wiki/rest/api/search/user?cql=type%3Duser&limit=1000");
    const expected = state.tenant.accounts.filter((a) => !a.externalCollaborator && state.hasProduct(a, "confluence"));
    expect(licensed.items.map((r) => r.user.accountId)).toEqual(expected.map((a) => a.accountId));

    const guests = await json(
      await t.site("/wiki/rest/api/search/user?cql=type=user&sitePermissionTypeFilter=externalCollaborator&limit=1000"),
    );
    expect(guests.results.length).toBeGreaterThan(0);
    expect(guests.results.every((r: Json) => r.user.isExternalCollaborator === true)).toBe(true);

    const someone = state.tenant.accounts[4]!;
    const one = await json(
      await t.site(
        `/wiki/rest/api/search/user?sitePermissionTypeFilter=all&cql=${encodeURIComponent(`user.accountid="${someone.accountId}"`)}`,
      ),
    );
    expect(one.results.map((r: Json) => r.user.accountId)).toEqual([someone.accountId]);
    const first = someone.displayName.split(" ")[0]!.slice(0, 3);
    const byName = await json(
      await t.site(
        `/wiki/rest/api/search/user?sitePermissionTypeFilter=all&limit=1000&cql=${encodeURIComponent(`user.fullname~${first}`)}`,
      ),
    );
    expect(byName.results.map((r: Json) => r.user.accountId)).toContain(someone.accountId);
    expect((await t.site("/wiki/rest/api/search/user?cql=title%3Dfoo")).status).toBe(400);
  });

  it("answers user/current with the caller's global operations: admins administer the application", async () => {
    const t = makeTestSim("S", 3);
    const state = t.sim.state;
    const conf = state.tenant.confluence;
    const ops = (body: Json) => (body.operations as Json[]).map((o) => `${o.operation}:${o.targetType}`);
    const admin = (id: string) =>
      state.groupIdsOf(id).some((g) => [...conf.adminGroups, ...conf.siteAdminGroups].includes(g));

    // The integration user is a site admin.
    const self = await json(await t.site("/wiki/rest/api/user/current?expand=operations"));
    expect(self.accountId).toBe(state.tenant.credentials.productUser.accountId);
    expect(ops(self)).toContain("administer:application");
    // Without the expansion, operations stay expandable.
    const plain = await json(await t.site("/wiki/rest/api/user/current"));
    expect(plain.operations).toBeUndefined();
    expect(plain._expandable).toHaveProperty("operations");

    // Acting as users through the Forge-proxy stand-in: a member of confluence-admins, a plain licensed user.
    const active = state.tenant.accounts.filter((a) => a.status === "active" && !a.suspended);
    const confAdmin = active.find((a) => state.groupIdsOf(a.accountId).some((g) => conf.adminGroups.includes(g)))!;
    const plainUser = active.find(
      (a) => !admin(a.accountId) && state.hasProduct(a, "confluence") && !a.externalCollaborator,
    )!;
    const asAdmin = await json(await t.siteAs(confAdmin.accountId, "/wiki/rest/api/user/current?expand=operations"));
    expect(asAdmin.accountId).toBe(confAdmin.accountId);
    expect(ops(asAdmin)).toContain("administer:application");
    const asUser = await json(await t.siteAs(plainUser.accountId, "/wiki/rest/api/user/current?expand=operations"));
    expect(ops(asUser)).toEqual(["use:application", "create_space:application"]);

    // Someone without Confluence may not use it.
    const outsider = active.find((a) => !admin(a.accountId) && !state.hasProduct(a, "confluence"))!;
    expect((await t.siteAs(outsider.accountId, "/wiki/rest/api/user/current")).status).toBe(403);
  });

  it("accepts the Forge-proxy stand-in only with the simulator's token, and never for suspended accounts", async () => {
    const t = makeTestSim("S", 3);
    const someone = t.sim.state.tenant.accounts.find((a) => a.status === "active" && !a.suspended)!;
    const wrong = await t.site("/wiki/rest/api/user/current", {
      headers: { authorization: `SimForgeUser not-the-token ${someone.accountId}` },
    });
    expect(wrong.status).toBe(401);
    const token = t.sim.forgeUserProxyToken;
    t.sim.forgeUserProxyToken = null;
    const off = await t.fetch("/site/wiki/rest/api/user/current", {
      headers: { authorization: `SimForgeUser ${token} ${someone.accountId}` },
    });
    expect(off.status).toBe(401);
    t.sim.forgeUserProxyToken = token;
    const suspended = t.sim.state.tenant.accounts.find((a) => a.suspended);
    expect(suspended).toBeDefined();
    expect((await t.siteAs(suspended!.accountId, "/rest/api/3/myself")).status).toBe(401);
    expect((await t.siteAs(someone.accountId, "/wiki/rest/api/user/current")).status).not.toBe(401);
  });
});

describe("Confluence v1 spaces and space permissions", () => {
  it("shows anonymous and unlicensed access in v1 only", async () => {
    const t = makeTestSim("S", 3);
    const anon = spaceWith(t, (s) => s.permissions.some((p) => p.principal.type === "anonymous"));
    const unlic = spaceWith(t, (s) => s.permissions.some((p) => p.principal.type === "unlicensed"));
    for (const [space, flag] of [
      [anon, "anonymousAccess"],
      [unlic, "unlicensedAccess"],
    ] as const) {
      const v1 = await json(await t.site(`/wiki/rest/api/space/${space.key}?expand=permissions`));
      const flagged = v1.permissions.filter((p: Json) => p[flag] === true);
      expect(flagged.length).toBeGreaterThan(0);
      for (const p of flagged) expect(p.subjects).toBeUndefined();
      const v2 = await walkV2(t, `/wiki/api/v2/spaces/${space.id}/permissions?limit=250`);
      const v2Ids = new Set(v2.items.map((p) => p.id));
      for (const p of flagged) expect(v2Ids.has(String(p.id))).toBe(false);
    }
  });

  it("renders user and group subjects with required flags", async () => {
    const t = makeTestSim("S", 3);
    const space = spaceWith(t, (s) => s.permissions.some((p) => p.principal.type === "group"));
    const v1 = await json(await t.site(`/wiki/rest/api/space/${space.key}?expand=permissions`));
    expect(v1.id).toBe(Number(space.id));
    for (const p of v1.permissions) {
      expect(typeof p.anonymousAccess).toBe("boolean");
      expect(typeof p.unlicensedAccess).toBe("boolean");
    }
    const group = v1.permissions.find((p: Json) => p.subjects?.group);
    expect(group.subjects.group.results[0]).toMatchObject({ type: "group" });
    const plain = await json(await t.site(`/wiki/rest/api/space/${space.key}`));
    expect(plain.permissions).toBeUndefined();
    expect(plain._expandable.permissions).toBe("");
    expect((await t.site("/wiki/rest/api/space/NOPE")).status).toBe(404);
  });

  it("lists spaces by key with start/limit", async () => {
    const t = makeTestSim("S", 3);
    const { items } = await walkV1(t, "/wiki/rest/api/space?limit=1");
    expect(items.map((s) => s.key)).toEqual(
      conf(t)
        .spaces.map((s) => s.key)
        .sort(),
    );
    const personal = await json(await t.site("/wiki/rest/api/space?type=personal"));
    expect(personal.results.every((s: Json) => s.type === "personal")).toBe(true);
  });

  it("adds and removes space permissions, visible in v1 and v2", async () => {
    const t = makeTestSim("S", 3);
    const state = t.sim.state;
    const space = conf(t).spaces.find((s) => s.type !== "personal")!;
    const group = state.tenant.groups.find(
      (g) => !space.permissions.some((p) => p.principal.type === "group" && p.principal.id === g.groupId),
    )!;
    const post = (operation: Json) =>
      t.site(`/wiki/rest/api/space/${space.key}/permission`, {
        method: "POST",
        body: JSON.stringify({ subject: { type: "group", identifier: group.groupId }, operation }),
      });
    // Any permission other than read needs read first.
    expect((await post({ key: "create", target: "page" })).status).toBe(400);
    const read = await post({ key: "read", target: "space" });
    expect(read.status).toBe(200);
    const created = await json(read);
    expect(created).toMatchObject({
      subject: { type: "group", identifier: group.groupId },
      operation: { key: "read", target: "space" },
    });
    expect(typeof created.id).toBe("number");
    expect((await post({ key: "read", target: "space" })).status).toBe(400);
    expect((await post({ key: "create", target: "space" })).status).toBe(400);
    const page = await json(await post({ key: "create", target: "page" }));

    const v2 = await walkV2(t, `/wiki/api/v2/spaces/${space.id}/permissions?limit=250`);
    const mine = v2.items.filter((p) => p.principal.type === "group" && p.principal.id === group.groupId);
    expect(mine.map((p) => p.id)).toEqual([String(created.id), String(page.id)]);

    // Removing read removes all of the group's permissions in the space.
    const del = await t.site(`/wiki/rest/api/space/${space.key}/permission/${created.id}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect(space.permissions.some((p) => p.principal.type === "group" && p.principal.id === group.groupId)).toBe(false);
    expect(
      (await t.site(`/wiki/rest/api/space/${space.key}/permission/${created.id}`, { method: "DELETE" })).status,
    ).toBe(404);
  });

  it("grants anonymous access through the `anonymous` subject and keeps the last admin", async () => {
    const t = makeTestSim("S", 3);
    const space = spaceWith(
      t,
      (s) => s.type === "personal" && !s.permissions.some((p) => p.principal.type === "anonymous"),
    );
    const res = await t.site(`/wiki/rest/api/space/${space.key}/permission`, {
      method: "POST",
      body: JSON.stringify({
        subject: { type: "user", identifier: "anonymous" },
        operation: { key: "read", target: "space" },
      }),
    });
    expect(res.status).toBe(200);
    const v1 = await json(await t.site(`/wiki/rest/api/space/${space.key}?expand=permissions`));
    expect(v1.permissions.some((p: Json) => p.anonymousAccess === true)).toBe(true);
    const admins = space.permissions.filter((p) => p.operation.key === "administer");
    expect(admins).toHaveLength(1);
    const last = await t.site(`/wiki/rest/api/space/${space.key}/permission/${admins[0]!.id}`, { method: "DELETE" });
    expect(last.status).toBe(400);
    const limited = await t.site(`/wiki/rest/api/space/${space.key}/permission/${admins[0]!.id}`, {
      method: "DELETE",
      limited: true,
    });
    expect([403, 404]).toContain(limited.status);
  });
});
