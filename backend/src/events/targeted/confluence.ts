/**
 * Targeted Confluence reads for event patches: the spaces a Forge event names (by key), read through the tenant's
 * Confluence transport with the shared reader's response schemas and transforms, as partition changes of the
 * current Confluence section — the same rows the full read makes for one space. Per space (Confluence Cloud v2 and
 * v1, `../shared/atlassian-specs/confluence-*`):
 *  1. `GET /wiki/api/v2/spaces?keys={key}` — the row (none: the space is gone and its rows leave);
 *  2. `GET /wiki/rest/api/space/{key}?expand=permissions` — v1's rows, the only source of anonymous and unlicensed
 *     access (and of every row on a site without space roles);
 *  3. on a site with roles (or an unknown role mode): `GET /wiki/api/v2/spaces/{id}?include-permissions=true`
 *     (`&include-role-assignments=true` with roles), the lists continued through their listings when longer than
 *     what is embedded.
 * What a space's rows name must already be in the section: an account the section does not list, or a role it
 * does not know, would change its identity side — the section is then read whole, as it is on any refusal, on a
 * principal type the snapshot cannot hold, or when v1 does not list the space.
 *
 * @module
 */
import { collect, confluenceCursorPages } from "@accessmap/shared/pagination/drivers";
import {
  V1SpaceSchema,
  V2PermissionPageSchema,
  V2RoleAssignmentPageSchema,
  V2SpaceDetailSchema,
  V2SpacePageSchema,
} from "@accessmap/shared/readers/confluence/schemas";
import {
  type ConfluencePermissionRow,
  type ConfluenceRoleAssignmentRow,
  fromV2Permission,
  toRoleAssignment,
  toSpace,
  toV1SpaceAccess,
} from "@accessmap/shared/readers/confluence/transform";
import { mapLimit, type ReaderContext } from "@accessmap/shared/readers/reader";
import type { ConfluenceSection } from "@accessmap/shared/snapshot/schema";
import { ForbiddenError, NotFoundError } from "@accessmap/shared/transport/errors";
import type { ZodType } from "zod";
import type { TargetedRead } from "../../connectors/bitbucket/read-targets.js";
import { putPartition, type SectionChange } from "../../model/snapshot-delta.js";

const FAN_OUT = 8;
const V1 = "/wiki/rest/api";
const V2 = "/wiki/api/v2";
/** Page sizes of the continued listings (the shared reader's). */
const LISTING_LIMIT = 250;

class Fallback extends Error {
  override name = "Fallback";
}

async function must<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ForbiddenError || err instanceof NotFoundError) {
      throw new Fallback(`${what}: Confluence answered ${err.status}`);
    }
    throw err;
  }
}

/** Reads the named spaces; partition changes of `base`, or `fallback` with the reason. */
export async function readConfluenceSpaces(
  ctx: ReaderContext,
  opts: { base: ConfluenceSection; spaces: readonly string[] },
): Promise<TargetedRead> {
  try {
    return { ok: true, change: await read(ctx, opts) };
  } catch (err) {
    if (err instanceof Fallback) return { ok: false, reason: err.message };
    throw err;
  }
}

