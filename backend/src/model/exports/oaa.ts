/**
 * Veza OAA custom application payloads, one per product (`jira`, `confluence`, `bitbucket`, and `admin` for the
 * organization: org admins and product licences), in the template format described in `oaa-schema.ts`.
 *
 * What goes where:
 * - **Local users**: the accounts of the product — every account with an entry (effective or dormant) for it, that
 *   holds the product, or that the product reported; for `admin`, every account. `id` is the accountId, `name` the
 *   display name, `identities` the account's email and its linked IdP identity's login and email (how Veza joins
 *   them to IdP users), `is_active` whether the account can sign in, `last_login_at` the product's last activity.
 *   Custom properties: `account_type`, `account_status`, `user_type` (human | service_account — the template has no
 *   field for it), `suspended`, `external_collaborator`, `billable`, `email`, `idp_identity`, `idp_status`,
 *   `products`, `seen_in`, and `bitbucket_uuid` in the Bitbucket payload.
 * - **Local groups**: org groups (Jira, Confluence, Admin) or Bitbucket workspace groups, `id` = the model's group
 *   key; membership is stated on each user (`groups`), as the template does. Pseudo-principals that hold access in
 *   the product become groups too (`anonymous`, `product-users:jira`, `unlicensed:confluence`, custom property
 *   `pseudo_principal`), with the accounts they stand for (see `pseudo.ts`) as members — `anonymous` has none,
 *   since it stands for people without an account.
 * - **Local roles** (Jira): each project role that grants something in a project, named `<project name> - <role
 *   name>`, holding the permissions the project's scheme gives that role; assigned, on that project, to the accounts
 *   that hold it (directly or through a group actor).
 * - **Resources**: Jira projects; Confluence spaces; Bitbucket workspace → projects → repositories (sub-resources,
 *   following the model's `parent`); for Admin the org, the site and the Bitbucket workspace. The site itself is the
 *   Jira or Confluence application: Jira's global permissions apply to the application. (The Admin payload holds
 *   the Bitbucket workspace too: Bitbucket licences are granted there.) Resource ids are the model's
 *   ids with `%` and `.` percent-encoded, because OAA joins sub-resource keys with dots. The model's `attributes`
 *   become custom properties, declared per resource type (names lower-cased, other characters `_`).
 * - **Permissions**: each native permission used, with its OAA types from `oaa-permissions.ts`,
 *   `apply_to_sub_resources: false` (the model lists effective access per resource, inheritance already applied).
 * - **identity_to_permissions**: the model's effective access — per account and per pseudo-principal group, the
 *   native permissions on the resources they reach. A Jira permission an account holds through a project role is
 *   sent as the role assignment instead of a direct permission. Dormant grants are not sent (they are not access);
 *   their accounts are local users with `is_active: false`. Paths (`via`) have no place in the template: the CSV and
 *   JSON exports carry them.
 */
import { RESOURCE_TYPES } from "@accessmap/shared/model/resource-types";
import { BITBUCKET_KEY, CONFLUENCE_KEY, canSignIn, isJiraKey } from "../correlate.js";
import {
  type AccessEntry,
  type AccessProduct,
  type Account,
  ANONYMOUS,
  type Model,
  type Resource,
  type ResourceType,
  resourceKey,
} from "../types.js";
import { oaaPermissionTypes } from "./oaa-permissions.js";
import type {
  OaaCustomPermission,
  OaaIdentityToPermissions,
  OaaLocalGroup,
  OaaLocalRole,
  OaaLocalUser,
  OaaPayload,
  OaaPropertyType,
  OaaResource,
} from "./oaa-schema.js";
import { isPseudo, PSEUDO_LABELS, pseudoMembers } from "./pseudo.js";

export const OAA_PRODUCTS = ["jira", "confluence", "bitbucket", "admin"] as const satisfies readonly AccessProduct[];

