/**
 * The Bitbucket 1.0 groups API, still served for workspaces and the only source of group listings and membership
 * (no 2.0 equivalent; PROVENANCE.md, reference §6). Responses are bare JSON arrays of groups
 * `{name, slug, permission, auto_add, email_forwarding_disabled, members[], owner}` and of 1.0 users
 * `{display_name, uuid, account_id, nickname, is_team, avatar, resource_uri}`. Group members are listed as the
 * workspace configures them, whether or not each account currently has Bitbucket access.
 *
 * Reading and changing groups needs workspace administration (the admin consumer); others get a 403.
 * `PUT …/members/{member}` adds (which makes the account a workspace member, as membership of any group does);
 * `DELETE` removes. Both go through `SimState`, so effective permissions and the ground truth follow.
 */
import type { Context, Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { bitbucketError } from "../../http/errors.js";
import type { BitbucketGroup, SimAccount } from "../../tenant/model.js";
import { findGroup, findUser, findWorkspace, noWorkspace } from "./lookup.js";
import type { Workspace } from "./render.js";

const enc = encodeURIComponent;

/** A 1.0 user object. */
function renderUserV1(a: SimAccount) {
  const uuid = a.bitbucketUuid ?? "";
  return {
    display_name: a.displayName,
    uuid,
    account_id: a.accountId,
    nickname: a.bitbucketNickname ?? a.displayName,
    type: "user",
    is_team: false,
    is_active: a.status === "active",
    avatar: `https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/${a.accountId}/128`,
    resource_uri: `/1.0/users/${enc(uuid)}`,
  };
}

/** The owning workspace, as 1.0 renders it (a team account). */
function renderOwnerV1(ws: Workspace) {
  return {
    display_name: ws.name,
    uuid: ws.uuid,
    nickname: ws.slug,
    type: "team",
    is_team: true,
    avatar: `https://bitbucket.org/workspaces/${enc(ws.slug)}/avatar/`,
    resource_uri: `/1.0/users/${enc(ws.uuid)}`,
  };
}

function groupMembers(c: Context<SimEnv>, g: BitbucketGroup): SimAccount[] {
  const accounts = c.get("sim").state.accountsById;
  return g.members.flatMap((id) => {
    const a = accounts.get(id);
    return a?.bitbucketUuid ? [a] : [];
  });
}

function renderGroupV1(c: Context<SimEnv>, ws: Workspace, g: BitbucketGroup) {
  return {
    name: g.name,
    slug: g.slug,
    permission: g.permission,
    auto_add: g.autoAdd,
    email_forwarding_disabled: false,
    members: groupMembers(c, g).map(renderUserV1),
    owner: renderOwnerV1(ws),
    resource_uri: `/1.0/groups/${enc(ws.slug)}/${enc(g.slug)}`,
  };
}

/** Resolves `:workspace` (and `:group_slug` when present) and checks workspace administration. */
function resolve(c: Context<SimEnv>): { ws: Workspace; group: BitbucketGroup | undefined } | Response {
  const state = c.get("sim").state;
  const wsId = c.req.param("workspace") ?? "";
  const ws = findWorkspace(state, wsId);
  if (!ws) return noWorkspace(c, wsId);
  if (!c.get("bitbucketCaller").admin) {
    return bitbucketError(c, 403, "You must be an administrator of this workspace to manage its groups.");
  }
  const slug = c.req.param("group_slug");
  if (slug === undefined) return { ws, group: undefined };
  const group = findGroup(state, slug);
  if (!group) return bitbucketError(c, 404, `Group ${slug} not found`);
  return { ws, group };
}

/** Registers the 1.0 groups routes. */
export function registerGroupsV1Routes(app: Hono<SimEnv>): void {
  app.get("/1.0/groups/:workspace", (c) => {
    const found = resolve(c);
    if (found instanceof Response) return found;
    return c.json(c.get("sim").state.tenant.bitbucket.groups.map((g) => renderGroupV1(c, found.ws, g)));
  });

  app.get("/1.0/groups/:workspace/:group_slug/members", (c) => {
    const found = resolve(c);
    if (found instanceof Response) return found;
    return c.json(groupMembers(c, found.group!).map(renderUserV1));
  });

  app.put("/1.0/groups/:workspace/:group_slug/members/:member", (c) => {
    const found = resolve(c);
    if (found instanceof Response) return found;
    const state = c.get("sim").state;
    const id = c.req.param("member");
    const account = findUser(state, id);
    if (!account) return bitbucketError(c, 404, `User ${id} not found`);
    const added = state.bitbucketAddGroupMember(
      found.group!.slug,
      account.accountId,
      c.get("bitbucketCaller").ownerAccountId,
    );
    if (!added) return bitbucketError(c, 409, `${id} is already a member of ${found.group!.slug}`);
    return c.json(renderUserV1(account));
  });

  app.delete("/1.0/groups/:workspace/:group_slug/members/:member", (c) => {
    const found = resolve(c);
    if (found instanceof Response) return found;
    const state = c.get("sim").state;
    const id = c.req.param("member");
    const account = findUser(state, id);
    if (!account) return bitbucketError(c, 404, `User ${id} not found`);
    const removed = state.bitbucketRemoveGroupMember(
      found.group!.slug,
      account.accountId,
      c.get("bitbucketCaller").ownerAccountId,
    );
    if (!removed) return bitbucketError(c, 404, `${id} is not a member of ${found.group!.slug}`);
    return c.body(null, 204);
  });
}
