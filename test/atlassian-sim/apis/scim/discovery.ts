/**
 * SCIM discovery endpoints (RFC 7644 §4, RFC 7643 §5–7): `/ServiceProviderConfig`, `/ResourceTypes[/{name}]` and
 * `/Schemas[/{id}]`. What they advertise is what this simulator does, as reference §2.3 describes Atlassian:
 * PATCH supported, filter supported (max 100 results), no bulk, no sort, no ETags, no password change.
 * The published spec types these bodies as plain strings; they are JSON objects as RFC 7644 §4 requires.
 */
import type { Context, Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import {
  ATLASSIAN_EXTERNAL,
  CORE_GROUP,
  CORE_USER,
  directoryBase,
  ENTERPRISE_USER,
  LIST_RESPONSE,
  MAX_COUNT,
  ScimProblem,
  scimJson,
} from "./common.js";

const BASE = "/scim/directory/:directoryId";
export const SERVICE_PROVIDER_CONFIG = `${BASE}/ServiceProviderConfig`;
export const RESOURCE_TYPES = `${BASE}/ResourceTypes`;
export const RESOURCE_TYPE = `${RESOURCE_TYPES}/:name`;
export const SCHEMAS = `${BASE}/Schemas`;
export const SCHEMA = `${SCHEMAS}/:id`;

type Json = Record<string, unknown>;

// ------------------------------------------------------------ schema definitions (RFC 7643 §7)

interface AttrOptions {
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: "readOnly" | "readWrite" | "immutable" | "writeOnly";
  returned?: "always" | "never" | "default" | "request";
  uniqueness?: "none" | "server" | "global";
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: Json[];
}

/** One attribute definition, with RFC 7643 §2.2 defaults for the characteristics not given. */
function attr(name: string, type: string, description: string, o: AttrOptions = {}): Json {
  return {
    name,
    type,
    ...(o.subAttributes ? { subAttributes: o.subAttributes } : {}),
    multiValued: o.multiValued ?? false,
    description,
    required: o.required ?? false,
    ...(o.canonicalValues ? { canonicalValues: o.canonicalValues } : {}),
    caseExact: o.caseExact ?? false,
    mutability: o.mutability ?? "readWrite",
    returned: o.returned ?? "default",
    uniqueness: o.uniqueness ?? "none",
    ...(o.referenceTypes ? { referenceTypes: o.referenceTypes } : {}),
  };
}

const str = (name: string, description: string, o: AttrOptions = {}) => attr(name, "string", description, o);

/** A multi-valued `{value, type, primary}` attribute such as `emails`. */
function typedValues(name: string, description: string, types: string[], o: AttrOptions = {}): Json {
  return attr(name, "complex", description, {
    ...o,
    multiValued: true,
    subAttributes: [
      str("value", `The ${name} value.`),
      str("type", `The kind of ${name} value.`, { canonicalValues: types }),
      attr("primary", "boolean", "Whether this is the primary value."),
    ],
  });
}

const SCHEMA_DEFINITIONS: ReadonlyArray<{ id: string; name: string; description: string; attributes: Json[] }> = [
  {
    id: CORE_USER,
    name: "User",
    description: "User Account",
    attributes: [
      str("userName", "Unique identifier of the user, chosen by the provisioning client.", {
        required: true,
        uniqueness: "server",
      }),
      attr("name", "complex", "The components of the user's name.", {
        subAttributes: [
          str("formatted", "The full name, formatted for display."),
          str("familyName", "The family name of the user."),
          str("givenName", "The given name of the user."),
          str("middleName", "The middle name(s) of the user."),
          str("honorificPrefix", "The honorific prefix(es) of the user."),
          str("honorificSuffix", "The honorific suffix(es) of the user."),
        ],
      }),
      str("displayName", "The name of the user, suitable for display."),
      str("nickName", "The casual way to address the user."),
      str("title", "The user's title."),
      str("preferredLanguage", "The user's preferred language."),
      str("timezone", "The user's time zone, e.g. America/Los_Angeles."),
      attr("active", "boolean", "The user's administrative status; false deactivates the Atlassian account."),
      typedValues("emails", "Email addresses of the user; one must be primary.", ["work", "home", "other"], {
        required: true,
      }),
      typedValues("phoneNumbers", "Phone numbers of the user.", ["work", "home", "mobile", "fax", "pager", "other"]),
      attr("groups", "complex", "The groups the user belongs to.", {
        multiValued: true,
        mutability: "readOnly",
        subAttributes: [
          str("value", "The id of the group.", { mutability: "readOnly" }),
          attr("$ref", "reference", "The URI of the group.", { mutability: "readOnly", referenceTypes: ["Group"] }),
          str("display", "The group's display name.", { mutability: "readOnly" }),
          str("type", "How the user is a member.", { mutability: "readOnly", canonicalValues: ["direct", "indirect"] }),
        ],
      }),
    ],
  },
  {
    id: CORE_GROUP,
    name: "Group",
    description: "Group",
    attributes: [
      str("displayName", "The group's name; it cannot be changed once synced.", { required: true }),
      attr("members", "complex", "The members of the group.", {
        multiValued: true,
        subAttributes: [
          str("value", "The id of the member user.", { mutability: "immutable" }),
          attr("$ref", "reference", "The URI of the member.", { mutability: "immutable", referenceTypes: ["User"] }),
          str("display", "The member's display name.", { mutability: "readOnly" }),
          str("type", "The kind of member.", { mutability: "immutable", canonicalValues: ["User"] }),
        ],
      }),
    ],
  },
  {
    id: ENTERPRISE_USER,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: [
      str("organization", "The organization the user belongs to."),
      str("department", "The department the user belongs to."),
    ],
  },
  {
    id: ATLASSIAN_EXTERNAL,
    name: "AtlassianExternalUser",
    description: "Atlassian user extension",
    attributes: [
      str("atlassianAccountId", "The id of the Atlassian account linked to the user.", {
        caseExact: true,
        mutability: "readOnly",
      }),
    ],
  },
];

function schemaResource(base: string, def: (typeof SCHEMA_DEFINITIONS)[number]): Json {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
    ...def,
    meta: { resourceType: "Schema", location: `${base}/Schemas/${def.id}` },
  };
}

