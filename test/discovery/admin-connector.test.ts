/**
 * The Admin connector against the in-process simulator: everything the org holds is read (compared as sets with the
 * tenant), with exactly the call lower bound, no write, a scoped key explained as "no organization", and a refused
 * part reported as partial with its scope.
 */
import { NoOrganizationError } from "@accessmap/backend/connectors/admin/errors";
import { minimumAdminCalls, readAdmin } from "@accessmap/backend/connectors/admin/read-admin";
import type { CallEvent } from "@accessmap/shared/transport/transport";
import { describe, expect, it } from "vitest";
import { makeTestSim, type TestSim } from "../atlassian-sim/testing.js";
import { simTransport } from "../support/sim-transport.js";

const sorted = <T>(xs: Iterable<T>) => [...xs].map((x) => JSON.stringify(x)).sort();

/** What the tenant says the Admin API should show. */
function expected(t: TestSim) {
  const state = t.sim.state;
  const tenant = state.tenant;
  // v2 lists Atlassian accounts (directory members, and managed accounts in none); v1 lists managed accounts.
  const listed = tenant.accounts.filter((a) => a.accountType === "atlassian" || a.managed);
  const v2Visible = new Set(tenant.accounts.filter((a) => a.accountType === "atlassian").map((a) => a.accountId));
  const workspaces: Array<{ name: string; type: string; url: string }> = tenant.sites.flatMap((s) =>
    s.products.map((p) => ({ name: s.name, type: p, url: `https://${s.host}` })),
  );
  const ws = tenant.bitbucket.workspace;
  workspaces.push({ name: ws.name, type: "bitbucket", url: `https://bitbucket.org/${ws.slug}` });
  // Groups holding a product's user role: the Jira application role's groups, and Confluence's access groups.
  const jiraGroups = tenant.jira.applicationRoles.find((r) => r.key === "jira-software")?.groups ?? [];
  const confluenceGroups = state.confluenceAccessGroupIds();
  const groupProductAccess = [
    ...jiraGroups.map((groupId) => ({ groupId, key: "jira-software" })),
    ...confluenceGroups.map((groupId) => ({ groupId, key: "confluence" })),
  ];
  return {
    users: listed.map((a) => ({
      accountId: a.accountId,
      accountType: a.accountType,
      accountStatus: a.status,
      userType: a.accountType === "app" ? "service_account" : "human",
      billable: a.managed ? a.billable : null,
      claimStatus: a.managed ? "managed" : "unmanaged",
      suspended: a.suspended,
      products: a.products
        .filter((p) => state.hasProduct(a, p.key))
        .map((p) => p.key)
        .sort(),
    })),
    groups: tenant.groups.map((g) => ({ groupId: g.groupId, name: g.name, description: g.description || null })),
    // App and customer accounts live in no directory, so Admin v2 shows no membership of theirs.
    groupMembers: tenant.groups.flatMap((g) =>
      g.members.filter((m) => v2Visible.has(m)).map((accountId) => ({ groupId: g.groupId, accountId })),
    ),
    orgAdmins: tenant.orgAdmins,
    workspaces,
    directories: tenant.directories.map((d) => ({ directoryId: d.directoryId, name: d.name })),
    groupProductAccess,
    calls: minimumAdminCalls({
      directories: tenant.directories.length,
      users: v2Visible.size,
      managedAccounts: tenant.accounts.filter((a) => a.managed).length,
      groups: tenant.groups.length,
      workspaces: workspaces.length,
      productAccessGroups: [jiraGroups.length, confluenceGroups.length],
    }),
  };
}

function counting(t: TestSim, overrides: Parameters<typeof simTransport>[2] = {}) {
  const calls: CallEvent[] = [];
  const transport = simTransport(t, "admin", { onCall: (e) => calls.push(e), ...overrides });
  return { transport, calls };
}

describe.each([
  ["S", 3],
  ["M", 3],
] as const)("Admin connector on a %s tenant", (size, seed) => {
  it("reads the whole org with the fewest calls and sends no write", async () => {
    const t = makeTestSim(size, seed);
    const want = expected(t);
    const { transport, calls } = counting(t);
    const r = await readAdmin({ transport }, { orgId: t.sim.state.tenant.org.id });
    const s = r.section;

    expect(r.reasons).toEqual([]);
    expect(s.org).toEqual(t.sim.state.tenant.org);
    expect(sorted(s.directories)).toEqual(sorted(want.directories));
    expect(sorted(s.groups)).toEqual(sorted(want.groups));
    expect(sorted(s.groupMembers)).toEqual(sorted(want.groupMembers));
    expect(sorted(s.orgAdmins)).toEqual(sorted(want.orgAdmins));
    expect(sorted(s.groupProductAccess ?? [])).toEqual(sorted(want.groupProductAccess));
    expect(sorted(s.workspaces.map(({ name, type, url }) => ({ name, type, url })))).toEqual(sorted(want.workspaces));
    expect(
      sorted(
        s.users.map((u) => ({
          accountId: u.accountId,
          accountType: u.accountType,
          accountStatus: u.accountStatus,
          userType: u.userType,
          billable: u.billable,
          claimStatus: u.claimStatus,
          suspended: u.status === "suspended",
          products: u.productAccess.map((p) => p.key).sort(),
        })),
      ),
    ).toEqual(sorted(want.users));
    expect(r.counts).toEqual({
      users: want.users.length,
      groups: want.groups.length,
      groupMembers: want.groupMembers.length,
      orgAdmins: want.orgAdmins.length,
      workspaces: want.workspaces.length,
      directories: want.directories.length,
      groupProductAccess: want.groupProductAccess.length,
    });

    expect(calls.filter((c) => c.attempt === 1)).toHaveLength(want.calls);
    expect(calls.every((c) => c.status === 200)).toBe(true);
    expect(t.sim.log.writeCount()).toBe(0);
  });
});

describe("Admin connector refusals", () => {
  it("a scoped key sees no organization: NoOrganizationError, after one call", async () => {
    const t = makeTestSim("S", 3);
    const creds = t.sim.state.tenant.credentials;
    const { transport, calls } = counting(t, { authorization: () => `Bearer ${creds.scopedAdminApiKey}` });
    await expect(readAdmin({ transport }, { orgId: t.sim.state.tenant.org.id })).rejects.toBeInstanceOf(
      NoOrganizationError,
    );
    expect(calls).toHaveLength(1);
  });

  it("an orgId the key does not see is no organization either", async () => {
    const t = makeTestSim("S", 3);
    await expect(
      readAdmin({ transport: simTransport(t, "admin") }, { orgId: "00000000-0000-0000-0000-000000000000" }),
    ).rejects.toBeInstanceOf(NoOrganizationError);
  });

  it("a 403 on workspaces marks the read partial, names the scope, and keeps everything else", async () => {
    const t = makeTestSim("S", 3);
    t.sim.faults.rules = [{ api: "admin", route: "/admin/v2/orgs/:orgId/workspaces", kind: "status", status: 403 }];
    const r = await readAdmin({ transport: simTransport(t, "admin") }, { orgId: t.sim.state.tenant.org.id });
    expect(r.reasons).toEqual([expect.stringMatching(/^workspaces: .*403.*read:workspaces:admin/)]);
    expect(r.section.workspaces).toEqual([]);
    expect(r.section.users.length).toBe(expected(t).users.length);
    expect(t.sim.log.writeCount()).toBe(0);
  });
});
