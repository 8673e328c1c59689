/**
 * Identity correlation: accounts joined across Admin, Jira, Confluence and Bitbucket by `accountId`; groups unified
 * by `groupId` across Admin, Jira and Confluence (Bitbucket workspace groups kept apart as `bitbucket:<slug>`); and
 * the IdP's people — from the SCIM directory or an IdP export file — linked to accounts, by the account id the SCIM
 * extension states where there is one, else by email compared case-insensitively. Nothing is dropped: identities
 * that match no account or several, and accounts that several identities claim, are kept and reported.
 *
 * Product access of an account: the Admin API's `productAccess` when Admin lists the account. For an account Admin
 * does not list (Admin v2 lists only Atlassian accounts, not app or customer ones): Admin's group product access
 * (`admin.groupProductAccess`, membership of a group holding the product's user role) when it was read. Otherwise
 * (no Admin section either) the products' own evidence stands in: Jira from the application roles (membership of
 * one of their groups), Confluence from being seen in Confluence with `accountStatus: active` (Confluence does not
 * say who holds a licence; customer accounts never do). Bitbucket always from workspace membership.
 */

import { readFile } from "node:fs/promises";
import type { ScimSection, Snapshot } from "@accessmap/shared/snapshot/schema";
import { CsvSyntaxError, parseCsvRecords } from "../util/csv-records.js";
import type { Account, CorrelationReport, Group, Identity, ProductUse } from "./types.js";

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------- product keys

/** Jira product keys as Admin states them (`jira-software`, `jira-servicedesk`, `jira-core`, … and v2's `jira`). */
export const isJiraKey = (key: string): boolean => key === "jira" || key.startsWith("jira-");
export const CONFLUENCE_KEY = "confluence";
export const BITBUCKET_KEY = "bitbucket";

// ---------------------------------------------------------------- IdP export files

/** One person from an IdP export file. */
export interface ParsedIdentity {
  /** The IdP's id of the person. */
  id: string;
  /** Login (user name); the email when the file has no login column. */
  login: string;
  email: string | null;
  displayName: string | null;
  status: "active" | "deactivated";
  /** 1-based line of the record in the file. */
  line: number;
}

export interface IdpExportIssue {
  line: number;
  message: string;
}

/** An IdP export file that cannot be read; every issue names its line. */
export class IdpExportError extends Error {
  constructor(readonly issues: IdpExportIssue[]) {
    const shown = issues.slice(0, 5).map((i) => `line ${i.line}: ${i.message}`);
    const more = issues.length > 5 ? `; and ${issues.length - 5} more` : "";
    super(`IdP export: ${shown.join("; ")}${more}`);
    this.name = "IdpExportError";
  }
}

/** Column names each field is recognized by (compared lowercased, without spaces, dashes and underscores). */
const COLUMNS = {
  id: ["id", "idpid", "externalid", "userid", "objectid", "uid", "oktaid", "immutableid"],
  login: ["login", "username", "userprincipalname", "upn", "loginname"],
  email: ["email", "mail", "emailaddress", "primaryemail", "workemail"],
  displayName: ["displayname", "name", "fullname"],
  status: ["status", "state", "active", "accountenabled", "enabled"],
} as const;
type Field = keyof typeof COLUMNS;

const normalizeColumn = (name: string): string => name.toLowerCase().replace(/[\s_\-.]/g, "");

const ACTIVE = new Set([
  "active",
  "provisioned",
  "recovery",
  "lockedout",
  "passwordexpired",
  "enabled",
  "true",
  "yes",
  "1",
]);
const DEACTIVATED = new Set([
  "deactivated",
  "deprovisioned",
  "suspended",
  "inactive",
  "disabled",
  "staged",
  "false",
  "no",
  "0",
]);

