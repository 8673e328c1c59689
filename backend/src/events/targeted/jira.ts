/**
 * Targeted Jira reads for event patches: the projects a Forge event names (by key or id), read through the tenant's
 * Jira transport with the shared reader's response schemas and transforms, as partition changes of the current
 * Jira section. Per project (Jira Cloud REST v3, `../shared/atlassian-specs/jira-openapi-v3.json`):
 *  1. `GET /rest/api/3/project/{idOrKey}?expand=lead` — the row; a 404 means it is gone and its rows leave;
 *  2. its scheme and role actors through the shared `readProjectAccess` (`…/permissionscheme`, `…/role`, then
 *     `…/role/{roleId}` per role) — the same reads the whole section makes per project; a scheme the section does
 *     not hold yet is read with its grants (`GET /rest/api/3/permissionscheme/{id}?expand=permissions`).
 * A refusal, a 404 after the project answered, a role actor of a type the snapshot cannot hold, or a 404 for a
 * project the section lists as archived (an archived project is not served one by one everywhere) all fall back
 * to reading the section whole.
 *
 * @module
 */

import { readProjectAccess } from "@accessmap/shared/readers/jira/read-jira-projects";
import {
  JiraPermissionSchemeSchema,
  type JiraProject,
  JiraProjectSchema,
} from "@accessmap/shared/readers/jira/schemas";
import {
  type JiraRoleActorRow,
  type JiraRoleRow,
  toGrants,
  toProject,
  toScheme,
} from "@accessmap/shared/readers/jira/transform";
import { mapLimit, type ReaderContext } from "@accessmap/shared/readers/reader";
import type { JiraSection } from "@accessmap/shared/snapshot/schema";
import { ForbiddenError, NotFoundError } from "@accessmap/shared/transport/errors";
import type { ZodType } from "zod";
import type { TargetedRead } from "../../connectors/bitbucket/read-targets.js";
import { putPartition, type SectionChange } from "../../model/snapshot-delta.js";
import { Fallback, must, targeted } from "./fallback.js";

const FAN_OUT = 8;
const API = "/rest/api/3";

/** Reads the named projects; partition changes of `base`, or `fallback` with the reason. */
export async function readJiraProjects(
  ctx: ReaderContext,
  opts: { base: JiraSection; projects: readonly string[] },
): Promise<TargetedRead> {
  return targeted(() => read(ctx, opts));
}

async function read(
  ctx: ReaderContext,
  opts: { base: JiraSection; projects: readonly string[] },
): Promise<SectionChange> {
  const { base } = opts;
  const request = <T>(path: string, endpoint: string, schema: ZodType<T>, query?: Record<string, string>) =>
    ctx.transport.request<T>({ path, endpoint, schema, query, signal: ctx.signal }).then((r) => r.data);
  const known = new Set(base.permissionSchemes.map((s) => s.id));
  const roles = new Map<string, JiraRoleRow>();
  const schemes = new Map<string, { row: ReturnType<typeof toScheme>; grants: ReturnType<typeof toGrants> }>();

  const readProject = async (ref: string) => {
    const before = base.projects.find((p) => p.key === ref || p.id === ref) ?? null;
    let project: JiraProject;
    try {
      project = await request(
        `${API}/project/${encodeURIComponent(ref)}`,
        "GET /rest/api/3/project/{projectIdOrKey}",
        JiraProjectSchema,
        {
          expand: "lead",
        },
      );
    } catch (err) {
      if (err instanceof NotFoundError) {
        if (before?.archived) throw new Fallback(`archived project ${ref}: Jira answered 404`);
        return { before, row: null, actors: [] as JiraRoleActorRow[] };
      }
      if (err instanceof ForbiddenError) throw new Fallback(`project ${ref}: Jira answered 403`);
      throw err;
    }
    // The same per-project reads as the whole section's (shared), but any refusal reads the section whole.
    const access = await readProjectAccess(ctx, project, (what, err, roleId) => {
      const subject =
        what === "scheme"
          ? `permission scheme of project ${project.key}`
          : roleId
            ? `role ${roleId} of project ${project.key}`
            : `roles of project ${project.key}`;
      throw new Fallback(`${subject}: Jira answered ${err.status}`);
    });
    if (access.unknownTypes.length > 0) {
      throw new Fallback(`role actors of project ${project.key} of type ${access.unknownTypes[0]}`);
    }
    const schemeId = access.schemeId;
    if (schemeId === null) throw new Fallback(`permission scheme of project ${project.key}: not read`);
    if (!known.has(schemeId) && !schemes.has(schemeId)) {
      const s = await must("Jira", `permission scheme ${schemeId}`, () =>
        request(
          `${API}/permissionscheme/${encodeURIComponent(schemeId)}`,
          "GET /rest/api/3/permissionscheme/{schemeId}",
          JiraPermissionSchemeSchema,
          { expand: "permissions" },
        ),
      );
      schemes.set(schemeId, { row: toScheme(s), grants: toGrants(s) });
    }
    for (const row of access.roles) if (!roles.has(row.id)) roles.set(row.id, row);
    return { before, row: toProject(project, schemeId), actors: access.actors };
  };

  const read = await mapLimit([...new Set(opts.projects)], FAN_OUT, readProject);
  const change: SectionChange = { lists: { projects: [], roleActors: [] } };
  for (const p of read) {
    if (p.before && !p.row) {
      putPartition(change, "projects", p.before.id, []);
      putPartition(change, "roleActors", p.before.id, []);
    }
    if (p.row) {
      putPartition(change, "projects", p.row.id, [p.row]);
      putPartition(change, "roleActors", p.row.id, p.actors);
    }
  }
  const baseRoles = new Map(base.roles.map((r) => [r.id, r]));
  for (const [id, row] of roles) if (baseRoles.get(id)?.name !== row.name) putPartition(change, "roles", id, [row]);
  for (const [id, s] of schemes) {
    putPartition(change, "permissionSchemes", id, [s.row]);
    putPartition(change, "grants", id, s.grants);
  }
  return change;
}
