/**
 * Insights and exports over the real pipeline: the simulator's S tenant (seed 7) discovered through `runDiscovery`,
 * the model built from the snapshot and the tenant's IdP export file (as a user would pass it), then every insight
 * kind expected to fire and every export checked.
 *
 * Two discoveries: the configured admin consumer, and the same tenant with `permissions-config` refused (the
 * consumer's owner is not a repository admin), which puts Bitbucket in the fallback mode that
 * `fallback-repository-access` reports.
 */
import { Writable } from "node:stream";
import { runDiscovery } from "@accessmap/backend/discovery/run-discovery";
import { buildModel } from "@accessmap/backend/model/build-model";
import { parseIdpExport } from "@accessmap/backend/model/correlate";
import { writeAccessCsv } from "@accessmap/backend/model/exports/csv";
import { parseModelExport, writeModelJson } from "@accessmap/backend/model/exports/json";
import { buildOaaPayloads } from "@accessmap/backend/model/exports/oaa";
import { validateOaaPayload } from "@accessmap/backend/model/exports/oaa-schema";
import { computeInsights, type Finding, INSIGHT_KINDS } from "@accessmap/backend/model/insights/index";
import type { Model } from "@accessmap/backend/model/types";
import { beforeAll, describe, expect, it } from "vitest";
import { identitiesToCsv } from "../atlassian-sim/tenant/write-tenant.js";
import { makeTestSim, ORIGIN, type TestSim } from "../atlassian-sim/testing.js";
import { simConfig } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";

const PC_USERS_ROUTE = "/2.0/repositories/:workspace/:repo_slug/permissions-config/users";

async function discoverModel(t: TestSim): Promise<Model> {
  const r = await runDiscovery(simConfig(t.sim.state.tenant, ORIGIN), {
    send: simSend(t),
    schemaMode: "throw",
    retry: { baseDelayMs: 5, maxDelayMs: 40, deadlineMs: 60_000 },
  });
  const idp = parseIdpExport(identitiesToCsv(t.sim.state.tenant.identities), "csv");
  return buildModel(r.snapshot, { idpIdentities: idp });
}

let sim: TestSim;
let model: Model;
let fallbackModel: Model;

beforeAll(async () => {
  sim = makeTestSim("S", 7);
  model = await discoverModel(sim);
  const fallback = makeTestSim("S", 7);
  fallback.sim.faults.rules = [{ api: "bitbucket", route: PC_USERS_ROUTE, kind: "status", status: 403 }];
  fallbackModel = await discoverModel(fallback);
}, 120_000);

function collect(): { out: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    out: new Writable({
      write(chunk, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    }),
    text: () => chunks.join(""),
  };
}

describe("S tenant (seed 7)", () => {
  it("fires every insight kind", () => {
    const findings: Finding[] = [
      ...computeInsights(model, { now: model.builtAt }),
      ...computeInsights(fallbackModel, { now: fallbackModel.builtAt }).filter(
        (f) => f.kind === "fallback-repository-access",
      ),
    ];
    const fired = new Set(findings.map((f) => f.kind));
    expect(INSIGHT_KINDS.filter((k) => !fired.has(k))).toEqual([]);
    for (const f of findings) {
      expect(f.count).toBeGreaterThan(0);
      expect(f.evidence.length).toBeGreaterThan(0);
    }
    // The admin-consumer run sees explicit grants only.
    expect(computeInsights(model, { now: model.builtAt }).some((f) => f.kind === "fallback-repository-access")).toBe(
      false,
    );
  });

  it("exports: JSON round-trips, CSV has one row per entry, every OAA payload is valid", async () => {
    for (const m of [model, fallbackModel]) {
      const j = collect();
      await writeModelJson(m, j.out);
      expect(parseModelExport(j.text())).toEqual(JSON.parse(JSON.stringify(m)));

      const c = collect();
      const { rows } = await writeAccessCsv(m, c.out);
      expect(rows).toBe(m.access.length);
      const again = collect();
      await writeAccessCsv(m, again.out);
      expect(again.text()).toBe(c.text());
      const e = collect();
      const expanded = await writeAccessCsv(m, e.out, { expand: true });
      expect(expanded.rows).toBeGreaterThan(0);
      expect(e.text()).not.toMatch(/,(product-users:jira|unlicensed:confluence),/);

      const payloads = buildOaaPayloads(m);
      expect(payloads.map((p) => p.product).sort()).toEqual(["admin", "bitbucket", "confluence", "jira"]);
      for (const { payload } of payloads) expect(validateOaaPayload(payload)).toEqual([]);
      const jira = payloads.find((p) => p.product === "jira")!.payload.applications[0]!;
      expect(jira.local_roles.length).toBeGreaterThan(0);
      for (const r of jira.local_roles) expect(r.name).toMatch(/ - /);
    }
  });
});
