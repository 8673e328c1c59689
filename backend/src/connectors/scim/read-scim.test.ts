import { AccessmapError, NotFoundError } from "@accessmap/shared/transport/errors";
import { reply, scriptedSend, testTransport } from "@accessmap/shared/transport/test-kit";
import type { RawRequest, RawResponse } from "@accessmap/shared/transport/transport";
import { describe, expect, it } from "vitest";
import { minimumScimCalls, readScim } from "./read-scim.js";
import { ATLASSIAN_EXTENSION } from "./schemas.js";

const BASE = "https://api.atlassian.com/scim/directory/dir-1";

const user = (i: number) => ({
  id: `s${i}`,
  userName: `u${i}@acme.io`,
  emails: [{ value: `u${i}@acme.io`, primary: true }],
  active: true,
  [ATLASSIAN_EXTENSION]: { atlassianAccountId: `acc-${i}` },
});

/** A SCIM list of `total` items served from `startIndex`/`count`. */
function list(req: RawRequest, total: number, item: (i: number) => unknown, maxCount = 100): RawResponse {
  const q = new URL(req.url).searchParams;
  const start = Number(q.get("startIndex"));
  const count = Math.min(Number(q.get("count")), maxCount);
  const end = Math.min(total, start - 1 + count);
  const Resources = Array.from({ length: Math.max(0, end - start + 1) }, (_, k) => item(start + k));
  return reply(200, {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
    totalResults: total,
    startIndex: start,
    itemsPerPage: Resources.length,
    Resources,
  });
}

function routed(routes: Record<string, (req: RawRequest) => RawResponse>) {
  return scriptedSend([
    (req) => {
      const path = new URL(req.url).pathname;
      const name = path.slice(path.lastIndexOf("/"));
      return routes[name]?.(req) ?? reply(404, { detail: "unrouted" });
    },
  ]);
}

const transportFor = (send: ReturnType<typeof routed>, baseUrl = BASE) =>
  testTransport(send, undefined, { product: "scim", baseUrl }).transport;

describe("readScim", () => {
  it("pages users and groups at count 100 and takes the directory id from the base URL", async () => {
    const send = routed({
      "/Users": (req) => list(req, 150, user),
      "/Groups": (req) =>
        list(req, 2, (i) => ({
          id: `g${i}`,
          displayName: `G${i}`,
          members: [{ value: "s1" }, { value: `s${i + 1}` }],
        })),
    });
    const r = await readScim({ transport: transportFor(send) });
    expect(r.reasons).toEqual([]);
    expect(r.counts).toEqual({ users: 150, groups: 2 });
    expect(r.section.directoryId).toBe("dir-1");
    expect(r.section.users[0]).toEqual({
      scimId: "s1",
      externalId: null,
      userName: "u1@acme.io",
      displayName: null,
      email: "u1@acme.io",
      active: true,
      accountId: "acc-1",
    });
    expect(r.section.groups[1]).toEqual({ scimId: "g2", displayName: "G2", memberScimIds: ["s1", "s3"] });
    const urls = send.requests.map((q) => new URL(q.url));
    expect(urls.map((u) => `${u.pathname}?${u.searchParams}`).sort()).toEqual([
      "/scim/directory/dir-1/Groups?startIndex=1&count=100",
      "/scim/directory/dir-1/Users?startIndex=1&count=100",
      "/scim/directory/dir-1/Users?startIndex=101&count=100",
    ]);
    expect(send.requests).toHaveLength(minimumScimCalls({ users: 150, groups: 2 }));
  });

  it("S6: advances by what the server returned when it sends fewer than asked", async () => {
    const send = routed({
      "/Users": (req) => list(req, 120, user, 50),
      "/Groups": (req) => list(req, 0, () => ({})),
    });
    const r = await readScim({ transport: transportFor(send) });
    expect(r.section.users.map((u) => u.scimId)).toEqual(Array.from({ length: 120 }, (_, i) => `s${i + 1}`));
    expect(r.reasons).toEqual([]);
  });

  it("S6: reports a directory whose total changed mid-walk as partial", async () => {
    let calls = 0;
    const send = routed({
      "/Users": (req) => list(req, calls++ === 0 ? 150 : 149, user),
      "/Groups": (req) => list(req, 0, () => ({})),
    });
    const r = await readScim({ transport: transportFor(send) });
    expect(r.reasons).toEqual([expect.stringMatching(/^users: the SCIM directory's paging was inconsistent/)]);
  });

  it("a refused /Users fails the read: a wrong directory never reads as an empty one", async () => {
    const send = routed({
      "/Users": () => reply(404, { detail: "Directory dir-1 does not exist" }),
      "/Groups": (req) => list(req, 0, () => ({})),
    });
    await expect(readScim({ transport: transportFor(send) })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("a 403 on groups keeps the users and says what to do", async () => {
    const send = routed({
      "/Users": (req) => list(req, 3, user),
      "/Groups": () => reply(403, { error: "forbidden", traceId: "t" }),
    });
    const r = await readScim({ transport: transportFor(send) });
    expect(r.section.users).toHaveLength(3);
    expect(r.section.groups).toEqual([]);
    expect(r.reasons).toEqual([expect.stringMatching(/^groups: the SCIM API answered 403 Forbidden.*scimToken/)]);
  });

  it("takes the directory id from opts, and refuses a URL that names no directory", async () => {
    const send = routed({ "/Users": (req) => list(req, 0, user), "/Groups": (req) => list(req, 0, () => ({})) });
    const r = await readScim({ transport: transportFor(send, "https://proxy.example/scim") }, { directoryId: "dir-9" });
    expect(r.section.directoryId).toBe("dir-9");
    await expect(readScim({ transport: transportFor(send, "https://proxy.example/scim") })).rejects.toBeInstanceOf(
      AccessmapError,
    );
  });
});

describe("minimumScimCalls", () => {
  it("is one call per 100 of each, at least one per listing", () => {
    expect(minimumScimCalls({ users: 0, groups: 0 })).toBe(2);
    expect(minimumScimCalls({ users: 100, groups: 1 })).toBe(2);
    expect(minimumScimCalls({ users: 1534, groups: 48 })).toBe(17);
    expect(minimumScimCalls({ users: 101, groups: 101 }, 50)).toBe(6);
  });
});
