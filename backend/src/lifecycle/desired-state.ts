/**
 * @module lifecycle/desired-state
 *
 * Reads a desired-state file — joiners, movers and leavers — into lifecycle requests, each remembering the line it
 * came from, so a plan's problems and the parser's errors name the line to fix.
 *
 * CSV (RFC 4180, a header row, column names case-insensitive; lists separated by `;`):
 * ```
 * kind,userName,email,givenName,familyName,displayName,title,department,organization,externalId,groups,removeGroups,suspend,removeFromGroups
 * joiner,ann@acme.com,ann@acme.com,Ann,Lee,,Engineer,R&D,Acme,00u1,jira-users;team-a,,,
 * mover,bob@acme.com,,,,,Manager,Sales,,,team-b,team-a,,
 * leaver,cyd@acme.com,,,,,,,,,,,true,true
 * ```
 * JSON: `{"joiners":[…],"movers":[…],"leavers":[…]}` of objects with the same fields (lists as arrays or `;`
 * strings), or one array of objects each with a `kind`.
 *
 * - joiner → SYNC_IDENTITIES (create, or update and reactivate: a joiner is active) + add to `groups`;
 * - mover → SYNC_IDENTITIES of the attributes given (update only) + add to `groups`, remove from `removeGroups`;
 *   `active: false|true` deactivates or reactivates;
 * - leaver → DEPROVISION_IDENTITY, with `suspend` (product access, Admin API) and `removeFromGroups`.
 * A user is named by `userName`, else `email`, else `accountId`. Every bad row is reported, not only the first.
 */
import { CsvSyntaxError, parseCsvRecords } from "../util/csv-records.js";
import type { LifecycleRequest, LocatedRequest, MembershipChange, UserAttributes, UserRef } from "./types.js";

export interface DesiredStateIssue {
  line: number;
  message: string;
}

export class DesiredStateError extends Error {
  constructor(
    readonly source: string,
    readonly issues: DesiredStateIssue[],
  ) {
    super(
      `${source}: ${issues.length} problem(s)\n${issues
        .slice(0, 50)
        .map((i) => `  line ${i.line}: ${i.message}`)
        .join("\n")}`,
    );
    this.name = "DesiredStateError";
  }
}

const KINDS = ["joiner", "mover", "leaver"] as const;
type Kind = (typeof KINDS)[number];

const STRING_FIELDS = [
  "userName",
  "email",
  "accountId",
  "externalId",
  "givenName",
  "familyName",
  "displayName",
  "title",
  "department",
  "organization",
] as const;
const LIST_FIELDS = ["groups", "removeGroups"] as const;
const BOOL_FIELDS = ["suspend", "removeFromGroups", "active"] as const;
const FIELDS: readonly string[] = ["kind", ...STRING_FIELDS, ...LIST_FIELDS, ...BOOL_FIELDS];
const CANONICAL = new Map(FIELDS.map((f) => [f.toLowerCase(), f]));

type Row = Record<string, unknown>;

// ---------------------------------------------------------------- CSV

// ---------------------------------------------------------------- JSON with line numbers

/** A minimal JSON reader that remembers the line each object starts on (for error messages). */
class LocatedJson {
  private i = 0;
  private line = 1;
  readonly lines = new WeakMap<object, number>();

  constructor(private readonly s: string) {}

  parse(): unknown {
    const v = this.value();
    this.ws();
    if (this.i < this.s.length) this.fail("unexpected text after the JSON value");
    return v;
  }

  private fail(message: string): never {
    throw new DesiredStateError("JSON", [{ line: this.line, message: `not valid JSON: ${message}` }]);
  }

  private ws(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === "\n") this.line++;
      else if (c !== " " && c !== "\t" && c !== "\r") break;
      this.i++;
    }
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(this.s.slice(this.i, this.i + 64));
    if (!m) this.fail(c === undefined ? "unexpected end" : `unexpected character ${JSON.stringify(c)}`);
    this.i += m[0].length;
    return JSON.parse(m[0]);
  }

  private string(): string {
    const start = this.i;
    this.i++;
    while (this.i < this.s.length && this.s[this.i] !== '"') {
      if (this.s[this.i] === "\n") this.fail("a line break inside a string");
      this.i += this.s[this.i] === "\\" ? 2 : 1;
    }
    if (this.i >= this.s.length) this.fail("unterminated string");
    this.i++;
    try {
      return JSON.parse(this.s.slice(start, this.i)) as string;
    } catch {
      this.fail("a bad escape in a string");
    }
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.lines.set(out, this.line);
    this.i++;
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail("expected a property name");
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ":") this.fail('expected ":"');
      this.i++;
      out[key] = this.value();
      this.ws();
      if (this.s[this.i] === ",") {
        this.i++;
        continue;
      }
      if (this.s[this.i] === "}") {
        this.i++;
        return out;
      }
      this.fail('expected "," or "}"');
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.lines.set(out, this.line);
    this.i++;
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      if (this.s[this.i] === ",") {
        this.i++;
        continue;
      }
      if (this.s[this.i] === "]") {
        this.i++;
        return out;
      }
      this.fail('expected "," or "]"');
    }
  }
}

