/**
 * The incremental model patch against a full build, on the S and M tenants: random changes of repositories,
 * Bitbucket projects, Jira projects, permission schemes and role names, Confluence spaces and role operations —
 * alone and one after another — must give exactly the model `buildModel` gives for the patched snapshot (compared
 * in canonical form, and list for list in model order), and the cumulative deltas must rebuild the same snapshot
 * and model from the base.
 */
import { runDiscovery } from "@accessmap/backend/discovery/run-discovery";
import { buildModel } from "@accessmap/backend/model/build-model";
import { patchIndex } from "@accessmap/backend/model/index-patch";
import { applyModelDelta, type ModelDelta, mergeModelDelta } from "@accessmap/backend/model/model-delta";
import { modelForm } from "@accessmap/backend/model/model-form";
import { countsOf, type PatchBase, patchBaseOf, patchModel } from "@accessmap/backend/model/patch-model";
import { indexModel, type ModelIndex } from "@accessmap/backend/model/queries";
import {
  applySnapshotChange,
  applySnapshotDelta,
  diffSection,
  mergeSnapshotDelta,
  type SnapshotChange,
  type SnapshotDelta,
} from "@accessmap/backend/model/snapshot-delta";
import type { Model } from "@accessmap/backend/model/types";
import type { BitbucketSection, ConfluenceSection, JiraSection, Snapshot } from "@accessmap/shared/snapshot/schema";
import { beforeAll, describe, expect, it } from "vitest";
import { makeTestSim, ORIGIN } from "../atlassian-sim/testing.js";
import { simConfig } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";

/** mulberry32: a small seeded generator, so a failure names a seed that reproduces it. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}
type Rng = ReturnType<typeof rng>;

const clone = <T>(x: T): T => structuredClone(x);

/** One random edit of a section (returns the edited copy and what it did, for the failure message). */
type Edit<S> = (s: S, r: Rng, snap: Snapshot) => string;

const bitbucketEdits: Edit<BitbucketSection>[] = [
  (bb, r, snap) => {
    const repo = r.pick(bb.repositories);
    const member = r.pick(bb.members);
    const level = r.pick(["read", "write", "admin", "triage"]);
    bb.repositoryPermissions = bb.repositoryPermissions.filter(
      (p) => !(p.repoSlug === repo.slug && p.principalId === member.accountId),
    );
    if (r.next() < 0.8)
      bb.repositoryPermissions.push({
        repoSlug: repo.slug,
        principalType: "user",
        principalId: member.accountId,
        permission: level,
        source: "explicit",
      });
    void snap;
    return `repo ${repo.slug}: user ${member.accountId} → ${level}`;
  },
  (bb, r) => {
    const repo = r.pick(bb.repositories);
    const group = bb.groups.length > 0 && r.next() < 0.8 ? r.pick(bb.groups).slug : "no-such-group";
    bb.repositoryPermissions.push({
      repoSlug: repo.slug,
      principalType: "group",
      principalId: group,
      permission: r.pick(["read", "write", "admin"]),
      source: "explicit",
    });
    return `repo ${repo.slug}: group ${group}`;
  },
  (bb, r) => {
    const repo = r.pick(bb.repositories);
    repo.is_private = !repo.is_private;
    return `repo ${repo.slug}: is_private → ${repo.is_private}`;
  },
  (bb, r) => {
    const repo = r.pick(bb.repositories);
    repo.project_key = bb.projects.length > 0 && r.next() < 0.8 ? r.pick(bb.projects).key : null;
    return `repo ${repo.slug}: project → ${repo.project_key}`;
  },
  (bb, r) => {
    const repo = r.pick(bb.repositories);
    bb.repositories = bb.repositories.filter((x) => x !== repo);
    return `repo ${repo.slug} deleted (its grants stay, orphaned)`;
  },
  (bb, r) => {
    const slug = `new-repo-${r.int(1e6)}`;
    bb.repositories.push({
      uuid: `{${slug}}`,
      slug,
      name: slug,
      is_private: r.next() < 0.5,
      project_key: bb.projects.length > 0 ? r.pick(bb.projects).key : null,
      fork_policy: "no_public_forks",
      mainbranch: "main",
    });
    bb.repositoryPermissions.push({
      repoSlug: slug,
      principalType: "user",
      principalId: r.pick(bb.members).accountId,
      permission: "write",
      source: "explicit",
    });
    bb.branchProtection.push({
      repoSlug: slug,
      branch: "main",
      default_branch_protected: true,
      allow_auto_merge_when_builds_pass: false,
      require_passing_builds_to_merge: true,
      enforce_merge_checks: false,
      require_approvals_to_merge: true,
      require_default_reviewer_approvals_to_merge: false,
      require_tasks_to_be_completed: false,
      approvalsRequired: 2,
    });
    return `repo ${slug} created`;
  },
  (bb, r) => {
    const bp = r.pick(bb.branchProtection);
    bp.approvalsRequired = (bp.approvalsRequired ?? 0) + 1;
    bp.require_approvals_to_merge = !bp.require_approvals_to_merge;
    return `branch protection of ${bp.repoSlug}`;
  },
  (bb, r) => {
    const project = r.pick(bb.projects);
    const member = r.pick(bb.members);
    bb.projectPermissions.push({
      projectKey: project.key,
      principalType: "user",
      principalId: member.accountId,
      permission: r.pick(["read", "write", "create-repo", "admin"]),
    });
    return `project ${project.key}: user ${member.accountId}`;
  },
  (bb, r) => {
    const project = r.pick(bb.projects);
    bb.projectPermissions = bb.projectPermissions.filter((p) => p.projectKey !== project.key);
    if (r.next() < 0.5) bb.projects = bb.projects.filter((p) => p !== project);
    return `project ${project.key}: grants cleared`;
  },
];

