/**
 * `accessmap lifecycle plan|apply|audit` as a child process against the simulator on a TCP port (the undici
 * transport) and a SQLite store: a saved plan, a dry run, an apply, the audit log, a stale plan, a bad input file
 * (its line named), a configuration without the lifecycle fields; no secret on any output.
 */
import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../atlassian-sim/server.js";
import { simConfigInput } from "../support/sim-config.js";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;

let storeUrl = "";

async function accessmap(args: string[]) {
  try {
    const { stdout, stderr } = await run("node", ["--import", "tsx", "backend/src/cli/main.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, ACCESSMAP_STORE: storeUrl },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("accessmap lifecycle (CLI)", () => {
  let sim: RunningSimulator;
  let dir: string;
  let config: string;
  let output = "";
  beforeAll(async () => {
    sim = await startSimulator({ size: "S", seed: 5 });
    dir = await mkdtemp(join(tmpdir(), "accessmap-lifecycle-"));
    storeUrl = `sqlite:${join(dir, "store.db")}`;
    const base = simConfigInput(sim.sim.state.tenant, sim.bases.origin);
    config = join(dir, "config.json");
    await writeFile(
      config,
      JSON.stringify({
        ...base,
        products: ["jira"],
        lifecycle: { ...base.lifecycle, enabled: true, scimOrgId: sim.scimDirectoryId },
      }),
    );
  });
  afterAll(async () => {
    await sim.close();
    const c = sim.credentials;
    for (const secret of [c.scimToken, c.adminApiKey, c.productUser.token]) expect(output).not.toContain(secret);
  });

  const state = () => sim.sim.state;
  const leavers = () =>
    state().tenant.scim.users.filter(
      (u) =>
        u.active &&
        !state().tenant.orgAdmins.includes(u.accountId) &&
        u.email !== state().tenant.credentials.productUser.email,
    );

  it("plans a leaver file, saves the plan, dry-runs it, applies it, and lists the audit log", async () => {
    const [a, b] = leavers();
    const file = join(dir, "leavers.csv");
    await writeFile(file, `kind,userName\nleaver,${a!.userName}\nleaver,${b!.userName}\n`);
    const planFile = join(dir, "plan.json");

    const plan = await accessmap(["lifecycle", "plan", "--config", config, "--file", file, "--out", planFile]);
    output += plan.stdout + plan.stderr;
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/s1\s+pending\s+deactivate/);
    expect(plan.stdout).toMatch(/2 call\(s\) to make/);

    const dry = await accessmap(["lifecycle", "apply", "--config", config, "--plan", planFile]);
    output += dry.stdout + dry.stderr;
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/dry run \(add --yes to apply\): 2 dry-run/);
    expect(state().scimUsersById.get(a!.id)?.active).toBe(true);

    const applied = await accessmap(["lifecycle", "apply", "--config", config, "--plan", planFile, "--yes"]);
    output += applied.stdout + applied.stderr;
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/applied: 2 ok/);
    expect(state().scimUsersById.get(a!.id)?.active).toBe(false);
    expect(state().scimUsersById.get(b!.id)?.active).toBe(false);

    const audit = await accessmap(["lifecycle", "audit", "--config", config]);
    output += audit.stdout + audit.stderr;
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toMatch(/lifecycle\.scim\.user\.deactivate\s+user:\S+\s+intent/);
    expect(audit.stdout).toMatch(/lifecycle\.scim\.user\.deactivate\s+user:\S+\s+ok/);
    expect(audit.stdout).toContain('old {"active":true}; new {"active":false}');

    // The same plan again: the state moved, so it is stale.
    const stale = await accessmap(["lifecycle", "apply", "--config", config, "--plan", planFile, "--yes"]);
    output += stale.stdout + stale.stderr;
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/the plan is stale/);
  }, 60_000);

  it("one action from flags; a delete without --confirm is refused in the plan", async () => {
    const [, , c] = leavers();
    const r = await accessmap([
      "lifecycle",
      "plan",
      "--config",
      config,
      "--action",
      "delete",
      "--user",
      c!.userName,
      "--mode",
      "directory",
    ]);
    output += r.stdout + r.stderr;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/s1\s+refused/);
    expect(r.stdout).toMatch(/explicit confirmation/);
  }, 30_000);

  it("names the line of a bad desired-state row, and exits 2", async () => {
    const file = join(dir, "bad.csv");
    await writeFile(file, "kind,userName\nleaver,a@initech.example\nretiree,b@initech.example\n");
    const r = await accessmap(["lifecycle", "plan", "--config", config, "--file", file]);
    output += r.stdout + r.stderr;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 3: kind must be joiner, mover or leaver \(got "retiree"\)/);
  }, 30_000);

  it("names the missing lifecycle configuration fields, and exits 2", async () => {
    const bare = join(dir, "bare.json");
    const base = simConfigInput(sim.sim.state.tenant, sim.bases.origin);
    await writeFile(bare, JSON.stringify({ ...base, products: ["jira"], lifecycle: undefined }));
    const r = await accessmap([
      "lifecycle",
      "plan",
      "--config",
      bare,
      "--action",
      "deprovision",
      "--user",
      "x@initech.example",
    ]);
    output += r.stdout + r.stderr;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /lifecycle management needs lifecycle\.scimUrl, lifecycle\.scimToken, lifecycle\.scimOrgId/,
    );
  }, 30_000);
});