// ---------------------------------------------------------------- rows → requests

function listOf(v: unknown): string[] | null {
  if (v === undefined || v === null || v === "") return [];
  if (Array.isArray(v)) return v.every((x) => typeof x === "string") ? v.map((x) => x.trim()).filter(Boolean) : null;
  if (typeof v === "string")
    return v
      .split(";")
      .map((x) => x.trim())
      .filter(Boolean);
  return null;
}

function boolOf(v: unknown): boolean | null | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|yes|1)$/i.test(v.trim())) return true;
  if (typeof v === "string" && /^(false|no|0)$/i.test(v.trim())) return false;
  return null;
}

function rowToRequests(row: Row, line: number, source: string, issues: DesiredStateIssue[]): LocatedRequest[] {
  const origin = { source, line };
  const before = issues.length;
  const kind = typeof row.kind === "string" ? (row.kind.trim().toLowerCase() as Kind) : null;
  if (!kind || !KINDS.includes(kind)) {
    issues.push({
      line,
      message: `kind must be joiner, mover or leaver${row.kind ? ` (got "${String(row.kind)}")` : ""}`,
    });
    return [];
  }
  for (const key of Object.keys(row)) {
    if (!CANONICAL.has(key.toLowerCase())) issues.push({ line, message: `unknown field "${key}"` });
  }
  const str: Partial<Record<(typeof STRING_FIELDS)[number], string>> = {};
  for (const f of STRING_FIELDS) {
    const v = row[f];
    if (v === undefined || v === null || v === "") continue;
    if (typeof v !== "string") issues.push({ line, message: `${f} must be text` });
    else str[f] = v.trim();
  }
  const lists: Partial<Record<(typeof LIST_FIELDS)[number], string[]>> = {};
  for (const f of LIST_FIELDS) {
    const v = listOf(row[f]);
    if (v === null) issues.push({ line, message: `${f} must be a list of group names (separated by ";")` });
    else lists[f] = v;
  }
  const bools: Partial<Record<(typeof BOOL_FIELDS)[number], boolean>> = {};
  for (const f of BOOL_FIELDS) {
    const v = boolOf(row[f]);
    if (v === null) issues.push({ line, message: `${f} must be true or false` });
    else if (v !== undefined) bools[f] = v;
  }
  if (str.email && !/^[^@\s]+@[^@\s]+$/.test(str.email))
    issues.push({ line, message: `email "${str.email}" is not an address` });
  const name = str.userName ?? str.email;
  const ref: UserRef | null = name ? { user: name } : str.accountId ? { accountId: str.accountId } : null;
  if (!ref) issues.push({ line, message: "name the user with userName, email or accountId" });
  if (kind === "joiner" && (!str.userName || !str.email))
    issues.push({ line, message: "a joiner needs userName and email" });
  if (kind !== "leaver" && (bools.suspend !== undefined || bools.removeFromGroups !== undefined))
    issues.push({ line, message: "suspend and removeFromGroups apply to leavers" });
  if (kind === "leaver" && ((lists.groups?.length ?? 0) > 0 || (lists.removeGroups?.length ?? 0) > 0))
    issues.push({ line, message: "groups and removeGroups apply to joiners and movers" });
  if (kind === "joiner" && (lists.removeGroups?.length ?? 0) > 0)
    issues.push({ line, message: "removeGroups applies to movers" });
  if (issues.length > before || !ref) return [];

  const out: LocatedRequest[] = [];
  const push = (request: LifecycleRequest) => out.push({ request, origin });
  if (kind === "leaver") {
    push({
      action: "DEPROVISION_IDENTITY",
      user: ref,
      ...(bools.suspend ? { suspendAccess: true } : {}),
      ...(bools.removeFromGroups ? { removeFromGroups: true } : {}),
    });
    return out;
  }
  const attrs: UserAttributes = { userName: str.userName ?? name ?? "" };
  if (str.email) attrs.email = str.email;
  for (const f of [
    "givenName",
    "familyName",
    "displayName",
    "title",
    "department",
    "organization",
    "externalId",
  ] as const) {
    if (str[f] !== undefined) attrs[f] = str[f];
  }
  if (kind === "joiner") attrs.active = bools.active ?? true;
  else if (bools.active !== undefined) attrs.active = bools.active;
  const hasAttributes =
    Object.keys(attrs).some((k) => k !== "userName" && k !== "email") ||
    (kind === "mover" && !!str.userName && !!str.email);
  if (kind === "joiner") push({ action: "SYNC_IDENTITIES", user: attrs });
  else if (hasAttributes && name) push({ action: "SYNC_IDENTITIES", user: attrs, updateOnly: true });
  const memberships: MembershipChange[] = [
    ...(lists.groups ?? []).map((group) => ({ op: "add" as const, user: ref, group })),
    ...(lists.removeGroups ?? []).map((group) => ({ op: "remove" as const, user: ref, group })),
  ];
  if (memberships.length > 0) push({ action: "MANAGE_RELATIONSHIPS", memberships });
  if (out.length === 0) issues.push({ line, message: "a mover with nothing to change" });
  return out;
}