/** An IdP status (Okta `ACTIVE`/`DEPROVISIONED`/…, Entra `accountEnabled`, plain active/deactivated), or null. */
export function parseIdpStatus(value: unknown): "active" | "deactivated" | null {
  if (typeof value === "boolean") return value ? "active" : "deactivated";
  if (typeof value !== "string" && typeof value !== "number") return null;
  const v = String(value)
    .trim()
    .toLowerCase()
    .replace(/[\s_-]/g, "");
  if (ACTIVE.has(v)) return "active";
  if (DEACTIVATED.has(v)) return "deactivated";
  return null;
}

/** The row's values by field, from a record keyed by column name. */
function fieldsOf(record: Record<string, unknown>): Partial<Record<Field, unknown>> {
  const out: Partial<Record<Field, unknown>> = {};
  for (const [col, value] of Object.entries(record)) {
    const n = normalizeColumn(col);
    for (const f of Object.keys(COLUMNS) as Field[]) {
      if (out[f] === undefined && (COLUMNS[f] as readonly string[]).includes(n)) out[f] = value;
    }
  }
  return out;
}

const text = (v: unknown): string | null => {
  if (typeof v === "string") return v.trim() === "" ? null : v.trim();
  if (typeof v === "number") return String(v);
  return null;
};

/** Turns one record into an identity, or adds the issues that stop it. */
function toParsed(
  fields: Partial<Record<Field, unknown>>,
  line: number,
  issues: IdpExportIssue[],
): ParsedIdentity | null {
  const id = text(fields.id);
  const email = text(fields.email);
  const login = text(fields.login) ?? email;
  const status = parseIdpStatus(fields.status);
  const before = issues.length;
  if (!id) issues.push({ line, message: "missing IdP id" });
  if (!login) issues.push({ line, message: "missing email and login" });
  if (status === null) {
    const raw = fields.status === undefined || fields.status === null ? "" : String(fields.status);
    issues.push({ line, message: raw === "" ? "missing status" : `unknown status "${raw}"` });
  }
  if (issues.length > before || !id || !login || !status) return null;
  return { id, login, email, displayName: text(fields.displayName), status, line };
}

/** Offsets at which the top-level elements of a JSON array start (the text is known to be valid JSON). */
function arrayElementOffsets(s: string): number[] {
  const offsets: number[] = [];
  let depth = 0;
  let inString = false;
  let expectValue = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === " " || c === "\t" || c === "\n" || c === "\r") continue;
    if (depth === 1 && expectValue && c !== "]") {
      offsets.push(i);
      expectValue = false;
    }
    if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 1) expectValue = true;
  }
  return offsets;
}

function lineAt(s: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < s.length; i++) if (s.charCodeAt(i) === 10) line++;
  return line;
}

/** Reads and parses an IdP export file; the format follows the extension (`.json`, else CSV). */
export async function readIdpExportFile(path: string): Promise<ParsedIdentity[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new IdpExportError([
      {
        line: 0,
        message: `idpExportFile ${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? "error"})`,
      },
    ]);
  }
  return parseIdpExport(text, path.toLowerCase().endsWith(".json") ? "json" : "csv");
}

/**
 * Reads an IdP export: CSV with a header row, or JSON (an array of objects, or one object per line). Each row holds
 * the IdP id, an email and/or login, a status, and optionally a display name; column names are matched loosely
 * (`id`/`externalId`/`objectId`, `login`/`userName`/`userPrincipalName`, `email`/`mail`, `status`/`active`/
 * `accountEnabled`, `displayName`/`name`). Throws an `IdpExportError` naming the line of every bad row.
 */
