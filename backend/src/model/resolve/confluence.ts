/**
 * Confluence effective access, per space (all spaces: personal and archived ones included). A permission row gives
 * its `operation:target` to a user, to a group's members, to the space's assignees of a role (users, and members of
 * groups), to `anonymous`, or to `unlicensed:confluence`. Space roles: an assignment confers the role's operations
 * on that space whether or not the space also lists `role` rows, and `role` rows confer their operation on the
 * space's assignees of that role — both are the one path "space role X → principal".
 *
 * The snapshot does not state a role's operations; they are derived from the `role` permission rows (the union,
 * over all spaces, of the operations listed for the role). A grant that reaches an account without Confluence (or
 * one that is inactive, closed or suspended) is dormant.
 */

import type { ViaPath } from "../types.js";
import { ANONYMOUS, CONFLUENCE_UNLICENSED } from "../types.js";
import { type PermissionTarget, ProductEmitter, q, type ResolveInput } from "./context.js";

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Access classes a role can be assigned to (v2 `ACCESS_CLASS`), by how accessmap expands them. */
const ANONYMOUS_CLASSES = new Set(["anonymous-users", "anonymous"]);
const UNLICENSED_CLASSES = new Set(["unlicensed-users", "unlicensed"]);
const LICENSED_CLASSES = new Set(["all-licensed-users", "licensed-users", "confluence-users"]);

/** One way an account (or pseudo-principal) holds a role in a space. */
interface Assignee {
  accounts: readonly string[];
  pseudo: string | null;
  via: ViaPath;
}

export function resolveConfluence(input: ResolveInput): void {
  const conf = input.snapshot.confluence;
  if (!conf) return;
  const { vias, notes, groups, scope } = input;
  const em = new ProductEmitter("confluence", input.access, input.dormant, input.eligible.confluence);
  const groupName = (id: string) => groups.names.get(id) ?? id;
  const members = (id: string) => groups.members.get(id) ?? [];
  const roleNames = new Map(conf.roles.map((r) => [r.id, r.name]));
  let licensedSorted: string[] | null = null;
  const licensed = () => {
    licensedSorted ??= [...input.eligible.confluence].sort(cmp);
    return licensedSorted;
  };

  // Role → operations: stated by the snapshot when it carries them, else derived from the `role` rows.
  const roleOps = new Map<string, Set<string>>();
  for (const r of conf.roles) {
    const stated = (r as { operations?: unknown }).operations;
    if (Array.isArray(stated)) roleOps.set(r.id, new Set(stated.filter((o): o is string => typeof o === "string")));
  }
  const stated = new Set(roleOps.keys());
  for (const row of conf.spacePermissions) {
    if (row.principalType !== "role" || !row.principalId || stated.has(row.principalId)) continue;
    let set = roleOps.get(row.principalId);
    if (!set) {
      set = new Set();
      roleOps.set(row.principalId, set);
    }
    set.add(row.operation);
  }

  const rowsBySpace = new Map<string, (typeof conf.spacePermissions)[number][]>();
  for (const row of conf.spacePermissions) {
    const list = rowsBySpace.get(row.spaceId);
    if (list) list.push(row);
    else rowsBySpace.set(row.spaceId, [row]);
  }
  const assignmentsBySpace = new Map<string, (typeof conf.roleAssignments)[number][]>();
  for (const a of conf.roleAssignments) {
    const list = assignmentsBySpace.get(a.spaceId);
    if (list) list.push(a);
    else assignmentsBySpace.set(a.spaceId, [a]);
  }
  const knownSpaces = new Set(conf.spaces.map((s) => s.id));
  const orphanRows = conf.spacePermissions.filter((r) => !knownSpaces.has(r.spaceId)).length;
  if (orphanRows > 0) notes.push(`Confluence: ${orphanRows} permission row(s) name a space that was not listed.`);
  const unknownClasses = new Set<string>();

  const grant = (perm: PermissionTarget, a: Assignee) => {
    if (a.pseudo) perm.pseudo(a.pseudo, a.via);
    else perm.accounts(a.accounts, a.via);
  };

  for (const s of conf.spaces) {
    if (scope !== null && !scope.confluenceSpaces.has(s.key)) {
      // Out of scope (an incremental run): only the diagnostics.
      for (const ra of assignmentsBySpace.get(s.id) ?? []) {
        if (ra.principalType !== "access_class") continue;
        const cls = ra.principalId.toLowerCase();
        if (!ANONYMOUS_CLASSES.has(cls) && !UNLICENSED_CLASSES.has(cls) && !LICENSED_CLASSES.has(cls))
          unknownClasses.add(ra.principalId);
      }
      continue;
    }
    const target = em.resource("confluence_space", s.key);
    /** roleId → the space's assignees of that role */
    const assignees = new Map<string, Assignee[]>();
    for (const ra of assignmentsBySpace.get(s.id) ?? []) {
      const role = `space role ${q(roleNames.get(ra.roleId) ?? ra.roleId)}`;
      let a: Assignee | null = null;
      if (ra.principalType === "user")
        a = { accounts: [ra.principalId], pseudo: null, via: vias.get("confluence.space.role.user", `${role} → user`) };
      else if (ra.principalType === "group")
        a = {
          accounts: members(ra.principalId),
          pseudo: null,
          via: vias.get("confluence.space.role.group", `${role} → group ${q(groupName(ra.principalId))}`),
        };
      else {
        const cls = ra.principalId.toLowerCase();
        const via = vias.get("confluence.space.role.access-class", `${role} → ${ra.principalId}`);
        if (ANONYMOUS_CLASSES.has(cls)) a = { accounts: [], pseudo: ANONYMOUS, via };
        else if (UNLICENSED_CLASSES.has(cls)) a = { accounts: [], pseudo: CONFLUENCE_UNLICENSED, via };
        else if (LICENSED_CLASSES.has(cls)) a = { accounts: licensed(), pseudo: null, via };
        else unknownClasses.add(ra.principalId);
      }
      if (!a) continue;
      const list = assignees.get(ra.roleId);
      if (list) list.push(a);
      else assignees.set(ra.roleId, [a]);
    }
    for (const [roleId, list] of assignees) {
      for (const op of roleOps.get(roleId) ?? []) {
        const perm = target.permission(op);
        for (const a of list) grant(perm, a);
      }
    }
    for (const row of rowsBySpace.get(s.id) ?? []) {
      const perm = target.permission(row.operation);
      switch (row.principalType) {
        case "user":
          if (row.principalId)
            perm.account(row.principalId, vias.get("confluence.space.user", "space permission → user"));
          break;
        case "group":
          if (row.principalId)
            perm.accounts(
              members(row.principalId),
              vias.get("confluence.space.group", `space permission → group ${q(groupName(row.principalId))}`),
            );
          break;
        case "role":
          for (const a of (row.principalId ? assignees.get(row.principalId) : undefined) ?? []) grant(perm, a);
          break;
        case "anonymous":
          perm.pseudo(ANONYMOUS, vias.get("confluence.space.anonymous", "space permission → anonymous access"));
          break;
        case "unlicensed":
          perm.pseudo(
            CONFLUENCE_UNLICENSED,
            vias.get(
              "confluence.space.unlicensed",
              "space permission → unlicensed access (logged-in users without Confluence)",
            ),
          );
          break;
      }
    }
  }
  if (unknownClasses.size > 0)
    notes.push(
      `Confluence: role assignments to access class(es) ${[...unknownClasses].sort(cmp).join(", ")} are not expanded.`,
    );
}
