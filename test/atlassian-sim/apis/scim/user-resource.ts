/**
 * The SCIM User resource (RFC 7643 §4.1 plus the enterprise and Atlassian extensions, reference §2.3): rendering,
 * reading a full resource (POST, PUT), and applying PATCH operations to a draft that is saved in one state mutation,
 * so a failing operation leaves the user unchanged (RFC 7644 §3.5.2: PATCH is atomic).
 */
import type { ScimGroup, ScimUser, ScimUserProfile } from "../../tenant/model.js";
import {
  ATLASSIAN_EXTERNAL,
  booleanValue,
  CORE_USER,
  ENTERPRISE_USER,
  getCI,
  isObject,
  optionalString,
  requireSchema,
  ScimProblem,
} from "./common.js";
import type { PatchOperation } from "./patch.js";
import { type EqFilter, parsePath } from "./paths.js";

/** Everything about a SCIM user that a client can write. */
export type UserDraft = Omit<ScimUser, "id" | "accountId" | "created" | "lastModified"> & { profile: ScimUserProfile };

type Phone = NonNullable<ScimUserProfile["phoneNumbers"]>[number];
type Json = Record<string, unknown>;

/** A writable copy of a user. */
export function draftOf(u: ScimUser): UserDraft {
  return {
    externalId: u.externalId,
    userName: u.userName,
    displayName: u.displayName,
    givenName: u.givenName,
    familyName: u.familyName,
    email: u.email,
    active: u.active,
    title: u.title,
    department: u.department,
    organization: u.organization,
    profile: structuredClone(u.profile ?? {}),
  };
}

// ------------------------------------------------------------ rendering

function compact(obj: Record<string, string | null | undefined>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) if (v) out[k] = v;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * A user as Atlassian renders it: unassigned attributes are omitted (RFC 7643 §2.5), the three schemas are always
 * listed, and `meta` has no `version` (the API has no ETags).
 */
export function renderUser(u: ScimUser, base: string, groups: readonly ScimGroup[]): Json {
  const p = u.profile ?? {};
  const out: Json = { schemas: [ATLASSIAN_EXTERNAL, CORE_USER, ENTERPRISE_USER], id: u.id };
  if (u.externalId) out.externalId = u.externalId;
  out.userName = u.userName;
  const name = compact({
    formatted: p.formattedName,
    familyName: u.familyName,
    givenName: u.givenName,
    middleName: p.middleName,
    honorificPrefix: p.honorificPrefix,
    honorificSuffix: p.honorificSuffix,
  });
  if (name) out.name = name;
  if (u.displayName) out.displayName = u.displayName;
  if (p.nickName) out.nickName = p.nickName;
  out.emails = [{ value: u.email, type: "work", primary: true }];
  if (u.title) out.title = u.title;
  if (p.preferredLanguage) out.preferredLanguage = p.preferredLanguage;
  if (p.timezone) out.timezone = p.timezone;
  if (p.phoneNumbers && p.phoneNumbers.length > 0) out.phoneNumbers = p.phoneNumbers;
  out.active = u.active;
  out.groups = groups.map((g) => ({
    value: g.id,
    display: g.displayName,
    type: "direct",
    $ref: `${base}/Groups/${g.id}`,
  }));
  const enterprise = compact({ organization: u.organization, department: u.department });
  if (enterprise) out[ENTERPRISE_USER] = enterprise;
  out[ATLASSIAN_EXTERNAL] = { atlassianAccountId: u.accountId };
  out.meta = {
    resourceType: "User",
    location: `${base}/Users/${u.id}`,
    lastModified: u.lastModified,
    created: u.created,
  };
  return out;
}

// ------------------------------------------------------------ reading values

const EMAIL_RE = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

function emailValue(v: unknown): string {
  const s = optionalString(v, "emails.value");
  if (!s || !EMAIL_RE.test(s)) throw new ScimProblem(400, "invalidValue", `Invalid email address: ${String(v)}`);
  return s;
}

/** The primary email of an `emails` value (the first one when none is marked primary), or null when absent. */
function primaryEmail(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const items = Array.isArray(v) ? v : [v];
  if (items.length === 0) return null;
  if (!items.every(isObject)) throw new ScimProblem(400, "invalidValue", "emails must be a list of objects");
  const primary = items.find((e) => {
    const flag = getCI(e, "primary");
    return flag === true || (typeof flag === "string" && flag.toLowerCase() === "true");
  });
  return emailValue(getCI(primary ?? items[0] ?? {}, "value"));
}

