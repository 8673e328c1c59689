/**
 * Native permission → Veza OAA canonical permission types (`OAAPermission`), built on accessmap's own canonical
 * categories (`../canonical.ts`):
 *
 * | canonical     | OAA                                                        |
 * |---------------|------------------------------------------------------------|
 * | `data_read`   | DataRead                                                   |
 * | `data_create` | DataCreate                                                 |
 * | `data_write`  | DataWrite                                                  |
 * | `data_delete` | DataDelete                                                 |
 * | `admin`       | MetadataRead, MetadataWrite, MetadataCreate, MetadataDelete |
 * | `metadata`    | NonData (a licence, being assignable, unknown names)       |
 *
 * Bitbucket is the exception: its levels are cumulative (admin ⊃ create-repo ⊃ write ⊃ read) and the model keeps
 * only the highest level an account holds, so each level carries everything below it. Workspace `owner` is admin
 * of every repository; `collaborator` and `member` see the workspace's metadata.
 */
import { canonicalPermission } from "../canonical.js";
import type { AccessProduct, CanonicalPermission } from "../types.js";
import type { OaaPermissionType } from "./oaa-schema.js";

const ADMIN_TYPES: OaaPermissionType[] = ["MetadataRead", "MetadataWrite", "MetadataCreate", "MetadataDelete"];
const ALL_DATA: OaaPermissionType[] = ["DataRead", "DataWrite", "DataCreate", "DataDelete"];

const BY_CANONICAL: Readonly<Record<CanonicalPermission, readonly OaaPermissionType[]>> = {
  data_read: ["DataRead"],
  data_create: ["DataCreate"],
  data_write: ["DataWrite"],
  data_delete: ["DataDelete"],
  admin: ADMIN_TYPES,
  metadata: ["NonData"],
};

const BITBUCKET: Readonly<Record<string, readonly OaaPermissionType[]>> = {
  read: ["DataRead", "MetadataRead"],
  write: ["DataRead", "DataWrite", "MetadataRead"],
  "create-repo": ["DataRead", "DataWrite", "DataCreate", "MetadataRead"],
  admin: [...ALL_DATA, ...ADMIN_TYPES],
  owner: [...ALL_DATA, ...ADMIN_TYPES],
  collaborator: ["MetadataRead"],
  member: ["MetadataRead"],
};

/** The OAA permission types a native permission of `product` gives. */
export function oaaPermissionTypes(product: AccessProduct, permission: string): OaaPermissionType[] {
  if (product === "bitbucket") {
    const level = BITBUCKET[permission];
    if (level) return [...level];
  }
  return [...BY_CANONICAL[canonicalPermission(product, permission)]];
}
