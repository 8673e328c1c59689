import { mapLimit } from "@accessmap/shared/readers/reader";
import { describe, expect, it } from "vitest";

describe("mapLimit", () => {
  it("keeps at most `limit` in flight and returns results in input order", async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight -= 1;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it("starts no further item after the first failure, so a failed read stops calling", async () => {
    const started: number[] = [];
    const run = mapLimit([0, 1, 2, 3, 4, 5, 6, 7], 2, async (n) => {
      started.push(n);
      await new Promise((r) => setTimeout(r, 1));
      if (n === 1) throw new Error("boom");
      return n;
    });
    await expect(run).rejects.toThrow("boom");
    await new Promise((r) => setTimeout(r, 20));
    // 0 and 1 start; 0 finishes first and takes 2; 1 fails: nothing after 2 starts.
    expect(started).toEqual([0, 1, 2]);
  });
});
