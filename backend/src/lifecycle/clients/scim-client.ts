/**
 * @module lifecycle/clients/scim-client
 *
 * The SCIM 2.0 calls of lifecycle management (Atlassian user provisioning, reference §2.3; RFC 7643/7644), through
 * the one shared transport with a read-write instance. The client is thin: it builds requests, parses resources
 * leniently and leaves every decision (retry after a re-read, adopt on a conflict) to the engine, because the
 * transport never retries a POST or a PATCH on its own (H7).
 *
 * - Users are found with a single `eq` filter on `userName` or `externalId` (all Atlassian supports); a filter
 *   without a match is an empty list, not an error (S5). There is no filter on the account id: finding a user by
 *   it walks the directory with the SCIM pagination driver (S6).
 * - PATCH uses lowercase operation names and `path`s (RFC 7644 §3.5.2); a 200 with the resource and a 204 without
 *   a body are both accepted, and a 204 is followed by a GET when the state is needed (S8).
 * - When `/ServiceProviderConfig` says PATCH is unsupported, updates fall back to a full PUT; an `If-Match` header is
 *   sent only when it says ETags are supported and the resource carries `meta.version` (S17, S13).
 * - Parsing is lenient (S12): attribute names in any case, `active: "False"`, `meta.LastModified`.
 * - Every request carries an `x-request-id` (ours), which the audit log records and which finds the error body's
 *   `scimType` in the `ErrorBodyTap` (S2, D14).
 */
import { randomUUID } from "node:crypto";
import { scimPages } from "@accessmap/shared/pagination/drivers";
import { NotFoundError } from "@accessmap/shared/transport/errors";
import type { Transport } from "@accessmap/shared/transport/transport";
import { z } from "zod";
import {
  ScimBoolean,
  ScimGroupListSchema,
  ScimGroupSchema,
  ScimUserListSchema,
} from "../../connectors/scim/schemas.js";
import { attr, scimBool } from "../../connectors/scim/transform.js";
import type { ScimCapabilities, UserAttributes } from "../types.js";
import { type ErrorBody, type ErrorBodyTap, REQUEST_ID_HEADER } from "./error-bodies.js";

export const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
export const CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const ATLASSIAN_EXTERNAL = "urn:scim:schemas:extension:atlassian-external:1.0";
export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SCIM_JSON = "application/scim+json";
const PAGE_SIZE = 100;

/** A SCIM user as lifecycle management needs it; missing attributes are null (never `""`, S11). */
export interface ScimUserView {
  id: string;
  userName: string;
  externalId: string | null;
  active: boolean;
  accountId: string | null;
  email: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  title: string | null;
  department: string | null;
  organization: string | null;
  /** SCIM group ids (and names) the user belongs to (`groups`, read-only). */
  groups: Array<{ id: string; name: string | null }>;
  /** `meta.version` (an ETag), when the server has them. */
  version: string | null;
}

export interface ScimGroupView {
  id: string;
  displayName: string;
  /** SCIM user ids. */
  members: string[];
}

/** One PATCH operation (RFC 7644 §3.5.2), op names lowercase. */
export interface PatchOperation {
  op: "add" | "replace" | "remove";
  path?: string;
  value?: unknown;
}

export interface WriteResult<T> {
  value: T;
  status: number;
  requestId: string;
}

export interface CallOptions {
  /** The `x-request-id` to send (the engine makes one per write, to audit it); a fresh one otherwise. */
  requestId?: string;
}

const SpcSchema = z.looseObject({
  patch: z.looseObject({ supported: ScimBoolean.nullish() }).nullish(),
  etag: z.looseObject({ supported: ScimBoolean.nullish() }).nullish(),
});
const UserResourceSchema = z.looseObject({ id: z.string() });
/** A PATCH answers 200 with the resource or 204 without a body (S8). */
const MaybeUserSchema = UserResourceSchema.optional();
const MaybeGroupSchema = ScimGroupSchema.optional();

const text = (v: unknown): string | null =>
  typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : null;

/** The primary email (`primary` true or `"True"`), else the first one with a value. */
function primaryEmail(emails: unknown): string | null {
  if (!Array.isArray(emails)) return null;
  const withValue = emails.filter((e) => text(attr(e, "value")) !== null);
  const primary = withValue.find((e) => scimBool(attr(e, "primary")) === true) ?? withValue[0];
  return primary === undefined ? null : text(attr(primary, "value"));
}

