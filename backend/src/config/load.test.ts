import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfigFile, parseConfig } from "./load.js";

const base = {
  name: "acme",
  atlassianUrl: "acme.atlassian.net",
  products: ["jira", "confluence"],
  productUser: "integration@acme.example",
  productToken: "env:ACME_TOKEN",
  adminApiKey: "literal-admin-key",
  orgId: "org-1",
};

function issues(raw: unknown, env: NodeJS.ProcessEnv = { ACME_TOKEN: "t0k3n" }): string[] {
  try {
    parseConfig(raw, "test.json", env);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
}

describe("configuration", () => {
  it("loads, resolves env: secrets and normalizes the site URL", () => {
    const c = parseConfig(base, "test.json", { ACME_TOKEN: "t0k3n" });
    expect(c.siteUrl).toBe("https://acme.atlassian.net");
    expect(c.siteHost).toBe("acme.atlassian.net");
    expect(c.productToken?.reveal()).toBe("t0k3n");
    expect(c.adminApiUrl).toBe("https://api.atlassian.com");
  });

  it("never shows a secret when printed, serialized or inspected", () => {
    const c = parseConfig(base, "test.json", { ACME_TOKEN: "t0k3n" });
    const dumps = [JSON.stringify(c), inspect(c, { depth: 9 }), String(c.adminApiKey), `${c.productToken}`];
    for (const d of dumps) {
      expect(d).not.toContain("t0k3n");
      expect(d).not.toContain("literal-admin-key");
    }
  });

  it.each([
    [{ ...base, products: ["bitbucket"] }, ["bitbucketOAuthKey", "bitbucketOAuthSecret", "workspace"]],
    [{ ...base, atlassianUrl: "not a host!" }, ["atlassianUrl"]],
    [{ ...base, productToken: "env:MISSING_VAR" }, ["productToken: environment variable MISSING_VAR is not set"]],
    [{ ...base, adminApiUrl: "ftp://x" }, ["adminApiUrl"]],
    [{ ...base, products: [] }, ["products"]],
    [{ ...base, productUser: undefined }, ["productUser"]],
    [{ ...base, adminApiKey: "k", orgId: undefined }, ["orgId"]],
    [{ ...base, lifecycle: { enabled: true } }, ["lifecycle.scimUrl", "lifecycle.scimToken", "lifecycle.scimOrgId"]],
    [{ ...base, surprise: 1 }, ["(root)"]],
    [{ ...base, products: ["jira", "trello"] }, ["products.1"]],
  ])("names the field: %j", (raw, fields) => {
    const found = issues(raw, { ACME_TOKEN: "t0k3n" });
    for (const f of fields) expect(found.join("\n")).toContain(f);
  });

  it("reads Jira and Confluence without a product token when the Forge app reads them (siteAccess forge)", () => {
    const forge = { name: "acme", products: ["jira", "confluence"], siteAccess: "forge" };
    const c = parseConfig(forge, "test.json", {});
    expect(c.siteAccess).toBe("forge");
    expect(c.productToken).toBeNull();
    expect(parseConfig(base, "test.json", { ACME_TOKEN: "t0k3n" }).siteAccess).toBe("api-token");
    expect(issues({ ...forge, siteAccess: "api-token" })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^atlassianUrl: /),
        expect.stringMatching(/^productUser: /),
        expect.stringMatching(/^productToken: /),
      ]),
    );
    expect(issues({ ...forge, siteAccess: "oauth" }).join()).toContain("siteAccess");
  });

  it("never echoes a value in an error", () => {
    const found = issues({ ...base, orgId: 42, productToken: "super-secret-value" });
    expect(found.join()).not.toContain("super-secret-value");
  });

  it("reports a file that is missing or not JSON, with the line", async () => {
    const dir = await mkdtemp(join(tmpdir(), "accessmap-config-"));
    const bad = join(dir, "bad.json");
    await writeFile(bad, '{\n  "name": "x",\n  oops\n}');
    await expect(loadConfigFile(bad)).rejects.toThrow(/not valid JSON \(line 3\)/);
    await expect(loadConfigFile(join(dir, "missing.json"))).rejects.toThrow(/cannot read the file \(ENOENT\)/);
  });
});
