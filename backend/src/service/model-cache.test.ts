import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { makeModel, makeSnapshot, modelRun } from "../store/testing/fixtures.js";
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
