/**
 * Workspace-level Bitbucket 2.0 endpoints: the workspace, its members and their permission levels, its projects,
 * the caller (`/user`, and the 2026 `/user/workspaces` family, CHANGE-3022), and the cross-workspace listings removed
 * in 2026 (410 Gone, CHANGE-2770).
 */
import type { Context, Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { bitbucketError } from "../../http/errors.js";
import type { BitbucketMember, BitbucketWorkspacePermission } from "../../tenant/model.js";
import type { BbqlFields } from "./bbql.js";
import { type EffectiveRow, visibleProjectKeys, workspaceAccess } from "./effective.js";
import { listResponse } from "./listing.js";
import { findProject, findUser, findWorkspace, gone, noProject, noWorkspace } from "./lookup.js";
import { effectiveFields, renderEffective } from "./permissions.js";
import {
  type RenderContext,
  renderContext,
  renderProject,
  renderUser,
  renderWorkspace,
  renderWorkspaceRef,
  type Workspace,
} from "./render.js";

const WORKSPACE_LEVELS: readonly BitbucketWorkspacePermission[] = ["member", "collaborator", "owner"];

/** BBQL fields of a workspace member (`/members`, `/permissions`). */
function memberFields(c: Context<SimEnv>): BbqlFields<BitbucketMember> {
  const accounts = c.get("sim").state.accountsById;
  return {
    permission: {
      get: (m) => m.permission,
      rank: (v) => WORKSPACE_LEVELS.indexOf(v as BitbucketWorkspacePermission),
    },
    "user.uuid": { get: (m) => accounts.get(m.accountId)?.bitbucketUuid },
    "user.account_id": { get: (m) => m.accountId },
    "user.display_name": { get: (m) => accounts.get(m.accountId)?.displayName },
    "user.nickname": { get: (m) => accounts.get(m.accountId)?.bitbucketNickname },
  };
}

/** `workspace_membership`, with the member's permission level when `withPermission` (the `/permissions` view). */
function renderMembership(
  r: RenderContext,
  c: Context<SimEnv>,
  ws: Workspace,
  m: BitbucketMember,
  withPermission: boolean,
) {
  const account = c.get("sim").state.accountsById.get(m.accountId)!;
  return {
    type: "workspace_membership",
    ...(withPermission ? { permission: m.permission } : {}),
    user: renderUser(r, account),
    workspace: renderWorkspaceRef(r, ws),
    links: {
      self: {
        href: `${r.api}/workspaces/${encodeURIComponent(ws.slug)}/members/${encodeURIComponent(account.bitbucketUuid ?? m.accountId)}`,
      },
    },
  };
}

/** Registers the workspace, member, project and caller routes. */
export function registerWorkspaceRoutes(app: Hono<SimEnv>): void {
  // Cross-workspace listings removed by CHANGE-2770.
  app.get("/2.0/workspaces", (c) => gone(c));
  app.get("/2.0/repositories", (c) => gone(c));
  app.get("/2.0/user/permissions/repositories", (c) => gone(c));
  app.get("/2.0/user/permissions/workspaces", (c) => gone(c));

  app.get("/2.0/workspaces/:workspace", (c) => {
    const state = c.get("sim").state;
    const ws = findWorkspace(state, c.req.param("workspace"));
    if (!ws) return noWorkspace(c, c.req.param("workspace"));
    return c.json(renderWorkspace(renderContext(c, state.tenant), ws));
  });

  app.get("/2.0/workspaces/:workspace/members", (c) => {
    const state = c.get("sim").state;
    const ws = findWorkspace(state, c.req.param("workspace"));
    if (!ws) return noWorkspace(c, c.req.param("workspace"));
    const r = renderContext(c, state.tenant);
    return listResponse(c, workspaceAccess(state).members, (m) => renderMembership(r, c, ws, m, false), {
      fields: memberFields(c),
    });
  });

  app.get("/2.0/workspaces/:workspace/members/:member", (c) => {
    const state = c.get("sim").state;
    const ws = findWorkspace(state, c.req.param("workspace"));
    if (!ws) return noWorkspace(c, c.req.param("workspace"));
    const id = c.req.param("member");
    const account = findUser(state, id);
    const member = account ? workspaceAccess(state).memberById.get(account.accountId) : undefined;
    if (!member) return bitbucketError(c, 404, `${id} is not a member of ${ws.slug}`);
    return c.json(renderMembership(renderContext(c, state.tenant), c, ws, member, false));
  });

  // "Returns the list of members in a workspace and their permission levels", filterable by `q=permission="owner"`.
  app.get("/2.0/workspaces/:workspace/permissions", (c) => {
    const state = c.get("sim").state;
    const ws = findWorkspace(state, c.req.param("workspace"));
    if (!ws) return noWorkspace(c, c.req.param("workspace"));
    const r = renderContext(c, state.tenant);
    return listResponse(c, workspaceAccess(state).members, (m) => renderMembership(r, c, ws, m, true), {
      fields: memberFields(c),
    });
  });

  app.get("/2.0/workspaces/:workspace/projects", (c) => {
    const state = c.get("sim").state;
    const ws = findWorkspace(state, c.req.param("workspace"));
    if (!ws) return noWorkspace(c, c.req.param("workspace"));
    const r = renderContext(c, state.tenant);
    const visible = visibleProjectKeys(workspaceAccess(state), state, c.get("bitbucketCaller").ownerAccountId);
    const publicRepoProjects = new Set(
      state.tenant.bitbucket.repos.filter((x) => !x.isPrivate).map((x) => x.projectKey),
    );
    const projects = state.tenant.bitbucket.projects.filter((p) => visible.has(p.key));
    return listResponse(c, projects, (p) => renderProject(r, p, publicRepoProjects.has(p.key)));
  });

  app.get("/2.0/workspaces/:workspace/projects/:project_key", (c) => {
    const state = c.get("sim").state;
    const ws = findWorkspace(state, c.req.param("workspace"));
    if (!ws) return noWorkspace(c, c.req.param("workspace"));
    const project = findProject(state, c.req.param("project_key"));
    if (!project) return noProject(c, c.req.param("project_key"));
    const visible = visibleProjectKeys(workspaceAccess(state), state, c.get("bitbucketCaller").ownerAccountId);
    if (!visible.has(project.key)) return bitbucketError(c, 403, "You do not have access to this project.");
    const hasPublic = state.tenant.bitbucket.repos.some((x) => x.projectKey === project.key && !x.isPrivate);
    return c.json(renderProject(renderContext(c, state.tenant), project, hasPublic));
  });

  // The account that owns the calling OAuth consumer (definitions.account / user).
  app.get("/2.0/user", (c) => {
    const state = c.get("sim").state;
    const account = state.accountsById.get(c.get("bitbucketCaller").ownerAccountId);
    if (!account?.bitbucketUuid) return bitbucketError(c, 401, "Unauthorized");
    return c.json({
      ...renderUser(renderContext(c, state.tenant), account),
      account_status: account.status,
      is_staff: false,
    });
  });

  // CHANGE-3022 (2026): the caller's workspaces, `workspace_access` objects (shape as returned by Bitbucket, e.g.
  // drone/go-scm testdata/user_workspaces.json); not in the 2024 Swagger document.
  app.get("/2.0/user/workspaces", (c) => {
    const state = c.get("sim").state;
    const r = renderContext(c, state.tenant);
    const ws = state.tenant.bitbucket.workspace;
    const me = workspaceAccess(state).memberById.get(c.get("bitbucketCaller").ownerAccountId);
    const items = me ? [me] : [];
    return listResponse(c, items, (m) => {
      const ref = renderWorkspaceRef(r, ws);
      return {
        type: "workspace_access",
        administrator: m.permission === "owner",
        workspace: { type: "workspace_base", uuid: ref.uuid, slug: ref.slug, name: ref.name, links: ref.links },
      };
    });
  });

  // CHANGE-3022: the caller's own membership and permission level in one workspace.
  app.get("/2.0/user/workspaces/:workspace/permission", (c) => {
    const state = c.get("sim").state;
    const ws = findWorkspace(state, c.req.param("workspace"));
    if (!ws) return noWorkspace(c, c.req.param("workspace"));
    const me = workspaceAccess(state).memberById.get(c.get("bitbucketCaller").ownerAccountId);
    if (!me) return noWorkspace(c, c.req.param("workspace"));
    return c.json(renderMembership(renderContext(c, state.tenant), c, ws, me, true));
  });

  // CHANGE-3022: the caller's effective permission on each repository of a workspace, for any member (the
  // non-admin replacement of `/user/permissions/repositories`, see drone/go-scm#356).
  app.get("/2.0/user/workspaces/:workspace/permissions/repositories", (c) => {
    const state = c.get("sim").state;
    const ws = findWorkspace(state, c.req.param("workspace"));
    if (!ws) return noWorkspace(c, c.req.param("workspace"));
    const me = c.get("bitbucketCaller").ownerAccountId;
    const access = workspaceAccess(state);
    const rows: EffectiveRow[] = [];
    for (const repo of state.tenant.bitbucket.repos) {
      const permission = access.repoLevels.get(repo.slug)?.get(me);
      if (permission) rows.push({ repo, accountId: me, permission });
    }
    const r = renderContext(c, state.tenant);
    return listResponse(c, rows, (row) => renderEffective(r, c, row), { fields: effectiveFields(c) });
  });
}
