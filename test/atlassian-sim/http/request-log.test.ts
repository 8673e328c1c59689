import { describe, expect, it } from "vitest";
import { isWrite, RequestLog } from "./request-log.js";

describe("request log", () => {
  it("counts per api, method, route and status, and tells writes from reads", () => {
    const log = new RequestLog(2);
    log.record({ api: "jira", method: "GET", route: "/rest/api/3/users/search", url: "/a", status: 200, bytes: 10 });
    log.record({ api: "jira", method: "GET", route: "/rest/api/3/users/search", url: "/b", status: 200, bytes: 5 });
    log.record({ api: "jira", method: "POST", route: "/rest/api/3/group/user", url: "/c", status: 201, bytes: 1 });
    expect(log.total()).toBe(3);
    expect(log.total("admin")).toBe(0);
    expect(log.counts()[1]).toMatchObject({ route: "/rest/api/3/users/search", count: 2, bytes: 15 });
    expect(log.writeCount()).toBe(1);
    expect(log.entries()).toHaveLength(2);
    expect(log.writes().map((w) => w.url)).toEqual(["/c"]);
  });

  it("treats the documented search POSTs as reads", () => {
    expect(isWrite("admin", "POST", "/admin/v2/orgs/:orgId/directories/:directoryId/users/search")).toBe(false);
    expect(isWrite("confluence", "POST", "/wiki/api/v2/users-bulk")).toBe(false);
    expect(isWrite("admin", "POST", "/admin/v2/orgs/:orgId/directories/:directoryId/groups")).toBe(true);
    expect(isWrite("scim", "PATCH", "/scim/directory/:directoryId/Users/:userId")).toBe(true);
  });
});
