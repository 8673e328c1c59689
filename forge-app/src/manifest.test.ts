/**
 * The manifest gate: the `@forge/manifest` validators (FULL, PRODUCT_TRIGGER, FORGE_REMOTE_COMPUTE) on the real
 * manifest.yml, with zero errors and zero warnings, plus what they do not check (forge-offline.md §1.1): trigger event
 * names against the documented list, queue keys against `new Queue({ key })` in the code, handler exports.
 * `forge lint`'s client-side linters (incl. scope-per-API checks) and the bundle gate live in test/forge/lint.test.ts
 * and test/forge/bundle.test.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ProcessorBuilder, ValidationTypes } from "@forge/manifest";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const MANIFEST = join(ROOT, "manifest.yml");

/** Event names that exist (forge-offline.md §1.3, from docs events-reference/{jira,confluence,life-cycle}). */
const KNOWN_EVENTS = new Set([
  ...["created", "updated", "deleted"].map((v) => `avi:jira:${v}:user`),
  ...["created", "updated", "softdeleted", "deleted", "archived", "unarchived", "restored"].map(
    (v) => `avi:jira:${v}:project`,
  ),
  "avi:jira:changed:configuration",
  "avi:confluence:created:user",
  "avi:confluence:deleted:user",
  "avi:confluence:created:group",
  "avi:confluence:deleted:group",
  ...["created", "updated", "deleted", "permissions_updated"].map((v) => `avi:confluence:${v}:space:V2`),
  "avi:forge:installed:app",
  "avi:forge:upgraded:app",
]);

interface ManifestShape {
  modules: {
    function?: Array<{ key: string; handler: string }>;
    trigger?: Array<{ key: string; events: Array<string | { eventType: string }> }>;
    consumer?: Array<{ key: string; queue: string }>;
  };
}

type Result = Awaited<ReturnType<ReturnType<ReturnType<typeof ProcessorBuilder.instance>["build"]>["process"]>>;
const results = new Map<string, Result>();
let manifest: ManifestShape;

beforeAll(async () => {
  for (const type of ["FULL", "PRODUCT_TRIGGER", "FORGE_REMOTE_COMPUTE"] as const) {
    const processor = ProcessorBuilder.instance()
      .withValidation(ValidationTypes[type])
      .withOptions({ deprecatedRuntimes: [] })
      .build();
    results.set(type, await processor.process(MANIFEST));
  }
  manifest = results.get("FULL")?.manifestObject?.typedContent as unknown as ManifestShape;
}, 60_000);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [p] : [];
  });
}

describe("manifest.yml", () => {
  it.each(["FULL", "PRODUCT_TRIGGER", "FORGE_REMOTE_COMPUTE"])("passes %s with no errors or warnings", (type) => {
    const r = results.get(type);
    expect(r?.errors ?? ["no result"]).toEqual([]);
    expect(r?.success).toBe(true);
  });

  it("subscribes only to events that exist", () => {
    const names = (manifest.modules.trigger ?? []).flatMap((t) =>
      t.events.map((e) => (typeof e === "string" ? e : e.eventType)),
    );
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => !KNOWN_EVENTS.has(n))).toEqual([]);
  });

  it("declares exactly the queues the code pushes to", () => {
    const inManifest = new Set((manifest.modules.consumer ?? []).map((c) => c.queue));
    const inCode = new Set<string>();
    for (const file of sourceFiles(join(ROOT, "forge-app/src"))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/new\s+Queue\s*(?:<[^>]*>)?\(\s*\{\s*key:\s*["'`]([^"'`]+)["'`]/g)) {
        inCode.add(m[1] as string);
      }
    }
    expect(inCode.size).toBeGreaterThan(0);
    expect([...inCode].sort()).toEqual([...inManifest].sort());
  });

  it("points every function at an exported handler", async () => {
    const functions = manifest.modules.function ?? [];
    expect(functions.length).toBeGreaterThan(0);
    for (const f of functions) {
      const [file, name] = f.handler.split(".") as [string, string];
      const mod = (await import(join(ROOT, "src", `${file}.ts`))) as Record<string, unknown>;
      expect(typeof mod[name], `${f.key}: ${f.handler}`).toBe("function");
    }
  });
});
