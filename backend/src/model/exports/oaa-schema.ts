/**
 * The Veza OAA "custom application" payload, as a zod schema, derived from the published template classes of
 * Veza's OAA client: repository `Veza/oaaclient-py`, file `oaaclient/templates.py` at commit
 * 00dab40ecfbb386386357e5fdaa2082c2dd69a32 (oaaclient v1.1.1). What the schema encodes, and where it comes from:
 *
 * - `CustomApplication.get_payload()`: four top-level keys — `custom_property_definition` (`{applications: [defs]}`),
 *   `applications` (a list of one application), `permissions`, `identity_to_permissions`.
 * - `app_dict()`: `name`, `application_type`, `description`, `local_users`, `local_groups`, `local_roles`, `tags`,
 *   `custom_properties`, `resources`.
 * - `LocalUser.to_dict()`: `name`, optional `id`, `identities`, `groups`, `is_active`, `created_at`, `last_login_at`,
 *   `deactivated_at`, `password_last_changed_at`, `tags`, `custom_properties` (unset and empty values dropped). The
 *   template has no `user_type` field: accessmap sends it as the custom property `user_type`.
 * - `LocalGroup.to_dict()`: `name`, optional `id`, `identities`, `created_at`, `groups` (parent groups), `tags`,
 *   `custom_properties`. Membership is stated on the user (`local_users[].groups`), not on the group.
 * - `LocalRole.to_dict()`: `name`, optional `id`, `permissions` (custom permission names), `roles`, `tags`,
 *   `custom_properties`.
 * - `CustomResource.to_dict()`: `id` (unique_id), `name`, `resource_type`, `description`, `connections`,
 *   `sub_resources`, `custom_properties`, `tags` (falsy values dropped). A sub-resource is referenced by its parent's
 *   key, a dot, and its own id (`add_sub_resource`: `f"{self.resource_key}.{identifier}"`).
 * - `CustomPermission.to_dict()`: `name`, `permission_type` (list of `OAAPermission`), `apply_to_sub_resources`,
 *   `resource_types`.
 * - `OAAPermission`: DataRead, DataWrite, DataCreate, DataDelete, MetadataRead, MetadataWrite, MetadataCreate,
 *   MetadataDelete, NonData. `OAAIdentityType`: local_user, local_group, local_role, idp.
 * - `Identity.get_identity_to_permissions()`: `identity` (unique_id, else name), `identity_type`, and when present
 *   `application_permissions` (`{application, permission, apply_to_application: true}` or
 *   `{application, resources: [keys], permission}`) and `role_assignments`
 *   (`{application, role, apply_to_application, resources}`); identities with neither are left out.
 * - `ApplicationPropertyDefinitions.to_dict()`: `application_type`, `application_properties`,
 *   `local_user_properties`, `local_group_properties`, `local_role_properties` (name → `OAAPropertyType`), and
 *   `resources: [{resource_type, properties}]`. Property names must match `^[a-z][a-z_]*$` (lower-cased,
 *   `validate_name`); a property may only be set when it is defined for that entity (`validate_property_name`).
 * - `OAAPropertyType`: BOOLEAN, NUMBER, STRING, STRING_LIST, TIMESTAMP (RFC 3339).
 * - `Tag`: `{key, value}`, key `^[\w\d\s_]+$`, value empty or `^[\w\d\s_,@\.-]+$`.
 * - Entities are kept in case-insensitive dictionaries keyed by unique id: ids must be unique ignoring case.
 *
 * `validateOaaPayload` adds the cross-references the template classes enforce when a payload is built: every
 * permission, role, group, resource key and property a payload names is defined in it.
 */
import { z } from "zod";

export const OAA_PERMISSION_TYPES = [
  "DataRead",
  "DataWrite",
  "DataCreate",
  "DataDelete",
  "MetadataRead",
  "MetadataWrite",
  "MetadataCreate",
  "MetadataDelete",
  "NonData",
] as const;
export const OaaPermissionType = z.enum(OAA_PERMISSION_TYPES);
export type OaaPermissionType = z.infer<typeof OaaPermissionType>;

