/**
 * Jira projects: `GET /project/search` (PageBean, at most 100 per page, live projects unless `status` says
 * otherwise, only projects the caller may view) and `GET /project/{projectIdOrKey}`.
 * Spec: jira-platform-swagger-v3, group "Projects".
 */
import { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { jiraError } from "../../http/errors.js";
import { clampPageSize, jiraPageBean, parseOffset } from "../../http/pagination.js";
import type { SimState } from "../../state.js";
import type { JiraProject } from "../../tenant/model.js";
import type { JiraAccess } from "./access.js";
import {
  callerAccess,
  findProject,
  type JiraContext,
  projectNotFound,
  queryList,
  restBase,
  siteBase,
} from "./common.js";
import { type RenderContext, renderUser } from "./render.js";

/** "Must be less than or equal to 100. If a value greater than 100 is provided, … default to 100." */
const SEARCH_MAX = 100;
const SEARCH_DEFAULT = 50;
const STATUSES = new Set(["live", "archived", "deleted"]);
const ACTIONS = new Set(["view", "browse", "edit", "create"]);
const TYPE_KEYS = new Set(["business", "service_desk", "software"]);
const EXPAND = "description,lead,issueTypes,url,projectKeys,permissions,insight";

/** Jira's generated project avatars (the "secure/projectavatar" servlet on the site). */
function projectAvatars(c: JiraContext, project: JiraProject) {
  const site = siteBase(c);
  const url = (size: string) => `${site}/secure/projectavatar?size=${size}&pid=${project.id}`;
  return { "16x16": url("xsmall"), "24x24": url("small"), "32x32": url("medium"), "48x48": url("large") };
}

/** `Project`, with the optional parts `expand` asks for. */
function renderProject(
  c: JiraContext,
  state: SimState,
  project: JiraProject,
  access: JiraAccess,
  expand: ReadonlySet<string>,
) {
  const base = restBase(c);
  const ctx: RenderContext = { base, browseUsers: access.browseUsers };
  const lead = expand.has("lead") ? state.accountsById.get(project.leadAccountId) : undefined;
  return {
    expand: EXPAND,
    self: `${base}/project/${project.id}`,
    id: project.id,
    key: project.key,
    name: project.name,
    // The tenant stores no project descriptions; Jira reports an empty one as "".
    ...(expand.has("description") ? { description: "" } : {}),
    ...(lead ? { lead: renderUser(lead, ctx) } : {}),
    avatarUrls: projectAvatars(c, project),
    projectTypeKey: project.projectTypeKey,
    simplified: project.style === "next-gen",
    style: project.style,
    // "Whether the project is private from the user's perspective": visible only through Administer Jira.
    isPrivate: !access.has(project, "BROWSE_PROJECTS"),
    properties: {},
    archived: project.archived,
    ...(expand.has("permissions") ? { permissions: { canEdit: access.canAdminister(project) } } : {}),
  };
}

/** Sort keys of `orderBy` that the tenant's data supports; others fall back to `key`, Jira's default. */
function comparator(orderBy: string, state: SimState): (a: JiraProject, b: JiraProject) => number {
  const desc = orderBy.startsWith("-");
  const field = orderBy.replace(/^[-+]/, "");
  const value = (p: JiraProject): string => {
    if (field === "name") return p.name.toLowerCase();
    if (field === "owner") return (state.accountsById.get(p.leadAccountId)?.displayName ?? "").toLowerCase();
    return p.key;
  };
  return (a, b) => {
    const va = value(a);
    const vb = value(b);
    const cmp = va < vb ? -1 : va > vb ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
    return desc ? -cmp : cmp;
  };
}

/** Whether the caller may perform `action` on the project (`project/search` `action`). */
function allows(access: JiraAccess, project: JiraProject, action: string): boolean {
  switch (action) {
    case "browse":
      return !project.archived && access.has(project, "BROWSE_PROJECTS");
    case "edit":
      return access.canAdminister(project);
    case "create":
      return !project.archived && access.has(project, "CREATE_ISSUES");
    default:
      return access.canView(project);
  }
}

/** Routes for Jira projects. */
export function projectsRoutes(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  app.get("/rest/api/3/project/search", (c) => {
    const state = c.get("sim").state;
    const access = callerAccess(c);
    const statuses = queryList(c, "status");
    const bad = statuses.find((s) => !STATUSES.has(s));
    if (bad) return jiraError(c, 400, `Invalid project status '${bad}'. Valid values: live, archived, deleted.`);
    const action = c.req.query("action") || "view";
    if (!ACTIONS.has(action)) return jiraError(c, 400, `Invalid action '${action}'.`);
    const typeKeys = queryList(c, "typeKey");
    const badType = typeKeys.find((t) => !TYPE_KEYS.has(t));
    if (badType) return jiraError(c, 400, `Invalid project type key '${badType}'.`);
    const wanted = new Set(statuses.length > 0 ? statuses : ["live"]);
    const ids = new Set(queryList(c, "id"));
    const keys = new Set(queryList(c, "keys"));
    const query = c.req.query("query")?.toLowerCase();
    const projects = state.tenant.jira.projects
      .filter((p) => wanted.has(p.archived ? "archived" : "live"))
      .filter((p) => ids.size === 0 || ids.has(p.id))
      .filter((p) => keys.size === 0 || keys.has(p.key))
      .filter((p) => typeKeys.length === 0 || typeKeys.includes(p.projectTypeKey))
      .filter((p) => !query || p.key.toLowerCase().includes(query) || p.name.toLowerCase().includes(query))
      .filter((p) => allows(access, p, action))
      .sort(comparator(c.req.query("orderBy") ?? "key", state));
    const startAt = parseOffset(c.req.query("startAt"));
    const maxResults = clampPageSize(c.req.query("maxResults"), SEARCH_DEFAULT, SEARCH_MAX);
    const expand = new Set(queryList(c, "expand"));
    const page = jiraPageBean(c, projects, startAt, maxResults);
    page.values = (page.values as JiraProject[]).map((p) => renderProject(c, state, p, access, expand));
    return c.json(page);
  });

  app.get("/rest/api/3/project/:projectIdOrKey", (c) => {
    const state = c.get("sim").state;
    const idOrKey = c.req.param("projectIdOrKey");
    const project = findProject(state, idOrKey);
    const access = callerAccess(c);
    if (!project || !access.canView(project)) return projectNotFound(c, idOrKey);
    // "The project description, issue types, and project lead are included in all responses by default."
    const expand = new Set([...queryList(c, "expand"), "description", "lead"]);
    const base = restBase(c);
    return c.json({
      ...renderProject(c, state, project, access, expand),
      assigneeType: "UNASSIGNED",
      roles: Object.fromEntries(
        state.tenant.jira.roles.map((r) => [r.name, `${base}/project/${project.id}/role/${r.id}`]),
      ),
    });
  });

  return app;
}
