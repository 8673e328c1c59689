/**
 * Response schemas of the Atlassian Admin (organizations) API calls the Admin reader makes
 * (`../shared/atlassian-specs/admin-organization-swagger.v3.json`).
 *
 * Policy: objects are loose (keys Atlassian adds later pass through), identity fields are required (an org, user,
 * group or workspace without its id is a real shape error and fails the read), everything else is optional or
 * nullable, and vendor enums (`account_type`, `status`, `platformRoles`, …) are plain strings so a new value never
 * breaks a read.
 */
import { z } from "zod";

/** v1 `LinkPageModel` / v2 `LinkPageCursor`: `next` is a URL (v1) or a bare cursor (v2); absent on the last page. */
const Links = z.looseObject({ next: z.string().nullish() }).nullish();

/** A v1 or v2 page: `{ data: [...], links: { next } }`. */
function page<T extends z.ZodType>(item: T) {
  return z.looseObject({ data: z.array(item), links: Links });
}

/** `GET /v1/orgs/{orgId}` → `{ data: OrgModel }`. */
export const AdminOrgSchema = z.looseObject({
  data: z.looseObject({
    id: z.string(),
    attributes: z.looseObject({ name: z.string().nullish() }).nullish(),
  }),
});
export type AdminOrg = z.infer<typeof AdminOrgSchema>["data"];

/** `Directory` (`GET /v2/orgs/{orgId}/directories`). */
export const AdminDirectorySchema = z.looseObject({
  directoryId: z.string(),
  name: z.string().nullish(),
});
export type AdminDirectory = z.infer<typeof AdminDirectorySchema>;
export const AdminDirectoryPageSchema = page(AdminDirectorySchema);

/** `MultiDirectoryProductAccess` (`expand: productAccess`): `id` is the product instance's ARI, `key` e.g. `jira`. */
const V2ProductAccess = z.looseObject({
  id: z.string().nullish(),
  key: z.string().nullish(),
  lastActiveTimestamp: z.string().nullish(),
});

/** `MultiDirectoryUserGroup` (`expand: groups`): `id` is the group's ARI (`ari:cloud:identity::group/<groupId>`). */
const V2UserGroup = z.looseObject({ id: z.string() });

/** `MultiDirectoryUser` (`POST /v2/orgs/{orgId}/directories/{directoryId}/users/search`). */
export const AdminV2UserSchema = z.looseObject({
  accountId: z.string(),
  accountType: z.string().nullish(),
  accountStatus: z.string().nullish(),
  status: z.string().nullish(),
  membershipStatus: z.string().nullish(),
  claimStatus: z.string().nullish(),
  name: z.string().nullish(),
  email: z.string().nullish(),
  addedToOrg: z.string().nullish(),
  platformRoles: z.array(z.string()).nullish(),
  productAccess: z.array(V2ProductAccess).nullish(),
  groups: z.array(V2UserGroup).nullish(),
});
export type AdminV2User = z.infer<typeof AdminV2UserSchema>;
export const AdminV2UserPageSchema = page(AdminV2UserSchema);

/** v1 `Product` of `User.product_access`. */
const V1Product = z.looseObject({
  key: z.string(),
  name: z.string().nullish(),
  url: z.string().nullish(),
  last_active: z.string().nullish(),
});

/** v1 `User` (`GET /v1/orgs/{orgId}/users`): the only source of `access_billable` and `product_access`. */
export const AdminV1UserSchema = z.looseObject({
  account_id: z.string(),
  account_type: z.string().nullish(),
  account_status: z.string().nullish(),
  name: z.string().nullish(),
  email: z.string().nullish(),
  access_billable: z.boolean().nullish(),
  last_active: z.string().nullish(),
  product_access: z.array(V1Product).nullish(),
});
export type AdminV1User = z.infer<typeof AdminV1UserSchema>;
export const AdminV1UserPageSchema = page(AdminV1UserSchema);

/** `MultiDirectoryGroup` (`POST …/groups/search`). A group without a name cannot be shown to anyone: required. */
export const AdminGroupSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  description: z.string().nullish(),
});
export type AdminGroup = z.infer<typeof AdminGroupSchema>;
export const AdminGroupPageSchema = page(AdminGroupSchema);

/** `WorkspaceModel` (`POST /v2/orgs/{orgId}/workspaces`): `id` is the instance's ARI. */
export const AdminWorkspaceSchema = z.looseObject({
  id: z.string(),
  attributes: z
    .looseObject({
      name: z.string().nullish(),
      typeKey: z.string().nullish(),
      type: z.string().nullish(),
      hostUrl: z.string().nullish(),
    })
    .nullish(),
});
export type AdminWorkspace = z.infer<typeof AdminWorkspaceSchema>;
export const AdminWorkspacePageSchema = page(AdminWorkspaceSchema);
