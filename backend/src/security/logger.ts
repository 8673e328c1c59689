/**
 * Structured JSON logging with deep redaction (reliability cases X1, X2).
 *
 * One JSON object per line: `{"level":"info","time":"…","msg":"…", …bindings, …fields}`. Child loggers add bound
 * fields. Every value goes through {@link redact} before it is serialized:
 *
 * - **Keys** that name credentials (authorization, cookie, set-cookie, token, secret, password, api key,
 *   `x-forge-oauth-*`, private key, credential, session id, jwt; compared case- and punctuation-insensitively)
 *   have their whole value replaced, however deep and whatever its type.
 * - **{@link Secret}** values print as `[REDACTED]`.
 * - **Strings** are scrubbed of query parameters such as `token=`/`key=`/`secret=`, URL user-info,
 *   `Bearer …`/`Basic …` credentials, JWTs, accessmap API keys, Atlassian API tokens and JSON-embedded
 *   `"token":"…"` pairs.
 * - **Headers** (`Headers`, `Map`, `[name, value]` pairs and flat `rawHeaders` arrays) are redacted by name.
 * - **Errors** become `{ type, message, code, status, stack, …own fields, cause }`, recursively: an undici
 *   `fetch failed` whose `cause` holds request headers is redacted like any other object (X2).
 * - Bytes are never printed (only their length); cycles, depth, key counts and string lengths are bounded.
 *
 * Logging never throws.
 *
 * @module
 */
import { Secret } from "../config/secret.js";

export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LogLevel = keyof typeof LOG_LEVELS;
export type LogFields = Readonly<Record<string, unknown>>;

export const REDACTED = "[REDACTED]";

const MAX_DEPTH = 12;
const MAX_ITEMS = 200;
const MAX_STRING = 16_384;
const MAX_CAUSES = 8;

// ---------------------------------------------------------------------------------------------------------------
// Sensitive names

/** Substrings of a normalized key (lowercase, letters and digits only) that mark it as secret-bearing. */
const SENSITIVE_PARTS = [
  "authorization",
  "cookie",
  "token",
  "secret",
  "password",
  "passwd",
  "passphrase",
  "apikey",
  "xforgeoauth",
  "privatekey",
  "signingkey",
  "accesskey",
  "masterkey",
  "credential",
  "sessionid",
  "jwt",
  "bearer",
];
const SENSITIVE_EXACT = new Set(["auth", "pwd", "pass", "dek", "xapikey", "proxyauthorization"]);

/** True when a field or header name is one whose value must never be logged. */
export function isSensitiveKey(key: string): boolean {
  const norm = key.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (norm === "") return false;
  if (SENSITIVE_EXACT.has(norm)) return true;
  // `tokenUrl`, `jwksUri`: the value is a URL, which string redaction scrubs; the name itself is not a secret.
  if (norm.endsWith("url") || norm.endsWith("uri")) return false;
  return SENSITIVE_PARTS.some((p) => norm.includes(p));
}

function looksLikeHeaderName(s: string): boolean {
  return s.length > 0 && s.length <= 64 && /^[A-Za-z0-9_.:-]+$/.test(s);
}

// ---------------------------------------------------------------------------------------------------------------
// Strings

/** A parameter or field name that carries a credential (`token`, `access_token`, `api_key`, `sig`, `code`, …). */
const SECRET_NAME_RE = /token|key|secret|passw(?:or)?d|pwd|sig|auth|code|credential|session|jwt|cookie/i;
const NAME_CHARS = String.raw`A-Za-z0-9_.\-\[\]`;

/*
 * Every pattern starts at a fixed token or at the start of a run (a lookbehind), so the scan stays linear in the
 * string length: no catastrophic backtracking on long base64 blobs or dotted names.
 */
