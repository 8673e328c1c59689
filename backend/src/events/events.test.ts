/** Unit tests of the event queue (bounded, per-tenant serial, coalescing, no loss) and of event normalization. */
import { describe, expect, it } from "vitest";
import { sectionOfAdminAction } from "./admin-events-poller.js";
import { parseBitbucketDelivery } from "./bitbucket.js";
import { assembleCrawl, forgeEventOf, sectionOfForgeEvent } from "./forge.js";
import { readPlan } from "./processor.js";
import { EventQueue } from "./queue.js";
import type { NormalizedEvent } from "./types.js";

const ev = (tenantId: string, i: number): NormalizedEvent => ({
  tenantId,
  source: "bitbucket-webhook",
  kind: "repo:updated",
  sections: ["bitbucket"],
  target: null,
  deliveryId: `d-${i}`,
  receivedAt: i,
});

describe("EventQueue", () => {
  it("is bounded, serial per tenant, coalesces waiting events, and loses none", async () => {
    const seen: string[] = [];
    let inFlight = new Map<string, number>();
    let maxPerTenant = 0;
    const batches: number[] = [];
    const q = new EventQueue({
      capacity: 50,
      process: async (tenantId, batch) => {
        inFlight.set(tenantId, (inFlight.get(tenantId) ?? 0) + 1);
        maxPerTenant = Math.max(maxPerTenant, inFlight.get(tenantId)!);
        batches.push(batch.length);
        await new Promise((r) => setTimeout(r, 5));
        for (const e of batch) seen.push(`${tenantId}:${e.deliveryId}`);
        inFlight.set(tenantId, inFlight.get(tenantId)! - 1);
      },
    });
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 80; i++) q.offer(ev(i % 2 === 0 ? "a" : "b", i)) ? accepted++ : refused++;
    expect(accepted).toBe(50);
    expect(refused).toBe(30);
    expect(q.reserve(1)).toBeNull();
    await q.idle();
    expect(seen).toHaveLength(50);
    expect(new Set(seen).size).toBe(50);
    expect(maxPerTenant).toBe(1);
    expect(batches.length).toBeLessThan(50);
    inFlight = new Map();
    // Reservations: a held place is never refused; released places free up.
    const place = q.reserve(2)!;
    expect(q.size).toBe(0);
    place.offer(ev("a", 100));
    place.release();
    await q.idle();
    expect(q.stats.processed).toBe(51);
  });

  it("a failing batch is reported and the tenant's next batch still runs", async () => {
    let calls = 0;
    const q = new EventQueue({
      process: async () => {
        calls++;
        if (calls === 1) throw new Error("boom");
      },
    });
    q.offer(ev("a", 1));
    await q.idle();
    q.offer(ev("a", 2));
    await q.idle();
    expect(calls).toBe(2);
    expect(q.stats.failedBatches).toBe(1);
  });
});

