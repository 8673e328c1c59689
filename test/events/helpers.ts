/**
 * Test helpers for event ingestion: the service over an in-memory store, wired to an in-process simulator (event
 * re-reads go to it), a tenant created from the simulator's configuration with its Bitbucket webhook secret, and a
 * first full sync committed.
 */
import type { PatchOutcome } from "@accessmap/backend/events/types";
import { signWebhookBody } from "@accessmap/backend/security/webhook-signature";
import type { ServiceContext } from "@accessmap/backend/service/services";
import { loadTenantConfig } from "@accessmap/backend/service/tenant-config";
import { type TestService, testService } from "@accessmap/backend/service/testing";
import { runSync } from "@accessmap/backend/sync/run-sync";
import type { Snapshot } from "@accessmap/shared/snapshot/schema";
import { makeTestSim, ORIGIN, type TestSim } from "../atlassian-sim/testing.js";
import { simConfigInput } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";

export const RETRY = { baseDelayMs: 5, maxDelayMs: 20, deadlineMs: 30_000, maxRetries: 1 };

export interface EventsHarness {
  t: TestService;
  sim: TestSim;
  tenantId: string;
  secret: string;
  outcomes: PatchOutcome[];
  /** Posts a signed delivery (override anything to break it). */
  deliver(
    payload: unknown,
    opts?: { eventKey?: string; id?: string; secret?: string; signature?: string | null; raw?: string },
  ): Promise<Response>;
  fullSync(): Promise<number>;
  currentSnapshot(): Promise<Snapshot>;
}

export async function eventsHarness(
  opts: { size?: "S" | "M" | "L"; seed?: number; ctx?: Partial<ServiceContext>; sync?: boolean } = {},
): Promise<EventsHarness> {
  const sim = makeTestSim(opts.size ?? "S", opts.seed ?? 7);
  const outcomes: PatchOutcome[] = [];
  const t = await testService({
    send: simSend(sim),
    eventProcessor: { retry: RETRY, schemaMode: "throw", syncWaitMs: 5_000 },
    onEventOutcome: (o) => void outcomes.push(o),
    ...opts.ctx,
  });
  const secret = sim.sim.state.tenant.credentials.bitbucketWebhookSecret;
  const created = await t.call("POST", "/v1/tenants", {
    json: { ...simConfigInput(sim.sim.state.tenant, ORIGIN), bitbucketWebhookSecret: secret },
  });
  if (created.status !== 201) throw new Error(`tenant: ${created.status} ${await created.text()}`);
  const tenantId = ((await created.json()) as { id: string }).id;
  const fullSync = async () => {
    const tenant = (await t.store.getTenant(tenantId))!;
    const r = await runSync(t.store, tenantId, await loadTenantConfig(t.store, t.keyring, tenant), {
      send: simSend(sim),
      schemaMode: "throw",
      retry: RETRY,
    });
    return r.record.version;
  };
  if (opts.sync !== false) await fullSync();
  let n = 0;
  return {
    t,
    sim,
    tenantId,
    secret,
    outcomes,
    fullSync,
    deliver: (payload, o = {}) => {
      const raw = o.raw ?? JSON.stringify(payload);
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "x-event-key": o.eventKey ?? "repo:updated",
        "x-request-uuid": o.id ?? `delivery-${++n}-${Math.random().toString(16).slice(2)}`,
        "x-hook-uuid": "{hook-1}",
      };
      const sig = o.signature === undefined ? signWebhookBody(raw, o.secret ?? secret) : o.signature;
      if (sig !== null) headers["x-hub-signature"] = sig;
      return t.call("POST", `/webhooks/bitbucket/${tenantId}`, { token: null, body: raw, headers });
    },
    currentSnapshot: async () => {
      const p = (await t.store.getCurrentPointer(tenantId))!;
      return (await t.store.readSnapshotData(tenantId, p.version))!.snapshot!;
    },
  };
}

/** A `repo:updated` payload for a simulator repository. */
export function repoPayload(sim: TestSim, slug?: string): Record<string, unknown> {
  const repo = slug
    ? sim.sim.state.tenant.bitbucket.repos.find((r) => r.slug === slug)!
    : sim.sim.state.tenant.bitbucket.repos[0]!;
  return {
    repository: { uuid: repo.uuid, full_name: `${sim.sim.state.tenant.bitbucket.workspace.slug}/${repo.slug}` },
    actor: { type: "user" },
  };
}
