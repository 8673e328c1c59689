/**
 * Bitbucket Cloud 2.0 object renderers (definitions `user`, `workspace`, `team`, `project`, `repository`, `group`
 * of the published Swagger document). API links (`self`, `members`, `repositories`, ...) point at the simulator's
 * own origin, built from the request URL; `html` and `avatar` links are browser links and point at bitbucket.org as
 * on the real service. Where the schema closes a `links` object (`additionalProperties: false`), only the links it
 * lists are emitted.
 */
import type { Context } from "hono";
import type {
  BitbucketGroup,
  BitbucketProject,
  BitbucketRepo,
  SimAccount,
  SimBitbucket,
  SimTenant,
} from "../../tenant/model.js";

export type Workspace = SimBitbucket["workspace"];

const WEB = "https://bitbucket.org";

/** The simulated api.bitbucket.org root (origin plus host prefix), the part of the request URL before `/2.0` or `/1.0`. */
export function apiRoot(c: Context): string {
  const url = new URL(c.req.url);
  const m = /\/[12]\.0(?:\/|$)/.exec(url.pathname);
  return `${url.origin}${m ? url.pathname.slice(0, m.index) : ""}`;
}

/** Links and ids are rendered relative to one request. */
export interface RenderContext {
  /** `${apiRoot}/2.0` */
  api: string;
  tenant: SimTenant;
}

/** The render context of a request. */
export function renderContext(c: Context, tenant: SimTenant): RenderContext {
  return { api: `${apiRoot(c)}/2.0`, tenant };
}

const link = (href: string) => ({ href });
const enc = encodeURIComponent;

/** `user` (definitions.user): Bitbucket users carry no email; `account_id` is the Atlassian account id. */
export function renderUser(r: RenderContext, a: SimAccount) {
  const uuid = a.bitbucketUuid ?? "";
  return {
    type: "user",
    uuid,
    account_id: a.accountId,
    display_name: a.displayName,
    nickname: a.bitbucketNickname ?? a.displayName,
    links: {
      self: link(`${r.api}/users/${enc(uuid)}`),
      html: link(`${WEB}/${enc(uuid)}/`),
      avatar: link(`https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/${a.accountId}/128`),
    },
  };
}

/** The workspace as embedded in other objects (`workspace` with its identifying fields). */
export function renderWorkspaceRef(r: RenderContext, ws: Workspace) {
  return {
    type: "workspace",
    uuid: ws.uuid,
    slug: ws.slug,
    name: ws.name,
    links: {
      self: link(`${r.api}/workspaces/${enc(ws.slug)}`),
      html: link(`${WEB}/${enc(ws.slug)}/`),
      avatar: link(`${WEB}/workspaces/${enc(ws.slug)}/avatar/`),
    },
  };
}

/** `workspace` as `GET /workspaces/{workspace}` returns it. */
export function renderWorkspace(r: RenderContext, ws: Workspace) {
  const base = `${r.api}/workspaces/${enc(ws.slug)}`;
  const ref = renderWorkspaceRef(r, ws);
  return {
    ...ref,
    is_private: ws.isPrivate,
    created_on: ws.createdOn,
    updated_on: ws.createdOn,
    links: {
      ...ref.links,
      members: link(`${base}/members`),
      owners: link(`${base}/members?q=permission%3D%22owner%22`),
      projects: link(`${base}/projects`),
      repositories: link(`${r.api}/repositories/${enc(ws.slug)}`),
      snippets: link(`${r.api}/snippets/${enc(ws.slug)}`),
    },
  };
}

/** The workspace in the role of owner (`team`) of projects and repositories, as Bitbucket still renders it. */
export function renderOwner(r: RenderContext, ws: Workspace) {
  return {
    type: "team",
    uuid: ws.uuid,
    username: ws.slug,
    display_name: ws.name,
    links: {
      self: link(`${r.api}/workspaces/${enc(ws.slug)}`),
      html: link(`${WEB}/${enc(ws.slug)}/`),
      avatar: link(`${WEB}/workspaces/${enc(ws.slug)}/avatar/`),
    },
  };
}

/** `project` links: the schema closes them to `html` and `avatar`. */
function projectLinks(ws: Workspace, p: BitbucketProject) {
  return {
    html: link(`${WEB}/${enc(ws.slug)}/workspace/projects/${enc(p.key)}`),
    avatar: link(`${WEB}/${enc(ws.slug)}/workspace/projects/${enc(p.key)}/avatar/32`),
  };
}