function phoneOf(v: unknown): Phone {
  if (!isObject(v)) throw new ScimProblem(400, "invalidValue", "phoneNumbers entries must be objects");
  const value = optionalString(getCI(v, "value"), "phoneNumbers.value");
  if (!value) throw new ScimProblem(400, "invalidValue", "phoneNumbers entries need a value");
  const phone: Phone = { value };
  const type = optionalString(getCI(v, "type"), "phoneNumbers.type");
  if (type) phone.type = type;
  const primary = getCI(v, "primary");
  if (primary !== undefined && primary !== null) phone.primary = booleanValue(primary, "phoneNumbers.primary");
  return phone;
}

function phonesOf(v: unknown): Phone[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(phoneOf);
}

const PROFILE_STRINGS = {
  nickname: "nickName",
  preferredlanguage: "preferredLanguage",
  timezone: "timezone",
} as const satisfies Record<string, keyof ScimUserProfile>;

const NAME_PROFILE = {
  formatted: "formattedName",
  middlename: "middleName",
  honorificprefix: "honorificPrefix",
  honorificsuffix: "honorificSuffix",
} as const satisfies Record<string, keyof ScimUserProfile>;

function setProfile(d: UserDraft, key: Exclude<keyof ScimUserProfile, "phoneNumbers">, value: string | null): void {
  if (value === null) delete d.profile[key];
  else d.profile[key] = value;
}

/** Atlassian needs a display name for the account: fall back to the name parts, then the userName. */
function finalize(d: UserDraft): UserDraft {
  if (!d.displayName) {
    const parts = `${d.givenName} ${d.familyName}`.trim();
    d.displayName = d.profile.formattedName || parts || d.userName;
  }
  if (d.profile.phoneNumbers?.length === 0) delete d.profile.phoneNumbers;
  return d;
}

// ------------------------------------------------------------ POST / PUT

/**
 * Reads a full User resource (POST, PUT). Attributes it does not name are cleared, as the spec says of PUT;
 * `active` alone keeps its previous value when absent, since an absent flag is not a deactivation.
 * Read-only and unknown attributes are ignored (RFC 7644 §3.5.1).
 */
export function draftFromBody(body: Json, previous?: UserDraft): UserDraft {
  requireSchema(body, CORE_USER);
  const userName = optionalString(getCI(body, "userName"), "userName");
  if (!userName) throw new ScimProblem(400, "invalidValue", "userName is required");
  const email = primaryEmail(getCI(body, "emails"));
  if (!email) throw new ScimProblem(400, "invalidValue", "emails is required and one value must be primary");
  const name = getCI(body, "name");
  if (name !== undefined && name !== null && !isObject(name)) {
    throw new ScimProblem(400, "invalidValue", "name must be an object");
  }
  const enterprise = getCI(body, ENTERPRISE_USER);
  const ext = isObject(enterprise) ? enterprise : {};
  const nameOf = (key: string) => (isObject(name) ? optionalString(getCI(name, key), `name.${key}`) : null);
  // The enterprise extension is where RFC 7643 puts them; Atlassian's spec also lists them at the top level.
  const extOr = (key: string) => optionalString(getCI(ext, key), key) ?? optionalString(getCI(body, key), key);
  const active = getCI(body, "active");
  const d: UserDraft = {
    externalId: optionalString(getCI(body, "externalId"), "externalId") ?? "",
    userName,
    displayName: optionalString(getCI(body, "displayName"), "displayName") ?? "",
    givenName: nameOf("givenName") ?? "",
    familyName: nameOf("familyName") ?? "",
    email,
    active: active === undefined || active === null ? (previous?.active ?? true) : booleanValue(active, "active"),
    title: optionalString(getCI(body, "title"), "title"),
    department: extOr("department"),
    organization: extOr("organization"),
    profile: {},
  };
  for (const [lower, key] of Object.entries(NAME_PROFILE)) setProfile(d, key, nameOf(lower));
  for (const key of Object.values(PROFILE_STRINGS)) setProfile(d, key, optionalString(getCI(body, key), key));
  const phones = phonesOf(getCI(body, "phoneNumbers"));
  if (phones.length > 0) d.profile.phoneNumbers = phones;
  return finalize(d);
}

// ------------------------------------------------------------ PATCH

