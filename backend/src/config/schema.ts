/**
 * The connection configuration, mirroring the integration's documented fields (ARCHITECTURE.md "User-facing
 * contracts"). Checked with zod at load; every message names the field, never its value.
 */
import { z } from "zod";

export const PRODUCTS = ["jira", "confluence", "bitbucket"] as const;
export type Product = (typeof PRODUCTS)[number];

/**
 * Who reads Jira and Confluence: `api-token`, the backend itself with `productUser`/`productToken`; `forge`, the
 * Forge app with its own permissions (its crawl delivers the sections to `/forge/v1/crawls`), so the backend never
 * calls the site and needs no product token.
 */
export const SITE_ACCESS = ["forge", "api-token"] as const;
export type SiteAccess = (typeof SITE_ACCESS)[number];

const httpUrl = (field: string) =>
  z.string({ error: `${field} must be a URL` }).refine(
    (v) => {
      try {
        const u = new URL(v);
        return u.protocol === "https:" || u.protocol === "http:";
      } catch {
        return false;
      }
    },
    { message: `${field} must be an http(s) URL` },
  );

/** A secret field: a literal value, or `env:NAME` to read it from the environment at load. */
const secret = z.string().min(1, "must not be empty");

export const ConfigInput = z
  .strictObject({
    name: z.string().min(1, "must not be empty"),
    /** Site host (`acme.atlassian.net`) or a full URL (a simulator). */
    atlassianUrl: z.string().min(1, "must not be empty").optional(),
    adminApiKey: secret.optional(),
    orgId: z.string().min(1).optional(),
    products: z.array(z.enum(PRODUCTS)).min(1, "list at least one of jira, confluence, bitbucket"),
    siteAccess: z.enum(SITE_ACCESS).default("api-token"),
    productUser: z.string().min(1).optional(),
    productToken: secret.optional(),
    bitbucketOAuthKey: z.string().min(1).optional(),
    bitbucketOAuthSecret: secret.optional(),
    workspace: z.string().min(1).optional(),
    skipBranchProtectionDiscovery: z.boolean().default(false),
    lifecycle: z
      .strictObject({
        enabled: z.boolean().default(false),
        scimUrl: httpUrl("lifecycle.scimUrl").optional(),
        scimToken: secret.optional(),
        scimOrgId: z.string().min(1).optional(),
      })
      .optional(),
    /** Overrides of the fixed Atlassian hosts (how the simulator is reached). */
    adminApiUrl: httpUrl("adminApiUrl").default("https://api.atlassian.com"),
    bitbucketApiUrl: httpUrl("bitbucketApiUrl").default("https://api.bitbucket.org"),
    bitbucketUrl: httpUrl("bitbucketUrl").default("https://bitbucket.org"),
    /** Requests in flight per API. */
    concurrency: z.number().int().min(1).max(64).default(8),
    /** An IdP export (CSV or JSON of email/login, IdP id, status) to correlate people with, by file path. */
    idpExportFile: z.string().min(1, "must be a file path").optional(),
  })
  .superRefine((c, ctx) => {
    const need = (cond: boolean, path: string, message: string) => {
      if (!cond) ctx.addIssue({ code: "custom", path: [path], message });
    };
    // With `forge` site access the Forge app reads the site: no URL or token is needed here.
    const readsSite =
      c.siteAccess === "api-token" && (c.products.includes("jira") || c.products.includes("confluence"));
    if (readsSite) {
      need(!!c.atlassianUrl, "atlassianUrl", "is required to read Jira or Confluence");
      need(!!c.productUser, "productUser", "is required to read Jira or Confluence (the integration user's email)");
      need(!!c.productToken, "productToken", "is required to read Jira or Confluence (an API token of productUser)");
    }
    if (c.products.includes("bitbucket")) {
      need(!!c.bitbucketOAuthKey, "bitbucketOAuthKey", "is required when products include bitbucket");
      need(!!c.bitbucketOAuthSecret, "bitbucketOAuthSecret", "is required when products include bitbucket");
      need(!!c.workspace, "workspace", "is required when products include bitbucket");
    }
    if (c.adminApiKey) need(!!c.orgId, "orgId", "is required with adminApiKey");
    if (c.lifecycle?.enabled) {
      need(!!c.lifecycle.scimUrl, "lifecycle.scimUrl", "is required when lifecycle is enabled");
      need(!!c.lifecycle.scimToken, "lifecycle.scimToken", "is required when lifecycle is enabled");
      need(!!c.lifecycle.scimOrgId, "lifecycle.scimOrgId", "is required when lifecycle is enabled");
      need(!!c.adminApiKey, "adminApiKey", "is required when lifecycle is enabled");
    }
    if (c.atlassianUrl) {
      const ok = /^https?:\/\//i.test(c.atlassianUrl)
        ? URL.canParse(c.atlassianUrl)
        : /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d+)?$/i.test(c.atlassianUrl);
      need(ok, "atlassianUrl", "must be a site host such as acme.atlassian.net, or an http(s) URL");
    }
  });
export type ConfigInput = z.input<typeof ConfigInput>;
