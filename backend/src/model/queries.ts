/**
 * Queries over a built model: one account's access (with the pseudo-principal entries that include it), who can
 * access a resource, why an account holds (or does not hold) a permission, what changed between two models, and a
 * text search. All pure; `indexModel` builds the Maps once so each query touches only what it returns.
 *
 * Pseudo-principals apply to an account as follows: `anonymous` to everyone; `product-users:jira` to an account
 * that can sign in and holds Jira; `unlicensed:confluence` to an account that can sign in and does not hold
 * Confluence.
 */
import { CONFLUENCE_KEY, canSignIn, isJiraKey } from "./correlate.js";
import {
  type AccessEntry,
  type Account,
  ANONYMOUS,
  CONFLUENCE_UNLICENSED,
  type Group,
  type Identity,
  JIRA_PRODUCT_USERS,
  type Model,
  PSEUDO_PRINCIPALS,
  type Resource,
  type ResourceType,
} from "./types.js";

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const PSEUDO: ReadonlySet<string> = new Set(PSEUDO_PRINCIPALS);

export interface ModelIndex {
  model: Model;
  accounts: Map<string, Account>;
  identities: Map<string, Identity>;
  /** accountId → its linked identity. */
  identityOf: Map<string, Identity>;
  /** lowercased email or login → accountIds (from accounts and linked identities). */
  byEmail: Map<string, string[]>;
  groups: Map<string, Group>;
  /** accountId → keys of the groups it belongs to. */
  groupsOf: Map<string, string[]>;
  /** `type:id` → resource. */
  resources: Map<string, Resource>;
  /** principal → effective entries (model order). */
  byPrincipal: Map<string, AccessEntry[]>;
  dormantByPrincipal: Map<string, AccessEntry[]>;
  /** `type:id` → permission → effective entries. */
  byResource: Map<string, Map<string, AccessEntry[]>>;
  dormantByResource: Map<string, Map<string, AccessEntry[]>>;
  /** `projectKey` → conditional Jira grants. */
  conditionalByProject: Map<string, Model["conditional"]>;
  /** Entries of each set of pseudo-principals, in model order (filled on first use). */
  pseudoCache: Map<string, AccessEntry[]>;
  /** Lowercased search text, parallel to `model.accounts`, `model.groups`, `model.resources`. */
  text: { accounts: string[]; groups: string[]; resources: string[] };
}

const resKey = (type: string, id: string) => `${type}:${id}`;

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function byResourceIndex(entries: readonly AccessEntry[]): Map<string, Map<string, AccessEntry[]>> {
  const out = new Map<string, Map<string, AccessEntry[]>>();
  let lastKey = "";
  let last: Map<string, AccessEntry[]> | undefined;
  for (const e of entries) {
    const k = resKey(e.resourceType, e.resourceId);
    if (k !== lastKey || !last) {
      last = out.get(k);
      if (!last) {
        last = new Map();
        out.set(k, last);
      }
      lastKey = k;
    }
    push(last, e.permission, e);
  }
  return out;
}

/** Builds the lookup Maps of a model (once per model). */
export function indexModel(model: Model): ModelIndex {
  const accounts = new Map(model.accounts.map((a) => [a.accountId, a]));
  const identities = new Map(model.identities.map((i) => [i.id, i]));
  const identityOf = new Map<string, Identity>();
  for (const i of model.identities) if (i.accountId) identityOf.set(i.accountId, i);
  const byEmail = new Map<string, string[]>();
  const addEmail = (e: string | null, accountId: string) => {
    if (!e) return;
    const k = e.trim().toLowerCase();
    const list = byEmail.get(k);
    if (!list) byEmail.set(k, [accountId]);
    else if (!list.includes(accountId)) list.push(accountId);
  };
  for (const a of model.accounts) addEmail(a.email, a.accountId);
  for (const i of model.identities) {
    if (!i.accountId) continue;
    addEmail(i.email, i.accountId);
    addEmail(i.login, i.accountId);
  }
  const groups = new Map(model.groups.map((g) => [g.key, g]));
  const groupsOf = new Map<string, string[]>();
  for (const g of model.groups) for (const m of g.members) push(groupsOf, m, g.key);
  const resources = new Map(model.resources.map((r) => [resKey(r.type, r.id), r]));
  const byPrincipal = new Map<string, AccessEntry[]>();
  for (const e of model.access) push(byPrincipal, e.principal, e);
  const dormantByPrincipal = new Map<string, AccessEntry[]>();
  for (const e of model.dormant) push(dormantByPrincipal, e.principal, e);
  const conditionalByProject = new Map<string, Model["conditional"]>();
  for (const c of model.conditional) push(conditionalByProject, c.projectKey, c);
  return {
    model,
    accounts,
    identities,
    identityOf,
    byEmail,
    groups,
    groupsOf,
    resources,
    byPrincipal,
    dormantByPrincipal,
    byResource: byResourceIndex(model.access),
    dormantByResource: byResourceIndex(model.dormant),
    conditionalByProject,
    pseudoCache: new Map(),
    text: {
      accounts: model.accounts.map((a) => `${a.displayName}\n${a.email ?? ""}\n${a.accountId}`.toLowerCase()),
      groups: model.groups.map((g) => `${g.name}\n${g.key}`.toLowerCase()),
      resources: model.resources.map((r) => `${r.name}\n${r.id}`.toLowerCase()),
    },
  };
}

