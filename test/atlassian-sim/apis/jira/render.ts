/**
 * Renders tenant objects as the Jira REST v3 schemas (`User`, `UserDetails`, `GroupName`, `ApplicationRole`,
 * `ProjectRole`, `PermissionScheme`, `PermissionGrant`), with `self` links under the request's own origin.
 * Privacy follows Jira's profile-visibility rules: `emailAddress` is left out when the user hides it or when the
 * caller lacks Browse users and groups, and closed accounts appear as "Former user".
 */
import type { SimState } from "../../state.js";
import type {
  JiraApplicationRole,
  JiraGrant,
  JiraPermissionScheme,
  JiraProject,
  JiraRole,
  SimAccount,
  SimGroup,
} from "../../tenant/model.js";
import { stableId } from "./common.js";

/** What a renderer needs to know about the request. */
export interface RenderContext {
  /** `https://<site>/rest/api/3` */
  base: string;
  /** The caller holds Browse users and groups (else emails are hidden). */
  browseUsers: boolean;
}

const AVATAR_HOST = "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net";

/** Jira's `active`: the account is active and its org access is not suspended (a suspended user cannot sign in). */
export function isActive(a: SimAccount): boolean {
  return a.status === "active" && !a.suspended;
}

function displayNameOf(a: SimAccount): string {
  return a.status === "closed" ? "Former user" : a.displayName;
}

/** The initials avatar Atlassian generates for accounts without a picture. */
function avatarUrls(a: SimAccount) {
  const name = displayNameOf(a);
  const initials = name
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .slice(0, 2)
    .map((w) => [...w][0]?.toUpperCase() ?? "")
    .join("");
  const tone = stableId(a.accountId) % 6;
  const url = (size: number) =>
    `${AVATAR_HOST}/initials/${encodeURIComponent(initials || "U")}-${tone}.png?size=${size}&s=${size}`;
  return { "16x16": url(16), "24x24": url(24), "32x32": url(32), "48x48": url(48) };
}

function emailOf(a: SimAccount, ctx: RenderContext): string | undefined {
  return ctx.browseUsers && a.emailVisible && a.status !== "closed" ? a.email : undefined;
}

/** `UserDetails` (group members, role actors' users): no expand fields. */
export function renderUserDetails(a: SimAccount, ctx: RenderContext) {
  const email = emailOf(a, ctx);
  return {
    self: `${ctx.base}/user?accountId=${encodeURIComponent(a.accountId)}`,
    accountId: a.accountId,
    accountType: a.accountType,
    ...(email !== undefined ? { emailAddress: email } : {}),
    avatarUrls: avatarUrls(a),
    displayName: displayNameOf(a),
    active: isActive(a),
  };
}

/** `User`, as listed by `users/search`, `user/search` and `user/bulk`. */
export function renderUser(a: SimAccount, ctx: RenderContext) {
  return {
    ...renderUserDetails(a, ctx),
    ...(a.accountType === "app" && a.appType ? { appType: a.appType } : {}),
  };
}

/** `GroupName` with its `self` link. */
export function renderGroupName(g: SimGroup, base: string) {
  return { name: g.name, groupId: g.groupId, self: `${base}/group?groupId=${encodeURIComponent(g.groupId)}` };
}

/** Group ids → existing groups, in the given order (ids of deleted groups drop out, as Jira removes them). */
export function existingGroups(state: SimState, groupIds: readonly string[]): SimGroup[] {
  const out: SimGroup[] = [];
  for (const id of groupIds) {
    const g = state.groupsById.get(id);
    if (g) out.push(g);
  }
  return out;
}

/** Accounts counting against an application role's licence: distinct active members of its groups. */
export function licensedAccounts(state: SimState, role: JiraApplicationRole): Set<string> {
  const users = new Set<string>();
  for (const g of existingGroups(state, role.groups)) {
    for (const m of g.members) {
      const a = state.accountsById.get(m);
      if (a && isActive(a) && a.accountType === "atlassian") users.add(m);
    }
  }
  return users;
}

/** `ApplicationRole`. */
export function renderApplicationRole(state: SimState, role: JiraApplicationRole, base: string) {
  const groups = existingGroups(state, role.groups);
  const defaults = existingGroups(state, role.defaultGroups);
  const userCount = licensedAccounts(state, role).size;
  return {
    key: role.key,
    groups: groups.map((g) => g.name),
    groupDetails: groups.map((g) => renderGroupName(g, base)),
    name: role.name,
    defaultGroups: defaults.map((g) => g.name),
    defaultGroupsDetails: defaults.map((g) => renderGroupName(g, base)),
    selectedByDefault: false,
    defined: false,
    numberOfSeats: role.numberOfSeats,
    remainingSeats: Math.max(0, role.numberOfSeats - userCount),
    userCount,
    userCountDescription: `${userCount} ${userCount === 1 ? "user" : "users"}`,
    hasUnlimitedSeats: role.hasUnlimitedSeats,
    platform: role.key === "jira-core",
  };
}