/**
 * Attributes RFC 7643 defines (§4.1, §4.3) that Atlassian does not keep: writes to them are accepted and dropped,
 * as IdPs send them whenever they are mapped; only attributes no schema defines are `invalidPath`.
 */
const IGNORED_CORE = new Set([
  "profileurl",
  "usertype",
  "locale",
  "password",
  "addresses",
  "ims",
  "photos",
  "entitlements",
  "roles",
  "x509certificates",
]);
const IGNORED_ENTERPRISE = new Set(["employeenumber", "costcenter", "division", "manager"]);

function readOnly(attr: string, lenient: boolean): void {
  if (!lenient) throw new ScimProblem(400, "mutability", `Attribute ${attr} is read-only`);
}

function unknown(attr: string, lenient: boolean): void {
  if (!lenient) throw new ScimProblem(400, "invalidPath", `Unknown attribute: ${attr}`);
}

function noFilter(path: { filter: EqFilter | undefined; sub: string | undefined }, attr: string): void {
  if (path.filter || path.sub) throw new ScimProblem(400, "invalidPath", `Attribute ${attr} has no sub-attributes`);
}

function setEnterprise(d: UserDraft, remove: boolean, attr: string, value: unknown, lenient: boolean): void {
  const lower = attr.toLowerCase();
  if (lower !== "department" && lower !== "organization") {
    unknown(`${ENTERPRISE_USER}:${attr}`, lenient || IGNORED_ENTERPRISE.has(lower));
    return;
  }
  const v = remove ? null : optionalString(value, attr);
  if (lower === "department") d.department = v;
  else d.organization = v;
}

function setNamePart(d: UserDraft, sub: string, value: unknown, lenient: boolean): void {
  const lower = sub.toLowerCase();
  const v = optionalString(value, `name.${sub}`);
  if (lower === "givenname") d.givenName = v ?? "";
  else if (lower === "familyname") d.familyName = v ?? "";
  else if (lower in NAME_PROFILE) setProfile(d, NAME_PROFILE[lower as keyof typeof NAME_PROFILE], v);
  else unknown(`name.${sub}`, lenient);
}

function phoneMatches(p: Phone, f: EqFilter): boolean {
  const attr = f.attr.toLowerCase();
  if (attr === "type") return typeof f.value === "string" && (p.type ?? "").toLowerCase() === f.value.toLowerCase();
  if (attr === "value") return p.value === f.value;
  if (attr === "primary") return (p.primary ?? false) === f.value;
  throw new ScimProblem(400, "invalidFilter", `Unsupported filter attribute for phoneNumbers: ${f.attr}`);
}

function setPhoneSub(p: Phone, sub: string, value: unknown): void {
  const lower = sub.toLowerCase();
  if (lower === "value") p.value = optionalString(value, "phoneNumbers.value") ?? "";
  else if (lower === "type") p.type = optionalString(value, "phoneNumbers.type") ?? undefined;
  else if (lower === "primary") p.primary = booleanValue(value, "phoneNumbers.primary");
  else throw new ScimProblem(400, "invalidPath", `Unknown attribute: phoneNumbers.${sub}`);
}

function patchPhones(
  d: UserDraft,
  op: PatchOperation["op"],
  filter: EqFilter | undefined,
  sub: string | undefined,
  value: unknown,
) {
  let phones = d.profile.phoneNumbers ?? [];
  if (!filter) {
    if (op === "remove") phones = [];
    else if (sub) {
      const target = phones.find((p) => p.primary) ?? phones[0];
      if (target) setPhoneSub(target, sub, value);
      else throw new ScimProblem(400, "noTarget", "phoneNumbers has no value to update");
    } else phones = op === "add" ? [...phones, ...phonesOf(value)] : phonesOf(value);
  } else {
    const matching = phones.filter((p) => phoneMatches(p, filter));
    if (op === "remove") phones = phones.filter((p) => !matching.includes(p));
    else if (matching.length === 0) {
      // A filter on `type` names the entry to create, as IdPs expect of `phoneNumbers[type eq "work"].value`.
      if (filter.attr.toLowerCase() !== "type" || typeof filter.value !== "string") {
        throw new ScimProblem(400, "noTarget", "No phoneNumbers value matches the filter");
      }
      const created: Phone = sub ? { value: "", type: filter.value } : { ...phoneOf(value), type: filter.value };
      if (sub) setPhoneSub(created, sub, value);
      phones = [...phones, created];
    } else if (sub) for (const p of matching) setPhoneSub(p, sub, value);
    else phones = phones.map((p) => (matching.includes(p) ? phoneOf(value) : p));
  }
  d.profile.phoneNumbers = phones.filter((p) => p.value !== "");
}