describe("normalization", () => {
  it("Bitbucket: routes by the signed payload and rejects a disagreeing X-Event-Key (W10)", () => {
    const body = JSON.stringify({ repository: { uuid: "{r1}" } });
    const ok = parseBitbucketDelivery("t", body, "repo:updated", "d", 0);
    expect(ok).toMatchObject({ ok: true, event: { sections: ["bitbucket"], target: "{r1}" } });
    expect(parseBitbucketDelivery("t", body, "pullrequest:created", "d", 0)).toMatchObject({
      ok: false,
      code: "event_key_mismatch",
    });
    expect(parseBitbucketDelivery("t", body, "repo:push", "d", 0)).toMatchObject({ ok: true, event: null });
    expect(parseBitbucketDelivery("t", "[1]", "repo:updated", "d", 0)).toMatchObject({ ok: false });
    expect(parseBitbucketDelivery("t", "{", "repo:updated", "d", 0)).toMatchObject({ ok: false });
    expect(parseBitbucketDelivery("t", body, undefined, "d", 0)).toMatchObject({ ok: false });
  });

  it("Forge and Admin events map to the section they invalidate", () => {
    expect(sectionOfForgeEvent("avi:confluence:permissions_updated:space:V2")).toBe("confluence");
    expect(sectionOfForgeEvent("avi:jira:updated:project")).toBe("jira");
    expect(sectionOfForgeEvent("avi:jira:created:user")).toBe("jira");
    expect(sectionOfForgeEvent("avi:jira:created:issue")).toBeNull();
    expect(sectionOfForgeEvent("nonsense")).toBeNull();
    expect(sectionOfAdminAction("user_added_to_group")).toBe("admin");
    expect(sectionOfAdminAction("space_permission_added")).toBe("confluence");
    expect(sectionOfAdminAction("permission_scheme_updated")).toBe("jira");
    expect(sectionOfAdminAction("bitbucket_repository_permission_updated")).toBe("bitbucket");
    expect(sectionOfAdminAction("api_key_created")).toBeNull();
  });

  it("names what to re-read: a repository (uuid, else full_name), a fork too, a project; Forge projects and spaces", () => {
    const body = JSON.stringify({ repository: { uuid: "{r1}" }, fork: { full_name: "ws/r2" } });
    expect(parseBitbucketDelivery("t", body, "repo:fork", "d", 0)).toMatchObject({
      event: {
        scopes: [
          { section: "bitbucket", kind: "repository", ref: "{r1}" },
          { section: "bitbucket", kind: "repository", ref: "r2" },
        ],
      },
    });
    const project = JSON.stringify({ project: { key: "PRJ", uuid: "{p}" } });
    expect(parseBitbucketDelivery("t", project, "project:updated", "d", 0)).toMatchObject({
      event: { scopes: [{ section: "bitbucket", kind: "project", ref: "PRJ" }] },
    });
    const bare = parseBitbucketDelivery("t", JSON.stringify({ repository: {} }), "repo:updated", "d", 0);
    expect(bare.ok && bare.event?.scopes).toBeUndefined();
    expect(
      forgeEventOf("t", { eventType: "avi:jira:updated:project", payload: { project: { key: "ENG" } } }, 0),
    ).toMatchObject({
      scopes: [{ section: "jira", kind: "project", ref: "ENG" }],
    });
    expect(
      forgeEventOf("t", { eventType: "avi:jira:created:user", payload: { user: { accountId: "a" } } }, 0)?.scopes,
    ).toBeUndefined();
  });

  it("a batch reads its targets, or the whole section when an event names none or they are too many", () => {
    const e = (scopes?: NormalizedEvent["scopes"]): NormalizedEvent => ({
      ...ev("t", 1),
      ...(scopes ? { scopes } : {}),
    });
    const repo = (ref: string) => ({ section: "bitbucket" as const, kind: "repository" as const, ref });
    expect(readPlan([e([repo("a")]), e([repo("b"), repo("a")])], 5).get("bitbucket")).toEqual([repo("a"), repo("b")]);
    expect(readPlan([e([repo("a")]), e()], 5).get("bitbucket")).toBeNull();
    expect(readPlan([e([repo("a"), repo("b"), repo("c")])], 2).get("bitbucket")).toBeNull();
  });

  it("crawl assembly concatenates by seq, checks counts, keeps scalars", () => {
    const batches = [
      { seq: 1, rows: { groups: [{ groupId: "g2", name: "b" }] } },
      { seq: 0, rows: { groups: [{ groupId: "g1", name: "a" }] } },
    ];
    const ok = assembleCrawl("jira", batches, { groups: 2 });
    expect(ok.ok && (ok.section.groups as Array<{ groupId: string }>).map((g) => g.groupId)).toEqual(["g1", "g2"]);
    const bad = assembleCrawl("jira", batches, { groups: 3 });
    expect(bad).toMatchObject({
      ok: false,
      kind: "count_mismatch",
      differing: { groups: { announced: 3, received: 2 } },
    });
    const conf = assembleCrawl("confluence", [{ seq: 0, rows: { roleMode: "roles" } }], {});
    expect(conf.ok && conf.section.roleMode).toBe("roles");
  });
});
