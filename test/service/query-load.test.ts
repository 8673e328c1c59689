/**
 * L2 through the HTTP service: waves of 200 concurrent model queries (in-process `app.request`, a tenant API key,
 * the real model cache) while new snapshot versions are committed in a loop. Every answer names the model version
 * it was computed from; its content must be that version's (each model names its run in every account and path),
 * so a mixed read — an answer computed from parts of two versions, or labelled with another version than its
 * content — would show. Latency is printed (p50/p99), not asserted; counts are.
 */

import { type TestService, tenantBody, testService } from "@accessmap/backend/service/testing";
import { makeModel, makeSnapshot, percentile } from "@accessmap/backend/store/testing/fixtures";
import { afterAll, describe, expect, it } from "vitest";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field.
type Body = any;

const CONCURRENT = 200;
const WAVES = 6;
const ACCOUNTS = 2_000;
const PROJECTS = 50; // makeModel puts account i on project P(i % 50)

let t: TestService;
afterAll(async () => t?.close());

interface Answer {
  status: number;
  version: number;
  runId: string;
  ms: number;
  /** Run ids found in the answer's content. */
  contentRuns: Set<string>;
}

const runOf = (text: string) => text.slice(0, text.indexOf("|"));

describe("L2: model queries under load while the snapshot switches (HTTP)", () => {
  it("never answers from a mix of versions", async () => {
    t = await testService({ validateResponses: false });
    const created = await t.call("POST", "/v1/tenants", { json: tenantBody("load") });
    const tenantId = ((await created.json()) as { id: string }).id;
    const key = ((await (await t.call("POST", `/v1/tenants/${tenantId}/api-keys`)).json()) as { key: string }).key;

    const committed = new Map<number, string>();
    const commit = async (n: number) => {
      const runId = `run-${n}`;
      const s = await t.store.startSnapshot(tenantId, { runId });
      await t.store.commitSnapshot(tenantId, s.version, {
        snapshot: makeSnapshot(runId),
        model: makeModel(runId, ACCOUNTS),
      });
      committed.set(s.version, runId);
    };
    await commit(1);

    let switching = true;
    let switches = 0;
    const switcher = (async () => {
      let n = 2;
      while (switching) {
        await commit(n++);
        switches++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    const query = async (i: number): Promise<Answer> => {
      const k = i % ACCOUNTS;
      const byResource = i % 2 === 1;
      const path = byResource
        ? `/v1/tenants/${tenantId}/resources/jira_project/P${k % PROJECTS}/access?permission=BROWSE_PROJECTS&limit=200`
        : `/v1/tenants/${tenantId}/access/acct-${k}`;
      const started = performance.now();
      const res = await t.app.request(path, { headers: { authorization: `Bearer ${key}` } });
      const body = (await res.json()) as Body;
      const ms = performance.now() - started;
      const contentRuns = new Set<string>();
      if (res.status === 200) {
        for (const e of body.items) for (const v of e.via) contentRuns.add(runOf(v.description));
        if (body.account) contentRuns.add(runOf(body.account.displayName));
      }
      return { status: res.status, version: body.model?.version, runId: body.model?.runId, ms, contentRuns };
    };

    const answers: Answer[] = [];
    for (let w = 0; w < WAVES; w++) {
      answers.push(...(await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => query(w * CONCURRENT + i)))));
    }
    switching = false;
    await switcher;

    const failed = answers.filter((a) => a.status !== 200);
    const mislabelled = answers.filter((a) => committed.get(a.version) !== a.runId);
    const mixed = answers.filter((a) => a.contentRuns.size !== 1 || !a.contentRuns.has(a.runId));
    const versions = new Set(answers.map((a) => a.version));
    const sorted = answers.map((a) => a.ms).sort((x, y) => x - y);
    console.log(
      `L2 (HTTP): ${answers.length} queries in waves of ${CONCURRENT}, ${switches} snapshot switches, ` +
        `${versions.size} versions answered from, ${t.services.models.loads} model loads; ` +
        `latency p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, ` +
        `max ${sorted[sorted.length - 1]!.toFixed(1)} ms`,
    );

    expect(answers).toHaveLength(CONCURRENT * WAVES);
    expect(failed).toHaveLength(0);
    expect(mislabelled).toHaveLength(0);
    expect(mixed).toHaveLength(0);
    expect(switches).toBeGreaterThan(0);
    expect(versions.size).toBeGreaterThan(1);
    // Concurrent requests share loads: far fewer loads than queries.
    expect(t.services.models.loads).toBeLessThan(answers.length / 10);
  }, 180_000);
});
