/**
 * `accessmap serve` and `accessmap tenants` as child processes: settings errors name the setting (exit 2, no value
 * printed), the service starts, answers, prints its URLs and stops cleanly on SIGTERM; tenants are created from a
 * configuration file (secrets sealed, never printed), listed, given an API key that works against the running
 * service, and deleted.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;

let dir = "";
let env: Record<string, string> = {};

async function accessmap(args: string[], extra: Record<string, string | undefined> = {}) {
  const e: NodeJS.ProcessEnv = { ...process.env, ...env, ...extra };
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete e[k];
  try {
    const { stdout, stderr } = await run("node", ["--import", "tsx", "backend/src/cli/main.ts", ...args], {
      cwd: ROOT,
      env: e,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const x = err as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "accessmap-serve-"));
  env = {
    ACCESSMAP_STORE: `sqlite:${join(dir, "store.db")}`,
    ACCESSMAP_MASTER_KEY: randomBytes(32).toString("base64"),
    ACCESSMAP_OPERATOR_TOKEN: randomBytes(24).toString("hex"),
    ACCESSMAP_LOG_LEVEL: "warn",
  };
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("accessmap serve and tenants (CLI)", () => {
  it("refuses to start on bad settings, naming each setting and never its value (exit 2)", async () => {
    const r = await accessmap(["serve"], {
      ACCESSMAP_MASTER_KEY: undefined,
      ACCESSMAP_OPERATOR_TOKEN: "tooShort-SECRETVALUE",
      ACCESSMAP_PORT: "notaport",
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ACCESSMAP_MASTER_KEY: is not set/);
    expect(r.stderr).toMatch(/ACCESSMAP_OPERATOR_TOKEN: must be at least 32 characters/);
    expect(r.stderr).toMatch(/ACCESSMAP_PORT: must be an integer/);
    expect(r.stderr + r.stdout).not.toContain("SECRETVALUE");
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
  });

  it("has --help on serve and every tenants action", async () => {
    for (const args of [
      ["serve", "--help"],
      ["tenants", "--help"],
    ]) {
      const r = await accessmap(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: accessmap/);
    }
    const bad = await accessmap(["tenants", "frobnicate"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown action "frobnicate"/);
  });

  it("creates, lists and deletes tenants, mints a key, and serves it until SIGTERM", async () => {
    const config = join(dir, "acme.json");
    const token = `tok-${randomBytes(8).toString("hex")}`;
    await writeFile(
      config,
      JSON.stringify({
        name: "acme",
        atlassianUrl: "acme.atlassian.net",
        products: ["jira"],
        productUser: "integration@acme.example",
        productToken: "env:ACME_TOKEN",
      }),
    );
    const missing = await accessmap(["tenants", "create", "--config", config]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/productToken: environment variable ACME_TOKEN is not set/);

    const created = await accessmap(["tenants", "create", "--config", config, "--schedule-minutes", "60", "--json"], {
      ACME_TOKEN: token,
    });
    expect(created.code, created.stderr).toBe(0);
    const tenant = JSON.parse(created.stdout);
    expect(tenant).toMatchObject({ name: "acme", secretsSet: ["productToken"], schedule: { everyMinutes: 60 } });
    expect(created.stdout + created.stderr).not.toContain(token);

    const dup = await accessmap(["tenants", "create", "--config", config], { ACME_TOKEN: token });
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/another tenant has this name/);

    const list = await accessmap(["tenants", "list"]);
    expect(list.stdout).toMatch(/acme\s+jira\s+every 60 min\s+productToken/);

    const minted = await accessmap(["tenants", "api-key", "acme", "--json"]);
    expect(minted.code).toBe(0);
    const { key } = JSON.parse(minted.stdout) as { key: string };
    expect(key).toMatch(/^am_/);

    // Serve on an ephemeral port; the URLs are printed on stderr.
    const child = spawn("node", ["--import", "tsx", "backend/src/cli/main.ts", "serve", "--no-background"], {
      cwd: ROOT,
      env: { ...process.env, ...env, ACCESSMAP_PORT: "0" },
    });
    let stderr = "";
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += String(d);
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${stderr}`)), 30_000);
      child.stderr.on("data", (d) => {
        stderr += String(d);
        const m = /accessmap API:\s+(\S+)/.exec(stderr);
        if (m?.[1] && /accessmap docs:/.test(stderr)) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    expect(stderr).toContain(`accessmap docs: ${url}/docs`);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    try {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const mine = await fetch(`${url}/v1/tenants/${tenant.id}`, { headers: { authorization: `Bearer ${key}` } });
      expect(mine.status).toBe(200);
      const body = await mine.text();
      expect(body).not.toContain(token);
      expect(
        (await fetch(`${url}/v1/tenants`, { method: "POST", headers: { authorization: `Bearer ${key}` } })).status,
      ).toBe(403);
      expect((await fetch(`${url}/docs`)).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/SIGTERM, shutting down/);
    expect(stdout + stderr).not.toContain(token);
    expect(stdout + stderr).not.toContain(key.slice(20));

    const deleted = await accessmap(["tenants", "delete", "acme"]);
    expect(deleted.code).toBe(0);
    expect((await accessmap(["tenants", "delete", "acme"])).code).toBe(2);
  }, 120_000);
});
