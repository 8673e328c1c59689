/**
 * The deterministic tenant generator: `generateTenant(size, seed)` builds one coherent Atlassian Cloud organization
 * (accounts, groups, IdP identities and SCIM, Jira, Confluence, Bitbucket, audit events, credentials). The same size
 * and seed always give the same tenant, byte for byte through `serializeTenant`; nothing reads the clock or
 * `Math.random`, and every timestamp is relative to `GENERATED_AT`.
 *
 * Product access follows from memberships, as in Atlassian Cloud:
 * - Jira (`jira-software`): member of a group of the `jira-software` application role
 *   (`site-admins`, `jira-software-users`, `jira-admins`, `atlassian-addons-admin`).
 * - Confluence: member of the `confluence-users` group (the simulator's state treats every group whose name starts
 *   with `confluence-users` as a Confluence access group; the generator makes exactly one).
 * - Bitbucket: member of the workspace (`bitbucket.members`).
 *
 * Variety every size contains (the tests assert each): app accounts (service and agent), customer accounts,
 * deactivated, closed and suspended accounts, hidden emails, external collaborators, a member of many groups,
 * empty groups, groups granted nothing, billable accounts idle for more than 90 days, accounts with product access
 * and no IdP identity, IdP-deactivated identities whose account is still active, IdP identities without an account,
 * every Jira permission-scheme holder type, team-managed and archived projects, archived and personal spaces,
 * anonymous and unlicensed space access, space role assignments, public repositories, every fork policy, every
 * branch-restriction kind (glob and branching-model matches, some overlapping), repositories that override their
 * project's permissions, and every Bitbucket project permission level for users and groups.
 */
import type {
  AccountStatus,
  AuditEvent,
  BitbucketBranchRestriction,
  BitbucketForkPolicy,
  BitbucketGroup,
  BitbucketMember,
  BitbucketProject,
  BitbucketProjectPermission,
  BitbucketRepo,
  BitbucketRepoPermission,
  ConfluencePrincipal,
  ConfluenceRoleAssignment,
  ConfluenceSpace,
  ConfluenceSpaceRole,
  JiraApplicationRole,
  JiraGrant,
  JiraPermissionScheme,
  JiraProject,
  JiraRole,
  JiraRoleActors,
  ProductAccess,
  ScimGroup,
  ScimUser,
  SimAccount,
  SimCredentials,
  SimGroup,
  SimIdentity,
  SimTenant,
  SizePreset,
} from "./model.js";
import {
  APP_NAMES,
  asciiFold,
  CUSTOMER_DOMAINS,
  DEPARTMENTS,
  EXTERNAL_DOMAINS,
  FIRST_NAMES,
  LAST_NAMES,
  type NamePair,
  ORG_NAMES,
  PROJECT_SUFFIXES,
  PROJECT_WORDS,
  REPO_SUFFIXES,
  SPACE_SUFFIXES,
  slugify,
  TEAM_WORDS,
  TITLES,
  UNUSED_GROUP_WORDS,
} from "./names.js";
import { Prng, WeightedIndex } from "./prng.js";
import { SIZES, type SizeSpec } from "./sizes.js";

/** The fixed "now" of every generated tenant. */
export const GENERATED_AT = "2026-11-01T00:00:00.000Z";
const NOW_MS = Date.parse(GENERATED_AT);
const DAY_MS = 86_400_000;

/** Names of the groups every tenant has. */
export const SYSTEM_GROUP_NAMES = {
  siteAdmins: "site-admins",
  jiraUsers: "jira-software-users",
  jiraAdmins: "jira-admins",
  confluenceUsers: "confluence-users",
  confluenceAdmins: "confluence-admins",
  addons: "atlassian-addons-admin",
} as const;

/** Members of this group (and of any group whose name starts with it) have Confluence access. */
export const CONFLUENCE_USERS_GROUP = SYSTEM_GROUP_NAMES.confluenceUsers;
/** The empty group that still appears in grants. */
export const EMPTY_GRANTED_GROUP = "legacy-contractors";

export const JIRA_ROLE_NAMES: readonly string[] = [
  "Administrators",
  "Developers",
  "Users",
  "Viewers",
  "Service Desk Team",
  "Service Desk Customers",
  "Contractors",
  "Project Managers",
  "QA Engineers",
  "Release Managers",
  "Stakeholders",
  "Designers",
];

/** Jira project permissions, by tier. */
export const JIRA_PERMISSIONS = {
  read: ["BROWSE_PROJECTS", "VIEW_DEV_TOOLS", "VIEW_READONLY_WORKFLOW", "VIEW_VOTERS_AND_WATCHERS"],
  comment: ["ADD_COMMENTS", "EDIT_OWN_COMMENTS", "DELETE_OWN_COMMENTS", "CREATE_ATTACHMENTS", "DELETE_OWN_ATTACHMENTS"],
  work: [
    "CREATE_ISSUES",
    "EDIT_ISSUES",
    "ASSIGN_ISSUES",
    "ASSIGNABLE_USER",
    "RESOLVE_ISSUES",
    "CLOSE_ISSUES",
    "TRANSITION_ISSUES",
    "LINK_ISSUES",
    "SCHEDULE_ISSUES",
    "MOVE_ISSUES",
    "WORK_ON_ISSUES",
    "EDIT_OWN_WORKLOGS",
    "DELETE_OWN_WORKLOGS",
    "MANAGE_WATCHERS",
    "MANAGE_SPRINTS_PERMISSION",
  ],
  admin: [
    "ADMINISTER_PROJECTS",
    "DELETE_ISSUES",
    "EDIT_ALL_COMMENTS",
    "DELETE_ALL_COMMENTS",
    "DELETE_ALL_ATTACHMENTS",
    "EDIT_ALL_WORKLOGS",
    "DELETE_ALL_WORKLOGS",
    "MODIFY_REPORTER",
    "SET_ISSUE_SECURITY",
    "ARCHIVE_ISSUES",
    "UNARCHIVE_ISSUES",
    "VIEW_AGGREGATED_DATA",
  ],
} as const;

/** Confluence space operations (`key:targetType`) by level; the space roles carry the same sets. */
export const CONFLUENCE_OPERATIONS = {
  view: ["read:space"],
  comment: ["read:space", "create:comment"],
  edit: [
    "read:space",
    "create:page",
    "create:blogpost",
    "create:comment",
    "create:attachment",
    "delete:comment",
    "export:space",
  ],
  admin: [
    "read:space",
    "create:page",
    "create:blogpost",
    "create:comment",
    "create:attachment",
    "delete:comment",
    "export:space",
    "delete:page",
    "delete:blogpost",
    "delete:attachment",
    "archive:page",
    "restrict_content:space",
    "administer:space",
  ],
} as const;

/** Every branch-restriction kind Bitbucket Cloud accepts. */
export const BRANCH_RESTRICTION_KINDS: readonly string[] = [
  "push",
  "force",
  "delete",
  "restrict_merges",
  "require_tasks_to_be_completed",
  "require_approvals_to_merge",
  "require_default_reviewer_approvals_to_merge",
  "require_no_changes_requested",
  "require_passing_builds_to_merge",
  "require_commits_behind",
  "reset_pullrequest_approvals_on_change",
  "smart_reset_pullrequest_approvals",
  "reset_pullrequest_changes_requested_on_change",
  "require_all_dependencies_merged",
  "enforce_merge_checks",
  "allow_auto_merge_when_builds_pass",
];

type DraftKind = "person" | "app" | "customer";

/** Generation-time bookkeeping about one account; never part of the tenant. */
interface Draft {
  account: SimAccount;
  kind: DraftKind;
  first: NamePair;
  last: NamePair;
  /** Group indexes, in insertion order. */
  groups: number[];
  scim: boolean;
  hasIdentity: boolean;
  idpDeactivated: boolean;
  stale: boolean;
  noProducts: boolean;
  bitbucket: BitbucketMember["permission"] | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Generates the tenant of the given size preset from the seed. */
export function generateTenant(size: SizePreset, seed: number): SimTenant {
  return new TenantBuilder(size, seed).build();
}

/** Canonical JSON of a tenant: the same seed and size give the same bytes (objects are built in a fixed key order). */
export function serializeTenant(t: SimTenant): string {
  return `${JSON.stringify(t)}\n`;
}

/** Parses `serializeTenant` output. */
export function parseTenant(json: string): SimTenant {
  const t = JSON.parse(json) as SimTenant;
  if (t.version !== 1) throw new Error(`unsupported tenant version ${String(t.version)}`);
  return t;
}

class TenantBuilder {
  private readonly spec: SizeSpec;
  private readonly root: Prng;

  private orgName = "";
  private orgSlug = "";
  private domain = "";
  private host = "";

