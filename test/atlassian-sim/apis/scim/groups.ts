/**
 * SCIM `/Groups` (reference §2.3): list with a single `eq` filter on `displayName` and 1-based paging, create
 * (201; 409 on a duplicate name), get, replace, patch (members add/remove, `members[value eq "…"]`; renaming refused
 * with `mutability`) and delete (204). Each SCIM group is synced to an Atlassian group through `SimState`, so
 * membership changes show in Admin, Jira and Confluence.
 */
import type { Context, Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { scimListResponse } from "../../http/pagination.js";
import type { SimState } from "../../state.js";
import type { ScimGroup } from "../../tenant/model.js";
import { directoryBase, getCI, MAX_COUNT, readObject, ScimProblem, scimJson } from "./common.js";
import {
  applyGroupOperation,
  checkNotRenamed,
  type GroupDraft,
  groupDraftFromBody,
  groupDraftOf,
  renderGroup,
} from "./group-resource.js";
import { readOperations } from "./patch.js";
import { parseListFilter } from "./paths.js";
import { projector } from "./projection.js";

/** Route of the groups collection, relative to the API host. */
export const GROUPS = "/scim/directory/:directoryId/Groups";
/** Route of one group. */
export const GROUP = `${GROUPS}/:groupId`;

function liveGroup(state: SimState, id: string): ScimGroup {
  const group = state.scimGroupsById.get(id);
  if (!group) throw new ScimProblem(404, undefined, `Group ${id} does not exist in this directory`);
  return group;
}

/** Saves a draft over a group: member additions and removals are applied one by one through the state. */
function saveGroup(state: SimState, group: ScimGroup, draft: GroupDraft): ScimGroup {
  const keep = new Set(draft.members);
  for (const m of [...group.members]) if (!keep.has(m)) state.scimRemoveGroupMember(group.id, m);
  const have = new Set(group.members);
  for (const m of draft.members) if (!have.has(m)) state.scimAddGroupMember(group.id, m);
  if (draft.externalId !== group.externalId) state.scimSetGroupExternalId(group.id, draft.externalId);
  return group;
}

function respond(c: Context<SimEnv>, group: ScimGroup, status: 200 | 201 = 200): Response {
  const base = directoryBase(c);
  const body = projector(c)(renderGroup(group, base, c.get("sim").state));
  return scimJson(c, body, status, status === 201 ? { Location: `${base}/Groups/${group.id}` } : {});
}

/** Registers the `/Groups` routes. */
export function registerGroups(app: Hono<SimEnv>): void {
  app.get(GROUPS, (c) => {
    const state = c.get("sim").state;
    const raw = c.req.query("filter")?.trim();
    let groups = state.tenant.scim.groups;
    if (raw) {
      // displayName is case-insensitive (RFC 7643 §4.2).
      const wanted = parseListFilter(raw, ["displayName"]).value.toLowerCase();
      groups = groups.filter((g) => g.displayName.toLowerCase() === wanted);
    }
    const page = scimListResponse(groups, c.req.query("startIndex"), c.req.query("count"), MAX_COUNT);
    const base = directoryBase(c);
    const view = projector(c);
    return scimJson(c, { ...page, Resources: page.Resources.map((g) => view(renderGroup(g, base, state))) });
  });

  app.post(GROUPS, async (c) => {
    const state = c.get("sim").state;
    const draft = groupDraftFromBody(await readObject(c), state);
    return respond(c, state.scimCreateGroup(draft.displayName, draft.members, draft.externalId), 201);
  });

  app.get(GROUP, (c) => respond(c, liveGroup(c.get("sim").state, c.req.param("groupId"))));

  app.put(GROUP, async (c) => {
    const state = c.get("sim").state;
    const group = liveGroup(state, c.req.param("groupId"));
    const body = await readObject(c);
    const draft = groupDraftFromBody(body, state);
    checkNotRenamed(group.displayName, getCI(body, "displayName"));
    return respond(c, saveGroup(state, group, { ...draft, displayName: group.displayName }));
  });

  app.patch(GROUP, async (c) => {
    const state = c.get("sim").state;
    const group = liveGroup(state, c.req.param("groupId"));
    const operations = readOperations(await readObject(c));
    const draft = groupDraftOf(group);
    for (const op of operations) applyGroupOperation(draft, op, state);
    return respond(c, saveGroup(state, group, draft));
  });

  app.delete(GROUP, (c) => {
    const state = c.get("sim").state;
    state.scimDeleteGroup(liveGroup(state, c.req.param("groupId")).id);
    return c.body(null, 204);
  });
}
