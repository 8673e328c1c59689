import {
  adminCursorPages,
  bitbucketPages,
  collect,
  confluenceCursorPages,
  confluenceV1Pages,
  jiraArrayPages,
  jiraPageBeanPages,
  linkNext,
  scimPages,
} from "@accessmap/shared/pagination/drivers";
import { newStats } from "@accessmap/shared/pagination/guards";
import { PaginationError } from "@accessmap/shared/transport/errors";
import { reply, scriptedSend, testTransport } from "@accessmap/shared/transport/test-kit";
import { describe, expect, it } from "vitest";
import { z } from "zod";

const item = z.object({ id: z.string() });
const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ id: String(from + i) }));

describe("pagination drivers", () => {
  it("Admin: follows links.next cursors and catches an unchanged cursor (D16)", async () => {
    const ok = scriptedSend([
      reply(200, { data: ids(2), links: { next: "c1" } }),
      reply(200, { data: [], links: { next: "c2" } }),
      reply(200, { data: ids(1, 2), links: {} }),
    ]);
    const schema = z.object({ data: z.array(item), links: z.object({ next: z.string().optional() }) });
    const t = testTransport(ok).transport;
    const all = await collect(adminCursorPages({ transport: t, path: "/v2/x", schema, endpoint: "users" }));
    expect(all.map((i) => i.id)).toEqual(["0", "1", "2"]);
    expect(ok.requests[1]?.url).toContain("cursor=c1");

    const stuck = scriptedSend([
      reply(200, { data: ids(1), links: { next: "same" } }),
      reply(200, { data: ids(1, 1), links: { next: "same" } }),
    ]);
    await expect(
      collect(
        adminCursorPages({ transport: testTransport(stuck).transport, path: "/v2/x", schema, endpoint: "users" }),
      ),
    ).rejects.toBeInstanceOf(PaginationError);
  });

  it("D17: an empty page with a continuation still continues", async () => {
    const send = scriptedSend([
      reply(200, { results: [], _links: { next: "/wiki/api/v2/spaces?cursor=a" } }),
      reply(200, { results: ids(2) }),
    ]);
    const schema = z.object({ results: z.array(item), _links: z.object({ next: z.string().optional() }).optional() });
    const all = await collect(
      confluenceCursorPages({
        transport: testTransport(send).transport,
        path: "/wiki/api/v2/spaces",
        schema,
        endpoint: "spaces",
      }),
    );
    expect(all).toHaveLength(2);
    expect(send.requests[1]?.url).toBe("https://acme.atlassian.net/wiki/api/v2/spaces?cursor=a");
  });

  it("Confluence: falls back to the Link header", async () => {
    expect(linkNext('</wiki/api/v2/spaces?cursor=b>; rel="next", </wiki>; rel="base"')).toBe(
      "/wiki/api/v2/spaces?cursor=b",
    );
    expect(linkNext(null)).toBeNull();
  });

  it("Confluence v1: follows _links.next relative to the /wiki context, whatever limit the server kept", async () => {
    const send = scriptedSend([
      reply(200, { results: ids(2), _links: { context: "/wiki", next: "/rest/api/group?start=2&limit=2" } }),
      reply(200, { results: ids(1, 2), _links: { context: "/wiki" } }),
    ]);
    const schema = z.object({
      results: z.array(item),
      _links: z.object({ next: z.string().optional(), context: z.string().optional() }),
    });
    const all = await collect(
      confluenceV1Pages({
        transport: testTransport(send).transport,
        path: "/wiki/rest/api/group",
        schema,
        endpoint: "groups",
        pageSize: 200,
      }),
    );
    expect(all.map((i) => i.id)).toEqual(["0", "1", "2"]);
    expect(send.requests[0]?.url).toBe("https://acme.atlassian.net/wiki/rest/api/group?start=0&limit=200");
    expect(send.requests[1]?.url).toBe("https://acme.atlassian.net/wiki/rest/api/group?start=2&limit=2");
  });

  it("H14: Jira PageBean follows the server's clamped maxResults", async () => {
    const send = scriptedSend([
      reply(200, { values: ids(100), startAt: 0, maxResults: 100, isLast: false }),
      reply(200, { values: ids(50, 100), startAt: 100, maxResults: 100, isLast: true }),
    ]);
    const schema = z.object({
      values: z.array(item),
      startAt: z.number(),
      maxResults: z.number(),
      isLast: z.boolean(),
    });
    const all = await collect(
      jiraPageBeanPages({
        transport: testTransport(send).transport,
        path: "/p",
        schema,
        endpoint: "projects",
        pageSize: 1000,
      }),
    );
    expect(all).toHaveLength(150);
    expect(send.requests[1]?.url).toContain("startAt=100");
  });

  it("Jira bare arrays: a silently clamped page is not mistaken for the end", async () => {
    const send = scriptedSend([reply(200, ids(100)), reply(200, ids(30, 100)), reply(200, [])]);
    const all = await collect(
      jiraArrayPages({
        transport: testTransport(send).transport,
        path: "/u",
        schema: z.array(item),
        endpoint: "users",
        pageSize: 1000,
      }),
    );
    expect(all).toHaveLength(130);
    expect(send.requests.map((r) => new URL(r.url).searchParams.get("startAt"))).toEqual(["0", "100", "130"]);
  });

  it("drops and counts duplicates across pages (D6/D8)", async () => {
    const send = scriptedSend([
      reply(200, { values: ids(3), next: "https://acme.atlassian.net/p2" }),
      reply(200, { values: ids(3, 2) }),
    ]);
    const stats = newStats();
    const schema = z.object({ values: z.array(item), next: z.string().optional() });
    const all = await collect(
      bitbucketPages({
        transport: testTransport(send).transport,
        path: "/2.0/x",
        schema,
        endpoint: "bb",
        key: (i) => i.id,
        stats,
      }),
    );
    expect(all.map((i) => i.id)).toEqual(["0", "1", "2", "3", "4"]);
    expect(stats).toMatchObject({ pages: 2, items: 5, duplicates: 1 });
  });

  it("S6: SCIM advances by what was received, ends, and flags a changing total", async () => {
    const send = scriptedSend([
      reply(200, { totalResults: 5, startIndex: 1, Resources: ids(2) }),
      reply(200, { totalResults: 6, startIndex: 3, Resources: ids(2, 2) }),
      reply(200, { totalResults: 6, startIndex: 5, Resources: ids(2, 4) }),
    ]);
    const stats = newStats();
    const schema = z.object({ totalResults: z.number(), startIndex: z.number(), Resources: z.array(item) });
    const all = await collect(
      scimPages({
        transport: testTransport(send).transport,
        path: "/Users",
        schema,
        endpoint: "scim",
        count: 100,
        stats,
      }),
    );
    expect(all).toHaveLength(6);
    expect(send.requests.map((r) => new URL(r.url).searchParams.get("startIndex"))).toEqual(["1", "3", "5"]);
    expect(stats.inconsistent).toBe(true);
  });

  it("no loop runs forever", async () => {
    const send = scriptedSend([(req) => reply(200, { values: ids(1), next: `${req.url}x` })]);
    const schema = z.object({ values: z.array(item), next: z.string().optional() });
    await expect(
      collect(
        bitbucketPages({
          transport: testTransport(send).transport,
          path: "/2.0/x",
          schema,
          endpoint: "bb",
          maxPages: 50,
        }),
      ),
    ).rejects.toThrow(/more than 50 pages/);
  });
});