/** Reads a SCIM User resource leniently (S12). */
export function toUserView(raw: unknown): ScimUserView {
  const id = text(attr(raw, "id"));
  if (!id) throw new Error("SCIM user without id");
  const name = attr(raw, "name");
  const enterprise = attr(raw, ENTERPRISE_USER);
  const fromExtOrTop = (key: string) => text(attr(enterprise, key)) ?? text(attr(raw, key));
  const groups = attr(raw, "groups");
  return {
    id,
    userName: text(attr(raw, "userName")) ?? "",
    externalId: text(attr(raw, "externalId")),
    // Atlassian always states `active`; a server that leaves it out is taken as active (as the reader does).
    active: scimBool(attr(raw, "active")) ?? true,
    accountId: text(attr(attr(raw, ATLASSIAN_EXTERNAL), "atlassianAccountId")),
    email: primaryEmail(attr(raw, "emails")),
    displayName: text(attr(raw, "displayName")),
    givenName: text(attr(name, "givenName")),
    familyName: text(attr(name, "familyName")),
    title: text(attr(raw, "title")),
    department: fromExtOrTop("department"),
    organization: fromExtOrTop("organization"),
    groups: (Array.isArray(groups) ? groups : [])
      .map((g) => ({ id: text(attr(g, "value")), name: text(attr(g, "display")) }))
      .filter((g): g is { id: string; name: string | null } => g.id !== null),
    version: text(attr(attr(raw, "meta"), "version")),
  };
}

/** Reads a SCIM Group resource leniently; nested group members are left out. */
export function toGroupView(raw: unknown): ScimGroupView {
  const id = text(attr(raw, "id"));
  if (!id) throw new Error("SCIM group without id");
  const members = attr(raw, "members");
  return {
    id,
    displayName: text(attr(raw, "displayName")) ?? id,
    members: (Array.isArray(members) ? members : [])
      .filter((m) => text(attr(m, "type"))?.toLowerCase() !== "group")
      .map((m) => text(attr(m, "value")))
      .filter((v): v is string => v !== null),
  };
}

/** `attr eq "value"`, the value written as a JSON string (quotes and backslashes escaped). */
export function eqFilter(attribute: string, value: string): string {
  return `${attribute} eq ${JSON.stringify(value)}`;
}

/** The full SCIM User body of a create or replace, leaving out what is not set. */
export function userBody(u: UserAttributes & { active: boolean }): Record<string, unknown> {
  const body: Record<string, unknown> = {
    schemas: [CORE_USER, ENTERPRISE_USER],
    userName: u.userName,
    emails: [{ value: u.email, type: "work", primary: true }],
    active: u.active,
  };
  const name: Record<string, string> = {};
  if (u.givenName) name.givenName = u.givenName;
  if (u.familyName) name.familyName = u.familyName;
  if (Object.keys(name).length > 0) body.name = name;
  if (u.displayName) body.displayName = u.displayName;
  if (u.title) body.title = u.title;
  if (u.externalId) body.externalId = u.externalId;
  const enterprise: Record<string, string> = {};
  if (u.department) enterprise.department = u.department;
  if (u.organization) enterprise.organization = u.organization;
  if (Object.keys(enterprise).length > 0) body[ENTERPRISE_USER] = enterprise;
  return body;
}

/** Sets (or, for null and `""`, deletes) a key of an object, replacing any other casing of it (RFC 7643 §2.1). */
function setCI(obj: Record<string, unknown>, key: string, value: unknown): void {
  for (const k of Object.keys(obj)) if (k.toLowerCase() === key.toLowerCase()) delete obj[k];
  if (value !== null && value !== undefined && value !== "") obj[key] = value;
}

/**
 * The body of a PUT that changes only `changes` (S17 fallback): the user's own resource as read, without its
 * read-only attributes, with the changes applied. Starting from the resource keeps what lifecycle management does
 * not model (phone numbers, nickname, locale…), which a PUT would otherwise clear.
 */
