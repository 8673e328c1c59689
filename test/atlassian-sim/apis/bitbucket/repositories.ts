/**
 * Repository endpoints of Bitbucket 2.0: the workspace's repositories (`role`, `q`, `sort`), one repository, and its
 * branch restrictions (`kind`, `pattern` filters; `repository:admin`).
 *
 * Visibility follows the caller: a private repository is listed only to accounts with an effective permission on
 * it, and fetching one without access is the documented 403. `role` narrows to the caller's level: `member` read or
 * more, `contributor` write or more ("this includes any repo the user is an admin on"), `admin` admin, `owner` the
 * repositories of workspaces the caller owns.
 */
import type { Context, Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { bitbucketError } from "../../http/errors.js";
import type { BitbucketBranchRestriction, BitbucketRepo } from "../../tenant/model.js";
import type { BbqlFields } from "./bbql.js";
import { canSeeRepo, isOwner, repoRank, workspaceAccess } from "./effective.js";
import { listResponse } from "./listing.js";
import { findGroup, findRepo, findWorkspace, missingScope, noRepo, noWorkspace } from "./lookup.js";
import { type RenderContext, renderContext, renderGroup, renderRepository, renderUser } from "./render.js";

const ROLE_MIN_RANK: Record<string, number> = { member: 1, contributor: 2, admin: 3 };

function repoFields(c: Context<SimEnv>): BbqlFields<BitbucketRepo> {
  const bb = c.get("sim").state.tenant.bitbucket;
  const projects = new Map(bb.projects.map((p) => [p.key, p]));
  return {
    name: { get: (r) => r.name },
    slug: { get: (r) => r.slug },
    full_name: { get: (r) => `${bb.workspace.slug}/${r.slug}` },
    uuid: { get: (r) => r.uuid },
    description: { get: (r) => r.description },
    is_private: { get: (r) => r.isPrivate },
    fork_policy: { get: (r) => r.forkPolicy },
    "mainbranch.name": { get: (r) => r.mainbranch },
    "project.key": { get: (r) => r.projectKey },
    "project.name": { get: (r) => projects.get(r.projectKey)?.name },
    "project.uuid": { get: (r) => projects.get(r.projectKey)?.uuid },
    created_on: { get: (r) => r.createdOn },
    updated_on: { get: (r) => r.createdOn },
    language: { get: () => "" },
    scm: { get: () => "git" },
  };
}

/** `branchrestriction`, with the undeclared properties live payloads carry (PROVENANCE.md, known defects). */
function renderRestriction(r: RenderContext, c: Context<SimEnv>, repo: BitbucketRepo, br: BitbucketBranchRestriction) {
  const state = c.get("sim").state;
  const ws = state.tenant.bitbucket.workspace.slug;
  return {
    type: "branchrestriction",
    id: br.id,
    kind: br.kind,
    branch_match_kind: br.branchMatchKind,
    pattern: br.pattern,
    ...(br.branchType !== null ? { branch_type: br.branchType } : {}),
    value: br.value,
    users: br.users.flatMap((id) => {
      const a = state.accountsById.get(id);
      return a?.bitbucketUuid ? [renderUser(r, a)] : [];
    }),
    groups: br.groups.flatMap((slug) => {
      const g = findGroup(state, slug);
      return g ? [renderGroup(r, g)] : [];
    }),
    links: {
      self: {
        href: `${r.api}/repositories/${encodeURIComponent(ws)}/${encodeURIComponent(repo.slug)}/branch-restrictions/${br.id}`,
      },
    },
  };
}

/** Resolves `:workspace` and `:repo_slug`; answers 404 for either unknown. */
function resolveRepo(c: Context<SimEnv>): BitbucketRepo | Response {
  const state = c.get("sim").state;
  const wsId = c.req.param("workspace") ?? "";
  const slug = c.req.param("repo_slug") ?? "";
  if (!findWorkspace(state, wsId)) return noWorkspace(c, wsId);
  return findRepo(state, slug) ?? noRepo(c, wsId, slug);
}

/** Registers the repository and branch-restriction routes. */
export function registerRepositoryRoutes(app: Hono<SimEnv>): void {
  app.get("/2.0/repositories/:workspace", (c) => {
    const state = c.get("sim").state;
    const ws = findWorkspace(state, c.req.param("workspace"));
    if (!ws) return noWorkspace(c, c.req.param("workspace"));
    const me = c.get("bitbucketCaller").ownerAccountId;
    const access = workspaceAccess(state);
    const role = c.req.query("role");
    if (role !== undefined && !(role in ROLE_MIN_RANK) && role !== "owner") {
      return bitbucketError(
        c,
        400,
        `'${role}' is not a valid role`,
        "role must be one of member, contributor, admin, owner",
      );
    }
    const owner = isOwner(access, me);
    const repos = state.tenant.bitbucket.repos.filter((repo) => {
      if (role === "owner") return owner;
      if (role !== undefined) return repoRank(access.repoLevels.get(repo.slug)?.get(me)) >= (ROLE_MIN_RANK[role] ?? 4);
      return canSeeRepo(access, me, repo);
    });
    const projects = new Map(state.tenant.bitbucket.projects.map((p) => [p.key, p]));
    const r = renderContext(c, state.tenant);
    return listResponse(c, repos, (repo) => renderRepository(r, repo, projects.get(repo.projectKey)), {
      fields: repoFields(c),
    });
  });

  app.get("/2.0/repositories/:workspace/:repo_slug", (c) => {
    const repo = resolveRepo(c);
    if (repo instanceof Response) return repo;
    const state = c.get("sim").state;
    if (!canSeeRepo(workspaceAccess(state), c.get("bitbucketCaller").ownerAccountId, repo)) {
      return bitbucketError(c, 403, "Access denied. You must have read access to this repository.");
    }
    const project = state.tenant.bitbucket.projects.find((p) => p.key === repo.projectKey);
    return c.json(renderRepository(renderContext(c, state.tenant), repo, project));
  });

  app.get("/2.0/repositories/:workspace/:repo_slug/branch-restrictions", (c) => {
    const repo = resolveRepo(c);
    if (repo instanceof Response) return repo;
    if (!c.get("bitbucketCaller").admin) return missingScope(c, "repository:admin");
    const kind = c.req.query("kind");
    const pattern = c.req.query("pattern");
    const items = repo.branchRestrictions.filter(
      (br) => (kind === undefined || br.kind === kind) && (pattern === undefined || br.pattern === pattern),
    );
    const r = renderContext(c, c.get("sim").state.tenant);
    return listResponse(c, items, (br) => renderRestriction(r, c, repo, br));
  });

  app.get("/2.0/repositories/:workspace/:repo_slug/branch-restrictions/:id", (c) => {
    const repo = resolveRepo(c);
    if (repo instanceof Response) return repo;
    if (!c.get("bitbucketCaller").admin) return missingScope(c, "repository:admin");
    const id = c.req.param("id");
    const br = repo.branchRestrictions.find((x) => String(x.id) === id);
    if (!br) return bitbucketError(c, 404, `No branch restriction with id ${id}`);
    return c.json(renderRestriction(renderContext(c, c.get("sim").state.tenant), c, repo, br));
  });
}
