import { describe, expect, it } from "vitest";
import {
  BRANCH_RESTRICTION_KINDS,
  CONFLUENCE_USERS_GROUP,
  GENERATED_AT,
  generateTenant,
  JIRA_PERMISSIONS,
  parseTenant,
  SYSTEM_GROUP_NAMES,
  serializeTenant,
} from "./generate.js";
import { hasProductAccess } from "./ground-truth.js";
import type { BitbucketBranchRestriction, BitbucketRepo, JiraHolderType, SimTenant, SizePreset } from "./model.js";
import { SIZES } from "./sizes.js";

const cache = new Map<string, SimTenant>();
function tenant(size: SizePreset, seed = 7): SimTenant {
  const key = `${size}/${seed}`;
  let t = cache.get(key);
  if (!t) {
    t = generateTenant(size, seed);
    cache.set(key, t);
  }
  return t;
}

const DAY = 86_400_000;
const NOW = Date.parse(GENERATED_AT);
const ALL_HOLDER_TYPES: JiraHolderType[] = [
  "anyone",
  "applicationRole",
  "assignee",
  "group",
  "groupCustomField",
  "projectLead",
  "projectRole",
  "reporter",
  "sd.customer.portal.only",
  "user",
  "userCustomField",
];
const WRITE_OR_ADMIN_JIRA = new Set<string>([...JIRA_PERMISSIONS.work, ...JIRA_PERMISSIONS.admin]);

function globMatches(pattern: string, branch: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return re.test(branch);
}

/** Restrictions of the repository that apply to its default branch. */
function mainBranchRestrictions(r: BitbucketRepo): BitbucketBranchRestriction[] {
  return r.branchRestrictions.filter((b) =>
    b.branchMatchKind === "glob"
      ? globMatches(b.pattern, r.mainbranch)
      : b.branchType === "production" && r.productionBranch === r.mainbranch,
  );
}

function groupsByAccount(t: SimTenant): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const g of t.groups) for (const a of g.members) m.set(a, [...(m.get(a) ?? []), g.groupId]);
  return m;
}

/** groupIds named anywhere a group can be granted something. */
function grantedGroupIds(t: SimTenant): Set<string> {
  const s = new Set<string>();
  for (const r of t.jira.applicationRoles) for (const g of [...r.groups, ...r.defaultGroups]) s.add(g);
  for (const g of [...t.jira.adminGroups, ...t.jira.siteAdminGroups]) s.add(g);
  for (const g of [...t.confluence.adminGroups, ...t.confluence.siteAdminGroups]) s.add(g);
  for (const sc of t.jira.permissionSchemes)
    for (const g of sc.grants) if (g.holder.type === "group" && g.holder.value) s.add(g.holder.value);
  for (const p of t.jira.projects) for (const a of Object.values(p.roleActors)) for (const g of a.groups) s.add(g);
  for (const sp of t.confluence.spaces) {
    for (const p of sp.permissions) if (p.principal.type === "group") s.add(p.principal.id);
    for (const ra of sp.roleAssignments) if (ra.principal.type === "GROUP") s.add(ra.principal.id);
  }
  return s;
}

function jiraHolders(t: SimTenant) {
  return t.jira.permissionSchemes.flatMap((s) => s.grants);
}

/** Accounts holding write or admin somewhere (grant or role, dormant or not). */
function writersOrAdmins(t: SimTenant): Set<string> {
  const out = new Set<string>();
  const byScheme = new Map(t.jira.permissionSchemes.map((s) => [s.id, s]));
  for (const p of t.jira.projects) {
    for (const g of byScheme.get(p.permissionSchemeId)?.grants ?? []) {
      if (!WRITE_OR_ADMIN_JIRA.has(g.permission)) continue;
      if (g.holder.type === "user" && g.holder.value) out.add(g.holder.value);
      if (g.holder.type === "projectRole" && g.holder.value)
        for (const u of p.roleActors[g.holder.value]?.users ?? []) out.add(u);
    }
  }
  for (const sp of t.confluence.spaces)
    for (const p of sp.permissions)
      if (p.principal.type === "user" && p.operation.key !== "read") out.add(p.principal.id);
  for (const p of t.bitbucket.projects) for (const u of p.users) if (u.permission !== "read") out.add(u.accountId);
  for (const r of t.bitbucket.repos) for (const u of r.users) if (u.permission !== "read") out.add(u.accountId);
  return out;
}

