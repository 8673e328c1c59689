/**
 * The real entry point: `accessmap discover` as a child process against the simulator on a TCP port (undici
 * transport), its summary table, snapshot file and exit codes.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../atlassian-sim/server.js";
import { simConfigInput } from "../support/sim-config.js";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;

async function accessmap(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run("node", ["--import", "tsx", "backend/src/cli/main.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("accessmap discover (CLI)", () => {
  let sim: RunningSimulator;
  let dir: string;
  beforeAll(async () => {
    sim = await startSimulator({ size: "S", seed: 9 });
    dir = await mkdtemp(join(tmpdir(), "accessmap-cli-"));
  });
  afterAll(async () => sim.close());

  it("discovers completely, prints a summary per source, writes the snapshot and exits 0", async () => {
    const input = simConfigInput(sim.sim.state.tenant, sim.bases.origin, { productToken: "env:SIM_PRODUCT_TOKEN" });
    const config = join(dir, "config.json");
    await writeFile(config, JSON.stringify(input));
    const out = join(dir, "snapshot.json");
    const r = await accessmap(["discover", "--config", config, "--out", out], {
      SIM_PRODUCT_TOKEN: sim.credentials.productUser.token,
    });
    expect(r.code, r.stderr).toBe(0);
    for (const source of ["admin", "scim", "jira", "confluence", "bitbucket"])
      expect(r.stdout).toMatch(new RegExp(`${source}\\s+complete`));
    const snapshot = JSON.parse(await readFile(out, "utf8")) as { version: number; jira: { users: unknown[] } };
    expect(snapshot.version).toBe(1);
    expect(snapshot.jira.users.length).toBeGreaterThan(0);
    const text = r.stdout + r.stderr + (await readFile(out, "utf8"));
    for (const secret of [sim.credentials.productUser.token, sim.credentials.adminApiKey, sim.credentials.scimToken]) {
      expect(text).not.toContain(secret);
    }
    expect(sim.sim.log.writeCount()).toBe(0);
  });

  it("exits 3 when a source is partial, and says why", async () => {
    const c = sim.credentials.bitbucketMemberConsumer;
    const input = simConfigInput(sim.sim.state.tenant, sim.bases.origin, {
      bitbucketOAuthKey: c.key,
      bitbucketOAuthSecret: c.secret,
    });
    const config = join(dir, "partial.json");
    await writeFile(config, JSON.stringify(input));
    const r = await accessmap(["discover", "--config", config, "--out", join(dir, "p.json")]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/bitbucket \(partial\): .*Repositories: Admin/);
  });

  it("exits 2 with the field named for a bad configuration, and never a stack trace", async () => {
    const input = {
      ...simConfigInput(sim.sim.state.tenant, sim.bases.origin),
      workspace: undefined,
      productToken: "env:NOT_SET_ANYWHERE",
    };
    const config = join(dir, "bad.json");
    await writeFile(config, JSON.stringify(input));
    const r = await accessmap(["discover", "--config", config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/workspace: is required when products include bitbucket/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it("has --help and rejects unknown options with exit 2", async () => {
    const help = await accessmap(["discover", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: accessmap discover/);
    const bad = await accessmap(["discover", "--nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--nope/);
  });
});