const STRING_RULES: readonly [RegExp, (substring: string, ...groups: string[]) => string][] = [
  // URL user-info: scheme://user:pass@host, scheme://token@host
  [/(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]+@/gi, (_m, scheme) => `${scheme}${REDACTED}@`],
  // JSON embedded in a message or body: "access_token":"…" (also an unterminated value at the end of a cut body)
  [
    /"([^"\\]{0,100})"(\s*:\s*)"(?:[^"\\]|\\.){0,8192}"?/g,
    (m, name, colon) => (isSensitiveKey(name) || SECRET_NAME_RE.test(name) ? `"${name}"${colon}"${REDACTED}"` : m),
  ],
  // util.inspect style: { token: 'abc' }
  [
    /(?<![A-Za-z0-9_$-])([A-Za-z0-9_$-]{1,100})(\s*:\s*)'(?:[^'\\]|\\.){0,8192}'?/g,
    (m, name, colon) => (isSensitiveKey(name) ? `${name}${colon}'${REDACTED}'` : m),
  ],
  // Query or form parameters: ?token=…, &api_key=…, access_token=…
  [
    new RegExp(`(?<![${NAME_CHARS}])([${NAME_CHARS}]{1,100})=([^&\\s#"'<>,;]+)`, "g"),
    (m, name) => (SECRET_NAME_RE.test(name) ? `${name}=${REDACTED}` : m),
  ],
  // Authorization schemes in free text.
  [
    /\b(Bearer|Basic|Digest|Token|SSWS|Bot)(\s+)[A-Za-z0-9._~+/=-]{6,}/gi,
    (_m, scheme, sp) => `${scheme}${sp}${REDACTED}`,
  ],
  // JWTs (FITs, Forge OAuth tokens).
  [/(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, () => REDACTED],
  // accessmap API keys keep their id.
  [/(?<![A-Za-z0-9_-])(am_[0-9a-f]{16}_)[A-Za-z0-9_-]{20,}/g, (_m, prefix) => `${prefix}${REDACTED}`],
  // Atlassian API tokens and Bitbucket app passwords.
  [/(?<![A-Za-z0-9_-])(?:ATATT|ATCTT|ATBB|ATOAT)[A-Za-z0-9_=+/-]{12,}/g, () => REDACTED],
];

/** Scrubs credentials that appear inside a string (URLs, messages, stacks). Never throws. */
export function redactString(value: string): string {
  // Bound the regex work first (generously, so the cut is far from what is finally printed).
  const cut = value.length > 4 * MAX_STRING;
  let out = cut ? value.slice(0, 4 * MAX_STRING) : value;
  for (const [re, replace] of STRING_RULES) out = out.replace(re, replace);
  if (cut || out.length > MAX_STRING) out = `${out.slice(0, MAX_STRING)}…[truncated]`;
  return out;
}