/** The project as embedded in a repository. */
export function renderProjectRef(ws: Workspace, p: BitbucketProject) {
  return { type: "project", key: p.key, uuid: p.uuid, name: p.name, links: projectLinks(ws, p) };
}

/** `project` as the project endpoints return it. */
export function renderProject(r: RenderContext, p: BitbucketProject, hasPublicRepos: boolean) {
  const ws = r.tenant.bitbucket.workspace;
  return {
    ...renderProjectRef(ws, p),
    description: p.description,
    is_private: p.isPrivate,
    has_publicly_visible_repos: hasPublicRepos,
    created_on: p.createdOn,
    updated_on: p.createdOn,
    owner: renderOwner(r, ws),
    workspace: renderWorkspaceRef(r, ws),
  };
}

/** The repository as embedded in permission objects (`repository_permission.repository`). */
export function renderRepoRef(r: RenderContext, repo: BitbucketRepo) {
  const ws = r.tenant.bitbucket.workspace;
  return {
    type: "repository",
    uuid: repo.uuid,
    name: repo.name,
    full_name: `${ws.slug}/${repo.slug}`,
    links: {
      self: link(`${r.api}/repositories/${enc(ws.slug)}/${enc(repo.slug)}`),
      html: link(`${WEB}/${enc(ws.slug)}/${enc(repo.slug)}`),
      avatar: link(`${WEB}/${enc(ws.slug)}/${enc(repo.slug)}/avatar/32/`),
    },
  };
}

/**
 * A stable 32-bit hash of a string (FNV-1a). The model carries no repository size; the simulator derives one from
 * the uuid so that `size` is a plausible, stable number rather than a constant.
 */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** `repository` as the repository endpoints return it. */
export function renderRepository(r: RenderContext, repo: BitbucketRepo, project: BitbucketProject | undefined) {
  const ws = r.tenant.bitbucket.workspace;
  const self = `${r.api}/repositories/${enc(ws.slug)}/${enc(repo.slug)}`;
  const web = `${WEB}/${enc(ws.slug)}/${enc(repo.slug)}`;
  return {
    type: "repository",
    uuid: repo.uuid,
    full_name: `${ws.slug}/${repo.slug}`,
    name: repo.name,
    slug: repo.slug,
    description: repo.description,
    scm: "git",
    is_private: repo.isPrivate,
    fork_policy: repo.forkPolicy,
    ...(project ? { project: renderProjectRef(ws, project) } : {}),
    mainbranch: { type: "branch", name: repo.mainbranch },
    created_on: repo.createdOn,
    updated_on: repo.createdOn,
    // Not modelled: the language is unset ("" as Bitbucket reports it) and the size is derived from the uuid.
    language: "",
    size: 1024 * (16 + (hash32(repo.uuid) % 200_000)),
    has_issues: false,
    has_wiki: false,
    owner: renderOwner(r, ws),
    workspace: renderWorkspaceRef(r, ws),
    links: {
      self: link(self),
      html: link(web),
      avatar: link(`${web}/avatar/32/`),
      pullrequests: link(`${self}/pullrequests`),
      commits: link(`${self}/commits`),
      forks: link(`${self}/forks`),
      watchers: link(`${self}/watchers`),
      downloads: link(`${self}/downloads`),
      hooks: link(`${self}/hooks`),
      clone: [
        { name: "https", href: `https://bitbucket.org/${enc(ws.slug)}/${enc(repo.slug)}.git` },
        // Bitbucket writes `git@bitbucket.org:ws/repo.git`, which the schema's `format: uri` rejects; the
        // equivalent URL form is used.
        { name: "ssh", href: `ssh://git@bitbucket.org/${enc(ws.slug)}/${enc(repo.slug)}.git` },
      ],
    },
  };
}

/** `group` (definitions.group) as the 2.0 permission objects embed it. */
export function renderGroup(r: RenderContext, g: BitbucketGroup) {
  const ws = r.tenant.bitbucket.workspace;
  return {
    type: "group",
    name: g.name,
    slug: g.slug,
    full_slug: `${ws.slug}:${g.slug}`,
    owner: renderOwner(r, ws),
    workspace: renderWorkspaceRef(r, ws),
    links: {
      self: link(`${apiRootOf(r)}/1.0/groups/${enc(ws.slug)}/${enc(g.slug)}`),
      html: link(`${WEB}/${enc(ws.slug)}/workspace/settings/groups/${enc(g.slug)}`),
    },
  };
}

function apiRootOf(r: RenderContext): string {
  return r.api.slice(0, -"/2.0".length);
}