export function parseIdpExport(input: string, format: "csv" | "json"): ParsedIdentity[] {
  const issues: IdpExportIssue[] = [];
  const out: ParsedIdentity[] = [];
  if (format === "csv") {
    let rows: ReturnType<typeof parseCsvRecords>;
    try {
      rows = parseCsvRecords(input);
    } catch (err) {
      if (err instanceof CsvSyntaxError) throw new IdpExportError([{ line: err.line, message: err.reason }]);
      throw err;
    }
    const header = rows[0];
    if (!header) throw new IdpExportError([{ line: 1, message: "empty file: expected a header row" }]);
    const cols = header.cells.map((c) => c.trim());
    const present = new Set(Object.keys(fieldsOf(Object.fromEntries(cols.map((c) => [c, ""])))));
    if (!present.has("id")) issues.push({ line: header.line, message: "no IdP id column (id, externalId, …)" });
    if (!present.has("email") && !present.has("login"))
      issues.push({ line: header.line, message: "no email or login column" });
    if (!present.has("status")) issues.push({ line: header.line, message: "no status column (status, active, …)" });
    if (issues.length > 0) throw new IdpExportError(issues);
    for (const row of rows.slice(1)) {
      if (row.cells.length !== cols.length) {
        issues.push({ line: row.line, message: `expected ${cols.length} fields, found ${row.cells.length}` });
        continue;
      }
      const record: Record<string, unknown> = {};
      cols.forEach((c, i) => {
        record[c] = row.cells[i];
      });
      const p = toParsed(fieldsOf(record), row.line, issues);
      if (p) out.push(p);
    }
  } else {
    const trimmed = input.replace(/^\uFEFF/, "");
    const records: { value: unknown; line: number }[] = [];
    if (trimmed.trimStart().startsWith("[")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(trimmed);
      } catch (err) {
        const pos = /position (\d+)/.exec(err instanceof Error ? err.message : "");
        throw new IdpExportError([{ line: pos ? lineAt(trimmed, Number(pos[1])) : 1, message: "not valid JSON" }]);
      }
      const offsets = arrayElementOffsets(trimmed);
      (parsed as unknown[]).forEach((value, i) => {
        records.push({ value, line: lineAt(trimmed, offsets[i] ?? 0) });
      });
    } else {
      trimmed.split(/\r?\n/).forEach((l, i) => {
        if (l.trim() === "") return;
        try {
          records.push({ value: JSON.parse(l), line: i + 1 });
        } catch {
          issues.push({ line: i + 1, message: "not valid JSON" });
        }
      });
    }
    for (const r of records) {
      if (typeof r.value !== "object" || r.value === null || Array.isArray(r.value)) {
        issues.push({ line: r.line, message: "expected an object" });
        continue;
      }
      const p = toParsed(fieldsOf(r.value as Record<string, unknown>), r.line, issues);
      if (p) out.push(p);
    }
  }
  if (issues.length > 0) throw new IdpExportError(issues.sort((a, b) => a.line - b.line));
  return out;
}

// ---------------------------------------------------------------- groups

export interface UnifiedGroups {
  /** Sorted by key. */
  groups: Group[];
  /** groupId → accountIds (sorted), for org groups. */
  members: Map<string, string[]>;
  /** groupId → name. */
  names: Map<string, string>;
  /** Bitbucket group slug → accountIds (sorted). */
  bitbucketMembers: Map<string, string[]>;
  bitbucketNames: Map<string, string>;
  /** accountId → org groupIds. */
  groupsOf: Map<string, string[]>;
  notes: string[];
}