/** Reads a desired-state file; `format` defaults from the content (`{`/`[` → JSON). Throws `DesiredStateError`. */
export function parseDesiredState(text: string, source: string, format?: "csv" | "json"): LocatedRequest[] {
  const body = text.replace(/^\uFEFF/, "");
  const fmt = format ?? (/^\s*[[{]/.test(body) ? "json" : "csv");
  const issues: DesiredStateIssue[] = [];
  const out: LocatedRequest[] = [];
  if (fmt === "csv") {
    let records: { cells: string[]; line: number }[];
    try {
      records = parseCsvRecords(body);
    } catch (err) {
      if (err instanceof CsvSyntaxError) throw new DesiredStateError(source, [{ line: err.line, message: err.reason }]);
      throw err;
    }
    const header = records[0];
    if (!header) throw new DesiredStateError(source, [{ line: 1, message: "empty file: expected a header row" }]);
    const cols = header.cells.map((c) => c.trim());
    const unknown = cols.filter((c) => !CANONICAL.has(c.toLowerCase()));
    if (unknown.length > 0)
      issues.push({
        line: header.line,
        message: `unknown column(s) ${unknown.map((c) => `"${c}"`).join(", ")}; known: ${FIELDS.join(", ")}`,
      });
    if (!cols.some((c) => c.toLowerCase() === "kind")) issues.push({ line: header.line, message: 'no "kind" column' });
    if (issues.length > 0) throw new DesiredStateError(source, issues);
    for (const r of records.slice(1)) {
      if (r.cells.length !== cols.length) {
        issues.push({ line: r.line, message: `expected ${cols.length} fields, found ${r.cells.length}` });
        continue;
      }
      const row: Row = {};
      cols.forEach((c, i) => {
        const v = r.cells[i]!.trim();
        if (v !== "") row[CANONICAL.get(c.toLowerCase())!] = v;
      });
      out.push(...rowToRequests(row, r.line, source, issues));
    }
  } else {
    const reader = new LocatedJson(body);
    let parsed: unknown;
    try {
      parsed = reader.parse();
    } catch (err) {
      if (err instanceof CsvSyntaxError) throw new DesiredStateError(source, [{ line: err.line, message: err.reason }]);
      throw err;
    }
    const rows: Array<{ row: unknown; kind: Kind | null; line: number }> = [];
    const lineOf = (v: unknown, fallback: number) =>
      v && typeof v === "object" ? (reader.lines.get(v) ?? fallback) : fallback;
    if (Array.isArray(parsed)) {
      for (const row of parsed) rows.push({ row, kind: null, line: lineOf(row, lineOf(parsed, 1)) });
    } else if (parsed && typeof parsed === "object") {
      const top = parsed as Record<string, unknown>;
      for (const key of Object.keys(top)) {
        if (!["joiners", "movers", "leavers"].includes(key))
          issues.push({ line: lineOf(top, 1), message: `unknown key "${key}": expected joiners, movers, leavers` });
      }
      for (const [key, kind] of [
        ["joiners", "joiner"],
        ["movers", "mover"],
        ["leavers", "leaver"],
      ] as const) {
        const list = top[key];
        if (list === undefined) continue;
        if (!Array.isArray(list)) {
          issues.push({ line: lineOf(top, 1), message: `${key} must be an array` });
          continue;
        }
        for (const row of list) rows.push({ row, kind, line: lineOf(row, lineOf(list, 1)) });
      }
    } else {
      issues.push({ line: 1, message: "expected an object with joiners, movers, leavers, or an array of rows" });
    }
    for (const { row, kind, line } of rows) {
      if (!row || typeof row !== "object" || Array.isArray(row)) {
        issues.push({ line, message: "expected an object" });
        continue;
      }
      const r = { ...(row as Row) };
      if (kind) {
        if (r.kind !== undefined && String(r.kind).toLowerCase() !== kind) {
          issues.push({ line, message: `kind "${String(r.kind)}" in the ${kind}s list` });
          continue;
        }
        r.kind = kind;
      }
      out.push(...rowToRequests(r, line, source, issues));
    }
  }
  if (issues.length > 0)
    throw new DesiredStateError(
      source,
      issues.sort((a, b) => a.line - b.line),
    );
  return out;
}
