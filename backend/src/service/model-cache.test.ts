import { afterEach, describe, expect, it } from "vitest";
import { indexModel } from "../model/queries.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import {
  deltaRun,
  makeModel,
  makeSnapshot,
  makeStatuses,
  makeVersionDelta,
  modelRun,
} from "../store/testing/fixtures.js";
import { ModelCache } from "./model-cache.js";

let store: Store;
afterEach(async () => store?.close());

async function commit(tenantId: string, runId: string): Promise<number> {
  const s = await store.startSnapshot(tenantId, { runId });
  await store.commitSnapshot(tenantId, s.version, { snapshot: makeSnapshot(runId), model: makeModel(runId, 5) });
  return s.version;
}

describe("ModelCache", () => {
  it("answers null without a model, loads once per version, and follows the pointer", async () => {
    store = await openSqliteStore({ path: ":memory:" });
    const { id } = await store.createTenant({ name: "acme" });
    const cache = new ModelCache(store);
    expect(await cache.get(id)).toBeNull();
    await commit(id, "run-1");
    const a = await cache.get(id);
    expect(a).toMatchObject({ version: 1, runId: "run-1" });
    expect(await cache.get(id)).toBe(a);
    expect(cache.loads).toBe(1);
    await commit(id, "run-2");
    const b = await cache.get(id);
    expect(b).toMatchObject({ version: 2, runId: "run-2" });
    expect(modelRun(b!.model)).toEqual({ runId: "run-2", mixed: null });
    expect(cache.loads).toBe(2);
  });

  it("applies a delta version to the cached model instead of loading it, when the cached version is on its chain", async () => {
    store = await openSqliteStore({ path: ":memory:" });
    const { id } = await store.createTenant({ name: "acme" });
    const delta = async (runId: string, base: number, chain: number[]) => {
      const s = await store.startSnapshot(id, { runId });
      await store.commitSnapshotDelta(id, s.version, {
        delta: makeVersionDelta(runId, base, [...chain, s.version]),
        counts: {},
        statuses: makeStatuses(runId),
      });
      return s.version;
    };
    await commit(id, "run-1");
    const cache = new ModelCache(store);
    const first = (await cache.get(id))!;
    const v2 = await delta("d-2", 1, []);
    const second = (await cache.get(id))!;
    expect(second).toMatchObject({ version: v2, runId: "d-2", baseVersion: 1 });
    expect(cache).toMatchObject({ loads: 1, patches: 1 });
    expect(deltaRun(second.model)).toEqual({ runId: "d-2", mixed: null });
    // The same as a load, model and index alike; the previous version's model and index are untouched.
    const loaded = (await store.getCurrentModel(id))!;
    expect(second.model).toEqual(loaded.model);
    expect(second.index).toEqual(indexModel(loaded.model));
    expect(second.modelSha256).toBe(loaded.modelSha256);
    expect(first.model).toEqual(makeModel("run-1", 5));
    expect(first.index).toEqual(indexModel(makeModel("run-1", 5)));
    // The next delta of the chain applies to the patched one.
    await delta("d-3", 1, [v2]);
    expect(deltaRun((await cache.get(id))!.model)).toEqual({ runId: "d-3", mixed: null });
    expect(cache).toMatchObject({ loads: 1, patches: 2 });
    // A full version (a sync) is loaded, and a delta over another base than the cached chain's is loaded too.
    const v4 = await commit(id, "run-4");
    await cache.get(id);
    expect(cache.loads).toBe(2);
    const other = await commit(id, "run-5");
    const cold = new ModelCache(store);
    await delta("d-6", v4, []);
    expect(deltaRun((await cold.get(id))!.model)).toEqual({ runId: "d-6", mixed: null });
    expect(cold).toMatchObject({ loads: 1, patches: 0 });
    // The cache holds version 4; version 7 rests on 5: not on its chain, so it is loaded whole.
    await delta("d-7", other, []);
    expect(deltaRun((await cache.get(id))!.model)).toEqual({ runId: "d-7", mixed: null });
    expect(cache).toMatchObject({ loads: 3, patches: 2 });
  });

  it("shares one load between concurrent requests", async () => {
    store = await openSqliteStore({ path: ":memory:" });
    const { id } = await store.createTenant({ name: "acme" });
    await commit(id, "run-1");
    let pointerReads = 0;
    const original = store.getCurrentPointer.bind(store);
    store.getCurrentPointer = async (t) => {
      pointerReads++;
      return original(t);
    };
    const cache = new ModelCache(store);
    const all = await Promise.all(Array.from({ length: 50 }, () => cache.get(id)));
    expect(new Set(all).size).toBe(1);
    expect(cache.loads).toBe(1);
    expect(pointerReads).toBe(1);
  });

  it("checks the pointer at most once per interval, and evicts the least recently used tenant", async () => {
    store = await openSqliteStore({ path: ":memory:" });
    let now = 0;
    const ids: string[] = [];
    for (const name of ["a", "b", "c"]) {
      const { id } = await store.createTenant({ name });
      await commit(id, `run-${name}`);
      ids.push(id);
    }
    const cache = new ModelCache(store, { checkIntervalMs: 1000, maxTenants: 2, now: () => now });
    const [a, b, c] = ids as [string, string, string];
    await cache.get(a);
    await commit(a, "run-a2");
    expect((await cache.get(a))?.runId).toBe("run-a");
    now = 1000;
    expect((await cache.get(a))?.runId).toBe("run-a2");
    await cache.get(b);
    await cache.get(a);
    await cache.get(c);
    expect(cache.cachedTenants().sort()).toEqual([a, c].sort());
  });
});
