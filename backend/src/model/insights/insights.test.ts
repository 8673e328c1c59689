import { describe, expect, it } from "vitest";
import {
  account,
  cleanModel,
  entry,
  FIXTURE_NOW,
  identity,
  LONG_AGO,
  makeModel,
  RECENT,
  resource,
  sampleModel,
  via,
} from "../test-fixtures.js";
import type { Model } from "../types.js";
import { computeInsights, type Finding, INSIGHT_KINDS, type InsightKind } from "./index.js";

const run = (model: Model, opts = {}) => computeInsights(model, { now: FIXTURE_NOW, ...opts });
const kind = (findings: Finding[], k: InsightKind) => findings.find((f) => f.kind === k);

describe("computeInsights", () => {
  it("fires every kind on the sample tenant", () => {
    const findings = run(sampleModel());
    expect(findings.map((f) => f.kind).sort()).toEqual([...INSIGHT_KINDS].sort());
    for (const f of findings) {
      expect(f.count).toBeGreaterThan(0);
      expect(f.evidence.length).toBe(f.count);
      expect(f.title).not.toBe("");
      expect(f.remediation).not.toBe("");
    }
    // Most severe first.
    const order = ["critical", "high", "medium", "low", "info"];
    const sev = findings.map((f) => order.indexOf(f.severity));
    expect([...sev].sort((a, b) => a - b)).toEqual(sev);
  });

  it("fires nothing on a clean tenant", () => {
    expect(run(cleanModel())).toEqual([]);
  });

  it("inactive billable accounts: who, since when, and the licences per product", () => {
    const f = kind(run(sampleModel()), "inactive-billable-accounts")!;
    expect(f.evidence.map((r) => r.accountId)).toEqual(["e1"]);
    expect(f.evidence[0]!.detail).toMatch(/^last active 2024-04-27 \(400 days ago\); holds jira-software$/);
    expect(f.metrics).toEqual({ accounts: 1, billableAccounts: 4, "jira-software": 1 });
    expect(f.title).toContain("licences to reclaim: jira-software 1");
    // The threshold is an option.
    expect(kind(run(sampleModel(), { inactiveDays: 500 }), "inactive-billable-accounts")).toBeUndefined();
    // Never active counts; non-billable and suspended accounts do not.
    const m = makeModel({
      accounts: [
        account("n1", { lastActive: null, products: [{ key: "confluence", lastActive: null }] }),
        account("n2", { billable: false, lastActive: LONG_AGO, products: [] }),
        account("n3", { suspended: true, lastActive: LONG_AGO }),
        account("n4", { lastActive: null, products: [{ key: "confluence", lastActive: RECENT }] }),
      ],
    });
    const g = kind(run(m), "inactive-billable-accounts")!;
    expect(g.evidence.map((r) => [r.accountId, r.detail])).toEqual([["n1", "no activity recorded; holds confluence"]]);
    expect(g.severity).toBe("medium"); // 1 of 2 billable accounts: ≥ 10%
  });

  it("accounts without an IdP identity only when an identity source exists", () => {
    const f = kind(run(sampleModel()), "accounts-without-idp-identity")!;
    expect(f.evidence.map((r) => r.accountId)).toEqual(["b1"]);
    expect(f.severity).toBe("high"); // b1 holds ADMINISTER_PROJECTS through a role
    const noSource = sampleModel();
    noSource.correlation = { ...noSource.correlation, identitySourceAvailable: false };
    expect(kind(run(noSource), "accounts-without-idp-identity")).toBeUndefined();
  });

  it("people deactivated in the IdP but active in Atlassian", () => {
    const f = kind(run(sampleModel()), "idp-deactivated-still-active")!;
    expect(f.evidence).toEqual([
      expect.objectContaining({
        accountId: "e1",
        detail: "deactivated in the IdP (scim erin) but active in Atlassian",
      }),
    ]);
    expect(f.severity).toBe("high");
    // An admin makes it critical; a suspended account is not a finding.
    const m = makeModel({
      accounts: [account("x1", { identityId: "ix" }), account("x2", { identityId: "iy", suspended: true })],
      identities: [
        identity("ix", { accountId: "x1", status: "deactivated", match: "account-id" }),
        identity("iy", { accountId: "x2", status: "deactivated", match: "account-id" }),
      ],
      access: [entry("x1", "org", "org-1", "org-admin")],
    });
    const g = kind(run(m), "idp-deactivated-still-active")!;
    expect(g.evidence.map((r) => r.accountId)).toEqual(["x1"]);
    expect(g.severity).toBe("critical");
  });

  it("external collaborators, customers and apps with write or admin (canonical mapping)", () => {
    const f = kind(run(sampleModel()), "outsiders-with-write-or-admin")!;
    expect(f.evidence.map((r) => [r.accountId, r.permission, r.detail])).toEqual([
      ["c1", "create:page", "external collaborator: create access"],
      ["app1", "EDIT_ISSUES", "app account: write access"],
    ]);
    expect(f.severity).toBe("medium");
    // Read-only access is not a finding; admin makes it high.
    const m = makeModel({
      accounts: [account("c", { externalCollaborator: true }), account("k", { accountType: "customer" })],
      access: [
        entry("c", "confluence_space", "S", "read:space"),
        entry("k", "jira_project", "P", "ADMINISTER_PROJECTS"),
      ],
    });
    const g = kind(run(m), "outsiders-with-write-or-admin")!;
    expect(g.evidence.map((r) => [r.accountId, r.detail])).toEqual([["k", "customer account: admin-level access"]]);
    expect(g.severity).toBe("high");
  });

  it("anonymous and unlicensed access to spaces, anyone grants in Jira schemes", () => {
    const f = kind(run(sampleModel()), "public-or-unlicensed-access")!;
    expect(f.evidence.map((r) => [r.accountId, r.resourceId, r.permission])).toEqual([
      ["anonymous", "DOCS", "read:space"],
      ["unlicensed:confluence", "DOCS", "read:space"],
      ["anonymous", "PROJ", "BROWSE_PROJECTS"],
    ]);
    expect(f.evidence[2]!.via).toBe('permission scheme "Default" → anyone (public access)');
    expect(f.severity).toBe("high");
    // Public repositories are their own insight, not this one.
    expect(f.evidence.some((r) => r.resourceType === "bitbucket_repo")).toBe(false);
    const write = makeModel({ access: [entry("anonymous", "confluence_space", "S", "update:page")] });
    expect(kind(run(write), "public-or-unlicensed-access")!.severity).toBe("critical");
    const unlicensed = makeModel({ access: [entry("unlicensed:confluence", "confluence_space", "S", "read:space")] });
    expect(kind(run(unlicensed), "public-or-unlicensed-access")!.severity).toBe("medium");
  });

  it("broad admin grants: any logged-in user, application roles, access classes", () => {
    const f = kind(run(sampleModel()), "broad-admin-grants")!;
    expect(f.evidence).toEqual([
      expect.objectContaining({
        accountId: "product-users:jira",
        resourceId: "PROJ",
        permission: "ADMINISTER_PROJECTS",
        via: 'permission scheme "Default" → any logged-in user (group holder without a group)',
      }),
    ]);
    expect(f.severity).toBe("high");
    // A grant to an application role reaches every licensed account: one row, with the number reached.
    const appRole = via("jira.scheme.application-role", 'permission scheme "S" → application role "jira-software"');
    const m = makeModel({
      accounts: [account("u1"), account("u2")],
      access: [
        entry("u1", "jira_project", "P", "ADMINISTER_PROJECTS", [appRole]),
        entry("u2", "jira_project", "P", "ADMINISTER_PROJECTS", [appRole]),
        entry("u1", "jira_project", "P", "BROWSE_PROJECTS", [appRole]),
      ],
    });
    const g = kind(run(m), "broad-admin-grants")!;
    expect(g.evidence.map((r) => [r.permission, r.detail])).toEqual([["ADMINISTER_PROJECTS", "reaches 2 accounts"]]);
    const anon = makeModel({ access: [entry("anonymous", "confluence_space", "S", "administer:space")] });
    expect(kind(run(anon), "broad-admin-grants")!.severity).toBe("critical");
  });

  it("public repositories, forkable private ones, unprotected default branches", () => {
    const findings = run(sampleModel());
    expect(kind(findings, "public-repositories")!.evidence.map((r) => r.resourceId)).toEqual(["ws/site.io"]);
    expect(kind(findings, "private-repositories-allow-forks")!.evidence.map((r) => r.resourceId)).toEqual(["ws/api"]);
    const unprotected = kind(findings, "unprotected-default-branches")!;
    expect(unprotected.evidence.map((r) => [r.resourceId, r.detail])).toEqual([
      ["ws/api", "default branch main has no restriction"],
    ]);
    expect(unprotected.severity).toBe("medium");
    // Unknown protection (not read) is not a finding; a public unprotected repository is high.
    const m = makeModel({
      resources: [
        resource("bitbucket_repo", "w/a", { attributes: { is_private: true, default_branch_protected: null } }),
        resource("bitbucket_repo", "w/b", { attributes: { is_private: false, default_branch_protected: false } }),
      ],
    });
    const g = kind(run(m), "unprotected-default-branches")!;
    expect(g.evidence.map((r) => r.resourceId)).toEqual(["w/b"]);
    expect(g.severity).toBe("high");
  });

  it("dormant grants of inactive accounts", () => {
    const f = kind(run(sampleModel()), "dormant-grants")!;
    expect(f.evidence.map((r) => [r.accountId, r.resourceId, r.permission, r.detail])).toEqual([
      ["d1", "PROJ", "BROWSE_PROJECTS", "inactive"],
    ]);
    expect(f.severity).toBe("low");
    const m = makeModel({
      accounts: [account("s", { suspended: true })],
      dormant: [entry("s", "jira_project", "P", "ADMINISTER_PROJECTS")],
    });
    const g = kind(run(m), "dormant-grants")!;
    expect([g.severity, g.evidence[0]!.detail]).toEqual(["medium", "suspended"]);
  });

  it("repository access known only through the fallback mode", () => {
    const f = kind(run(sampleModel()), "fallback-repository-access")!;
    expect(f.evidence.map((r) => [r.resourceId, r.resourceName, r.detail])).toEqual([
      ["ws/api", "api", "1 grant known only as effective levels (source not visible)"],
    ]);
    expect(f.severity).toBe("info");
  });

  it("caps evidence but keeps the full count", () => {
    const accounts = Array.from({ length: 30 }, (_, i) => account(`u${i}`, { lastActive: LONG_AGO, products: [] }));
    const f = kind(run(makeModel({ accounts }), { maxEvidence: 5 }), "inactive-billable-accounts")!;
    expect([f.count, f.evidence.length, f.evidenceTruncated]).toEqual([30, 5, true]);
  });

  it("rejects an invalid reference time", () => {
    expect(() => computeInsights(sampleModel(), { now: "not a date" })).toThrow(/invalid "now"/);
  });
});
