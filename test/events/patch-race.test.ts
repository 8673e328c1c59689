/**
 * P6: an event patch racing a full-sync commit. No lost update: a patch whose base stopped being current re-bases
 * (re-reading the current state) or is dropped as superseded; a patch waits for a running sync instead of making
 * its commit fail.
 */
import { patchCurrent } from "@accessmap/backend/events/patch";
import { readSections } from "@accessmap/backend/events/processor";
import { loadTenantConfig } from "@accessmap/backend/service/tenant-config";
import { afterEach, describe, expect, it } from "vitest";
import { simSend } from "../support/sim-transport.js";
import { type EventsHarness, eventsHarness, RETRY, repoPayload } from "./helpers.js";

let h: EventsHarness;
afterEach(async () => {
  await h?.t.services.events.idle();
  await h?.t.close();
});

function upstreamChanges(h: EventsHarness) {
  const s = h.sim.sim.state;
  const group = s.tenant.groups.find((g) => g.source !== "scim")!;
  const account = s.tenant.accounts.find((a) => !group.members.includes(a.accountId))!;
  const bb = s.tenant.bitbucket;
  const repo = bb.repos.find((r) => bb.members.some((m) => !r.users.some((u) => u.accountId === m.accountId)))!;
  const member = bb.members.find((m) => !repo.users.some((u) => u.accountId === m.accountId))!;
  return {
    admin: () => s.addMember(group.groupId, account.accountId, "test"),
    adminSeen: (snap: Awaited<ReturnType<EventsHarness["currentSnapshot"]>>) =>
      snap.admin!.groupMembers.some((m) => m.groupId === group.groupId && m.accountId === account.accountId),
    bitbucket: () => s.bitbucketSetRepoPermission(repo.slug, { accountId: member.accountId }, "admin", "test"),
    bitbucketSeen: (snap: Awaited<ReturnType<EventsHarness["currentSnapshot"]>>) =>
      snap.bitbucket!.repositoryPermissions.some(
        (p) => p.repoSlug === repo.slug && p.principalId === member.accountId && p.permission === "admin",
      ),
    repo: repo.slug,
  };
}

describe("P6: event patch vs full sync", () => {
  it("a sync committing between the patch's base read and its commit: the patch re-bases, nothing is lost", async () => {
    h = await eventsHarness();
    const ch = upstreamChanges(h);
    const config = await loadTenantConfig(h.t.store, h.t.keyring, (await h.t.store.getTenant(h.tenantId))!);
    ch.admin(); // seen only by the full sync (the patch re-reads Bitbucket)
    let produced = 0;
    let syncVersion = 0;
    const result = await patchCurrent(h.t.store, h.tenantId, {
      produce: async () => {
        produced++;
        if (produced === 1) {
          // The scheduler's full sync commits while the patch is reading.
          syncVersion = await h.fullSync();
          ch.bitbucket();
        }
        return readSections(config, ["bitbucket"], { send: simSend(h.sim), retry: RETRY, schemaMode: "throw" });
      },
      note: "repo:updated",
      actor: "test",
      allowWithoutBase: false,
    });
    expect(result.outcome).toBe("committed");
    expect(result.rebased).toBe(1);
    expect(produced).toBe(2);
    const snap = await h.currentSnapshot();
    expect(ch.adminSeen(snap)).toBe(true); // the sync's update survived
    expect(ch.bitbucketSeen(snap)).toBe(true); // and so did the event's
    const list = await h.t.store.listSnapshots(h.tenantId, { limit: 10 });
    const superseded = list.find((s) => s.state === "failed" && s.reason?.startsWith("superseded"));
    expect(superseded).toBeDefined();
    expect(superseded!.version).toBeGreaterThan(syncVersion - 1);
    expect(result.record?.version).toBeGreaterThan(syncVersion);
  });

  it("a patch that keeps losing the race is dropped as superseded; the sync's model stays current", async () => {
    h = await eventsHarness();
    let syncVersion = 0;
    const result = await patchCurrent(h.t.store, h.tenantId, {
      produce: async () => {
        syncVersion = await h.fullSync();
        return { sections: { bitbucket: (await h.currentSnapshot()).bitbucket }, statuses: [] };
      },
      note: "repo:updated",
      actor: "test",
      allowWithoutBase: false,
      maxAttempts: 2,
    });
    expect(result.outcome).toBe("superseded");
    expect((await h.t.store.getCurrentPointer(h.tenantId))!.version).toBe(syncVersion);
  });

  it("a delivery arriving while a full sync runs waits for it, then patches on top: both commits land", async () => {
    h = await eventsHarness();
    const ch = upstreamChanges(h);
    ch.admin();
    const sync = h.fullSync();
    // The sync is running (its snapshot is `running`) when the event is processed.
    await new Promise((r) => setImmediate(r));
    ch.bitbucket();
    expect((await h.deliver(repoPayload(h.sim, ch.repo))).status).toBe(202);
    const syncVersion = await sync;
    await h.t.services.events.idle();
    const list = await h.t.store.listSnapshots(h.tenantId, { limit: 5 });
    expect(list.find((s) => s.version === syncVersion)?.state).toBe("superseded");
    expect(h.outcomes.at(-1)).toMatchObject({ outcome: "patched" });
    expect(h.outcomes.at(-1)!.version!).toBeGreaterThan(syncVersion);
    const snap = await h.currentSnapshot();
    expect(ch.adminSeen(snap)).toBe(true);
    expect(ch.bitbucketSeen(snap)).toBe(true);
  });
});