// ------------------------------------------------------------ resource types (RFC 7643 §6)

const RESOURCE_TYPE_DEFINITIONS = [
  {
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: CORE_USER,
    schemaExtensions: [
      { schema: ENTERPRISE_USER, required: false },
      { schema: ATLASSIAN_EXTERNAL, required: false },
    ],
  },
  { id: "Group", name: "Group", endpoint: "/Groups", description: "Group", schema: CORE_GROUP, schemaExtensions: [] },
] as const;

function resourceTypeResource(base: string, def: (typeof RESOURCE_TYPE_DEFINITIONS)[number]): Json {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
    ...def,
    meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/${def.id}` },
  };
}

/** A ListResponse of every item: these endpoints do not page (RFC 7644 §4). */
function listOf(c: Context<SimEnv>, items: Json[]): Response {
  return scimJson(c, {
    schemas: [LIST_RESPONSE],
    totalResults: items.length,
    startIndex: 1,
    itemsPerPage: items.length,
    Resources: items,
  });
}

/** Registers the discovery routes. */
export function registerDiscovery(app: Hono<SimEnv>): void {
  app.get(SERVICE_PROVIDER_CONFIG, (c) => {
    const base = directoryBase(c);
    return scimJson(c, {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
      documentationUri: "https://developer.atlassian.com/cloud/admin/user-provisioning/rest/",
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: MAX_COUNT },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: false },
      authenticationSchemes: [
        {
          type: "oauthbearertoken",
          name: "OAuth Bearer Token",
          description: "The directory's API key, sent as a Bearer token",
          specUri: "https://www.rfc-editor.org/info/rfc6750",
          documentationUri: "https://support.atlassian.com/provisioning-users/docs/understand-user-provisioning/",
          primary: true,
        },
      ],
      meta: { resourceType: "ServiceProviderConfig", location: `${base}/ServiceProviderConfig` },
    });
  });

  app.get(RESOURCE_TYPES, (c) => {
    const base = directoryBase(c);
    return listOf(
      c,
      RESOURCE_TYPE_DEFINITIONS.map((d) => resourceTypeResource(base, d)),
    );
  });

  app.get(RESOURCE_TYPE, (c) => {
    const name = c.req.param("name");
    const def = RESOURCE_TYPE_DEFINITIONS.find((d) => d.id === name);
    if (!def) throw new ScimProblem(404, undefined, `Resource type ${name} does not exist`);
    return scimJson(c, resourceTypeResource(directoryBase(c), def));
  });

  app.get(SCHEMAS, (c) => {
    const base = directoryBase(c);
    return listOf(
      c,
      SCHEMA_DEFINITIONS.map((d) => schemaResource(base, d)),
    );
  });

  app.get(SCHEMA, (c) => {
    const id = c.req.param("id");
    const def = SCHEMA_DEFINITIONS.find((d) => d.id.toLowerCase() === id.toLowerCase());
    if (!def) throw new ScimProblem(404, undefined, `Schema ${id} does not exist`);
    return scimJson(c, schemaResource(directoryBase(c), def));
  });
}
