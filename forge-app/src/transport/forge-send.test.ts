import { FORGE_PRODUCT_BASE, routeFor } from "@accessmap/forge-app/transport/forge-send";
import { describe, expect, it } from "vitest";

const jira = FORGE_PRODUCT_BASE.jira;

describe("routeFor", () => {
  it("strips the product base and keeps the path and query as the Transport encoded them", () => {
    expect(routeFor(`${jira}/rest/api/3/group/member?groupId=a%20b%2Fc&includeInactiveUsers=true`, jira).value).toBe(
      "/rest/api/3/group/member?groupId=a+b%2Fc&includeInactiveUsers=true",
    );
    expect(routeFor(`${jira}/wiki/rest/api/group/g%2F1/membersByGroupId`, jira).value).toBe(
      "/wiki/rest/api/group/g%2F1/membersByGroupId",
    );
    expect(routeFor(`${jira}/rest/api/3/applicationrole`, jira).value).toBe("/rest/api/3/applicationrole");
  });

  it("refuses other origins and resolves dot segments", () => {
    expect(() => routeFor("https://evil.example/rest/api/3/users/search", jira)).toThrow(/outside the product base/);
    // Dot segments (even encoded) are resolved by URL parsing before the route is built: never above the root.
    expect(routeFor(`${jira}/rest/%2e%2e/%2E%2E/x`, jira).value).toBe("/x");
  });
});