/** Org groups unified by groupId across Admin, Jira and Confluence; Bitbucket workspace groups by slug. */
export function unifyGroups(s: Snapshot): UnifiedGroups {
  const names = new Map<string, string>();
  const memberSets = new Map<string, Set<string>>();
  const notes: string[] = [];
  const declare = (groupId: string, name: string) => {
    if (!names.has(groupId)) names.set(groupId, name);
    if (!memberSets.has(groupId)) memberSets.set(groupId, new Set());
  };
  for (const g of s.admin?.groups ?? []) declare(g.groupId, g.name);
  for (const g of s.jira?.groups ?? []) declare(g.groupId, g.name);
  for (const g of s.confluence?.groups ?? []) declare(g.groupId, g.name);
  let undeclared = 0;
  const member = (groupId: string, accountId: string) => {
    let set = memberSets.get(groupId);
    if (!set) {
      undeclared++;
      names.set(groupId, groupId);
      set = new Set();
      memberSets.set(groupId, set);
    }
    set.add(accountId);
  };
  for (const m of s.admin?.groupMembers ?? []) member(m.groupId, m.accountId);
  for (const m of s.jira?.groupMembers ?? []) member(m.groupId, m.accountId);
  for (const m of s.confluence?.groupMembers ?? []) member(m.groupId, m.accountId);
  if (undeclared > 0)
    notes.push(`${undeclared} group(s) have members but were not listed by any source; they are named by their id.`);

  const members = new Map<string, string[]>();
  const groupsOf = new Map<string, string[]>();
  const groups: Group[] = [];
  for (const [groupId, set] of memberSets) {
    const list = [...set].sort(cmp);
    members.set(groupId, list);
    for (const a of list) {
      const g = groupsOf.get(a);
      if (g) g.push(groupId);
      else groupsOf.set(a, [groupId]);
    }
    groups.push({
      key: groupId,
      groupId,
      bitbucketSlug: null,
      name: names.get(groupId) ?? groupId,
      scope: "org",
      members: list,
    });
  }

  const bitbucketMembers = new Map<string, string[]>();
  const bitbucketNames = new Map<string, string>();
  const bb = s.bitbucket;
  if (bb) {
    const sets = new Map<string, Set<string>>();
    for (const g of bb.groups) {
      bitbucketNames.set(g.slug, g.name);
      sets.set(g.slug, new Set());
    }
    for (const m of bb.groupMembers) {
      let set = sets.get(m.groupSlug);
      if (!set) {
        bitbucketNames.set(m.groupSlug, m.groupSlug);
        set = new Set();
        sets.set(m.groupSlug, set);
      }
      set.add(m.accountId);
    }
    for (const [slug, set] of sets) {
      const list = [...set].sort(cmp);
      bitbucketMembers.set(slug, list);
      groups.push({
        key: `bitbucket:${slug}`,
        groupId: null,
        bitbucketSlug: slug,
        name: bitbucketNames.get(slug) ?? slug,
        scope: "bitbucket",
        members: list,
      });
    }
  }
  groups.sort((a, b) => cmp(a.key, b.key));
  return { groups, members, names, bitbucketMembers, bitbucketNames, groupsOf, notes };
}

// ---------------------------------------------------------------- accounts

/** What the builder knows about an account beyond the `Account` record. */
export interface AccountFacts {
  /** Admin lists the account: its product access and status come from Admin. */
  adminListed: boolean;
  /** Jira's `active` (false for a deactivated or suspended account), or null when Jira did not list it. */
  jiraActive: boolean | null;
  /** Whether the account is a member of the Bitbucket workspace. */
  bitbucketMember: boolean;
  /** For each product key the account holds: the evidence, as path descriptions. */
  productEvidence: Map<string, string[]>;
}

export interface JoinedAccounts {
  /** Sorted by accountId. */
  accounts: Account[];
  byId: Map<string, Account>;
  facts: Map<string, AccountFacts>;
  /** Every email seen for an account, lowercased → accountIds. */
  byEmail: Map<string, string[]>;
  notes: string[];
}

type Source = Account["seenIn"][number];
const SOURCE_ORDER: Source[] = ["admin", "scim", "jira", "confluence", "bitbucket"];

interface Draft {
  account: Account;
  facts: AccountFacts;
  confluenceStatus: string | null;
  emails: Set<string>;
}