// ---------------------------------------------------------------- one account

/** Whether the account can sign in and holds Jira. */
export const holdsJira = (a: Account): boolean => canSignIn(a) && a.products.some((p) => isJiraKey(p.key));
/** Whether the account can sign in and holds Confluence. */
export const holdsConfluence = (a: Account): boolean =>
  canSignIn(a) && a.products.some((p) => p.key === CONFLUENCE_KEY);

/** The pseudo-principals that include an account (anonymous always). */
export function pseudoPrincipalsOf(a: Account | null): string[] {
  const out = [ANONYMOUS];
  if (a && holdsJira(a)) out.push(JIRA_PRODUCT_USERS);
  if (a && canSignIn(a) && !holdsConfluence(a)) out.push(CONFLUENCE_UNLICENSED);
  return out;
}

/** An account id, an identity id, or an email/login (case-insensitive) → the account id and identity. */
export function resolvePerson(
  idx: ModelIndex,
  query: string,
): { accountId: string | null; identity: Identity | null; ambiguous: string[] } | null {
  if (idx.accounts.has(query)) return { accountId: query, identity: idx.identityOf.get(query) ?? null, ambiguous: [] };
  const identity = idx.identities.get(query);
  if (identity) return { accountId: identity.accountId, identity, ambiguous: identity.candidates };
  const ids = idx.byEmail.get(query.trim().toLowerCase());
  if (ids && ids.length === 1)
    return { accountId: ids[0]!, identity: idx.identityOf.get(ids[0]!) ?? null, ambiguous: [] };
  if (ids && ids.length > 1) return { accountId: null, identity: null, ambiguous: [...ids].sort(cmp) };
  const lower = query.trim().toLowerCase();
  for (const i of idx.model.identities) {
    if (i.login.toLowerCase() === lower || i.email?.toLowerCase() === lower)
      return { accountId: i.accountId, identity: i, ambiguous: i.candidates };
  }
  return null;
}

export interface AccountAccess {
  query: string;
  accountId: string | null;
  account: Account | null;
  identity: Identity | null;
  /** When the query matches several accounts: their ids (and nothing else is answered). */
  ambiguous: string[];
  /** The pseudo-principals that include this account. */
  pseudoPrincipals: string[];
  /** Entries held by the account itself, each with every path. */
  direct: AccessEntry[];
  /** Entries held by a pseudo-principal that includes the account. */
  throughPseudo: AccessEntry[];
  /** Grants the account would hold if it were active and held the product. */
  dormant: AccessEntry[];
}

/** The entries of a set of pseudo-principals in model order; cached per set (there are four). */
function pseudoEntries(idx: ModelIndex, principals: readonly string[]): AccessEntry[] {
  const key = principals.join("\u0000");
  let list = idx.pseudoCache.get(key);
  if (!list) {
    list = principals.flatMap((p) => idx.byPrincipal.get(p) ?? []).sort(compareEntries);
    idx.pseudoCache.set(key, list);
  }
  return list;
}