async function read(
  ctx: ReaderContext,
  opts: { base: ConfluenceSection; spaces: readonly string[] },
): Promise<SectionChange> {
  const { base } = opts;
  const request = <T>(path: string, endpoint: string, schema: ZodType<T>, query?: Record<string, string | boolean>) =>
    ctx.transport.request<T>({ path, endpoint, schema, query, signal: ctx.signal }).then((r) => r.data);
  // As the full read decides it from the site's role mode.
  const perSpace = base.roleMode !== "PRE_ROLES";
  const withRoles = base.roleMode !== null && base.roleMode !== "PRE_ROLES";
  const users = new Set(base.users.map((u) => u.accountId));
  const roles = new Set(base.roles.map((r) => r.id));

  /** The whole list behind an embedded one: as is when complete, else the listing from its start. */
  const complete = async <T>(
    list: { results: T[]; meta?: { hasMore?: boolean | null } | null } | null | undefined,
    path: string,
    endpoint: string,
    schema: Parameters<typeof confluenceCursorPages<T>>[0]["schema"],
  ): Promise<T[]> => {
    if (list && !list.meta?.hasMore) return list.results;
    return collect(
      confluenceCursorPages({
        transport: ctx.transport,
        path,
        query: { limit: LISTING_LIMIT },
        schema,
        endpoint,
        signal: ctx.signal,
      }),
    );
  };

  const readSpace = async (key: string) => {
    const before = base.spaces.find((s) => s.key === key) ?? null;
    const found = await must(`space ${key}`, () =>
      request(`${V2}/spaces`, `GET ${V2}/spaces`, V2SpacePageSchema, { keys: key }),
    );
    const space = found.results.find((s) => s.key === key);
    if (!space) return { key, before, row: null, permissions: [], roleAssignments: [] };
    const id = String(space.id);
    const v1 = toV1SpaceAccess(
      await must(`v1 permissions of space ${key}`, () =>
        request(`${V1}/space/${encodeURIComponent(key)}`, `GET ${V1}/space/{spaceKey}`, V1SpaceSchema, {
          expand: "permissions",
        }),
      ),
    );
    let permissions: ConfluencePermissionRow[];
    const roleAssignments: ConfluenceRoleAssignmentRow[] = [];
    if (!perSpace) permissions = v1.permissions.map((p) => ({ ...p, spaceId: id }));
    else {
      const path = `${V2}/spaces/${encodeURIComponent(id)}`;
      const detail = await must(`v2 permissions of space ${key}`, () =>
        request(path, `GET ${V2}/spaces/{id}`, V2SpaceDetailSchema, {
          "include-permissions": true,
          ...(withRoles ? { "include-role-assignments": true } : {}),
        }),
      );
      const v2 = await must(`v2 permissions of space ${key}`, () =>
        complete(
          detail.permissions,
          `${path}/permissions`,
          `GET ${V2}/spaces/{id}/permissions`,
          V2PermissionPageSchema,
        ),
      );
      permissions = v1.permissions.filter((p) => p.principalType === "anonymous" || p.principalType === "unlicensed");
      for (const p of v2) {
        const row = fromV2Permission(id, p);
        if (!row) throw new Fallback(`a permission of space ${key} to a "${p.principal.type}"`);
        permissions.push(row);
      }
      if (withRoles) {
        const list = await must(`role assignments of space ${key}`, () =>
          complete(
            detail.roleAssignments,
            `${path}/role-assignments`,
            `GET ${V2}/spaces/{id}/role-assignments`,
            V2RoleAssignmentPageSchema,
          ),
        );
        for (const a of list) {
          const row = toRoleAssignment(id, a);
          if (!row) throw new Fallback(`a role assignment of space ${key} to a "${a.principal.principalType}"`);
          roleAssignments.push(row);
        }
      }
    }
    // Rows naming accounts or roles the section does not list: the identity side changes.
    const named = [
      ...permissions.filter((p) => p.principalType === "user" && p.principalId).map((p) => p.principalId!),
      ...roleAssignments.filter((a) => a.principalType === "user").map((a) => a.principalId),
      ...(space.authorId ? [space.authorId] : []),
    ];
    const stranger = named.find((a) => !users.has(a));
    if (stranger !== undefined) throw new Fallback(`space ${key} names an account the section does not list`);
    const role = roleAssignments.find((a) => !roles.has(a.roleId));
    if (role) throw new Fallback(`space ${key} names role ${role.roleId}, which the section does not list`);
    const row = toSpace(space, { anonymousAccess: v1.anonymousAccess, unlicensedAccess: v1.unlicensedAccess });
    return { key, before, row, permissions, roleAssignments };
  };

  const spaces = await mapLimit([...new Set(opts.spaces)], FAN_OUT, readSpace);
  const change: SectionChange = { lists: { spaces: [], spacePermissions: [], roleAssignments: [] } };
  for (const s of spaces) {
    if (s.before && (!s.row || s.row.id !== s.before.id)) {
      for (const list of ["spaces", "spacePermissions", "roleAssignments"]) putPartition(change, list, s.before.id, []);
    }
    if (s.row) {
      putPartition(change, "spaces", s.row.id, [s.row]);
      putPartition(change, "spacePermissions", s.row.id, s.permissions);
      putPartition(change, "roleAssignments", s.row.id, s.roleAssignments);
    }
  }
  return change;
}
