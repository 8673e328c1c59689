import { describe, expect, it } from "vitest";
import { accessOf, indexModel, whoCanAccess } from "../model/queries.js";
import { account, entry, group, identity, makeModel, via } from "../model/test-fixtures.js";
import type { AccessEntry, Model } from "../model/types.js";
import { patchModel, viaGroup } from "./patch-model.js";
import type { StepResult } from "./types.js";

const scheme = 'permission scheme "Default"';
const viaDevs = via("jira.scheme.group", `${scheme} → group "devs"`);
const viaOps = via("jira.scheme.group", `${scheme} → group "ops"`);
const direct = via("jira.scheme.user", `${scheme} → user`);
const productViaDevs = via("admin.product-access.group", 'Admin group product access: group "devs" → jira-software');
const productDirect = via("admin.product-access", "Admin product access");
const bbGroup = via("bitbucket.repository.group", 'repository → group "devs": write');

const keys = (list: readonly AccessEntry[]) =>
  list.map((e) => `${e.principal}|${e.resourceId}|${e.permission}|${e.via.map((v) => v.description).join("+")}`);

function model(): Model {
  return makeModel({
    accounts: [
      account("a1", {
        identityId: "i-a1",
        products: [
          { key: "jira-software", lastActive: null },
          { key: "confluence", lastActive: null },
          { key: "bitbucket", lastActive: null },
        ],
      }),
      account("b1"),
      account("c1"),
    ],
    identities: [identity("i-a1", { accountId: "a1", match: "account-id" })],
    groups: [group("g-devs", ["a1", "b1"], { name: "devs" }), group("g-ops", ["b1"], { name: "ops" })],
    access: [
      entry("a1", "jira_project", "P", "BROWSE_PROJECTS", [viaDevs, direct]),
      entry("a1", "jira_project", "P", "ADMINISTER_PROJECTS", [viaDevs]),
      entry("b1", "jira_project", "P", "BROWSE_PROJECTS", [viaDevs]),
      entry("b1", "jira_project", "Q", "BROWSE_PROJECTS", [viaOps]),
      entry("a1", "site", "acme.atlassian.net", "jira-software", [productDirect, productViaDevs]),
      entry("b1", "confluence_space", "DOCS", "read:space", [via("confluence.space.user", "space permission → user")]),
      entry("a1", "bitbucket_repo", "ws/api", "write", [bbGroup], "bitbucket"),
      entry("anonymous", "confluence_space", "DOCS", "read:space", [via("confluence.space.anonymous", "anonymous")]),
    ],
  });
}