export function replacedResource(
  resource: Record<string, unknown>,
  changes: Partial<UserAttributes>,
): Record<string, unknown> {
  const body = structuredClone(resource);
  for (const ro of ["id", "meta", "groups", ATLASSIAN_EXTERNAL]) setCI(body, ro, null);
  const schemas = new Set(Array.isArray(body.schemas) ? (body.schemas as string[]) : []);
  schemas.add(CORE_USER);
  const nameOf = () => {
    const n = attr(body, "name");
    const name = n && typeof n === "object" && !Array.isArray(n) ? { ...(n as Record<string, unknown>) } : {};
    setCI(body, "name", name);
    return name;
  };
  const enterpriseOf = () => {
    const e = attr(body, ENTERPRISE_USER);
    const ext = e && typeof e === "object" && !Array.isArray(e) ? { ...(e as Record<string, unknown>) } : {};
    setCI(body, ENTERPRISE_USER, ext);
    schemas.add(ENTERPRISE_USER);
    return ext;
  };
  for (const [key, value] of Object.entries(changes) as Array<[keyof UserAttributes, unknown]>) {
    switch (key) {
      case "email":
        setCI(body, "emails", value ? [{ value, type: "work", primary: true }] : null);
        break;
      case "givenName":
      case "familyName":
        setCI(nameOf(), key, value);
        break;
      case "department":
      case "organization":
        setCI(body, key, null);
        setCI(enterpriseOf(), key, value);
        break;
      case "active":
        setCI(body, "active", value === true);
        break;
      default:
        setCI(body, key, value);
    }
  }
  body.schemas = [...schemas];
  return body;
}

/** SCIM paths of the attributes lifecycle management writes. */
export const ATTRIBUTE_PATHS: Readonly<Record<keyof UserAttributes, string>> = {
  userName: "userName",
  email: "emails",
  givenName: "name.givenName",
  familyName: "name.familyName",
  displayName: "displayName",
  title: "title",
  department: `${ENTERPRISE_USER}:department`,
  organization: `${ENTERPRISE_USER}:organization`,
  externalId: "externalId",
  active: "active",
};

/** PATCH operations that take a user from its current attributes to the changed ones (`null` → `remove`, S11). */
export function patchOperations(changes: Partial<UserAttributes>): PatchOperation[] {
  const ops: PatchOperation[] = [];
  for (const [key, value] of Object.entries(changes) as Array<[keyof UserAttributes, unknown]>) {
    const path = ATTRIBUTE_PATHS[key];
    if (value === null || value === "") ops.push({ op: "remove", path });
    else if (key === "email") ops.push({ op: "replace", path, value: [{ value, type: "work", primary: true }] });
    else ops.push({ op: "replace", path, value });
  }
  return ops;
}

export class ScimClient {
  private caps: ScimCapabilities | null = null;

  constructor(
    readonly transport: Transport,
    private readonly opts: { tap?: ErrorBodyTap; newRequestId?: () => string } = {},
  ) {}

  private rid(o?: CallOptions): string {
    return o?.requestId ?? (this.opts.newRequestId ?? randomUUID)();
  }

  private headers(requestId: string, extra: Record<string, string> = {}): Record<string, string> {
    return { [REQUEST_ID_HEADER]: requestId, accept: `${SCIM_JSON}, application/json`, ...extra };
  }

  /** The error body the server sent for a request id (scimType, detail), when the tap is installed. */
  errorBody(requestId: string): ErrorBody | null {
    return this.opts.tap?.take(requestId) ?? null;
  }

  /**
   * What the server supports (`GET /ServiceProviderConfig`, fetched once). A server that does not answer it is
   * taken to support PATCH (Atlassian documents it) and not ETags (Atlassian's spec has none).
   */
  async capabilities(): Promise<ScimCapabilities> {
    if (this.caps) return this.caps;
    try {
      const { data } = await this.transport.request({
        path: "/ServiceProviderConfig",
        schema: SpcSchema,
        endpoint: "GET /ServiceProviderConfig",
        headers: this.headers(this.rid()),
      });
      this.caps = {
        patch: scimBool(data.patch?.supported) ?? true,
        etag: scimBool(data.etag?.supported) ?? false,
      };
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      this.caps = { patch: true, etag: false };
    }
    return this.caps;
  }

  // ------------------------------------------------------------ users

  private async findUser(filter: string): Promise<ScimUserView | null> {
    const { data } = await this.transport.request({
      path: "/Users",
      query: { filter, startIndex: 1, count: 2 },
      schema: ScimUserListSchema,
      endpoint: "GET /Users?filter",
      headers: this.headers(this.rid()),
    });
    const first = data.Resources?.[0];
    return first ? toUserView(first) : null;
  }

