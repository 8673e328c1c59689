import { describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/sqlite.js";
import { CRAWL_REQUEST_DEBOUNCE_MS, crawlRequestsFor } from "./forge-crawl-requests.js";

describe("crawl requests for Forge-read sections", () => {
  it("asks once per section within the window, again after it, and never for other sections", async () => {
    const store = await openSqliteStore({ path: ":memory:" });
    await store.createTenant({ id: "t", name: "t" });
    const t0 = new Date("2026-11-29T10:00:00Z");
    const at = (ms: number) => new Date(t0.getTime() + ms);
    expect(await crawlRequestsFor(store, "t", ["jira", "jira", "bitbucket"], t0)).toEqual(["jira"]);
    expect(await crawlRequestsFor(store, "t", ["jira", "confluence"], at(60_000))).toEqual(["confluence"]);
    expect(await crawlRequestsFor(store, "t", ["jira"], at(CRAWL_REQUEST_DEBOUNCE_MS - 1))).toEqual([]);
    expect(await crawlRequestsFor(store, "t", ["jira"], at(CRAWL_REQUEST_DEBOUNCE_MS))).toEqual(["jira"]);
    await store.close();
  });

  it("two replicas answering at once ask for one crawl between them", async () => {
    const store = await openSqliteStore({ path: ":memory:" });
    await store.createTenant({ id: "t", name: "t" });
    const now = new Date("2026-11-29T10:00:00Z");
    const [a, b] = await Promise.all([
      crawlRequestsFor(store, "t", ["confluence"], now),
      crawlRequestsFor(store, "t", ["confluence"], now),
    ]);
    expect([...a, ...b]).toEqual(["confluence"]);
    await store.close();
  });
});