type Check = [name: string, check: (t: SimTenant, size: SizePreset) => boolean];

const VARIETY: Check[] = [
  [
    "app accounts, some with appType service",
    (t) => t.accounts.some((a) => a.accountType === "app" && a.appType === "service"),
  ],
  ["customer accounts", (t) => t.accounts.some((a) => a.accountType === "customer")],
  [
    "deactivated (inactive) accounts",
    (t) => t.accounts.some((a) => a.accountType === "atlassian" && a.status === "inactive"),
  ],
  ["closed accounts", (t) => t.accounts.some((a) => a.status === "closed")],
  ["suspended accounts", (t) => t.accounts.some((a) => a.status === "active" && a.suspended)],
  ["users who hide their email", (t) => t.accounts.some((a) => a.accountType === "atlassian" && !a.emailVisible)],
  ["external collaborators", (t) => t.accounts.some((a) => a.externalCollaborator && !a.managed)],
  [
    "a user in many groups",
    (t, size) => Math.max(...[...groupsByAccount(t).values()].map((g) => g.length)) >= (size === "S" ? 8 : 20),
  ],
  ["empty groups", (t) => t.groups.some((g) => g.members.length === 0)],
  [
    "groups granted nothing anywhere (with members)",
    (t) => {
      const granted = grantedGroupIds(t);
      return t.groups.some((g) => !granted.has(g.groupId) && g.members.length > 0);
    },
  ],
  [
    "billable accounts inactive for more than 90 days",
    (t) =>
      t.accounts.some(
        (a) =>
          a.billable && a.status === "active" && a.lastActive !== null && Date.parse(a.lastActive) < NOW - 90 * DAY,
      ),
  ],
  [
    "accounts with product access but no IdP identity",
    (t) => {
      const idp = new Set(t.identities.map((i) => i.email.toLowerCase()));
      const scim = new Set(t.scim.users.map((u) => u.accountId));
      return t.accounts.some(
        (a) => a.managed && a.products.length > 0 && !idp.has(a.email.toLowerCase()) && !scim.has(a.accountId),
      );
    },
  ],
  [
    "identities deactivated in the IdP whose account is still active",
    (t) => {
      const byEmail = new Map(t.accounts.map((a) => [a.email.toLowerCase(), a]));
      return t.identities.some(
        (i) => i.status === "deactivated" && byEmail.get(i.email.toLowerCase())?.status === "active",
      );
    },
  ],
  [
    "IdP identities with no Atlassian account",
    (t) => {
      const emails = new Set(t.accounts.map((a) => a.email.toLowerCase()));
      return t.identities.some((i) => !emails.has(i.email.toLowerCase()));
    },
  ],
  [
    "the same role names across many projects",
    (t) => {
      const names = t.jira.roles.map((r) => r.name);
      const standard = ["Administrators", "Developers", "Users", "Viewers", "Service Desk Team"].every((n) =>
        names.includes(n),
      );
      const admins = t.jira.roles.find((r) => r.name === "Administrators")!;
      const withActors = t.jira.projects.filter((p) => (p.roleActors[String(admins.id)]?.users.length ?? 0) > 0).length;
      return standard && new Set(names).size === names.length && withActors === t.jira.projects.length;
    },
  ],
  ["team-managed (next-gen) projects", (t) => t.jira.projects.some((p) => p.style === "next-gen")],
  ["archived projects", (t) => t.jira.projects.some((p) => p.archived)],
  ["service desk projects", (t) => t.jira.projects.some((p) => p.projectTypeKey === "service_desk")],
  [
    "grants of every holder type",
    (t) => ALL_HOLDER_TYPES.every((ty) => jiraHolders(t).some((g) => g.holder.type === ty)),
  ],
  [
    "applicationRole grant with a parameter",
    (t) => jiraHolders(t).some((g) => g.holder.type === "applicationRole" && !!g.holder.parameter),
  ],
  [
    "applicationRole grant without a parameter",
    (t) => jiraHolders(t).some((g) => g.holder.type === "applicationRole" && !g.holder.parameter),
  ],
  [
    "group grant with a parameter",
    (t) => jiraHolders(t).some((g) => g.holder.type === "group" && !!g.holder.parameter),
  ],
  [
    "group grant without a parameter (any logged-in user)",
    (t) => jiraHolders(t).some((g) => g.holder.type === "group" && !g.holder.parameter),
  ],
  [
    "a broad ADMINISTER_PROJECTS grant",
    (t) =>
      jiraHolders(t).some(
        (g) =>
          g.permission === "ADMINISTER_PROJECTS" &&
          ((g.holder.type === "group" && !g.holder.parameter) || g.holder.type === "applicationRole"),
      ),
  ],
  ["archived spaces", (t) => t.confluence.spaces.some((s) => s.status === "archived")],
  ["personal spaces", (t) => t.confluence.spaces.some((s) => s.type === "personal" && s.key.startsWith("~"))],
  [
    "anonymous space access",
    (t) => t.confluence.spaces.some((s) => s.permissions.some((p) => p.principal.type === "anonymous")),
  ],
  [
    "unlicensed space access",
    (t) => t.confluence.spaces.some((s) => s.permissions.some((p) => p.principal.type === "unlicensed")),
  ],
  [
    "space role assignments (ROLES_TRANSITION) with matching role permission rows",
    (t) =>
      t.confluence.roleMode === "ROLES_TRANSITION" &&
      t.confluence.spaces.some((s) => s.roleAssignments.length > 0) &&
      t.confluence.spaces.every((s) =>
        s.roleAssignments.every((ra) => {
          const role = t.confluence.roles.find((r) => r.id === ra.roleId)!;
          const rows = s.permissions
            .filter((p) => p.principal.type === "role" && p.principal.id === role.id)
            .map((p) => `${p.operation.key}:${p.operation.targetType}`);
          return [...rows].sort().join() === [...role.operations].sort().join();
        }),
      ),
  ],
  [
    "external collaborators holding write or admin",
    (t) => {
      const w = writersOrAdmins(t);
      return t.accounts.some((a) => a.externalCollaborator && w.has(a.accountId));
    },
  ],
  [
    "customers holding write or admin",
    (t) => {
      const w = writersOrAdmins(t);
      return t.accounts.some((a) => a.accountType === "customer" && w.has(a.accountId));
    },
  ],
  [
    "apps holding write or admin",
    (t) => {
      const w = writersOrAdmins(t);
      return t.accounts.some((a) => a.accountType === "app" && w.has(a.accountId));
    },
  ],
  ["public repositories", (t) => t.bitbucket.repos.some((r) => !r.isPrivate)],
  [
    "every fork policy",
    (t) =>
      ["allow_forks", "no_public_forks", "no_forks"].every((p) => t.bitbucket.repos.some((r) => r.forkPolicy === p)),
  ],
  [
    "every branch-restriction kind on some default branch",
    (t) => {
      const kinds = new Set(t.bitbucket.repos.flatMap((r) => mainBranchRestrictions(r).map((b) => b.kind)));
      return BRANCH_RESTRICTION_KINDS.every((k) => kinds.has(k));
    },
  ],
  [
    "glob and branching-model matches on default branches",
    (t) => {
      const m = t.bitbucket.repos.flatMap(mainBranchRestrictions);
      return m.some((b) => b.branchMatchKind === "glob") && m.some((b) => b.branchMatchKind === "branching_model");
    },
  ],
  [
    "overlapping restrictions of one kind on a default branch",
    (t) =>
      t.bitbucket.repos.some((r) => {
        const kinds = mainBranchRestrictions(r).map((b) => b.kind);
        return new Set(kinds).size < kinds.length;
      }),
  ],
  ["default branches with no protection", (t) => t.bitbucket.repos.some((r) => mainBranchRestrictions(r).length === 0)],
  [
    "repositories that override their project's permissions",
    (t) => t.bitbucket.repos.some((r) => r.overridesProject && (r.users.length > 0 || r.groups.length > 0)),
  ],
  [
    "project user grants of every level",
    (t) =>
      ["read", "write", "create-repo", "admin"].every((l) =>
        t.bitbucket.projects.some((p) => p.users.some((u) => u.permission === l)),
      ),
  ],
  [
    "project group grants of every level",
    (t) =>
      ["read", "write", "create-repo", "admin"].every((l) =>
        t.bitbucket.projects.some((p) => p.groups.some((g) => g.permission === l)),
      ),
  ],
  ["Bitbucket group grants on repositories", (t) => t.bitbucket.repos.some((r) => r.groups.length > 0)],
  [
    "jira-software application role with groups and default groups",
    (t) => {
      const r = t.jira.applicationRoles.find((x) => x.key === "jira-software");
      return (
        !!r && r.groups.length >= 2 && r.defaultGroups.length >= 1 && r.defaultGroups.every((g) => r.groups.includes(g))
      );
    },
  ],
  [
    "Jira admin and site-admin groups",
    (t) => t.jira.adminGroups.length > 0 && t.jira.siteAdminGroups.length > 0 && t.confluence.adminGroups.length > 0,
  ],
  [
    "org admins: a few, including the product user",
    (t) => t.orgAdmins.length >= 3 && t.orgAdmins.includes(t.credentials.productUser.accountId),
  ],
  ["SCIM-synced groups", (t) => t.scim.groups.length > 0 && t.groups.some((g) => g.source === "scim")],
  [
    "account id formats: 712020:uuid, legacy 24-hex, 557058:uuid, qm:uuid:uuid",
    (t) => {
      const uuid = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
      const ids = t.accounts.map((a) => a.accountId);
      return (
        ids.some((id) => new RegExp(`^712020:${uuid}$`).test(id)) &&
        ids.some((id) => /^[0-9a-f]{24}$/.test(id)) &&
        t.accounts
          .filter((a) => a.accountType === "app")
          .every((a) => new RegExp(`^557058:${uuid}$`).test(a.accountId)) &&
        t.accounts
          .filter((a) => a.accountType === "customer")
          .every((a) => new RegExp(`^qm:${uuid}:${uuid}$`).test(a.accountId))
      );
    },
  ],
  [
    "Unicode in people, project, space and repository names",
    (t) => {
      const nonAscii = (s: string) => [...s].some((ch) => ch.charCodeAt(0) > 0x7f);
      return (
        t.accounts.some((a) => nonAscii(a.displayName)) &&
        [
          ...t.jira.projects.map((p) => p.name),
          ...t.confluence.spaces.map((s) => s.name),
          ...t.bitbucket.repos.map((r) => r.name),
        ].some(nonAscii)
      );
    },
  ],
  [
    "repository slugs are lowercase ASCII with hyphens",
    (t) => t.bitbucket.repos.every((r) => /^[a-z0-9]+(-[a-z0-9]+)*$/.test(r.slug)),
  ],
  [
    "audit events: several actions, sorted by time",
    (t) =>
      new Set(t.events.map((e) => e.action)).size >= 5 &&
      ["user_added_to_group", "user_removed_from_group", "group_created", "user_suspended"].every((a) =>
        t.events.some((e) => e.action === a),
      ) &&
      t.events.every((e, i) => i === 0 || t.events[i - 1]!.time <= e.time),
  ],
];