/** Accounts joined by accountId across Admin, Jira, Confluence and Bitbucket (and SCIM's stated links). */
export function joinAccounts(s: Snapshot, groups: UnifiedGroups): JoinedAccounts {
  const drafts = new Map<string, Draft>();
  const notes: string[] = [];
  const draft = (accountId: string, source: Source): Draft => {
    let d = drafts.get(accountId);
    if (!d) {
      d = {
        account: {
          accountId,
          displayName: accountId,
          email: null,
          accountType: "unknown",
          status: "unknown",
          suspended: false,
          billable: null,
          userType: "human",
          externalCollaborator: false,
          products: [],
          lastActive: null,
          seenIn: [],
          bitbucketUuid: null,
          identityId: null,
        },
        facts: { adminListed: false, jiraActive: null, bitbucketMember: false, productEvidence: new Map() },
        confluenceStatus: null,
        emails: new Set(),
      };
      drafts.set(accountId, d);
    }
    if (!d.account.seenIn.includes(source)) d.account.seenIn.push(source);
    return d;
  };
  const named = (d: Draft, name: string | null | undefined) => {
    if (name && d.account.displayName === d.account.accountId) d.account.displayName = name;
  };
  const typed = (d: Draft, type: string | null | undefined) => {
    if (type && type !== "unknown" && d.account.accountType === "unknown") d.account.accountType = type;
  };
  const mailed = (d: Draft, email: string | null | undefined) => {
    if (!email) return;
    if (d.account.email === null) d.account.email = email;
    d.emails.add(email.trim().toLowerCase());
  };

  for (const u of s.admin?.users ?? []) {
    const d = draft(u.accountId, "admin");
    const a = d.account;
    d.facts.adminListed = true;
    a.displayName = u.displayName || a.displayName;
    a.accountType = u.accountType;
    a.status = u.accountStatus;
    a.suspended = u.membershipStatus === "suspended" || u.status === "suspended";
    a.billable = u.billable;
    a.userType = u.userType;
    a.products = u.productAccess.map((p) => ({ key: p.key, lastActive: p.lastActive }));
    a.lastActive = u.lastActive;
    mailed(d, u.email);
    for (const p of u.productAccess) d.facts.productEvidence.set(p.key, ["Admin product access"]);
  }
  for (const u of s.jira?.users ?? []) {
    const d = draft(u.accountId, "jira");
    named(d, u.displayName);
    typed(d, u.accountType);
    mailed(d, u.email);
    d.facts.jiraActive = u.active;
  }
  for (const u of s.confluence?.users ?? []) {
    const d = draft(u.accountId, "confluence");
    named(d, u.displayName);
    typed(d, u.accountType);
    mailed(d, u.email);
    if (u.accountStatus && u.accountStatus !== "unknown") d.confluenceStatus = u.accountStatus;
    if (u.externalCollaborator) d.account.externalCollaborator = true;
  }
  for (const m of s.bitbucket?.members ?? []) {
    const d = draft(m.accountId, "bitbucket");
    named(d, m.displayName);
    d.account.bitbucketUuid = m.uuid;
    d.facts.bitbucketMember = true;
  }
  for (const u of s.scim?.users ?? []) {
    if (!u.accountId) continue;
    const d = draft(u.accountId, "scim");
    named(d, u.displayName);
  }

  // Product evidence for the accounts Admin does not list: Admin's group product access when it was read, else the
  // products' own (Jira application roles, being active in Confluence); Bitbucket from workspace membership.
  const groupGrants = s.admin?.groupProductAccess;
  const groupKeys = new Map<string, Map<string, string[]>>();
  const addKey = (accountId: string, key: string, desc: string) => {
    let m = groupKeys.get(accountId);
    if (!m) {
      m = new Map();
      groupKeys.set(accountId, m);
    }
    const list = m.get(key);
    if (!list) m.set(key, [desc]);
    else if (!list.includes(desc)) list.push(desc);
  };
  if (groupGrants) {
    for (const g of groupGrants) {
      const desc = `Admin group product access: group "${groups.names.get(g.groupId) ?? g.groupId}" → ${g.key}`;
      for (const accountId of groups.members.get(g.groupId) ?? []) addKey(accountId, g.key, desc);
    }
  } else {
    for (const role of s.jira?.applicationRoles ?? []) {
      for (const gid of role.groupIds) {
        const desc = `Jira application role "${role.name}" → group "${groups.names.get(gid) ?? gid}"`;
        for (const accountId of groups.members.get(gid) ?? []) addKey(accountId, role.key, desc);
      }
    }
  }
  let fallbackAccounts = 0;
  for (const d of drafts.values()) {
    if (d.facts.adminListed) continue;
    const a = d.account;
    if (s.admin) fallbackAccounts++;
    a.status =
      d.confluenceStatus ?? (d.facts.jiraActive === null ? "unknown" : d.facts.jiraActive ? "active" : "inactive");
    a.userType = a.accountType === "app" ? "service_account" : "human";
    const products: ProductUse[] = [];
    const evidence = d.facts.productEvidence;
    const keys = groupKeys.get(a.accountId);
    for (const key of [...(keys?.keys() ?? [])].sort(cmp)) {
      if (key === BITBUCKET_KEY) continue;
      products.push({ key, lastActive: null });
      evidence.set(key, [...keys!.get(key)!].sort(cmp));
    }
    if (!groupGrants && d.confluenceStatus === "active" && a.accountType !== "customer") {
      products.push({ key: CONFLUENCE_KEY, lastActive: null });
      evidence.set(CONFLUENCE_KEY, ["seen active in Confluence (licence not visible without the Admin API)"]);
    }
    if (d.facts.bitbucketMember) {
      products.push({ key: BITBUCKET_KEY, lastActive: null });
      evidence.set(BITBUCKET_KEY, ["Bitbucket workspace member"]);
    }
    a.products = products;
  }
  if (s.admin && fallbackAccounts > 0)
    notes.push(
      groupGrants
        ? `${fallbackAccounts} account(s) seen in the products are not listed by the Admin API (app and customer accounts are not); their product access comes from Admin's group product access and Bitbucket membership.`
        : `${fallbackAccounts} account(s) seen in the products are not listed by the Admin API (app and customer accounts are not); their product access comes from the products: Jira application roles, Confluence activity, Bitbucket membership.`,
    );

  const accounts: Account[] = [];
  const byId = new Map<string, Account>();
  const facts = new Map<string, AccountFacts>();
  const byEmail = new Map<string, string[]>();
  for (const id of [...drafts.keys()].sort(cmp)) {
    const d = drafts.get(id)!;
    d.account.seenIn.sort((x, y) => SOURCE_ORDER.indexOf(x) - SOURCE_ORDER.indexOf(y));
    accounts.push(d.account);
    byId.set(id, d.account);
    facts.set(id, d.facts);
    for (const e of d.emails) {
      const list = byEmail.get(e);
      if (list) list.push(id);
      else byEmail.set(e, [id]);
    }
  }
  return { accounts, byId, facts, byEmail, notes };
}