export const OaaPropertyType = z.enum(["BOOLEAN", "NUMBER", "STRING", "STRING_LIST", "TIMESTAMP"]);
export type OaaPropertyType = z.infer<typeof OaaPropertyType>;

/** `validate_name`: checked lower-cased. */
export const PROPERTY_NAME = /^[a-z][a-z_]*$/;
const PropertyName = z
  .string()
  .refine((n) => PROPERTY_NAME.test(n.toLowerCase()), "property name must match ^[a-z][a-z_]*$");

const Tag = z
  .object({
    key: z.string().regex(/^[\w\d\s_]+$/),
    value: z.string().refine((v) => v === "" || /^[\w\d\s_,@.-]+$/.test(v)),
  })
  .strict();

const PropertyValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);
const CustomProperties = z.record(z.string(), PropertyValue);
const PropertyDefinitions = z.record(PropertyName, OaaPropertyType);

export const OaaLocalUser = z
  .object({
    name: z.string().min(1),
    id: z.string().min(1).optional(),
    identities: z.array(z.string()).optional(),
    groups: z.array(z.string()).optional(),
    is_active: z.boolean().optional(),
    created_at: z.string().optional(),
    last_login_at: z.string().optional(),
    deactivated_at: z.string().optional(),
    password_last_changed_at: z.string().optional(),
    tags: z.array(Tag).optional(),
    custom_properties: CustomProperties.optional(),
  })
  .strict();
export type OaaLocalUser = z.infer<typeof OaaLocalUser>;

export const OaaLocalGroup = z
  .object({
    name: z.string().min(1),
    id: z.string().min(1).optional(),
    identities: z.array(z.string()).optional(),
    created_at: z.string().optional(),
    groups: z.array(z.string()).optional(),
    tags: z.array(Tag).optional(),
    custom_properties: CustomProperties.optional(),
  })
  .strict();
export type OaaLocalGroup = z.infer<typeof OaaLocalGroup>;

export const OaaLocalRole = z
  .object({
    name: z.string().min(1),
    id: z.string().min(1).optional(),
    permissions: z.array(z.string()),
    roles: z.array(z.string()),
    tags: z.array(Tag),
    custom_properties: CustomProperties,
  })
  .strict();
export type OaaLocalRole = z.infer<typeof OaaLocalRole>;

export interface OaaResource {
  id?: string;
  name: string;
  resource_type: string;
  description?: string;
  connections?: Array<{ id: string; node_type: string }>;
  sub_resources?: OaaResource[];
  custom_properties?: Record<string, z.infer<typeof PropertyValue>>;
  tags?: Array<z.infer<typeof Tag>>;
}
export const OaaResource: z.ZodType<OaaResource> = z.lazy(() =>
  z
    .object({
      id: z.string().min(1).optional(),
      name: z.string().min(1),
      resource_type: z.string().min(1),
      description: z.string().optional(),
      connections: z.array(z.object({ id: z.string(), node_type: z.string() }).strict()).optional(),
      sub_resources: z.array(OaaResource).optional(),
      custom_properties: CustomProperties.optional(),
      tags: z.array(Tag).optional(),
    })
    .strict(),
);

export const OaaApplication = z
  .object({
    name: z.string().min(1),
    application_type: z.string().min(1),
    description: z.string().nullable(),
    local_users: z.array(OaaLocalUser),
    local_groups: z.array(OaaLocalGroup),
    local_roles: z.array(OaaLocalRole),
    tags: z.array(Tag),
    custom_properties: CustomProperties,
    resources: z.array(OaaResource),
  })
  .strict();
export type OaaApplication = z.infer<typeof OaaApplication>;

export const OaaCustomPermission = z
  .object({
    name: z.string().min(1),
    permission_type: z.array(OaaPermissionType).min(1),
    apply_to_sub_resources: z.boolean(),
    resource_types: z.array(z.string()),
  })
  .strict();
