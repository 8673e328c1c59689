/**
 * One sync from discovery to a current model, against the simulator and an in-memory SQLite store: commit, keep the
 * last good data of a source that fails, hold a run that would remove too much, and never replace the model when
 * every source failed.
 */

import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "@accessmap/backend/store/sqlite";
import type { Store } from "@accessmap/backend/store/store";
import { runSync } from "@accessmap/backend/sync/run-sync";
import { afterEach, describe, expect, it } from "vitest";
import { identitiesToCsv } from "../atlassian-sim/tenant/write-tenant.js";
import { makeTestSim, ORIGIN, type TestSim } from "../atlassian-sim/testing.js";
import { simConfig } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";

const retry = { baseDelayMs: 5, maxDelayMs: 20, deadlineMs: 30_000, maxRetries: 1 };
let store: Store;
afterEach(async () => store?.close());

async function setup(): Promise<{ t: TestSim; tenantId: string }> {
  store = await openSqliteStore({ path: ":memory:" });
  const t = makeTestSim("S", 21);
  const tenantId = (await store.createTenant({ name: "acme" })).id;
  return { t, tenantId };
}

const sync = (t: TestSim, tenantId: string, overrides: Parameters<typeof simConfig>[2] = {}) =>
  runSync(store, tenantId, simConfig(t.sim.state.tenant, ORIGIN, overrides), {
    send: simSend(t),
    schemaMode: "throw",
    retry,
  });

describe("runSync", () => {
  it("commits a complete run as the current model and audits it", async () => {
    const { t, tenantId } = await setup();
    const r = await sync(t, tenantId);
    expect(r.outcome).toBe("complete");
    const current = await store.getCurrentModel(tenantId);
    expect(current?.version).toBe(r.record.version);
    expect(current?.model.access.length).toBeGreaterThan(0);
    const audit = await store.listAudit(tenantId);
    expect(audit.entries.map((e) => `${e.action}:${e.result}`)).toEqual(["sync.end:complete", "sync.start:intent"]);
  });

  it("keeps a failed source's last good data and marks the run partial", async () => {
    const { t, tenantId } = await setup();
    const first = await sync(t, tenantId);
    t.sim.faults.rules = [{ api: "confluence", kind: "status", status: 500 }];
    const second = await sync(t, tenantId);
    expect(second.outcome).toBe("partial");
    expect(second.carried).toEqual(["confluence"]);
    const status = second.record.statuses.find((s) => s.product === "confluence");
    expect(status?.state).toBe("failed");
    expect(status?.reasons.join()).toMatch(/last good data/);
    const current = await store.getCurrentModel(tenantId);
    expect(current?.version).toBe(second.record.version);
    const spaces = (m: typeof first.model) => m?.access.filter((e) => e.product === "confluence").length;
    expect(spaces(current?.model ?? null)).toBe(spaces(first.model));
  });

  it("holds a run that would remove more than 20% of the accounts", async () => {
    const { t, tenantId } = await setup();
    const first = await sync(t, tenantId);
    // Jira and Admin vanish: most accounts would disappear from the model.
    const second = await sync(t, tenantId, {
      products: ["bitbucket"],
      adminApiKey: undefined,
      orgId: undefined,
      lifecycle: undefined,
    });
    expect(second.outcome).toBe("held");
    expect(second.record.state).toBe("held");
    expect(second.record.reason).toMatch(/accounts would disappear/);
    expect((await store.getCurrentPointer(tenantId))?.version).toBe(first.record.version);
  });

  it("correlates people from the IdP export file named in the configuration", async () => {
    const { t, tenantId } = await setup();
    const file = join(await mkdtemp(join(tmpdir(), "accessmap-idp-")), "people.csv");
    await writeFile(file, identitiesToCsv(t.sim.state.tenant.identities));
    const r = await sync(t, tenantId, { idpExportFile: file });
    // Every person of the file is known to the model; those the SCIM directory also has are merged with it.
    const ids = new Set(r.model?.identities.map((i) => i.id));
    expect(t.sim.state.tenant.identities.filter((p) => !ids.has(p.idpId))).toEqual([]);
    expect(r.model?.identities.some((i) => i.source === "idp-file" && i.accountId !== null)).toBe(true);
  });

  it("leaves the current model alone when every source failed", async () => {
    const { t, tenantId } = await setup();
    const first = await sync(t, tenantId);
    t.sim.faults.rules = [{ kind: "status", status: 500 }];
    const second = await sync(t, tenantId);
    expect(second.outcome).toBe("failed");
    expect(second.record.state).toBe("failed");
    expect((await store.getCurrentPointer(tenantId))?.version).toBe(first.record.version);
  });
});