  /** The user with this `userName` (case-insensitive on the server), or null: no match is not an error (S5). */
  findUserByUserName(userName: string): Promise<ScimUserView | null> {
    return this.findUser(eqFilter("userName", userName));
  }

  findUserByExternalId(externalId: string): Promise<ScimUserView | null> {
    return this.findUser(eqFilter("externalId", externalId));
  }

  /** Walks the directory for the user linked to an account (SCIM has no filter on it); null when none is. */
  async findUserByAccountId(accountId: string): Promise<ScimUserView | null> {
    for await (const page of this.listUserPages()) {
      for (const raw of page)
        if (text(attr(attr(raw, ATLASSIAN_EXTERNAL), "atlassianAccountId")) === accountId) return toUserView(raw);
    }
    return null;
  }

  /** Every user of the directory, page by page (S6: short pages, changing totals and duplicates handled). */
  async *listUserPages(): AsyncGenerator<unknown[]> {
    yield* scimPages({
      transport: this.transport,
      path: "/Users",
      schema: ScimUserListSchema,
      endpoint: "GET /Users",
      count: PAGE_SIZE,
      key: (u) => u.id,
    });
  }

  /** `GET /Users/{id}`; a 404 throws the typed `NotFoundError` (S5). */
  async getUser(id: string, o?: CallOptions): Promise<ScimUserView> {
    const { data } = await this.transport.request({
      path: `/Users/${encodeURIComponent(id)}`,
      schema: UserResourceSchema,
      endpoint: "GET /Users/{id}",
      headers: this.headers(this.rid(o)),
    });
    return toUserView(data);
  }

  /** `GET /Users/{id}` with the resource as the server sent it (for a PUT that keeps what is not changed). */
  async getUserResource(id: string): Promise<{ view: ScimUserView; resource: Record<string, unknown> }> {
    const { data } = await this.transport.request({
      path: `/Users/${encodeURIComponent(id)}`,
      schema: UserResourceSchema,
      endpoint: "GET /Users/{id}",
      headers: this.headers(this.rid()),
    });
    return { view: toUserView(data), resource: data as Record<string, unknown> };
  }

