/**
 * Targeted Confluence reads for event patches: the spaces a Forge event names (by key), read through the tenant's
 * Confluence transport with the shared reader's response schemas and transforms, as partition changes of the
 * current Confluence section — the same rows the full read makes for one space. Per space (Confluence Cloud v2 and
 * v1, `../shared/atlassian-specs/confluence-*`):
 *  1. `GET /wiki/api/v2/spaces?keys={key}` — the row (none: the space is gone and its rows leave);
 *  2. `GET /wiki/rest/api/space/{key}?expand=permissions` — v1's rows, the only source of anonymous and unlicensed
 *     access (and of every row on a site without space roles);
 *  3. on a site with roles (or an unknown role mode): the shared `readSpaceDetail`, the same per-space read the
 *     whole section makes — `GET /wiki/api/v2/spaces/{id}?include-permissions=true`
 *     (`&include-role-assignments=true` with roles), the lists continued from their cursors when longer than what
 *     is embedded.
 * What a space's rows name must already be in the section: an account the section does not list, or a role it
 * does not know, would change its identity side — the section is then read whole, as it is on any refusal, on a
 * principal type the snapshot cannot hold, or when v1 does not list the space.
 *
 * @module
 */
import {
  readSpaceDetail,
  spaceGrants,
  spaceReadMode,
} from "@accessmap/shared/readers/confluence/read-confluence-spaces";
import { V1SpaceSchema, V2SpacePageSchema } from "@accessmap/shared/readers/confluence/schemas";
import {
  type ConfluencePermissionRow,
  type ConfluenceRoleAssignmentRow,
  toSpace,
  toV1SpaceAccess,
} from "@accessmap/shared/readers/confluence/transform";
import { mapLimit, type ReaderContext } from "@accessmap/shared/readers/reader";
import type { ConfluenceSection } from "@accessmap/shared/snapshot/schema";
import type { ZodType } from "zod";
import type { TargetedRead } from "../../connectors/bitbucket/read-targets.js";
import { putPartition, type SectionChange } from "../../model/snapshot-delta.js";
import { Fallback, must, targeted } from "./fallback.js";

const FAN_OUT = 8;
const V1 = "/wiki/rest/api";
const V2 = "/wiki/api/v2";

/** Reads the named spaces; partition changes of `base`, or `fallback` with the reason. */
export async function readConfluenceSpaces(
  ctx: ReaderContext,
  opts: { base: ConfluenceSection; spaces: readonly string[] },
): Promise<TargetedRead> {
  return targeted(() => read(ctx, opts));
}

async function read(
  ctx: ReaderContext,
  opts: { base: ConfluenceSection; spaces: readonly string[] },
): Promise<SectionChange> {
  const { base } = opts;
  const request = <T>(path: string, endpoint: string, schema: ZodType<T>, query?: Record<string, string | boolean>) =>
    ctx.transport.request<T>({ path, endpoint, schema, query, signal: ctx.signal }).then((r) => r.data);
  // As the full read decides it from the site's role mode.
  const mode = spaceReadMode(base.roleMode);
  const users = new Set(base.users.map((u) => u.accountId));
  const roles = new Set(base.roles.map((r) => r.id));

  const readSpace = async (key: string) => {
    const before = base.spaces.find((s) => s.key === key) ?? null;
    const found = await must("Confluence", `space ${key}`, () =>
      request(`${V2}/spaces`, `GET ${V2}/spaces`, V2SpacePageSchema, { keys: key }),
    );
    const space = found.results.find((s) => s.key === key);
    if (!space) return { key, before, row: null, permissions: [], roleAssignments: [] };
    const id = String(space.id);
    const v1 = toV1SpaceAccess(
      await must("Confluence", `v1 permissions of space ${key}`, () =>
        request(`${V1}/space/${encodeURIComponent(key)}`, `GET ${V1}/space/{spaceKey}`, V1SpaceSchema, {
          expand: "permissions",
        }),
      ),
    );
    let permissions: ConfluencePermissionRow[];
    let roleAssignments: ConfluenceRoleAssignmentRow[] = [];
    if (!mode.perSpaceForAll) permissions = v1.permissions.map((p) => ({ ...p, spaceId: id }));
    else {
      // The same per-space read as the whole section's (shared), but a refusal reads the section whole.
      const detail = await must("Confluence", `v2 permissions of space ${key}`, () =>
        readSpaceDetail(ctx, id, mode.withRoleAssignments),
      );
      const grants = spaceGrants(id, v1, detail);
      const unknown = grants.unknownPrincipals[0];
      if (unknown !== undefined) throw new Fallback(`a grant or role assignment of space ${key} to a "${unknown}"`);
      permissions = grants.permissions;
      roleAssignments = grants.roleAssignments;
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
