/**
 * Event patches end to end, against the simulator: a repository event is a targeted re-read, an incremental patch
 * and a delta version whose stored model is exactly the full build of its stored snapshot; a section read whole is
 * still incremental unless its identity side changed; a large delta is compacted; the mass-deletion guard holds a
 * patch; a full build keeps the identities of the tenant's IdP export; and after a full sync the query cache primes
 * the patch base, so the next event loads nothing.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "@accessmap/backend/config/load";
import { patchStatesOf } from "@accessmap/backend/events/patch-state";
import { buildModel } from "@accessmap/backend/model/build-model";
import { readIdpExportFile } from "@accessmap/backend/model/correlate";
import { modelForm } from "@accessmap/backend/model/model-form";
import { loadTenantConfig } from "@accessmap/backend/service/tenant-config";
import { runSync } from "@accessmap/backend/sync/run-sync";
import { afterEach, describe, expect, it } from "vitest";
import { simSend } from "../support/sim-transport.js";
import { type EventsHarness, eventsHarness, RETRY, repoPayload } from "./helpers.js";

let h: EventsHarness;
let dir: string | null = null;
afterEach(async () => {
  await h?.t.services.events.idle();
  await h?.t.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

/** A workspace member and a repository they hold no explicit grant on. */
function freshGrant(h: EventsHarness) {
  const bb = h.sim.sim.state.tenant.bitbucket;
  const repo = bb.repos.find((r) => bb.members.some((m) => !r.users.some((u) => u.accountId === m.accountId)))!;
  const member = bb.members.find((m) => !repo.users.some((u) => u.accountId === m.accountId))!;
  return { repo, member };
}

/** The current version's stored model equals the full build of its stored snapshot. */
async function expectWhole(h: EventsHarness, idp?: Parameters<typeof buildModel>[1]) {
  const pointer = (await h.t.store.getCurrentPointer(h.tenantId))!;
  const data = (await h.t.store.readSnapshotData(h.tenantId, pointer.version))!;
  expect(modelForm(data.model!)).toEqual(modelForm(buildModel(data.snapshot!, idp)));
  expect((await h.t.store.getCurrentModel(h.tenantId, { verify: true }))!.model).toEqual(data.model);
}