function redactUrl(url: URL): string {
  try {
    const u = new URL(url.href);
    if (u.username || u.password) {
      u.username = REDACTED;
      u.password = "";
    }
    for (const name of [...new Set(u.searchParams.keys())]) {
      if (isSensitiveKey(name) || SECRET_NAME_RE.test(name)) u.searchParams.set(name, REDACTED);
    }
    return redactString(u.href);
  } catch {
    return REDACTED;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Values

type Ancestors = Set<object>;

/**
 * A JSON-safe copy of `value` with every credential replaced by `[REDACTED]`. Never throws; never returns a value
 * that `JSON.stringify` could choke on (no cycles, BigInts or getters).
 */
export function redact(value: unknown): unknown {
  try {
    return walk(value, 0, new Set());
  } catch {
    return "[Unserializable]";
  }
}

/** An `Error` (or any thrown value) as a redacted plain object: type, message, code, status, stack, cause chain. */
export function serializeError(err: unknown): unknown {
  try {
    return err instanceof Error ? errorToObject(err, 0, new Set([err])) : walk(err, 0, new Set());
  } catch {
    return { type: "Error", message: "[Unserializable]" };
  }
}

function walk(value: unknown, depth: number, ancestors: Ancestors): unknown {
  switch (typeof value) {
    case "string":
      return redactString(value);
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "boolean":
    case "undefined":
      return value;
    case "bigint":
      return value.toString();
    case "symbol":
      return value.toString();
    case "function":
      return `[Function ${value.name || "anonymous"}]`;
  }
  if (value === null) return null;
  const obj = value as object;
  if (obj instanceof Secret) return REDACTED;
  if (depth >= MAX_DEPTH) return "[MaxDepth]";
  if (ancestors.has(obj)) return "[Circular]";
  ancestors.add(obj);
  try {
    return walkObject(obj, depth, ancestors);
  } finally {
    ancestors.delete(obj);
  }
}

function hiddenValue(v: unknown): unknown {
  return v === undefined || v === null || v === "" ? v : REDACTED;
}

function bytesLabel(obj: object): string | null {
  if (obj instanceof ArrayBuffer) return `[ArrayBuffer ${obj.byteLength} bytes]`;
  if (ArrayBuffer.isView(obj)) return `[${obj.constructor?.name ?? "Bytes"} ${obj.byteLength} bytes]`;
  return null;
}

function isHeadersLike(obj: object): obj is { forEach(cb: (value: string, key: string) => void): void } {
  return (
    (typeof Headers !== "undefined" && obj instanceof Headers) ||
    (typeof (obj as { get?: unknown }).get === "function" &&
      typeof (obj as { has?: unknown }).has === "function" &&
      typeof (obj as { forEach?: unknown }).forEach === "function" &&
      typeof (obj as { getSetCookie?: unknown }).getSetCookie === "function")
  );
}

function fromPairs(pairs: Iterable<[string, unknown]>, depth: number, ancestors: Ancestors): Record<string, unknown> {
  const out: [string, unknown][] = [];
  for (const [k, v] of pairs) {
    if (out.length >= MAX_ITEMS) {
      out.push(["…", "[more keys omitted]"]);
      break;
    }
    out.push([redactString(k), isSensitiveKey(k) ? hiddenValue(v) : walk(v, depth + 1, ancestors)]);
  }
  // fromEntries defines own properties: a "__proto__" key stays a key.
  return Object.fromEntries(out);
}

function walkObject(obj: object, depth: number, ancestors: Ancestors): unknown {
  if (obj instanceof Error) return errorToObject(obj, depth, ancestors);
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? "Invalid Date" : obj.toISOString();
  if (obj instanceof URL) return redactUrl(obj);
  if (obj instanceof RegExp) return String(obj);
  const bytes = bytesLabel(obj);
  if (bytes !== null) return bytes;
  if (obj instanceof URLSearchParams) return fromPairs(obj.entries(), depth, ancestors);
  if (isHeadersLike(obj)) {
    const pairs: [string, unknown][] = [];
    obj.forEach((v, k) => {
      pairs.push([k, v]);
    });
    return fromPairs(pairs, depth, ancestors);
  }
  if (obj instanceof Map) {
    const entries = [...obj.entries()].slice(0, MAX_ITEMS);
    if (entries.every(([k]) => typeof k === "string")) return fromPairs(entries, depth, ancestors);
    return entries.map(([k, v]) => [
      walk(k, depth + 1, ancestors),
      typeof k === "string" && isSensitiveKey(k) ? hiddenValue(v) : walk(v, depth + 1, ancestors),
    ]);
  }
  if (obj instanceof Set) return walkArray([...obj].slice(0, MAX_ITEMS + 1), depth, ancestors);
  if (Array.isArray(obj)) return walkArray(obj, depth, ancestors);
  if (obj instanceof Promise || obj instanceof WeakMap || obj instanceof WeakSet) return `[${obj.constructor.name}]`;
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    let json: unknown;
    try {
      json = toJSON.call(obj);
    } catch {
      return "[Unserializable]";
    }
    return json === obj ? "[Circular]" : walk(json, depth + 1, ancestors);
  }
  const pairs: [string, unknown][] = [];
  for (const key of Object.keys(obj)) {
    let v: unknown;
    try {
      v = (obj as Record<string, unknown>)[key];
    } catch {
      v = "[Unreadable]";
    }
    pairs.push([key, v]);
    if (pairs.length > MAX_ITEMS) break;
  }
  return fromPairs(pairs, depth, ancestors);
}

/**
 * Arrays, with two header shapes recognized: `[name, value]` pairs (handled by recursion) and flat
 * `rawHeaders` lists (`["authorization", "Bearer …", "host", "…"]`), where a sensitive name hides the next item.
 */
function walkArray(arr: readonly unknown[], depth: number, ancestors: Ancestors): unknown[] {
  const out: unknown[] = [];
  const n = Math.min(arr.length, MAX_ITEMS);
  for (let i = 0; i < n; i++) {
    const el = arr[i];
    if (typeof el === "string" && i + 1 < arr.length && looksLikeHeaderName(el) && isSensitiveKey(el)) {
      out.push(el, hiddenValue(arr[i + 1]));
      i++;
      continue;
    }
    out.push(walk(el, depth + 1, ancestors));
  }
  if (arr.length > n) out.push(`[${arr.length - n} more items]`);
  return out;
}

const ERROR_OWN_SKIP = new Set(["name", "message", "stack", "cause", "code", "status", "statusCode", "errors"]);

function errorToObject(err: Error, depth: number, ancestors: Ancestors, causeDepth = 0): Record<string, unknown> {
  const read = (k: string): unknown => {
    try {
      return (err as unknown as Record<string, unknown>)[k];
    } catch {
      return undefined;
    }
  };
  const out: [string, unknown][] = [];
  const name = read("name");
  out.push(["type", typeof name === "string" && name ? name : (err.constructor?.name ?? "Error")]);
  const message = read("message");
  out.push(["message", typeof message === "string" ? redactString(message) : walk(message, depth + 1, ancestors)]);
  const code = read("code");
  if (typeof code === "string" || typeof code === "number") out.push(["code", walk(code, depth + 1, ancestors)]);
  const status = read("status") ?? read("statusCode");
  if (typeof status === "number" || typeof status === "string")
    out.push(["status", walk(status, depth + 1, ancestors)]);
  const stack = read("stack");
  if (typeof stack === "string") out.push(["stack", redactString(stack)]);

  const own: [string, unknown][] = [];
  for (const key of Object.keys(err)) {
    if (!ERROR_OWN_SKIP.has(key)) own.push([key, read(key)]);
  }
  if (own.length > 0) out.push(...Object.entries(fromPairs(own, depth, ancestors)));

  const errors = read("errors");
  if (Array.isArray(errors)) out.push(["errors", walk(errors, depth + 1, ancestors)]);

  const cause = read("cause");
  if (cause !== undefined) {
    let serialized: unknown;
    if (causeDepth >= MAX_CAUSES) serialized = "[cause chain truncated]";
    else if (cause instanceof Error && !ancestors.has(cause) && depth + 1 < MAX_DEPTH) {
      ancestors.add(cause);
      try {
        serialized = errorToObject(cause, depth + 1, ancestors, causeDepth + 1);
      } finally {
        ancestors.delete(cause);
      }
    } else serialized = walk(cause, depth + 1, ancestors);
    out.push(["cause", serialized]);
  }
  return Object.fromEntries(out);
}

// ---------------------------------------------------------------------------------------------------------------
// Logger

export interface Logger {
  readonly level: LogLevel | "silent";
  trace(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  fatal(msg: string, fields?: LogFields): void;
  /** A logger whose lines carry `bindings` too (redacted once, here). */
  child(bindings: LogFields): Logger;
  isLevelEnabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  /** Lowest level written. Default `info`. `silent` writes nothing. */
  level?: LogLevel | "silent";
  /** Receives each line, newline included. Default `process.stdout.write`. */
  write?: (line: string) => void;
  /** Fields on every line. */
  bindings?: LogFields;
  /** Clock for `time`. */
  now?: () => Date;
}

/** Keys the logger owns; a field with one of these names is written as `_<name>`. */
const RESERVED = new Set(["level", "time", "msg"]);

/** Parses `LOG_LEVEL`-style input; unknown values give `fallback`. */
export function parseLogLevel(value: string | undefined, fallback: LogLevel | "silent" = "info"): LogLevel | "silent" {
  const v = value?.trim().toLowerCase();
  if (v === "silent") return "silent";
  return v !== undefined && Object.hasOwn(LOG_LEVELS, v) ? (v as LogLevel) : fallback;
}

interface Core {
  threshold: number;
  level: LogLevel | "silent";
  write: (line: string) => void;
  now: () => Date;
}

function redactFields(fields: LogFields | undefined): [string, unknown][] {
  if (fields === undefined || fields === null || typeof fields !== "object") return [];
  const red = redact(fields);
  if (red === null || typeof red !== "object" || Array.isArray(red)) return [["fields", red]];
  return Object.entries(red).map(([k, v]) => [RESERVED.has(k) ? `_${k}` : k, v]);
}

class JsonLogger implements Logger {
  readonly #core: Core;
  readonly #bindings: readonly [string, unknown][];

  constructor(core: Core, bindings: readonly [string, unknown][]) {
    this.#core = core;
    this.#bindings = bindings;
  }

  get level(): LogLevel | "silent" {
    return this.#core.level;
  }

  isLevelEnabled(level: LogLevel): boolean {
    return LOG_LEVELS[level] >= this.#core.threshold;
  }

  child(bindings: LogFields): Logger {
    return new JsonLogger(this.#core, [...this.#bindings, ...redactFields(bindings)]);
  }

  trace(msg: string, fields?: LogFields): void {
    this.#log("trace", msg, fields);
  }
  debug(msg: string, fields?: LogFields): void {
    this.#log("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#log("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#log("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#log("error", msg, fields);
  }
  fatal(msg: string, fields?: LogFields): void {
    this.#log("fatal", msg, fields);
  }

  #log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (LOG_LEVELS[level] < this.#core.threshold) return;
    let line: string;
    let time: string;
    try {
      time = this.#core.now().toISOString();
    } catch {
      time = new Date().toISOString();
    }
    try {
      const text = typeof msg === "string" ? redactString(msg) : redact(msg);
      const entries: [string, unknown][] = [
        ["level", level],
        ["time", time],
        ["msg", text],
        ...this.#bindings,
        ...redactFields(fields),
      ];
      line = JSON.stringify(Object.fromEntries(entries));
    } catch {
      line = JSON.stringify({ level, time, msg: "[log record could not be serialized]" });
    }
    try {
      this.#core.write(`${line}\n`);
    } catch {
      // A broken sink must not break the caller.
    }
  }
}

/**
 * @example
 * const log = createLogger({ level: parseLogLevel(process.env.LOG_LEVEL) }).child({ tenant: "acme" });
 * log.error("bitbucket call failed", { err, url });
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? "info";
  const core: Core = {
    level,
    threshold: level === "silent" ? Number.POSITIVE_INFINITY : LOG_LEVELS[level],
    write: opts.write ?? ((line) => void process.stdout.write(line)),
    now: opts.now ?? (() => new Date()),
  };
  return new JsonLogger(core, redactFields(opts.bindings));
}
