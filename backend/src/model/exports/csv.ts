/**
 * The access-review CSV: one row per effective access (account or pseudo-principal × resource × native permission),
 * with exactly these columns:
 *
 *   identity,account_id,account_email,account_type,account_status,product,resource_type,resource_id,resource_name,permission,via
 *
 * - `identity`: the linked IdP identity's login (its email when it has no login), else empty.
 * - `account_id`: the Atlassian accountId, or a pseudo-principal (`anonymous`, `product-users:jira`,
 *   `unlicensed:confluence`) whose account columns (`identity`, `account_email`, `account_type`, `account_status`)
 *   are empty.
 * - `product` ∈ admin|jira|confluence|bitbucket; `resource_type` ∈ org|site|jira_project|confluence_space|
 *   bitbucket_workspace|bitbucket_project|bitbucket_repo; `resource_id` as in `types.ts` (org id, site host, project
 *   key, space key, workspace slug, `ws/PROJECTKEY`, `ws/repo-slug`); `resource_name` the resource's name (empty when
 *   the model does not describe the resource); `permission` the native name.
 * - `via`: every path's description, joined with ` | `, sorted by description.
 *
 * Expansion (`expand: true`) replaces a pseudo-principal row with one row per account it stands for (see
 * `pseudo.ts`): `product-users:jira` → every active account with Jira; `unlicensed:confluence` → every active account
 * without Confluence that uses the site (Jira product or customer account). `anonymous` also yields one row per
 * active account, and its own `anonymous` row is KEPT: anonymous access reaches people without any account, which no
 * list of accounts can show. An account reached both directly and through a pseudo-principal gets one row whose
 * `via` joins all its paths — still one row per effective access.
 *
 * Quoting (RFC 4180): rows end with CRLF; a cell containing `"`, `,`, CR or LF is wrapped in double quotes with
 * inner quotes doubled. Spreadsheet formula injection: a cell starting with `=`, `+`, `-`, `@`, TAB or CR is
 * prefixed with a single quote (`'`) before quoting, so Excel, LibreOffice and Google Sheets show it as text
 * (OWASP "CSV injection"). Display names and resource names come from the tenant, so this matters.
 *
 * Order: rows are sorted by (product, resource_type, resource_id, permission, account_id), comparing UTF-16 code
 * units — the model's own order — so two exports of the same model are byte-identical.
 *
 * Streaming: rows are written through a chunked writer that waits for `drain`; nothing holds the whole file.
 */
import type { Writable } from "node:stream";
import {
  type AccessEntry,
  type Account,
  ANONYMOUS,
  type Identity,
  type Model,
  resourceKey,
  type ViaPath,
} from "../types.js";
import { ChunkWriter } from "./chunk-writer.js";
import { isPseudo, pseudoMembers } from "./pseudo.js";

export const CSV_COLUMNS = [
  "identity",
  "account_id",
  "account_email",
  "account_type",
  "account_status",
  "product",
  "resource_type",
  "resource_id",
  "resource_name",
  "permission",
  "via",
] as const;

