/**
 * Response validator for the published Atlassian OpenAPI 3.0 / Swagger 2.0 documents, used by the contract
 * tests of the Atlassian Cloud simulator.
 *
 * The documents are read from `../shared/atlassian-specs/` beside the checkout (never copied into the repo),
 * parsed once per process, and translated to JSON Schema lazily: only the response schema being checked and
 * the definitions it reaches are converted and compiled. Defects of the published documents are handled by
 * named allowances (`KNOWN_DEFECTS`, `registerAllowance`), never by switching validation off.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2019.js";
import { Ajv2019 } from "ajv/dist/2019.js";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS; under NodeNext its default import is the module object, whose `default` is the plugin.
const addFormats = addFormatsModule.default;

/** The published documents, by file stem. */
export const SPEC_NAMES = [
  "jira-platform-swagger-v3.v3",
  "confluence-v2-openapi-v2.v3",
  "confluence-v1-swagger.v3",
  "admin-organization-swagger.v3",
  "admin-organization-swagger.v3.2026-07-22",
  "admin-user-management-swagger.v3",
  "admin-user-provisioning-swagger.v3",
  "bitbucket-swagger",
] as const;

export type SpecName = (typeof SPEC_NAMES)[number];

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Directory holding the read-only published documents, beside the checkout. */
export const SPECS_DIR = path.resolve(REPO_ROOT, "../shared/atlassian-specs");

/**
 * What the simulator's URL path starts with before the document's `paths` keys begin, per document
 * (the path part of `servers[0].url`, or Swagger's `basePath`). Jira, Confluence v1, user management and SCIM
 * keys already carry their full prefix (`/rest/api/3/…`, `/wiki/rest/api/…`, `/users/{account_id}/manage…`,
 * `/scim/directory/{directoryId}/…`). Confluence v1's one oddity, `/atlassian-connect/1/app/module/dynamic`,
 * carries no `/wiki/rest` prefix at all.
 */
export const SPEC_BASE_PATHS: Readonly<Record<SpecName, string>> = {
  "jira-platform-swagger-v3.v3": "",
  "confluence-v2-openapi-v2.v3": "/wiki/api/v2",
  "confluence-v1-swagger.v3": "",
  "admin-organization-swagger.v3": "/admin",
  "admin-organization-swagger.v3.2026-07-22": "/admin",
  "admin-user-management-swagger.v3": "",
  "admin-user-provisioning-swagger.v3": "",
  "bitbucket-swagger": "/2.0",
};

export const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** A parsed OpenAPI 3.0 or Swagger 2.0 document; only the parts this module reads are typed. */
export interface SpecDocument {
  readonly openapi?: string;
  readonly swagger?: string;
  readonly basePath?: string;
  readonly servers?: readonly { readonly url: string }[];
  readonly produces?: readonly string[];
  readonly paths: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly [key: string]: unknown;
}

/** One problem found while checking a response. `instancePath` is a JSON pointer into the body ("" = root). */
export interface ValidationIssue {
  readonly instancePath: string;
  readonly keyword: string;
  readonly message: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly schemaPath?: string;
}

export type FailureReason =
  | "undocumented-operation"
  | "undocumented-status"
  | "undocumented-content-type"
  | "path-parameter-mismatch"
  | "schema-mismatch";

export interface ValidationResult {
  readonly ok: boolean;
  /** Set exactly when `ok` is false. */
  readonly reason?: FailureReason;
  /** Issues left after allowances; empty when `ok`. */
  readonly errors: readonly ValidationIssue[];
  readonly operationId: string | undefined;
  /** The key in the document's `paths` object that matched. */
  readonly specPath: string | undefined;
  /** The key in the operation's `responses` that matched: the code, an `"4XX"`-style range, or `"default"`. */
  readonly responseKey: string | undefined;
  /** False when the documented response describes no body schema, so nothing about the body was checked. */
  readonly bodyChecked: boolean;
  /** Ids of known defects and registered allowances that this result relied on. */
  readonly appliedAllowances: readonly string[];
}

export interface OperationMatch {
  readonly spec: SpecName;
  readonly method: HttpMethod;
  readonly specPath: string;
  readonly operationId: string | undefined;
  /** Concrete path values keyed by the parameter names the operation declares. */
  readonly pathParams: Readonly<Record<string, string>>;
  /** Disagreements between the template's placeholders and the declared path parameters (a spec defect). */
  readonly parameterIssues: readonly string[];
  readonly appliedAllowances: readonly string[];
}