const jiraEdits: Edit<JiraSection>[] = [
  (j, r) => {
    const p = r.pick(j.projects);
    p.permissionSchemeId = r.next() < 0.9 ? r.pick(j.permissionSchemes).id : null;
    return `project ${p.key}: scheme → ${p.permissionSchemeId}`;
  },
  (j, r) => {
    const p = r.pick(j.projects);
    p.leadAccountId = r.pick(j.users).accountId;
    p.archived = !p.archived;
    return `project ${p.key}: lead`;
  },
  (j, r) => {
    const p = r.pick(j.projects);
    const role = r.pick(j.roles);
    if (r.next() < 0.5) {
      j.roleActors = j.roleActors.filter((a) => !(a.projectId === p.id && a.roleId === role.id));
      return `project ${p.key}: role ${role.id} emptied`;
    }
    const g = r.pick(j.groups);
    j.roleActors.push({
      projectId: p.id,
      roleId: role.id,
      roleName: `${p.name} - ${role.name}`,
      actorType: r.next() < 0.5 ? "group" : "user",
      accountId: r.pick(j.users).accountId,
      groupId: g.groupId,
    });
    return `project ${p.key}: actor added to ${role.id}`;
  },
  (j, r) => {
    const scheme = r.pick(j.permissionSchemes);
    const holder = r.pick(["group", "user", "anyone", "projectLead", "applicationRole", "reporter", "mystery"]);
    const g = r.pick(j.groups);
    j.grants.push({
      schemeId: scheme.id,
      grantId: `g-${r.int(1e9)}`,
      permission: r.pick(["BROWSE_PROJECTS", "ADMINISTER_PROJECTS", "DELETE_ISSUES"]),
      holderType: holder,
      parameter:
        holder === "group"
          ? r.next() < 0.8
            ? g.name
            : "no such group"
          : holder === "applicationRole"
            ? "jira-software"
            : null,
      value: holder === "user" ? r.pick(j.users).accountId : null,
      conditional: holder === "reporter",
    });
    return `scheme ${scheme.id}: ${holder} grant`;
  },
  (j, r) => {
    const scheme = r.pick(j.permissionSchemes);
    j.grants = j.grants.filter((g) => !(g.schemeId === scheme.id && r.next() < 0.5));
    scheme.name = `${scheme.name} (renamed)`;
    return `scheme ${scheme.id}: grants thinned, renamed`;
  },
  (j, r) => {
    const role = r.pick(j.roles);
    role.name = `${role.name}!`;
    return `role ${role.id} renamed`;
  },
  (j, r) => {
    const p = r.pick(j.projects);
    j.projects = j.projects.filter((x) => x !== p);
    return `project ${p.key} deleted`;
  },
];

