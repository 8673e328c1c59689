/**
 * The Confluence reader against the in-process simulator: the section equals the tenant's Confluence data (as
 * sets), with the fewest calls, no write, and partial results in plain words when the product user may not read
 * everything.
 */
import {
  type ConfluenceEntityCounts,
  confluenceCallBreakdown,
  minimumConfluenceCalls,
  readConfluence,
} from "@accessmap/shared/readers/confluence/read-confluence";
import type { ConfluenceSection } from "@accessmap/shared/snapshot/schema";
import { ServerError } from "@accessmap/shared/transport/errors";
import type { CallEvent } from "@accessmap/shared/transport/transport";
import { describe, expect, it } from "vitest";
import { makeTestSim, type TestSim } from "../atlassian-sim/testing.js";
import { simTransport } from "../support/sim-transport.js";

/** Rows as a set of canonical strings, so order and duplicates do not matter. */
function asSet<T>(rows: readonly T[]): Set<string> {
  return new Set(
    rows.map((r) =>
      JSON.stringify(
        Object.fromEntries(Object.entries(r as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))),
      ),
    ),
  );
}

/** The tenant's Confluence data, in the shape of the section, as the given product user may see it. */
function expectedSection(t: TestSim, caller: "productUser" | "limitedProductUser" = "productUser"): ConfluenceSection {
  const { tenant, accountsById } = t.sim.state;
  const conf = tenant.confluence;
  const callerId = tenant.credentials[caller].accountId;
  const browseUsers = caller === "productUser";
  const groupMembers = tenant.groups.flatMap((g) => g.members.map((accountId) => ({ groupId: g.groupId, accountId })));
  const spacePermissions = conf.spaces.flatMap((s) =>
    s.permissions.map((p) => ({
      spaceId: s.id,
      principalType: p.principal.type,
      principalId: "id" in p.principal ? p.principal.id : null,
      operation: `${p.operation.key}:${p.operation.targetType}`,
    })),
  );
  const roleAssignments = conf.spaces.flatMap((s) =>
    s.roleAssignments.map((a) => ({
      spaceId: s.id,
      roleId: a.roleId,
      principalType: a.principal.type.toLowerCase() as "user" | "group",
      principalId: a.principal.id,
    })),
  );
  const ids = new Set<string>([
    ...groupMembers.map((m) => m.accountId),
    ...spacePermissions.flatMap((p) => (p.principalType === "user" && p.principalId ? [p.principalId] : [])),
    ...roleAssignments.flatMap((a) => (a.principalType === "user" ? [a.principalId] : [])),
    ...conf.spaces.map((s) => s.authorAccountId),
  ]);
  const users = [...ids].flatMap((id) => {
    const a = accountsById.get(id);
    if (!a) return [];
    const visible = a.accountId === callerId || (a.emailVisible && browseUsers);
    return [
      {
        accountId: a.accountId,
        accountType: a.accountType,
        accountStatus: a.status,
        displayName: a.displayName,
        email: visible ? a.email : null,
        externalCollaborator: a.externalCollaborator,
      },
    ];
  });
  return {
    users,
    groups: tenant.groups.map((g) => ({ groupId: g.groupId, name: g.name })),
    groupMembers,
    adminGroupIds: [...conf.adminGroups],
    siteAdminGroupIds: [...conf.siteAdminGroups],
    spaces: conf.spaces.map((s) => ({
      id: s.id,
      key: s.key,
      name: s.name,
      type: s.type,
      status: s.status,
      anonymousAccess: s.permissions.some((p) => p.principal.type === "anonymous"),
      unlicensedAccess: s.permissions.some((p) => p.principal.type === "unlicensed"),
    })),
    spacePermissions,
    roleMode: conf.roleMode,
    roles: conf.roleMode === "PRE_ROLES" ? [] : conf.roles.map((r) => ({ id: r.id, name: r.name })),
    roleAssignments: conf.roleMode === "PRE_ROLES" ? [] : roleAssignments,
  };
}

