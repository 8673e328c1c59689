/**
 * Reading Jira projects and their access, shared by the whole-section reader (`read-jira.ts`), the Forge crawl's
 * project parts (one page of the project listing at a time) and the backend's targeted reads for events (one project
 * by key). Calls (Jira Cloud platform REST v3):
 *  - `GET /project/search?status=live&status=archived&expand=lead` — the listing, 100 per page (the documented
 *    maximum), whole or one page at an offset;
 *  - `GET /project/{id}/permissionscheme` — the project's scheme (no listing names it);
 *  - `GET /project/{id}/role`, then `GET /project/{id}/role/{roleId}` per role — the only calls that give a role's
 *    actors in a project (team-managed projects have roles of their own, so the global `GET /role` cannot stand in).
 *
 * A 403 or 404 on a project's scheme or roles goes to the caller's `Refusal`: the whole read records it in a reason
 * and keeps the rest; a targeted read gives up and reads the section whole.
 */
import { jiraPageBeanPages } from "@accessmap/shared/pagination/drivers";
import {
  type JiraProject,
  JiraProjectPageSchema,
  JiraProjectRoleMapSchema,
  JiraProjectRoleSchema,
  JiraProjectSchemeSchema,
} from "@accessmap/shared/readers/jira/schemas";
import {
  type JiraProjectRow,
  type JiraRoleActorRow,
  type JiraRoleRow,
  roleIdFromUrl,
  toProject,
  toRole,
  toRoleActors,
} from "@accessmap/shared/readers/jira/transform";
import { mapLimit, nameList, type PartialTracker, type ReaderContext } from "@accessmap/shared/readers/reader";
import { ForbiddenError, NotFoundError } from "@accessmap/shared/transport/errors";
import type { QueryValue } from "@accessmap/shared/transport/transport";
import type { z } from "zod";

const PRODUCT = "jira";
/** Projects read at once; the governor caps the real concurrency per product. */
const FAN_OUT = 8;
/** `GET /project/search`: "less than or equal to 100". */
export const PROJECT_PAGE_CAP = 100;

const SEARCH = {
  path: "/rest/api/3/project/search",
  query: { status: ["live", "archived"], expand: "lead" } as Record<string, QueryValue>,
  schema: JiraProjectPageSchema,
  endpoint: "GET /rest/api/3/project/search",
};

/**
 * Every live and archived project the product user can see, with its lead. The spec documents a 404 for "no projects
 * matching the search criteria": that is an empty listing, not a failure.
 */
export async function readProjectList(ctx: ReaderContext): Promise<JiraProject[]> {
  const projects: JiraProject[] = [];
  try {
    for await (const page of jiraPageBeanPages({
      ...SEARCH,
      transport: ctx.transport,
      pageSize: PROJECT_PAGE_CAP,
      key: (p) => String(p.id),
      signal: ctx.signal,
    })) {
      projects.push(...page);
      ctx.progress?.({ product: PRODUCT, phase: "projects", done: projects.length, total: null });
    }
  } catch (err) {
    if (err instanceof NotFoundError && projects.length === 0) return [];
    throw err;
  }
  return projects;
}

/** One page of the project listing. */
export interface ProjectPage {
  projects: JiraProject[];
  /** Where the next page starts (the server's real page size, which it may clamp), or null after the last. */
  next: number | null;
  /** The listing's size as the server states it, when it does. */
  total: number | null;
}

/** The page of the project listing at `startAt` (at most `size` projects; the server caps it at 100). */
export async function readProjectPage(ctx: ReaderContext, startAt: number, size: number): Promise<ProjectPage> {
  let data: z.infer<typeof JiraProjectPageSchema>;
  try {
    ({ data } = await ctx.transport.request({
      path: SEARCH.path,
      query: { ...SEARCH.query, startAt, maxResults: Math.min(size, PROJECT_PAGE_CAP) },
      schema: SEARCH.schema,
      endpoint: SEARCH.endpoint,
      signal: ctx.signal,
    }));
  } catch (err) {
    if (err instanceof NotFoundError) return { projects: [], next: null, total: 0 };
    throw err;
  }
  const projects = data.values ?? [];
  const total = data.total ?? null;
  const isLast = data.isLast ?? (total !== null ? startAt + projects.length >= total : projects.length === 0);
  const step = Math.max(projects.length, data.maxResults ?? 0);
  return { projects, next: isLast || step <= 0 ? null : startAt + step, total };
}

/** Called for a 403 or 404 on a project's scheme (`scheme`) or roles (`roles`, with the role id for one role). */
export type Refusal = (what: "roles" | "scheme", err: ForbiddenError | NotFoundError, roleId?: string) => void;

/** What one project's access reads give. */
export interface ProjectAccess {
  /** Null when the scheme call was refused. */
  schemeId: string | null;
  /** The roles the project has (its own and shared ones), as read. */
  roles: JiraRoleRow[];
  actors: JiraRoleActorRow[];
  /** Actor types the snapshot does not record, one entry per role that had them. */
  unknownTypes: string[];
}

/** Runs one call; a 403 or 404 goes to `refused` and yields `fallback`, anything else propagates. */
async function guarded<T>(
  refused: (err: ForbiddenError | NotFoundError) => void,
  fallback: T,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ForbiddenError || err instanceof NotFoundError) {
      refused(err);
      return fallback;
    }
    throw err;
  }
}