const confluenceEdits: Edit<ConfluenceSection>[] = [
  (c, r) => {
    const sp = r.pick(c.spaces);
    const u = r.pick(c.users);
    c.spacePermissions.push({
      spaceId: sp.id,
      principalType: "user",
      principalId: u.accountId,
      operation: r.pick(["read:space", "administer:space", "delete:page"]),
    });
    return `space ${sp.key}: user grant`;
  },
  (c, r) => {
    const sp = r.pick(c.spaces);
    c.spacePermissions = c.spacePermissions.filter((p) => !(p.spaceId === sp.id && r.next() < 0.5));
    sp.anonymousAccess = !sp.anonymousAccess;
    return `space ${sp.key}: grants thinned`;
  },
  (c, r) => {
    const sp = r.pick(c.spaces);
    if (c.roles.length === 0) return "no roles";
    const role = r.pick(c.roles);
    const kind = r.pick(["user", "group", "access_class", "access_class-unknown"] as const);
    c.roleAssignments.push({
      spaceId: sp.id,
      roleId: role.id,
      principalType: kind === "access_class-unknown" ? "access_class" : kind,
      principalId:
        kind === "user"
          ? r.pick(c.users).accountId
          : kind === "group"
            ? r.pick(c.groups).groupId
            : kind === "access_class"
              ? r.pick(["anonymous-users", "all-licensed-users", "unlicensed-users"])
              : "mystery-class",
    });
    return `space ${sp.key}: ${kind} assigned ${role.id}`;
  },
  (c, r) => {
    // A role row with a new operation: every space with assignees of that role changes.
    const sp = r.pick(c.spaces);
    if (c.roles.length === 0) return "no roles";
    const role = r.pick(c.roles);
    c.spacePermissions.push({ spaceId: sp.id, principalType: "role", principalId: role.id, operation: "export:space" });
    return `space ${sp.key}: role ${role.id} gets export:space`;
  },
  (c, r) => {
    if (c.roles.length === 0) return "no roles";
    const role = r.pick(c.roles);
    role.name = `${role.name}?`;
    return `role ${role.id} renamed`;
  },
  (c, r) => {
    const sp = r.pick(c.spaces);
    c.spaces = c.spaces.filter((x) => x !== sp);
    return `space ${sp.key} deleted (orphan rows stay)`;
  },
];

/** A random change of one section of `s`, as a partition change (through `diffSection`). */
function randomChange(s: Snapshot, r: Rng): { change: SnapshotChange; what: string } {
  const section = r.pick(["bitbucket", "jira", "confluence"] as const);
  const edits = (
    section === "bitbucket" ? bitbucketEdits : section === "jira" ? jiraEdits : confluenceEdits
  ) as Edit<unknown>[];
  const next = clone(s[section]);
  const what: string[] = [];
  for (let i = 0, n = 1 + r.int(3); i < n; i++) what.push(r.pick(edits)(next, r, s));
  const diff = diffSection(section, s[section], next);
  if (!diff) throw new Error(`${section}: the edits touched the identity side (${what.join("; ")})`);
  return { change: { [section]: diff }, what: `${section}: ${what.join("; ")}` };
}

function headerOf(s: Snapshot, i: number) {
  return {
    runId: `patch-${i}`,
    startedAt: s.startedAt,
    finishedAt: new Date(Date.parse(s.finishedAt) + (i + 1) * 1000).toISOString(),
    site: s.site,
    statuses: s.statuses,
    notes: [...s.notes.filter((n) => !n.startsWith("test patch")), `test patch ${i}`],
  };
}

function expectSame(incremental: Model, full: Model, what: string): void {
  expect(modelForm(incremental), what).toEqual(modelForm(full));
  // Model order too: the delta puts every entry where a full build lists it.
  expect(JSON.stringify(incremental.access) === JSON.stringify(full.access), what).toBe(true);
  expect(JSON.stringify(incremental.dormant) === JSON.stringify(full.dormant), what).toBe(true);
  expect(incremental.resources, what).toEqual(full.resources);
  expect(incremental.conditional, what).toEqual(full.conditional);
}

