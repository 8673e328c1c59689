/**
 * Hand-built `Model` objects for unit tests: small constructors with sensible defaults (an active, billable Atlassian
 * account with Jira and Confluence, used recently) and `makeModel`, which fills the rest and sorts access the way the
 * builder does.
 */
import {
  type AccessEntry,
  type AccessProduct,
  type Account,
  type Group,
  type Identity,
  MODEL_VERSION,
  type Model,
  type Resource,
  type ResourceType,
  type ViaPath,
} from "./types.js";

export const FIXTURE_NOW = "2025-06-01T00:00:00.000Z";
/** 10 days before `FIXTURE_NOW`. */
export const RECENT = "2025-05-22T00:00:00.000Z";
/** 400 days before `FIXTURE_NOW`. */
export const LONG_AGO = "2024-04-27T00:00:00.000Z";

const PRODUCT_OF: Readonly<Record<ResourceType, AccessProduct>> = {
  org: "admin",
  site: "admin",
  jira_project: "jira",
  confluence_space: "confluence",
  bitbucket_workspace: "bitbucket",
  bitbucket_project: "bitbucket",
  bitbucket_repo: "bitbucket",
};

export function account(accountId: string, over: Partial<Account> = {}): Account {
  return {
    accountId,
    displayName: `User ${accountId}`,
    email: `${accountId}@example.com`,
    accountType: "atlassian",
    status: "active",
    suspended: false,
    billable: true,
    userType: "human",
    externalCollaborator: false,
    products: [
      { key: "jira-software", lastActive: RECENT },
      { key: "confluence", lastActive: RECENT },
    ],
    lastActive: RECENT,
    seenIn: ["admin", "jira", "confluence"],
    bitbucketUuid: null,
    identityId: null,
    ...over,
  };
}

export function identity(id: string, over: Partial<Identity> = {}): Identity {
  return {
    id,
    source: "scim",
    login: `${id}@corp.example`,
    email: `${id}@corp.example`,
    displayName: null,
    status: "active",
    accountId: null,
    match: "unmatched",
    candidates: [],
    ...over,
  };
}

export function group(key: string, members: string[], over: Partial<Group> = {}): Group {
  const bitbucket = key.startsWith("bitbucket:");
  return {
    key,
    groupId: bitbucket ? null : key,
    bitbucketSlug: bitbucket ? key.slice("bitbucket:".length) : null,
    name: bitbucket ? key.slice("bitbucket:".length) : `group-${key}`,
    scope: bitbucket ? "bitbucket" : "org",
    members,
    ...over,
  };
}

export function resource(type: ResourceType, id: string, over: Partial<Resource> = {}): Resource {
  return { type, id, name: `${type} ${id}`, product: PRODUCT_OF[type], parent: null, attributes: {}, ...over };
}

export const via = (kind: string, description: string): ViaPath => ({ kind, description });

