/**
 * The whole model as JSON, in a versioned schema (`ModelExport`, documented field by field in
 * `docs/model-export.md`). The document is the model itself plus a `format` marker:
 *
 *   {"format":"accessmap-model","version":1,"builtAt":…,"accounts":[…],…,"notes":[…]}
 *
 * `writeModelJson` streams it: scalars first, then every array element by element (one element a line), with
 * backpressure, so a large model never becomes one string in memory. Fields keep the order of `types.ts`; array
 * order is the model's own (already sorted), so two exports of the same model are byte-identical.
 *
 * Versioning: `version` is the model version. Adding an optional field keeps the version; renaming, removing or
 * changing the meaning of a field increments it, and readers reject versions they do not know.
 */

import type { Writable } from "node:stream";
import { ACCESS_PRODUCTS, RESOURCE_TYPES } from "@accessmap/shared/model/resource-types";
import { z } from "zod";
import { MODEL_VERSION, type Model } from "../types.js";
import { ChunkWriter } from "./chunk-writer.js";

export const MODEL_EXPORT_FORMAT = "accessmap-model" as const;

const AccessProduct = z.enum(ACCESS_PRODUCTS);
const ResourceType = z.enum(RESOURCE_TYPES);

export const ViaPathExport = z.object({ kind: z.string(), description: z.string() });

export const AccountExport = z.object({
  accountId: z.string(),
  displayName: z.string(),
  email: z.string().nullable(),
  accountType: z.string(),
  status: z.string(),
  suspended: z.boolean(),
  billable: z.boolean().nullable(),
  userType: z.enum(["human", "service_account"]),
  externalCollaborator: z.boolean(),
  products: z.array(z.object({ key: z.string(), lastActive: z.string().nullable() })),
  lastActive: z.string().nullable(),
  seenIn: z.array(z.enum(["admin", "scim", "jira", "confluence", "bitbucket"])),
  bitbucketUuid: z.string().nullable(),
  identityId: z.string().nullable(),
});

export const IdentityExport = z.object({
  id: z.string(),
  source: z.enum(["scim", "idp-file"]),
  login: z.string(),
  email: z.string().nullable(),
  displayName: z.string().nullable(),
  status: z.enum(["active", "deactivated"]),
  accountId: z.string().nullable(),
  match: z.enum(["account-id", "email", "ambiguous", "unmatched"]),
  candidates: z.array(z.string()),
});

export const GroupExport = z.object({
  key: z.string(),
  groupId: z.string().nullable(),
  bitbucketSlug: z.string().nullable(),
  name: z.string(),
  scope: z.enum(["org", "bitbucket"]),
  members: z.array(z.string()),
});

export const ResourceExport = z.object({
  type: ResourceType,
  id: z.string(),
  name: z.string(),
  product: AccessProduct,
  parent: z.string().nullable(),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});

export const AccessEntryExport = z.object({
  principal: z.string(),
  product: AccessProduct,
  resourceType: ResourceType,
  resourceId: z.string(),
  permission: z.string(),
  via: z.array(ViaPathExport),
});

export const ModelExport = z.object({
  format: z.literal(MODEL_EXPORT_FORMAT),
  version: z.literal(MODEL_VERSION),
  builtAt: z.string(),
  snapshotRunId: z.string(),
  org: z.object({ id: z.string(), name: z.string() }).nullable(),
  site: z.string().nullable(),
  accounts: z.array(AccountExport),
  identities: z.array(IdentityExport),
  groups: z.array(GroupExport),
  resources: z.array(ResourceExport),
  access: z.array(AccessEntryExport),
  dormant: z.array(AccessEntryExport),
  conditional: z.array(
    z.object({
      projectKey: z.string(),
      permission: z.string(),
      holderType: z.string(),
      parameter: z.string().nullable(),
    }),
  ),
  correlation: z.object({
    unmatchedIdentities: z.array(z.string()),
    ambiguousIdentities: z.array(z.string()),
    ambiguousAccounts: z.array(z.string()).optional(),
    accountsWithoutIdentity: z.array(z.string()),
    identitySourceAvailable: z.boolean(),
  }),
  statuses: z.array(z.object({ product: z.string(), state: z.string(), reasons: z.array(z.string()) })),
  notes: z.array(z.string()),
});
export type ModelExport = z.infer<typeof ModelExport>;

/** Reads an export back into a model; throws on another format, an unknown version or a malformed document. */
export function parseModelExport(text: string): Model {
  const raw: unknown = JSON.parse(text);
  const head = raw as { format?: unknown; version?: unknown } | null;
  if (head?.format !== MODEL_EXPORT_FORMAT)
    throw new Error(`not an accessmap model export (format ${String(head?.format)})`);
  if (head.version !== MODEL_VERSION)
    throw new Error(
      `model export version ${String(head.version)} is not supported (this build reads ${MODEL_VERSION})`,
    );
  const { format: _format, ...model } = ModelExport.parse(raw);
  return model;
}

/** Scalar fields, then array fields, in the order of `types.ts`. */
const HEAD = ["version", "builtAt", "snapshotRunId", "org", "site"] as const;
const ARRAYS = ["accounts", "identities", "groups", "resources", "access", "dormant", "conditional"] as const;
const TAIL = ["correlation", "statuses", "notes"] as const;

/**
 * Streams the model as a `ModelExport` document to `out` (which it does not end). Arrays are written element by
 * element with backpressure; the text is byte-identical for the same model.
 */
export async function writeModelJson(model: Model, out: Writable): Promise<void> {
  const w = new ChunkWriter(out);
  await w.write(`{"format":${JSON.stringify(MODEL_EXPORT_FORMAT)}`);
  for (const key of HEAD) await w.write(`,${JSON.stringify(key)}:${JSON.stringify(model[key])}`);
  for (const key of ARRAYS) {
    const list: readonly unknown[] = model[key];
    await w.write(`,\n${JSON.stringify(key)}:[`);
    for (let i = 0; i < list.length; i++) {
      if (w.push(`${i === 0 ? "\n" : ",\n"}${JSON.stringify(list[i])}`)) await w.flush();
    }
    await w.write("]");
  }
  for (const key of TAIL) await w.write(`,\n${JSON.stringify(key)}:${JSON.stringify(model[key])}`);
  await w.write("}\n");
  await w.flush();
}
