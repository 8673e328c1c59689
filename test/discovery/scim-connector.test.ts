/**
 * The SCIM connector against the in-process simulator, through the directory's full SCIM URL as users configure
 * it: every provisioned user (linked to its account) and group with its members, with the call lower bound and no
 * write.
 */
import { minimumScimCalls, readScim } from "@accessmap/backend/connectors/scim/read-scim";
import { NotFoundError } from "@accessmap/shared/transport/errors";
import type { CallEvent } from "@accessmap/shared/transport/transport";
import { describe, expect, it } from "vitest";
import { makeTestSim, type TestSim } from "../atlassian-sim/testing.js";
import { simBaseUrl, simTransport } from "../support/sim-transport.js";

const sorted = <T>(xs: Iterable<T>) => [...xs].map((x) => JSON.stringify(x)).sort();

function directoryTransport(t: TestSim, calls: CallEvent[] = []) {
  return simTransport(t, "scim", {
    baseUrl: `${simBaseUrl("scim")}/directory/${t.sim.state.tenant.scim.directoryId}`,
    onCall: (e) => calls.push(e),
  });
}

describe.each([
  ["S", 3],
  ["M", 3],
] as const)("SCIM connector on a %s tenant", (size, seed) => {
  it("reads every user and group of the directory with the fewest calls and sends no write", async () => {
    const t = makeTestSim(size, seed);
    const scim = t.sim.state.tenant.scim;
    const calls: CallEvent[] = [];
    const r = await readScim({ transport: directoryTransport(t, calls) });

    expect(r.reasons).toEqual([]);
    expect(r.section.directoryId).toBe(scim.directoryId);
    expect(
      sorted(r.section.users.map((u) => ({ scimId: u.scimId, accountId: u.accountId, active: u.active }))),
    ).toEqual(sorted(scim.users.map((u) => ({ scimId: u.id, accountId: u.accountId, active: u.active }))));
    const byId = new Map(scim.users.map((u) => [u.id, u]));
    for (const u of r.section.users) {
      const want = byId.get(u.scimId);
      expect([u.userName, u.email, u.externalId]).toEqual([want?.userName, want?.email, want?.externalId || null]);
    }
    expect(
      sorted(
        r.section.groups.map((g) => ({
          scimId: g.scimId,
          displayName: g.displayName,
          members: [...g.memberScimIds].sort(),
        })),
      ),
    ).toEqual(
      sorted(scim.groups.map((g) => ({ scimId: g.id, displayName: g.displayName, members: [...g.members].sort() }))),
    );
    expect(r.counts).toEqual({ users: scim.users.length, groups: scim.groups.length });

    expect(calls.filter((c) => c.attempt === 1)).toHaveLength(
      minimumScimCalls({ users: scim.users.length, groups: scim.groups.length }),
    );
    expect(t.sim.log.writeCount()).toBe(0);
  });
});

describe("SCIM connector edge cases", () => {
  it("a deactivated user is read as inactive; a deleted one is no longer listed", async () => {
    const t = makeTestSim("S", 3);
    const [first, second] = t.sim.state.tenant.scim.users;
    if (!first || !second) throw new Error("tenant has too few SCIM users");
    t.sim.state.scimUpdateUser(first.id, { active: false });
    t.sim.state.scimDeleteUser(second.id);
    const r = await readScim({ transport: directoryTransport(t) });
    expect(r.section.users.find((u) => u.scimId === first.id)?.active).toBe(false);
    expect(r.section.users.some((u) => u.scimId === second.id)).toBe(false);
  });

  it("a directory other than the key's fails the read rather than reading as empty", async () => {
    const t = makeTestSim("S", 3);
    const transport = simTransport(t, "scim", { baseUrl: `${simBaseUrl("scim")}/directory/not-mine` });
    await expect(readScim({ transport })).rejects.toBeInstanceOf(NotFoundError);
  });
});
