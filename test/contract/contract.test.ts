/**
 * Contract tests: every case sends a representative request to the simulator and validates the status and body
 * against the published specification's schema for that operation. Known defects of the documents are applied as
 * named allowances by the validator; validation is never switched off.
 */
import { describe, expect, it } from "vitest";
import { makeTestSim } from "../atlassian-sim/testing.js";
import { allCases } from "./all-cases.js";
import { validateResponse } from "./openapi-validator.js";

describe("simulator responses validate against the published specifications", () => {
  const t = makeTestSim("S", 11);
  it.each(allCases.map((c) => [`${c.api} ${c.method} ${c.route} — ${c.name}`, c] as const))("%s", async (_name, c) => {
    const res = await c.send(t);
    const text = await res.text();
    expect(res.status, text.slice(0, 500)).toBe(c.expectStatus);
    const contentType = res.headers.get("content-type") ?? "";
    const body = text.length > 0 && /json/.test(contentType) ? JSON.parse(text) : text.length > 0 ? text : undefined;
    const result = validateResponse({
      spec: c.spec,
      method: c.method,
      path: c.specPath,
      status: res.status,
      contentType,
      body,
    });
    expect(result.ok, JSON.stringify(result, null, 2).slice(0, 4000)).toBe(true);
  });
});
