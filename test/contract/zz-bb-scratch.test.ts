import { describe, expect, it } from "vitest";
import { makeTestSim } from "../atlassian-sim/testing.js";
import { cases } from "./cases/bitbucket.js";
import { validateResponse } from "./openapi-validator.js";

describe("bitbucket contract (scratch)", () => {
  const t = makeTestSim("S", 11);
  it.each(cases.map((c) => [`${c.method} ${c.route} — ${c.name}`, c] as const))("%s", async (_n, c) => {
    const res = await c.send(t);
    const text = await res.text();
    expect(res.status, text.slice(0, 500)).toBe(c.expectStatus);
    const contentType = res.headers.get("content-type") ?? "";
    const body = text.length > 0 && /json/.test(contentType) ? JSON.parse(text) : text.length > 0 ? text : undefined;
    const result = validateResponse({ spec: c.spec, method: c.method, path: c.specPath, status: res.status, contentType, body });
    expect(result.ok, JSON.stringify(result, null, 2).slice(0, 3000)).toBe(true);
  });
});
