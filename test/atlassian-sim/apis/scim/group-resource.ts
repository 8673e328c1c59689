/**
 * The SCIM Group resource (RFC 7643 §4.2; reference §2.3): rendering, reading a full resource (POST, PUT) and
 * applying PATCH operations to a draft. Members are SCIM user ids; renaming is refused with `mutability`, as the
 * spec's PATCH description says ("Renaming groups … isn't supported").
 */
import type { SimState } from "../../state.js";
import type { ScimGroup } from "../../tenant/model.js";
import { CORE_GROUP, getCI, isObject, optionalString, requireSchema, ScimProblem } from "./common.js";
import type { PatchOperation } from "./patch.js";
import { parsePath } from "./paths.js";

type Json = Record<string, unknown>;

/** Everything about a SCIM group that a client can write. */
export interface GroupDraft {
  displayName: string;
  externalId: string | undefined;
  /** SCIM user ids, in order. */
  members: string[];
}

/** A writable copy of a group. */
export function groupDraftOf(g: ScimGroup): GroupDraft {
  return { displayName: g.displayName, externalId: g.externalId, members: [...g.members] };
}

/** A group as Atlassian renders it (spec example of `PATCH /Groups/{id}`): members carry `type`, `display`, `$ref`. */
export function renderGroup(g: ScimGroup, base: string, state: SimState): Json {
  const members: Json[] = [];
  for (const id of g.members) {
    const user = state.scimUsersById.get(id);
    // A deleted user is unlinked from the directory and no longer listed.
    if (!user || state.scimDeleted.has(id)) continue;
    members.push({ type: "User", value: id, display: user.userName, $ref: `${base}/Users/${id}` });
  }
  return {
    schemas: [CORE_GROUP],
    id: g.id,
    ...(g.externalId ? { externalId: g.externalId } : {}),
    displayName: g.displayName,
    members,
    meta: {
      resourceType: "Group",
      location: `${base}/Groups/${g.id}`,
      lastModified: g.lastModified,
      created: g.created,
    },
  };
}

/** The SCIM user ids of a `members` value; each must be a user of this directory (spec: 400 otherwise). */
function memberIds(value: unknown, state: SimState): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  const ids: string[] = [];
  for (const item of items) {
    const id = isObject(item) ? getCI(item, "value") : undefined;
    if (typeof id !== "string" || id === "") {
      throw new ScimProblem(400, "invalidValue", 'members entries must be objects with a "value"');
    }
    if (!state.scimUsersById.has(id) || state.scimDeleted.has(id)) {
      throw new ScimProblem(400, "invalidValue", `The user ${id} referenced in members does not exist`);
    }
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** Reads a full Group resource (POST, PUT); `members` and `externalId` it does not name are cleared. */
export function groupDraftFromBody(body: Json, state: SimState): GroupDraft {
  requireSchema(body, CORE_GROUP);
  const displayName = optionalString(getCI(body, "displayName"), "displayName");
  if (!displayName) throw new ScimProblem(400, "invalidValue", "displayName is required");
  return {
    displayName,
    externalId: optionalString(getCI(body, "externalId"), "externalId") ?? undefined,
    members: memberIds(getCI(body, "members"), state),
  };
}

/** Refuses a display name other than the current one (case aside): Atlassian does not rename groups. */
export function checkNotRenamed(current: string, wanted: unknown): void {
  const name = optionalString(wanted, "displayName");
  if (name === null || name.toLowerCase() !== current.toLowerCase()) {
    throw new ScimProblem(400, "mutability", "Renaming a group is not supported; create a new group instead");
  }
}

function patchMembers(d: GroupDraft, op: PatchOperation, value: unknown, state: SimState): void {
  const path = op.path ? parsePath(op.path) : undefined;
  if (path?.sub) throw new ScimProblem(400, "invalidPath", `Unsupported path: ${op.path}`);
  if (path?.filter) {
    // `members[value eq "id"]`, the form Okta sends to remove one member.
    if (path.filter.attr.toLowerCase() !== "value" || typeof path.filter.value !== "string") {
      throw new ScimProblem(400, "invalidFilter", 'Only members[value eq "…"] is supported');
    }
    if (op.op !== "remove") throw new ScimProblem(400, "invalidPath", "A members filter is supported only by remove");
    const target = path.filter.value;
    d.members = d.members.filter((m) => m !== target);
    return;
  }
  if (op.op === "remove") {
    // Entra ID sends the members to remove as the value; without one, every member goes.
    const gone = value === undefined || value === null ? new Set(d.members) : new Set(memberIds(value, state));
    d.members = d.members.filter((m) => !gone.has(m));
    return;
  }
  const ids = memberIds(value, state);
  d.members = op.op === "add" ? [...d.members, ...ids.filter((id) => !d.members.includes(id))] : ids;
}

function patchAttribute(
  d: GroupDraft,
  op: PatchOperation,
  key: string,
  value: unknown,
  lenient: boolean,
  state: SimState,
) {
  const path = parsePath(key);
  const attr = path.extension ? "" : path.attr.toLowerCase();
  switch (attr) {
    case "members":
      return patchMembers(d, { ...op, path: op.path ?? key }, value, state);
    case "displayname":
      if (op.op === "remove") throw new ScimProblem(400, "mutability", "displayName cannot be removed");
      return checkNotRenamed(d.displayName, value);
    case "externalid":
      d.externalId = op.op === "remove" ? undefined : (optionalString(value, "externalId") ?? undefined);
      return;
    case "id":
    case "meta":
    case "schemas":
      if (!lenient) throw new ScimProblem(400, "mutability", `Attribute ${key} is read-only`);
      return;
    default:
      if (!lenient) throw new ScimProblem(400, "invalidPath", `Unknown attribute: ${key}`);
  }
}

/** Applies one PATCH operation to a draft (RFC 7644 §3.5.2). */
export function applyGroupOperation(d: GroupDraft, op: PatchOperation, state: SimState): GroupDraft {
  if (op.path !== undefined) patchAttribute(d, op, op.path, op.value, false, state);
  else for (const [k, v] of Object.entries(op.value as Json)) patchAttribute(d, op, k, v, true, state);
  return d;
}