/** Whether the account can sign in: active and not suspended. */
export const canSignIn = (a: Account): boolean => a.status === "active" && !a.suspended;

// ---------------------------------------------------------------- identities

/** An identity before correlation. */
export interface IdentityInput {
  id: string;
  source: Identity["source"];
  login: string;
  email: string | null;
  displayName: string | null;
  status: Identity["status"];
  /** The account the identity names itself (the SCIM extension), or null. */
  statedAccountId: string | null;
}

/** SCIM directory users as identities: id = `externalId` (the IdP's id), else the SCIM id. */
export function identitiesFromScim(scim: ScimSection): IdentityInput[] {
  return scim.users.map((u) => ({
    id: u.externalId ?? u.scimId,
    source: "scim" as const,
    login: u.userName,
    email: u.email,
    displayName: u.displayName,
    status: u.active ? ("active" as const) : ("deactivated" as const),
    statedAccountId: u.accountId,
  }));
}

export function identitiesFromFile(rows: readonly ParsedIdentity[]): IdentityInput[] {
  return rows.map((r) => ({
    id: r.id,
    source: "idp-file" as const,
    login: r.login,
    email: r.email,
    displayName: r.displayName,
    status: r.status,
    statedAccountId: null,
  }));
}

export interface Correlation {
  /** Sorted by id. */
  identities: Identity[];
  report: CorrelationReport;
  notes: string[];
}

/**
 * Links identities to accounts (setting `identityId` on the linked accounts): by the stated account id when that
 * account is known, else by email (or an email-shaped login), case-insensitively. An identity matching several
 * accounts is ambiguous; an account claimed by several identities is linked to none of them unless exactly one
 * claims it by account id. SCIM and file records with the same IdP id are one identity (a deactivation in either
 * wins).
 */