/** One project's permission scheme and role actors: the scheme and role list at once, then each role. */
export async function readProjectAccess(
  ctx: ReaderContext,
  project: { id: string | number; name: string },
  refused: Refusal,
): Promise<ProjectAccess> {
  const id = String(project.id);
  const base = `/rest/api/3/project/${encodeURIComponent(id)}`;
  const [roleMap, schemeId] = await Promise.all([
    guarded(
      (err) => refused("roles", err),
      {} as Record<string, string>,
      async () => {
        const { data } = await ctx.transport.request({
          path: `${base}/role`,
          schema: JiraProjectRoleMapSchema,
          endpoint: "GET /rest/api/3/project/{id}/role",
          signal: ctx.signal,
        });
        return data;
      },
    ),
    guarded(
      (err) => refused("scheme", err),
      null as string | null,
      async () => {
        const { data } = await ctx.transport.request({
          path: `${base}/permissionscheme`,
          schema: JiraProjectSchemeSchema,
          endpoint: "GET /rest/api/3/project/{id}/permissionscheme",
          signal: ctx.signal,
        });
        return String(data.id);
      },
    ),
  ]);
  const out: ProjectAccess = { schemeId, roles: [], actors: [], unknownTypes: [] };
  for (const url of Object.values(roleMap)) {
    const roleId = roleIdFromUrl(url);
    const role = await guarded(
      (err) => refused("roles", err, roleId),
      null,
      async () => {
        const { data } = await ctx.transport.request({
          path: `${base}/role/${roleId}`,
          schema: JiraProjectRoleSchema,
          endpoint: "GET /rest/api/3/project/{id}/role/{roleId}",
          signal: ctx.signal,
        });
        return data;
      },
    );
    if (!role) continue;
    out.roles.push(toRole(role));
    const actors = toRoleActors({ id, name: project.name }, role);
    out.actors.push(...actors.rows);
    out.unknownTypes.push(...actors.unknownTypes);
  }
  return out;
}

function projectLabel(p: { name: string; key: string }): string {
  return `${p.name} (${p.key})`;
}

/** Per-project refusals, gathered so one reason names every project that shares a cause. */
class ProjectProblems {
  private readonly buckets = new Map<string, { status: number; what: "roles" | "scheme"; projects: string[] }>();

  add(what: "roles" | "scheme", err: ForbiddenError | NotFoundError, project: JiraProject): void {
    const key = `${what} ${err.status}`;
    const bucket = this.buckets.get(key) ?? { status: err.status, what, projects: [] };
    const label = projectLabel(project);
    if (!bucket.projects.includes(label)) bucket.projects.push(label);
    this.buckets.set(key, bucket);
  }

  reasons(): string[] {
    return [...this.buckets.values()].map(({ status, what, projects }) => {
      const subject = what === "roles" ? "project roles" : "permission scheme";
      const head = `${subject} of ${nameList(projects)}: Jira answered ${status === 403 ? "403 Forbidden" : "404 Not Found"}`;
      if (status === 404) {
        return (
          `${head} — the project was deleted while discovery ran, or the product user may not administer it. ` +
          `Run discovery again; if it persists, grant the product user the "Administer Jira" global permission.`
        );
      }
      return (
        `${head} — reading a project's ${what === "roles" ? "role actors" : "permission scheme"} needs the ` +
        `"Administer Jira" global permission or "Administer projects" on that project. Grant the product user ` +
        `"Administer Jira" (Settings → System → Global permissions) and run discovery again.`
      );
    });
  }
}

/** The rows of a set of projects: each project's row, the roles they have (once each) and their role actors. */
export interface ProjectsAccess {
  projects: JiraProjectRow[];
  roles: JiraRoleRow[];
  roleActors: JiraRoleActorRow[];
}

/**
 * Role actors and the permission scheme of every project, fanned out per project. Refusals become reasons in
 * `tracker` (one per cause, naming the projects), and actors of a type the snapshot does not hold are left out.
 */
export async function readProjectsAccess(
  ctx: ReaderContext,
  projects: readonly JiraProject[],
  tracker: PartialTracker,
): Promise<ProjectsAccess> {
  const problems = new ProjectProblems();
  const unknownActorTypes = new Map<string, number>();
  let done = 0;
  const perProject = await mapLimit(projects, FAN_OUT, async (project) => {
    const access = await readProjectAccess(ctx, project, (what, err) => problems.add(what, err, project));
    done += 1;
    ctx.progress?.({ product: PRODUCT, phase: "project roles and schemes", done, total: projects.length });
    return { row: toProject(project, access.schemeId), access };
  });
  for (const reason of problems.reasons()) tracker.note(reason);
  const roles = new Map<string, JiraRoleRow>();
  for (const { access } of perProject) {
    for (const role of access.roles) if (!roles.has(role.id)) roles.set(role.id, role);
    for (const t of access.unknownTypes) unknownActorTypes.set(t, (unknownActorTypes.get(t) ?? 0) + 1);
  }
  if (unknownActorTypes.size > 0) {
    const list = [...unknownActorTypes].map(([type, n]) => `${n} of type "${type}"`).join(", ");
    tracker.note(`project role actors: ${list} were left out — the snapshot records only user and group actors.`);
  }
  return {
    projects: perProject.map((p) => p.row),
    roles: [...roles.values()],
    roleActors: perProject.flatMap((p) => p.access.actors),
  };
}
