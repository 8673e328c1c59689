/**
 * Targeted re-reads against the simulator: after an upstream change, the partition changes a targeted read makes,
 * applied to the section read before, must give the section a full read makes now (compared by content: row order
 * within a list carries no meaning). Also the calls a repository costs, and the fallbacks (a refusal, a row naming
 * an account the section does not list).
 */
import type { Config } from "@accessmap/backend/config/load";
import { readBitbucketTargets } from "@accessmap/backend/connectors/bitbucket/read-targets";
import { runDiscovery } from "@accessmap/backend/discovery/run-discovery";
import { buildTransports } from "@accessmap/backend/discovery/transports";
import { restrictConfig } from "@accessmap/backend/events/processor";
import { readConfluenceSpaces } from "@accessmap/backend/events/targeted/confluence";
import { readJiraProjects } from "@accessmap/backend/events/targeted/jira";
import { applySnapshotChange, type PartitionedSection } from "@accessmap/backend/model/snapshot-delta";
import type { Snapshot } from "@accessmap/shared/snapshot/schema";
import type { Transport } from "@accessmap/shared/transport/transport";
import { beforeEach, describe, expect, it } from "vitest";
import { makeTestSim, ORIGIN, type TestSim } from "../atlassian-sim/testing.js";
import { simConfig } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";
import { RETRY } from "./helpers.js";

let t: TestSim;
let config: Config;
let before: Snapshot;

async function discover(cfg: Config): Promise<Snapshot> {
  return (await runDiscovery(cfg, { send: simSend(t), schemaMode: "throw", retry: RETRY })).snapshot;
}

/** A transport of one section, counting its calls. */
function transportOf(section: PartitionedSection, cfg = config): { transport: Transport; calls: string[] } {
  const calls: string[] = [];
  const transport = buildTransports(restrictConfig(cfg, [section]), {
    send: simSend(t),
    schemaMode: "throw",
    retry: RETRY,
    onCall: (e) => calls.push(e.endpoint),
  }).transports[section]!;
  return { transport, calls };
}

/** A section with every list's rows sorted: two sections compare by content. */
function byContent(section: unknown): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(section as Record<string, unknown>).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.map((x) => JSON.stringify(x)).sort() : v,
    ]),
  );
}

beforeEach(async () => {
  t = makeTestSim("S", 5);
  config = simConfig(t.sim.state.tenant, ORIGIN);
  before = await discover(config);
});

describe("targeted Bitbucket reads", () => {
  it("a changed, a re-privatised and a deleted repository and a project grant: the same rows a full read gives", async () => {
    const bb = t.sim.state.tenant.bitbucket;
    const [a, b, c] = bb.repos;
    const member = bb.members.find((m) => !a!.users.some((u) => u.accountId === m.accountId))!;
    t.sim.state.bitbucketSetRepoPermission(a!.slug, { accountId: member.accountId }, "write", "test");
    b!.isPrivate = !b!.isPrivate;
    bb.repos = bb.repos.filter((r) => r !== c);
    const project = bb.projects[0]!;
    t.sim.state.bitbucketSetProjectPermission(project.key, { accountId: member.accountId }, "admin", "test");
    t.sim.state.revision++;

    const { transport, calls } = transportOf("bitbucket");
    const read = await readBitbucketTargets(
      { transport },
      {
        base: before.bitbucket!,
        skipBranchProtection: false,
        targets: { repositories: [a!.uuid, b!.slug, c!.uuid], projects: [project.key] },
      },
    );
    expect(read.ok).toBe(true);
    const patched = applySnapshotChange(before, { bitbucket: read.ok ? read.change : { lists: {} } });
    const after = await discover(restrictConfig(config, ["bitbucket"]));
    expect(byContent(patched.bitbucket)).toEqual(byContent(after.bitbucket));
    // The privacy change of b and the deletion of c re-read their projects (has_publicly_visible_repos), once each.
    expect(calls.filter((e) => e === "GET /2.0/workspaces/{workspace}/projects/{project_key}").length).toBe(
      new Set([project.key, b!.projectKey, c!.projectKey]).size,
    );
  });

  it("costs four calls for a repository the section holds: the repository, its user and group grants, its branch restrictions", async () => {
    const repo = t.sim.state.tenant.bitbucket.repos[0]!;
    const { transport, calls } = transportOf("bitbucket");
    await transport.request({ path: "/2.0/user", endpoint: "warm-up" }).catch(() => undefined);
    calls.length = 0;
    const read = await readBitbucketTargets(
      { transport },
      { base: before.bitbucket!, skipBranchProtection: false, targets: { repositories: [repo.uuid], projects: [] } },
    );
    expect(read.ok).toBe(true);
    expect(calls.filter((e) => !e.startsWith("POST /site/oauth2")).sort()).toEqual([
      "GET /2.0/repositories/{workspace}/{repo_slug}",
      "GET /2.0/repositories/{workspace}/{repo_slug}/branch-restrictions",
      "GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config/groups",
      "GET /2.0/repositories/{workspace}/{repo_slug}/permissions-config/users",
    ]);
  });

  it("a new repository, unknown to the section, is read and added", async () => {
    const bb = t.sim.state.tenant.bitbucket;
    const template = bb.repos[1]!;
    const fresh = { ...structuredClone(template), uuid: "{0000aaaa-0000-4000-8000-00000000beef}", slug: "brand-new" };
    bb.repos.push(fresh);
    t.sim.state.revision++;
    const { transport } = transportOf("bitbucket");
    const read = await readBitbucketTargets(
      { transport },
      { base: before.bitbucket!, skipBranchProtection: false, targets: { repositories: [fresh.uuid], projects: [] } },
    );
    expect(read.ok).toBe(true);
    const patched = applySnapshotChange(before, { bitbucket: read.ok ? read.change : { lists: {} } });
    expect(byContent(patched.bitbucket)).toEqual(
      byContent((await discover(restrictConfig(config, ["bitbucket"]))).bitbucket),
    );
  });

  it("falls back to the section when the credential is refused", async () => {
    const c = t.sim.state.tenant.credentials.bitbucketMemberConsumer;
    const member = simConfig(t.sim.state.tenant, ORIGIN, { bitbucketOAuthKey: c.key, bitbucketOAuthSecret: c.secret });
    const repo = t.sim.state.tenant.bitbucket.repos.find((r) => r.isPrivate)!;
    const { transport } = transportOf("bitbucket", member);
    const read = await readBitbucketTargets(
      { transport },
      { base: before.bitbucket!, skipBranchProtection: false, targets: { repositories: [repo.uuid], projects: [] } },
    );
    expect(read).toMatchObject({ ok: false, reason: expect.stringMatching(/403/) });
  });
});

