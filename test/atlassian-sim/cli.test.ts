/**
 * `npm run sim` as a user runs it: the process starts, prints base URLs and credentials, and each API answers a
 * request made with exactly what was printed.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url).pathname;

interface Printed {
  bases: { adminApi: string; site: string; bitbucketApi: string; bitbucket: string; control: string };
  orgId: string;
  scimDirectoryId: string;
  workspace: string;
  credentials: {
    adminApiKey: string;
    scimToken: string;
    productUser: { email: string; token: string };
    bitbucketAdminConsumer: { key: string; secret: string };
  };
}

describe("npm run sim", () => {
  let child: ChildProcessWithoutNullStreams;
  let printed: Printed;

  beforeAll(async () => {
    child = spawn("node", ["--import", "tsx", "test/atlassian-sim/cli.ts", "--size", "S", "--port", "0", "--json"], {
      cwd: ROOT,
    });
    let out = "";
    printed = await new Promise<Printed>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        try {
          resolve(JSON.parse(out) as Printed);
        } catch {
          // not complete yet
        }
      });
      child.on("exit", (code) => reject(new Error(`simulator exited with ${code}`)));
    });
  });
  afterAll(() => {
    child.kill("SIGTERM");
  });

  it("each API answers with the printed credentials", async () => {
    const c = printed.credentials;
    const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
    const admin = await fetch(`${printed.bases.adminApi}/admin/v1/orgs`, {
      headers: { authorization: `Bearer ${c.adminApiKey}` },
    });
    expect(admin.status).toBe(200);
    expect(((await admin.json()) as { data: Array<{ id: string }> }).data[0]?.id).toBe(printed.orgId);

    const scim = await fetch(`${printed.bases.adminApi}/scim/directory/${printed.scimDirectoryId}/Users?count=1`, {
      headers: { authorization: `Bearer ${c.scimToken}` },
    });
    expect(scim.status).toBe(200);

    const auth = basic(c.productUser.email, c.productUser.token);
    expect(
      (await fetch(`${printed.bases.site}/rest/api/3/project/search`, { headers: { authorization: auth } })).status,
    ).toBe(200);
    expect((await fetch(`${printed.bases.site}/wiki/api/v2/spaces`, { headers: { authorization: auth } })).status).toBe(
      200,
    );

    const token = await fetch(`${printed.bases.bitbucket}/site/oauth2/access_token`, {
      method: "POST",
      headers: {
        authorization: basic(c.bitbucketAdminConsumer.key, c.bitbucketAdminConsumer.secret),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    const { access_token } = (await token.json()) as { access_token: string };
    const bb = await fetch(`${printed.bases.bitbucketApi}/2.0/workspaces/${printed.workspace}/members`, {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(bb.status).toBe(200);

    const counts = (await (await fetch(`${printed.bases.control}/requests`)).json()) as {
      total: number;
      writes: number;
    };
    expect(counts.total).toBe(6);
    expect(counts.writes).toBe(0);
  });

  it("rejects a bad option with a message and exit code 2", async () => {
    const bad = spawn("node", ["--import", "tsx", "test/atlassian-sim/cli.ts", "--size", "XXL"], { cwd: ROOT });
    let err = "";
    bad.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((r) => bad.on("exit", r));
    expect(code).toBe(2);
    expect(err).toMatch(/--size: expected S, M, L or XL/);
  });
});