  private readonly drafts: Draft[] = [];
  private people: Draft[] = [];
  private apps: Draft[] = [];
  private customers: Draft[] = [];
  private readonly usedLocals = new Set<string>();
  private readonly usedNicknames = new Set<string>();

  private productUser!: Draft;
  private limitedUser!: Draft;
  private manyGroupsUser!: Draft;
  private externals: Draft[] = [];
  private orgAdmins: Draft[] = [];
  /** Active, unsuspended, managed people with no special role: the pool for role holders. */
  private plainActive: Draft[] = [];

  private groups: SimGroup[] = [];
  private groupIndex = new Map<string, number>();
  private teamGroups: number[] = [];
  private unusedGroups: number[] = [];
  private emptyGroups: number[] = [];

  private bbMembers: Draft[] = [];
  private bbOwners: Draft[] = [];
  private bbGroups: BitbucketGroup[] = [];

  constructor(
    private readonly size: SizePreset,
    private readonly seed: number,
  ) {
    this.spec = SIZES[size];
    this.root = new Prng(seed);
  }

  build(): SimTenant {
    const rng = this.root.fork("org");
    this.orgName = rng.pick(ORG_NAMES);
    this.orgSlug = slugify(this.orgName);
    const short = this.orgSlug.split("-")[0] ?? this.orgSlug;
    this.domain = `${short}.example`;
    this.host = `${short}.atlassian.net`;
    const orgId = rng.uuid();
    const cloudId = rng.uuid();
    const directoryId = rng.uuid();

    this.makeAccounts();
    this.makeGroups();
    this.makeMemberships();
    this.makeBitbucketMembers();
    this.assignProducts();
    const { identities, scimUsers, scimGroups } = this.makeIdentities();
    const jira = this.makeJira();
    const confluence = this.makeConfluence();
    const bitbucket = this.makeBitbucket();
    const events = this.makeEvents();
    const credentials = this.makeCredentials();

    return {
      version: 1,
      seed: this.seed,
      size: this.size,
      generatedAt: GENERATED_AT,
      org: { id: orgId, name: this.orgName },
      sites: [{ cloudId, host: this.host, name: short, products: ["jira-software", "confluence"] }],
      directories: [{ directoryId, name: `${this.orgName} (Okta)` }],
      accounts: this.drafts.map((d) => d.account),
      groups: this.groups,
      orgAdmins: this.orgAdmins.map((d) => d.account.accountId),
      identities,
      scim: { directoryId, users: scimUsers, groups: scimGroups },
      jira,
      confluence,
      bitbucket,
      events,
      credentials,
    };
  }

  // ------------------------------------------------------------ accounts

  private uniqueLocal(rng: Prng, base: string, forceNumber: boolean): string {
    let local = forceNumber || rng.chance(0.3) ? `${base}${rng.int(1, 99)}` : base;
    let n = 2;
    while (this.usedLocals.has(local)) {
      local = `${base}${rng.int(1, 99)}${n > 5 ? n : ""}`;
      n += 1;
    }
    this.usedLocals.add(local);
    return local;
  }

  private accountId(rng: Prng, legacy: boolean): string {
    return legacy ? `5${rng.hex(23)}` : `712020:${rng.uuid()}`;
  }

  private newDraft(account: SimAccount, kind: DraftKind, first: NamePair, last: NamePair): Draft {
    const d: Draft = {
      account,
      kind,
      first,
      last,
      groups: [],
      scim: false,
      hasIdentity: false,
      idpDeactivated: false,
      stale: false,
      noProducts: false,
      bitbucket: null,
    };
    this.drafts.push(d);
    return d;
  }

  private baseAccount(
    accountId: string,
    accountType: SimAccount["accountType"],
    displayName: string,
    email: string,
    addedToOrg: string,
  ): SimAccount {
    return {
      accountId,
      accountType,
      status: "active",
      suspended: false,
      displayName,
      email,
      emailVisible: true,
      managed: false,
      externalCollaborator: false,
      billable: false,
      products: [],
      lastActive: null,
      addedToOrg,
      appType: null,
      bitbucketUuid: null,
      bitbucketNickname: null,
      title: null,
      department: null,
    };
  }

  private makeAccounts(): void {
    const rng = this.root.fork("accounts");
    const n = this.spec.accounts;
    const nApps = Math.max(3, Math.round(n * 0.006));
    const nCustomers = Math.max(3, Math.round(n * 0.03));
    const nPeople = n - nApps - nCustomers;

    // Indexes 0..2 are the product user, the limited product user and the member of many groups.
    const regular = rng.shuffle(Array.from({ length: nPeople - 3 }, (_, i) => i + 3));
    let cursor = 0;
    const take = (count: number): Set<number> => {
      const s = new Set(regular.slice(cursor, cursor + count));
      cursor += count;
      return s;
    };
    const external = take(Math.max(2, Math.round(nPeople * 0.03)));
    const closed = take(Math.max(1, Math.round(nPeople * 0.01)));
    const inactive = take(Math.max(2, Math.round(nPeople * 0.03)));
    const suspended = take(Math.max(1, Math.round(nPeople * 0.015)));
    const stale = take(Math.max(2, Math.round(nPeople * 0.05)));
    const noIdentity = take(Math.max(2, Math.round(nPeople * 0.02)));
    const idpDeactivated = take(Math.max(2, Math.round(nPeople * 0.015)));
    const noProducts = take(Math.max(1, Math.round(nPeople * 0.03)));
    const hidden = new Set(rng.sample(regular, Math.max(2, Math.round(nPeople * 0.08))));
    const legacy = new Set(rng.sample(regular, Math.max(1, Math.round(nPeople * 0.05))));

    for (let i = 0; i < nPeople; i++) {
      const first = rng.pick(FIRST_NAMES);
      const last = rng.pick(LAST_NAMES);
      const isExternal = external.has(i);
      let displayName = `${first[0]} ${last[0]}`;
      let email: string;
      if (i === 0) {
        displayName = "AccessMap Integration";
        email = `accessmap-integration@${this.domain}`;
      } else if (i === 1) {
        displayName = "AccessMap Read-only";
        email = `accessmap-readonly@${this.domain}`;
      } else {
        const local = this.uniqueLocal(rng, `${first[1]}.${last[1]}`, false);
        email = `${local}@${isExternal ? rng.pick(EXTERNAL_DOMAINS) : this.domain}`;
      }
      const added = NOW_MS - rng.int(30, 5 * 365) * DAY_MS - rng.int(0, DAY_MS - 1);
      const account = this.baseAccount(this.accountId(rng, legacy.has(i)), "atlassian", displayName, email, iso(added));
      account.managed = !isExternal;
      account.externalCollaborator = isExternal;
      account.emailVisible = !hidden.has(i);
      let status: AccountStatus = "active";
      if (closed.has(i)) status = "closed";
      else if (inactive.has(i)) status = "inactive";
      account.status = status;
      account.suspended = suspended.has(i);
      if (i < 2) {
        account.title = "Integration user";
        account.department = "IT";
      } else if (!isExternal || rng.chance(0.3)) {
        account.title = rng.chance(0.9) ? rng.pick(TITLES) : null;
        account.department = isExternal ? null : rng.chance(0.92) ? rng.pick(DEPARTMENTS) : null;
      }
      const d = this.newDraft(account, "person", first, last);
      d.stale = stale.has(i);
      d.noProducts = noProducts.has(i);
      d.idpDeactivated = idpDeactivated.has(i);
      // Managed people are in the IdP, except the integration accounts and the "no identity" ones.
      d.hasIdentity = account.managed && i >= 2 && !noIdentity.has(i);
      d.scim = d.hasIdentity && !d.idpDeactivated && status !== "closed" && (i === 2 || rng.chance(0.85));
      this.people.push(d);
      if (isExternal) this.externals.push(d);
    }
    this.productUser = this.people[0]!;
    this.limitedUser = this.people[1]!;
    this.manyGroupsUser = this.people[2]!;
    this.plainActive = this.people.filter(
      (d, i) =>
        i >= 3 &&
        d.account.status === "active" &&
        !d.account.suspended &&
        d.account.managed &&
        !d.stale &&
        !d.noProducts &&
        !d.idpDeactivated,
    );

    for (let i = 0; i < nApps; i++) {
      const base = APP_NAMES[i % APP_NAMES.length]!;
      const name = i < APP_NAMES.length ? base : `${base} ${Math.floor(i / APP_NAMES.length) + 1}`;
      const added = NOW_MS - rng.int(10, 3 * 365) * DAY_MS - rng.int(0, DAY_MS - 1);
      const account = this.baseAccount(
        `557058:${rng.uuid()}`,
        "app",
        name,
        `${slugify(name)}@connect.atlassian.com`,
        iso(added),
      );
      account.emailVisible = false;
      account.appType = i % 3 === 2 ? "agent" : "service";
      this.apps.push(this.newDraft(account, "app", [name, slugify(name)], ["", ""]));
    }

    for (let i = 0; i < nCustomers; i++) {
      const first = rng.pick(FIRST_NAMES);
      const last = rng.pick(LAST_NAMES);
      const local = this.uniqueLocal(rng, `${first[1]}.${last[1]}`, true);
      const added = NOW_MS - rng.int(1, 3 * 365) * DAY_MS - rng.int(0, DAY_MS - 1);
      const account = this.baseAccount(
        `qm:${rng.uuid()}:${rng.uuid()}`,
        "customer",
        `${first[0]} ${last[0]}`,
        `${local}@${rng.pick(CUSTOMER_DOMAINS)}`,
        iso(added),
      );
      if (i === nCustomers - 1) account.status = "inactive";
      this.customers.push(this.newDraft(account, "customer", first, last));
    }
  }