describe("targeted Jira reads", () => {
  it("a project's role actors and lead: the same rows a full read gives", async () => {
    const jira = t.sim.state.tenant.jira;
    const project = jira.projects[0]!;
    const role = jira.roles[0]!;
    const users = t.sim.state.tenant.accounts.slice(0, 3).map((a) => a.accountId);
    t.sim.state.setJiraRoleActors(project.id, role.id, { users, groups: [] }, "test");
    const { transport } = transportOf("jira");
    const read = await readJiraProjects({ transport }, { base: before.jira!, projects: [project.key] });
    expect(read.ok).toBe(true);
    const patched = applySnapshotChange(before, { jira: read.ok ? read.change : { lists: {} } });
    const after = await discover(restrictConfig(config, ["jira"]));
    expect(byContent(patched.jira)).toEqual(byContent(after.jira));
  });

  it("a project that is gone leaves the section", async () => {
    const jira = t.sim.state.tenant.jira;
    const project = jira.projects.find((p) => !p.archived)!;
    jira.projects = jira.projects.filter((p) => p !== project);
    t.sim.state.revision++;
    const { transport } = transportOf("jira");
    const read = await readJiraProjects({ transport }, { base: before.jira!, projects: [project.key] });
    expect(read.ok).toBe(true);
    const patched = applySnapshotChange(before, { jira: read.ok ? read.change : { lists: {} } });
    expect(patched.jira!.projects.some((p) => p.key === project.key)).toBe(false);
    expect(patched.jira!.roleActors.some((a) => a.projectId === project.id)).toBe(false);
  });
});

describe("targeted Confluence reads", () => {
  it("a space permission added for a listed account: the same rows a full read gives", async () => {
    const space = t.sim.state.tenant.confluence.spaces[0]!;
    const known = before.confluence!.users[0]!.accountId;
    t.sim.state.addSpacePermission(space.id, { type: "user", id: known }, { key: "delete", targetType: "page" }, "x");
    const { transport } = transportOf("confluence");
    const read = await readConfluenceSpaces({ transport }, { base: before.confluence!, spaces: [space.key] });
    expect(read.ok).toBe(true);
    const patched = applySnapshotChange(before, { confluence: read.ok ? read.change : { lists: {} } });
    const after = await discover(restrictConfig(config, ["confluence"]));
    expect(byContent(patched.confluence)).toEqual(byContent(after.confluence));
  });

  it("falls back when a space's rows name an account the section does not list (its identity side changes)", async () => {
    const space = t.sim.state.tenant.confluence.spaces[0]!;
    const listed = new Set(before.confluence!.users.map((u) => u.accountId));
    const stranger = t.sim.state.tenant.accounts.find((a) => !listed.has(a.accountId))!;
    t.sim.state.addSpacePermission(
      space.id,
      { type: "user", id: stranger.accountId },
      { key: "read", targetType: "space" },
      "x",
    );
    const { transport } = transportOf("confluence");
    const read = await readConfluenceSpaces({ transport }, { base: before.confluence!, spaces: [space.key] });
    expect(read).toMatchObject({ ok: false, reason: expect.stringMatching(/account the section does not list/) });
  });
});
