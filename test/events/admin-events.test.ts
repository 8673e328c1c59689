/**
 * The Admin events-stream poller against the simulator: a membership change made upstream is polled, re-read and
 * patched into the model; the cursor persists, so a restarted poller re-processes nothing.
 */
import { ADMIN_EVENTS_CURSOR, AdminEventsPoller } from "@accessmap/backend/events/admin-events-poller";
import { createLogger } from "@accessmap/backend/security/logger";
import { afterEach, describe, expect, it } from "vitest";
import { simSend } from "../support/sim-transport.js";
import { type EventsHarness, eventsHarness, RETRY } from "./helpers.js";

let h: EventsHarness;
afterEach(async () => {
  await h?.t.services.events.idle();
  await h?.t.close();
});

const poller = (h: EventsHarness, largeChange?: number) =>
  new AdminEventsPoller({
    store: h.t.store,
    keyring: h.t.keyring,
    send: simSend(h.sim),
    events: h.t.services.events,
    logger: createLogger({ level: "error", write: () => undefined }),
    retry: RETRY,
    largeChange,
  });

/** A group (not IdP-synced) and an account not in it. */
function candidate(h: EventsHarness): { groupId: string; accountId: string } {
  const s = h.sim.sim.state;
  for (const g of s.tenant.groups.filter((x) => x.source !== "scim")) {
    const a = s.tenant.accounts.find((x) => !g.members.includes(x.accountId));
    if (a) return { groupId: g.groupId, accountId: a.accountId };
  }
  throw new Error("no candidate");
}

describe("Admin events-stream poller", () => {
  it("baselines, then turns a membership event into a targeted Admin re-read and a patch; resumes after a restart", async () => {
    h = await eventsHarness();
    const first = await poller(h).poll(h.tenantId);
    expect(first.state).toBe("baseline");
    expect(first.queued).toBe(0);
    expect((await h.t.store.getCursor(h.tenantId, ADMIN_EVENTS_CURSOR))?.value).toBe(first.cursor);

    const { groupId, accountId } = candidate(h);
    h.sim.sim.state.addMember(groupId, accountId, "test");
    const before = (await h.t.store.getCurrentPointer(h.tenantId))!.version;
    const has = (s: Awaited<ReturnType<EventsHarness["currentSnapshot"]>>) =>
      s.admin!.groupMembers.some((m) => m.groupId === groupId && m.accountId === accountId);
    expect(has(await h.currentSnapshot())).toBe(false);

    const second = await poller(h).poll(h.tenantId);
    expect(second).toMatchObject({ state: "ok", read: 1, queued: 1 });
    await h.t.services.events.idle();
    expect((await h.t.store.getCurrentPointer(h.tenantId))!.version).toBeGreaterThan(before);
    expect(has(await h.currentSnapshot())).toBe(true);
    expect(h.outcomes.at(-1)).toMatchObject({ outcome: "patched", sections: ["admin"] });

    // A new poller (a restart) resumes from the persisted cursor: nothing is re-processed.
    const outcomes = h.outcomes.length;
    const third = await poller(h).poll(h.tenantId);
    expect(third).toMatchObject({ state: "ok", read: 0, queued: 0 });
    await h.t.services.events.idle();
    expect(h.outcomes.length).toBe(outcomes);
  });

  it("asks for a full sync when one poll brings a large change", async () => {
    h = await eventsHarness();
    await poller(h).poll(h.tenantId);
    const s = h.sim.sim.state;
    const group = s.tenant.groups.find((g) => g.source !== "scim")!;
    const outsiders = s.tenant.accounts.filter((a) => !group.members.includes(a.accountId)).slice(0, 5);
    for (const a of outsiders) s.addMember(group.groupId, a.accountId, "test");
    const r = await poller(h, 3).poll(h.tenantId);
    expect(r.queued).toBe(1);
    await h.t.services.events.idle();
    expect(h.outcomes.at(-1)?.outcome).toBe("sync-requested");
    const jobs = await h.t.store.listJobs({ tenantId: h.tenantId });
    expect(jobs.some((j) => j.state === "queued")).toBe(true);
  });

  it("two pollers racing on one cursor: only one queues the events", async () => {
    h = await eventsHarness();
    await poller(h).poll(h.tenantId);
    const { groupId, accountId } = candidate(h);
    h.sim.sim.state.addMember(groupId, accountId, "test");
    const [a, b] = await Promise.all([poller(h).poll(h.tenantId), poller(h).poll(h.tenantId)]);
    expect([a.queued, b.queued].sort()).toEqual([0, 1]);
    expect([a.state, b.state].sort()).toEqual(["lost-race", "ok"]);
  });
});