/** Hooks through which a known defect corrects the document's reading; each one is as narrow as the defect. */
export interface DefectHooks {
  /** Returns the path key to match against, in place of the document's key (which stays the JSON pointer). */
  readonly templateKey?: (key: string) => string;
  /** Names the declared parameter that a template placeholder the operation does not declare stands for. */
  readonly pathParameter?: (ctx: {
    readonly specPath: string;
    readonly method: HttpMethod;
    readonly placeholder: string;
    readonly declared: readonly string[];
  }) => string | undefined;
}

export interface KnownDefect {
  readonly id: string;
  /** The documents the defect is in. */
  readonly spec: readonly SpecName[];
  readonly description: string;
  readonly apply: DefectHooks;
  /** Present when response validation needs no correction for this defect; says why, so the entry still documents it. */
  readonly noOp?: string;
}

const ADMIN_USER_BY_USER_ID = "/v2/orgs/{orgId}/directories/{directoryId}/users/{userId}";
const ADMIN_QUOTED_REVOKE_KEY = "/v2/orgs/{orgId}/directories/{directoryId}/groups/{groupId}/role-assignments/revoke'";

/** The defects listed in PROVENANCE.md that bear on response validation or path matching. */
export const KNOWN_DEFECTS: readonly KnownDefect[] = [
  {
    id: "admin-user-path-param-declared-as-accountId",
    spec: ["admin-organization-swagger.v3", "admin-organization-swagger.v3.2026-07-22"],
    description:
      "GET /v2/orgs/{orgId}/directories/{directoryId}/users/{userId} declares its path parameter as `accountId`; " +
      "the `{userId}` placeholder is read as that parameter.",
    apply: {
      pathParameter: ({ specPath, method, placeholder, declared }) =>
        specPath === ADMIN_USER_BY_USER_ID &&
        method === "get" &&
        placeholder === "userId" &&
        declared.includes("accountId")
          ? "accountId"
          : undefined,
    },
  },
  {
    id: "admin-2026-07-22-stray-quote-in-path-key",
    spec: ["admin-organization-swagger.v3.2026-07-22"],
    description:
      "The path key `…/groups/{groupId}/role-assignments/revoke'` ends in a stray quote; it is matched as if the quote were absent.",
    apply: {
      templateKey: (key) => (key === ADMIN_QUOTED_REVOKE_KEY ? key.slice(0, -1) : key),
    },
  },
  {
    id: "bitbucket-document-invalid-as-a-whole",
    spec: ["bitbucket-swagger"],
    description: "The Swagger document does not validate as a whole (Atlassian issue BCLOUD-17601).",
    apply: {},
    noOp:
      "Handled structurally: only the response schema being checked and the definitions it reaches are converted " +
      "and compiled, so broken unrelated parts are never read.",
  },
  {
    id: "bitbucket-branchrestriction-undeclared-properties",
    spec: ["bitbucket-swagger"],
    description:
      "definitions.branchrestriction declares only `users` and `groups`; `kind`, `pattern`, `value`, " +
      "`branch_match_kind`, `branch_type` arrive as additional properties.",
    apply: {},
    noOp:
      "Both parts of branchrestriction's allOf (definitions.object and its own part) set additionalProperties: true, " +
      "so the extra properties are accepted as they are (untyped); there is nothing to forgive.",
  },
  {
    id: "scim-readonly-fields-written-by-clients",
    spec: ["admin-user-provisioning-swagger.v3"],
    description:
      "ScimGroup.displayName/members and ScimUser.externalId are marked readOnly although clients write them " +
      "(and the PATCH body spells `operations` for RFC 7644's `Operations`).",
    apply: {},
    noOp:
      "readOnly only constrains requests; a readOnly field in a response is expected, and this validator checks " +
      "responses only, so the mislabelling (and the request-only PATCH spelling) cannot trip it.",
  },
];

/** A deliberate deviation of the simulator from one documented response, with the reason for it. */
export interface ResponseAllowance {
  readonly id: string;
  readonly spec: SpecName;
  readonly method: string;
  /** The `paths` key as in the document (or as matched, for keys a known defect rewrites). */
  readonly specPath: string;
  readonly status: number;
  readonly reason: string;
  /** Which issues the deviation explains; when omitted it explains every issue of that response. */
  readonly accepts?: (issue: ValidationIssue) => boolean;
}

const registeredAllowances = new Map<string, ResponseAllowance>();

