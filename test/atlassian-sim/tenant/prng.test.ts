import { describe, expect, it } from "vitest";
import { hashString, Prng, WeightedIndex } from "./prng.js";

const draw = (rng: Prng, n: number) => Array.from({ length: n }, () => rng.u32());

describe("Prng", () => {
  it("is deterministic for a seed and differs across seeds", () => {
    expect(draw(new Prng(7), 20)).toEqual(draw(new Prng(7), 20));
    expect(draw(new Prng(7), 20)).not.toEqual(draw(new Prng(8), 20));
    expect(draw(new Prng("seed"), 5)).toEqual(draw(new Prng("seed"), 5));
  });

  it("pins its output so generated tenants stay stable across changes", () => {
    expect(draw(new Prng(1), 3)).toEqual([1689047798, 3678829038, 1136791837]);
  });

  it("distinguishes large seeds by their high bits", () => {
    expect(draw(new Prng(2 ** 40 + 5), 5)).not.toEqual(draw(new Prng(5), 5));
  });

  it("forks independent, reproducible streams without consuming the parent", () => {
    const a = new Prng(3);
    const b = new Prng(3);
    const forkA = a.fork("x");
    a.u32();
    expect(draw(forkA, 5)).toEqual(draw(b.fork("x"), 5));
    expect(draw(a.fork("x"), 5)).toEqual(draw(new Prng(3).fork("x"), 5));
    expect(draw(new Prng(3).fork("x"), 5)).not.toEqual(draw(new Prng(3).fork("y"), 5));
    b.u32();
    expect(a.u32()).toBe(b.u32());
  });

  it("keeps floats in [0, 1) and integers within inclusive bounds", () => {
    const rng = new Prng(11);
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const f = rng.next();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      const n = rng.int(-2, 3);
      expect(n).toBeGreaterThanOrEqual(-2);
      expect(n).toBeLessThanOrEqual(3);
      seen.add(n);
    }
    expect([...seen].sort((x, y) => x - y)).toEqual([-2, -1, 0, 1, 2, 3]);
    expect(() => rng.int(3, 2)).toThrow();
  });

  it("is roughly uniform", () => {
    const rng = new Prng(5);
    const buckets = new Array(10).fill(0) as number[];
    for (let i = 0; i < 100_000; i++) buckets[rng.below(10)]! += 1;
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });

  it("honours chance, pick and weighted picks", () => {
    const rng = new Prng(9);
    expect(rng.chance(0)).toBe(false);
    expect(rng.chance(1)).toBe(true);
    expect(() => rng.pick([])).toThrow();
    let heads = 0;
    for (let i = 0; i < 10_000; i++) {
      expect(
        rng.weighted([
          ["never", 0],
          ["a", 1],
          ["b", 3],
        ] as const),
      ).not.toBe("never");
      if (
        rng.weighted([
          ["a", 1],
          ["b", 3],
        ] as const) === "b"
      )
        heads += 1;
    }
    expect(heads / 10_000).toBeGreaterThan(0.72);
    expect(heads / 10_000).toBeLessThan(0.78);
    expect(() => rng.weighted([["x", 0]] as const)).toThrow();
  });

  it("shuffles into a permutation and samples distinct elements", () => {
    const rng = new Prng(13);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const shuffled = rng.shuffle(items.slice());
    expect(shuffled).not.toEqual(items);
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items);
    for (const k of [0, 3, 40, 60]) {
      const s = rng.sample(items, k);
      expect(s).toHaveLength(Math.min(k, 50));
      expect(new Set(s).size).toBe(s.length);
    }
  });

  it("makes hex strings, v4 UUIDs and tokens", () => {
    const rng = new Prng(17);
    expect(rng.hex(24)).toMatch(/^[0-9a-f]{24}$/);
    const ids = Array.from({ length: 200 }, () => rng.uuid());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(rng.token(32)).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(rng.token(5, "ab")).toMatch(/^[ab]{5}$/);
  });
});

describe("WeightedIndex", () => {
  it("draws in proportion to the weights and never a zero weight", () => {
    const w = new WeightedIndex([0, 1, 0, 3]);
    const rng = new Prng(21);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[w.draw(rng)]! += 1;
    expect(counts[0]).toBe(0);
    expect(counts[2]).toBe(0);
    expect(counts[3]! / 20_000).toBeGreaterThan(0.72);
    expect(counts[3]! / 20_000).toBeLessThan(0.78);
    expect(() => new WeightedIndex([0, 0])).toThrow();
  });
});

describe("hashString", () => {
  it("is stable and spreads inputs", () => {
    expect(hashString("abc")).toBe(hashString("abc"));
    expect(hashString("abc")).not.toBe(hashString("abd"));
    expect(hashString("")).toBeGreaterThanOrEqual(0);
  });
});
