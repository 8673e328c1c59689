/**
 * Reading Confluence spaces and their access, shared by the whole-section reader (`read-confluence.ts`), the Forge
 * crawl's space parts (one page of the space listing at a time) and the backend's targeted reads for events (one
 * space by key). Calls (Confluence Cloud v2 `/wiki/api/v2` and v1 `/wiki/rest/api`):
 *  - `GET /wiki/api/v2/spaces` — the listing, 250 per page, whole or one page from a `_links.next` cursor;
 *  - `GET /wiki/rest/api/space?expand=permissions` — v1's grants, the only source of anonymous and unlicensed
 *    access (and of every grant on a site without space roles), 250 per page; whole, or for given `spaceId`s;
 *  - `GET /wiki/api/v2/spaces/{id}?include-permissions=true[&include-role-assignments=true]` per space on a site
 *    with roles (or an unknown role mode) — the first 50 of each list embedded, continued from its `meta.cursor`
 *    through `GET /spaces/{id}/permissions` or `/role-assignments` only when longer.
 */
import { collect, confluenceCursorPages, confluenceV1Pages, linkNext } from "@accessmap/shared/pagination/drivers";
import { assertCursorChanged } from "@accessmap/shared/pagination/guards";
import {
  V1SpacePageSchema,
  type V2Permission,
  V2PermissionPageSchema,
  type V2RoleAssignment,
  V2RoleAssignmentPageSchema,
  type V2Space,
  V2SpaceDetailSchema,
  V2SpacePageSchema,
} from "@accessmap/shared/readers/confluence/schemas";
import {
  type ConfluencePermissionRow,
  type ConfluenceRoleAssignmentRow,
  type ConfluenceSpaceRow,
  fromV2Permission,
  toRoleAssignment,
  toSpace,
  toV1SpaceAccess,
  type V1SpaceAccess,
} from "@accessmap/shared/readers/confluence/transform";
import {
  type Failures,
  mapLimit,
  nameList,
  type PartialTracker,
  type ReaderContext,
  tolerate,
} from "@accessmap/shared/readers/reader";

const PRODUCT = "confluence";
/** Spaces read at once; the governor caps the real concurrency per product. */
const FAN_OUT = 8;
const V1 = "/wiki/rest/api";
const V2 = "/wiki/api/v2";

/** Page sizes (reference §2.5 and §5): v2 `limit` 1–250 on every listing; v1 `GET /space` like v2 (VERIFY). */
export const SPACE_PAGE_CAPS = { spaces: 250, v1Spaces: 250, permissions: 250, roleAssignments: 250 } as const;

/** How a site's role mode decides the per-space reads (`GET /space-role-mode`; null when unknown). */
export interface SpaceReadMode {
  /** Read every space through v2 (role grants included): any mode but `PRE_ROLES`, unknown included. */
  perSpaceForAll: boolean;
  /** Read role assignments: a known mode other than `PRE_ROLES`. */
  withRoleAssignments: boolean;
}

/** The per-space reads a role mode calls for. */
export function spaceReadMode(roleMode: string | null): SpaceReadMode {
  return {
    perSpaceForAll: roleMode !== "PRE_ROLES",
    withRoleAssignments: roleMode !== null && roleMode !== "PRE_ROLES",
  };
}

export function spaceLabel(s: { name?: string | null; key: string }): string {
  return s.name ? `${s.name} (${s.key})` : s.key;
}

function progress(ctx: ReaderContext, phase: string, done: number, total: number | null): void {
  ctx.progress?.({ product: PRODUCT, phase, done, total });
}

/** Every space (all types and statuses) through the v2 listing. */
export async function collectSpaces(ctx: ReaderContext): Promise<V2Space[]> {
  const out: V2Space[] = [];
  for await (const page of confluenceCursorPages({
    transport: ctx.transport,
    path: `${V2}/spaces`,
    query: { limit: SPACE_PAGE_CAPS.spaces },
    schema: V2SpacePageSchema,
    endpoint: `GET ${V2}/spaces`,
    key: (s) => String(s.id),
    signal: ctx.signal,
  })) {
    out.push(...page);
    progress(ctx, "spaces", out.length, null);
  }
  return out;
}

/** The v2 listing's next-page links start so; anything else is not a page of this listing. */
export const SPACES_NEXT_PREFIX = `${V2}/spaces?`;

/**
 * One page of the v2 space listing: the first (`next` null, at most `size` spaces) or the one a previous page's
 * `_links.next` names. Returns the page's spaces and the link to the next page (null after the last).
 */