/** Everything one person can access, across products. Null when the query names nobody the model knows. */
export function accessOf(idx: ModelIndex, accountIdOrIdentity: string): AccountAccess | null {
  const who = resolvePerson(idx, accountIdOrIdentity);
  if (!who) return null;
  const account = who.accountId ? (idx.accounts.get(who.accountId) ?? null) : null;
  const base = {
    query: accountIdOrIdentity,
    accountId: who.accountId,
    account,
    identity: who.identity,
    ambiguous: who.accountId ? [] : who.ambiguous,
  };
  if (!who.accountId && who.ambiguous.length > 1)
    return { ...base, pseudoPrincipals: [], direct: [], throughPseudo: [], dormant: [] };
  const pseudoPrincipals = pseudoPrincipalsOf(account);
  return {
    ...base,
    pseudoPrincipals,
    direct: who.accountId ? (idx.byPrincipal.get(who.accountId) ?? []) : [],
    throughPseudo: pseudoEntries(idx, pseudoPrincipals),
    dormant: who.accountId ? (idx.dormantByPrincipal.get(who.accountId) ?? []) : [],
  };
}

// ---------------------------------------------------------------- one resource

export interface ResourceAccess {
  resource: Resource | null;
  /** Accounts, each entry with every path; sorted by permission then principal. */
  accounts: AccessEntry[];
  /** Pseudo-principal entries, each listed once (they stand for many accounts). */
  pseudo: AccessEntry[];
  /** Jira: grants that depend on the issue (reporter, assignee, custom fields, portal-only). */
  conditional: Model["conditional"];
}

/** Who holds a permission (or any permission) on a resource, and how. */
export function whoCanAccess(
  idx: ModelIndex,
  resourceType: ResourceType,
  resourceId: string,
  permission?: string,
): ResourceAccess {
  const key = resKey(resourceType, resourceId);
  const perms = idx.byResource.get(key);
  const accounts: AccessEntry[] = [];
  const pseudo: AccessEntry[] = [];
  const lists = perms
    ? permission === undefined
      ? [...perms.keys()].sort(cmp).map((p) => perms.get(p)!)
      : [perms.get(permission) ?? []]
    : [];
  for (const list of lists) for (const e of list) (PSEUDO.has(e.principal) ? pseudo : accounts).push(e);
  const conditional =
    resourceType === "jira_project"
      ? (idx.conditionalByProject.get(resourceId) ?? []).filter(
          (c) => permission === undefined || c.permission === permission,
        )
      : [];
  return { resource: idx.resources.get(key) ?? null, accounts, pseudo, conditional };
}

// ---------------------------------------------------------------- why

export interface WhyResult {
  accountId: string;
  account: Account | null;
  resource: Resource | null;
  permission: string;
  /** Whether the account holds the permission, directly or through a pseudo-principal. */
  granted: boolean;
  /** The account's own entry, with every path. */
  direct: AccessEntry | null;
  /**
   * Bitbucket levels are hierarchical and only the highest is an entry: the account's entry at a higher level that
   * includes the one asked about (write includes read), when there is no entry at that level.
   */
  impliedBy: AccessEntry | null;
  /** Pseudo-principal entries on this resource and permission that include the account. */
  throughPseudo: AccessEntry[];
  /** The account's dormant entry: paths that would grant it if the account could use the product. */
  dormant: AccessEntry | null;
  /** Jira grants on this project and permission that depend on the issue. */
  conditional: Model["conditional"];
  /** The derivation in sentences. */
  explanation: string[];
}

/** Bitbucket levels from lowest to highest, where each includes those before it. */
const BITBUCKET_LEVELS: Partial<Record<ResourceType, readonly string[]>> = {
  bitbucket_project: ["read", "write", "create-repo", "admin"],
  bitbucket_repo: ["read", "write", "admin"],
};

const PRODUCT_OF: Readonly<Record<ResourceType, string>> = {
  org: "the organization",
  site: "the site",
  jira_project: "Jira",
  confluence_space: "Confluence",
  bitbucket_workspace: "Bitbucket",
  bitbucket_project: "Bitbucket",
  bitbucket_repo: "Bitbucket",
};

