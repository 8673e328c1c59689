import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import {
  bitbucketPage,
  clampPageSize,
  confluenceCursorPage,
  cursorPage,
  decodeCursor,
  encodeCursor,
  jiraPageBean,
  scimListResponse,
} from "./pagination.js";

const items = Array.from({ length: 23 }, (_, i) => i);

describe("page-size clamping", () => {
  it.each([
    [undefined, 50],
    ["", 50],
    ["abc", 50],
    ["10", 10],
    ["5000", 100],
    ["0", 1],
    ["-3", 1],
    ["7.9", 7],
  ] as const)("%s → %s", (raw, want) => {
    expect(clampPageSize(raw, 50, 100)).toBe(want);
  });
});

describe("cursors", () => {
  it("round-trips and refuses a cursor from another listing", () => {
    const c = encodeCursor("users", 40);
    expect(decodeCursor("users", c)).toBe(40);
    expect(decodeCursor("groups", c)).toBeNull();
    expect(decodeCursor("users", "not-a-cursor")).toBeNull();
    expect(decodeCursor("users", undefined)).toBe(0);
  });

  it("walks every item once and ends without a next cursor", () => {
    const seen: number[] = [];
    let offset: number | null = 0;
    for (let guard = 0; offset !== null && guard < 10; guard++) {
      const page: { values: number[]; next: string | undefined } = cursorPage(items, "t", offset, 10);
      seen.push(...page.values);
      offset = page.next ? decodeCursor("t", page.next) : null;
    }
    expect(seen).toEqual(items);
  });
});

describe("page envelopes", () => {
  const app = new Hono();
  app.get("/jira", (c) => c.json(jiraPageBean(c, items, Number(c.req.query("startAt") ?? 0), 10)));
  app.get("/wiki/api/v2/things", (c) => c.json(confluenceCursorPage(c, items, "things", 10)));
  app.get("/bb", (c) => c.json(bitbucketPage(c, items)));

  it("Jira PageBean reports isLast and nextPage", async () => {
    const first = (await (await app.request("http://x/jira")).json()) as Record<string, unknown>;
    expect(first).toMatchObject({ startAt: 0, maxResults: 10, total: 23, isLast: false });
    expect(String(first.nextPage)).toContain("startAt=10");
    const last = (await (await app.request("http://x/jira?startAt=20")).json()) as Record<string, unknown>;
    expect(last).toMatchObject({ isLast: true, values: [20, 21, 22] });
    expect(last.nextPage).toBeUndefined();
  });

  it("Confluence announces the next page in both the Link header and _links.next", async () => {
    const res = await app.request("http://x/site/wiki/api/v2/things?limit=10".replace("/site", ""));
    const body = (await res.json()) as { results: number[]; _links: { next?: string } };
    expect(body.results).toHaveLength(10);
    expect(body._links.next).toMatch(/^\/wiki\/api\/v2\/things\?/);
    expect(res.headers.get("link")).toContain(`<${body._links.next}>; rel="next"`);
  });

  it("Bitbucket clamps pagelen to [10, 100] and links the next page absolutely", async () => {
    const body = (await (await app.request("http://x/bb?pagelen=2")).json()) as Record<string, unknown>;
    expect(body.pagelen).toBe(10);
    expect(String(body.next)).toMatch(/^http:\/\/x\/bb\?.*page=2/);
  });

  it("SCIM ListResponse is 1-based and caps count", () => {
    const list = scimListResponse(items, "21", "500", 100);
    expect(list).toMatchObject({ totalResults: 23, startIndex: 21, itemsPerPage: 3, Resources: [20, 21, 22] });
    expect(scimListResponse(items, "0", "5", 100).startIndex).toBe(1);
  });
});
