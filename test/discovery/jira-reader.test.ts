/**
 * The Jira reader against the in-process simulator: what it reads, compared as sets of tuples with the simulator's
 * tenant (the ground truth), the calls it makes against the benchmark's lower bound, the read-only guarantee, and
 * the partial reads of a limited product user and of a project deleted mid-run.
 *
 * Expected rows apply Jira's own visibility rules to the tenant: `active` is "active and not suspended", a closed
 * account shows as "Former user" without an email, an email shows only when the profile allows it and the caller
 * holds Browse users and groups, and a grant to a deleted group is gone with the group.
 */
import { type JiraEntityCounts, minimumJiraCalls, readJira } from "@accessmap/shared/readers/jira/read-jira";
import type { JiraSection } from "@accessmap/shared/snapshot/schema";
import type { RawRequest } from "@accessmap/shared/transport/transport";
import { describe, expect, it } from "vitest";
import type { SimAccount, SimTenant } from "../atlassian-sim/tenant/model.js";
import { makeTestSim, type TestSim } from "../atlassian-sim/testing.js";
import { simSend, simTransport } from "../support/sim-transport.js";

const CONDITIONAL = new Set(["reporter", "assignee", "userCustomField", "groupCustomField", "sd.customer.portal.only"]);

const set = (rows: readonly unknown[]) => new Set(rows.map((r) => JSON.stringify(r)));
/** Rows as a set of canonical tuples: order-free, duplicates visible through the length check. */
function expectSameSet<T>(actual: readonly T[], expected: readonly T[], tuple: (row: T) => unknown[]) {
  expect(set(actual.map(tuple))).toEqual(set(expected.map(tuple)));
  expect(actual).toHaveLength(set(actual.map(tuple)).size);
}

function isActive(a: SimAccount) {
  return a.status === "active" && !a.suspended;
}

/** The Jira section the tenant implies for a caller with (or without) Browse users and groups. */
function expectedSection(tenant: SimTenant, browseUsers = true): JiraSection {
  const groupsById = new Map(tenant.groups.map((g) => [g.groupId, g]));
  const accountIds = new Set(tenant.accounts.map((a) => a.accountId));
  const existing = (ids: readonly string[]) => ids.filter((id) => groupsById.has(id));
  const groupsByName = new Map(tenant.groups.map((g) => [g.name.toLowerCase(), g]));
  return {
    users: tenant.accounts.map((a) => ({
      accountId: a.accountId,
      accountType: a.accountType,
      active: isActive(a),
      displayName: a.status === "closed" ? "Former user" : a.displayName,
      email: browseUsers && a.emailVisible && a.status !== "closed" ? a.email : null,
      appType: a.accountType === "app" ? a.appType : null,
    })),
    groups: tenant.groups.map((g) => ({ groupId: g.groupId, name: g.name })),
    groupMembers: tenant.groups.flatMap((g) =>
      g.members.filter((id) => accountIds.has(id)).map((accountId) => ({ groupId: g.groupId, accountId })),
    ),
    adminGroupIds: existing(tenant.jira.adminGroups),
    siteAdminGroupIds: existing(tenant.jira.siteAdminGroups),
    projects: tenant.jira.projects.map((p) => ({
      id: p.id,
      key: p.key,
      name: p.name,
      projectTypeKey: p.projectTypeKey,
      style: p.style,
      archived: p.archived,
      leadAccountId: p.leadAccountId,
      permissionSchemeId: String(p.permissionSchemeId),
    })),
    roles: tenant.jira.roles.map((r) => ({ id: String(r.id), name: r.name })),
    roleActors: tenant.jira.projects.flatMap((p) =>
      tenant.jira.roles.flatMap((r) => {
        const actors = p.roleActors[String(r.id)] ?? { users: [], groups: [] };
        const base = { projectId: p.id, roleId: String(r.id), roleName: `${p.name} - ${r.name}` };
        return [
          ...existing(actors.groups).map((groupId) => ({
            ...base,
            actorType: "group" as const,
            accountId: null,
            groupId,
          })),
          ...actors.users
            .filter((id) => accountIds.has(id))
            .map((accountId) => ({ ...base, actorType: "user" as const, accountId, groupId: null })),
        ];
      }),
    ),
    permissionSchemes: tenant.jira.permissionSchemes.map((s) => ({ id: String(s.id), name: s.name })),
    grants: tenant.jira.permissionSchemes.flatMap((s) =>
      s.grants.flatMap((g) => {
        const h = g.holder;
        let parameter: string | null = h.parameter ?? h.value ?? null;
        let value: string | null = h.value ?? h.parameter ?? null;
        if (h.type === "group" && (h.value || h.parameter)) {
          const group = h.value ? groupsById.get(h.value) : groupsByName.get((h.parameter ?? "").toLowerCase());
          if (!group) return [];
          parameter = group.name;
          value = group.groupId;
        }
        return [
          {
            schemeId: String(s.id),
            grantId: String(g.id),
            permission: g.permission,
            holderType: h.type,
            parameter,
            value,
            conditional: CONDITIONAL.has(h.type),
          },
        ];
      }),
    ),
    applicationRoles: tenant.jira.applicationRoles.map((r) => ({
      key: r.key,
      name: r.name,
      groupIds: existing(r.groups),
      defaultGroupIds: existing(r.defaultGroups),
    })),
  };
}