export type OaaCustomPermission = z.infer<typeof OaaCustomPermission>;

const ApplicationPermission = z.union([
  z.object({ application: z.string(), permission: z.string(), apply_to_application: z.literal(true) }).strict(),
  z.object({ application: z.string(), resources: z.array(z.string()).min(1), permission: z.string() }).strict(),
]);

export const OaaIdentityToPermissions = z
  .object({
    identity: z.string().min(1),
    identity_type: z.enum(["local_user", "local_group", "local_role", "idp"]),
    application_permissions: z.array(ApplicationPermission).min(1).optional(),
    role_assignments: z
      .array(
        z
          .object({
            application: z.string(),
            role: z.string(),
            apply_to_application: z.boolean(),
            resources: z.array(z.string()),
          })
          .strict(),
      )
      .min(1)
      .optional(),
  })
  .strict()
  .refine((e) => e.application_permissions !== undefined || e.role_assignments !== undefined, {
    message: "an identity without permissions or roles is left out of identity_to_permissions",
  });
export type OaaIdentityToPermissions = z.infer<typeof OaaIdentityToPermissions>;

export const OaaPropertyDefinitions = z
  .object({
    application_type: z.string(),
    application_properties: PropertyDefinitions,
    local_user_properties: PropertyDefinitions,
    local_group_properties: PropertyDefinitions,
    local_role_properties: PropertyDefinitions,
    resources: z.array(z.object({ resource_type: z.string(), properties: PropertyDefinitions }).strict()),
  })
  .strict();
export type OaaPropertyDefinitions = z.infer<typeof OaaPropertyDefinitions>;

export const OaaPayload = z
  .object({
    custom_property_definition: z.object({ applications: z.array(OaaPropertyDefinitions).length(1) }).strict(),
    applications: z.array(OaaApplication).length(1),
    permissions: z.array(OaaCustomPermission).min(1),
    identity_to_permissions: z.array(OaaIdentityToPermissions),
  })
  .strict();
export type OaaPayload = z.infer<typeof OaaPayload>;

// ---------------------------------------------------------------- cross-references

type Defs = Record<string, OaaPropertyType>;

