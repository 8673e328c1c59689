import { describe, expect, it } from "vitest";
import type { Config } from "../../config/load.js";
import { Secret } from "../../config/secret.js";
import { LifecycleError } from "../types.js";
import { buildLifecycleClients, missingLifecycleConfig } from "./build.js";

const base: Config = {
  name: "acme",
  products: ["bitbucket"],
  siteAccess: "api-token",
  siteUrl: null,
  siteHost: null,
  productUser: null,
  productToken: null,
  adminApiKey: new Secret("admin-key"),
  orgId: "org-1",
  bitbucket: null,
  skipBranchProtectionDiscovery: false,
  lifecycle: {
    enabled: true,
    scimUrl: "https://api.atlassian.com/scim/directory/dir-1",
    scimToken: new Secret("scim-key"),
    scimOrgId: "dir-1",
  },
  adminApiUrl: "https://api.atlassian.com",
  bitbucketApiUrl: "https://api.bitbucket.org",
  bitbucketUrl: "https://bitbucket.org",
  concurrency: 4,
  idpExportFile: null,
};

const send = async () => ({ status: 200, headers: { get: () => null }, text: async () => "{}" });

describe("buildLifecycleClients", () => {
  it("needs the SCIM URL, token and org id, the Admin key and the org id — not productUser or productToken", () => {
    expect(missingLifecycleConfig(base)).toEqual([]);
    const clients = buildLifecycleClients(base, { send, schemaMode: "throw" });
    expect(clients.admin.ids).toEqual({ orgId: "org-1", directoryId: "dir-1" });
    expect(clients.scim.transport.product).toBe("scim");
  });

  it("names every missing field, never a value", () => {
    const bare: Config = {
      ...base,
      adminApiKey: null,
      orgId: null,
      lifecycle: { enabled: false, scimUrl: null, scimToken: null, scimOrgId: null },
    };
    expect(missingLifecycleConfig(bare)).toEqual([
      "lifecycle.scimUrl",
      "lifecycle.scimToken",
      "lifecycle.scimOrgId",
      "adminApiKey",
      "orgId",
    ]);
    expect(() => buildLifecycleClients(bare, { send, schemaMode: "throw" })).toThrow(LifecycleError);
  });

  it("refuses a SCIM URL that names no directory", () => {
    const noDir = { ...base, lifecycle: { ...base.lifecycle, scimUrl: "https://api.atlassian.com/scim" } };
    expect(() => buildLifecycleClients(noDir, { send, schemaMode: "throw" })).toThrow(/names no directory/);
  });

  it("sends writes: its transports are read-write, unlike discovery's", async () => {
    const seen: string[] = [];
    const clients = buildLifecycleClients(base, {
      schemaMode: "throw",
      send: async (req) => {
        seen.push(`${req.method} ${new URL(req.url).pathname} ${req.headers.authorization}`);
        return { status: 204, headers: { get: () => null }, text: async () => "" };
      },
    });
    await clients.scim.deleteUser("u1");
    await clients.admin.suspend("712020:a");
    expect(seen).toEqual([
      "DELETE /scim/directory/dir-1/Users/u1 Bearer scim-key",
      "POST /admin/v2/orgs/org-1/directories/dir-1/users/712020%3Aa/suspend Bearer admin-key",
    ]);
  });
});
