/**
 * Effective repository permissions of a workspace (`GET /workspaces/{ws}/permissions/repositories[/{repo_slug}]`):
 * one `repository_permission` per user and repository at the user's highest level, filterable with BBQL
 * (`q=permission>"read"`, `q=repository.name="x"`) and sortable (`sort=user.display_name`).
 *
 * "Only users with admin permission for the team may access this resource"; a non-admin caller gets the documented
 * 403 ("The requesting user isn't an admin of the workspace"), which is what Bitbucket answers non-admin members
 * since 2026 (drone/go-scm#355).
 */
import type { Context, Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { bitbucketError } from "../../http/errors.js";
import type { BbqlFields } from "./bbql.js";
import { type EffectiveRow, repoRank, workspaceAccess } from "./effective.js";
import { listResponse } from "./listing.js";
import { findRepo, findWorkspace, noRepo, noWorkspace } from "./lookup.js";
import { type RenderContext, renderContext, renderRepoRef, renderUser } from "./render.js";

/** BBQL fields of a `repository_permission` row. */
export function effectiveFields(c: Context<SimEnv>): BbqlFields<EffectiveRow> {
  const state = c.get("sim").state;
  const accounts = state.accountsById;
  const ws = state.tenant.bitbucket.workspace.slug;
  return {
    permission: { get: (r) => r.permission, rank: repoRank },
    "repository.name": { get: (r) => r.repo.name },
    "repository.slug": { get: (r) => r.repo.slug },
    "repository.full_name": { get: (r) => `${ws}/${r.repo.slug}` },
    "repository.uuid": { get: (r) => r.repo.uuid },
    "repository.project.key": { get: (r) => r.repo.projectKey },
    "user.uuid": { get: (r) => accounts.get(r.accountId)?.bitbucketUuid },
    "user.account_id": { get: (r) => r.accountId },
    "user.display_name": { get: (r) => accounts.get(r.accountId)?.displayName },
    "user.nickname": { get: (r) => accounts.get(r.accountId)?.bitbucketNickname },
  };
}

/** `repository_permission` (definitions.repository_permission). */
export function renderEffective(r: RenderContext, c: Context<SimEnv>, row: EffectiveRow) {
  const account = c.get("sim").state.accountsById.get(row.accountId)!;
  return {
    type: "repository_permission",
    permission: row.permission,
    user: renderUser(r, account),
    repository: renderRepoRef(r, row.repo),
  };
}

function notAdmin(c: Context<SimEnv>) {
  return bitbucketError(c, 403, "You must be an administrator of this workspace to view its repository permissions.");
}

/** Registers the effective-permission routes. */
export function registerEffectivePermissionRoutes(app: Hono<SimEnv>): void {
  app.get("/2.0/workspaces/:workspace/permissions/repositories", (c) => {
    const state = c.get("sim").state;
    const ws = findWorkspace(state, c.req.param("workspace"));
    if (!ws) return noWorkspace(c, c.req.param("workspace"));
    if (!c.get("bitbucketCaller").admin) return notAdmin(c);
    const r = renderContext(c, state.tenant);
    return listResponse(c, workspaceAccess(state).rows, (row) => renderEffective(r, c, row), {
      fields: effectiveFields(c),
    });
  });

  app.get("/2.0/workspaces/:workspace/permissions/repositories/:repo_slug", (c) => {
    const state = c.get("sim").state;
    const wsId = c.req.param("workspace");
    if (!findWorkspace(state, wsId)) return noWorkspace(c, wsId);
    const repo = findRepo(state, c.req.param("repo_slug"));
    if (!repo) return noRepo(c, wsId, c.req.param("repo_slug"));
    if (!c.get("bitbucketCaller").admin) return notAdmin(c);
    const r = renderContext(c, state.tenant);
    return listResponse(
      c,
      workspaceAccess(state).rowsByRepo.get(repo.slug) ?? [],
      (row) => renderEffective(r, c, row),
      {
        fields: effectiveFields(c),
      },
    );
  });
}
