/**
 * The user-specific subset of CQL that `GET /wiki/rest/api/search/user` accepts (v1 spec, searchUser): `type=user`,
 * `user`, `user.accountid` with `=`, `!=`, `IN`, `NOT IN`, and `user.fullname ~ prefix`; clauses joined with AND.
 */
import type { SimAccount } from "../../tenant/model.js";

/** A CQL query this endpoint cannot parse (the spec's 400). */
export class CqlError extends Error {}

type Predicate = (a: SimAccount) => boolean;

const TOKEN = /\s*(?:("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(!=|=|~|\(|\)|,)|([^\s=!~(),"']+))/y;

function tokenize(cql: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let rest = cql.trim();
  while (rest.length > 0) {
    TOKEN.lastIndex = 0;
    const m = TOKEN.exec(rest);
    if (!m) throw new CqlError(`Could not parse cql: ${cql}`);
    out.push(m[1] ?? m[2] ?? m[3] ?? "");
    rest = rest.slice(m[0].length).trimStart();
  }
  return out;
}

const unquote = (t: string) => (/^["']/.test(t) ? t.slice(1, -1).replace(/\\(.)/g, "$1") : t);

/** Parses a user-search CQL query into a predicate over accounts. */
export function parseUserCql(cql: string): Predicate {
  const tokens = tokenize(cql);
  if (tokens.length === 0) throw new CqlError("cql is required");
  let i = 0;
  const next = () => {
    const t = tokens[i++];
    if (t === undefined) throw new CqlError(`Could not parse cql: ${cql}`);
    return t;
  };
  const values = (): string[] => {
    if (next() !== "(") throw new CqlError(`Could not parse cql: ${cql}`);
    const out: string[] = [];
    for (;;) {
      out.push(unquote(next()));
      const sep = next();
      if (sep === ")") return out;
      if (sep !== ",") throw new CqlError(`Could not parse cql: ${cql}`);
    }
  };
  const clauses: Predicate[] = [];
  for (;;) {
    const field = next().toLowerCase();
    let op = next().toLowerCase();
    if (op === "not") {
      if (next().toLowerCase() !== "in") throw new CqlError(`Could not parse cql: ${cql}`);
      op = "not in";
    }
    const operand = op === "in" || op === "not in" ? values() : [unquote(next())];
    clauses.push(clause(field, op, operand, cql));
    if (i >= tokens.length) break;
    if (next().toLowerCase() !== "and") throw new CqlError(`Could not parse cql: ${cql}`);
  }
  return (a) => clauses.every((p) => p(a));
}

function clause(field: string, op: string, operand: string[], cql: string): Predicate {
  if (field === "type") {
    if (!(op === "=" || op === "in") || !operand.every((v) => v.toLowerCase() === "user")) {
      throw new CqlError("Only type=user is supported by user search");
    }
    return () => true;
  }
  if (field === "user" || field === "user.accountid") {
    const set = new Set(operand);
    switch (op) {
      case "=":
      case "in":
        return (a) => set.has(a.accountId);
      case "!=":
      case "not in":
        return (a) => !set.has(a.accountId);
    }
  }
  if (field === "user.fullname" && op === "~") {
    // "user.fullname~jo will return users with nickname/full name starting with jo": a prefix of any name word.
    const prefix = (operand[0] ?? "").toLowerCase().replace(/\*$/, "");
    return (a) =>
      a.displayName
        .toLowerCase()
        .split(/\s+/)
        .some((w) => w.startsWith(prefix));
  }
  throw new CqlError(`Unsupported cql clause in user search: ${cql}`);
}