/** An access entry; `product` defaults to the resource type's product. */
export function entry(
  principal: string,
  resourceType: ResourceType,
  resourceId: string,
  permission: string,
  paths: ViaPath[] = [via("test.user", "granted to user")],
  product: AccessProduct = PRODUCT_OF[resourceType],
): AccessEntry {
  return { principal, product, resourceType, resourceId, permission, via: paths };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byKey = (a: AccessEntry, b: AccessEntry): number =>
  cmp(a.product, b.product) ||
  cmp(a.resourceType, b.resourceType) ||
  cmp(a.resourceId, b.resourceId) ||
  cmp(a.permission, b.permission) ||
  cmp(a.principal, b.principal);

/** A complete model from the parts given; access and dormant entries are sorted as the builder sorts them. */
export function makeModel(parts: Partial<Model> = {}): Model {
  return {
    version: MODEL_VERSION,
    builtAt: FIXTURE_NOW,
    snapshotRunId: "run-test",
    org: { id: "org-1", name: "Acme" },
    site: "acme.atlassian.net",
    accounts: [],
    identities: [],
    groups: [],
    resources: [],
    conditional: [],
    correlation: {
      unmatchedIdentities: [],
      ambiguousIdentities: [],
      accountsWithoutIdentity: [],
      identitySourceAvailable: false,
    },
    statuses: [],
    notes: [],
    ...parts,
    access: [...(parts.access ?? [])].sort(byKey),
    dormant: [...(parts.dormant ?? [])].sort(byKey),
  };
}

/**
 * A small tenant where every column rule, every export feature and every insight has something to show: a linked
 * admin (`a1`), an unlinked user with a formula-like name (`b1`), an external collaborator (`c1`), an app account
 * (`app1`), a customer (`cust1`), an inactive account holding a dormant grant (`d1`), and a Jira-only user inactive for
 * 400 days whose IdP identity is deactivated (`e1`); anonymous, unlicensed and any-user grants; a public repository, a
 * private one that allows forks, an unprotected default branch and access known only through the fallback mode.
 */
export function sampleModel(): Model {
  const jiraOnly = [{ key: "jira-software", lastActive: LONG_AGO }];
  const accounts = [
    account("a1", {
      displayName: "Alice Admin",
      identityId: "i-alice",
      seenIn: ["admin", "jira", "confluence", "bitbucket"],
    }),
    account("b1", { displayName: '=HYPERLINK("http://evil")', email: "bob@example.com" }),
    account("c1", {
      displayName: "Carol, Contractor",
      externalCollaborator: true,
      billable: true,
      products: [{ key: "confluence", lastActive: RECENT }],
      seenIn: ["admin", "confluence"],
    }),
    account("app1", {
      displayName: "Build Bot",
      email: null,
      accountType: "app",
      userType: "service_account",
      billable: false,
      products: [{ key: "jira-software", lastActive: null }],
      lastActive: null,
      seenIn: ["jira"],
    }),
    account("cust1", {
      displayName: "Customer One",
      accountType: "customer",
      billable: false,
      products: [],
      lastActive: null,
      seenIn: ["confluence"],
    }),
    account("d1", { displayName: "Dormant Dan", status: "inactive" }),
    account("e1", {
      displayName: "Erin\nNewline",
      products: jiraOnly,
      lastActive: LONG_AGO,
      identityId: "i-erin",
      seenIn: ["admin", "jira"],
    }),
  ];
  const scheme = 'permission scheme "Default"';
  const roleDev = via("jira.scheme.role.user", `${scheme} → project role "Developers" → user`);
  const roleAdmin = via("jira.scheme.role.group", `${scheme} → project role "Administrators" → group "group-g-devs"`);
  const anyUser = via("jira.scheme.any-user", `${scheme} → any logged-in user (group holder without a group)`);
  const groupVia = via("jira.scheme.group", `${scheme} → group "group-g-devs"`);
  return makeModel({
    accounts,
    identities: [
      identity("i-alice", {
        accountId: "a1",
        match: "account-id",
        login: "alice@corp.example",
        email: "alice@corp.example",
      }),
      identity("i-erin", { accountId: "e1", match: "email", status: "deactivated", login: "erin" }),
      identity("i-zed", { status: "active" }),
    ],
    groups: [group("g-devs", ["a1", "b1"]), group("bitbucket:core", ["a1"], { name: "Core team" })],
    resources: [
      resource("org", "org-1", { name: "Acme" }),
      resource("site", "acme.atlassian.net", { name: "acme", parent: "org:org-1", attributes: { jira: true } }),
      resource("jira_project", "PROJ", {
        name: "Project, with comma",
        parent: "site:acme.atlassian.net",
        attributes: { project_id: "10000", archived: false, lead_account_id: null },
      }),
      resource("confluence_space", "DOCS", {
        name: 'Docs "quoted"',
        parent: "site:acme.atlassian.net",
        attributes: { anonymous_access: true, unlicensed_access: true },
      }),
      resource("bitbucket_workspace", "ws", {
        name: "Workspace",
        parent: "org:org-1",
        attributes: { permission_mode: "fallback" },
      }),
      resource("bitbucket_project", "ws/CORE", {
        name: "Core",
        parent: "bitbucket_workspace:ws",
        attributes: { is_private: true },
      }),
      resource("bitbucket_repo", "ws/api", {
        name: "api",
        parent: "bitbucket_project:ws/CORE",
        attributes: {
          is_private: true,
          fork_policy: "allow_forks",
          mainbranch: "main",
          default_branch_protected: false,
        },
      }),
      resource("bitbucket_repo", "ws/site.io", {
        name: "site.io",
        parent: "bitbucket_workspace:ws",
        attributes: {
          is_private: false,
          fork_policy: "allow_forks",
          mainbranch: "main",
          default_branch_protected: true,
        },
      }),
    ],
    access: [
      entry("a1", "org", "org-1", "org-admin", [via("admin.org-admin", "organization admin role")]),
      ...["a1", "b1", "e1"].map((p) =>
        entry(p, "site", "acme.atlassian.net", "jira-software", [via("admin.product-access", "Admin product access")]),
      ),
      entry(
        "a1",
        "site",
        "acme.atlassian.net",
        "ADMINISTER",
        [via("jira.global.admin", 'Jira global permission "Administer Jira" → group "group-g-devs"')],
        "jira",
      ),
      entry("a1", "jira_project", "PROJ", "BROWSE_PROJECTS", [roleDev]),
      entry("b1", "jira_project", "PROJ", "BROWSE_PROJECTS", [groupVia]),
      entry("product-users:jira", "jira_project", "PROJ", "BROWSE_PROJECTS", [anyUser]),
      entry("anonymous", "jira_project", "PROJ", "BROWSE_PROJECTS", [
        via("jira.scheme.anyone", `${scheme} → anyone (public access)`),
      ]),
      entry("a1", "jira_project", "PROJ", "ADMINISTER_PROJECTS", [roleAdmin]),
      entry("b1", "jira_project", "PROJ", "ADMINISTER_PROJECTS", [roleAdmin]),
      entry("product-users:jira", "jira_project", "PROJ", "ADMINISTER_PROJECTS", [anyUser]),
      entry("app1", "jira_project", "PROJ", "EDIT_ISSUES", [via("jira.scheme.user", `${scheme} → user`)]),
      entry("c1", "confluence_space", "DOCS", "read:space", [via("confluence.space.user", "space permission → user")]),
      entry("c1", "confluence_space", "DOCS", "create:page", [via("confluence.space.user", "space permission → user")]),
      entry("anonymous", "confluence_space", "DOCS", "read:space", [
        via("confluence.space.anonymous", "space permission → anonymous access"),
      ]),
      entry("unlicensed:confluence", "confluence_space", "DOCS", "read:space", [
        via("confluence.space.unlicensed", "space permission → unlicensed access (logged-in users without Confluence)"),
      ]),
      entry("a1", "bitbucket_workspace", "ws", "owner", [
        via("bitbucket.workspace.member", "workspace member (owner)"),
      ]),
      entry("a1", "bitbucket_repo", "ws/api", "admin", [via("bitbucket.workspace.owner", "workspace owner")]),
      entry("b1", "bitbucket_repo", "ws/api", "write", [
        via("bitbucket.repository.effective", "effective (source not visible without admin rights)"),
      ]),
      entry("anonymous", "bitbucket_repo", "ws/site.io", "read", [
        via("bitbucket.repository.public", "public repository"),
      ]),
    ],
    dormant: [entry("d1", "jira_project", "PROJ", "BROWSE_PROJECTS", [groupVia])],
    correlation: {
      unmatchedIdentities: ["i-zed"],
      ambiguousIdentities: [],
      accountsWithoutIdentity: ["b1"],
      identitySourceAvailable: true,
    },
  });
}

/** A tenant where no insight fires: one linked, recently active admin, private protected repositories. */
export function cleanModel(): Model {
  return makeModel({
    accounts: [account("a1", { displayName: "Alice", identityId: "i-alice" })],
    identities: [identity("i-alice", { accountId: "a1", match: "account-id" })],
    groups: [group("g-admins", ["a1"])],
    resources: [
      resource("org", "org-1", { name: "Acme" }),
      resource("jira_project", "PROJ", { name: "Project" }),
      resource("confluence_space", "DOCS", { name: "Docs" }),
      resource("bitbucket_workspace", "ws", { name: "Workspace", attributes: { permission_mode: "admin" } }),
      resource("bitbucket_repo", "ws/api", {
        name: "api",
        parent: "bitbucket_workspace:ws",
        attributes: { is_private: true, fork_policy: "no_public_forks", default_branch_protected: true },
      }),
    ],
    access: [
      entry("a1", "org", "org-1", "org-admin"),
      entry("a1", "jira_project", "PROJ", "ADMINISTER_PROJECTS", [
        via("jira.scheme.group", 'permission scheme "S" → group "g-admins"'),
      ]),
      entry("a1", "confluence_space", "DOCS", "administer:space"),
      entry("a1", "bitbucket_repo", "ws/api", "admin", [via("bitbucket.workspace.owner", "workspace owner")]),
    ],
    correlation: {
      unmatchedIdentities: [],
      ambiguousIdentities: [],
      accountsWithoutIdentity: [],
      identitySourceAvailable: true,
    },
  });
}