/** Why an account does (or does not) hold one permission on one resource: every path, and what stands in the way. */
export function why(
  idx: ModelIndex,
  accountId: string,
  resourceType: ResourceType,
  resourceId: string,
  permission: string,
): WhyResult {
  const key = resKey(resourceType, resourceId);
  const account = idx.accounts.get(accountId) ?? null;
  const entries = idx.byResource.get(key)?.get(permission) ?? [];
  const direct = entries.find((e) => e.principal === accountId) ?? null;
  const applicable = new Set(pseudoPrincipalsOf(account));
  const throughPseudo = entries.filter((e) => applicable.has(e.principal));
  const dormant =
    idx.dormantByResource
      .get(key)
      ?.get(permission)
      ?.find((e) => e.principal === accountId) ?? null;
  const conditional =
    resourceType === "jira_project"
      ? (idx.conditionalByProject.get(resourceId) ?? []).filter((c) => c.permission === permission)
      : [];
  let impliedBy: AccessEntry | null = null;
  const levels = BITBUCKET_LEVELS[resourceType];
  if (!direct && levels?.includes(permission)) {
    for (const higher of levels.slice(levels.indexOf(permission) + 1)) {
      const e = idx.byResource
        .get(key)
        ?.get(higher)
        ?.find((x) => x.principal === accountId);
      if (e) impliedBy = e;
    }
  }
  const label = `${permission} on ${resourceType} ${resourceId}`;
  const explanation: string[] = [];
  if (direct) for (const v of direct.via) explanation.push(`holds ${label} through ${v.description}`);
  if (impliedBy)
    for (const v of impliedBy.via)
      explanation.push(`holds ${label} as part of ${impliedBy.permission}, through ${v.description}`);
  for (const e of throughPseudo)
    for (const v of e.via) explanation.push(`holds ${label} as ${e.principal} through ${v.description}`);
  for (const e of entries) {
    if (!PSEUDO.has(e.principal) || applicable.has(e.principal)) continue;
    const reason =
      e.principal === JIRA_PRODUCT_USERS
        ? "the account cannot use Jira"
        : e.principal === CONFLUENCE_UNLICENSED
          ? "the account holds Confluence or cannot sign in"
          : "it does not apply";
    explanation.push(`${e.principal} holds ${label}, but ${reason}`);
  }
  if (dormant) {
    const reasons: string[] = [];
    if (!account) reasons.push("no source reported the account");
    else {
      if (account.status !== "active") reasons.push(`the account is ${account.status}`);
      if (account.suspended) reasons.push("its access is suspended");
      if (reasons.length === 0) reasons.push(`it cannot use ${PRODUCT_OF[resourceType]}`);
    }
    for (const v of dormant.via)
      explanation.push(`would hold ${label} through ${v.description}, but ${reasons.join(" and ")} (dormant)`);
  }
  for (const c of conditional)
    explanation.push(
      `may hold ${label} on some issues: ${c.holderType}${c.parameter ? ` (${c.parameter})` : ""} depends on the issue`,
    );
  if (explanation.length === 0) explanation.push(`no path grants ${label}`);
  return {
    accountId,
    account,
    resource: idx.resources.get(key) ?? null,
    permission,
    granted: direct !== null || impliedBy !== null || throughPseudo.length > 0,
    direct,
    impliedBy,
    throughPseudo,
    dormant,
    conditional,
    explanation,
  };
}

// ---------------------------------------------------------------- diff

export interface ModelDiff {
  grantsAdded: AccessEntry[];
  grantsRemoved: AccessEntry[];
  accountsAdded: string[];
  accountsRemoved: string[];
  /** Could sign in before, cannot now (deactivated, closed or suspended). */
  accountsDeactivated: string[];
  accountsReactivated: string[];
  groupsAdded: string[];
  groupsRemoved: string[];
  membershipsAdded: Array<{ group: string; accountId: string }>;
  membershipsRemoved: Array<{ group: string; accountId: string }>;
}

/** Model order of entries: product, resource type, resource id, permission, principal. */
export function compareEntries(a: AccessEntry, b: AccessEntry): number {
  return (
    cmp(a.product, b.product) ||
    cmp(a.resourceType, b.resourceType) ||
    cmp(a.resourceId, b.resourceId) ||
    cmp(a.permission, b.permission) ||
    cmp(a.principal, b.principal)
  );
}