/** The call-count inputs of the tenant, for `minimumConfluenceCalls`. */
function entityCounts(t: TestSim, expected: ConfluenceSection): ConfluenceEntityCounts {
  const { tenant } = t.sim.state;
  const conf = tenant.confluence;
  return {
    groups: tenant.groups.length,
    groupsMembers: tenant.groups.map((g) => g.members.length),
    adminGroups: conf.adminGroups.length,
    siteAdminGroups: conf.siteAdminGroups.length,
    spaces: conf.spaces.length,
    roleMode: conf.roleMode,
    roles: conf.roles.length,
    spacesAccess: conf.spaces.map((s) => ({
      // v2 states user, group and role grants only.
      permissions: s.permissions.filter((p) => ["user", "group", "role"].includes(p.principal.type)).length,
      roleAssignments: s.roleAssignments.length,
    })),
    users: expected.users.length,
  };
}

function expectSameSection(actual: ConfluenceSection, expected: ConfluenceSection): void {
  for (const key of Object.keys(expected) as Array<keyof ConfluenceSection>) {
    const a = actual[key];
    const e = expected[key];
    if (Array.isArray(e)) expect(asSet(a as unknown[]), key).toEqual(asSet(e as unknown[]));
    else expect(a, key).toEqual(e);
  }
}

async function read(t: TestSim, opts: { limited?: boolean } = {}) {
  const calls: CallEvent[] = [];
  const transport = simTransport(t, "confluence", { limited: opts.limited, onCall: (e) => calls.push(e) });
  const phases = new Set<string>();
  const result = await readConfluence({ transport, progress: (e) => phases.add(e.phase) });
  return { result, calls, phases };
}

/** Turns the tenant into a site without space roles, as a `PRE_ROLES` site would be. */
function withoutRoles(t: TestSim): void {
  const conf = t.sim.state.tenant.confluence;
  conf.roleMode = "PRE_ROLES";
  for (const s of conf.spaces) {
    s.roleAssignments = [];
    s.permissions = s.permissions.filter((p) => p.principal.type !== "role");
  }
}

