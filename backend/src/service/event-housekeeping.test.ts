import { describe, expect, it } from "vitest";
import { createLogger } from "../security/logger.js";
import { openSqliteStore } from "../store/sqlite.js";
import { CRAWL_CURSOR_PREFIX } from "../store/store.js";
import { CRAWL_MAX_AGE_MS, pruneEventState } from "./event-housekeeping.js";

describe("event housekeeping", () => {
  it("forgets a crawl that was abandoned for longer than the maximum age, and logs what went", async () => {
    const store = await openSqliteStore({ path: ":memory:" });
    const lines: string[] = [];
    const logger = createLogger({ level: "info", write: (l) => void lines.push(l) });
    await store.createTenant({ id: "t", name: "t" });
    await store.putCrawlBatch("t", { runId: "r", seq: 0, section: "jira", rows: { users: [] } });
    await store.setCursor("t", `${CRAWL_CURSOR_PREFIX}r`, "{}");

    await pruneEventState({ store, logger }, new Date(Date.now() + CRAWL_MAX_AGE_MS - 60_000));
    expect(await store.listCrawlBatches("t", "r")).toHaveLength(1);
    expect(lines).toEqual([]);

    await pruneEventState({ store, logger }, new Date(Date.now() + CRAWL_MAX_AGE_MS + 60_000));
    expect(await store.listCrawlBatches("t", "r")).toEqual([]);
    expect(await store.getCursor("t", `${CRAWL_CURSOR_PREFIX}r`)).toBeNull();
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([{ msg: "abandoned crawls pruned", batches: 1, runs: 1 }]);
    await store.close();
  });
});
