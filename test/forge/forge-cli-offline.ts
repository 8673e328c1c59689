/**
 * Runs the Forge CLI's own packages offline, the way `forge lint` and `forge deploy` call them, without a login:
 * the client-side linters of `@forge/lint` with the local OpenAPI files (forge-offline.md §2.2), and the app
 * manifest read through `@forge/cli-shared`'s `ConfigFile`. Both read the app from the working directory, so every
 * call runs inside {@link inAppDir}.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigFile, FileSystemReader, FileSystemWriter, type StatsigService } from "@forge/cli-shared";
import { lint, parseSourceFile, tsParser } from "@forge/lint";
import type { ManifestSchema } from "@forge/manifest";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Atlassian's OpenAPI documents, beside the repository (never copied into it). */
export const SPECS_DIR = resolve(ROOT, "../shared/atlassian-specs");

/**
 * The feature-gate service: the CLI asks Atlassian's Statsig, which needs the network. The client-side linters and
 * the bundlers ask only these three questions (grep of `statsigService.` in @forge/lint and @forge/bundler).
 */
export const OFFLINE_STATSIG = {
  getDeprecatedRuntimes: async () => [],
  isTypescriptBundlerEnabled: async () => false,
  testForgeCliBundleRuntimeLoaderGate: async () => true,
} as unknown as StatsigService;

let busy = false;

/** Runs `fn` with `dir` as the working directory and `env` set, restoring both after; one call at a time. */
export async function inAppDir<T>(dir: string, env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  if (busy) throw new Error("inAppDir is not reentrant: the working directory is process-wide");
  busy = true;
  const cwd = process.cwd();
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(cwd);
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    busy = false;
  }
}

/** The manifest as the CLI reads it (`manifest.yml` in the working directory). */
export function readAppManifest(): Promise<ManifestSchema> {
  return new ConfigFile(new FileSystemReader(), new FileSystemWriter()).readConfig();
}

/**
 * The environment that points the permission linter at local OpenAPI files instead of developer.atlassian.com
 * (`@forge/lint` permission-linter.js reads all seven variables or none). Jira Service Management and Jira Software
 * have no spec in shared/atlassian-specs: they get `{"paths":{}}` files in `scratch`, so calls to their APIs would go
 * unchecked — the app makes none (lint.test.ts fails on any reader endpoint the specs do not know).
 */
export function localSwaggerEnv(scratch: string): Record<string, string> {
  const spec = (name: string) => {
    const path = join(SPECS_DIR, name);
    if (!existsSync(path))
      throw new Error(`OpenAPI file missing: ${path} (see ../shared/atlassian-specs/PROVENANCE.md)`);
    return path;
  };
  mkdirSync(scratch, { recursive: true });
  const empty = join(scratch, "no-paths.json");
  writeFileSync(empty, JSON.stringify({ paths: {} }));
  return {
    USE_LOCAL_SWAGGER: "1",
    LOCAL_JIRA_SWAGGER: spec("jira-platform-swagger-v3.v3.json"),
    LOCAL_JSM_SWAGGER: empty,
    LOCAL_JSW_SWAGGER: empty,
    LOCAL_CONF_SWAGGER: spec("confluence-v1-swagger.v3.json"),
    LOCAL_CONF_V2_SWAGGER: spec("confluence-v2-openapi-v2.v3.json"),
    LOCAL_BB_SWAGGER: spec("bitbucket-swagger.json"),
  };
}

export interface LintProblem {
  file: string;
  level: "error" | "warning" | "approval";
  line: number;
  column: number;
  message: string;
  /** The scope the permission linter found missing, when that is the problem. */
  missingScope?: string;
}

export interface LintRun {
  problems: LintProblem[];
  /** Files the linters actually parsed (`lint` silently drops TypeScript files its tsconfig check rejects). */
  parsed: string[];
}

/**
 * Runs every client-side linter on `files` (paths relative to the working directory), as `forge lint` does.
 * `fixtures` (absolute paths of JavaScript files outside the app) are linted too, but parsed without the app's
 * tsconfig: with one present the parser builds the tsconfig's program and rejects files outside it.
 */
export async function runClientLint(files: readonly string[], fixtures: readonly string[] = []): Promise<LintRun> {
  const manifest = await readAppManifest();
  const parsed: string[] = [];
  const outsideProject = new Set(fixtures);
  const logger = { info: () => {} }; // results are returned, not printed
  const results = await lint([...files, ...fixtures], manifest, "development", logger, OFFLINE_STATSIG, {
    linter: { mode: "client-side" },
    parseFunction: async (filepath, parser, read) => {
      parsed.push(filepath);
      if (!outsideProject.has(filepath)) return parseSourceFile(filepath, parser, read);
      const ast = await tsParser(readFileSync(filepath, "utf8"), filepath, { project: undefined });
      return { ast, filepath };
    },
  });
  const problems = results.flatMap((r) =>
    (["errors", "warnings", "approvals"] as const).flatMap((kind) =>
      r[kind].map(
        (rule): LintProblem => ({
          file: r.file,
          level: kind === "errors" ? "error" : kind === "warnings" ? "warning" : "approval",
          line: rule.line,
          column: rule.column,
          message: rule.message,
          missingScope:
            typeof rule.metadata?.missingPermission === "string" ? rule.metadata.missingPermission : undefined,
        }),
      ),
    ),
  );
  return { problems, parsed };
}

/** One line per problem, for assertion messages. */
export function formatProblems(problems: readonly LintProblem[]): string {
  return problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.level}: ${p.message}`).join("\n");
}

/** The TypeScript sources under `dirs` (relative to `root`), tests left out: what the Forge bundle is built from. */
export function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return e.name === "node_modules" ? [] : walk(p);
      return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [relative(root, p)] : [];
    });
  return dirs.flatMap((d) => (existsSync(join(root, d)) ? walk(join(root, d)) : [])).sort();
}