  // ------------------------------------------------------------ groups

  private addGroup(name: string, description: string, source: SimGroup["source"], rng: Prng): number {
    const idx = this.groups.length;
    this.groups.push({ groupId: rng.uuid(), name, description, members: [], source });
    this.groupIndex.set(name, idx);
    return idx;
  }

  private sys(name: string): number {
    const idx = this.groupIndex.get(name);
    if (idx === undefined) throw new Error(`no group ${name}`);
    return idx;
  }

  private makeGroups(): void {
    const rng = this.root.fork("groups");
    const g = this.spec.groups;
    this.addGroup(
      SYSTEM_GROUP_NAMES.siteAdmins,
      "Grants access to all applications and their administration",
      "admin",
      rng,
    );
    this.addGroup(SYSTEM_GROUP_NAMES.jiraUsers, "Grants access to Jira Software", "admin", rng);
    this.addGroup(SYSTEM_GROUP_NAMES.jiraAdmins, "Grants Jira administration", "admin", rng);
    this.addGroup(SYSTEM_GROUP_NAMES.confluenceUsers, "Grants access to Confluence", "admin", rng);
    this.addGroup(SYSTEM_GROUP_NAMES.confluenceAdmins, "Grants Confluence administration", "admin", rng);
    this.addGroup(SYSTEM_GROUP_NAMES.addons, "Apps installed on the site", "admin", rng);
    const system = this.groups.length;

    const nEmpty = Math.max(1, Math.round(g * 0.01));
    const nUnused = Math.max(1, Math.round(g * 0.03));
    const nTeams = g - system - nEmpty - nUnused;
    if (nTeams < 2) throw new Error(`size ${this.size}: too few groups`);
    const used = new Set(this.groups.map((x) => x.name));
    const unique = (base: string): string => {
      let name = base;
      let n = 2;
      while (used.has(name)) name = `${base}-${n++}`;
      used.add(name);
      return name;
    };

    for (let i = 0; i < nEmpty; i++) {
      const name = i === 0 ? EMPTY_GRANTED_GROUP : unique(`${rng.pick(TEAM_WORDS)}-archive`);
      used.add(name);
      this.emptyGroups.push(this.addGroup(name, "No longer used", "admin", rng));
    }
    for (let i = 0; i < nUnused; i++) {
      const name = unique(UNUSED_GROUP_WORDS[i % UNUSED_GROUP_WORDS.length]!);
      this.unusedGroups.push(this.addGroup(name, "Informal group", "admin", rng));
    }
    const nScim = Math.max(1, Math.round(nTeams * 0.35));
    const scimPick = new Set(
      rng.sample(
        Array.from({ length: nTeams }, (_, i) => i),
        nScim,
      ),
    );
    for (let i = 0; i < nTeams; i++) {
      const word = TEAM_WORDS[i % TEAM_WORDS.length]!;
      const base =
        i < TEAM_WORDS.length
          ? `team-${word}`
          : `${word}-${slugify(DEPARTMENTS[Math.floor(i / TEAM_WORDS.length) % DEPARTMENTS.length]!)}`;
      const name = unique(base);
      const scim = scimPick.has(i);
      const description = scim ? "Synced from Okta" : `Members of the ${word} team`;
      this.teamGroups.push(this.addGroup(name, description, scim ? "scim" : "admin", rng));
    }
  }

  /** Adds a member; false when already a member or when a SCIM group would get an account without a SCIM user. */
  private join(d: Draft, groupIdx: number): boolean {
    const group = this.groups[groupIdx]!;
    if (group.source === "scim" && !d.scim) return false;
    if (d.groups.includes(groupIdx)) return false;
    d.groups.push(groupIdx);
    group.members.push(d.account.accountId);
    return true;
  }

  private makeMemberships(): void {
    const rng = this.root.fork("memberships");
    const jiraUsers = this.sys(SYSTEM_GROUP_NAMES.jiraUsers);
    const confUsers = this.sys(SYSTEM_GROUP_NAMES.confluenceUsers);
    const siteAdmins = this.sys(SYSTEM_GROUP_NAMES.siteAdmins);
    const jiraAdmins = this.sys(SYSTEM_GROUP_NAMES.jiraAdmins);
    const confAdmins = this.sys(SYSTEM_GROUP_NAMES.confluenceAdmins);
    const addons = this.sys(SYSTEM_GROUP_NAMES.addons);

    // Team group sizes follow a gentle power law over a shuffled order.
    const ranks = rng.shuffle(this.teamGroups.map((_, i) => i));
    const teamPicker = new WeightedIndex(ranks.map((r) => 1 / Math.sqrt(r + 1)));
    const teamCount = (): number =>
      rng.weighted([
        [0, 10],
        [1, 35],
        [2, 30],
        [3, 15],
        [4, 7],
        [5, 3],
      ] as const);

    for (const d of this.people) {
      if (d.account.status === "closed") continue;
      const special = d === this.productUser || d === this.limitedUser;
      if (special) {
        this.join(d, jiraUsers);
        this.join(d, confUsers);
        continue;
      }
      if (!d.noProducts) {
        if (d.stale || d === this.manyGroupsUser || rng.chance(d.account.externalCollaborator ? 0.5 : 0.92))
          this.join(d, jiraUsers);
        if (d.account.externalCollaborator || rng.chance(0.8)) this.join(d, confUsers);
      }
      const k = d.account.externalCollaborator ? rng.int(0, 1) : teamCount();
      const want = d.groups.length + k;
      for (let attempts = 0; d.groups.length < want && attempts < k * 3; attempts++) {
        const idx = this.teamGroups[teamPicker.draw(rng)]!;
        this.join(d, idx);
      }
    }

    // Unused groups have a few members; they are never named in a grant.
    const candidates = this.people.filter((d) => d.account.status !== "closed" && d.kind === "person");
    for (const idx of this.unusedGroups) {
      for (const d of rng.sample(candidates, rng.int(2, 8))) this.join(d, idx);
    }

    // Org admins: the product user, a few active people, and one deactivated admin who kept the role.
    const inactivePeople = this.people.filter((d) => d.account.status === "inactive" && d.account.managed);
    const activeAdmins = rng.sample(this.plainActive, this.spec.orgAdmins - 2);
    this.orgAdmins = [this.productUser, ...activeAdmins, rng.pick(inactivePeople)];
    this.join(this.productUser, siteAdmins);
    for (const d of activeAdmins) this.join(d, siteAdmins);
    for (const d of rng.sample(this.plainActive, rng.int(0, 2))) this.join(d, siteAdmins);

    const nProductAdmins = Math.min(25, Math.max(2, Math.round(this.people.length * 0.002)));
    for (const d of rng.sample(this.plainActive, nProductAdmins)) this.join(d, jiraAdmins);
    for (const d of rng.sample(this.plainActive, nProductAdmins)) {
      this.join(d, confAdmins);
      this.join(d, confUsers);
    }

    // Apps: most are in atlassian-addons-admin (hence Jira); some also use Confluence; the last has nothing.
    this.apps.forEach((d, i) => {
      if (i === this.apps.length - 1) return;
      this.join(d, addons);
      if (i % 3 === 1) this.join(d, confUsers);
    });

    // The member of many groups.
    const many = this.manyGroupsUser;
    for (const idx of [jiraUsers, confUsers, jiraAdmins, confAdmins, this.unusedGroups[0]!]) this.join(many, idx);
    for (const idx of rng.shuffle(this.teamGroups.slice())) {
      if (many.groups.length >= this.spec.manyGroupsUser) break;
      this.join(many, idx);
    }
  }

  // ------------------------------------------------------------ Bitbucket members

  private nickname(rng: Prng, d: Draft): string {
    const base = `${d.first[1]}-${d.last[1]}`.replace(/[^a-z0-9-]/g, "") || "user";
    let nick = base;
    while (this.usedNicknames.has(nick)) nick = `${base}${rng.int(1, 9999)}`;
    this.usedNicknames.add(nick);
    return nick;
  }

