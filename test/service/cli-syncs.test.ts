/**
 * `accessmap tenants create` then `accessmap syncs run|list|show|cancel` as child processes: a tenant registered from
 * a configuration file is synced against the simulator on a TCP port, without a running service.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../atlassian-sim/server.js";
import { simConfigInput } from "../support/sim-config.js";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;

describe("accessmap syncs", () => {
  let sim: RunningSimulator;
  let env: NodeJS.ProcessEnv;
  let config: string;
  const accessmap = async (...args: string[]) => {
    try {
      const r = await run("node", ["--import", "tsx", "backend/src/cli/main.ts", ...args], { cwd: ROOT, env });
      return { code: 0, ...r };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    sim = await startSimulator({ size: "S", seed: 4 });
    const dir = await mkdtemp(join(tmpdir(), "accessmap-syncs-"));
    env = {
      ...process.env,
      ACCESSMAP_STORE: `sqlite:${join(dir, "store.db")}`,
      ACCESSMAP_MASTER_KEY: randomBytes(32).toString("base64"),
    };
    config = join(dir, "acme.json");
    await writeFile(config, JSON.stringify(simConfigInput(sim.sim.state.tenant, sim.bases.origin, { name: "acme" })));
  });
  afterAll(async () => sim.close());

  it("runs a sync of a registered tenant here, with the job recorded", async () => {
    const created = await accessmap("tenants", "create", "--config", config);
    expect(created.code, created.stderr).toBe(0);
    const r = await accessmap("syncs", "run", "--json");
    expect(r.code, r.stderr).toBe(0);
    const job = JSON.parse(r.stdout) as { id: string; state: string; result: { outcome: string } };
    expect(job.state).toBe("succeeded");
    expect(job.result.outcome).toBe("complete");

    const list = await accessmap("syncs", "list");
    expect(list.stdout).toContain(job.id);
    expect((await accessmap("syncs", "show", job.id)).code).toBe(0);
    expect((await accessmap("syncs", "show", "no-such-job")).code).toBe(4);
    const who = await accessmap("query", "insights", "--json");
    expect(who.code, who.stderr).toBe(0);
  });

  it("queues only with --queue-only, cancels a queued job, and has --help", async () => {
    const q = await accessmap("syncs", "run", "--queue-only", "--json");
    expect(q.code, q.stderr).toBe(0);
    const { job } = JSON.parse(q.stdout) as { job: { id: string } };
    const c = await accessmap("syncs", "cancel", job.id, "--json");
    expect(JSON.parse(c.stdout).state).toBe("cancelled");
    expect((await accessmap("syncs", "--help")).stdout).toMatch(/Usage: accessmap syncs/);
    expect((await accessmap("syncs", "dance")).code).toBe(2);
  });
});
