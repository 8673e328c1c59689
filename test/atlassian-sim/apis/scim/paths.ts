/**
 * SCIM attribute paths and the one filter form Atlassian supports (RFC 7644 §3.4.2.2, §3.5.2; reference §2.3):
 * `attr eq "value"`. Paths may carry a schema URN prefix, a value filter and a sub-attribute,
 * e.g. `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`, `emails[type eq "work"].value`,
 * `members[value eq "…"]`.
 */
import { ATLASSIAN_EXTERNAL, CORE_GROUP, CORE_USER, ENTERPRISE_USER, ScimProblem } from "./common.js";

/** Extension schemas whose attributes live in a sub-object named by the URN. */
export const EXTENSIONS = [ENTERPRISE_USER, ATLASSIAN_EXTERNAL] as const;
export type Extension = (typeof EXTENSIONS)[number];

export interface EqFilter {
  /** Attribute name as written. */
  attr: string;
  value: string | boolean;
}

export interface AttrPath {
  /** The extension the attribute belongs to; undefined for the core schema. */
  extension: Extension | undefined;
  /** Top-level attribute name as written (empty when the path names a whole extension object). */
  attr: string;
  filter: EqFilter | undefined;
  sub: string | undefined;
}

const NAME = "[A-Za-z$][\\w$-]*";
const PATH_RE = new RegExp(`^(${NAME})(?:\\[\\s*(.+?)\\s*\\])?(?:\\.(${NAME}))?$`);
const EQ_RE = new RegExp(`^(${NAME}(?:\\.${NAME})?)\\s+eq\\s+("(?:[^"\\\\]|\\\\.)*"|true|false)$`, "i");

/** Parses a PATCH `path` or an `attributes` entry; a malformed one is `invalidPath`. */
export function parsePath(raw: string): AttrPath {
  let rest = raw.trim();
  const lower = rest.toLowerCase();
  let extension: Extension | undefined;
  for (const urn of EXTENSIONS) {
    const u = urn.toLowerCase();
    if (lower === u) return { extension: urn, attr: "", filter: undefined, sub: undefined };
    if (lower.startsWith(`${u}:`)) {
      extension = urn;
      rest = rest.slice(urn.length + 1);
      break;
    }
  }
  if (!extension) {
    for (const urn of [CORE_USER, CORE_GROUP]) {
      if (lower.startsWith(`${urn.toLowerCase()}:`)) rest = rest.slice(urn.length + 1);
    }
  }
  const m = PATH_RE.exec(rest);
  if (!m?.[1]) throw new ScimProblem(400, "invalidPath", `Invalid attribute path: ${raw}`);
  return { extension, attr: m[1], filter: m[2] === undefined ? undefined : parseEq(m[2]), sub: m[3] };
}

/** Parses `attr eq "value"` (operator and attribute case-insensitive); anything else is `invalidFilter`. */
export function parseEq(raw: string): EqFilter {
  const m = EQ_RE.exec(raw.trim());
  if (!m?.[1] || m[2] === undefined) {
    throw new ScimProblem(
      400,
      "invalidFilter",
      `Unsupported filter: ${raw}. Only a single "eq" comparison is supported`,
    );
  }
  const literal = m[2];
  if (!literal.startsWith('"')) return { attr: m[1], value: literal.toLowerCase() === "true" };
  let value: unknown;
  try {
    value = JSON.parse(literal);
  } catch {
    throw new ScimProblem(400, "invalidFilter", `Invalid string in filter: ${raw}`);
  }
  return { attr: m[1], value: String(value) };
}

/**
 * Parses a list `filter` that may compare only the named attributes with `eq` and a string; returns the canonical
 * attribute name and the value. The resource's core URN may prefix the attribute.
 */
export function parseListFilter(raw: string, allowed: readonly string[]): { attr: string; value: string } {
  let text = raw.trim();
  for (const urn of [CORE_USER, CORE_GROUP]) {
    if (text.toLowerCase().startsWith(`${urn.toLowerCase()}:`)) text = text.slice(urn.length + 1);
  }
  const f = parseEq(text);
  const canonical = allowed.find((a) => a.toLowerCase() === f.attr.toLowerCase());
  if (!canonical || typeof f.value !== "string") {
    throw new ScimProblem(400, "invalidFilter", `Filtering is supported only with "eq" on ${allowed.join(" or ")}`);
  }
  return { attr: canonical, value: f.value };
}