describe("determinism", () => {
  it("gives byte-identical tenants for the same seed and size", () => {
    expect(serializeTenant(generateTenant("S", 11))).toBe(serializeTenant(generateTenant("S", 11)));
    expect(serializeTenant(generateTenant("M", 3))).toBe(serializeTenant(tenant("M", 3)));
  });

  it("gives different tenants for different seeds", () => {
    expect(serializeTenant(tenant("S", 1))).not.toBe(serializeTenant(tenant("S", 2)));
    expect(tenant("S", 1).credentials.adminApiKey).not.toBe(tenant("S", 2).credentials.adminApiKey);
  });

  it("round-trips through serializeTenant / parseTenant", () => {
    const t = tenant("S");
    expect(parseTenant(serializeTenant(t))).toEqual(t);
  });

  it("dates everything relative to generatedAt", () => {
    const t = tenant("S");
    expect(t.generatedAt).toBe(GENERATED_AT);
    for (const a of t.accounts) {
      expect(Date.parse(a.addedToOrg)).toBeLessThanOrEqual(NOW);
      if (a.lastActive) expect(Date.parse(a.lastActive)).toBeLessThanOrEqual(NOW);
    }
    for (const e of t.events) expect(Date.parse(e.time)).toBeLessThanOrEqual(NOW);
  });
});

