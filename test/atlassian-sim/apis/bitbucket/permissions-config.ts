/**
 * Explicit permissions of Bitbucket projects and repositories (`permissions-config`): list, get, PUT and DELETE per
 * user and per group. These endpoints "do not support BBQL" and show only explicit grants (not inherited ones).
 *
 * Access: project endpoints need `project:admin`, repository endpoints `repository:admin`; the member consumer's
 * token lacks them and gets Bitbucket's missing-scope 403. Writes go through `SimState` so they show in the
 * effective permissions, the ground truth and the audit log.
 *
 * Divergence, documented: the spec says PUT/DELETE accept app passwords (newer docs: API tokens) only, "JWT and
 * OAuth authentication methods are unsupported". The simulator authenticates Bitbucket with OAuth tokens only, so
 * it accepts the admin consumer's token for writes rather than make them unreachable.
 */
import type { Context, Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { bitbucketError } from "../../http/errors.js";
import type { BitbucketPrincipal } from "../../state.js";
import type {
  BitbucketGroupGrant,
  BitbucketProject,
  BitbucketRepo,
  BitbucketUserGrant,
  SimAccount,
} from "../../tenant/model.js";
import { PROJECT_LEVELS, REPO_LEVELS, workspaceAccess } from "./effective.js";
import { listResponse } from "./listing.js";
import {
  findGroup,
  findProject,
  findRepo,
  findUser,
  findWorkspace,
  missingScope,
  noProject,
  noRepo,
  noWorkspace,
} from "./lookup.js";
import {
  type RenderContext,
  renderContext,
  renderGroup,
  renderProjectRef,
  renderRepoRef,
  renderUser,
} from "./render.js";

/** The two resources that carry explicit grants, seen through one interface. */
interface Target {
  kind: "project" | "repository";
  /** `project_user_permission` / `repository_user_permission` prefix. */
  typePrefix: string;
  scope: string;
  levels: readonly string[];
  users: Array<BitbucketUserGrant<string>>;
  groups: Array<BitbucketGroupGrant<string>>;
  /** The API path of the resource's `permissions-config`. */
  base: string;
  ref: Record<string, unknown>;
  refKey: "project" | "repository";
  set(principal: BitbucketPrincipal, permission: string, actor: string): void;
  remove(principal: BitbucketPrincipal, actor: string): boolean;
}

function projectTarget(c: Context<SimEnv>, r: RenderContext, p: BitbucketProject): Target {
  const state = c.get("sim").state;
  const ws = state.tenant.bitbucket.workspace;
  return {
    kind: "project",
    typePrefix: "project",
    scope: "project:admin",
    levels: PROJECT_LEVELS,
    users: p.users,
    groups: p.groups,
    base: `${r.api}/workspaces/${encodeURIComponent(ws.slug)}/projects/${encodeURIComponent(p.key)}/permissions-config`,
    ref: renderProjectRef(ws, p),
    refKey: "project",
    set: (principal, permission, actor) =>
      state.bitbucketSetProjectPermission(
        p.key,
        principal,
        permission as BitbucketProject["users"][0]["permission"],
        actor,
      ),
    remove: (principal, actor) => state.bitbucketRemoveProjectPermission(p.key, principal, actor),
  };
}

function repoTarget(c: Context<SimEnv>, r: RenderContext, repo: BitbucketRepo): Target {
  const state = c.get("sim").state;
  const ws = state.tenant.bitbucket.workspace;
  return {
    kind: "repository",
    typePrefix: "repository",
    scope: "repository:admin",
    levels: REPO_LEVELS,
    users: repo.users,
    groups: repo.groups,
    base: `${r.api}/repositories/${encodeURIComponent(ws.slug)}/${encodeURIComponent(repo.slug)}/permissions-config`,
    ref: renderRepoRef(r, repo),
    refKey: "repository",
    set: (principal, permission, actor) =>
      state.bitbucketSetRepoPermission(
        repo.slug,
        principal,
        permission as BitbucketRepo["users"][0]["permission"],
        actor,
      ),
    remove: (principal, actor) => state.bitbucketRemoveRepoPermission(repo.slug, principal, actor),
  };
}

/** Resolves the workspace and the project or repository, and checks the admin scope. */
function resolveTarget(c: Context<SimEnv>, kind: "project" | "repository"): Target | Response {
  const state = c.get("sim").state;
  const wsId = c.req.param("workspace") ?? "";
  if (!findWorkspace(state, wsId)) return noWorkspace(c, wsId);
  const r = renderContext(c, state.tenant);
  let target: Target;
  if (kind === "project") {
    const key = c.req.param("project_key") ?? "";
    const p = findProject(state, key);
    if (!p) return noProject(c, key);
    target = projectTarget(c, r, p);
  } else {
    const slug = c.req.param("repo_slug") ?? "";
    const repo = findRepo(state, slug);
    if (!repo) return noRepo(c, wsId, slug);
    target = repoTarget(c, r, repo);
  }
  if (!c.get("bitbucketCaller").admin) return missingScope(c, target.scope);
  return target;
}

function renderUserGrant(r: RenderContext, t: Target, account: SimAccount, permission: string) {
  return {
    type: `${t.typePrefix}_user_permission`,
    permission,
    user: renderUser(r, account),
    [t.refKey]: t.ref,
    links: { self: { href: `${t.base}/users/${encodeURIComponent(account.accountId)}` } },
  };
}

function renderGroupGrant(c: Context<SimEnv>, r: RenderContext, t: Target, slug: string, permission: string) {
  const group = findGroup(c.get("sim").state, slug)!;
  return {
    type: `${t.typePrefix}_group_permission`,
    permission,
    group: renderGroup(r, group),
    [t.refKey]: t.ref,
    links: { self: { href: `${t.base}/groups/${encodeURIComponent(slug)}` } },
  };
}

/** Reads `{permission}` from the body; undefined when missing or not one of the levels a PUT accepts. */
async function permissionFromBody(c: Context<SimEnv>, levels: readonly string[]): Promise<string | undefined> {
  try {
    const body = (await c.req.json()) as { permission?: unknown };
    return typeof body?.permission === "string" && levels.includes(body.permission) ? body.permission : undefined;
  } catch {
    return undefined;
  }
}

function badPermission(c: Context<SimEnv>, t: Target) {
  return bitbucketError(
    c,
    400,
    "No permission value was provided or the value is invalid",
    `permission must be one of ${t.levels.join(", ")}`,
  );
}

/** Registers the user and group `permissions-config` routes under one resource path. */
function registerFor(app: Hono<SimEnv>, kind: "project" | "repository", base: string): void {
  app.get(`${base}/users`, (c) => {
    const t = resolveTarget(c, kind);
    if (t instanceof Response) return t;
    const state = c.get("sim").state;
    const r = renderContext(c, state.tenant);
    const grants = t.users.filter((g) => findUser(state, g.accountId));
    return listResponse(c, grants, (g) => renderUserGrant(r, t, state.accountsById.get(g.accountId)!, g.permission));
  });

  app.get(`${base}/users/:selected_user_id`, (c) => {
    const t = resolveTarget(c, kind);
    if (t instanceof Response) return t;
    const state = c.get("sim").state;
    const id = c.req.param("selected_user_id");
    const account = findUser(state, id);
    if (!account) return bitbucketError(c, 404, `User ${id} not found`);
    const grant = t.users.find((g) => g.accountId === account.accountId);
    if (!grant) return bitbucketError(c, 404, `${id} has no explicit permission on this ${t.kind}`);
    return c.json(renderUserGrant(renderContext(c, state.tenant), t, account, grant.permission));
  });

  app.put(`${base}/users/:selected_user_id`, async (c) => {
    const t = resolveTarget(c, kind);
    if (t instanceof Response) return t;
    const state = c.get("sim").state;
    const id = c.req.param("selected_user_id");
    const account = findUser(state, id);
    if (!account) return bitbucketError(c, 404, `User ${id} not found`);
    const permission = await permissionFromBody(c, t.levels);
    if (!permission) return badPermission(c, t);
    // "The selected user must be a member of the workspace, and cannot be the workspace owner."
    const member = workspaceAccess(state).memberById.get(account.accountId);
    if (!member) return bitbucketError(c, 400, `${id} is not a member of this workspace`);
    if (member.permission === "owner")
      return bitbucketError(c, 400, "The workspace owner's permission cannot be changed");
    t.set({ accountId: account.accountId }, permission, c.get("bitbucketCaller").ownerAccountId);
    return c.json(renderUserGrant(renderContext(c, state.tenant), t, account, permission));
  });

  app.delete(`${base}/users/:selected_user_id`, (c) => {
    const t = resolveTarget(c, kind);
    if (t instanceof Response) return t;
    const id = c.req.param("selected_user_id");
    const account = findUser(c.get("sim").state, id);
    if (!account) return bitbucketError(c, 404, `User ${id} not found`);
    t.remove({ accountId: account.accountId }, c.get("bitbucketCaller").ownerAccountId);
    return c.body(null, 204);
  });

  app.get(`${base}/groups`, (c) => {
    const t = resolveTarget(c, kind);
    if (t instanceof Response) return t;
    const state = c.get("sim").state;
    const r = renderContext(c, state.tenant);
    const grants = t.groups.filter((g) => findGroup(state, g.slug));
    return listResponse(c, grants, (g) => renderGroupGrant(c, r, t, g.slug, g.permission));
  });

  app.get(`${base}/groups/:group_slug`, (c) => {
    const t = resolveTarget(c, kind);
    if (t instanceof Response) return t;
    const state = c.get("sim").state;
    const slug = c.req.param("group_slug");
    if (!findGroup(state, slug)) return bitbucketError(c, 404, `Group ${slug} not found`);
    const grant = t.groups.find((g) => g.slug === slug);
    if (!grant) return bitbucketError(c, 404, `Group ${slug} has no permission on this ${t.kind}`);
    return c.json(renderGroupGrant(c, renderContext(c, state.tenant), t, slug, grant.permission));
  });

  app.put(`${base}/groups/:group_slug`, async (c) => {
    const t = resolveTarget(c, kind);
    if (t instanceof Response) return t;
    const state = c.get("sim").state;
    const slug = c.req.param("group_slug");
    if (!findGroup(state, slug)) return bitbucketError(c, 404, `Group ${slug} not found`);
    const permission = await permissionFromBody(c, t.levels);
    if (!permission) return badPermission(c, t);
    t.set({ slug }, permission, c.get("bitbucketCaller").ownerAccountId);
    return c.json(renderGroupGrant(c, renderContext(c, state.tenant), t, slug, permission));
  });

  app.delete(`${base}/groups/:group_slug`, (c) => {
    const t = resolveTarget(c, kind);
    if (t instanceof Response) return t;
    const slug = c.req.param("group_slug");
    if (!findGroup(c.get("sim").state, slug)) return bitbucketError(c, 404, `Group ${slug} not found`);
    t.remove({ slug }, c.get("bitbucketCaller").ownerAccountId);
    return c.body(null, 204);
  });
}

/** Registers the project and repository `permissions-config` routes. */
export function registerPermissionsConfigRoutes(app: Hono<SimEnv>): void {
  registerFor(app, "project", "/2.0/workspaces/:workspace/projects/:project_key/permissions-config");
  registerFor(app, "repository", "/2.0/repositories/:workspace/:repo_slug/permissions-config");
}
