import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadSettings, parseSettings, SettingsError } from "./settings.js";

const MASTER = Buffer.alloc(32, 7).toString("base64");
const OPERATOR = "operator-token-SECRETVALUE-0123456789abcdef";
const base = { ACCESSMAP_MASTER_KEY: MASTER, ACCESSMAP_OPERATOR_TOKEN: OPERATOR };

function issuesOf(env: Record<string, string | undefined>): { setting: string; message: string }[] {
  try {
    parseSettings(env);
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    const e = err as SettingsError;
    // The message names settings and never a value given.
    for (const v of Object.values(env)) if (v && v.length > 3) expect(e.message).not.toContain(v);
    return e.issues;
  }
  throw new Error("expected a SettingsError");
}

let dir: string | null = null;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});

describe("service settings", () => {
  it("applies the defaults", () => {
    const s = parseSettings(base);
    expect(s).toMatchObject({
      storeUrl: "sqlite:.accessmap/accessmap.db",
      host: "127.0.0.1",
      port: 8787,
      forge: null,
      syncConcurrency: 2,
      retentionKeep: 5,
      massDeletionThreshold: 0.2,
      bodyLimitBytes: 1024 * 1024,
      logLevel: "info",
    });
    expect(s.operatorToken.reveal()).toBe(OPERATOR);
    expect(String(s.operatorToken)).toBe("[REDACTED]");
    expect(JSON.stringify(s)).not.toContain(OPERATOR);
    expect(JSON.stringify(s)).not.toContain(MASTER);
  });

  it("names each missing required setting", () => {
    const issues = issuesOf({});
    expect(issues.map((i) => i.setting).sort()).toEqual(["ACCESSMAP_MASTER_KEY", "ACCESSMAP_OPERATOR_TOKEN"]);
  });

  it("names each invalid setting without printing its value", () => {
    const issues = issuesOf({
      ACCESSMAP_MASTER_KEY: "not-base64-SECRETVALUE!!",
      ACCESSMAP_OPERATOR_TOKEN: "short-SECRETVALUE",
      ACCESSMAP_PORT: "99999",
      ACCESSMAP_SYNC_CONCURRENCY: "zero",
      ACCESSMAP_MASS_DELETION_THRESHOLD: "1.5",
      ACCESSMAP_LOG_LEVEL: "loud",
      ACCESSMAP_STORE: "mysql://SECRETVALUE@db",
      ACCESSMAP_FORGE_JWKS_URL: "http://evil.example/jwks",
    });
    expect(issues.map((i) => i.setting).sort()).toEqual([
      "ACCESSMAP_FORGE_JWKS_URL",
      "ACCESSMAP_LOG_LEVEL",
      "ACCESSMAP_MASS_DELETION_THRESHOLD",
      "ACCESSMAP_MASTER_KEY",
      "ACCESSMAP_OPERATOR_TOKEN",
      "ACCESSMAP_PORT",
      "ACCESSMAP_STORE",
      "ACCESSMAP_SYNC_CONCURRENCY",
    ]);
    expect(JSON.stringify(issues)).not.toContain("SECRETVALUE");
  });

  it("enables Forge auth with an app id", () => {
    const s = parseSettings({
      ...base,
      ACCESSMAP_FORGE_APP_ID: "ari:cloud:ecosystem::app/x",
      ACCESSMAP_FORGE_ALLOWED_API_HOSTS: "127.0.0.1:9000, sim.test",
    });
    expect(s.forge).toEqual({
      appId: "ari:cloud:ecosystem::app/x",
      jwksUrl: "https://forge.cdn.prod.atlassian-dev.net/.well-known/jwks.json",
      allowedApiHosts: ["127.0.0.1:9000", "sim.test"],
      autoRegister: true,
    });
  });

  it("turns Forge auto-registration off, and names a value that is not a boolean", () => {
    const forge = { ...base, ACCESSMAP_FORGE_APP_ID: "ari:cloud:ecosystem::app/x" };
    expect(parseSettings({ ...forge, ACCESSMAP_FORGE_AUTO_REGISTER: "false" }).forge?.autoRegister).toBe(false);
    expect(parseSettings({ ...forge, ACCESSMAP_FORGE_AUTO_REGISTER: "On" }).forge?.autoRegister).toBe(true);
    expect(() => parseSettings({ ...forge, ACCESSMAP_FORGE_AUTO_REGISTER: "maybe" })).toThrow(
      /ACCESSMAP_FORGE_AUTO_REGISTER: must be true or false/,
    );
  });

  it("reads a settings file; the environment wins; unknown keys are refused", async () => {
    dir = await mkdtemp(join(tmpdir(), "accessmap-settings-"));
    const file = join(dir, "settings.json");
    await writeFile(file, JSON.stringify({ ...base, ACCESSMAP_PORT: 9000, ACCESSMAP_HOST: "0.0.0.0" }));
    const s = await loadSettings({ env: { ACCESSMAP_PORT: "9100" }, file });
    expect(s.port).toBe(9100);
    expect(s.host).toBe("0.0.0.0");
    await writeFile(file, JSON.stringify({ ...base, ACCESSMAP_PROT: 1 }));
    await expect(loadSettings({ env: {}, file })).rejects.toThrow(/ACCESSMAP_PROT: is not a setting/);
    await writeFile(file, "{oops");
    await expect(loadSettings({ env: {}, file })).rejects.toThrow(/--settings: .* is not valid JSON/);
  });
});
