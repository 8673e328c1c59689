/**
 * The merged model against the simulator's independent ground truth: real discovery over the in-process simulator
 * (tenants S and M), then `buildModel`; the effective access set must equal `computeGroundTruth(tenant)` exactly,
 * as (principal, product, resourceType, resourceId, permission) keys.
 */
import { runDiscovery } from "@accessmap/backend/discovery/run-discovery";
import { buildModel } from "@accessmap/backend/model/build-model";
import { ANONYMOUS, JIRA_PRODUCT_USERS } from "@accessmap/backend/model/types";
import { describe, expect, it } from "vitest";
import { computeGroundTruth, conditionalGrants } from "../atlassian-sim/tenant/ground-truth.js";
import type { SizePreset } from "../atlassian-sim/tenant/model.js";
import { makeTestSim, ORIGIN } from "../atlassian-sim/testing.js";
import { simConfig } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";

type Row = { principal: string; product: string; resourceType: string; resourceId: string; permission: string };
const key = (r: Row) => `${r.principal}|${r.product}|${r.resourceType}|${r.resourceId}|${r.permission}`;

/** The first `n` keys of `a` that are not in `b`. */
function missingFrom(a: readonly string[], b: ReadonlySet<string>, n = 20): string[] {
  const out: string[] = [];
  for (const k of a) {
    if (!b.has(k)) out.push(k);
    if (out.length >= n) break;
  }
  return out;
}

async function modelOf(size: SizePreset) {
  const t = makeTestSim(size, 1);
  const tenant = t.sim.state.tenant;
  const { snapshot, outcome } = await runDiscovery(simConfig(tenant, ORIGIN), {
    send: simSend(t),
    schemaMode: "throw",
    retry: { baseDelayMs: 1, maxDelayMs: 20, deadlineMs: 60_000 },
  });
  return { tenant, snapshot, outcome, model: buildModel(snapshot) };
}

describe.each(["S", "M"] as const)("merged model equals the ground truth, tenant %s", (size) => {
  it("effective access, exactly", async () => {
    const { tenant, snapshot, outcome, model } = await modelOf(size);
    expect(outcome, JSON.stringify(snapshot.statuses.map((s) => [s.product, s.state, s.reasons]))).toBe("complete");

    const expected = computeGroundTruth(tenant).map(key).sort();
    const actual = model.access.map(key).sort();
    const expectedSet = new Set(expected);
    const actualSet = new Set(actual);
    const missing = missingFrom(expected, actualSet);
    const extra = missingFrom(actual, expectedSet);
    if (missing.length > 0 || extra.length > 0) {
      console.error(
        `tenant ${size}: ${expected.length} expected, ${actual.length} built\n` +
          `missing from the model (first 20):\n  ${missing.join("\n  ")}\n` +
          `not in the ground truth (first 20):\n  ${extra.join("\n  ")}`,
      );
    }
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    expect(actual).toEqual(expected);

    // The model's own order is the ground truth's: no duplicates, sorted.
    expect(model.access.map(key)).toEqual(computeGroundTruth(tenant).map(key));
    // Pseudo-principals are stored once per resource and permission, never per account.
    expect(model.access.some((e) => e.principal === ANONYMOUS)).toBe(true);
    expect(model.access.some((e) => e.principal === JIRA_PRODUCT_USERS)).toBe(true);
    // Every entry has at least one path.
    expect(model.access.every((e) => e.via.length > 0)).toBe(true);
    // Conditional grants are listed as the ground truth lists them.
    expect(model.conditional).toEqual(conditionalGrants(tenant));
  }, 120_000);
});
