/**
 * Bitbucket webhooks end to end, against the simulator: W1, W3–W11 and the patch path (a targeted re-read of the
 * Bitbucket section committed as a new, marked version).
 */
import { signWebhookBody } from "@accessmap/backend/security/webhook-signature";
import { afterEach, describe, expect, it } from "vitest";
import { type EventsHarness, eventsHarness, repoPayload } from "./helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Body = any;

let h: EventsHarness;
afterEach(async () => {
  await h?.t.services.events.idle();
  await h?.t.close();
});

/** A workspace member and a repository they have no explicit grant on. */
function freshGrant(h: EventsHarness): { accountId: string; slug: string } {
  const bb = h.sim.sim.state.tenant.bitbucket;
  for (const repo of bb.repos) {
    const m = bb.members.find((x) => !repo.users.some((u) => u.accountId === x.accountId));
    if (m) return { accountId: m.accountId, slug: repo.slug };
  }
  throw new Error("no candidate");
}

const hasGrant = (s: Body, g: { accountId: string; slug: string }, permission: string) =>
  s.bitbucket.repositoryPermissions.some(
    (p: Body) =>
      p.repoSlug === g.slug &&
      p.principalType === "user" &&
      p.principalId === g.accountId &&
      p.permission === permission,
  );

describe("POST /webhooks/bitbucket/{tenantId}", () => {
  it("W1: a validly signed repo event is acknowledged, re-reads Bitbucket and patches the model as a new version", async () => {
    h = await eventsHarness();
    const before = (await h.t.store.getCurrentPointer(h.tenantId))!.version;
    const g = freshGrant(h);
    h.sim.sim.state.bitbucketSetRepoPermission(g.slug, { accountId: g.accountId }, "admin", "test");
    expect(hasGrant(await h.currentSnapshot(), g, "admin")).toBe(false);

    const res = await h.deliver(repoPayload(h.sim, g.slug));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ status: "accepted", eventKey: "repo:updated" });
    await h.t.services.events.idle();

    const pointer = (await h.t.store.getCurrentPointer(h.tenantId))!;
    expect(pointer.version).toBeGreaterThan(before);
    const snap = await h.currentSnapshot();
    expect(hasGrant(snap, g, "admin")).toBe(true);
    expect(snap.notes.some((n) => n.startsWith("event patch: repo:updated"))).toBe(true);
    const bbStatus = snap.statuses.find((s) => s.product === "bitbucket")!;
    expect(bbStatus.reasons.some((r) => r.startsWith("event patch"))).toBe(true);
    expect(h.outcomes.at(-1)).toMatchObject({ outcome: "patched", sections: ["bitbucket"], version: pointer.version });
    // The model query API sees it.
    const apiModel = await h.t.services.models.get(h.tenantId);
    expect(apiModel?.version).toBe(pointer.version);
    const audit = await h.t.store.listAudit(h.tenantId, { action: "events.patch" });
    expect(audit.entries[0]?.result).toBe("patched");
  });

  it("W3: one byte flipped in the body or in the signature is 401, never processed", async () => {
    h = await eventsHarness();
    const raw = JSON.stringify(repoPayload(h.sim));
    const sig = signWebhookBody(raw, h.secret);
    for (let i = 0; i < raw.length; i += Math.max(1, Math.floor(raw.length / 25))) {
      const flipped = raw.slice(0, i) + String.fromCharCode(raw.charCodeAt(i) ^ 1) + raw.slice(i + 1);
      expect((await h.deliver(null, { raw: flipped, signature: sig })).status).toBe(401);
    }
    for (let i = 7; i < sig.length; i += 7) {
      const c = sig[i] === "0" ? "1" : "0";
      expect((await h.deliver(null, { raw, signature: sig.slice(0, i) + c + sig.slice(i + 1) })).status).toBe(401);
    }
    expect(h.t.services.events.stats.accepted).toBe(0);
  });

  it("W4: a missing header, a wrong secret, or a tenant without a secret is 401; an empty secret is refused", async () => {
    h = await eventsHarness();
    expect((await h.deliver(repoPayload(h.sim), { signature: null })).status).toBe(401);
    expect((await h.deliver(repoPayload(h.sim), { secret: "another-secret-0123456789" })).status).toBe(401);
    const unknown = await h.t.call("POST", "/webhooks/bitbucket/no-such-tenant", {
      token: null,
      body: "{}",
      headers: { "x-hub-signature": signWebhookBody("{}", h.secret), "x-event-key": "repo:updated" },
    });
    expect(unknown.status).toBe(401);
    // No secret configured: every delivery is refused.
    expect(
      (await h.t.call("PATCH", `/v1/tenants/${h.tenantId}`, { json: { bitbucketWebhookSecret: null } })).status,
    ).toBe(200);
    expect((await h.deliver(repoPayload(h.sim))).status).toBe(401);
    // An empty or blank secret is refused when configured.
    for (const bad of ["", "                "]) {
      const r = await h.t.call("PATCH", `/v1/tenants/${h.tenantId}`, { json: { bitbucketWebhookSecret: bad } });
      expect(r.status).toBe(400);
    }
  });

  it("W5: sha1=, uppercase hex, wrong length, non-hex, arrays: 401 without a 500", async () => {
    h = await eventsHarness();
    const raw = JSON.stringify(repoPayload(h.sim));
    const hex = signWebhookBody(raw, h.secret).slice(7);
    for (const signature of [
      `sha1=${hex}`,
      `sha256=${hex.toUpperCase()}`,
      `sha256=${hex.slice(2)}`,
      `sha256=${hex}00`,
      `sha256=${"z".repeat(64)}`,
      `SHA256=${hex}`,
      "",
      `sha256=${hex}, sha256=${hex}`,
    ]) {
      const r = await h.deliver(null, { raw, signature });
      expect(r.status, signature).toBe(401);
    }
  });

  it("W6: the same delivery id twice: the second is 200 duplicate with no side effect", async () => {
    h = await eventsHarness();
    const first = await h.deliver(repoPayload(h.sim), { id: "{same-delivery}" });
    expect(first.status).toBe(202);
    const second = await h.deliver(repoPayload(h.sim), { id: "{same-delivery}" });
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ status: "duplicate" });
    await h.t.services.events.idle();
    expect(h.t.services.events.stats.accepted).toBe(1);
  });

  it("W7: an old delivery replayed after the dedupe TTL re-reads the current state: the model does not regress", async () => {
    h = await eventsHarness({ ctx: { webhookDedupeTtlMs: 1 } });
    const g = freshGrant(h);
    h.sim.sim.state.bitbucketSetRepoPermission(g.slug, { accountId: g.accountId }, "admin", "test");
    const old = repoPayload(h.sim, g.slug);
    expect((await h.deliver(old, { id: "{old}" })).status).toBe(202);
    await h.t.services.events.idle();
    expect(hasGrant(await h.currentSnapshot(), g, "admin")).toBe(true);
    // The grant is removed upstream; a full sync reconciles.
    h.sim.sim.state.bitbucketRemoveRepoPermission(g.slug, { accountId: g.accountId }, "test");
    await h.fullSync();
    expect(hasGrant(await h.currentSnapshot(), g, "admin")).toBe(false);
    // The old, validly signed delivery is replayed once its id has expired: accepted as a hint only.
    await new Promise((r) => setTimeout(r, 5));
    const replay = await h.deliver(old, { id: "{old}" });
    expect(replay.status).toBe(202);
    await h.t.services.events.idle();
    expect(h.outcomes.at(-1)?.outcome).toBe("patched");
    expect(hasGrant(await h.currentSnapshot(), g, "admin")).toBe(false);
  });

  it("W8: during a rotation both the new and the previous secret verify; the previous one is removed later", async () => {
    h = await eventsHarness();
    const next = "rotated-webhook-secret-0123456789";
    const patch = await h.t.call("PATCH", `/v1/tenants/${h.tenantId}`, {
      json: { bitbucketWebhookSecret: next, bitbucketWebhookSecretPrevious: h.secret },
    });
    expect(patch.status).toBe(200);
    expect(((await patch.json()) as Body).secretsSet).toEqual(
      expect.arrayContaining(["bitbucketWebhookSecret", "bitbucketWebhookSecretPrevious"]),
    );
    expect((await h.deliver(repoPayload(h.sim), { secret: next })).status).toBe(202);
    expect((await h.deliver(repoPayload(h.sim), { secret: h.secret })).status).toBe(202);
    await h.t.call("PATCH", `/v1/tenants/${h.tenantId}`, { json: { bitbucketWebhookSecretPrevious: null } });
    expect((await h.deliver(repoPayload(h.sim), { secret: next })).status).toBe(202);
    expect((await h.deliver(repoPayload(h.sim), { secret: h.secret })).status).toBe(401);
  });

  it("W9: a body over the limit is 413 before any HMAC work", async () => {
    h = await eventsHarness({ ctx: { bodyLimitBytes: 64 * 1024 } });
    const big = JSON.stringify({ ...repoPayload(h.sim), pad: "x".repeat(5 * 1024 * 1024) });
    let hmacCalls = 0;
    const verify = (await import("@accessmap/backend/security/webhook-signature")).WebhookVerifier.prototype;
    const original = verify.match;
    verify.match = function (this: unknown, ...args: Parameters<typeof original>) {
      hmacCalls++;
      return original.apply(this, args);
    };
    try {
      const r = await h.deliver(null, { raw: big });
      expect(r.status).toBe(413);
      expect(((await r.json()) as Body).error.code).toBe("payload_too_large");
      expect(hmacCalls).toBe(0);
    } finally {
      verify.match = original;
    }
  });

  it("W10: an X-Event-Key that disagrees with the signed payload is rejected; events that change no access are ignored", async () => {
    h = await eventsHarness();
    const r = await h.deliver(repoPayload(h.sim), { eventKey: "pullrequest:created" });
    expect(r.status).toBe(400);
    expect(((await r.json()) as Body).error.message).toMatch(/does not match the payload/);
    const pr = await h.deliver({ ...repoPayload(h.sim), pullrequest: { id: 1 } }, { eventKey: "repo:updated" });
    expect(pr.status).toBe(400);
    const push = await h.deliver(repoPayload(h.sim), { eventKey: "repo:push" });
    expect(push.status).toBe(200);
    expect(await push.json()).toMatchObject({ status: "ignored" });
    expect(h.t.services.events.stats.accepted).toBe(0);
  });

  it("W11: a burst of 1,000 deliveries: fast acks, a bounded queue (503 + Retry-After when full), none lost, duplicates dropped", async () => {
    h = await eventsHarness({ ctx: { eventQueueCapacity: 600 } });
    const payload = repoPayload(h.sim);
    const started = performance.now();
    const ids = Array.from({ length: 1000 }, (_, i) => `{burst-${i % 900}}`);
    const answers = await Promise.all(ids.map((id) => h.deliver(payload, { id })));
    const elapsed = performance.now() - started;
    const by = (s: number) => answers.filter((a) => a.status === s);
    const acceptedIds = new Set(ids.filter((_, i) => answers[i]!.status === 202));
    const busyIds = [...new Set(ids.filter((id, i) => answers[i]!.status === 503 && !acceptedIds.has(id)))];
    let accepted = by(202).length;
    const busy = by(503);
    const dupes = by(200).length;
    expect(accepted + busy.length + dupes).toBe(1000);
    expect(busy.length).toBeGreaterThan(0);
    // Every unique id is accepted at most once in the burst.
    expect(accepted).toBeLessThanOrEqual(900);
    for (const b of busy) expect(b.headers.get("retry-after")).toBe("5");
    // Refused deliveries were not remembered: their redelivery (Bitbucket retries) is accepted once drained.
    await h.t.services.events.idle();
    const retried = await Promise.all(busyIds.map((id) => h.deliver(payload, { id })));
    for (const r of retried) expect(r.status).toBe(202);
    accepted += retried.length;
    await h.t.services.events.idle();
    expect(h.t.services.events.stats.accepted).toBe(accepted);
    expect(h.t.services.events.stats.processed).toBe(accepted);
    expect(elapsed / 1000).toBeLessThan(20); // ms per ack, generous for CI
    // Every accepted event was processed in a few coalesced patches.
    const processed = h.outcomes.reduce((n, o) => n + o.events.length, 0);
    expect(processed).toBe(accepted);
    expect(h.outcomes.length).toBeLessThan(accepted);
  }, 60_000);
});
