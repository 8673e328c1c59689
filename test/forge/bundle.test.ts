/**
 * The bundle gate: what `forge deploy` builds, built offline with the CLI's own `@forge/bundler` from the repository
 * root (forge-offline.md §2.3) — the function bundle (webpack + ts-loader, from the handlers manifest.yml names) and
 * every UI Kit resource manifest.yml lists (`NativeUIBundler`). The function bundle must load with nothing but Node's
 * built-in modules (the Forge runtime has no node_modules) and export every handler; webpack must not warn.
 *
 * The node runtime wrapper normally comes from Atlassian's CDN; `FORGE_RUNTIME_PATH` points the bundler at a local
 * directory instead (`@forge/bundler` wrapper-provider.js), which gets placeholder `dist/wrapper.js`/`dist/loader.js`.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire, isBuiltin, Module } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runInThisContext } from "node:vm";
import { ConfigFile, FileSystemReader, FileSystemWriter, type Logger } from "@forge/cli-shared";
import { afterAll, describe, expect, it } from "vitest";
import { inAppDir, OFFLINE_STATSIG, ROOT, readAppManifest } from "./forge-cli-offline.js";

// Forge's webpack config (`@forge/bundler` config/common.js, config/nativeui.js) has no `resolve.extensionAlias`, so
// code it bundles (shared/src, forge-app/src, src) imports its siblings through the package name, which the `exports`
// maps send to the .ts/.tsx file; NodeNext-style `./x.js` imports would not resolve (docs/common-bugs.md).

// The bundler's webpack config refuses to build unless `require.main` is set (config/common.js expects the CLI's
// entry script); a vitest worker starts from an ES module, so CommonJS modules loaded from here get a main module.
process.mainModule ??= new Module(fileURLToPath(import.meta.url));
const { getEntryPoints, getNodeBundler, getWrapperProvider, NativeUIBundler } = await import("@forge/bundler");
const BUNDLE_TIMEOUT = 240_000;

const scratch = mkdtempSync(join(tmpdir(), "accessmap-bundle-"));
afterAll(() => {
  // The bundlers write to `tmp` directories named `forge-<kind>-<pid>-…` (cli-shared tmpDir), failed builds included.
  const ours = readdirSync(tmpdir()).filter(
    (n) => /^forge-(dist|native-ui)-(\d+)-/.exec(n)?.[2] === String(process.pid),
  );
  for (const dir of [scratch, ...ours.map((n) => join(tmpdir(), n))]) rmSync(dir, { recursive: true, force: true });
});

/** A logger that keeps what the bundler says; webpack's warnings arrive through `warn`. */
function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    traceEnabled: false,
    debugEnabled: false,
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: (message) => void warnings.push(message),
    error: (err) => void warnings.push(String(err)),
    warnings,
  };
}

/** A placeholder for the Forge node runtime wrapper and loader, which only the CDN serves. */
function placeholderRuntime(): string {
  const dir = join(scratch, "runtime");
  mkdirSync(join(dir, "dist"), { recursive: true });
  for (const name of ["wrapper", "loader"]) {
    writeFileSync(join(dir, "dist", `${name}.js`), `// placeholder Forge runtime ${name} (offline bundle test)\n`);
  }
  return dir;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: string };
async function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** The bundle's output, or a failure that prints what the bundler said. */
function bundled<T>(outcome: Settled<T>, what: string): T {
  if (!outcome.ok) expect.fail(`${what} failed to bundle:\n${outcome.error}`);
  return outcome.value;
}

/** Sizes of the files in `dir` by name. */
function listing(dir: string, names: readonly string[]): Record<string, number> {
  return Object.fromEntries(names.map((n) => [n, existsSync(join(dir, n)) ? statSync(join(dir, n)).size : -1]));
}