  private makeBitbucketMembers(): void {
    const rng = this.root.fork("bitbucket-members");
    const fraction = this.size === "S" ? 0.45 : 0.25;
    const candidates = this.people.filter(
      (d) => d.account.status !== "closed" && d !== this.limitedUser && d !== this.productUser,
    );
    const nOwners = Math.min(8, Math.max(2, Math.round(candidates.length * fraction * 0.003)));
    // The first owner is an active org admin: the owner of the admin OAuth consumer.
    const owners = [this.orgAdmins[1]!, ...rng.sample(this.plainActive, nOwners + 2)];
    for (const d of owners) {
      if (this.bbOwners.length >= nOwners) break;
      if (!this.bbOwners.includes(d)) this.bbOwners.push(d);
    }
    const chosen = new Set<Draft>([...this.bbOwners, this.manyGroupsUser]);
    for (const d of candidates) if (rng.chance(d.account.externalCollaborator ? 0.6 : fraction)) chosen.add(d);
    for (const d of this.externals.slice(0, 1)) chosen.add(d);
    for (const d of this.people) {
      if (!chosen.has(d)) continue;
      d.bitbucket = this.bbOwners.includes(d) ? "owner" : d.account.externalCollaborator ? "collaborator" : "member";
      d.account.bitbucketUuid = `{${rng.uuid()}}`;
      d.account.bitbucketNickname = this.nickname(rng, d);
      this.bbMembers.push(d);
    }
  }

  // ------------------------------------------------------------ product access

  private assignProducts(): void {
    const rng = this.root.fork("products");
    const jiraGroups = new Set(
      [
        SYSTEM_GROUP_NAMES.siteAdmins,
        SYSTEM_GROUP_NAMES.jiraUsers,
        SYSTEM_GROUP_NAMES.jiraAdmins,
        SYSTEM_GROUP_NAMES.addons,
      ].map((n) => this.sys(n)),
    );
    const confGroup = this.sys(SYSTEM_GROUP_NAMES.confluenceUsers);
    for (const d of this.drafts) {
      const a = d.account;
      const keys: ProductAccess["key"][] = [];
      if (d.groups.some((g) => jiraGroups.has(g))) keys.push("jira-software");
      if (d.groups.includes(confGroup)) keys.push("confluence");
      if (d.bitbucket) keys.push("bitbucket");
      const neverActive = !d.stale && d.kind === "person" && d.account.status === "active" && rng.chance(0.03);
      a.products = keys.map((key) => {
        let lastActive: string | null;
        if (neverActive && d !== this.productUser) lastActive = null;
        else if (d.stale) lastActive = iso(NOW_MS - rng.int(91, 420) * DAY_MS - rng.int(0, DAY_MS - 1));
        else if (a.status !== "active") lastActive = rng.chance(0.8) ? iso(NOW_MS - rng.int(95, 900) * DAY_MS) : null;
        else if (rng.chance(0.85)) lastActive = iso(NOW_MS - rng.int(0, 59) * DAY_MS - rng.int(0, DAY_MS - 1));
        else lastActive = iso(NOW_MS - rng.int(60, 88) * DAY_MS - rng.int(0, DAY_MS - 1));
        return { key, lastActive };
      });
      let last: string | null = null;
      for (const p of a.products)
        if (p.lastActive !== null && (last === null || p.lastActive > last)) last = p.lastActive;
      a.lastActive = last;
      a.billable =
        a.accountType === "atlassian" &&
        a.status === "active" &&
        !a.suspended &&
        !a.externalCollaborator &&
        a.products.length > 0;
    }
  }

  // ------------------------------------------------------------ IdP identities and SCIM

  private makeIdentities(): { identities: SimIdentity[]; scimUsers: ScimUser[]; scimGroups: ScimGroup[] } {
    const rng = this.root.fork("identities");
    const identities: SimIdentity[] = [];
    const scimUsers: ScimUser[] = [];
    const scimByAccount = new Map<string, string>();
    for (const d of this.people) {
      if (!d.hasIdentity) continue;
      const a = d.account;
      const idpId = `00u${rng.token(17)}`;
      const active = a.status === "active" && !d.idpDeactivated;
      identities.push({
        idpId,
        login: a.email,
        email: a.email,
        displayName: a.displayName,
        status: active ? "active" : "deactivated",
      });
      if (!d.scim) continue;
      const created = Date.parse(a.addedToOrg);
      const user: ScimUser = {
        id: rng.uuid(),
        externalId: idpId,
        userName: a.email,
        displayName: a.displayName,
        givenName: d.first[0],
        familyName: d.last[0],
        email: a.email,
        active: a.status === "active",
        title: a.title,
        department: a.department,
        organization: this.orgName,
        accountId: a.accountId,
        created: a.addedToOrg,
        lastModified: iso(created + rng.int(0, Math.max(0, Math.floor((NOW_MS - created) / DAY_MS))) * DAY_MS),
      };
      scimUsers.push(user);
      scimByAccount.set(a.accountId, user.id);
    }
    // People in the IdP who have no Atlassian account yet.
    const nOrphans = Math.max(2, Math.round(this.people.length * 0.02));
    for (let i = 0; i < nOrphans; i++) {
      const first = rng.pick(FIRST_NAMES);
      const last = rng.pick(LAST_NAMES);
      const email = `${this.uniqueLocal(rng, `${first[1]}.${last[1]}`, true)}@${this.domain}`;
      identities.push({
        idpId: `00u${rng.token(17)}`,
        login: email,
        email,
        displayName: `${first[0]} ${last[0]}`,
        status: i % 4 === 3 ? "deactivated" : "active",
      });
    }
    const scimGroups: ScimGroup[] = [];
    for (const g of this.groups) {
      if (g.source !== "scim") continue;
      const members = g.members.map((m) => {
        const id = scimByAccount.get(m);
        if (!id) throw new Error(`SCIM group ${g.name} has member ${m} without a SCIM user`);
        return id;
      });
      const created = NOW_MS - rng.int(200, 1500) * DAY_MS;
      scimGroups.push({
        id: rng.uuid(),
        displayName: g.name,
        members,
        groupId: g.groupId,
        created: iso(created),
        lastModified: iso(NOW_MS - rng.int(1, 199) * DAY_MS),
      });
    }
    return { identities, scimUsers, scimGroups };
  }

  // ------------------------------------------------------------ Jira

  private groupHolder(idx: number): JiraGrant["holder"] {
    const g = this.groups[idx]!;
    return { type: "group", parameter: g.name, value: g.groupId };
  }