/** `RoleActor` entries of one project role: groups first, then users, each in the order they were added. */
export function renderRoleActors(state: SimState, project: JiraProject, role: JiraRole, excludeInactiveUsers: boolean) {
  const actors = project.roleActors[String(role.id)] ?? { users: [], groups: [] };
  const groups = existingGroups(state, actors.groups).map((g) => ({
    id: stableId(`${project.id}/${role.id}/group/${g.groupId}`),
    displayName: g.name,
    type: "atlassian-group-role-actor" as const,
    name: g.name,
    actorGroup: { name: g.name, displayName: g.name, groupId: g.groupId },
  }));
  const users = [];
  for (const accountId of actors.users) {
    const a = state.accountsById.get(accountId);
    if (!a || (excludeInactiveUsers && !isActive(a))) continue;
    users.push({
      id: stableId(`${project.id}/${role.id}/user/${accountId}`),
      displayName: displayNameOf(a),
      type: "atlassian-user-role-actor" as const,
      avatarUrl: avatarUrls(a)["48x48"],
      actorUser: { accountId },
    });
  }
  return [...groups, ...users];
}

/** `ProjectRole` of a project, with its actors. */
export function renderProjectRole(
  state: SimState,
  project: JiraProject,
  role: JiraRole,
  ctx: RenderContext,
  excludeInactiveUsers = false,
) {
  return {
    self: `${ctx.base}/project/${project.id}/role/${role.id}`,
    name: role.name,
    id: role.id,
    description: role.description,
    actors: renderRoleActors(state, project, role, excludeInactiveUsers),
  };
}

/** The `holder.expand` Jira reports for holder types that can be expanded. */
const HOLDER_EXPAND: Partial<Record<JiraGrant["holder"]["type"], string>> = {
  group: "group",
  user: "user",
  projectRole: "projectRole",
  groupCustomField: "field",
  userCustomField: "field",
};

/**
 * `PermissionGrant`. For a group holder the parameter is the group's current name (names change; the value is the
 * stable groupId); for the other types `value` repeats `parameter`, as the spec's holder description says.
 * A group holder without a group stands for any logged-in user and is rendered as `{type: "group"}`.
 * Returns null for a grant to a deleted group: Jira removes such grants with the group.
 */
export function renderGrant(state: SimState, grant: JiraGrant, base: string) {
  const h = grant.holder;
  const holder: Record<string, string> = { type: h.type };
  if (h.type === "group" && (h.value || h.parameter)) {
    const group = h.value
      ? state.groupsById.get(h.value)
      : h.parameter
        ? state.groupsByName.get(h.parameter.toLowerCase())
        : undefined;
    if (!group) return null;
    holder.parameter = group.name;
    holder.value = group.groupId;
  } else {
    const parameter = h.parameter ?? h.value;
    if (parameter !== undefined) {
      holder.parameter = parameter;
      holder.value = h.value ?? parameter;
    }
  }
  const expand = HOLDER_EXPAND[h.type];
  if (expand) holder.expand = expand;
  return {
    id: grant.id,
    self: `${base}/permissionscheme/permission/${grant.id}`,
    holder,
    permission: grant.permission,
  };
}

/** The grants of a scheme, in the scheme's order, without grants to deleted groups. */
export function renderGrants(state: SimState, scheme: JiraPermissionScheme, base: string) {
  return scheme.grants.map((g) => renderGrant(state, g, base)).filter((g) => g !== null);
}

/** Expand options of permission schemes and grants (`GET /permissionscheme` `expand`). */
export const SCHEME_EXPAND = "permissions,user,group,projectRole,field,all";

/** `PermissionScheme`; grants are included when `expand` asks for them (`permissions`, a holder expand, or `all`). */
export function renderScheme(state: SimState, scheme: JiraPermissionScheme, base: string, expand: ReadonlySet<string>) {
  const withGrants = ["permissions", "user", "group", "projectRole", "field", "all"].some((e) => expand.has(e));
  return {
    expand: SCHEME_EXPAND,
    id: scheme.id,
    self: `${base}/permissionscheme/${scheme.id}`,
    name: scheme.name,
    description: scheme.description,
    ...(withGrants ? { permissions: renderGrants(state, scheme, base) } : {}),
  };
}