describe("the function bundle", () => {
  it(
    "builds from the handlers manifest.yml names and exports each of them",
    async () => {
      const logger = recordingLogger();
      const env = { FORGE_RUNTIME_PATH: placeholderRuntime() };
      const { handlers, manifest, outcome } = await inAppDir(ROOT, env, async () => {
        const reader = new FileSystemReader();
        const config = new ConfigFile(reader, new FileSystemWriter());
        const handlers = await config.getAppHandlers();
        const bundler = getNodeBundler(
          logger,
          getWrapperProvider({ fileSystemReader: reader, statsigService: OFFLINE_STATSIG }),
          config,
          OFFLINE_STATSIG,
        );
        const entryPoints = getEntryPoints(handlers);
        const outcome = await settle(bundler.bundle({ appDirectory: ROOT, entryPoints }));
        return { handlers, manifest: await readAppManifest(), outcome };
      });
      const functions = manifest.modules?.function ?? [];
      expect(functions.length).toBeGreaterThan(0);
      expect(handlers.map((h) => `${h.module}.${h.func}`).sort()).toEqual(functions.map((f) => f.handler).sort());
      const out = bundled(outcome, "the function bundle");
      expect(logger.warnings, logger.warnings.join("\n")).toEqual([]);
      // The Forge runtime's entry point, taken from FORGE_RUNTIME_PATH, travels beside the bundle.
      expect([...(out.additionalOutputs?.keys() ?? [])]).toContain("__forge__.cjs");

      for (const module of new Set(handlers.map((h) => h.module))) {
        const file = join(out.outputDir, `${module}.cjs`);
        expect(listing(out.outputDir, [`${module}.cjs`])[`${module}.cjs`]).toBeGreaterThan(50_000);
        const exported = loadWithBuiltinsOnly(file);
        for (const h of handlers.filter((x) => x.module === module)) {
          expect(typeof exported[h.func], `${module}.${h.func}`).toBe("function");
        }
      }
    },
    BUNDLE_TIMEOUT,
  );
});

/** Evaluates a CommonJS bundle whose `require` serves Node's built-in modules only, and returns its exports. */
function loadWithBuiltinsOnly(file: string): Record<string, unknown> {
  const nodeRequire = createRequire(file);
  const builtinsOnly = (id: string) => {
    if (!isBuiltin(id)) throw new Error(`the bundle requires "${id}" at load; the Forge runtime has no node_modules`);
    return nodeRequire(id);
  };
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = runInThisContext(
    `(function (exports, require, module, __filename, __dirname) {\n${readFileSync(file, "utf8")}\n})`,
    {
      filename: file,
    },
  ) as (...args: unknown[]) => void;
  wrapper(module.exports, builtinsOnly, module, file, dirname(file));
  return module.exports;
}

describe("the UI Kit resources", () => {
  it(
    "bundle, each to an index.html that loads its script",
    async () => {
      const logger = recordingLogger();
      const { resources, declared, outcome } = await inAppDir(ROOT, {}, async () => {
        const config = new ConfigFile(new FileSystemReader(), new FileSystemWriter());
        const resources = await config.getResources();
        const declared = (await readAppManifest()).resources ?? [];
        const nativeUi = resources.filter((r) => r.resourceType === "nativeUI");
        const outcome = await settle(new NativeUIBundler(logger).bundleResources(nativeUi));
        return { resources, declared, outcome };
      });
      // Every resource manifest.yml lists is a UI Kit one (render: native), so every one is bundled here.
      expect(resources.map((r) => [r.key, r.resourceType])).toEqual(declared.map((r) => [r.key, "nativeUI"]));
      expect(resources.length).toBeGreaterThan(0);
      const bundles = bundled(outcome, "the UI Kit resources").nativeUiBundlesDetails;
      expect(logger.warnings, logger.warnings.join("\n")).toEqual([]);
      expect(bundles.map((b) => b.key).sort()).toEqual(resources.map((r) => r.key).sort());
      for (const b of bundles) {
        const sizes = listing(b.path, ["index.html", `${b.key}.js`]);
        expect(sizes[`${b.key}.js`], `${b.key}.js`).toBeGreaterThan(10_000);
        expect(readFileSync(join(b.path, "index.html"), "utf8")).toContain(`${b.key}.js`);
      }
    },
    BUNDLE_TIMEOUT,
  );
});