  private makeJira() {
    const rng = this.root.fork("jira");
    const roles: JiraRole[] = JIRA_ROLE_NAMES.slice(0, this.spec.jiraRoles).map((name, i) => ({
      id: 10002 + i,
      name,
      description: `A project role that represents ${name.toLowerCase()} in a project`,
    }));
    const roleId = new Map(roles.map((r) => [r.name, r.id]));
    const roleHolder = (name: string): JiraGrant["holder"] | null => {
      const id = roleId.get(name);
      return id === undefined ? null : { type: "projectRole", parameter: String(id), value: String(id) };
    };

    let grantId = 10100;
    type Holder = JiraGrant["holder"];
    const P = JIRA_PERMISSIONS;
    const tiers = (...names: Array<keyof typeof P>): string[] => names.flatMap((n) => [...P[n]]);
    const app0 = this.apps[0]!.account.accountId;
    const ext0 = this.externals[0]!.account.accountId;
    const cust0 = this.customers[0]!.account.accountId;

    const buildScheme = (
      id: number,
      name: string,
      kind: "default" | "classic" | "servicedesk" | "open" | "team",
      team: number,
    ): JiraPermissionScheme => {
      const grants: JiraGrant[] = [];
      const add = (perms: readonly string[], holder: Holder | null) => {
        if (!holder) return;
        for (const permission of perms) {
          grantId += rng.int(1, 3);
          grants.push({ id: grantId, permission, holder: { ...holder } });
        }
      };
      switch (kind) {
        case "default":
          add(tiers("read", "comment", "work"), { type: "applicationRole" });
          add(P.admin, roleHolder("Administrators"));
          add(["ADMINISTER_PROJECTS"], { type: "projectLead" });
          add(["EDIT_ISSUES", "CLOSE_ISSUES"], { type: "reporter" });
          add(["RESOLVE_ISSUES", "CLOSE_ISSUES"], { type: "assignee" });
          break;
        case "classic":
          for (const r of ["Viewers", "Users", "Developers", "Administrators", "Contractors"])
            add(P.read, roleHolder(r));
          for (const r of ["Users", "Developers", "Administrators", "Contractors"]) add(P.comment, roleHolder(r));
          for (const r of ["Developers", "Administrators"]) add(P.work, roleHolder(r));
          add(["CREATE_ISSUES", "EDIT_ISSUES", "TRANSITION_ISSUES"], roleHolder("QA Engineers"));
          add(P.admin, roleHolder("Administrators"));
          add(["ADMINISTER_PROJECTS"], roleHolder("Project Managers"));
          add(["CLOSE_ISSUES"], { type: "assignee" });
          break;
        case "team":
          add(["BROWSE_PROJECTS"], { type: "group" });
          add(tiers("read", "comment", "work"), this.groupHolder(team));
          add(P.work, roleHolder("Developers"));
          add(P.admin, roleHolder("Administrators"));
          add(["ADMINISTER_PROJECTS"], { type: "projectLead" });
          break;
        case "servicedesk":
          add([...tiers("read", "comment", "work"), "SERVICEDESK_AGENT"], roleHolder("Service Desk Team"));
          add(["BROWSE_PROJECTS", "CREATE_ISSUES", "ADD_COMMENTS"], { type: "sd.customer.portal.only" });
          add(["CREATE_ISSUES", "ADD_COMMENTS"], roleHolder("Service Desk Customers"));
          add(["BROWSE_PROJECTS"], {
            type: "groupCustomField",
            parameter: "customfield_10050",
            value: "customfield_10050",
          });
          add(["EDIT_ISSUES"], { type: "userCustomField", parameter: "customfield_10051", value: "customfield_10051" });
          add(P.admin, roleHolder("Administrators"));
          add(["ADMINISTER_PROJECTS"], { type: "user", parameter: app0, value: app0 });
          break;
        case "open":
          add(["BROWSE_PROJECTS"], { type: "anyone" });
          add(["ADD_COMMENTS"], { type: "applicationRole", parameter: "jira-software" });
          add(tiers("read", "comment", "work"), roleHolder("Developers"));
          add(["ADMINISTER_PROJECTS"], { type: "group" });
          add(["ADMINISTER_PROJECTS"], { type: "applicationRole" });
          add(["CREATE_ISSUES", "EDIT_ISSUES"], { type: "user", parameter: ext0, value: ext0 });
          add(["DELETE_ISSUES"], { type: "user", parameter: cust0, value: cust0 });
          add(P.admin, roleHolder("Administrators"));
          add(["ADMINISTER_PROJECTS"], this.groupHolder(this.sys(EMPTY_GRANTED_GROUP)));
          break;
      }
      return { id, name, description: `${name} (${kind})`, grants };
    };

    const schemeKinds: Array<"default" | "classic" | "servicedesk" | "open" | "team"> = [
      "default",
      "classic",
      "servicedesk",
      "open",
      "team",
    ];
    const permissionSchemes: JiraPermissionScheme[] = [];
    const usedNames = new Set<string>();
    for (let i = 0; i < this.spec.permissionSchemes; i++) {
      const kind = i < schemeKinds.length ? schemeKinds[i]! : rng.pick(["classic", "team", "team", "default"] as const);
      const team = rng.pick(this.teamGroups);
      const teamName = this.groups[team]!.name;
      const base = {
        default: i === 0 ? "Default Permission Scheme" : "Default Permission Scheme (copy)",
        classic: "Role-based Permission Scheme",
        servicedesk: "Service Desk Permission Scheme",
        open: "Open Collaboration Scheme",
        team: `${teamName} Permission Scheme`,
      }[kind];
      let name = base;
      for (let n = 2; usedNames.has(name); n++) name = `${base} ${n}`;
      usedNames.add(name);
      permissionSchemes.push(buildScheme(10000 + i, name, kind, team));
    }
    const openScheme = permissionSchemes[3]!;
    const sdScheme = permissionSchemes[2]!;

    // Projects.
    const nProjects = this.spec.jiraProjects;
    const names = uniqueNames(rng, nProjects, PROJECT_WORDS, PROJECT_SUFFIXES);
    const usedKeys = new Set<string>();
    const nNextGen = Math.max(1, Math.round(nProjects * 0.15));
    const nArchived = Math.max(1, Math.round(nProjects * 0.05));
    const nextGen = new Set([1, ...rng.sample(range(nProjects), nNextGen - 1)]);
    const archived = new Set([nProjects - 1, ...rng.sample(range(nProjects), nArchived - 1)]);
    const jiraPeople = this.people.filter(
      (d) => d.account.status !== "closed" && d.groups.includes(this.sys(SYSTEM_GROUP_NAMES.jiraUsers)),
    );
    const allPeople = this.people.filter(
      (d) =>
        d.account.status !== "closed" &&
        d.kind === "person" &&
        d.account.accountId !== this.productUser.account.accountId,
    );
    const person = (): string => (rng.chance(0.9) ? rng.pick(jiraPeople) : rng.pick(allPeople)).account.accountId;
    const leadPool = jiraPeople.filter((d) => d.account.managed);
    const otherSchemes = permissionSchemes.filter((s) => s !== openScheme);
    const projects: JiraProject[] = [];
    for (let i = 0; i < nProjects; i++) {
      const scheme =
        i < Math.min(5, permissionSchemes.length)
          ? permissionSchemes[i]!
          : rng.chance(0.1)
            ? sdScheme
            : rng.pick(otherSchemes);
      const isSd = scheme === sdScheme;
      const lead = rng.pick(leadPool).account.accountId;
      const actors: Record<string, JiraRoleActors> = {};
      for (const role of roles) {
        const users = new Set<string>();
        const groups = new Set<string>();
        const team = () => this.groups[rng.pick(this.teamGroups)]!.groupId;
        switch (role.name) {
          case "Administrators":
            users.add(lead);
            if (rng.chance(0.3)) users.add(person());
            if (rng.chance(0.1)) groups.add(this.groups[this.sys(SYSTEM_GROUP_NAMES.jiraAdmins)]!.groupId);
            if (i === 0) users.add(app0);
            break;
          case "Developers":
            if (rng.chance(0.75)) groups.add(team());
            for (let k = rng.int(0, 3); k > 0; k--) users.add(person());
            if (i === 1) users.add(ext0);
            break;
          case "Users":
            if (rng.chance(0.35)) groups.add(team());
            for (let k = rng.int(0, 2); k > 0; k--) users.add(person());
            break;
          case "Viewers":
            if (rng.chance(0.4)) users.add(person());
            if (rng.chance(0.15)) users.add(rng.pick(this.externals).account.accountId);
            break;
          case "Service Desk Team":
            if (isSd) {
              groups.add(team());
              for (let k = rng.int(1, 2); k > 0; k--) users.add(person());
            }
            break;
          case "Service Desk Customers":
            if (isSd) for (const c of rng.sample(this.customers, rng.int(1, 3))) users.add(c.account.accountId);
            break;
          case "Contractors":
            if (rng.chance(0.3) || i === 3) users.add(rng.pick(this.externals).account.accountId);
            if (rng.chance(0.1) || i === 3) groups.add(this.groups[this.sys(EMPTY_GRANTED_GROUP)]!.groupId);
            break;
          default:
            if (rng.chance(0.3)) users.add(person());
        }
        actors[String(role.id)] = { users: [...users], groups: [...groups] };
      }
      const key = projectKey(names[i]!, usedKeys);
      projects.push({
        id: String(10000 + i),
        key,
        name: names[i]!,
        projectTypeKey: isSd ? "service_desk" : rng.chance(0.25) ? "business" : "software",
        style: nextGen.has(i) ? "next-gen" : "classic",
        archived: archived.has(i),
        leadAccountId: lead,
        permissionSchemeId: scheme.id,
        roleActors: actors,
      });
    }

    const groupId = (name: string) => this.groups[this.sys(name)]!.groupId;
    const jiraSoftwareGroups = [
      SYSTEM_GROUP_NAMES.siteAdmins,
      SYSTEM_GROUP_NAMES.jiraUsers,
      SYSTEM_GROUP_NAMES.jiraAdmins,
      SYSTEM_GROUP_NAMES.addons,
    ].map(groupId);
    const jiraUserCount = this.drafts.filter((d) => d.account.products.some((p) => p.key === "jira-software")).length;
    const applicationRoles: JiraApplicationRole[] = [
      {
        key: "jira-software",
        name: "Jira Software",
        groups: jiraSoftwareGroups,
        defaultGroups: [groupId(SYSTEM_GROUP_NAMES.jiraUsers)],
        numberOfSeats: Math.ceil((jiraUserCount * 1.1) / 10) * 10,
        hasUnlimitedSeats: false,
      },
      {
        key: "jira-servicedesk",
        name: "Jira Service Management",
        groups: [groupId(SYSTEM_GROUP_NAMES.siteAdmins)],
        defaultGroups: [],
        numberOfSeats: 10,
        hasUnlimitedSeats: false,
      },
    ];
    return {
      projects,
      roles,
      permissionSchemes,
      applicationRoles,
      adminGroups: [groupId(SYSTEM_GROUP_NAMES.jiraAdmins)],
      siteAdminGroups: [groupId(SYSTEM_GROUP_NAMES.siteAdmins)],
    };
  }