describe("Confluence reader against the simulator", () => {
  for (const size of ["S", "M"] as const) {
    it(`${size}: reads the tenant's Confluence data completely, with the fewest calls and no write`, async () => {
      const t = makeTestSim(size, 3);
      const { result, calls, phases } = await read(t);
      const expected = expectedSection(t);

      expect(result.reasons).toEqual([]);
      expectSameSection(result.section, expected);
      // What the tenant must exercise for the comparison to mean something.
      const { spaces } = result.section;
      expect(spaces.some((s) => s.status === "archived")).toBe(true);
      expect(spaces.some((s) => s.type === "personal")).toBe(true);
      expect(spaces.some((s) => s.anonymousAccess)).toBe(true);
      expect(spaces.some((s) => s.unlicensedAccess)).toBe(true);
      expect(result.section.roleAssignments.length).toBeGreaterThan(0);
      expect(result.section.spacePermissions.some((p) => p.principalType === "role")).toBe(true);
      expect(result.section.users.some((u) => u.email === null)).toBe(true);
      expect(result.section.users.some((u) => u.externalCollaborator)).toBe(true);

      expect(result.counts).toEqual({
        users: expected.users.length,
        groups: expected.groups.length,
        groupMembers: expected.groupMembers.length,
        spaces: expected.spaces.length,
        spacePermissions: expected.spacePermissions.length,
        roles: expected.roles.length,
        roleAssignments: expected.roleAssignments.length,
      });

      // Fewest calls: what the reader sent equals the lower bound, endpoint by endpoint.
      const byEndpoint: Record<string, number> = {};
      for (const c of calls) byEndpoint[c.endpoint] = (byEndpoint[c.endpoint] ?? 0) + 1;
      const bound = confluenceCallBreakdown(entityCounts(t, expected));
      expect(byEndpoint).toEqual(Object.fromEntries(Object.entries(bound).filter(([, n]) => n > 0)));
      expect(calls.length).toBe(minimumConfluenceCalls(entityCounts(t, expected)));
      expect(t.sim.log.total("confluence")).toBe(calls.length);

      expect(phases).toEqual(new Set(["groups", "group members", "spaces", "space permissions", "users"]));
    });
  }

  it("sends no write: the log counts none (users-bulk is a read-only POST)", async () => {
    const t = makeTestSim("S", 3);
    await read(t);
    const posts = t.sim.log.entries().filter((e) => e.method === "POST");
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.every((e) => e.route === "/wiki/api/v2/users-bulk")).toBe(true);
    expect(t.sim.log.writeCount()).toBe(0);
  });

  it("PRE_ROLES: v1 states every grant, so no space is read one by one", async () => {
    const t = makeTestSim("M", 3);
    withoutRoles(t);
    const { result, calls } = await read(t);
    const expected = expectedSection(t);
    expect(result.reasons).toEqual([]);
    expectSameSection(result.section, expected);
    expect(result.section.roleMode).toBe("PRE_ROLES");
    expect(calls.some((c) => c.endpoint.startsWith("GET /wiki/api/v2/spaces/{id}"))).toBe(false);
    expect(calls.length).toBe(minimumConfluenceCalls(entityCounts(t, expected)));
    expect(t.sim.log.writeCount()).toBe(0);
  });

  it("limited product user: null emails and hidden group members are reasons in plain words", async () => {
    const t = makeTestSim("S", 3);
    const { result } = await read(t, { limited: true });
    const users = result.section.users;
    expect(users.length).toBeGreaterThan(0);
    const limitedId = t.sim.state.tenant.credentials.limitedProductUser.accountId;
    expect(users.filter((u) => u.accountId !== limitedId).every((u) => u.email === null)).toBe(true);
    expect(result.section.groupMembers).toEqual([]);
    const text = result.reasons.join("\n");
    expect(text).toMatch(/user emails: Confluence returned no email address/);
    expect(text).toMatch(/group members: Confluence answered 403 Forbidden for \d+ of \d+ groups/);
    expect(text).toMatch(/Browse users and groups/);
    expect(text).toMatch(/run discovery again/);
    // What it could read is still there and correct.
    const expected = expectedSection(t, "limitedProductUser");
    const seen = asSet(expected.groups);
    for (const g of asSet(result.section.groups)) expect(seen.has(g)).toBe(true);
  });

  it("a 403 on one space's permissions marks partial naming that space and keeps the rest", async () => {
    const t = makeTestSim("S", 3);
    t.sim.faults.rules = [
      { api: "confluence", route: "/wiki/api/v2/spaces/:id", method: "GET", kind: "status", status: 403, times: 1 },
    ];
    const { result } = await read(t);
    expect(result.reasons).toHaveLength(1);
    const reason = result.reasons[0] ?? "";
    expect(reason).toMatch(/^space permissions: Confluence answered 403 Forbidden for space /);
    const spaces = t.sim.state.tenant.confluence.spaces;
    const failed = spaces.filter((s) => reason.includes(`(${s.key})`));
    expect(failed).toHaveLength(1);
    const failedId = failed[0]?.id;

    const expected = expectedSection(t);
    const others = <T extends { spaceId: string }>(rows: readonly T[]) => rows.filter((r) => r.spaceId !== failedId);
    expect(asSet(others(result.section.spacePermissions))).toEqual(asSet(others(expected.spacePermissions)));
    expect(asSet(others(result.section.roleAssignments))).toEqual(asSet(others(expected.roleAssignments)));
    // The failed space keeps what v1 states about it: its user, group, anonymous and unlicensed grants.
    const mine = result.section.spacePermissions.filter((p) => p.spaceId === failedId);
    const v1Rows = expected.spacePermissions.filter((p) => p.spaceId === failedId && p.principalType !== "role");
    expect(asSet(mine)).toEqual(asSet(v1Rows));
    expect(asSet(result.section.spaces)).toEqual(asSet(expected.spaces));
  });

  it("other errors propagate and fail the read", async () => {
    const t = makeTestSim("S", 3);
    t.sim.faults.rules = [{ api: "confluence", route: "/wiki/rest/api/group", kind: "status", status: 500 }];
    await expect(read(t)).rejects.toBeInstanceOf(ServerError);
  });
});