/** Every part of the section compared as a set with the tenant's. */
function expectSection(actual: JiraSection, expected: JiraSection) {
  expectSameSet(actual.users, expected.users, (u) => [
    u.accountId,
    u.accountType,
    u.active,
    u.displayName,
    u.email,
    u.appType,
  ]);
  expectSameSet(actual.groups, expected.groups, (g) => [g.groupId, g.name]);
  expectSameSet(actual.groupMembers, expected.groupMembers, (m) => [m.groupId, m.accountId]);
  expect(new Set(actual.adminGroupIds)).toEqual(new Set(expected.adminGroupIds));
  expect(new Set(actual.siteAdminGroupIds)).toEqual(new Set(expected.siteAdminGroupIds));
  expectSameSet(actual.projects, expected.projects, (p) => [
    p.id,
    p.key,
    p.name,
    p.projectTypeKey,
    p.style,
    p.archived,
    p.leadAccountId,
    p.permissionSchemeId,
  ]);
  expectSameSet(actual.roles, expected.roles, (r) => [r.id, r.name]);
  expectSameSet(actual.roleActors, expected.roleActors, (a) => [
    a.projectId,
    a.roleId,
    a.roleName,
    a.actorType,
    a.accountId,
    a.groupId,
  ]);
  expectSameSet(actual.permissionSchemes, expected.permissionSchemes, (s) => [s.id, s.name]);
  expectSameSet(actual.grants, expected.grants, (g) => [
    g.schemeId,
    g.grantId,
    g.permission,
    g.holderType,
    g.parameter,
    g.value,
    g.conditional,
  ]);
  expectSameSet(actual.applicationRoles, expected.applicationRoles, (r) => [
    r.key,
    r.name,
    [...r.groupIds].sort(),
    [...r.defaultGroupIds].sort(),
  ]);
}

/** The tenant's shape, as the call lower bound needs it. */
function tenantCounts(tenant: SimTenant): JiraEntityCounts {
  return {
    users: tenant.accounts.length,
    groups: tenant.groups.length,
    groupsMembers: tenant.groups.map((g) => g.members.length),
    projects: tenant.jira.projects.length,
    rolesPerProject: tenant.jira.projects.map(() => tenant.jira.roles.length),
    adminGroups: tenant.jira.adminGroups.length,
    siteAdminGroups: tenant.jira.siteAdminGroups.length,
  };
}