describe.each(["S", "M"] as const)("size %s", (size) => {
  const spec = SIZES[size];
  it("matches the preset's counts within ±15%", () => {
    const t = tenant(size);
    const within = (actual: number, want: number) => {
      expect(actual).toBeGreaterThanOrEqual(Math.floor(want * 0.85));
      expect(actual).toBeLessThanOrEqual(Math.ceil(want * 1.15));
    };
    within(t.accounts.length, spec.accounts);
    within(t.groups.length, spec.groups);
    within(t.jira.projects.length, spec.jiraProjects);
    within(t.jira.permissionSchemes.length, spec.permissionSchemes);
    within(t.jira.roles.length, spec.jiraRoles);
    within(t.confluence.spaces.length, spec.spaces);
    within(t.bitbucket.projects.length, spec.bitbucketProjects);
    within(t.bitbucket.repos.length, spec.repos);
    within(t.bitbucket.groups.length, spec.bitbucketGroups);
    within(t.events.length, spec.events);
  });

  it.each(VARIETY)("has %s", (_name, check) => {
    expect(check(tenant(size), size)).toBe(true);
  });
});

describe("variety holds for other seeds too", () => {
  it.each([1, 2, 3, 42, 1234])("S seed %i", (seed) => {
    const t = tenant("S", seed);
    const failed = VARIETY.filter(([, check]) => !check(t, "S")).map(([name]) => name);
    expect(failed).toEqual([]);
  });
});