export interface OaaOptions {
  /** The application's name in Veza; defaults to e.g. `Jira (acme.atlassian.net)`. */
  applicationName?: string;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const OAA_RESOURCE_TYPE: Readonly<Record<ResourceType, string>> = {
  org: "organization",
  site: "site",
  jira_project: "project",
  confluence_space: "space",
  bitbucket_workspace: "workspace",
  bitbucket_project: "project",
  bitbucket_repo: "repository",
};

const TYPE_ORDER = RESOURCE_TYPES;

const APPLICATION_TYPE: Readonly<Record<AccessProduct, string>> = {
  admin: "atlassian_admin",
  jira: "atlassian_jira",
  confluence: "atlassian_confluence",
  bitbucket: "atlassian_bitbucket",
};

/** Permissions always declared, so a product without access still yields a valid payload (one is required). */
const BASELINE: Readonly<Record<AccessProduct, readonly string[]>> = {
  admin: ["org-admin"],
  jira: ["ADMINISTER_PROJECTS", "BROWSE_PROJECTS"],
  confluence: ["administer:space", "read:space"],
  bitbucket: ["admin", "read", "write"],
};

/** Encodes an id for an OAA resource key: `.` separates sub-resources. */
export const oaaId = (id: string): string => id.replace(/%/g, "%25").replace(/\./g, "%2E");

/** A property name the template accepts (`^[a-z][a-z_]*$`). */
export function oaaPropertyName(name: string): string {
  const n = name.toLowerCase().replace(/[^a-z_]/g, "_");
  return /^[a-z]/.test(n) ? n : `p_${n}`;
}

/** An RFC 3339 timestamp, or undefined. */
function timestamp(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** Whether an Admin product key is the product's licence. */
const keyOf = (product: AccessProduct, key: string): boolean =>
  product === "jira" ? isJiraKey(key) : product === "confluence" ? key === CONFLUENCE_KEY : key === BITBUCKET_KEY;

const holdsProduct = (a: Account, product: AccessProduct): boolean =>
  product === "admin" || a.products.some((p) => keyOf(product, p.key));

function lastActive(a: Account, product: AccessProduct): string | undefined {
  if (product === "admin") return timestamp(a.lastActive);
  let best: string | undefined;
  for (const p of a.products) {
    if (!keyOf(product, p.key)) continue;
    const t = timestamp(p.lastActive);
    if (t && (!best || t > best)) best = t;
  }
  return best;
}

/** `<role name>` from a Jira path `… → project role "<role name>" → user|group "…"`, or null. */
export function jiraRoleName(description: string): string | null {
  const marker = ' → project role "';
  const at = description.indexOf(marker);
  if (at < 0) return null;
  const rest = description.slice(at + marker.length);
  const end = rest.lastIndexOf('" → ');
  return end > 0 ? rest.slice(0, end) : null;
}

function applicationName(model: Model, product: AccessProduct): string {
  const ws = model.resources.find((r) => r.type === "bitbucket_workspace")?.id;
  switch (product) {
    case "jira":
      return `Jira (${model.site ?? model.org?.name ?? "site"})`;
    case "confluence":
      return `Confluence (${model.site ?? model.org?.name ?? "site"})`;
    case "bitbucket":
      return `Bitbucket (${ws ?? "workspace"})`;
    case "admin":
      return `Atlassian Admin (${model.org?.name ?? model.site ?? "organization"})`;
  }
}

/** Whether an entry of `product` applies to the application itself rather than to a resource. */
const appLevel = (product: AccessProduct, type: ResourceType): boolean =>
  (product === "jira" || product === "confluence") && type === "site";

/** Adds `value` to the list under `key`. */
function push<K, V>(m: Map<K, V[]>, key: K, value: V): void {
  const list = m.get(key);
  if (list) list.push(value);
  else m.set(key, [value]);
}

/** The OAA custom application payload of one product. */
export function buildOaaPayload(model: Model, product: AccessProduct, opts: OaaOptions = {}): OaaPayload {
  const appName = opts.applicationName ?? applicationName(model, product);
  const access = model.access.filter((e) => e.product === product);
  const dormant = model.dormant.filter((e) => e.product === product);

  // ---------------------------------------------------------------- resources
  const described = new Map(model.resources.map((r) => [resourceKey(r), r]));
  const chosen = new Map<string, Resource>();
  for (const r of model.resources)
    if (
      (r.product === product && !appLevel(product, r.type)) ||
      (product === "admin" && r.type === "bitbucket_workspace")
    )
      chosen.set(resourceKey(r), r);
  for (const e of [...access, ...dormant]) {
    if (appLevel(product, e.resourceType)) continue;
    const key = resourceKey({ type: e.resourceType, id: e.resourceId });
    if (chosen.has(key)) continue;
    chosen.set(
      key,
      described.get(key) ?? {
        type: e.resourceType,
        id: e.resourceId,
        name: e.resourceId,
        product,
        parent: null,
        attributes: {},
      },
    );
  }
  // Property definitions per OAA resource type: a name keeps one type; mixed types become STRING, and so do names
  // whose value is always null (declared all the same, so the definitions do not change from one run to the next).
  const resourceDefs = new Map<string, Map<string, OaaPropertyType | "NULL">>();
  for (const r of chosen.values()) {
    const type = OAA_RESOURCE_TYPE[r.type];
    let defs = resourceDefs.get(type);
    if (!defs) {
      defs = new Map();
      resourceDefs.set(type, defs);
    }
    for (const [name, value] of Object.entries(r.attributes)) {
      const n = oaaPropertyName(name);
      const t =
        value === null
          ? null
          : typeof value === "boolean"
            ? "BOOLEAN"
            : typeof value === "number"
              ? "NUMBER"
              : "STRING";
      const prev = defs.get(n);
      if (prev === undefined) defs.set(n, t ?? "NULL");
      else if (t !== null && prev !== t) defs.set(n, prev === "NULL" ? t : "STRING");
    }
  }
  const oaaKeys = new Map<string, string>();
  const children = new Map<string | null, Resource[]>();
  const parentOf = (r: Resource): string | null => {
    const k = resourceKey(r);
    return r.parent !== null && chosen.has(r.parent) && r.parent !== k ? r.parent : null;
  };
  for (const r of chosen.values()) push(children, parentOf(r), r);
  const build = (parent: string | null, parentOaaKey: string | null, depth: number): OaaResource[] => {
    const list = (children.get(parent) ?? [])
      .slice()
      .sort((a, b) => TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) || cmp(a.id, b.id));
    return list.map((r) => {
      const k = resourceKey(r);
      const id = oaaId(r.id);
      const oaaKey = parentOaaKey === null ? id : `${parentOaaKey}.${id}`;
      oaaKeys.set(k, oaaKey);
      const defs = resourceDefs.get(OAA_RESOURCE_TYPE[r.type])!;
      const props: Record<string, string | number | boolean> = {};
      for (const [name, value] of Object.entries(r.attributes)) {
        if (value === null) continue;
        const n = oaaPropertyName(name);
        if (n in props) continue;
        props[n] = defs.get(n) === "STRING" ? String(value) : value;
      }
      const res: OaaResource = { id, name: r.name || r.id, resource_type: OAA_RESOURCE_TYPE[r.type] };
      if (Object.keys(props).length > 0) res.custom_properties = props;
      const subs = depth < 8 ? build(k, oaaKey, depth + 1) : [];
      if (subs.length > 0) res.sub_resources = subs;
      return res;
    });
  };
  const resources = build(null, null, 0);

  // ---------------------------------------------------------------- pseudo-principal groups
  const members = pseudoMembers(model);
  const pseudoHere = [...new Set(access.filter((e) => isPseudo(e.principal)).map((e) => e.principal))].sort(cmp);

  // ---------------------------------------------------------------- users
  const accounts = new Map(model.accounts.map((a) => [a.accountId, a]));
  const identities = new Map(model.identities.map((i) => [i.id, i]));
  const userIds = new Set<string>();
  for (const a of model.accounts)
    if (holdsProduct(a, product) || (product !== "admin" && a.seenIn.includes(product))) userIds.add(a.accountId);
  for (const e of [...access, ...dormant])
    if (!isPseudo(e.principal) && accounts.has(e.principal)) userIds.add(e.principal);
  for (const p of pseudoHere) for (const id of members.get(p) ?? []) if (p !== ANONYMOUS) userIds.add(id);

  const scope = product === "bitbucket" ? "bitbucket" : "org";
  const groups = model.groups.filter((g) => g.scope === scope).sort((a, b) => cmp(a.key, b.key));
  const groupsOf = new Map<string, string[]>();
  for (const g of groups) for (const m of g.members) if (userIds.has(m)) push(groupsOf, m, g.key);
  for (const p of pseudoHere) {
    if (p === ANONYMOUS) continue;
    for (const id of members.get(p) ?? []) push(groupsOf, id, p);
  }

  const localUsers: OaaLocalUser[] = [...userIds].sort(cmp).flatMap((id) => {
    const a = accounts.get(id);
    if (!a) return [];
    const identity = a.identityId ? identities.get(a.identityId) : undefined;
    const ids = [...new Set([a.email, identity?.email, identity?.login].filter((x): x is string => !!x))];
    const props: Record<string, string | boolean | string[]> = {
      account_type: a.accountType,
      account_status: a.status,
      user_type: a.userType,
      suspended: a.suspended,
      external_collaborator: a.externalCollaborator,
      products: a.products.map((p) => p.key).sort(cmp),
      seen_in: [...a.seenIn],
    };
    if (a.billable !== null) props.billable = a.billable;
    if (a.email) props.email = a.email;
    if (identity) {
      props.idp_identity = identity.login || identity.email || identity.id;
      props.idp_status = identity.status;
    }
    if (product === "bitbucket" && a.bitbucketUuid) props.bitbucket_uuid = a.bitbucketUuid;
    const user: OaaLocalUser = { name: a.displayName || a.accountId, id: a.accountId, is_active: canSignIn(a) };
    if (ids.length > 0) user.identities = ids;
    const gs = groupsOf.get(id);
    if (gs && gs.length > 0) user.groups = gs;
    const last = lastActive(a, product);
    if (last) user.last_login_at = last;
    user.custom_properties = props;
    return [user];
  });

  const localGroups: OaaLocalGroup[] = [
    ...groups.map((g) => ({
      name: g.name || g.key,
      id: g.key,
      custom_properties: { scope: g.scope, member_count: g.members.length, pseudo_principal: false },
    })),
    ...pseudoHere.map((p) => ({
      name: PSEUDO_LABELS[p] ?? p,
      id: p,
      custom_properties: {
        scope: "pseudo",
        member_count: p === ANONYMOUS ? 0 : (members.get(p)?.length ?? 0),
        pseudo_principal: true,
      },
    })),
  ];

  // ---------------------------------------------------------------- roles (Jira)
  const projectNames = new Map(model.resources.filter((r) => r.type === "jira_project").map((r) => [r.id, r.name]));
  /** role id → role */
  const roles = new Map<string, { name: string; permissions: Set<string> }>();
  /** accountId → role id → resource keys */
  const roleAssignments = new Map<string, Map<string, Set<string>>>();
  const roleOf = (e: AccessEntry): string[] => {
    if (product !== "jira" || e.resourceType !== "jira_project" || isPseudo(e.principal)) return [];
    const out: string[] = [];
    for (const v of e.via) {
      if (!v.kind.startsWith("jira.scheme.role.")) continue;
      const role = jiraRoleName(v.description);
      if (role === null) continue;
      const id = `${e.resourceId}:${role}`;
      if (!out.includes(id)) out.push(id);
      let r = roles.get(id);
      if (!r) {
        r = { name: `${projectNames.get(e.resourceId) ?? e.resourceId} - ${role}`, permissions: new Set() };
        roles.set(id, r);
      }
      r.permissions.add(e.permission);
    }
    return out;
  };

  // ---------------------------------------------------------------- grants
  interface Grants {
    app: Set<string>;
    perms: Map<string, Set<string>>;
  }
  const grants = new Map<string, Grants>();
  const grantsOf = (principal: string): Grants => {
    let g = grants.get(principal);
    if (!g) {
      g = { app: new Set(), perms: new Map() };
      grants.set(principal, g);
    }
    return g;
  };
  const used = new Map<string, Set<string>>();
  for (const e of access) {
    const types = used.get(e.permission) ?? new Set<string>();
    used.set(e.permission, types);
    if (!isPseudo(e.principal) && !userIds.has(e.principal)) continue;
    if (appLevel(product, e.resourceType)) {
      grantsOf(e.principal).app.add(e.permission);
      continue;
    }
    const oaaKey = oaaKeys.get(resourceKey({ type: e.resourceType, id: e.resourceId }));
    if (oaaKey === undefined) continue;
    types.add(OAA_RESOURCE_TYPE[e.resourceType]);
    const viaRoles = roleOf(e);
    if (viaRoles.length > 0) {
      let m = roleAssignments.get(e.principal);
      if (!m) {
        m = new Map();
        roleAssignments.set(e.principal, m);
      }
      for (const id of viaRoles) {
        const set = m.get(id) ?? new Set<string>();
        set.add(oaaKey);
        m.set(id, set);
      }
      continue;
    }
    const g = grantsOf(e.principal);
    const set = g.perms.get(e.permission) ?? new Set<string>();
    set.add(oaaKey);
    g.perms.set(e.permission, set);
  }
  for (const name of BASELINE[product]) if (!used.has(name)) used.set(name, new Set());

  const permissions: OaaCustomPermission[] = [...used.keys()].sort(cmp).map((name) => ({
    name,
    permission_type: oaaPermissionTypes(product, name),
    apply_to_sub_resources: false,
    resource_types: [...(used.get(name) ?? [])].sort(cmp),
  }));

  const localRoles: OaaLocalRole[] = [...roles.keys()].sort(cmp).map((id) => {
    const r = roles.get(id)!;
    return { name: r.name, id, permissions: [...r.permissions].sort(cmp), roles: [], tags: [], custom_properties: {} };
  });

  const identityToPermissions: OaaIdentityToPermissions[] = [];
  const principals = [...new Set([...grants.keys(), ...roleAssignments.keys()])].sort(cmp);
  for (const principal of principals) {
    const g = grants.get(principal);
    const entry: OaaIdentityToPermissions = {
      identity: principal,
      identity_type: isPseudo(principal) ? "local_group" : "local_user",
    };
    const aps: NonNullable<OaaIdentityToPermissions["application_permissions"]> = [];
    for (const perm of [...(g?.app ?? [])].sort(cmp))
      aps.push({ application: appName, permission: perm, apply_to_application: true });
    for (const perm of [...(g?.perms.keys() ?? [])].sort(cmp))
      aps.push({ application: appName, resources: [...g!.perms.get(perm)!].sort(cmp), permission: perm });
    if (aps.length > 0) entry.application_permissions = aps;
    const ras = roleAssignments.get(principal);
    if (ras)
      entry.role_assignments = [...ras.keys()].sort(cmp).map((role) => ({
        application: appName,
        role,
        apply_to_application: false,
        resources: [...ras.get(role)!].sort(cmp),
      }));
    identityToPermissions.push(entry);
  }

  // ---------------------------------------------------------------- property definitions
  const userDefs: Record<string, OaaPropertyType> = {
    account_type: "STRING",
    account_status: "STRING",
    user_type: "STRING",
    suspended: "BOOLEAN",
    external_collaborator: "BOOLEAN",
    billable: "BOOLEAN",
    email: "STRING",
    idp_identity: "STRING",
    idp_status: "STRING",
    products: "STRING_LIST",
    seen_in: "STRING_LIST",
  };
  if (product === "bitbucket") userDefs.bitbucket_uuid = "STRING";
  const applicationProps: Record<string, string> = { snapshot_run_id: model.snapshotRunId, built_at: model.builtAt };
  if (model.site) applicationProps.site = model.site;
  if (model.org) applicationProps.org_id = model.org.id;

  return {
    custom_property_definition: {
      applications: [
        {
          application_type: APPLICATION_TYPE[product],
          application_properties: {
            snapshot_run_id: "STRING",
            built_at: "TIMESTAMP",
            site: "STRING",
            org_id: "STRING",
          },
          local_user_properties: userDefs,
          local_group_properties: { scope: "STRING", member_count: "NUMBER", pseudo_principal: "BOOLEAN" },
          local_role_properties: {},
          resources: [...resourceDefs.keys()].sort(cmp).map((type) => ({
            resource_type: type,
            properties: Object.fromEntries(
              [...resourceDefs.get(type)!]
                .sort((a, b) => cmp(a[0], b[0]))
                .map(([n, t]): [string, OaaPropertyType] => [n, t === "NULL" ? "STRING" : t]),
            ),
          })),
        },
      ],
    },
    applications: [
      {
        name: appName,
        application_type: APPLICATION_TYPE[product],
        description: `${appName}: identities and effective access exported by accessmap (run ${model.snapshotRunId}).`,
        local_users: localUsers,
        local_groups: localGroups,
        local_roles: localRoles,
        tags: [],
        custom_properties: applicationProps,
        resources,
      },
    ],
    permissions,
    identity_to_permissions: identityToPermissions,
  };
}

/**
 * A payload for each product the model knows (resources or access of it): Jira, Confluence, Bitbucket, and Admin
 * when the org was read.
 */
export function buildOaaPayloads(model: Model): Array<{ product: AccessProduct; payload: OaaPayload }> {
  const out: Array<{ product: AccessProduct; payload: OaaPayload }> = [];
  for (const product of OAA_PRODUCTS) {
    const present =
      model.resources.some((r) => r.product === product && !appLevel(product, r.type)) ||
      model.access.some((e) => e.product === product);
    if (present) out.push({ product, payload: buildOaaPayload(model, product) });
  }
  return out;
}
