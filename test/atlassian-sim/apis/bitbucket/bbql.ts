/**
 * A small implementation of BBQL, Bitbucket's filter (`q=`) and sort (`sort=`) language
 * (developer.atlassian.com/cloud/bitbucket/rest/intro/#filtering): comparisons `field op value` with the operators
 * `=`, `!=`, `~` (contains, case-insensitive), `!~`, `>`, `>=`, `<`, `<=`, combined with `AND`, `OR` and
 * parentheses; values are double-quoted strings, numbers, `true`, `false` or `null`. Each endpoint declares its
 * queryable fields; a field may define its own order (permission levels compare by rank, so `permission>"read"`
 * means write or admin, as the effective-permission endpoints document).
 */

export type BbqlValue = string | number | boolean | null;

type Op = "=" | "!=" | "~" | "!~" | ">" | ">=" | "<" | "<=";

type Node = { kind: "and" | "or"; left: Node; right: Node } | { kind: "cmp"; field: string; op: Op; value: BbqlValue };

/** A queryable field of one endpoint's items. */
export interface BbqlField<T> {
  get: (item: T) => BbqlValue | undefined;
  /** Maps a value to its sort rank when the field is ordered by something other than its text (permission levels). */
  rank?: (value: BbqlValue) => number;
}

export type BbqlFields<T> = Record<string, BbqlField<T>>;

/** A malformed query or an unknown field; endpoints answer 400. */
export class BbqlError extends Error {}

type Token = { t: "word" | "op" | "str" | "num" | "(" | ")"; v: string };

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const ch = q[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === "(" || ch === ")") {
      out.push({ t: ch, v: ch });
      i++;
    } else if (ch === '"') {
      let s = "";
      i++;
      while (i < q.length && q[i] !== '"') {
        if (q[i] === "\\" && i + 1 < q.length) i++;
        s += q[i];
        i++;
      }
      if (i >= q.length) throw new BbqlError("unterminated string");
      i++;
      out.push({ t: "str", v: s });
    } else {
      const op = /^(!=|>=|<=|!~|=|~|>|<)/.exec(q.slice(i));
      if (op) {
        out.push({ t: "op", v: op[1]! });
        i += op[1]!.length;
        continue;
      }
      const word = /^[A-Za-z0-9_.:+-]+/.exec(q.slice(i));
      if (!word) throw new BbqlError(`unexpected character '${ch}'`);
      out.push({ t: /^-?\d+(\.\d+)?$/.test(word[0]) ? "num" : "word", v: word[0] });
      i += word[0].length;
    }
  }
  return out;
}

function parse(tokens: Token[]): Node {
  let pos = 0;
  const peek = () => tokens[pos];
  const isWord = (w: string) => peek()?.t === "word" && peek()!.v.toUpperCase() === w;

  const primary = (): Node => {
    const tok = peek();
    if (!tok) throw new BbqlError("unexpected end of query");
    if (tok.t === "(") {
      pos++;
      const inner = or();
      if (peek()?.t !== ")") throw new BbqlError("missing ')'");
      pos++;
      return inner;
    }
    if (tok.t !== "word") throw new BbqlError(`expected a field name, got '${tok.v}'`);
    pos++;
    const opTok = peek();
    if (opTok?.t !== "op") throw new BbqlError(`expected an operator after '${tok.v}'`);
    pos++;
    const valTok = peek();
    if (!valTok) throw new BbqlError("expected a value");
    pos++;
    let value: BbqlValue;
    if (valTok.t === "str") value = valTok.v;
    else if (valTok.t === "num") value = Number(valTok.v);
    else if (valTok.t === "word" && ["true", "false", "null"].includes(valTok.v.toLowerCase())) {
      value = valTok.v.toLowerCase() === "null" ? null : valTok.v.toLowerCase() === "true";
    } else throw new BbqlError(`invalid value '${valTok.v}'`);
    return { kind: "cmp", field: tok.v, op: opTok.v as Op, value };
  };
  const and = (): Node => {
    let left = primary();
    while (isWord("AND")) {
      pos++;
      left = { kind: "and", left, right: primary() };
    }
    return left;
  };
  const or = (): Node => {
    let left = and();
    while (isWord("OR")) {
      pos++;
      left = { kind: "or", left, right: and() };
    }
    return left;
  };
  const root = or();
  if (pos !== tokens.length) throw new BbqlError(`unexpected '${tokens[pos]!.v}'`);
  return root;
}

function fieldsOf(node: Node, out: string[] = []): string[] {
  if (node.kind === "cmp") out.push(node.field);
  else {
    fieldsOf(node.left, out);
    fieldsOf(node.right, out);
  }
  return out;
}

function compare<T>(field: BbqlField<T>, a: BbqlValue, b: BbqlValue): number {
  if (field.rank) return field.rank(a) - field.rank(b);
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function test<T>(node: Node, item: T, fields: BbqlFields<T>): boolean {
  if (node.kind !== "cmp") {
    return node.kind === "and"
      ? test(node.left, item, fields) && test(node.right, item, fields)
      : test(node.left, item, fields) || test(node.right, item, fields);
  }
  const field = fields[node.field]!;
  const actual = field.get(item) ?? null;
  const expected = node.value;
  switch (node.op) {
    case "=":
      return actual === expected || (actual !== null && expected !== null && compare(field, actual, expected) === 0);
    case "!=":
      return !(actual === expected || (actual !== null && expected !== null && compare(field, actual, expected) === 0));
    case "~":
    case "!~": {
      const contains = String(actual ?? "")
        .toLowerCase()
        .includes(String(expected ?? "").toLowerCase());
      return node.op === "~" ? contains : !contains;
    }
    default: {
      if (actual === null || expected === null) return false;
      const d = compare(field, actual, expected);
      return node.op === ">" ? d > 0 : node.op === ">=" ? d >= 0 : node.op === "<" ? d < 0 : d <= 0;
    }
  }
}

/** Filters items by a `q=` expression (no-op when absent); throws `BbqlError` for a bad query or unknown field. */
export function bbqlFilter<T>(items: readonly T[], q: string | undefined, fields: BbqlFields<T>): readonly T[] {
  if (q === undefined || q.trim() === "") return items;
  const node = parse(tokenize(q));
  for (const f of fieldsOf(node)) if (!(f in fields)) throw new BbqlError(`Invalid field name '${f}'`);
  return items.filter((item) => test(node, item, fields));
}

/** Sorts items by a `sort=` field (`-field` descending; stable); throws `BbqlError` for an unknown field. */
export function bbqlSort<T>(items: readonly T[], sort: string | undefined, fields: BbqlFields<T>): readonly T[] {
  if (sort === undefined || sort.trim() === "") return items;
  const desc = sort.startsWith("-");
  const name = desc ? sort.slice(1) : sort;
  const field = fields[name];
  if (!field) throw new BbqlError(`Invalid sort field '${name}'`);
  const keyed = items.map((item, i) => ({ item, i, v: field.get(item) ?? null }));
  keyed.sort((a, b) => {
    if (a.v === null || b.v === null) return (a.v === null ? 1 : 0) - (b.v === null ? 1 : 0) || a.i - b.i;
    const d = compare(field, a.v, b.v);
    return (desc ? -d : d) || a.i - b.i;
  });
  return keyed.map((k) => k.item);
}