describe.each(["S", "M"] as const)("referential integrity, size %s", (size) => {
  const t = tenant(size);
  const accounts = new Map(t.accounts.map((a) => [a.accountId, a]));
  const groups = new Map(t.groups.map((g) => [g.groupId, g]));
  const groupOf = groupsByAccount(t);
  const bbMembers = new Map(t.bitbucket.members.map((m) => [m.accountId, m]));
  const bbGroups = new Map(t.bitbucket.groups.map((g) => [g.slug, g]));
  const hasAccount = (id: string) => expect(accounts.has(id), `account ${id}`).toBe(true);
  const hasGroup = (id: string) => expect(groups.has(id), `group ${id}`).toBe(true);

  it("has unique ids, names, emails, keys and slugs", () => {
    const unique = (xs: string[]) => expect(new Set(xs).size).toBe(xs.length);
    unique(t.accounts.map((a) => a.accountId));
    unique(t.accounts.map((a) => a.email.toLowerCase()));
    unique(t.groups.map((g) => g.groupId));
    unique(t.groups.map((g) => g.name.toLowerCase()));
    unique(t.identities.map((i) => i.idpId));
    unique(t.identities.map((i) => i.email));
    unique(t.scim.users.map((u) => u.id));
    unique(t.scim.users.map((u) => u.userName));
    unique(t.jira.projects.map((p) => p.key));
    unique(t.jira.projects.map((p) => p.id));
    unique(t.jira.permissionSchemes.flatMap((s) => s.grants.map((g) => String(g.id))));
    unique(t.confluence.spaces.map((s) => s.key));
    unique(t.confluence.spaces.map((s) => s.id));
    unique(t.confluence.spaces.flatMap((s) => s.permissions.map((p) => p.id)));
    unique(t.bitbucket.members.map((m) => m.accountId));
    unique(t.bitbucket.groups.map((g) => g.slug));
    unique(t.bitbucket.projects.map((p) => p.key));
    unique(t.bitbucket.repos.map((r) => r.slug));
    unique(t.bitbucket.repos.flatMap((r) => r.branchRestrictions.map((b) => String(b.id))));
    unique(t.accounts.flatMap((a) => (a.bitbucketNickname ? [a.bitbucketNickname] : [])));
    unique(t.events.map((e) => e.id));
  });

  it("uses realistic id formats", () => {
    expect(t.org.id).toMatch(/^[0-9a-f-]{36}$/);
    for (const g of t.groups) expect(g.groupId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4/);
    for (const p of t.jira.projects) expect(Number(p.id)).toBeGreaterThanOrEqual(10000);
    for (const r of t.jira.roles) expect(r.id).toBeGreaterThanOrEqual(10002);
    for (const s of t.jira.permissionSchemes) expect(s.id).toBeGreaterThanOrEqual(10000);
    for (const s of t.confluence.spaces) expect(s.id).toMatch(/^\d+$/);
    for (const r of t.bitbucket.repos) expect(r.uuid).toMatch(/^\{[0-9a-f-]{36}\}$/);
    for (const m of t.bitbucket.members)
      expect(accounts.get(m.accountId)?.bitbucketUuid).toMatch(/^\{[0-9a-f-]{36}\}$/);
    expect(t.bitbucket.workspace.slug).toBe(t.org.name.toLowerCase().replace(/[^a-z0-9]+/g, "-"));
  });

  it("puts managed people on the verified domain and others elsewhere", () => {
    const domain = t.credentials.productUser.email.split("@")[1]!;
    for (const a of t.accounts) {
      if (a.managed) expect(a.email.endsWith(`@${domain}`)).toBe(true);
      else expect(a.email.endsWith(`@${domain}`)).toBe(false);
    }
  });

  it("references only existing accounts and groups", () => {
    for (const g of t.groups) {
      expect(new Set(g.members).size).toBe(g.members.length);
      g.members.forEach(hasAccount);
    }
    t.orgAdmins.forEach(hasAccount);
    for (const r of t.jira.applicationRoles) [...r.groups, ...r.defaultGroups].forEach(hasGroup);
    [
      ...t.jira.adminGroups,
      ...t.jira.siteAdminGroups,
      ...t.confluence.adminGroups,
      ...t.confluence.siteAdminGroups,
    ].forEach(hasGroup);
    const roleIds = new Set(t.jira.roles.map((r) => String(r.id)));
    const schemeIds = new Set(t.jira.permissionSchemes.map((s) => s.id));
    for (const s of t.jira.permissionSchemes) {
      for (const g of s.grants) {
        const h = g.holder;
        if (h.type === "user") hasAccount(h.value!);
        if (h.type === "group" && h.value) expect(groups.get(h.value)?.name).toBe(h.parameter);
        if (h.type === "projectRole") expect(roleIds.has(h.value!)).toBe(true);
      }
    }
    for (const p of t.jira.projects) {
      hasAccount(p.leadAccountId);
      expect(schemeIds.has(p.permissionSchemeId)).toBe(true);
      expect(Object.keys(p.roleActors).sort()).toEqual([...roleIds].sort());
      for (const a of Object.values(p.roleActors)) {
        a.users.forEach(hasAccount);
        a.groups.forEach(hasGroup);
      }
    }
    const confRoles = new Set(t.confluence.roles.map((r) => r.id));
    for (const s of t.confluence.spaces) {
      hasAccount(s.authorAccountId);
      for (const p of s.permissions) {
        if (p.principal.type === "user") hasAccount(p.principal.id);
        if (p.principal.type === "group") hasGroup(p.principal.id);
        if (p.principal.type === "role") expect(confRoles.has(p.principal.id)).toBe(true);
      }
      for (const ra of s.roleAssignments) {
        expect(confRoles.has(ra.roleId)).toBe(true);
        if (ra.principal.type === "USER") hasAccount(ra.principal.id);
        else hasGroup(ra.principal.id);
      }
    }
    for (const e of t.events) {
      hasAccount(e.actorAccountId);
      for (const target of e.targets) {
        if (target.type === "user") hasAccount(target.id);
        if (target.type === "group") hasGroup(target.id);
      }
    }
  });

  it("keeps Bitbucket references inside the workspace", () => {
    for (const m of t.bitbucket.members) {
      const a = accounts.get(m.accountId)!;
      expect(a.bitbucketUuid).not.toBeNull();
      expect(a.bitbucketNickname).not.toBeNull();
    }
    for (const a of t.accounts) if (a.bitbucketUuid) expect(bbMembers.has(a.accountId)).toBe(true);
    for (const g of t.bitbucket.groups) {
      expect(g.permission).toBeNull();
      for (const m of g.members) expect(bbMembers.has(m)).toBe(true);
    }
    const projectKeys = new Set(t.bitbucket.projects.map((p) => p.key));
    const grants = [...t.bitbucket.projects, ...t.bitbucket.repos];
    for (const x of grants) {
      for (const u of x.users) expect(bbMembers.has(u.accountId)).toBe(true);
      for (const g of x.groups) expect(bbGroups.has(g.slug)).toBe(true);
    }
    for (const r of t.bitbucket.repos) {
      expect(projectKeys.has(r.projectKey)).toBe(true);
      if (!r.overridesProject) expect(r.users.length + r.groups.length).toBe(0);
      const seen = new Set<string>();
      for (const b of r.branchRestrictions) {
        const key = `${b.kind}|${b.branchMatchKind === "glob" ? b.pattern : b.branchType}`;
        expect(seen.has(key)).toBe(false);
        seen.add(key);
        for (const u of b.users) expect(bbMembers.has(u)).toBe(true);
        for (const g of b.groups) expect(bbGroups.has(g)).toBe(true);
        if (b.users.length + b.groups.length > 0) expect(["push", "restrict_merges"]).toContain(b.kind);
      }
    }
  });

  it("derives product access from memberships", () => {
    const jiraGroups = new Set(t.jira.applicationRoles.find((r) => r.key === "jira-software")!.groups);
    const confluenceGroups = new Set(
      t.groups.filter((g) => g.name.startsWith(CONFLUENCE_USERS_GROUP)).map((g) => g.groupId),
    );
    expect(confluenceGroups.size).toBe(1);
    for (const a of t.accounts) {
      const mine = groupOf.get(a.accountId) ?? [];
      const keys = a.products.map((p) => p.key);
      expect(keys.includes("jira-software"), a.accountId).toBe(mine.some((g) => jiraGroups.has(g)));
      expect(keys.includes("confluence"), a.accountId).toBe(mine.some((g) => confluenceGroups.has(g)));
      expect(keys.includes("bitbucket"), a.accountId).toBe(bbMembers.has(a.accountId));
      const latest =
        a.products
          .map((p) => p.lastActive)
          .filter((x): x is string => x !== null)
          .sort()
          .at(-1) ?? null;
      expect(a.lastActive).toBe(latest);
      if (a.billable) expect(a.status === "active" && !a.suspended && a.products.length > 0).toBe(true);
    }
  });

  it("links SCIM users to managed accounts and SCIM groups to scim groups, both ways", () => {
    const scimById = new Map(t.scim.users.map((u) => [u.id, u]));
    for (const u of t.scim.users) {
      const a = accounts.get(u.accountId);
      expect(a?.managed).toBe(true);
      expect(u.userName).toBe(a!.email);
      expect(u.active).toBe(a!.status === "active");
      expect(t.identities.some((i) => i.idpId === u.externalId && i.email === u.email)).toBe(true);
    }
    const scimGroupByGroup = new Map(t.scim.groups.map((g) => [g.groupId, g]));
    for (const g of t.groups) {
      const sg = scimGroupByGroup.get(g.groupId);
      expect(!!sg).toBe(g.source === "scim");
      if (!sg) continue;
      expect(sg.displayName).toBe(g.name);
      const viaScim = sg.members.map((id) => scimById.get(id)!.accountId).sort();
      expect(viaScim).toEqual([...g.members].sort());
    }
  });

  it("has usable credentials", () => {
    const c = t.credentials;
    const siteAdmins = t.groups.find((g) => g.name === SYSTEM_GROUP_NAMES.siteAdmins)!;
    for (const u of [c.productUser, c.limitedProductUser]) {
      const a = accounts.get(u.accountId)!;
      expect(a.email).toBe(u.email);
      expect(hasProductAccess(a, "jira-software")).toBe(true);
      expect(hasProductAccess(a, "confluence")).toBe(true);
    }
    expect(siteAdmins.members).toContain(c.productUser.accountId);
    expect(siteAdmins.members).not.toContain(c.limitedProductUser.accountId);
    expect(bbMembers.get(c.bitbucketAdminConsumer.ownerAccountId)?.permission).toBe("owner");
    expect(t.bitbucket.members.find((m) => m.permission === "owner")?.accountId).toBe(
      c.bitbucketAdminConsumer.ownerAccountId,
    );
    expect(bbMembers.get(c.bitbucketMemberConsumer.ownerAccountId)?.permission).toBe("member");
    expect(hasProductAccess(accounts.get(c.bitbucketMemberConsumer.ownerAccountId)!, "bitbucket")).toBe(true);
    const secrets = [
      c.adminApiKey,
      c.scopedAdminApiKey,
      c.scimToken,
      c.productUser.token,
      c.limitedProductUser.token,
      c.bitbucketAdminConsumer.key,
      c.bitbucketAdminConsumer.secret,
      c.bitbucketMemberConsumer.key,
      c.bitbucketMemberConsumer.secret,
      c.bitbucketWebhookSecret,
    ];
    expect(new Set(secrets).size).toBe(secrets.length);
    for (const s of secrets) expect(s.length).toBeGreaterThanOrEqual(18);
  });
});