  // ------------------------------------------------------------ Confluence

  private makeConfluence() {
    const rng = this.root.fork("confluence");
    const O = CONFLUENCE_OPERATIONS;
    const roleOf = (name: string, type: ConfluenceSpaceRole["type"], ops: readonly string[], description: string) => ({
      id: rng.uuid(),
      name,
      description,
      type,
      operations: [...ops],
    });
    const roles: ConfluenceSpaceRole[] = [
      roleOf("Admin", "SYSTEM", O.admin, "Can manage the space and all its content"),
      roleOf("Collaborator", "SYSTEM", O.edit, "Can create and edit content"),
      roleOf("Viewer", "SYSTEM", O.view, "Can view content"),
      roleOf("Commenter", "CUSTOM", O.comment, "Can view and comment"),
    ];
    const [adminRole, collabRole, viewerRole, commenterRole] = roles as [
      ConfluenceSpaceRole,
      ConfluenceSpaceRole,
      ConfluenceSpaceRole,
      ConfluenceSpaceRole,
    ];

    const nSpaces = this.spec.spaces;
    const nPersonal = Math.max(1, Math.round(nSpaces * 0.25));
    const nGlobal = nSpaces - nPersonal;
    const archived = new Set(rng.sample(range(nGlobal), Math.max(1, Math.round(nGlobal * 0.08))));
    const anonymous = new Set(rng.sample(range(nGlobal), Math.max(1, Math.round(nGlobal * 0.03))));
    const unlicensed = new Set(rng.sample(range(nGlobal), Math.max(1, Math.round(nGlobal * 0.03))));
    const withRoles = new Set(rng.sample(range(nGlobal), Math.max(1, Math.round(nGlobal * 0.3))));
    const companyWide = new Set(rng.sample(range(nGlobal), Math.min(2, Math.max(1, Math.round(nGlobal * 0.02)))));
    const names = uniqueNames(rng, nGlobal, PROJECT_WORDS, SPACE_SUFFIXES);
    const people = this.people.filter(
      (d) => d.account.status !== "closed" && d !== this.productUser && d !== this.limitedUser,
    );
    const confPeople = people.filter((d) => d.groups.includes(this.sys(SYSTEM_GROUP_NAMES.confluenceUsers)));
    const somebody = () => (rng.chance(0.9) ? rng.pick(confPeople) : rng.pick(people)).account.accountId;
    const team = () => this.groups[rng.pick(this.teamGroups)]!.groupId;

    let spaceId = 65_536 + rng.int(0, 1000);
    let permId = 3_342_336 + rng.int(0, 10_000);
    let pageId = 98_304 + rng.int(0, 10_000);
    const usedKeys = new Set<string>();
    const spaces: ConfluenceSpace[] = [];

    const build = (
      key: string,
      name: string,
      type: ConfluenceSpace["type"],
      status: ConfluenceSpace["status"],
      author: string,
    ): ConfluenceSpace => {
      spaceId += rng.int(1, 4000);
      pageId += rng.int(10, 20_000);
      return {
        id: String(spaceId),
        key,
        name,
        type,
        status,
        authorAccountId: author,
        createdAt: iso(NOW_MS - rng.int(20, 2500) * DAY_MS - rng.int(0, DAY_MS - 1)),
        homepageId: String(pageId),
        permissions: [],
        roleAssignments: [],
      };
    };
    const perm = (space: ConfluenceSpace, principal: ConfluencePrincipal, ops: readonly string[]) => {
      for (const op of ops) {
        const [key, targetType] = op.split(":") as [string, string];
        permId += rng.int(1, 7);
        space.permissions.push({ id: String(permId), principal: { ...principal }, operation: { key, targetType } });
      }
    };

    for (let i = 0; i < nGlobal; i++) {
      const name = names[i]!;
      const type: ConfluenceSpace["type"] = i % 7 === 6 ? "knowledge_base" : i % 5 === 4 ? "collaboration" : "global";
      const author = somebody();
      const space = build(spaceKey(name, usedKeys), name, type, archived.has(i) ? "archived" : "current", author);
      perm(space, { type: "user", id: author }, O.admin);
      if (rng.chance(0.6) || i === 0)
        perm(
          space,
          { type: "group", id: this.groups[this.sys(SYSTEM_GROUP_NAMES.confluenceAdmins)]!.groupId },
          O.admin,
        );
      const editTeams = new Set<string>();
      for (let k = rng.int(1, 2); k > 0; k--) editTeams.add(team());
      for (const g of editTeams) perm(space, { type: "group", id: g }, O.edit);
      if (rng.chance(0.4)) {
        const g = team();
        if (!editTeams.has(g)) perm(space, { type: "group", id: g }, O.view);
      }
      const users = new Set<string>([author]);
      for (let k = rng.int(0, 3); k > 0; k--) {
        const u = somebody();
        if (users.has(u)) continue;
        users.add(u);
        perm(space, { type: "user", id: u }, rng.pick([O.view, O.comment, O.edit, O.admin]));
      }
      if (i === 0 || rng.chance(0.1)) {
        const ext = rng.pick(this.externals).account.accountId;
        if (!users.has(ext)) perm(space, { type: "user", id: ext }, i === 0 ? O.admin : O.edit);
        users.add(ext);
      }
      if (i === 0) perm(space, { type: "user", id: this.customers[0]!.account.accountId }, O.edit);
      if (i === 1 % nGlobal)
        perm(space, { type: "group", id: this.groups[this.sys(EMPTY_GRANTED_GROUP)]!.groupId }, O.view);
      if (companyWide.has(i))
        perm(space, { type: "group", id: this.groups[this.sys(SYSTEM_GROUP_NAMES.confluenceUsers)]!.groupId }, O.view);
      if (anonymous.has(i)) perm(space, { type: "anonymous" }, O.view);
      if (unlicensed.has(i)) perm(space, { type: "unlicensed" }, O.comment);
      if (withRoles.has(i)) {
        const assignments: ConfluenceRoleAssignment[] = [
          { principal: { type: "USER", id: somebody() }, roleId: adminRole.id },
          { principal: { type: "GROUP", id: team() }, roleId: collabRole.id },
          { principal: { type: "USER", id: somebody() }, roleId: viewerRole.id },
        ];
        if (rng.chance(0.5))
          assignments.push({ principal: { type: "USER", id: somebody() }, roleId: commenterRole.id });
        const seen = new Set<string>();
        space.roleAssignments = assignments.filter((a) => {
          const k = `${a.roleId}/${a.principal.type}/${a.principal.id}`;
          if (seen.has(k)) return false;
          seen.add(k);
          return true;
        });
        // The roles used in the space also appear as `role` permission rows carrying the role's operations.
        for (const role of roles) {
          if (space.roleAssignments.some((a) => a.roleId === role.id))
            perm(space, { type: "role", id: role.id }, role.operations);
        }
      }
      spaces.push(space);
    }

    const owners = rng.sample(confPeople, nPersonal);
    owners.forEach((d, i) => {
      const a = d.account;
      const key = `~${a.accountId.replace(/[^0-9A-Za-z]/g, "")}`;
      usedKeys.add(key);
      const space = build(key, a.displayName, "personal", i === 1 ? "archived" : "current", a.accountId);
      perm(space, { type: "user", id: a.accountId }, O.admin);
      if (rng.chance(0.3)) {
        const other = somebody();
        if (other !== a.accountId) perm(space, { type: "user", id: other }, O.view);
      }
      spaces.push(space);
    });

    return {
      spaces,
      roles,
      roleMode: "ROLES_TRANSITION" as const,
      adminGroups: [this.groups[this.sys(SYSTEM_GROUP_NAMES.confluenceAdmins)]!.groupId],
      siteAdminGroups: [this.groups[this.sys(SYSTEM_GROUP_NAMES.siteAdmins)]!.groupId],
    };
  }

  // ------------------------------------------------------------ Bitbucket