describe.each([
  ["S", 3],
  ["M", 3],
] as const)("Jira reader on a %s tenant (seed %i)", (size, seed) => {
  let t: TestSim;
  let result: Awaited<ReturnType<typeof readJira>>;

  it("reads the tenant's Jira data completely, as sets", async () => {
    t = makeTestSim(size, seed);
    result = await readJira({ transport: simTransport(t, "jira") });
    expect(result.reasons).toEqual([]);
    expectSection(result.section, expectedSection(t.sim.state.tenant));
  });

  it("covers what the tenant holds: archived and team-managed projects, conditional and empty holders", () => {
    const s = result.section;
    expect(s.users.some((u) => !u.active)).toBe(true);
    expect(s.users.some((u) => u.accountType === "app")).toBe(true);
    expect(s.users.some((u) => u.email === null)).toBe(true);
    expect(s.projects.some((p) => p.archived)).toBe(true);
    expect(s.projects.some((p) => p.style === "next-gen")).toBe(true);
    expect(s.adminGroupIds.length).toBeGreaterThan(0);
    expect(s.siteAdminGroupIds.length).toBeGreaterThan(0);
    const conditional = new Set(s.grants.filter((g) => g.conditional).map((g) => g.holderType));
    expect(conditional).toEqual(
      new Set(["reporter", "assignee", "userCustomField", "groupCustomField", "sd.customer.portal.only"]),
    );
    expect(s.grants.some((g) => g.holderType === "group" && g.parameter === null && g.value === null)).toBe(true);
    expect(s.applicationRoles.every((r) => r.groupIds.length > 0)).toBe(true);
    expect(result.counts).toEqual({
      users: s.users.length,
      groups: s.groups.length,
      groupMembers: s.groupMembers.length,
      projects: s.projects.length,
      roleActors: s.roleActors.length,
      permissionSchemes: s.permissionSchemes.length,
      grants: s.grants.length,
      applicationRoles: s.applicationRoles.length,
    });
  });

  it("sends no write, and no more calls than the benchmark's lower bound", () => {
    expect(t.sim.log.writeCount()).toBe(0);
    expect(t.sim.log.total("jira")).toBe(minimumJiraCalls(tenantCounts(t.sim.state.tenant)));
  });
});

describe("Jira reader, partial reads", () => {
  it("as the limited product user: keeps users and projects, says it lacks Browse users and groups", async () => {
    const t = makeTestSim("S", 3);
    const result = await readJira({ transport: simTransport(t, "jira", { limited: true }) });
    const s = result.section;
    const tenant = t.sim.state.tenant;

    expect(s.groupMembers).toEqual([]);
    expectSameSet(s.users, expectedSection(tenant, false).users, (u) => [u.accountId, u.active, u.email]);
    expect(s.users.every((u) => u.email === null)).toBe(true);
    // Jira's group listing needs the same permission as group members (spec: GET /group/bulk), so the groups go too.
    expect(s.groups).toEqual([]);
    expect(s.projects.length).toBeGreaterThan(0);
    expect(s.grants.length).toBeGreaterThan(0);

    const reasons = result.reasons.join("\n");
    expect(reasons).toMatch(/"Browse users and groups" global permission/);
    expect(reasons).toMatch(/Settings → System → Global permissions/);
    expect(reasons).toMatch(/^user emails: Jira returned no email address/m);
    expect(reasons).toMatch(/^application roles: .*"Administer Jira"/m);
    expect(t.sim.log.writeCount()).toBe(0);
  });

  it("names a project deleted mid-run and keeps the rest", async () => {
    const t = makeTestSim("S", 3);
    const projects = t.sim.state.tenant.jira.projects;
    const victim = projects.find((p) => !p.archived) ?? projects[0];
    if (!victim) throw new Error("the tenant has no Jira project");
    const before = expectedSection(t.sim.state.tenant);
    // Delete the project as soon as the reader asks for its roles: the listing has already named it.
    const send = simSend(t);
    const deleting = async (req: RawRequest) => {
      if (new URL(req.url).pathname.endsWith(`/project/${victim.id}/role`)) {
        const i = projects.indexOf(victim);
        if (i >= 0) projects.splice(i, 1);
      }
      return send(req);
    };
    const result = await readJira({ transport: simTransport(t, "jira", { send: deleting }) });

    expect(result.reasons).toHaveLength(2);
    expect(result.reasons[0]).toContain(`project roles of ${victim.name} (${victim.key}): Jira answered 404`);
    expect(result.reasons[1]).toContain(`permission scheme of ${victim.name} (${victim.key}): Jira answered 404`);
    const s = result.section;
    expect(s.roleActors.some((a) => a.projectId === victim.id)).toBe(false);
    expectSameSet(
      s.roleActors,
      before.roleActors.filter((a) => a.projectId !== victim.id),
      (a) => [a.projectId, a.roleId, a.accountId, a.groupId],
    );
    expect(s.projects.find((p) => p.id === victim.id)?.permissionSchemeId).toBeNull();
    expectSameSet(
      s.projects.filter((p) => p.id !== victim.id),
      before.projects.filter((p) => p.id !== victim.id),
      (p) => [p.id, p.permissionSchemeId, p.leadAccountId],
    );
    expectSameSet(s.users, before.users, (u) => [u.accountId, u.email]);
    expectSameSet(s.groupMembers, before.groupMembers, (m) => [m.groupId, m.accountId]);
  });
});
