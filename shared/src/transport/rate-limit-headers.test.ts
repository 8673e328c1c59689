import {
  isQuotaReason,
  MAX_SERVER_WAIT_MS,
  parseReset,
  parseRetryAfter,
  readRateLimitSignals,
} from "@accessmap/shared/transport/rate-limit-headers";
import { headers } from "@accessmap/shared/transport/test-kit";
import { describe, expect, it } from "vitest";

const now = Date.parse("2026-11-29T10:00:00Z");

describe("Retry-After and reset parsing", () => {
  it.each([
    ["60", 60_000],
    ["0", 0],
    ["1.5", 1500],
    ["Sun, 29 Nov 2026 10:00:30 GMT", 30_000],
    ["Sun, 29 Nov 2026 09:00:00 GMT", 0],
    ["-5", undefined],
    ["soon", undefined],
    ["", undefined],
    [null, undefined],
    ["99999999999", MAX_SERVER_WAIT_MS],
  ] as const)("Retry-After %j → %j", (v, want) => {
    expect(parseRetryAfter(v, now)).toBe(want);
  });

  it("P2: any string gives undefined or a finite wait within [0, cap]", () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    const alphabet = "0123456789 .-:,GMTSunNovaez+\u00e9\u0000";
    for (let i = 0; i < 2000; i++) {
      const s = Array.from(
        { length: Math.floor(rnd() * 30) },
        () => alphabet[Math.floor(rnd() * alphabet.length)],
      ).join("");
      const v = parseRetryAfter(s, now);
      if (v !== undefined) {
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(MAX_SERVER_WAIT_MS);
      }
    }
  });

  it("reads ISO-8601 and epoch-second resets", () => {
    expect(parseReset("2026-11-29T10:01:00Z", now)).toBe(60_000);
    expect(parseReset(String(now / 1000 + 5), now)).toBe(5000);
    expect(parseReset("garbage", now)).toBeUndefined();
  });

  it("collects every signal and prefers Retry-After over the reset", () => {
    const s = readRateLimitSignals(
      headers({
        "Retry-After": "2",
        "X-RateLimit-Reset": "2026-11-29T10:01:00Z",
        "RateLimit-Reason": "jira-quota-tenant-based",
        "X-RateLimit-NearLimit": "true",
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Remaining": "3",
      }),
      now,
    );
    expect(s).toEqual({
      waitMs: 2000,
      reason: "jira-quota-tenant-based",
      nearLimit: true,
      limit: 100,
      remaining: 3,
      resetMs: 60_000,
    });
    expect(isQuotaReason(s.reason)).toBe(true);
    expect(isQuotaReason("jira-burst-based")).toBe(false);
  });

  it("treats a Beta-RateLimit header as near-limit and reads its reset", () => {
    const s = readRateLimitSignals(headers({ "Beta-RateLimit": '"global-app-quota";r=120;t=300' }), now);
    expect(s.nearLimit).toBe(true);
    expect(s.resetMs).toBe(300_000);
  });
});