describe("event patches", () => {
  it("a repository event: a targeted re-read, an incremental patch, a delta version equal to a full build", async () => {
    h = await eventsHarness();
    const { repo, member } = freshGrant(h);
    h.sim.sim.state.bitbucketSetRepoPermission(repo.slug, { accountId: member.accountId }, "admin", "test");
    for (let i = 0; i < 3; i++) {
      if (i === 1) h.sim.sim.state.bitbucketRemoveRepoPermission(repo.slug, { accountId: member.accountId }, "test");
      expect((await h.deliver(repoPayload(h.sim, repo.slug))).status).toBe(202);
      await h.t.services.events.idle();
      const o = h.outcomes.at(-1)!;
      expect(o).toMatchObject({ outcome: "patched", sections: ["bitbucket"] });
      expect(o.metrics).toMatchObject({ mode: "incremental", targeted: ["bitbucket"], whole: [] });
      // The repository, its user and group grants, its branch restrictions (and the OAuth token, the first time).
      expect(o.metrics!.calls).toBe(i === 0 ? 5 : 4);
      const record = (await h.t.store.getSnapshot(h.tenantId, o.version!))!;
      expect(record.delta?.baseVersion).toBe(1);
      expect(o.metrics!.storedBytes).toBe(record.delta!.bytes);
      await expectWhole(h);
    }
    const grant = (await h.currentSnapshot()).bitbucket!.repositoryPermissions.find(
      (p) => p.repoSlug === repo.slug && p.principalId === member.accountId,
    );
    expect(grant).toBeUndefined();
  });

  it("a section read whole is incremental when its users and groups did not change, a full build when they did", async () => {
    h = await eventsHarness();
    const { repo, member } = freshGrant(h);
    h.sim.sim.state.bitbucketSetRepoPermission(repo.slug, { accountId: member.accountId }, "write", "test");
    // A repository event naming no repository: the section is read whole.
    expect((await h.deliver({ repository: {}, actor: {} })).status).toBe(202);
    await h.t.services.events.idle();
    expect(h.outcomes.at(-1)!.metrics).toMatchObject({ mode: "incremental", whole: ["bitbucket"], targeted: [] });
    await expectWhole(h);
    // A group membership is the identity side: a full build and a full version.
    const bb = h.sim.sim.state.tenant.bitbucket;
    const group = bb.groups[0]!;
    const outsider = bb.members.find((m) => !group.members.includes(m.accountId))!;
    h.sim.sim.state.bitbucketAddGroupMember(group.slug, outsider.accountId, "test");
    expect((await h.deliver({ repository: {}, actor: {} })).status).toBe(202);
    await h.t.services.events.idle();
    const o = h.outcomes.at(-1)!;
    expect(o.metrics).toMatchObject({ mode: "full", whole: ["bitbucket"] });
    expect((await h.t.store.getSnapshot(h.tenantId, o.version!))!.delta).toBeNull();
    await expectWhole(h);
  });

  it("a delta past the size limit is compacted after the patch; the next patch rests on it", async () => {
    h = await eventsHarness({
      ctx: { eventProcessor: { retry: RETRY, schemaMode: "throw", syncWaitMs: 5_000, compactAboveBytes: 1 } },
    });
    const { repo, member } = freshGrant(h);
    h.sim.sim.state.bitbucketSetRepoPermission(repo.slug, { accountId: member.accountId }, "admin", "test");
    await h.deliver(repoPayload(h.sim, repo.slug));
    await h.t.services.events.idle();
    const first = h.outcomes.at(-1)!;
    expect((await h.t.store.getSnapshot(h.tenantId, first.version!))!.delta).toBeNull();
    await expectWhole(h);
    h.sim.sim.state.bitbucketRemoveRepoPermission(repo.slug, { accountId: member.accountId }, "test");
    await h.deliver(repoPayload(h.sim, repo.slug));
    await h.t.services.events.idle();
    const second = h.outcomes.at(-1)!;
    // Stored as a delta over the compacted version (and compacted in turn, past the limit again).
    expect(second.metrics).toMatchObject({ mode: "incremental", baseVersion: first.version });
    expect(second.metrics!.storedBytes).toBeGreaterThan(0);
    await expectWhole(h);
    // Retention may now delete the first full sync's version: nothing rests on it.
    expect((await h.t.store.retention(h.tenantId, { keep: 0 })).deleted).toContain(1);
    await expectWhole(h);
  });

  it("the mass-deletion guard holds an incremental patch; the current version stays, and so does its patch base", async () => {
    h = await eventsHarness({
      ctx: { eventProcessor: { retry: RETRY, schemaMode: "throw", syncWaitMs: 5_000, massDeletionThreshold: 0 } },
    });
    const bb = h.sim.sim.state.tenant.bitbucket;
    const repo = bb.repos.find((r) => r.users.some((u) => u.permission === "admin"))!;
    const admin = repo.users.find((u) => u.permission === "admin")!;
    h.sim.sim.state.bitbucketRemoveRepoPermission(repo.slug, { accountId: admin.accountId }, "test");
    const before = (await h.t.store.getCurrentPointer(h.tenantId))!.version;
    await h.deliver(repoPayload(h.sim, repo.slug));
    await h.t.services.events.idle();
    const o = h.outcomes.at(-1)!;
    expect(o).toMatchObject({ outcome: "held" });
    expect(o.reason).toMatch(/admin grants would disappear/);
    expect((await h.t.store.getCurrentPointer(h.tenantId))!.version).toBe(before);
    // The next patch rests on the current version, not on the held one.
    h.sim.sim.state.bitbucketSetRepoPermission(repo.slug, { accountId: admin.accountId }, "admin", "test");
    await h.deliver(repoPayload(h.sim, repo.slug));
    await h.t.services.events.idle();
    expect(h.outcomes.at(-1)).toMatchObject({ outcome: "patched" });
    expect((await h.t.store.getSnapshot(h.tenantId, h.outcomes.at(-1)!.version!))!.delta?.baseVersion).toBe(before);
    await expectWhole(h);
  });

  it("a patch that takes a full build keeps the identities of the tenant's IdP export file", async () => {
    dir = await mkdtemp(join(tmpdir(), "accessmap-idp-"));
    const file = join(dir, "idp.csv");
    await writeFile(file, "id,email,status\nidp-1,nobody-here@example.com,active\nidp-2,another@example.com,active\n");
    let config: Config | null = null;
    h = await eventsHarness({
      sync: false,
      ctx: {
        eventProcessor: { retry: RETRY, schemaMode: "throw", syncWaitMs: 5_000, configFor: async () => config },
      },
    });
    const tenant = (await h.t.store.getTenant(h.tenantId))!;
    config = { ...(await loadTenantConfig(h.t.store, h.t.keyring, tenant)), idpExportFile: file };
    await runSync(h.t.store, h.tenantId, config, { send: simSend(h.sim), schemaMode: "throw", retry: RETRY });
    const idp = { idpIdentities: await readIdpExportFile(file) };
    const fromFile = (await h.t.store.getCurrentModel(h.tenantId))!.model.identities.filter(
      (i) => i.source === "idp-file",
    );
    expect(fromFile.map((i) => i.id)).toEqual(["idp-1", "idp-2"]);
    // An identity-side change: a full build.
    const bb = h.sim.sim.state.tenant.bitbucket;
    const group = bb.groups[0]!;
    const outsider = bb.members.find((m) => !group.members.includes(m.accountId))!;
    h.sim.sim.state.bitbucketAddGroupMember(group.slug, outsider.accountId, "test");
    await h.deliver({ repository: {}, actor: {} });
    await h.t.services.events.idle();
    expect(h.outcomes.at(-1)!.metrics?.mode).toBe("full");
    const after = (await h.t.store.getCurrentModel(h.tenantId))!.model;
    expect(after.identities.filter((i) => i.source === "idp-file")).toEqual(fromFile);
    await expectWhole(h, idp);
  });

  it("after a full sync, the query cache's load primes the patch base: the next event loads nothing", async () => {
    h = await eventsHarness();
    const { repo, member } = freshGrant(h);
    const states = patchStatesOf(h.t.store);
    h.sim.sim.state.bitbucketSetRepoPermission(repo.slug, { accountId: member.accountId }, "admin", "test");
    await h.deliver(repoPayload(h.sim, repo.slug));
    await h.t.services.events.idle();
    expect(h.outcomes.at(-1)!.metrics!.loadMs).toBeGreaterThan(0);
    const loads = states.loads;
    await h.fullSync();
    await h.t.services.models.get(h.tenantId); // loads the new version whole, and primes
    await new Promise((r) => setTimeout(r, 50));
    expect(states.loads).toBe(loads + 1);
    h.sim.sim.state.bitbucketRemoveRepoPermission(repo.slug, { accountId: member.accountId }, "test");
    await h.deliver(repoPayload(h.sim, repo.slug));
    await h.t.services.events.idle();
    expect(h.outcomes.at(-1)!.metrics).toMatchObject({ mode: "incremental", loadMs: expect.any(Number) });
    expect(states.loads).toBe(loads + 1);
    // And the cache applied the patch instead of loading it.
    const cache = h.t.services.models;
    const whole = cache.loads;
    expect((await cache.get(h.tenantId))?.version).toBe(h.outcomes.at(-1)!.version);
    expect(cache.loads).toBe(whole);
  });
});