/** Registers an allowance for one (spec, method, specPath, status); returns a function that removes it again. */
export function registerAllowance(allowance: ResponseAllowance): () => void {
  if (registeredAllowances.has(allowance.id)) throw new Error(`allowance ${allowance.id} is already registered`);
  registeredAllowances.set(allowance.id, allowance);
  return () => {
    registeredAllowances.delete(allowance.id);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Loading

interface SpecState {
  readonly name: SpecName;
  readonly doc: SpecDocument;
  readonly swagger2: boolean;
  /** JSON pointer → ajv id of the converted subschema registered for it. */
  readonly schemaIds: Map<string, string>;
}

const specStates = new Map<SpecName, SpecState>();

function specState(name: SpecName): SpecState {
  let state = specStates.get(name);
  if (!state) {
    const doc = JSON.parse(readFileSync(path.join(SPECS_DIR, `${name}.json`), "utf8")) as SpecDocument;
    state = { name, doc, swagger2: doc.swagger !== undefined, schemaIds: new Map() };
    specStates.set(name, state);
  }
  return state;
}

/** Returns the parsed document, reading and parsing it only on first use in this process. */
export function loadSpec(name: SpecName): SpecDocument {
  return specState(name).doc;
}

/** Maps a simulator URL path (query allowed) to the document-relative path, or undefined if outside the base. */
export function toSpecPath(spec: SpecName, urlPath: string): string | undefined {
  const pathOnly = urlPath.split(/[?#]/, 1)[0] ?? "";
  const base = SPEC_BASE_PATHS[spec];
  if (base === "") return pathOnly;
  if (pathOnly === base) return "/";
  return pathOnly.startsWith(`${base}/`) ? pathOnly.slice(base.length) : undefined;
}

/** Lists every documented operation, for coverage reporting. */
export function listOperations(
  spec: SpecName,
): { readonly method: HttpMethod; readonly path: string; readonly operationId: string | undefined }[] {
  const out: { method: HttpMethod; path: string; operationId: string | undefined }[] = [];
  for (const [specPath, item] of Object.entries(loadSpec(spec).paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (isRecord(op)) out.push({ method, path: specPath, operationId: stringOrUndefined(op.operationId) });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Path matching

type SegmentMatcher =
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "param"; readonly name: string }
  | { readonly kind: "mixed"; readonly regex: RegExp; readonly names: readonly string[] };

interface Route {
  readonly key: string;
  readonly matchKey: string;
  readonly segments: readonly SegmentMatcher[];
  readonly defectIds: readonly string[];
}

// Routes depend on the defect table in force (templateKey hooks), so they are cached per table.
const routeCache = new WeakMap<readonly KnownDefect[], Map<SpecName, readonly Route[]>>();

function defectsFor(spec: SpecName, defects: readonly KnownDefect[]): KnownDefect[] {
  return defects.filter((d) => d.spec.includes(spec));
}

function routesFor(spec: SpecName, defects: readonly KnownDefect[]): readonly Route[] {
  let bySpec = routeCache.get(defects);
  if (!bySpec) {
    bySpec = new Map();
    routeCache.set(defects, bySpec);
  }
  let routes = bySpec.get(spec);
  if (!routes) {
    const applicable = defectsFor(spec, defects);
    routes = Object.keys(loadSpec(spec).paths).map((key) => {
      let matchKey = key;
      const defectIds: string[] = [];
      for (const defect of applicable) {
        const rewritten = defect.apply.templateKey?.(matchKey);
        if (rewritten !== undefined && rewritten !== matchKey) {
          matchKey = rewritten;
          defectIds.push(defect.id);
        }
      }
      return { key, matchKey, segments: splitPath(matchKey).map(segmentMatcher), defectIds };
    });
    bySpec.set(spec, routes);
  }
  return routes;
}

function splitPath(p: string): string[] {
  const trimmed = p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
  return trimmed.split("/").slice(1);
}

function segmentMatcher(segment: string): SegmentMatcher {
  const whole = /^\{([^{}]+)\}$/.exec(segment);
  if (whole?.[1] !== undefined) return { kind: "param", name: whole[1] };
  if (!segment.includes("{")) return { kind: "literal", text: segment };
  // e.g. Bitbucket's `{repo_name}-issues-{task_id}.zip`
  const names: string[] = [];
  const source = segment
    .split(/(\{[^{}]+\})/)
    .map((part) => {
      const name = /^\{([^{}]+)\}$/.exec(part)?.[1];
      if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(name);
      return "(.+?)";
    })
    .join("");
  return { kind: "mixed", regex: new RegExp(`^${source}$`), names };
}

// Literal segments outrank partly templated ones, which outrank whole placeholders.
const SEGMENT_RANK = { literal: 2, mixed: 1, param: 0 } as const;

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

interface PathCandidate {
  readonly route: Route;
  readonly values: ReadonlyMap<string, string>;
  readonly rank: readonly number[];
}

function matchRoutes(spec: SpecName, concretePath: string, defects: readonly KnownDefect[]): PathCandidate[] {
  const segments = splitPath(concretePath.split(/[?#]/, 1)[0] ?? "").map(decodeSegment);
  const candidates: PathCandidate[] = [];
  for (const route of routesFor(spec, defects)) {
    if (route.segments.length !== segments.length) continue;
    const values = new Map<string, string>();
    const rank: number[] = [];
    const matched = route.segments.every((matcher, i) => {
      const segment = segments[i] ?? "";
      rank.push(SEGMENT_RANK[matcher.kind]);
      if (matcher.kind === "literal") return matcher.text === segment;
      if (matcher.kind === "param") {
        values.set(matcher.name, segment);
        return segment !== "";
      }
      const m = matcher.regex.exec(segment);
      for (const [j, name] of matcher.names.entries()) values.set(name, m?.[j + 1] ?? "");
      return m !== null;
    });
    if (matched) candidates.push({ route, values, rank });
  }
  // Compare left to right, so `/group/bulk` beats `/group/{groupname}`.
  return candidates.sort((a, b) => {
    for (let i = 0; i < a.rank.length; i++) {
      const diff = (b.rank[i] ?? 0) - (a.rank[i] ?? 0);
      if (diff !== 0) return diff;
    }
    return 0;
  });
}

function toMethod(method: string): HttpMethod | undefined {
  const lower = method.toLowerCase();
  return HTTP_METHODS.find((m) => m === lower);
}

/**
 * Finds the operation for a concrete document-relative path: among templates that match and document the method,
 * the one with the most literal segments (left to right) wins.
 */
export function findOperation(
  spec: SpecName,
  method: string,
  concretePath: string,
  options: { readonly knownDefects?: readonly KnownDefect[] } = {},
): OperationMatch | undefined {
  const knownDefects = options.knownDefects ?? KNOWN_DEFECTS;
  const httpMethod = toMethod(method);
  if (!httpMethod) return undefined;
  const state = specState(spec);
  // A caller may pass a `paths` key itself; it then gets exactly that key, in its defect-corrected form.
  // The method filter comes before ranking because some documents split one path shape across keys by method
  // (Jira `/field/{fieldId}` PUT vs `/field/{id}` DELETE).
  const lookupPath = routesFor(spec, knownDefects).find((r) => r.key === concretePath)?.matchKey ?? concretePath;
  const candidates = matchRoutes(spec, lookupPath, knownDefects).filter((c) =>
    isRecord(state.doc.paths[c.route.key]?.[httpMethod]),
  );
  const candidate = candidates.find((c) => c.route.key === concretePath) ?? candidates[0];
  if (!candidate) return undefined;
  const { route, values } = candidate;
  const item = state.doc.paths[route.key] ?? {};
  const op = item[httpMethod] as Record<string, unknown>;

  const declared = [...asArray(item.parameters), ...asArray(op.parameters)]
    .map((p) => resolveRef(state, p, "").node)
    .filter((p): p is Record<string, unknown> => isRecord(p) && p.in === "path" && typeof p.name === "string")
    .map((p) => p.name as string);
  const applied = [...route.defectIds];
  const pathParams: Record<string, string> = {};
  const parameterIssues: string[] = [];
  for (const [placeholder, value] of values) {
    let name: string | undefined = declared.includes(placeholder) ? placeholder : undefined;
    for (const defect of defectsFor(spec, knownDefects)) {
      if (name !== undefined) break;
      name = defect.apply.pathParameter?.({ specPath: route.key, method: httpMethod, placeholder, declared });
      if (name !== undefined) applied.push(defect.id);
    }
    if (name === undefined) parameterIssues.push(`placeholder {${placeholder}} is not a declared path parameter`);
    pathParams[name ?? placeholder] = value;
  }
  for (const name of declared) {
    if (!(name in pathParams)) parameterIssues.push(`declared path parameter ${name} has no placeholder`);
  }
  return {
    spec,
    method: httpMethod,
    specPath: route.key,
    operationId: stringOrUndefined(op.operationId),
    pathParams,
    parameterIssues,
    appliedAllowances: applied,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Response lookup

/** Picks the `responses` key for a status: the exact code, else its `"4XX"`-style range, else `"default"`. */
export function responseKeyFor(keys: readonly string[], status: number): string | undefined {
  const range = `${Math.floor(status / 100)}XX`;
  return (
    keys.find((k) => k === String(status)) ??
    keys.find((k) => k.toUpperCase() === range) ??
    keys.find((k) => k === "default")
  );
}

function mediaType(contentType: string): string {
  return (contentType.split(";", 1)[0] ?? "").trim().toLowerCase();
}

function pickMediaType(keys: readonly string[], contentType: string | undefined): string | undefined {
  if (contentType === undefined) {
    return (
      keys.find((k) => mediaType(k) === "application/json") ??
      keys.find((k) => /[/+]json$/.test(mediaType(k))) ??
      keys.find((k) => mediaType(k) === "*/*") ??
      keys[0]
    );
  }
  const wanted = mediaType(contentType);
  return (
    keys.find((k) => mediaType(k) === wanted) ??
    keys.find((k) => {
      const m = mediaType(k);
      return m === "*/*" || (m.endsWith("/*") && wanted.startsWith(m.slice(0, -1)));
    })
  );
}

// Status codes whose responses cannot carry a body (RFC 9110).
const BODYLESS_STATUSES = new Set([204, 205, 304]);

export interface ValidateResponseInput {
  readonly spec: SpecName;
  readonly method: string;
  /** The request path relative to the document's `paths` (see `toSpecPath`): concrete, or a `paths` key itself. */
  readonly path: string;
  readonly status: number;
  readonly contentType?: string;
  /** The parsed JSON body; undefined when the response had none. */
  readonly body: unknown;
  /** Overrides the defect table (tests use `[]` to show what a strict reading trips on). */
  readonly knownDefects?: readonly KnownDefect[];
}

/**
 * Validates one response against the documented operation; undocumented operations, statuses and content types
 * are results, while an unresolvable `$ref` in the reached schemas (a broken document) throws.
 */
export function validateResponse(input: ValidateResponseInput): ValidationResult {
  const state = specState(input.spec);
  const match = findOperation(input.spec, input.method, input.path, { knownDefects: input.knownDefects });
  if (!match) {
    const pathKeys = matchRoutes(input.spec, input.path, input.knownDefects ?? KNOWN_DEFECTS).map((c) => c.route.key);
    const message =
      pathKeys.length === 0
        ? `${input.method.toUpperCase()} ${input.path}: no path template in ${input.spec} matches`
        : `${input.method.toUpperCase()} ${input.path}: ${pathKeys.join(", ")} document no ${input.method.toUpperCase()}`;
    return {
      ok: false,
      reason: "undocumented-operation",
      errors: [issue("undocumented-operation", message)],
      operationId: undefined,
      specPath: undefined,
      responseKey: undefined,
      bodyChecked: false,
      appliedAllowances: [],
    };
  }

  const issues: ValidationIssue[] = match.parameterIssues.map((m) => issue("path-parameter-mismatch", m));
  const opPointer = `#/paths/${escapePointer(match.specPath)}/${match.method}`;
  const op = resolvePointer(state.doc, opPointer) as Record<string, unknown>;
  const responses = isRecord(op.responses) ? op.responses : {};
  const responseKey = responseKeyFor(Object.keys(responses), input.status);
  let bodyChecked = false;

  if (responseKey === undefined) {
    issues.push(
      issue(
        "undocumented-status",
        `status ${input.status} is not documented (documented: ${Object.keys(responses).join(", ")})`,
      ),
    );
  } else {
    const response = resolveRef(state, responses[responseKey], `${opPointer}/responses/${escapePointer(responseKey)}`);
    // An absent Content-Type header often arrives as "", which means the same as undefined here.
    const schemaPointer = responseSchemaPointer(state, op, response, input.contentType || undefined, issues);
    if (BODYLESS_STATUSES.has(input.status) && input.body !== undefined && input.body !== "") {
      issues.push(issue("unexpected-body", `status ${input.status} must not carry a body`));
    }
    if (schemaPointer !== undefined) {
      bodyChecked = true;
      if (input.body === undefined) {
        issues.push(
          issue("missing-body", `status ${input.status} documents a body schema but the response had no body`),
        );
      } else {
        const validate = compiledValidator(state, schemaPointer);
        if (!validate(input.body)) issues.push(...(validate.errors ?? []).map(ajvIssue));
      }
    }
  }

  const applied = [...match.appliedAllowances];
  const remaining = applyRegisteredAllowances(match, input, issues, applied);
  return {
    ok: remaining.length === 0,
    ...(remaining.length > 0 ? { reason: failureReason(remaining) } : {}),
    errors: remaining,
    operationId: match.operationId,
    specPath: match.specPath,
    responseKey,
    bodyChecked,
    appliedAllowances: applied,
  };
}

/** Returns the pointer of the body schema to check, or undefined when the response describes none. */
function responseSchemaPointer(
  state: SpecState,
  op: Record<string, unknown>,
  response: { node: unknown; pointer: string },
  contentType: string | undefined,
  issues: ValidationIssue[],
): string | undefined {
  if (!isRecord(response.node)) return undefined;
  if (state.swagger2) {
    const produces = asArray(op.produces ?? state.doc.produces).filter((p): p is string => typeof p === "string");
    if (contentType !== undefined && produces.length > 0) {
      const wanted = mediaType(contentType);
      if (!produces.some((p) => mediaType(p) === wanted || mediaType(p) === "*/*")) {
        issues.push(
          issue("undocumented-content-type", `content type ${wanted} is not produced (${produces.join(", ")})`),
        );
        return undefined;
      }
    }
    return isRecord(response.node.schema) ? `${response.pointer}/schema` : undefined;
  }
  const content = isRecord(response.node.content) ? response.node.content : {};
  const keys = Object.keys(content);
  // An absent or empty `content` documents no payload, so there is nothing to check the body against.
  if (keys.length === 0) return undefined;
  const key = pickMediaType(keys, contentType);
  if (key === undefined) {
    issues.push(
      issue("undocumented-content-type", `content type ${contentType} is not documented (${keys.join(", ")})`),
    );
    return undefined;
  }
  const media = content[key];
  return isRecord(media) && media.schema !== undefined
    ? `${response.pointer}/content/${escapePointer(key)}/schema`
    : undefined;
}

function applyRegisteredAllowances(
  match: OperationMatch,
  input: ValidateResponseInput,
  issues: readonly ValidationIssue[],
  applied: string[],
): ValidationIssue[] {
  const routes = routesFor(match.spec, input.knownDefects ?? KNOWN_DEFECTS);
  const normalisedPath = routes.find((r) => r.key === match.specPath)?.matchKey;
  const allowances = [...registeredAllowances.values()].filter(
    (a) =>
      a.spec === match.spec &&
      a.method.toLowerCase() === match.method &&
      (a.specPath === match.specPath || a.specPath === normalisedPath) &&
      a.status === input.status,
  );
  return issues.filter((i) => {
    const allowance = allowances.find((a) => a.accepts === undefined || a.accepts(i));
    if (!allowance) return true;
    if (!applied.includes(allowance.id)) applied.push(allowance.id);
    return false;
  });
}

const REASON_BY_KEYWORD: Readonly<Record<string, FailureReason>> = {
  "path-parameter-mismatch": "path-parameter-mismatch",
  "undocumented-status": "undocumented-status",
  "undocumented-content-type": "undocumented-content-type",
};
const REASON_PRIORITY: readonly FailureReason[] = [
  "path-parameter-mismatch",
  "undocumented-status",
  "undocumented-content-type",
  "schema-mismatch",
];

function failureReason(issues: readonly ValidationIssue[]): FailureReason {
  const reasons = new Set(issues.map((i) => REASON_BY_KEYWORD[i.keyword] ?? "schema-mismatch"));
  return REASON_PRIORITY.find((r) => reasons.has(r)) ?? "schema-mismatch";
}

function issue(keyword: string, message: string): ValidationIssue {
  return { instancePath: "", keyword, message, params: {} };
}

function ajvIssue(e: ErrorObject): ValidationIssue {
  let detail = e.message ?? e.keyword;
  const params = e.params as Record<string, unknown>;
  if (e.keyword === "additionalProperties") detail += `: ${JSON.stringify(params.additionalProperty)}`;
  if (e.keyword === "unevaluatedProperties") detail += `: ${JSON.stringify(params.unevaluatedProperty)}`;
  if (e.keyword === "enum") detail += `: ${JSON.stringify(params.allowedValues)}`;
  return {
    instancePath: e.instancePath,
    keyword: e.keyword,
    message: `${e.instancePath || "(root)"} ${detail}`,
    params,
    schemaPath: e.schemaPath,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Schema conversion and compilation

let sharedAjv: Ajv2019 | undefined;

function ajv(): Ajv2019 {
  if (!sharedAjv) {
    // Draft 2019-09 for `unevaluatedProperties`, which expresses what OpenAPI's additionalProperties: false next to
    // allOf/oneOf means; strict off because annotations of other vocabularies must pass through harmlessly.
    sharedAjv = new Ajv2019({ strict: false, allErrors: true });
    addFormats(sharedAjv);
  }
  return sharedAjv;
}

/** Number of subschemas converted and registered for a document so far (shows that compilation is lazy). */
export function compiledSchemaCount(spec: SpecName): number {
  return specStates.get(spec)?.schemaIds.size ?? 0;
}

function compiledValidator(state: SpecState, pointer: string): ValidateFunction {
  const id = schemaId(state, pointer);
  const validate = ajv().getSchema(id);
  if (!validate) throw new Error(`${state.name}: could not compile ${pointer}`);
  return validate;
}

/** Registers the converted subschema at `pointer` (and, recursively, what it references) under an ajv id. */
function schemaId(state: SpecState, pointer: string): string {
  const known = state.schemaIds.get(pointer);
  if (known !== undefined) return known;
  const id = `https://openapi.accessmap.invalid/${state.name}/${state.schemaIds.size}`;
  // Registered before converting so that recursive references terminate.
  state.schemaIds.set(pointer, id);
  try {
    const node = resolvePointer(state.doc, pointer);
    if (node === undefined) throw new Error(`${state.name}: unresolvable reference ${pointer}`);
    ajv().addSchema(toJsonSchema(state, node), id);
  } catch (error) {
    state.schemaIds.delete(pointer);
    throw error;
  }
  return id;
}

const JSON_TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);
const NUMERIC_KEYWORDS = [
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "multipleOf",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
] as const;

type JsonSchema = Record<string, unknown>;

/**
 * Converts an OpenAPI 3.0 / Swagger 2.0 schema object into JSON Schema 2019-09, keeping only validation keywords;
 * annotations (`example`, `x-*`, `readOnly`, `writeOnly`, `xml`, …) are dropped so they can never reject a body.
 */
function toJsonSchema(state: SpecState, node: unknown): JsonSchema | boolean {
  if (typeof node === "boolean") return node;
  if (!isRecord(node)) return {};
  const nullable = node.nullable === true || node["x-nullable"] === true;
  if (typeof node.$ref === "string") {
    // OpenAPI 3.0 ignores siblings of $ref (Admin has `type: "GroupCounts"` beside one); `nullable` beside it is
    // still honoured because the documents use it to say the referenced object may be null.
    const ref: JsonSchema = { $ref: schemaId(state, node.$ref) };
    return nullable ? allowNull(ref) : ref;
  }

  const out: JsonSchema = {};
  const types = (Array.isArray(node.type) ? node.type : [node.type]).filter(
    (t): t is string => typeof t === "string" && JSON_TYPES.has(t),
  );
  if (types.length > 0) out.type = types.length === 1 ? types[0] : types;
  for (const keyword of NUMERIC_KEYWORDS) {
    if (typeof node[keyword] === "number") out[keyword] = node[keyword];
  }
  // OpenAPI 3.0 spells exclusive bounds as booleans beside minimum/maximum.
  for (const [exclusive, bound] of [
    ["exclusiveMinimum", "minimum"],
    ["exclusiveMaximum", "maximum"],
  ] as const) {
    const value = node[exclusive];
    if (typeof value === "number") out[exclusive] = value;
    else if (value === true && typeof node[bound] === "number") {
      out[exclusive] = node[bound];
      delete out[bound];
    }
  }
  if (typeof node.uniqueItems === "boolean") out.uniqueItems = node.uniqueItems;
  if (Array.isArray(node.enum)) out.enum = node.enum;
  // Swagger 2.0 property-level `required: true` is not JSON Schema; only the array form is kept.
  if (Array.isArray(node.required)) out.required = node.required.filter((r) => typeof r === "string");
  // Formats ajv does not know (Admin's `int`, Confluence's `string`) are annotations, not constraints.
  if (typeof node.format === "string" && node.format in ajv().formats) out.format = node.format;
  if (typeof node.pattern === "string" && isValidPattern(node.pattern)) out.pattern = node.pattern;

  for (const keyword of ["properties", "patternProperties"] as const) {
    const map = node[keyword];
    if (isRecord(map)) {
      out[keyword] = Object.fromEntries(Object.entries(map).map(([k, v]) => [k, toJsonSchema(state, v)]));
    }
  }
  if (Array.isArray(node.items)) out.items = node.items.map((s) => toJsonSchema(state, s));
  else if (isRecord(node.items)) out.items = toJsonSchema(state, node.items);
  if (node.not !== undefined) out.not = toJsonSchema(state, node.not);
  for (const keyword of ["allOf", "anyOf", "oneOf"] as const) {
    const list = node[keyword];
    if (Array.isArray(list)) out[keyword] = list.map((s) => toJsonSchema(state, s));
  }
  applyDiscriminator(state, node, out);

  const composed = out.allOf !== undefined || out.anyOf !== undefined || out.oneOf !== undefined;
  if (node.additionalProperties === false && composed) {
    // Generated OpenAPI schemas mean "nothing beyond the composed properties"; plain additionalProperties would
    // reject every property the composed schemas declare.
    out.unevaluatedProperties = false;
  } else if (typeof node.additionalProperties === "boolean" || isRecord(node.additionalProperties)) {
    out.additionalProperties = toJsonSchema(state, node.additionalProperties);
  }
  return nullable ? allowNull(out) : out;
}

/**
 * Replaces a oneOf/anyOf of $refs that has an OpenAPI discriminator by dispatch on the discriminator value, which is
 * what the discriminator means; a plain oneOf fails whenever two variants happen to accept the same body.
 */
function applyDiscriminator(state: SpecState, node: Record<string, unknown>, out: JsonSchema): void {
  const discriminator = node.discriminator;
  const keyword = Array.isArray(node.oneOf) ? "oneOf" : Array.isArray(node.anyOf) ? "anyOf" : undefined;
  if (!isRecord(discriminator) || typeof discriminator.propertyName !== "string" || keyword === undefined) return;
  const variants = node[keyword] as unknown[];
  const refs = variants.map((v) => (isRecord(v) && typeof v.$ref === "string" ? v.$ref : undefined));
  if (refs.some((r) => r === undefined)) return;

  const prefix = state.swagger2 ? "#/definitions/" : "#/components/schemas/";
  const targets = new Map<string, string>();
  for (const [value, target] of Object.entries(isRecord(discriminator.mapping) ? discriminator.mapping : {})) {
    if (typeof target === "string") targets.set(value, target.startsWith("#") ? target : `${prefix}${target}`);
  }
  // Variants without a mapping entry are selected by their schema name, as OpenAPI specifies.
  for (const ref of refs as string[]) {
    if (![...targets.values()].includes(ref)) targets.set(ref.slice(ref.lastIndexOf("/") + 1), ref);
  }

  const property = discriminator.propertyName;
  const values = (value: string): unknown[] => {
    // Mapping keys are strings, but the property may be boolean or numeric (Admin's `allowed: true`).
    if (value === "true" || value === "false") return [value, value === "true"];
    return value !== "" && Number.isFinite(Number(value)) ? [value, Number(value)] : [value];
  };
  delete out[keyword];
  out.allOf = [
    ...((out.allOf as unknown[] | undefined) ?? []),
    { required: [property], properties: { [property]: { enum: [...targets.keys()].flatMap(values) } } },
    ...[...targets].map(([value, target]) => ({
      if: { required: [property], properties: { [property]: { enum: values(value) } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable.
      then: { $ref: schemaId(state, target) },
    })),
  ];
}

function allowNull(schema: JsonSchema): JsonSchema {
  const composed = ["$ref", "allOf", "anyOf", "oneOf", "not"].some((k) => schema[k] !== undefined);
  if (!composed) {
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? schema.type : [schema.type];
      if (!types.includes("null")) schema.type = [...types, "null"];
    }
    return schema;
  }
  return { anyOf: [schema, { type: "null" }] };
}

function isValidPattern(pattern: string): boolean {
  try {
    new RegExp(pattern, "u");
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// JSON helpers

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

function resolvePointer(doc: unknown, pointer: string): unknown {
  if (!pointer.startsWith("#")) return undefined;
  const segments = pointer === "#" || pointer === "#/" ? [] : pointer.slice(2).split("/");
  let node: unknown = doc;
  for (const raw of segments) {
    if (!isRecord(node) && !Array.isArray(node)) return undefined;
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const container = node as Record<string, unknown>;
    // References are URI fragments, so a key may also arrive percent-encoded.
    node = key in container ? container[key] : container[decodeSegment(key)];
  }
  return node;
}

/** Follows a `$ref` (for response and parameter objects), returning the target and its pointer. */
function resolveRef(state: SpecState, node: unknown, pointer: string): { node: unknown; pointer: string } {
  let current = { node, pointer };
  // Bounded, in case a document chains references in a loop.
  for (let hops = 0; hops < 16 && isRecord(current.node) && typeof current.node.$ref === "string"; hops++) {
    const target: string = current.node.$ref;
    current = { node: resolvePointer(state.doc, target), pointer: target };
  }
  return current;
}
