/**
 * The README's main command keeps working: `npm run demo` (here at size S, stopping after the summary) starts the
 * simulator and the service, syncs through the API, and prints every source complete and the top insights.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;

describe("npm run demo", () => {
  it("discovers the simulated organization through the service and prints a summary", async () => {
    const { stdout } = await run(
      "node",
      ["--import", "tsx", "test/demo/run-demo.ts", "--size", "S", "--exit", "--port", "0"],
      {
        cwd: ROOT,
        env: { ...process.env, ACCESSMAP_MASTER_KEY: "" },
        timeout: 120_000,
      },
    );
    for (const source of ["admin", "scim", "jira", "confluence", "bitbucket"])
      expect(stdout).toMatch(new RegExp(`${source}\\s+complete`));
    expect(stdout).toMatch(/top insights:/);
    expect(stdout).toMatch(/docs http:\/\/127\.0\.0\.1:\d+\/docs/);
  });
});