  private makeBitbucket() {
    const rng = this.root.fork("bitbucket");
    const members: BitbucketMember[] = this.bbMembers.map((d) => ({
      accountId: d.account.accountId,
      permission: d.bitbucket!,
    }));
    const plainMembers = this.bbMembers.filter(
      (d) => d.bitbucket === "member" && d.account.status === "active" && !d.account.suspended,
    );
    const collaborators = this.bbMembers.filter((d) => d.bitbucket === "collaborator");
    const ids = (ds: Draft[]) => ds.map((d) => d.account.accountId);

    // Groups: administrators, developers (auto-add), contractors, then team groups.
    const usedSlugs = new Set<string>();
    const bbGroup = (name: string, autoAdd: boolean, ms: Draft[]): BitbucketGroup => {
      let slug = slugify(name) || "group";
      for (let n = 2; usedSlugs.has(slug); n++) slug = `${slugify(name)}-${n}`;
      usedSlugs.add(slug);
      return { slug, name, permission: null, autoAdd, members: [...new Set(ids(ms))] };
    };
    const devCount = Math.min(400, Math.round(this.bbMembers.length * 0.5));
    this.bbGroups = [
      bbGroup("Administrators", false, [...this.bbOwners, ...rng.sample(plainMembers, rng.int(1, 2))]),
      bbGroup("Developers", true, rng.sample(this.bbMembers, devCount)),
      bbGroup("Contractors", false, collaborators),
    ];
    for (let i = 3; i < this.spec.bitbucketGroups; i++) {
      const word = TEAM_WORDS[i % TEAM_WORDS.length]!;
      const name = `${word[0]!.toUpperCase()}${word.slice(1)} Team`;
      this.bbGroups.push(bbGroup(name, false, rng.sample(this.bbMembers, rng.int(3, this.size === "S" ? 6 : 30))));
    }
    const [admins, developers, contractors] = this.bbGroups as [BitbucketGroup, BitbucketGroup, BitbucketGroup];
    const teamSlugs = this.bbGroups.slice(3).map((g) => g.slug);
    const anyTeamSlug = () => (teamSlugs.length > 0 ? rng.pick(teamSlugs) : contractors.slug);

    // Projects: every level appears among user grants and among group grants.
    const nProjects = this.spec.bitbucketProjects;
    const projectNames = uniqueNames(rng, nProjects, PROJECT_WORDS, PROJECT_SUFFIXES);
    const usedKeys = new Set<string>();
    const projects: BitbucketProject[] = [];
    for (let i = 0; i < nProjects; i++) {
      const users = new Map<string, BitbucketProjectPermission>();
      const groups = new Map<string, BitbucketProjectPermission>();
      if (i < 2) {
        const pair = i === 0 ? (["read", "write"] as const) : (["create-repo", "admin"] as const);
        const [a, b] = rng.sample(plainMembers, 2);
        if (a) users.set(a.account.accountId, pair[0]);
        if (b) users.set(b.account.accountId, pair[1]);
      } else {
        for (let k = rng.int(0, 3); k > 0; k--)
          users.set(
            rng.pick(plainMembers).account.accountId,
            rng.weighted([
              ["read", 4],
              ["write", 4],
              ["create-repo", 1],
              ["admin", 1],
            ] as const),
          );
      }
      if (i === 0) {
        groups.set(developers.slug, "read");
        groups.set(anyTeamSlug(), "create-repo");
        if (collaborators.length > 0) users.set(collaborators[0]!.account.accountId, "write");
      } else if (i === 1) {
        groups.set(admins.slug, "admin");
        groups.set(anyTeamSlug(), "write");
      } else {
        for (let k = rng.int(1, 2); k > 0; k--)
          groups.set(
            anyTeamSlug(),
            rng.weighted([
              ["read", 3],
              ["write", 4],
              ["create-repo", 1],
              ["admin", 1],
            ] as const),
          );
      }
      projects.push({
        uuid: `{${rng.uuid()}}`,
        key: projectKey(projectNames[i]!, usedKeys),
        name: projectNames[i]!,
        description: `Repositories of ${projectNames[i]!}`,
        isPrivate: i !== nProjects - 1 || nProjects < 3 ? true : rng.chance(0.5),
        createdOn: iso(NOW_MS - rng.int(100, 2000) * DAY_MS - rng.int(0, DAY_MS - 1)),
        users: [...users].map(([accountId, permission]) => ({ accountId, permission })),
        groups: [...groups].map(([slug, permission]) => ({ slug, permission })),
      });
    }

    // Repositories.
    const nRepos = this.spec.repos;
    const repoNames = uniqueNames(rng, nRepos, PROJECT_WORDS, REPO_SUFFIXES);
    const usedRepoSlugs = new Set<string>();
    const publicRepos = new Set([0, ...rng.sample(range(nRepos), Math.max(0, Math.round(nRepos * 0.04) - 1))]);
    const overriding = new Set([
      0,
      3 % nRepos,
      ...rng.sample(range(nRepos), Math.max(0, Math.round(nRepos * 0.15) - 2)),
    ]);
    const nProtected = Math.max(5, Math.round(nRepos * 0.4));
    const protectedRepos = new Set(range(nRepos).slice(0, Math.min(nRepos - 2, 5)));
    for (const i of rng.sample(range(nRepos).slice(7), nProtected - protectedRepos.size)) protectedRepos.add(i);
    const kindQueue = rng.shuffle([...BRANCH_RESTRICTION_KINDS]);
    let kindCursor = 0;
    let restrictionId = 0;
    const repos: BitbucketRepo[] = [];
    const policies: BitbucketForkPolicy[] = ["allow_forks", "no_public_forks", "no_forks"];
    // The first private repositories take every fork policy in turn, so each occurs on a private one at every size.
    let privateSeen = 0;
    for (let i = 0; i < nRepos; i++) {
      const project = i < nProjects ? projects[i]! : rng.pick(projects);
      const name = repoNames[i]!;
      let slug = slugify(name) || `repo-${i + 1}`;
      const baseSlug = slug;
      for (let n = 2; usedRepoSlugs.has(slug); n++) slug = `${baseSlug}-${n}`;
      usedRepoSlugs.add(slug);
      const isPublic = publicRepos.has(i);
      const privateIndex = isPublic ? -1 : privateSeen++;
      // Draw exactly as before (so the rest of the tenant is unchanged), then give the first private repositories
      // each fork policy in turn.
      const drawn: BitbucketForkPolicy | null =
        !isPublic && i >= 3
          ? rng.weighted([
              ["no_public_forks", 6],
              ["allow_forks", 2],
              ["no_forks", 2],
            ] as const)
          : null;
      const forkPolicy: BitbucketForkPolicy = isPublic
        ? "allow_forks"
        : privateIndex < policies.length
          ? policies[privateIndex]!
          : (drawn ?? "no_public_forks");
      const mainbranch = rng.weighted([
        ["main", 70],
        ["master", 20],
        ["develop", 7],
        ["trunk", 3],
      ] as const);
      let productionBranch: string | null = rng.weighted([
        [mainbranch, 6],
        ["release", 2],
        [null, 2],
      ] as const);
      const users = new Map<string, BitbucketRepoPermission>();
      const groups = new Map<string, BitbucketRepoPermission>();
      const override = overriding.has(i);
      if (override) {
        // Raise a project reader to repository admin when the project has one; else add a fresh admin.
        const reader = project.users.find((u) => u.permission === "read");
        users.set(reader ? reader.accountId : rng.pick(plainMembers).account.accountId, "admin");
        if (rng.chance(0.5)) users.set(rng.pick(plainMembers).account.accountId, rng.pick(["read", "write"] as const));
        if (collaborators.length > 0 && (i === 0 || rng.chance(0.2)))
          users.set(rng.pick(collaborators).account.accountId, "write");
        if (rng.chance(0.6) || i === 3 % nRepos)
          groups.set(anyTeamSlug(), rng.pick(["read", "write", "admin"] as const));
      }
      const restrictions: BitbucketBranchRestriction[] = [];
      if (protectedRepos.has(i)) {
        const used = new Set<string>();
        const count = i < 5 ? 4 : rng.int(2, 7);
        const kinds: string[] = [];
        for (let k = 0; k < count; k++) kinds.push(kindQueue[kindCursor++ % kindQueue.length]!);
        // One overlap per early repo: the first kind again, matched through the branching model.
        const overlapKind = i < 5 || rng.chance(0.3) ? kinds[0] : undefined;
        const add = (kind: string, match: "exact" | "wildcard" | "model" | "other") => {
          let pattern = "";
          let branchType: BitbucketBranchRestriction["branchType"] = null;
          let branchMatchKind: BitbucketBranchRestriction["branchMatchKind"] = "glob";
          if (match === "exact") pattern = mainbranch;
          else if (match === "wildcard") pattern = rng.pick(["*", `${mainbranch.slice(0, 2)}*`]);
          else if (match === "other") pattern = rng.pick(["release/*", "hotfix/*", "feature/*"]);
          else {
            branchMatchKind = "branching_model";
            branchType = "production";
            productionBranch = mainbranch;
          }
          const uniq = `${kind}|${pattern}|${branchType ?? ""}`;
          if (used.has(uniq)) return;
          used.add(uniq);
          let value: number | null = null;
          if (kind === "require_approvals_to_merge") value = rng.int(1, 3);
          else if (kind === "require_default_reviewer_approvals_to_merge") value = rng.int(1, 2);
          else if (kind === "require_passing_builds_to_merge") value = rng.int(1, 2);
          else if (kind === "require_commits_behind") value = rng.int(0, 5);
          const exempt = kind === "push" || kind === "restrict_merges";
          restrictionId += rng.int(1, 3);
          restrictions.push({
            id: restrictionId,
            kind,
            branchMatchKind,
            pattern,
            branchType,
            value,
            users: exempt ? ids(rng.sample(this.bbMembers, rng.int(0, 2))) : [],
            groups: exempt && rng.chance(0.5) ? [admins.slug] : [],
          });
        };
        for (const kind of kinds)
          add(
            kind,
            rng.weighted([
              ["exact", 6],
              ["wildcard", 2],
              ["model", 2],
            ] as const),
          );
        if (overlapKind !== undefined) {
          add(overlapKind, "model");
          add(overlapKind, "exact");
        }
        if (rng.chance(0.3)) add(rng.pick(BRANCH_RESTRICTION_KINDS), "other");
      }
      repos.push({
        uuid: `{${rng.uuid()}}`,
        slug,
        name,
        description: rng.chance(0.7) ? `${name} (${project.name})` : "",
        projectKey: project.key,
        isPrivate: !isPublic,
        forkPolicy,
        mainbranch,
        createdOn: iso(NOW_MS - rng.int(5, 1800) * DAY_MS - rng.int(0, DAY_MS - 1)),
        overridesProject: override,
        users: [...users].map(([accountId, permission]) => ({ accountId, permission })),
        groups: [...groups].map(([s, permission]) => ({ slug: s, permission })),
        branchRestrictions: restrictions,
        productionBranch,
      });
    }

    return {
      workspace: {
        uuid: `{${rng.uuid()}}`,
        slug: this.orgSlug,
        name: this.orgName,
        isPrivate: true,
        createdOn: iso(NOW_MS - rng.int(1500, 3000) * DAY_MS),
      },
      members,
      groups: this.bbGroups,
      projects,
      repos,
    };
  }

