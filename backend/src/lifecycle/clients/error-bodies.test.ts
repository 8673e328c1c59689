import { describe, expect, it } from "vitest";
import { ErrorBodyTap, parseErrorBody } from "./error-bodies.js";

describe("parseErrorBody", () => {
  it("reads SCIM errors whatever the type of status (S2)", () => {
    expect(
      parseErrorBody(
        '{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"exists"}',
      ),
    ).toEqual({
      status: 409,
      scimType: "uniqueness",
      code: null,
      detail: "exists",
    });
    expect(parseErrorBody('{"status":409,"detail":"exists"}')).toMatchObject({ status: 409, scimType: null });
    expect(parseErrorBody('{"status":"conflict"}').status).toBeNull();
  });

  it("reads Admin and user-management error codes", () => {
    expect(
      parseErrorBody(
        '{"errors":[{"id":"1","status":"403","code":"ADMIN-UAM-403-1","title":"Forbidden","detail":"synced"}]}',
      ),
    ).toEqual({
      status: 403,
      scimType: null,
      code: "ADMIN-UAM-403-1",
      detail: "synced",
    });
    expect(parseErrorBody('{"key":"forbidden.action","context":{}}').code).toBe("forbidden.action");
  });

  it("a body that is not JSON gives nulls, and the raw text stays out of enumeration and JSON", () => {
    const b = parseErrorBody("<html>Bad gateway</html>");
    expect(b).toEqual({ status: null, scimType: null, code: null, detail: null });
    expect(b.raw).toBe("<html>Bad gateway</html>");
    expect(JSON.stringify(b)).not.toContain("html");
  });
});

describe("ErrorBodyTap", () => {
  it("keeps the error body of tagged requests, passes the body on unchanged, and forgets it once taken", async () => {
    const tap = new ErrorBodyTap(2);
    const send = tap.wrap(async (req) => ({
      status: req.url.endsWith("/ok") ? 200 : 409,
      headers: { get: () => null },
      text: async () => '{"status":"409","scimType":"uniqueness"}',
    }));
    const res = await send({ method: "POST", url: "https://x/Users", headers: { "x-request-id": "r1" } });
    expect(await res.text()).toBe('{"status":"409","scimType":"uniqueness"}');
    await send({ method: "GET", url: "https://x/ok", headers: { "x-request-id": "r2" } });
    await send({ method: "POST", url: "https://x/Users", headers: {} });
    expect(tap.take("r2")).toBeNull();
    expect(tap.take("r1")?.scimType).toBe("uniqueness");
    expect(tap.take("r1")).toBeNull();
  });

  it("is bounded: the oldest bodies go first", async () => {
    const tap = new ErrorBodyTap(2);
    const send = tap.wrap(async () => ({ status: 500, headers: { get: () => null }, text: async () => "{}" }));
    for (const id of ["a", "b", "c"])
      await send({ method: "POST", url: "https://x/", headers: { "x-request-id": id } });
    expect(tap.take("a")).toBeNull();
    expect(tap.take("b")).not.toBeNull();
    expect(tap.take("c")).not.toBeNull();
  });
});
