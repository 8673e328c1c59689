/** The crawl queue. Its key must match the `consumer.queue` in manifest.yml (checked by manifest.test.ts). */
import { Queue } from "@forge/events";

export const CRAWL_QUEUE_KEY = "crawl-jobs";
export const crawlQueue = new Queue({ key: "crawl-jobs" });
