/**
 * Contract coverage: at least 95% of the routes the simulator serves have a contract case, and every served route
 * outside the published specifications is listed with the reason it exists.
 */
import { describe, expect, it } from "vitest";
import { listServedRoutes } from "../atlassian-sim/app.js";
import { allCases, allUnspecified } from "./all-cases.js";

const key = (r: { api: string; method: string; route: string }) => `${r.api} ${r.method} ${r.route}`;

describe("contract coverage", () => {
  const served = listServedRoutes();
  const servedKeys = new Set(served.map(key));
  const unspecified = new Set(allUnspecified.map(key));
  const covered = new Set(allCases.map(key));

  it("every case and every unspecified entry names a route the simulator serves", () => {
    const stale = [...allCases.map(key), ...allUnspecified.map(key)].filter((k) => !servedKeys.has(k));
    expect(stale).toEqual([]);
  });

  it("every unspecified route gives its reason", () => {
    for (const u of allUnspecified) expect(u.reason.length, key(u)).toBeGreaterThan(20);
  });

  it("covers at least 95% of the specified operations the simulator serves", () => {
    const specified = served.filter((r) => !unspecified.has(key(r)));
    const missing = specified.filter((r) => !covered.has(key(r))).map(key);
    const ratio = (specified.length - missing.length) / specified.length;
    expect(ratio, `routes without a contract case:\n${missing.join("\n")}`).toBeGreaterThanOrEqual(0.95);
  });
});