export async function readSpacesPage(
  ctx: ReaderContext,
  next: string | null,
  size: number,
): Promise<{ spaces: V2Space[]; next: string | null }> {
  if (next !== null && !next.startsWith(SPACES_NEXT_PREFIX)) {
    throw new TypeError(`not a link to a page of ${V2}/spaces: ${next.slice(0, 80)}`);
  }
  const { data, headers } = await ctx.transport.request({
    path: next ?? `${V2}/spaces`,
    query: next ? undefined : { limit: Math.min(size, SPACE_PAGE_CAPS.spaces) },
    schema: V2SpacePageSchema,
    endpoint: `GET ${V2}/spaces`,
    signal: ctx.signal,
  });
  const link = data._links?.next ?? linkNext(headers.get("link"));
  // A link back to where this page came from would loop; the whole listing's driver refuses it the same way.
  if (link !== null) assertCursorChanged(`GET ${V2}/spaces`, next, link);
  return { spaces: data.results, next: link };
}

/**
 * What v1 states about each space, by space id: its grants, anonymous and unlicensed access included. Every space
 * the product user sees, or only those of `spaceIds` (v1's `spaceId` filter; at most one page of them per call).
 */
export async function readV1Access(
  ctx: ReaderContext,
  spaceIds?: readonly string[],
): Promise<Map<string, V1SpaceAccess>> {
  const out = new Map<string, V1SpaceAccess>();
  if (spaceIds?.length === 0) return out;
  for await (const page of confluenceV1Pages({
    transport: ctx.transport,
    path: `${V1}/space`,
    query: { expand: "permissions", ...(spaceIds ? { spaceId: [...spaceIds] } : {}) },
    schema: V1SpacePageSchema,
    endpoint: `GET ${V1}/space`,
    pageSize: SPACE_PAGE_CAPS.v1Spaces,
    key: (s) => String(s.id),
    signal: ctx.signal,
  })) {
    for (const s of page) {
      const a = toV1SpaceAccess(s);
      out.set(a.spaceId, a);
    }
  }
  return out;
}

/** One space's v2 permissions and role assignments: the embedded first 50, then the listings' continuations. */
export async function readSpaceDetail(
  ctx: ReaderContext,
  spaceId: string,
  withRoleAssignments: boolean,
): Promise<{ permissions: V2Permission[]; roleAssignments: V2RoleAssignment[] }> {
  const base = `${V2}/spaces/${encodeURIComponent(spaceId)}`;
  const { data } = await ctx.transport.request({
    path: base,
    query: { "include-permissions": true, ...(withRoleAssignments ? { "include-role-assignments": true } : {}) },
    schema: V2SpaceDetailSchema,
    endpoint: `GET ${V2}/spaces/{id}`,
    signal: ctx.signal,
  });
  const permissions = await completeEmbedded(ctx, data.permissions, {
    path: `${base}/permissions`,
    schema: V2PermissionPageSchema,
    endpoint: `GET ${V2}/spaces/{id}/permissions`,
    cap: SPACE_PAGE_CAPS.permissions,
  });
  const roleAssignments = withRoleAssignments
    ? await completeEmbedded(ctx, data.roleAssignments, {
        path: `${base}/role-assignments`,
        schema: V2RoleAssignmentPageSchema,
        endpoint: `GET ${V2}/spaces/{id}/role-assignments`,
        cap: SPACE_PAGE_CAPS.roleAssignments,
      })
    : [];
  return { permissions, roleAssignments };
}

/**
 * The whole list behind an embedded `include-*` list: as is when complete; continued from `meta.cursor` when it
 * has more; read from the start when the server sent no list or no cursor (it ignored the include, or changed).
 */
async function completeEmbedded<T>(
  ctx: ReaderContext,
  list: { results: T[]; meta?: { hasMore?: boolean | null; cursor?: string | null } | null } | null | undefined,
  listing: {
    path: string;
    schema: Parameters<typeof confluenceCursorPages<T>>[0]["schema"];
    endpoint: string;
    cap: number;
  },
): Promise<T[]> {
  if (list && !list.meta?.hasMore) return list.results;
  const cursor = list?.meta?.cursor ?? null;
  const rest = await collect(
    confluenceCursorPages({
      transport: ctx.transport,
      path: listing.path,
      query: { limit: listing.cap, ...(cursor ? { cursor } : {}) },
      schema: listing.schema,
      endpoint: listing.endpoint,
      signal: ctx.signal,
    }),
  );
  return cursor && list ? [...list.results, ...rest] : rest;
}

/** One space's grant rows from what v1 and v2 state, and the principal types left out (one entry per row). */
export interface SpaceGrants {
  permissions: ConfluencePermissionRow[];
  roleAssignments: ConfluenceRoleAssignmentRow[];
  unknownPrincipals: string[];
}

/**
 * The rows of one space read through v2: user, group and role grants and role assignments from v2, anonymous and
 * unlicensed grants from v1 (the only API that states them).
 */
