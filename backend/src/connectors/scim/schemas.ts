/**
 * Response schemas of the SCIM 2.0 calls the SCIM reader makes (Atlassian user provisioning,
 * `../shared/atlassian-specs/admin-user-provisioning-swagger.v3.json`; RFC 7643/7644).
 *
 * Policy: objects are loose, the resource `id` is required (a resource without one cannot be keyed), everything else
 * is optional and typed leniently. SCIM attribute names are case-insensitive (RFC 7643 §2.1) and real directories
 * send `"True"`/`"False"` for booleans (reliability case S12), so the transform reads attributes case-insensitively
 * and these schemas only check the canonical spelling's type when it is present.
 */
import { z } from "zod";

/** Atlassian's SCIM user extension, carrying the linked account id. */
export const ATLASSIAN_EXTENSION = "urn:scim:schemas:extension:atlassian-external:1.0";

/** A SCIM boolean as directories send it: `true`, or the strings `"True"`/`"false"`. */
export const ScimBoolean = z.union([z.boolean(), z.string().regex(/^(true|false)$/i)]);

/** `emails[]` entries. */
const ScimEmail = z.looseObject({
  value: z.string().nullish(),
  type: z.string().nullish(),
  primary: ScimBoolean.nullish(),
});

/** A SCIM `User` resource. */
export const ScimUserSchema = z.looseObject({
  id: z.string(),
  externalId: z.string().nullish(),
  userName: z.string().nullish(),
  displayName: z.string().nullish(),
  emails: z.array(ScimEmail).nullish(),
  active: ScimBoolean.nullish(),
  [ATLASSIAN_EXTENSION]: z.looseObject({ atlassianAccountId: z.string().nullish() }).nullish(),
});
export type ScimUser = z.infer<typeof ScimUserSchema>;

/** A SCIM `Group` resource; `members[].value` is a SCIM user id. */
export const ScimGroupSchema = z.looseObject({
  id: z.string(),
  displayName: z.string().nullish(),
  members: z.array(z.looseObject({ value: z.string().nullish(), type: z.string().nullish() })).nullish(),
});
export type ScimGroup = z.infer<typeof ScimGroupSchema>;

/** RFC 7644 §3.4.2 `ListResponse`. */
function listResponse<T extends z.ZodType>(item: T) {
  return z.looseObject({
    totalResults: z.number(),
    startIndex: z.number().optional(),
    itemsPerPage: z.number().optional(),
    Resources: z.array(item).optional(),
  });
}

export const ScimUserListSchema = listResponse(ScimUserSchema);
export const ScimGroupListSchema = listResponse(ScimGroupSchema);