export function correlate(
  inputs: readonly IdentityInput[],
  joined: JoinedAccounts,
  sourceAvailable = inputs.length > 0,
): Correlation {
  const notes: string[] = [];
  const merged = new Map<string, IdentityInput>();
  let duplicates = 0;
  let mergedAcross = 0;
  for (const i of inputs) {
    const prev = merged.get(i.id);
    if (!prev) {
      merged.set(i.id, { ...i });
      continue;
    }
    if (prev.source === i.source) {
      duplicates++;
      continue;
    }
    mergedAcross++;
    const scim = prev.source === "scim" ? prev : i;
    const file = prev.source === "scim" ? i : prev;
    merged.set(i.id, {
      ...scim,
      email: scim.email ?? file.email,
      displayName: scim.displayName ?? file.displayName,
      status: scim.status === "deactivated" || file.status === "deactivated" ? "deactivated" : "active",
    });
  }
  if (duplicates > 0)
    notes.push(`${duplicates} identity record(s) repeat an IdP id of the same source; the first was kept.`);
  if (mergedAcross > 0)
    notes.push(`${mergedAcross} identities appear both in SCIM and in the IdP export; each is kept once.`);

  const identities: Identity[] = [];
  let danglingStated = 0;
  for (const i of [...merged.values()].sort((a, b) => cmp(a.id, b.id))) {
    const base = {
      id: i.id,
      source: i.source,
      login: i.login,
      email: i.email,
      displayName: i.displayName,
      status: i.status,
    };
    if (i.statedAccountId && joined.byId.has(i.statedAccountId)) {
      identities.push({ ...base, accountId: i.statedAccountId, match: "account-id", candidates: [] });
      continue;
    }
    if (i.statedAccountId) danglingStated++;
    const keys = new Set<string>();
    if (i.email) keys.add(i.email.trim().toLowerCase());
    if (i.login.includes("@")) keys.add(i.login.trim().toLowerCase());
    const candidates = new Set<string>();
    for (const k of keys) for (const a of joined.byEmail.get(k) ?? []) candidates.add(a);
    const list = [...candidates].sort(cmp);
    if (list.length === 1) identities.push({ ...base, accountId: list[0]!, match: "email", candidates: [] });
    else if (list.length > 1) identities.push({ ...base, accountId: null, match: "ambiguous", candidates: list });
    else identities.push({ ...base, accountId: null, match: "unmatched", candidates: [] });
  }
  if (danglingStated > 0)
    notes.push(
      `${danglingStated} SCIM identities name an account no source reported; they were matched by email where possible.`,
    );

  // Accounts claimed by several identities.
  const claims = new Map<string, Identity[]>();
  for (const i of identities) {
    if (!i.accountId) continue;
    const list = claims.get(i.accountId);
    if (list) list.push(i);
    else claims.set(i.accountId, [i]);
  }
  const ambiguousAccounts: string[] = [];
  for (const [accountId, list] of claims) {
    const byId = list.filter((i) => i.match === "account-id");
    let winner: Identity | null = null;
    if (list.length === 1) winner = list[0]!;
    else if (byId.length === 1) winner = byId[0]!;
    else ambiguousAccounts.push(accountId);
    for (const i of list) {
      if (i === winner) continue;
      i.match = "ambiguous";
      i.candidates = [accountId];
      i.accountId = null;
    }
    if (winner) joined.byId.get(accountId)!.identityId = winner.id;
  }

  const available = sourceAvailable;
  const accountsWithoutIdentity = available
    ? joined.accounts
        .filter((a) => a.accountType === "atlassian" && canSignIn(a) && a.products.length > 0 && a.identityId === null)
        .map((a) => a.accountId)
    : [];
  return {
    identities,
    notes,
    report: {
      unmatchedIdentities: identities.filter((i) => i.match === "unmatched").map((i) => i.id),
      ambiguousIdentities: identities.filter((i) => i.match === "ambiguous").map((i) => i.id),
      ambiguousAccounts: ambiguousAccounts.sort(cmp),
      accountsWithoutIdentity,
      identitySourceAvailable: available,
    },
  };
}
