import { Writable } from "node:stream";
import { describe, expect, expectTypeOf, it } from "vitest";
import { account, entry, makeModel, sampleModel } from "../test-fixtures.js";
import type { Model } from "../types.js";
import { MODEL_EXPORT_FORMAT, ModelExport, parseModelExport, writeModelJson } from "./json.js";

async function json(model: Model, highWaterMark = 16 * 1024): Promise<{ text: string; writes: number }> {
  const chunks: string[] = [];
  const out = new Writable({
    highWaterMark,
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString());
      setImmediate(cb);
    },
  });
  await writeModelJson(model, out);
  return { text: chunks.join(""), writes: chunks.length };
}

describe("ModelExport", () => {
  it("mirrors the model type exactly", () => {
    expectTypeOf<Omit<ModelExport, "format">>().toEqualTypeOf<Model>();
  });

  it("round-trips a model through writeModelJson and parseModelExport", async () => {
    const model = sampleModel();
    const { text } = await json(model);
    const parsed = JSON.parse(text);
    expect(parsed.format).toBe(MODEL_EXPORT_FORMAT);
    expect(parsed.version).toBe(1);
    expect(ModelExport.safeParse(parsed).success).toBe(true);
    expect(parseModelExport(text)).toEqual(model);
    expect(Object.keys(parsed)).toEqual([
      "format",
      "version",
      "builtAt",
      "snapshotRunId",
      "org",
      "site",
      "accounts",
      "identities",
      "groups",
      "resources",
      "access",
      "dormant",
      "conditional",
      "correlation",
      "statuses",
      "notes",
    ]);
  });

  it("writes one array element a line and is byte-identical across runs", async () => {
    const a = await json(sampleModel());
    const b = await json(sampleModel());
    expect(a.text).toBe(b.text);
    const lines = a.text.split("\n");
    expect(lines.filter((l) => l.startsWith('{"principal":')).length).toBe(
      sampleModel().access.length + sampleModel().dormant.length,
    );
  });

  it("streams a large model in chunks, with backpressure", async () => {
    const accounts = Array.from({ length: 5_000 }, (_, i) => account(`acc-${i}`));
    const access = accounts.flatMap((a) => [
      entry(a.accountId, "jira_project", "P", "BROWSE_PROJECTS"),
      entry(a.accountId, "jira_project", "P", "EDIT_ISSUES"),
    ]);
    const { text, writes } = await json(makeModel({ accounts, access }), 1024);
    expect(writes).toBeGreaterThan(10);
    expect(parseModelExport(text).access).toHaveLength(10_000);
  });

  it("rejects another format or an unknown version", () => {
    expect(() => parseModelExport(JSON.stringify({ format: "other", version: 1 }))).toThrow(/not an accessmap model/);
    expect(() => parseModelExport(JSON.stringify({ format: MODEL_EXPORT_FORMAT, version: 2 }))).toThrow(
      /version 2 is not supported/,
    );
    expect(() => parseModelExport(JSON.stringify({ format: MODEL_EXPORT_FORMAT, version: 1 }))).toThrow();
  });
});
