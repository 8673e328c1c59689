/**
 * Table-driven reading faults: the H (HTTP resilience) and D (sync integrity) rows of
 * `../shared/reference/reliability-cases.md` that concern reading, each driven through the real entry point
 * (`runDiscovery`) against the in-process simulator, with the fault injected by the simulator or by a wrapped send.
 */
import type { DiscoveryResult } from "@accessmap/backend/discovery/run-discovery";
import { runDiscovery } from "@accessmap/backend/discovery/run-discovery";
import type { RawRequest, RawResponse, Send } from "@accessmap/shared/transport/transport";
import { describe, expect, it } from "vitest";
import { FOREIGN_ORIGIN } from "../atlassian-sim/http/faults.js";
import type { SizePreset } from "../atlassian-sim/tenant/model.js";
import { makeTestSim, ORIGIN, type TestSim } from "../atlassian-sim/testing.js";
import { simConfig } from "../support/sim-config.js";
import { simSend } from "../support/sim-transport.js";

type Overrides = Parameters<typeof simConfig>[2];

interface Row {
  id: string;
  title: string;
  size?: SizePreset;
  /** Prepare the simulator; optionally wrap the send and override the configuration. */
  arrange(t: TestSim, inner: Send): { send?: Send; overrides?: Overrides } | undefined;
  check(r: DiscoveryResult, t: TestSim, sent: RawRequest[]): void;
}

const state = (r: DiscoveryResult, p: string) => r.snapshot.statuses.find((s) => s.product === p);

/** A response with a replaced JSON body. */
async function rewrite(res: RawResponse, edit: (body: unknown) => unknown): Promise<RawResponse> {
  const body = edit(JSON.parse(await res.text()));
  return { status: res.status, headers: res.headers, text: async () => JSON.stringify(body) };
}

const isJiraUsers = (req: RawRequest) => new URL(req.url).pathname.endsWith("/rest/api/3/users/search");
const uniqueUsers = (r: DiscoveryResult) => {
  const ids = r.snapshot.jira?.users.map((u) => u.accountId) ?? [];
  return ids.length === new Set(ids).size && ids.length > 0;
};