function checkProperties(
  issues: string[],
  where: string,
  props: Record<string, unknown> | undefined,
  defs: Defs | undefined,
): void {
  if (!props) return;
  const lower = new Map(Object.entries(defs ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [name, value] of Object.entries(props)) {
    const type = lower.get(name.toLowerCase());
    if (!type) {
      issues.push(`${where}: property ${name} is not defined`);
      continue;
    }
    const ok =
      type === "BOOLEAN"
        ? typeof value === "boolean"
        : type === "NUMBER"
          ? typeof value === "number" && Number.isFinite(value)
          : type === "STRING_LIST"
            ? Array.isArray(value)
            : type === "TIMESTAMP"
              ? typeof value === "string" && !Number.isNaN(Date.parse(value))
              : typeof value === "string";
    if (!ok) issues.push(`${where}: property ${name} is not a ${type}`);
  }
}

/** Adds `id` (lower-cased) to `seen`; reports a case-insensitive duplicate. */
function unique(issues: string[], seen: Set<string>, what: string, id: string): void {
  const k = id.toLowerCase();
  if (seen.has(k)) issues.push(`${what} ${id} is defined twice (ids are case-insensitive)`);
  seen.add(k);
}

/**
 * Validates a payload: its shape (`OaaPayload`), then every reference — permission names, role and group ids,
 * resource keys (dotted for sub-resources), identities, and custom properties against their definitions.
 * Returns the problems found; empty when the payload is valid.
 */
export function validateOaaPayload(payload: unknown): string[] {
  const parsed = OaaPayload.safeParse(payload);
  if (!parsed.success)
    return parsed.error.issues.map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`).slice(0, 50);
  const p = parsed.data;
  const issues: string[] = [];
  const app = p.applications[0]!;
  const defs = p.custom_property_definition.applications[0]!;
  if (defs.application_type !== app.application_type)
    issues.push("custom_property_definition.application_type differs from the application's");
  checkProperties(issues, "application", app.custom_properties, defs.application_properties);

  const permissions = new Set<string>();
  for (const perm of p.permissions) unique(issues, permissions, "permission", perm.name);

  const groups = new Set<string>();
  for (const g of app.local_groups) {
    unique(issues, groups, "local group", g.id ?? g.name);
    checkProperties(issues, `local group ${g.id ?? g.name}`, g.custom_properties, defs.local_group_properties);
  }
  for (const g of app.local_groups)
    for (const parent of g.groups ?? [])
      if (!groups.has(parent.toLowerCase()))
        issues.push(`local group ${g.id ?? g.name}: unknown parent group ${parent}`);

  const users = new Set<string>();
  for (const u of app.local_users) {
    const id = u.id ?? u.name;
    unique(issues, users, "local user", id);
    for (const g of u.groups ?? [])
      if (!groups.has(g.toLowerCase())) issues.push(`local user ${id}: unknown group ${g}`);
    checkProperties(issues, `local user ${id}`, u.custom_properties, defs.local_user_properties);
  }

  const roles = new Set<string>();
  for (const r of app.local_roles) {
    unique(issues, roles, "local role", r.id ?? r.name);
    for (const perm of r.permissions)
      if (!permissions.has(perm.toLowerCase())) issues.push(`local role ${r.id ?? r.name}: unknown permission ${perm}`);
    checkProperties(issues, `local role ${r.id ?? r.name}`, r.custom_properties, defs.local_role_properties);
  }

  const resourceDefs = new Map(defs.resources.map((r) => [r.resource_type, r.properties]));
  const resourceKeys = new Set<string>();
  const walk = (list: readonly OaaResource[], parentKey: string | null) => {
    const siblings = new Set<string>();
    for (const r of list) {
      const own = r.id ?? r.name;
      unique(issues, siblings, `resource under ${parentKey ?? "the application"}`, own);
      const key = parentKey === null ? own : `${parentKey}.${own}`;
      resourceKeys.add(key.toLowerCase());
      checkProperties(issues, `resource ${key}`, r.custom_properties, resourceDefs.get(r.resource_type));
      walk(r.sub_resources ?? [], key);
    }
  };
  walk(app.resources, null);

  const identities = new Set<string>();
  for (const e of p.identity_to_permissions) {
    const where = `identity_to_permissions ${e.identity_type} ${e.identity}`;
    unique(
      issues,
      identities,
      `identity_to_permissions entry of ${e.identity_type}`,
      `${e.identity_type}:${e.identity}`,
    );
    const known =
      e.identity_type === "local_user"
        ? users.has(e.identity.toLowerCase())
        : e.identity_type === "local_group"
          ? groups.has(e.identity.toLowerCase())
          : e.identity_type === "local_role"
            ? roles.has(e.identity.toLowerCase())
            : true;
    if (!known) issues.push(`${where}: not defined in the application`);
    for (const ap of e.application_permissions ?? []) {
      if (ap.application !== app.name) issues.push(`${where}: names application ${ap.application}`);
      if (!permissions.has(ap.permission.toLowerCase())) issues.push(`${where}: unknown permission ${ap.permission}`);
      if ("resources" in ap)
        for (const key of ap.resources)
          if (!resourceKeys.has(key.toLowerCase())) issues.push(`${where}: unknown resource ${key}`);
    }
    for (const ra of e.role_assignments ?? []) {
      if (ra.application !== app.name) issues.push(`${where}: names application ${ra.application}`);
      if (!roles.has(ra.role.toLowerCase())) issues.push(`${where}: unknown role ${ra.role}`);
      if (!ra.apply_to_application && ra.resources.length === 0)
        issues.push(`${where}: role ${ra.role} applies nowhere`);
      for (const key of ra.resources)
        if (!resourceKeys.has(key.toLowerCase())) issues.push(`${where}: unknown resource ${key}`);
    }
  }
  return issues;
}
