/**
 * Loads and checks a connection configuration: JSON from a file or an object, `env:NAME` secrets resolved from the
 * environment, URLs normalized. Every problem is reported at once, each naming its field and never a value.
 */
import { readFile } from "node:fs/promises";
import { ConfigInput, type Product, type SiteAccess } from "./schema.js";
import { Secret } from "./secret.js";

/** A configuration that failed its checks; `issues` are `field: message` lines. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`invalid configuration in ${source}:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** The checked configuration the connectors use. */
export interface Config {
  name: string;
  products: Product[];
  /** `api-token`: the backend reads Jira/Confluence; `forge`: the Forge app's crawl delivers them. */
  siteAccess: SiteAccess;
  /** Jira/Confluence base URL (`https://acme.atlassian.net` or the simulator's site URL), or null. */
  siteUrl: string | null;
  /** Site host, used as the site's resource id (`acme.atlassian.net`). */
  siteHost: string | null;
  productUser: string | null;
  productToken: Secret | null;
  adminApiKey: Secret | null;
  orgId: string | null;
  bitbucket: { key: string; secret: Secret; workspace: string } | null;
  skipBranchProtectionDiscovery: boolean;
  lifecycle: { enabled: boolean; scimUrl: string | null; scimToken: Secret | null; scimOrgId: string | null };
  adminApiUrl: string;
  bitbucketApiUrl: string;
  bitbucketUrl: string;
  concurrency: number;
  /** Path of an IdP export file (CSV or JSON), or null. */
  idpExportFile: string | null;
}

const SECRET_FIELDS = ["adminApiKey", "productToken", "bitbucketOAuthSecret", "lifecycle.scimToken"] as const;

function getPath(obj: Record<string, unknown>, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let o: Record<string, unknown> = obj;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[keys[keys.length - 1] as string] = value;
}

/** Checks a raw configuration object; `source` names it in errors (a file path, "tenant 42", …). */
export function parseConfig(raw: unknown, source: string, env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigInput.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      source,
      parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message.replace(/, received .*$/, "")}`),
    );
  }
  const c = structuredClone(parsed.data) as Record<string, unknown>;
  const issues: string[] = [];
  const secrets = new Map<string, Secret>();
  for (const field of SECRET_FIELDS) {
    const v = getPath(c, field);
    if (typeof v !== "string") continue;
    const m = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(v);
    if (m?.[1]) {
      const value = env[m[1]];
      if (!value) issues.push(`${field}: environment variable ${m[1]} is not set`);
      else secrets.set(field, new Secret(value));
    } else if (v.startsWith("env:")) {
      issues.push(`${field}: "env:" must be followed by an environment variable name`);
    } else {
      secrets.set(field, new Secret(v));
    }
    setPath(c, field, undefined);
  }
  if (issues.length > 0) throw new ConfigError(source, issues);
  const d = parsed.data;
  const siteUrl = d.atlassianUrl
    ? (/^https?:\/\//i.test(d.atlassianUrl) ? d.atlassianUrl : `https://${d.atlassianUrl}`).replace(/\/+$/, "")
    : null;
  return {
    name: d.name,
    products: [...new Set(d.products)],
    siteAccess: d.siteAccess,
    siteUrl,
    siteHost: siteUrl ? new URL(siteUrl).host : null,
    productUser: d.productUser ?? null,
    productToken: secrets.get("productToken") ?? null,
    adminApiKey: secrets.get("adminApiKey") ?? null,
    orgId: d.orgId ?? null,
    bitbucket:
      d.bitbucketOAuthKey && d.workspace && secrets.get("bitbucketOAuthSecret")
        ? { key: d.bitbucketOAuthKey, secret: secrets.get("bitbucketOAuthSecret") as Secret, workspace: d.workspace }
        : null,
    skipBranchProtectionDiscovery: d.skipBranchProtectionDiscovery,
    lifecycle: {
      enabled: d.lifecycle?.enabled ?? false,
      scimUrl: d.lifecycle?.scimUrl?.replace(/\/+$/, "") ?? null,
      scimToken: secrets.get("lifecycle.scimToken") ?? null,
      scimOrgId: d.lifecycle?.scimOrgId ?? null,
    },
    adminApiUrl: d.adminApiUrl.replace(/\/+$/, ""),
    bitbucketApiUrl: d.bitbucketApiUrl.replace(/\/+$/, ""),
    bitbucketUrl: d.bitbucketUrl.replace(/\/+$/, ""),
    concurrency: d.concurrency,
    idpExportFile: d.idpExportFile ?? null,
  };
}

/** Reads a JSON configuration file and checks it. */
export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigError(path, [`cannot read the file (${(err as NodeJS.ErrnoException).code ?? "error"})`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    const line = m?.[1] ? text.slice(0, Number(m[1])).split("\n").length : null;
    throw new ConfigError(path, [`not valid JSON${line ? ` (line ${line})` : ""}`]);
  }
  return parseConfig(raw, path, env);
}
