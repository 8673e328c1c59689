/**
 * The real entry points: `accessmap discover`, `export` and `query` as child processes against the simulator on a
 * TCP port (undici transport) and a SQLite store: summary tables, the committed model, exports and exit codes.
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

let storeUrl = "";

async function accessmap(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run("node", ["--import", "tsx", "backend/src/cli/main.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, ACCESSMAP_STORE: storeUrl, ...env },
      maxBuffer: 64 * 1024 * 1024,
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
    storeUrl = `sqlite:${join(dir, "store.db")}`;
  });
  afterAll(async () => sim.close());

  it("discovers completely, commits the model, prints a summary and insights, and exits 0", async () => {
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
    expect(r.stdout).toMatch(/model: \d+ accounts/);
    expect(r.stdout).toMatch(/top insights:/);
    expect(r.stdout).toMatch(/version 1 is now current/);
    expect(sim.sim.log.writeCount()).toBe(0);
  });

  it("exports the committed model as CSV, JSON and OAA", async () => {
    const csv = await accessmap(["export", "--format", "csv"]);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "identity,account_id,account_email,account_type,account_status,product,resource_type,resource_id,resource_name,permission,via",
    );
    expect(lines.length).toBeGreaterThan(100);
    const again = await accessmap(["export", "--format", "csv"]);
    expect(again.stdout).toBe(csv.stdout);

    const out = join(dir, "model.json");
    expect((await accessmap(["export", "--format", "json", "--out", out])).code).toBe(0);
    expect(JSON.parse(await readFile(out, "utf8"))).toMatchObject({ format: "accessmap-model", version: 1 });

    const oaa = await accessmap(["export", "--format", "oaa", "--product", "jira"]);
    expect(oaa.code, oaa.stderr).toBe(0);
    expect(JSON.parse(oaa.stdout)).toHaveLength(1);

    const bad = await accessmap(["export", "--format", "xml"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format must be csv, json or oaa/);
  });

  it("answers queries: access, who, why, search, insights", async () => {
    const tenant = sim.sim.state.tenant;
    const user = tenant.credentials.productUser;
    const access = await accessmap(["query", "access", user.email, "--json"]);
    expect(access.code, access.stderr).toBe(0);
    expect(JSON.parse(access.stdout).accountId).toBe(user.accountId);

    const project = tenant.jira.projects[0]?.key as string;
    const who = await accessmap(["query", "who", "jira_project", project, "--permission", "BROWSE_PROJECTS"]);
    expect(who.code, who.stderr).toBe(0);
    expect(who.stdout).toMatch(/BROWSE_PROJECTS/);

    const search = await accessmap(["query", "search", project]);
    expect(search.code).toBe(0);
    expect(search.stdout).toMatch(/jira_project/);

    const insights = await accessmap(["query", "insights", "--json"]);
    expect(insights.code).toBe(0);
    expect(JSON.parse(insights.stdout).length).toBeGreaterThan(3);

    const unknown = await accessmap(["query", "who", "jira_project", "NO-SUCH-PROJECT"]);
    expect(unknown.code).toBe(4);
    const badType = await accessmap(["query", "who", "planet", "x"]);
    expect(badType.code).toBe(2);
    expect(badType.stderr).toMatch(/resource type must be one of/);
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
    expect(r.stdout).toMatch(/bitbucket \(partial\): .*admin/i);
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