const ROWS: Row[] = [
  {
    id: "H1",
    title: "429 with Retry-After is waited out",
    arrange: (t) => {
      t.sim.faults.rules = [{ api: "jira", kind: "status", status: 429, retryAfterSeconds: 1, times: 2 }];
      return undefined;
    },
    check: (r, t) => {
      expect(state(r, "jira")?.state).toBe("complete");
      expect(t.sim.faults.fired.get("status")).toBe(2);
    },
  },
  {
    id: "H5",
    title: "under a server rate limit the run slows down and completes",
    arrange: (t) => {
      t.sim.limiter.rules = [{ api: "jira", limit: 40, windowMs: 200, reason: "jira-burst-based" }];
      return undefined;
    },
    check: (r) => expect(state(r, "jira")?.state).toBe("complete"),
  },
  {
    id: "H3",
    title: "429 without headers backs off and retries",
    arrange: (_t, inner) => {
      let n = 0;
      return {
        send: async (req) => {
          if (isJiraUsers(req) && n++ < 2) return { status: 429, headers: new Headers(), text: async () => "" };
          return inner(req);
        },
      };
    },
    check: (r) => expect(state(r, "jira")?.state).toBe("complete"),
  },
  {
    id: "H6",
    title: "503 with Retry-After is treated like a 429",
    arrange: (t) => {
      t.sim.faults.rules = [{ api: "confluence", kind: "status", status: 503, retryAfterSeconds: 0, times: 3 }];
      return undefined;
    },
    check: (r, t) => {
      expect(state(r, "confluence")?.state).toBe("complete");
      expect(t.sim.faults.fired.get("status")).toBe(3);
    },
  },
  {
    id: "H9",
    title: "connection resets are classified transient and retried for reads",
    arrange: (t) => {
      t.sim.faults.rules = [{ kind: "reset", probability: 0.15 }];
      return undefined;
    },
    check: (r, t) => {
      expect(r.outcome).toBe("complete");
      expect(t.sim.faults.fired.get("reset")).toBeGreaterThan(0);
    },
  },
  {
    id: "H9b",
    title: "a truncated JSON body is retried for reads",
    arrange: (t) => {
      t.sim.faults.rules = [{ api: "admin", kind: "truncate", times: 2 }];
      return undefined;
    },
    check: (r) => expect(state(r, "admin")?.state).toBe("complete"),
  },
  {
    id: "H12",
    title: "consecutive 5xx from one product fail it fast; the others complete",
    arrange: (t) => {
      t.sim.faults.rules = [{ api: "confluence", kind: "status", status: 502 }];
      return undefined;
    },
    check: (r, t) => {
      expect(state(r, "confluence")?.state).toBe("failed");
      expect(state(r, "jira")?.state).toBe("complete");
      expect(t.sim.log.total("confluence")).toBeLessThanOrEqual(25);
    },
  },
  {
    id: "H16",
    title: "a record without its identity field fails the read instead of inventing one",
    arrange: (_t, inner) => ({
      send: async (req) => {
        const res = await inner(req);
        if (!isJiraUsers(req)) return res;
        return rewrite(res, (b) =>
          (b as Array<Record<string, unknown>>).map((u, i) => (i === 0 ? { ...u, accountId: undefined } : u)),
        );
      },
    }),
    check: (r) => {
      expect(state(r, "jira")?.state).toBe("failed");
      expect(r.snapshot.jira).toBeNull();
      expect(state(r, "jira")?.reasons[0]).toMatch(/accountId/);
    },
  },
  {
    id: "D1",
    title: "a product failing mid-run yields no section and is never marked complete",
    arrange: (t) => {
      t.sim.faults.rules = [{ api: "jira", kind: "status", status: 500, skip: 4 }];
      return undefined;
    },
    check: (r) => {
      expect(state(r, "jira")?.state).toBe("failed");
      expect(r.snapshot.jira).toBeNull();
      expect(r.outcome).toBe("failed");
    },
  },
  {
    id: "D2",
    title: "a 403 on one part marks it partial and keeps what was read",
    arrange: (t) => ({
      overrides: {
        productUser: t.sim.state.tenant.credentials.limitedProductUser.email,
        productToken: t.sim.state.tenant.credentials.limitedProductUser.token,
      },
    }),
    check: (r) => {
      expect(state(r, "jira")?.state).toBe("partial");
      expect(r.snapshot.jira?.projects.length).toBeGreaterThan(0);
      expect(state(r, "confluence")?.state).toBe("partial");
      expect(r.snapshot.confluence?.spaces.length).toBeGreaterThan(0);
    },
  },
  {
    id: "D6",
    title: "the same page delivered twice (response lost, then retried) adds nothing twice",
    arrange: (_t, inner) => {
      const seen = new Set<string>();
      return {
        send: async (req) => {
          const res = await inner(req);
          if (req.method === "GET" && !seen.has(req.url)) {
            seen.add(req.url);
            await res.text();
            throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
          }
          return res;
        },
      };
    },
    check: (r, t) => {
      expect(r.outcome).toBe("complete");
      expect(uniqueUsers(r)).toBe(true);
      expect(r.snapshot.jira?.users.length).toBe(t.sim.state.tenant.accounts.length);
    },
  },
  {
    id: "D7",
    title: "a retry that returns different content keeps one record per identity",
    arrange: (_t, inner) => {
      let first = true;
      return {
        send: async (req) => {
          const res = await inner(req);
          if (!isJiraUsers(req) || !first) return res;
          first = false;
          return { status: 503, headers: new Headers({ "retry-after": "0" }), text: async () => "" };
        },
      };
    },
    check: (r) => expect(uniqueUsers(r)).toBe(true),
  },
  {
    id: "D8",
    title: "a duplicate across pages is dropped and counted",
    size: "M",
    arrange: (_t, inner) => {
      let firstUser: unknown = null;
      return {
        send: async (req) => {
          const res = await inner(req);
          if (!isJiraUsers(req)) return res;
          return rewrite(res, (b) => {
            const users = b as unknown[];
            if (firstUser === null) firstUser = users[0];
            else if (users.length > 0) users.push(firstUser);
            return users;
          });
        },
      };
    },
    check: (r) => {
      expect(uniqueUsers(r)).toBe(true);
      expect(state(r, "jira")?.counts.duplicatesDropped).toBeGreaterThan(0);
    },
  },
  {
    id: "D16",
    title: "an unchanged next-page token fails the product instead of looping",
    size: "M",
    arrange: (_t, inner) => ({
      send: async (req) => {
        const url = new URL(req.url);
        if (!url.pathname.endsWith("/wiki/api/v2/spaces")) return inner(req);
        url.searchParams.delete("cursor");
        const res = await inner({ ...req, url: url.toString() });
        const stuck = await rewrite(res, (b) => ({
          ...(b as object),
          _links: { next: "/wiki/api/v2/spaces?cursor=stuck" },
        }));
        return { ...stuck, headers: { get: (n: string) => (n.toLowerCase() === "link" ? null : res.headers.get(n)) } };
      },
    }),
    check: (r) => {
      expect(state(r, "confluence")?.state).toBe("failed");
      expect(state(r, "confluence")?.reasons[0]).toMatch(/next-page token did not change/);
    },
  },
  {
    id: "D17",
    title: "an empty first page that carries a continuation still continues",
    arrange: (_t, inner) => {
      let done = false;
      return {
        send: async (req) => {
          const url = new URL(req.url);
          if (done || !/\/2\.0\/repositories\/[^/]+$/.test(url.pathname)) return inner(req);
          done = true;
          const next = new URL(req.url);
          next.searchParams.set("page", "1");
          return {
            status: 200,
            headers: new Headers({ "content-type": "application/json" }),
            text: async () => JSON.stringify({ values: [], pagelen: 100, next: next.toString() }),
          };
        },
      };
    },
    check: (r, t) => {
      expect(state(r, "bitbucket")?.state).toBe("complete");
      expect(r.snapshot.bitbucket?.repositories.length).toBe(t.sim.state.tenant.bitbucket.repos.length);
    },
  },
  {
    id: "origin",
    title: "credentials stay on their origin whatever a next link says",
    size: "M",
    arrange: (t) => {
      t.sim.faults.rules = [{ api: "bitbucket", kind: "foreign-next" }];
      return undefined;
    },
    check: (r, _t, sent) => {
      expect(state(r, "bitbucket")?.state).toBe("failed");
      expect(sent.some((s) => s.url.startsWith(FOREIGN_ORIGIN))).toBe(false);
    },
  },
];

describe("reading faults (reliability cases H and D)", () => {
  it.each(ROWS.map((row) => [`${row.id}: ${row.title}`, row] as const))("%s", async (_name, row) => {
    const t = makeTestSim(row.size ?? "S", 5);
    const inner = simSend(t);
    const arranged = row.arrange(t, inner) ?? {};
    const sent: RawRequest[] = [];
    const send = arranged.send ?? inner;
    const r = await runDiscovery(simConfig(t.sim.state.tenant, ORIGIN, arranged.overrides ?? {}), {
      send: async (req) => {
        sent.push(req);
        return send(req);
      },
      schemaMode: "throw",
      retry: { baseDelayMs: 5, maxDelayMs: 40, deadlineMs: 60_000 },
    });
    row.check(r, t, sent);
    expect(t.sim.log.writeCount()).toBe(0);
  });
});
