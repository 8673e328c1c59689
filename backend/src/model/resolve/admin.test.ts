import { describe, expect, it } from "vitest";
import { buildModel } from "../build-model.js";
import { admin, adminUser, HOST, ORG_ID, onResource, paths, products, snapshot, WS } from "../testing.js";

describe("Admin access", () => {
  it("org admins that can sign in hold org-admin on the org; an inactive one's role is dormant", () => {
    const m = buildModel(
      snapshot({
        admin: admin({
          users: [adminUser("a"), adminUser("old", { accountStatus: "inactive", status: "deactivated" })],
          orgAdmins: ["a", "old"],
        }),
      }),
    );
    expect(onResource(m, "org", ORG_ID)).toEqual(["a:org-admin"]);
    expect(onResource(m, "org", ORG_ID, true)).toEqual(["old:org-admin"]);
    expect(paths(m.access, "a", "org", ORG_ID, "org-admin")).toEqual(["organization admin role"]);
  });

  it("product access → the product key on the site or the Bitbucket workspace, for active, unsuspended accounts", () => {
    const m = buildModel(
      snapshot({
        admin: admin({
          users: [
            adminUser("a", { productAccess: products("jira-software", "confluence", "bitbucket", "statuspage") }),
            adminUser("s", {
              membershipStatus: "suspended",
              status: "suspended",
              productAccess: products("confluence"),
            }),
            adminUser("closed", {
              accountStatus: "closed",
              status: "deactivated",
              productAccess: products("bitbucket"),
            }),
          ],
        }),
      }),
    );
    expect(onResource(m, "site", HOST)).toEqual(["a:confluence", "a:jira-software"]);
    expect(onResource(m, "bitbucket_workspace", WS)).toEqual(["a:bitbucket"]);
    expect(onResource(m, "site", HOST, true)).toEqual(["s:confluence"]);
    expect(onResource(m, "bitbucket_workspace", WS, true)).toEqual(["closed:bitbucket"]);
    expect(paths(m.access, "a", "site", HOST, "jira-software")).toEqual(["Admin product access"]);
    expect(m.access.every((e) => e.product === "admin")).toBe(true);
  });

  it("the site is named by the Admin API when the configured host is a proxy or simulator", () => {
    const m = buildModel(
      snapshot({
        site: "sim.test",
        jira: null,
        admin: admin({ users: [adminUser("a", { productAccess: products("confluence") })] }),
      }),
    );
    expect(m.site).toBe(HOST);
    expect(onResource(m, "site", HOST)).toEqual(["a:confluence"]);
  });
});