/** Applies one attribute change; `lenient` is for keys of a path-less value object, where unknown keys are ignored. */
function patchAttribute(d: UserDraft, op: PatchOperation["op"], rawPath: string, value: unknown, lenient: boolean) {
  const path = parsePath(rawPath);
  const remove = op === "remove";
  if (path.extension === ATLASSIAN_EXTERNAL) return readOnly(ATLASSIAN_EXTERNAL, lenient);
  if (path.extension === ENTERPRISE_USER) {
    if (path.attr === "") {
      if (remove) {
        d.department = null;
        d.organization = null;
        return;
      }
      if (!isObject(value)) throw new ScimProblem(400, "invalidValue", `${ENTERPRISE_USER} must be an object`);
      for (const [k, v] of Object.entries(value)) setEnterprise(d, false, k, v, true);
      return;
    }
    noFilter(path, path.attr);
    return setEnterprise(d, remove, path.attr, value, lenient);
  }
  const attr = path.attr.toLowerCase();
  switch (attr) {
    case "id":
    case "meta":
    case "groups":
    case "schemas":
      return readOnly(path.attr, lenient);
    case "username": {
      noFilter(path, path.attr);
      const v = remove ? null : optionalString(value, "userName");
      if (!v) throw new ScimProblem(400, "invalidValue", "userName is required");
      d.userName = v;
      return;
    }
    case "active":
      noFilter(path, path.attr);
      if (remove) throw new ScimProblem(400, "invalidValue", "active cannot be removed");
      d.active = booleanValue(value, "active");
      return;
    case "externalid":
    case "displayname":
      noFilter(path, path.attr);
      if (attr === "externalid") d.externalId = remove ? "" : (optionalString(value, path.attr) ?? "");
      else d.displayName = remove ? "" : (optionalString(value, path.attr) ?? "");
      return;
    case "title":
    case "department":
    case "organization": {
      noFilter(path, path.attr);
      const v = remove ? null : optionalString(value, path.attr);
      if (attr === "title") d.title = v;
      else if (attr === "department") d.department = v;
      else d.organization = v;
      return;
    }
    case "nickname":
    case "preferredlanguage":
    case "timezone":
      noFilter(path, path.attr);
      return setProfile(
        d,
        PROFILE_STRINGS[attr as keyof typeof PROFILE_STRINGS],
        remove ? null : optionalString(value, path.attr),
      );
    case "name":
      if (path.filter) throw new ScimProblem(400, "invalidPath", "name is not multi-valued");
      if (path.sub) return setNamePart(d, path.sub, remove ? null : value, false);
      if (remove) {
        d.givenName = "";
        d.familyName = "";
        for (const key of Object.values(NAME_PROFILE)) delete d.profile[key];
        return;
      }
      if (!isObject(value)) throw new ScimProblem(400, "invalidValue", "name must be an object");
      // Sub-attributes the value does not name are left unchanged (RFC 7644 §3.5.2.3).
      for (const [k, v] of Object.entries(value)) setNamePart(d, k, v, true);
      return;
    case "emails": {
      if (remove) throw new ScimProblem(400, "invalidValue", "emails is required");
      const sub = path.sub?.toLowerCase();
      // Only the primary work address is kept; its type and primary flag are fixed.
      if (sub === "type" || sub === "primary") return;
      if (sub !== undefined && sub !== "value")
        throw new ScimProblem(400, "invalidPath", `Unknown attribute: emails.${path.sub}`);
      if (sub === "value") d.email = emailValue(value);
      else if (path.filter) d.email = emailValue(isObject(value) ? getCI(value, "value") : value);
      else d.email = primaryEmail(value) ?? d.email;
      return;
    }
    case "phonenumbers":
      return patchPhones(d, op, path.filter, path.sub, value);
    default:
      return unknown(path.attr, lenient || IGNORED_CORE.has(attr));
  }
}

/** Applies one PATCH operation to a draft (RFC 7644 §3.5.2). */
export function applyUserOperation(d: UserDraft, op: PatchOperation): UserDraft {
  if (op.path !== undefined) patchAttribute(d, op.op, op.path, op.value, false);
  else for (const [k, v] of Object.entries(op.value as Json)) patchAttribute(d, op.op, k, v, true);
  return finalize(d);
}