export interface AccessCsvOptions {
  /** Replace pseudo-principal rows with one row per account they stand for (the `anonymous` row is kept). */
  expand?: boolean;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: formula-injection guard, then RFC 4180 quoting. */
export function csvCell(value: string): string {
  const v = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One CSV line (CRLF-terminated) from raw values. */
export const csvLine = (values: readonly string[]): string => `${values.map(csvCell).join(",")}\r\n`;

/** Orders entries by (product, resourceType, resourceId, permission, principal). */
export function compareEntries(a: AccessEntry, b: AccessEntry): number {
  return (
    cmp(a.product, b.product) ||
    cmp(a.resourceType, b.resourceType) ||
    cmp(a.resourceId, b.resourceId) ||
    cmp(a.permission, b.permission) ||
    cmp(a.principal, b.principal)
  );
}

const sameGroup = (a: AccessEntry, b: AccessEntry): boolean =>
  a.product === b.product &&
  a.resourceType === b.resourceType &&
  a.resourceId === b.resourceId &&
  a.permission === b.permission;

/** Entry indexes in export order: the identity when the model is already sorted (as the builder makes it). */
function exportOrder(entries: readonly AccessEntry[]): { at(i: number): number } {
  for (let i = 1; i < entries.length; i++) {
    if (compareEntries(entries[i - 1]!, entries[i]!) > 0) {
      const order = Array.from({ length: entries.length }, (_, k) => k);
      order.sort((x, y) => compareEntries(entries[x]!, entries[y]!) || x - y);
      return { at: (k) => order[k]! };
    }
  }
  return { at: (k) => k };
}

/** The account columns (identity … account_status), with a trailing comma, cached per principal. */
class AccountCells {
  private readonly cache = new Map<string, string>();
  private readonly accounts: Map<string, Account>;
  private readonly identities: Map<string, Identity>;

  constructor(model: Model) {
    this.accounts = new Map(model.accounts.map((a) => [a.accountId, a]));
    this.identities = new Map(model.identities.map((i) => [i.id, i]));
  }

  get(principal: string): string {
    let cells = this.cache.get(principal);
    if (cells === undefined) {
      const a = isPseudo(principal) ? undefined : this.accounts.get(principal);
      const identity = a?.identityId ? this.identities.get(a.identityId) : undefined;
      cells = `${[
        identity ? identity.login || identity.email || "" : "",
        principal,
        a?.email ?? "",
        a?.accountType ?? "",
        a?.status ?? "",
      ]
        .map(csvCell)
        .join(",")},`;
      this.cache.set(principal, cells);
    }
    return cells;
  }
}

/** The `via` cell of a path list, cached per (shared) array. */
class ViaCells {
  private readonly cache = new WeakMap<readonly ViaPath[], string>();

  get(via: readonly ViaPath[]): string {
    let cell = this.cache.get(via);
    if (cell === undefined) {
      cell = csvCell(via.map((v) => v.description).join(" | "));
      this.cache.set(via, cell);
    }
    return cell;
  }

  /** The cell of several path lists merged: unique paths, sorted by description. */
  merged(lists: readonly (readonly ViaPath[])[]): string {
    if (lists.length === 1) return this.get(lists[0]!);
    const seen = new Set<string>();
    const paths: ViaPath[] = [];
    for (const list of lists)
      for (const v of list) {
        const key = `${v.kind}\u0000${v.description}`;
        if (!seen.has(key)) {
          seen.add(key);
          paths.push(v);
        }
      }
    paths.sort((x, y) => cmp(x.description, y.description) || cmp(x.kind, y.kind));
    return csvCell(paths.map((v) => v.description).join(" | "));
  }
}

/** One sorted source of rows for a group: principals with their paths. */
interface Source {
  ids: readonly string[];
  /** Paths per position, or the same paths for every position. */
  via: readonly (readonly ViaPath[])[] | readonly ViaPath[];
  shared: boolean;
  pos: number;
}

/**
 * Writes the access-review CSV of `model` to `out` (which it does not end). Returns the number of data rows.
 */
export async function writeAccessCsv(
  model: Model,
  out: Writable,
  opts: AccessCsvOptions = {},
): Promise<{ rows: number }> {
  const w = new ChunkWriter(out);
  const accountCells = new AccountCells(model);
  const viaCells = new ViaCells();
  const names = new Map(model.resources.map((r) => [resourceKey(r), r.name]));
  const members = opts.expand ? pseudoMembers(model) : null;
  const entries = model.access;
  const order = exportOrder(entries);
  let rows = 0;

  await w.write(`${CSV_COLUMNS.join(",")}\r\n`);
  let i = 0;
  while (i < entries.length) {
    const first = entries[order.at(i)]!;
    const middle = `${[
      first.product,
      first.resourceType,
      first.resourceId,
      names.get(resourceKey({ type: first.resourceType, id: first.resourceId })) ?? "",
      first.permission,
    ]
      .map(csvCell)
      .join(",")},`;
    let j = i + 1;
    while (j < entries.length && sameGroup(first, entries[order.at(j)]!)) j++;

    if (!members) {
      for (let k = i; k < j; k++) {
        const e = entries[order.at(k)]!;
        rows++;
        if (w.push(`${accountCells.get(e.principal)}${middle}${viaCells.get(e.via)}\r\n`)) await w.flush();
      }
    } else {
      // Merge, by principal, the group's own rows (pseudo ones other than `anonymous` dropped) with the accounts
      // each pseudo-principal stands for.
      const directIds: string[] = [];
      const directVia: (readonly ViaPath[])[] = [];
      const sources: Source[] = [];
      for (let k = i; k < j; k++) {
        const e = entries[order.at(k)]!;
        if (isPseudo(e.principal)) {
          const ids = members.get(e.principal) ?? [];
          if (ids.length > 0) sources.push({ ids, via: e.via, shared: true, pos: 0 });
          if (e.principal !== ANONYMOUS) continue;
        }
        directIds.push(e.principal);
        directVia.push(e.via);
      }
      sources.push({ ids: directIds, via: directVia, shared: false, pos: 0 });
      for (const s of sources) if (!isSorted(s.ids)) throw new Error("access entries are not sorted by principal");
      const lists: (readonly ViaPath[])[] = [];
      for (;;) {
        let min: string | null = null;
        for (const s of sources) {
          const id = s.ids[s.pos];
          if (id !== undefined && (min === null || id < min)) min = id;
        }
        if (min === null) break;
        lists.length = 0;
        for (const s of sources) {
          if (s.ids[s.pos] !== min) continue;
          lists.push(s.shared ? (s.via as readonly ViaPath[]) : (s.via as readonly (readonly ViaPath[])[])[s.pos]!);
          s.pos++;
        }
        rows++;
        if (w.push(`${accountCells.get(min)}${middle}${viaCells.merged(lists)}\r\n`)) await w.flush();
      }
    }
    i = j;
  }
  await w.flush();
  return { rows };
}

function isSorted(ids: readonly string[]): boolean {
  for (let k = 1; k < ids.length; k++) if (ids[k - 1]! > ids[k]!) return false;
  return true;
}
