/**
 * SCIM `/Users` (reference §2.3): list with a single `eq` filter on `userName` or `externalId` and 1-based
 * `startIndex`/`count` paging (count capped at 100), create (201, links an existing managed account with the same
 * email), get, replace, patch (200 with the resource) and delete (204; the user is deactivated and then answers 404).
 * Every write goes through `SimState`, so Admin, Jira and Confluence see it.
 */
import type { Context, Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { scimListResponse } from "../../http/pagination.js";
import type { SimState } from "../../state.js";
import type { ScimGroup, ScimUser } from "../../tenant/model.js";
import { directoryBase, MAX_COUNT, readObject, ScimProblem, scimJson } from "./common.js";
import { readOperations } from "./patch.js";
import { parseListFilter } from "./paths.js";
import { projector } from "./projection.js";
import { applyUserOperation, draftFromBody, draftOf, renderUser, type UserDraft } from "./user-resource.js";

/** Route of the users collection, relative to the API host. */
export const USERS = "/scim/directory/:directoryId/Users";
/** Route of one user. */
export const USER = `${USERS}/:userId`;

/** A user the directory still serves: deleted users answer 404 to every later operation (spec, DELETE /Users). */
function liveUser(state: SimState, id: string): ScimUser {
  const user = state.scimUsersById.get(id);
  if (!user || state.scimDeleted.has(id))
    throw new ScimProblem(404, undefined, `User ${id} does not exist in this directory`);
  return user;
}

/** The SCIM groups a user belongs to (its `groups` attribute), from the state's reverse index. */
function groupsOf(state: SimState, id: string): ScimGroup[] {
  return [...(state.scimGroupIdsOfUser.get(id) ?? [])].flatMap((g) => state.scimGroupsById.get(g) ?? []);
}

/** Users can only be created on an email domain the org has verified (spec, POST /Users). */
function checkVerifiedDomain(state: SimState, email: string): void {
  const domain = email.slice(email.lastIndexOf("@") + 1).toLowerCase();
  const verified = state.tenant.accounts.some((a) => a.managed && a.email.toLowerCase().endsWith(`@${domain}`));
  if (!verified) {
    throw new ScimProblem(
      400,
      "invalidValue",
      `The email domain ${domain} is not a verified domain of the organization`,
    );
  }
}

function checkUserNameFree(state: SimState, userName: string, selfId: string): void {
  const lower = userName.toLowerCase();
  for (const u of state.tenant.scim.users) {
    if (u.id !== selfId && !state.scimDeleted.has(u.id) && u.userName.toLowerCase() === lower) {
      throw new ScimProblem(409, "uniqueness", `A user with userName ${userName} already exists`);
    }
  }
}

/** Saves a draft over a user, changing only what differs, so a no-op PATCH is not a write. */
function saveUser(state: SimState, user: ScimUser, draft: UserDraft): ScimUser {
  const before = draftOf(user);
  if (draft.userName !== before.userName) checkUserNameFree(state, draft.userName, user.id);
  if (draft.email.toLowerCase() !== before.email.toLowerCase()) checkVerifiedDomain(state, draft.email);
  const changes: Partial<UserDraft> = {};
  for (const key of Object.keys(draft) as Array<keyof UserDraft>) {
    if (JSON.stringify(draft[key]) !== JSON.stringify(before[key])) Object.assign(changes, { [key]: draft[key] });
  }
  return Object.keys(changes).length > 0 ? state.scimUpdateUser(user.id, changes) : user;
}

function respond(c: Context<SimEnv>, user: ScimUser, status: 200 | 201 = 200): Response {
  const state = c.get("sim").state;
  const base = directoryBase(c);
  const body = projector(c)(renderUser(user, base, groupsOf(state, user.id)));
  return scimJson(c, body, status, status === 201 ? { Location: `${base}/Users/${user.id}` } : {});
}

/** Registers the `/Users` routes. */
export function registerUsers(app: Hono<SimEnv>): void {
  app.get(USERS, (c) => {
    const state = c.get("sim").state;
    const raw = c.req.query("filter")?.trim();
    let matches: (u: ScimUser) => boolean = () => true;
    if (raw) {
      const f = parseListFilter(raw, ["userName", "externalId"]);
      const lower = f.value.toLowerCase();
      // userName is case-insensitive, externalId case-exact (RFC 7643 §4.1.1, §3.1).
      // The length test first spares lower-casing every userName of a large directory.
      matches =
        f.attr === "userName"
          ? (u) => u.userName.length === lower.length && u.userName.toLowerCase() === lower
          : (u) => u.externalId === f.value;
    }
    // Unfiltered walks of a 100k directory are common: skip the copy when nothing is to be left out.
    const all = state.tenant.scim.users;
    const users =
      raw || state.scimDeleted.size > 0 ? all.filter((u) => !state.scimDeleted.has(u.id) && matches(u)) : all;
    const page = scimListResponse(users, c.req.query("startIndex"), c.req.query("count"), MAX_COUNT);
    const base = directoryBase(c);
    const view = projector(c);
    return scimJson(c, {
      ...page,
      Resources: page.Resources.map((u) => view(renderUser(u, base, groupsOf(state, u.id)))),
    });
  });

  app.post(USERS, async (c) => {
    const state = c.get("sim").state;
    const draft = draftFromBody(await readObject(c));
    checkVerifiedDomain(state, draft.email);
    return respond(c, state.scimCreateUser(draft), 201);
  });

  app.get(USER, (c) => respond(c, liveUser(c.get("sim").state, c.req.param("userId"))));

  app.put(USER, async (c) => {
    const state = c.get("sim").state;
    const user = liveUser(state, c.req.param("userId"));
    const draft = draftFromBody(await readObject(c), draftOf(user));
    return respond(c, saveUser(state, user, draft));
  });

  app.patch(USER, async (c) => {
    const state = c.get("sim").state;
    const user = liveUser(state, c.req.param("userId"));
    const operations = readOperations(await readObject(c));
    const draft = draftOf(user);
    for (const op of operations) applyUserOperation(draft, op);
    return respond(c, saveUser(state, user, draft));
  });

  app.delete(USER, (c) => {
    const state = c.get("sim").state;
    const user = liveUser(state, c.req.param("userId"));
    state.scimDeleteUser(user.id);
    return c.body(null, 204);
  });
}