describe("patchModel", () => {
  it("a deactivated account can no longer sign in: every effective entry of it becomes dormant", () => {
    const m = model();
    const before = JSON.stringify(m);
    const out = patchModel(m, [{ kind: "account.status", accountId: "a1", status: "inactive" }]);
    expect(JSON.stringify(m)).toBe(before);
    expect(out.access.filter((e) => e.principal === "a1")).toEqual([]);
    expect(keys(out.dormant)).toEqual([
      'a1|acme.atlassian.net|jira-software|Admin product access+Admin group product access: group "devs" → jira-software',
      'a1|ws/api|write|repository → group "devs": write',
      `a1|P|ADMINISTER_PROJECTS|${scheme} → group "devs"`,
      `a1|P|BROWSE_PROJECTS|${scheme} → group "devs"+${scheme} → user`,
    ]);
    const idx = indexModel(out);
    expect(whoCanAccess(idx, "jira_project", "P").accounts.map((e) => e.principal)).toEqual(["b1"]);
    expect(accessOf(idx, "a1")?.pseudoPrincipals).toEqual(["anonymous"]);
    expect(out.notes.at(-1)).toMatch(/^Lifecycle patch: 1 applied change/);
  });

  it("a suspension moves entries to dormant and a restore brings them back", () => {
    const suspended = patchModel(model(), [{ kind: "account.suspended", accountId: "b1", suspended: true }]);
    expect(suspended.access.filter((e) => e.principal === "b1")).toEqual([]);
    const restored = patchModel(suspended, [{ kind: "account.suspended", accountId: "b1", suspended: false }]);
    expect(keys(restored.access)).toEqual(keys(model().access));
    expect(restored.dormant).toEqual([]);
  });

  it("a removed membership drops the paths through the group and the entries whose only path it was", () => {
    const out = patchModel(model(), [
      { kind: "membership", op: "remove", groupId: "g-ops", groupName: "ops", accountId: "b1" },
    ]);
    expect(out.groups.find((g) => g.key === "g-ops")?.members).toEqual([]);
    expect(keys(out.access.filter((e) => e.principal === "b1"))).toEqual([
      "b1|DOCS|read:space|space permission → user",
      `b1|P|BROWSE_PROJECTS|${scheme} → group "devs"`,
    ]);
  });

  it("Bitbucket paths naming a workspace group of the same name are left alone", () => {
    expect(viaGroup(bbGroup, "devs")).toBe(false);
    expect(viaGroup(viaDevs, "devs")).toBe(true);
    expect(viaGroup(viaDevs, "dev")).toBe(false);
  });

  it("losing the group that gave the product makes the product's entries dormant", () => {
    const m = model();
    const onlyGroup = {
      ...m,
      access: m.access.map((e) => (e.permission === "jira-software" ? { ...e, via: [productViaDevs] } : e)),
    };
    const out = patchModel(onlyGroup, [
      { kind: "membership", op: "remove", groupId: "g-devs", groupName: "devs", accountId: "a1" },
    ]);
    expect(out.accounts.find((a) => a.accountId === "a1")?.products.map((p) => p.key)).toEqual([
      "confluence",
      "bitbucket",
    ]);
    // The direct Jira grant stays, as dormant: a1 no longer holds Jira.
    expect(keys(out.dormant)).toEqual([`a1|P|BROWSE_PROJECTS|${scheme} → user`]);
    expect(out.access.filter((e) => e.principal === "a1").map((e) => e.product)).toEqual(["bitbucket"]);
  });

  it("an added membership gives the member the paths other members hold through the group", () => {
    const out = patchModel(model(), [
      { kind: "membership", op: "add", groupId: "g-ops", groupName: "ops", accountId: "c1" },
    ]);
    expect(out.groups.find((g) => g.key === "g-ops")?.members).toEqual(["b1", "c1"]);
    expect(keys(out.access.filter((e) => e.principal === "c1"))).toEqual([
      `c1|Q|BROWSE_PROJECTS|${scheme} → group "ops"`,
    ]);
    // An inactive member gets them as dormant.
    const m = model();
    m.accounts = m.accounts.map((a) => (a.accountId === "c1" ? { ...a, status: "inactive" } : a));
    const dormant = patchModel(m, [
      { kind: "membership", op: "add", groupId: "g-ops", groupName: "ops", accountId: "c1" },
    ]);
    expect(keys(dormant.dormant)).toEqual([`c1|Q|BROWSE_PROJECTS|${scheme} → group "ops"`]);
  });

  it("created and deleted groups appear and disappear; a deleted group's paths go for everyone", () => {
    const created = patchModel(model(), [{ kind: "group", op: "create", groupId: "g-new", groupName: "new" }]);
    expect(created.groups.map((g) => g.key)).toEqual(["g-devs", "g-new", "g-ops"]);
    const deleted = patchModel(model(), [{ kind: "group", op: "delete", groupId: "g-ops", groupName: "ops" }]);
    expect(deleted.groups.map((g) => g.key)).toEqual(["g-devs"]);
    expect(deleted.access.some((e) => e.resourceId === "Q")).toBe(false);
  });

  it("identities: a new SCIM user adds its identity and account; an update renames; a removal unlinks", () => {
    const upsert = {
      kind: "identity.upsert" as const,
      accountId: "n1",
      scimId: "scim-n1",
      externalId: "ext-n1",
      userName: "nora@acme.com",
      email: "nora@acme.com",
      displayName: "Nora",
      active: true,
    };
    const out = patchModel(model(), [upsert]);
    expect(out.identities.find((i) => i.accountId === "n1")).toMatchObject({
      id: "ext-n1",
      status: "active",
      match: "account-id",
    });
    expect(out.accounts.find((a) => a.accountId === "n1")).toMatchObject({
      displayName: "Nora",
      status: "active",
      identityId: "ext-n1",
    });
    const renamed = patchModel(out, [{ ...upsert, displayName: "Nora L.", active: false }]);
    expect(renamed.identities.filter((i) => i.accountId === "n1")).toHaveLength(1);
    expect(renamed.identities.find((i) => i.accountId === "n1")?.status).toBe("deactivated");
    expect(renamed.accounts.find((a) => a.accountId === "n1")?.displayName).toBe("Nora L.");
    const removed = patchModel(model(), [{ kind: "identity.remove", accountId: "a1", scimId: "x", externalId: null }]);
    expect(removed.identities).toEqual([]);
    expect(removed.accounts.find((a) => a.accountId === "a1")?.identityId).toBeNull();
  });

  it("takes step results, counting only the steps that succeeded", () => {
    const result = (status: StepResult["status"]): StepResult => ({
      stepId: "s1",
      kind: "scim.user.deactivate",
      summary: "",
      status,
      message: "",
      requestIds: [],
      error: null,
      changes: [{ kind: "account.status", accountId: "a1", status: "inactive" }],
    });
    expect(patchModel(model(), [result("failed"), result("not-run")])).toEqual(model());
    expect(patchModel(model(), [result("ok")]).access.some((e) => e.principal === "a1")).toBe(false);
  });
});