  /** Like `getUser`, but null for a user the directory does not have. */
  async tryGetUser(id: string): Promise<ScimUserView | null> {
    try {
      return await this.getUser(id);
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  /** `POST /Users` → 201. Never retried by the transport: a failure is for the engine to re-read and decide (H7). */
  async createUser(u: UserAttributes & { active: boolean }, o?: CallOptions): Promise<WriteResult<ScimUserView>> {
    const requestId = this.rid(o);
    const res = await this.transport.request({
      method: "POST",
      path: "/Users",
      json: userBody(u),
      schema: UserResourceSchema,
      endpoint: "POST /Users",
      headers: this.headers(requestId, { "content-type": SCIM_JSON }),
    });
    return { value: toUserView(res.data), status: res.status, requestId };
  }

  /**
   * `PATCH /Users/{id}`. A 204 gives a null value unless `needState`, which reads the user back (S8). `ifMatch` is
   * sent only when given (the engine gives it only when the server supports ETags, S17).
   */
  async patchUser(
    id: string,
    operations: PatchOperation[],
    o: CallOptions & { ifMatch?: string | null; needState?: boolean } = {},
  ): Promise<WriteResult<ScimUserView | null>> {
    const requestId = this.rid(o);
    const extra: Record<string, string> = { "content-type": SCIM_JSON };
    if (o.ifMatch) extra["if-match"] = o.ifMatch;
    const res = await this.transport.request({
      method: "PATCH",
      path: `/Users/${encodeURIComponent(id)}`,
      json: { schemas: [PATCH_OP], Operations: operations },
      schema: MaybeUserSchema,
      endpoint: "PATCH /Users/{id}",
      headers: this.headers(requestId, extra),
    });
    let value = res.data ? toUserView(res.data) : null;
    if (!value && o.needState) value = await this.getUser(id);
    return { value, status: res.status, requestId };
  }

  /**
   * `PUT /Users/{id}`: the whole resource (attributes left out are cleared, so build it with `replacedResource`);
   * the fallback when PATCH is unsupported.
   */
  async replaceUser(
    id: string,
    resource: Record<string, unknown>,
    o: CallOptions & { ifMatch?: string | null } = {},
  ): Promise<WriteResult<ScimUserView>> {
    const requestId = this.rid(o);
    const extra: Record<string, string> = { "content-type": SCIM_JSON };
    if (o.ifMatch) extra["if-match"] = o.ifMatch;
    const res = await this.transport.request({
      method: "PUT",
      path: `/Users/${encodeURIComponent(id)}`,
      json: resource,
      schema: UserResourceSchema,
      endpoint: "PUT /Users/{id}",
      headers: this.headers(requestId, extra),
    });
    return { value: toUserView(res.data), status: res.status, requestId };
  }

  /** `DELETE /Users/{id}` → 204: Atlassian deactivates the user, which then answers 404 (there is no hard delete). */
  async deleteUser(id: string, o?: CallOptions): Promise<WriteResult<null>> {
    const requestId = this.rid(o);
    const res = await this.transport.request({
      method: "DELETE",
      path: `/Users/${encodeURIComponent(id)}`,
      endpoint: "DELETE /Users/{id}",
      headers: this.headers(requestId),
    });
    return { value: null, status: res.status, requestId };
  }

  // ------------------------------------------------------------ groups

  /** The group with this display name (case-insensitive on the server), or null. */
  async findGroupByName(displayName: string): Promise<ScimGroupView | null> {
    const { data } = await this.transport.request({
      path: "/Groups",
      query: { filter: eqFilter("displayName", displayName), startIndex: 1, count: 2 },
      schema: ScimGroupListSchema,
      endpoint: "GET /Groups?filter",
      headers: this.headers(this.rid()),
    });
    const first = data.Resources?.[0];
    return first ? toGroupView(first) : null;
  }

  async getGroup(id: string): Promise<ScimGroupView> {
    const { data } = await this.transport.request({
      path: `/Groups/${encodeURIComponent(id)}`,
      schema: ScimGroupSchema,
      endpoint: "GET /Groups/{id}",
      headers: this.headers(this.rid()),
    });
    return toGroupView(data);
  }

  async createGroup(displayName: string, o?: CallOptions): Promise<WriteResult<ScimGroupView>> {
    const requestId = this.rid(o);
    const res = await this.transport.request({
      method: "POST",
      path: "/Groups",
      json: { schemas: [CORE_GROUP], displayName, members: [] },
      schema: ScimGroupSchema,
      endpoint: "POST /Groups",
      headers: this.headers(requestId, { "content-type": SCIM_JSON }),
    });
    return { value: toGroupView(res.data), status: res.status, requestId };
  }

  async deleteGroup(id: string, o?: CallOptions): Promise<WriteResult<null>> {
    const requestId = this.rid(o);
    const res = await this.transport.request({
      method: "DELETE",
      path: `/Groups/${encodeURIComponent(id)}`,
      endpoint: "DELETE /Groups/{id}",
      headers: this.headers(requestId),
    });
    return { value: null, status: res.status, requestId };
  }

  /**
   * Adds or removes members with one PATCH on `members` (`value` = SCIM user id), never a whole-group PUT (S10).
   * A 204 is accepted as well as a 200 with the group.
   */
  async patchGroupMembers(
    id: string,
    op: "add" | "remove",
    scimUserIds: readonly string[],
    o?: CallOptions,
  ): Promise<WriteResult<ScimGroupView | null>> {
    const requestId = this.rid(o);
    const res = await this.transport.request({
      method: "PATCH",
      path: `/Groups/${encodeURIComponent(id)}`,
      json: {
        schemas: [PATCH_OP],
        Operations: [{ op, path: "members", value: scimUserIds.map((value) => ({ value })) }],
      },
      schema: MaybeGroupSchema,
      endpoint: "PATCH /Groups/{id}",
      headers: this.headers(requestId, { "content-type": SCIM_JSON }),
    });
    return { value: res.data ? toGroupView(res.data) : null, status: res.status, requestId };
  }

  /** Every group of the directory, page by page. */
  async *listGroupPages(): AsyncGenerator<ScimGroupView[]> {
    for await (const page of scimPages({
      transport: this.transport,
      path: "/Groups",
      schema: ScimGroupListSchema,
      endpoint: "GET /Groups",
      count: PAGE_SIZE,
      key: (g) => g.id,
    })) {
      yield page.map(toGroupView);
    }
  }
}