/** What changed from model `a` to model `b` (both as the builder sorts them). */
export function diffModels(a: Model, b: Model): ModelDiff {
  const grantsAdded: AccessEntry[] = [];
  const grantsRemoved: AccessEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.access.length || j < b.access.length) {
    const x = a.access[i];
    const y = b.access[j];
    const c = !x ? 1 : !y ? -1 : compareEntries(x, y);
    if (c === 0) {
      i++;
      j++;
    } else if (c < 0) {
      grantsRemoved.push(x!);
      i++;
    } else {
      grantsAdded.push(y!);
      j++;
    }
  }
  const accountsA = new Map(a.accounts.map((x) => [x.accountId, x]));
  const accountsB = new Map(b.accounts.map((x) => [x.accountId, x]));
  const accountsAdded: string[] = [];
  const accountsRemoved: string[] = [];
  const accountsDeactivated: string[] = [];
  const accountsReactivated: string[] = [];
  for (const [id, x] of accountsA) {
    const y = accountsB.get(id);
    if (!y) accountsRemoved.push(id);
    else if (canSignIn(x) && !canSignIn(y)) accountsDeactivated.push(id);
    else if (!canSignIn(x) && canSignIn(y)) accountsReactivated.push(id);
  }
  for (const id of accountsB.keys()) if (!accountsA.has(id)) accountsAdded.push(id);
  const groupsA = new Map(a.groups.map((g) => [g.key, g]));
  const groupsB = new Map(b.groups.map((g) => [g.key, g]));
  const groupsAdded: string[] = [];
  const groupsRemoved: string[] = [];
  const membershipsAdded: ModelDiff["membershipsAdded"] = [];
  const membershipsRemoved: ModelDiff["membershipsRemoved"] = [];
  for (const [key, g] of groupsA) {
    const h = groupsB.get(key);
    if (!h) {
      groupsRemoved.push(key);
      for (const m of g.members) membershipsRemoved.push({ group: key, accountId: m });
      continue;
    }
    const before = new Set(g.members);
    const after = new Set(h.members);
    for (const m of h.members) if (!before.has(m)) membershipsAdded.push({ group: key, accountId: m });
    for (const m of g.members) if (!after.has(m)) membershipsRemoved.push({ group: key, accountId: m });
  }
  for (const [key, h] of groupsB) {
    if (groupsA.has(key)) continue;
    groupsAdded.push(key);
    for (const m of h.members) membershipsAdded.push({ group: key, accountId: m });
  }
  const byGroupThenAccount = (p: { group: string; accountId: string }, q: { group: string; accountId: string }) =>
    cmp(p.group, q.group) || cmp(p.accountId, q.accountId);
  return {
    grantsAdded,
    grantsRemoved,
    accountsAdded: accountsAdded.sort(cmp),
    accountsRemoved: accountsRemoved.sort(cmp),
    accountsDeactivated: accountsDeactivated.sort(cmp),
    accountsReactivated: accountsReactivated.sort(cmp),
    groupsAdded: groupsAdded.sort(cmp),
    groupsRemoved: groupsRemoved.sort(cmp),
    membershipsAdded: membershipsAdded.sort(byGroupThenAccount),
    membershipsRemoved: membershipsRemoved.sort(byGroupThenAccount),
  };
}

// ---------------------------------------------------------------- search

export interface SearchResult {
  accounts: Account[];
  groups: Group[];
  resources: Resource[];
}

/**
 * Case-insensitive substring search over accounts (name, email, id), groups (name, key) and resources (name, id);
 * exact matches first, at most `limit` of each kind.
 */
export function search(idx: ModelIndex, text: string, limit = 50): SearchResult {
  const needle = text.trim().toLowerCase();
  if (needle === "") return { accounts: [], groups: [], resources: [] };
  const pick = <T>(items: readonly T[], haystacks: readonly string[]): T[] => {
    const exact: T[] = [];
    const partial: T[] = [];
    for (let k = 0; k < haystacks.length; k++) {
      const h = haystacks[k]!;
      const at = h.indexOf(needle);
      if (at < 0) continue;
      const isExact = h.split("\n").includes(needle);
      if (isExact) exact.push(items[k]!);
      else if (partial.length < limit) partial.push(items[k]!);
    }
    return [...exact, ...partial].slice(0, limit);
  };
  return {
    accounts: pick(idx.model.accounts, idx.text.accounts),
    groups: pick(idx.model.groups, idx.text.groups),
    resources: pick(idx.model.resources, idx.text.resources),
  };
}
