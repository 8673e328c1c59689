/**
 * Resolution of Bitbucket path parameters and the shared error answers. The spec's parameter descriptions: a
 * workspace is its slug or `{uuid}`; a repository its slug or `{uuid}`; a user (`selected_user_id`, `member`) the
 * braced account uuid or the Atlassian account id. Hono hands the handlers decoded parameters, so `%7B…%7D` arrives
 * as `{…}`.
 */
import type { Context } from "hono";
import { bitbucketError } from "../../http/errors.js";
import type { SimState } from "../../state.js";
import type { BitbucketGroup, BitbucketProject, BitbucketRepo, SimAccount } from "../../tenant/model.js";
import type { Workspace } from "./render.js";

const isBraced = (id: string) => id.startsWith("{") && id.endsWith("}");

/** The workspace named by slug or `{uuid}`, or undefined. */
export function findWorkspace(state: SimState, id: string): Workspace | undefined {
  const ws = state.tenant.bitbucket.workspace;
  if (isBraced(id)) return id.toLowerCase() === ws.uuid.toLowerCase() ? ws : undefined;
  return id.toLowerCase() === ws.slug.toLowerCase() ? ws : undefined;
}

/** The project with this key, or undefined. */
export function findProject(state: SimState, key: string): BitbucketProject | undefined {
  return state.tenant.bitbucket.projects.find((p) => p.key === key);
}

/** The repository named by slug or `{uuid}`, or undefined. */
export function findRepo(state: SimState, id: string): BitbucketRepo | undefined {
  const lower = id.toLowerCase();
  const braced = isBraced(id);
  return state.tenant.bitbucket.repos.find((r) => (braced ? r.uuid.toLowerCase() : r.slug) === lower);
}

/** The workspace group with this slug, or undefined. */
export function findGroup(state: SimState, slug: string): BitbucketGroup | undefined {
  return state.tenant.bitbucket.groups.find((g) => g.slug === slug);
}

/** The Bitbucket user named by `{uuid}` or account id (accounts that never used Bitbucket have no Bitbucket user). */
export function findUser(state: SimState, id: string): SimAccount | undefined {
  const account = isBraced(id) ? state.accountByBitbucketUuid.get(id.toLowerCase()) : state.accountsById.get(id);
  return account?.bitbucketUuid ? account : undefined;
}

/** 404 for an unknown workspace. */
export function noWorkspace(c: Context, id: string) {
  return bitbucketError(c, 404, `No workspace with identifier '${id}'.`);
}

/** 404 for an unknown repository. */
export function noRepo(c: Context, workspace: string, slug: string) {
  return bitbucketError(c, 404, `Repository ${workspace}/${slug} not found`);
}

/** 404 for an unknown project. */
export function noProject(c: Context, key: string) {
  return bitbucketError(c, 404, `Project ${key} not found`);
}

/**
 * 403 for a consumer whose token lacks a scope the endpoint requires. Bitbucket sends this message; its `detail`
 * there is an object of granted and required scopes, which the published `error` schema (detail: string) does not
 * allow, so the simulator writes the same facts as a string.
 */
export function missingScope(c: Context, required: string) {
  return bitbucketError(
    c,
    403,
    "Your credentials lack one or more required privilege scopes.",
    `This API requires the scope ${required}.`,
  );
}

const CHANGE_2770 = { announcement_url: "https://developer.atlassian.com/cloud/bitbucket/changelog#CHANGE-2770" };

/**
 * 410 for the cross-workspace endpoints Atlassian removed under CHANGE-2770 (2026-02 to 2026-04). The body is the
 * one Bitbucket sends, `data` repeated at the top level (quoted in ktrysmt/go-bitbucket#357).
 */
export function gone(c: Context) {
  return c.json(
    {
      type: "error",
      error: {
        message: "CHANGE-2770 - Functionality has been deprecated",
        detail: "Please read the changelog entry for more details.",
        data: CHANGE_2770,
      },
      data: CHANGE_2770,
    },
    410,
  );
}