/** Rows of every list sorted, so two snapshots compare by content. */
function snapshotForm(s: Snapshot): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      out[k] = Object.fromEntries(
        Object.entries(v).map(([lk, lv]) => [lk, Array.isArray(lv) ? lv.map((x) => JSON.stringify(x)).sort() : lv]),
      );
    } else out[k] = v;
  }
  return out;
}

describe.each(["S", "M"] as const)("incremental patch = full build, tenant %s", (size) => {
  let snapshot: Snapshot;
  let model: Model;
  let base: PatchBase;
  let index: ModelIndex;

  beforeAll(async () => {
    const t = makeTestSim(size, 3);
    const r = await runDiscovery(simConfig(t.sim.state.tenant, ORIGIN), {
      send: simSend(t),
      schemaMode: "throw",
      retry: { baseDelayMs: 1, maxDelayMs: 20, deadlineMs: 60_000 },
    });
    snapshot = r.snapshot;
    model = buildModel(snapshot);
    base = patchBaseOf(snapshot, model, countsOf(model))!;
    index = indexModel(model);
  }, 120_000);

  it("the patch base of a built model is recognised (its notes split as the builder writes them)", () => {
    expect(base).not.toBeNull();
    expect([...base.identityNotes]).toEqual(
      model.notes.slice(snapshot.notes.length, model.notes.length - Object.values(base.productNotes).flat().length),
    );
  });

  it.each([11, 23, 37, 41, 59, 71, 83, 97])("one random change (seed %i)", (seed) => {
    const r = rng(seed);
    for (let round = 0; round < (size === "S" ? 6 : 3); round++) {
      const { change, what } = randomChange(snapshot, r);
      const patch = patchModel(base, change, headerOf(snapshot, round), 2);
      const full = buildModel(applySnapshotChange(snapshot, change, headerOf(snapshot, round)));
      const incremental = applyModelDelta(model, patch.delta);
      expectSame(incremental, full, `seed ${seed}: ${what}`);
      expect(patch.next.counts, what).toEqual(countsOf(full));
      // The query index patched with the delta is the index of the full build.
      expect(patchIndex(index, incremental, patch.delta, Number.NEGATIVE_INFINITY), what).toEqual(indexModel(full));
    }
  });

  it.each([5, 8, 13])("a chain of changes, cumulative deltas rebuild every version from the base (seed %i)", (seed) => {
    const r = rng(seed);
    let b = base;
    let s = snapshot;
    let sd: SnapshotDelta | null = null;
    let md: ModelDelta | null = null;
    let previous = model;
    const steps: string[] = [];
    for (let v = 2; v < 2 + (size === "S" ? 8 : 4); v++) {
      const { change, what } = randomChange(s, r);
      steps.push(what);
      const header = headerOf(s, v);
      const patch = patchModel(b, change, header, v);
      sd = mergeSnapshotDelta(sd, change, header, v);
      md = mergeModelDelta(md, patch.delta);
      s = patch.snapshot;
      b = patch.next;
      const full = buildModel(s);
      const label = `seed ${seed}, step ${v}: ${steps.join(" / ")}`;
      // From the base in one go, and from the previous version with only the newer parts.
      expectSame(applyModelDelta(model, md), full, label);
      expectSame(applyModelDelta(previous, md, v - 1), full, label);
      expect(snapshotForm(applySnapshotDelta(snapshot, sd)), label).toEqual(snapshotForm(s));
      expect(b.counts, label).toEqual(countsOf(full));
      previous = full;
    }
  });

  it("an edit of the identity side is not a partition change", () => {
    const next = clone(snapshot.bitbucket)!;
    next.members = next.members.slice(1);
    expect(diffSection("bitbucket", snapshot.bitbucket, next)).toBeNull();
    const jira = clone(snapshot.jira)!;
    jira.groupMembers = jira.groupMembers.slice(1);
    expect(diffSection("jira", snapshot.jira, jira)).toBeNull();
    expect(diffSection("jira", snapshot.jira, clone(snapshot.jira))).toEqual({ lists: {}, scalars: {} });
  });
});