export function spaceGrants(
  spaceId: string,
  fromV1: V1SpaceAccess | null,
  detail: { permissions: readonly V2Permission[]; roleAssignments: readonly V2RoleAssignment[] },
): SpaceGrants {
  const out: SpaceGrants = {
    permissions: (fromV1?.permissions ?? []).filter(
      (p) => p.principalType === "anonymous" || p.principalType === "unlicensed",
    ),
    roleAssignments: [],
    unknownPrincipals: [],
  };
  for (const p of detail.permissions) {
    const r = fromV2Permission(spaceId, p);
    if (r) out.permissions.push(r);
    else out.unknownPrincipals.push(p.principal.type);
  }
  for (const a of detail.roleAssignments) {
    const r = toRoleAssignment(spaceId, a);
    if (r) out.roleAssignments.push(r);
    else out.unknownPrincipals.push(a.principal.principalType);
  }
  return out;
}

/** The rows of a set of spaces. */
export interface SpacesAccess {
  spaces: ConfluenceSpaceRow[];
  permissions: ConfluencePermissionRow[];
  roleAssignments: ConfluenceRoleAssignmentRow[];
}

/**
 * Each space's row and grants. v1 supplies the anonymous / unlicensed rows always, and every row when the site has
 * no roles; v2 supplies user, group and role rows (and role assignments) per space otherwise, or for a space the v1
 * listing lacked. A 403 or 404 on one space keeps what v1 said about it and names it in a reason.
 */
export async function readSpacesAccess(
  ctx: ReaderContext,
  spaces: readonly V2Space[],
  v1: Map<string, V1SpaceAccess> | null,
  mode: SpaceReadMode,
  tracker: PartialTracker,
): Promise<SpacesAccess> {
  const failures: Failures = { forbidden: [], notFound: [] };
  const missingFromV1: string[] = [];
  const unknownPrincipals = new Map<string, number>();
  let done = 0;

  const perSpace = await mapLimit(spaces, FAN_OUT, async (space) => {
    const id = String(space.id);
    const fromV1 = v1?.get(id) ?? null;
    if (v1 && !fromV1) missingFromV1.push(spaceLabel(space));
    const row = toSpace(space, {
      anonymousAccess: fromV1?.anonymousAccess ?? false,
      unlicensedAccess: fromV1?.unlicensedAccess ?? false,
    });

    let permissions: ConfluencePermissionRow[];
    let roleAssignments: ConfluenceRoleAssignmentRow[] = [];
    if (!mode.perSpaceForAll && fromV1) {
      permissions = fromV1.permissions;
    } else {
      const detail = await tolerate(spaceLabel(space), failures, () =>
        readSpaceDetail(ctx, id, mode.withRoleAssignments),
      );
      if (detail) {
        const grants = spaceGrants(id, fromV1, detail);
        permissions = grants.permissions;
        roleAssignments = grants.roleAssignments;
        for (const type of grants.unknownPrincipals)
          unknownPrincipals.set(type, (unknownPrincipals.get(type) ?? 0) + 1);
      } else {
        // What v1 said about the space is still true; only its role grants and assignments are unknown.
        permissions = (fromV1?.permissions ?? []).filter((p) =>
          ["user", "group", "anonymous", "unlicensed"].includes(p.principalType),
        );
      }
    }
    progress(ctx, "space permissions", ++done, spaces.length);
    return { row, permissions, roleAssignments };
  });

  const forSpaces = (names: string[]) => `${names.length === 1 ? "space" : "spaces"} ${nameList(names)}`;
  if (failures.forbidden.length > 0) {
    tracker.note(
      `space permissions: Confluence answered 403 Forbidden for ${forSpaces(failures.forbidden)} — the product ` +
        `user may not read their permissions through v2. Their user, group, anonymous and unlicensed grants come ` +
        `from the v1 listing where it had them; their role grants and role assignments are unknown. Make the ` +
        `product user a Confluence administrator (or give it View space on these spaces) and run discovery again.`,
    );
  }
  if (failures.notFound.length > 0) {
    tracker.note(
      `space permissions: ${forSpaces(failures.notFound)} answered 404 Not Found — deleted while discovery ran, ` +
        `or hidden from the product user. Their role grants and role assignments are unknown; run discovery again.`,
    );
  }
  if (missingFromV1.length > 0) {
    tracker.note(
      `anonymous and unlicensed access: the v1 space listing did not include ${forSpaces(missingFromV1)} ` +
        `(created while discovery ran, or hidden from v1), so they are recorded without anonymous or unlicensed ` +
        `access, which may be wrong. Run discovery again.`,
    );
  }
  if (unknownPrincipals.size > 0) {
    const list = [...unknownPrincipals].map(([type, n]) => `${n} to "${type}"`).join(", ");
    tracker.note(
      `space permissions: grants and role assignments to principal types accessmap does not record yet were left ` +
        `out (${list}). Report this so the type can be added.`,
    );
  }
  return {
    spaces: perSpace.map((s) => s.row),
    permissions: perSpace.flatMap((s) => s.permissions),
    roleAssignments: perSpace.flatMap((s) => s.roleAssignments),
  };
}