  // ------------------------------------------------------------ audit events

  private makeEvents(): AuditEvent[] {
    const rng = this.root.fork("events");
    const actors = this.orgAdmins.filter((d) => d.account.status === "active").map((d) => d.account.accountId);
    const actor = () => rng.pick(actors);
    const events: AuditEvent[] = [];
    const time = (minDays: number, maxDays: number) =>
      iso(NOW_MS - rng.int(minDays, maxDays) * DAY_MS - rng.int(0, DAY_MS - 1));
    const push = (e: Omit<AuditEvent, "id">) => events.push({ id: rng.uuid(), ...e });
    const user = (d: Draft) => ({ type: "user", id: d.account.accountId, name: d.account.displayName });
    const group = (idx: number) => ({ type: "group", id: this.groups[idx]!.groupId, name: this.groups[idx]!.name });
    const target = this.spec.events;

    for (const d of this.people.filter((x) => x.account.suspended).slice(0, Math.ceil(target * 0.05))) {
      push({
        time: time(1, 60),
        action: "user_suspended",
        actorAccountId: actor(),
        targets: [user(d)],
        product: "admin",
      });
    }
    for (const d of this.people.filter((x) => x.account.status === "inactive").slice(0, Math.ceil(target * 0.05))) {
      push({
        time: time(5, 200),
        action: "user_deactivated",
        actorAccountId: actor(),
        targets: [user(d)],
        product: "admin",
      });
    }
    const live = this.people.filter((d) => d.account.status !== "closed" && d.groups.length > 0);
    const kinds = [
      ["user_added_to_group", 30],
      ["user_removed_from_group", 12],
      ["group_created", 4],
      ["user_invited", 8],
      ["product_access_granted", 8],
      ["org_admin_role_granted", 1],
      ["api_key_created", 1],
      ["project_role_actor_added", 6],
      ["permission_scheme_updated", 3],
      ["space_permission_added", 6],
      ["repository_permission_updated", 5],
      ["branch_restriction_created", 3],
    ] as const;
    // Every action at least once, then a weighted mix.
    for (let i = 0; events.length < target; i++) {
      const action = i < kinds.length ? kinds[i]![0] : rng.weighted(kinds);
      const d = rng.pick(live);
      const t = time(0, 180);
      switch (action) {
        case "user_added_to_group":
        case "user_removed_from_group":
          push({
            time: t,
            action,
            actorAccountId: actor(),
            targets: [user(d), group(rng.pick(d.groups))],
            product: "admin",
          });
          break;
        case "group_created":
          push({
            time: t,
            action,
            actorAccountId: actor(),
            targets: [group(rng.pick(this.teamGroups))],
            product: "admin",
          });
          break;
        case "user_invited":
        case "product_access_granted":
          push({ time: t, action, actorAccountId: actor(), targets: [user(d)], product: "admin" });
          break;
        case "org_admin_role_granted":
          push({
            time: t,
            action,
            actorAccountId: actor(),
            targets: [user(rng.pick(this.orgAdmins))],
            product: "admin",
          });
          break;
        case "api_key_created":
          push({
            time: t,
            action,
            actorAccountId: actor(),
            targets: [{ type: "api_key", id: rng.uuid() }],
            product: "admin",
          });
          break;
        case "project_role_actor_added":
        case "permission_scheme_updated":
          push({ time: t, action, actorAccountId: actor(), targets: [user(d)], product: "jira" });
          break;
        case "space_permission_added":
          push({ time: t, action, actorAccountId: actor(), targets: [user(d)], product: "confluence" });
          break;
        case "repository_permission_updated":
        case "branch_restriction_created":
          push({ time: t, action, actorAccountId: actor(), targets: [user(d)], product: "bitbucket" });
          break;
      }
    }
    events.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return events;
  }

  // ------------------------------------------------------------ credentials

  private makeCredentials(): SimCredentials {
    const rng = this.root.fork("credentials");
    const apiToken = () => `ATATT3xFfGF0${rng.token(180)}=${rng.hex(8).toUpperCase()}`;
    const memberOwner = this.bbMembers.find(
      (d) => d.bitbucket === "member" && d.account.status === "active" && !d.account.suspended && d.kind === "person",
    );
    if (!memberOwner) throw new Error("no plain workspace member for the member OAuth consumer");
    return {
      adminApiKey: `ATCTT3xFfGN0${rng.token(180)}`,
      scopedAdminApiKey: `ATCTT3xFfGN0${rng.token(180)}`,
      scimToken: rng.token(96),
      productUser: {
        email: this.productUser.account.email,
        token: apiToken(),
        accountId: this.productUser.account.accountId,
      },
      limitedProductUser: {
        email: this.limitedUser.account.email,
        token: apiToken(),
        accountId: this.limitedUser.account.accountId,
      },
      bitbucketAdminConsumer: {
        key: rng.token(18),
        secret: rng.token(32),
        // The first owner in the member list (the simulator's auth falls back to the same account).
        ownerAccountId: this.bbMembers.find((d) => d.bitbucket === "owner")!.account.accountId,
      },
      bitbucketMemberConsumer: {
        key: rng.token(18),
        secret: rng.token(32),
        ownerAccountId: memberOwner.account.accountId,
      },
      bitbucketWebhookSecret: rng.hex(40),
    };
  }
}

// ------------------------------------------------------------ helpers

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** n distinct "Word Suffix" names; numbered once the combinations run out. */
function uniqueNames(rng: Prng, n: number, words: readonly string[], suffixes: readonly string[]): string[] {
  const used = new Set<string>();
  const out: string[] = [];
  const combos = words.length * suffixes.length;
  for (let i = 0; i < n; i++) {
    let name = `${rng.pick(words)} ${rng.pick(suffixes)}`;
    if (used.size >= combos * 0.7) {
      for (let k = 2; used.has(name); k++) name = `${rng.pick(words)} ${rng.pick(suffixes)} ${k}`;
    } else {
      while (used.has(name)) name = `${rng.pick(words)} ${rng.pick(suffixes)}`;
    }
    used.add(name);
    out.push(name);
  }
  return out;
}

/** A Jira/Bitbucket-style key (uppercase, starts with a letter) derived from a name, made unique. */
function projectKey(name: string, used: Set<string>): string {
  const words = asciiFold(name)
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((w) => /^[A-Z]/.test(w));
  let base = words.map((w) => w[0]).join("");
  if (base.length < 2) base = (words[0] ?? "PRJ").slice(0, 3);
  if (base.length < 2) base = `${base}PX`;
  base = base.slice(0, 6);
  let key = base;
  for (let n = 2; used.has(key); n++) key = `${base}${n}`;
  used.add(key);
  return key;
}

/** A Confluence space key (uppercase letters and digits) derived from a name, made unique. */
function spaceKey(name: string, used: Set<string>): string {
  const words = asciiFold(name)
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((w) => /^[A-Z]/.test(w));
  let base = (words[0] ?? "SPACE").slice(0, 4) + (words[1]?.[0] ?? "");
  if (base.length < 2) base = `${base}SP`;
  let key = base;
  for (let n = 2; used.has(key); n++) key = `${base}${n}`;
  used.add(key);
  return key;
}
