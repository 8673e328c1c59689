/**
 * The lifecycle SCIM client against the simulator's SCIM server (and answers bent by an intercept where the server
 * is faithful and the case needs an unfaithful one): error bodies (S2), not-found and empty filters (S5), odd paging
 * (S6), PATCH answered 200 or 204 (S8), clearing attributes (S11), lenient parsing (S12), a bad token (S14) and
 * what `/ServiceProviderConfig` says about PATCH and ETags (S17).
 */
import { applyPlan } from "@accessmap/backend/lifecycle/apply";
import { planLifecycle } from "@accessmap/backend/lifecycle/plan";
import { AuthError, ConflictError, NotFoundError } from "@accessmap/shared/transport/errors";
import type { RawRequest, RawResponse, Send } from "@accessmap/shared/transport/transport";
import { afterEach, describe, expect, it } from "vitest";
import { callOf, type Harness, harness, type Intercept, located, ordinaryScimUsers, scimUser } from "./helpers.js";

let h: Harness;
afterEach(async () => h?.store.close());

/** Forwards the request and rewrites the JSON answer. */
function rewrite(match: (req: RawRequest) => boolean, edit: (body: Record<string, unknown>) => unknown): Intercept {
  return async (req: RawRequest, next: Send): Promise<RawResponse> => {
    const res = await next(req);
    if (!match(req)) return res;
    const text = await res.text();
    const body = edit(JSON.parse(text) as Record<string, unknown>);
    return { status: res.status, headers: res.headers, text: async () => JSON.stringify(body) };
  };
}

describe("S2: SCIM error bodies", () => {
  it("a 409 with status as a string is a ConflictError whose scimType is read; the raw body is kept but not enumerable", async () => {
    h = await harness();
    const [u] = ordinaryScimUsers(h.t);
    const requestId = "req-dup-1";
    const err = await h.deps.scim
      .createUser({ userName: u!.userName, email: u!.email, active: true }, { requestId })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    const body = h.deps.scim.errorBody(requestId)!;
    expect(body).toMatchObject({ status: 409, scimType: "uniqueness" });
    expect(body.detail).toMatch(/already exists/);
    expect(body.raw).toContain('"status":"409"');
    expect(Object.keys(body)).not.toContain("raw");
    expect(JSON.stringify(body)).not.toContain("schemas");
    // Taken once.
    expect(h.deps.scim.errorBody(requestId)).toBeNull();
  });

  it("the same typed error for a numeric status, a missing scimType and a non-JSON body", async () => {
    const bodies = [
      '{"status":409,"scimType":"uniqueness","detail":"x"}',
      '{"status":"409","detail":"x"}',
      "<html>conflict</html>",
    ];
    let i = 0;
    h = await harness({
      intercept: async (req, next) => {
        if (req.method !== "POST") return next(req);
        const text = bodies[i++]!;
        return { status: 409, headers: new Headers(), text: async () => text };
      },
    });
    const out = [];
    for (let n = 0; n < bodies.length; n++) {
      const requestId = `r${n}`;
      const err = await h.deps.scim
        .createUser({ userName: `x${n}@initech.example`, email: `x${n}@initech.example`, active: true }, { requestId })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      const b = h.deps.scim.errorBody(requestId)!;
      out.push([b.status, b.scimType]);
    }
    expect(out).toEqual([
      [409, "uniqueness"],
      [409, null],
      [null, null],
    ]);
  });
});

describe("S5: not found and empty", () => {
  it("GET of a missing user is a NotFoundError; a filter without a match is an empty answer, not an error", async () => {
    h = await harness();
    await expect(h.deps.scim.getUser("00000000-0000-0000-0000-000000000000")).rejects.toBeInstanceOf(NotFoundError);
    expect(await h.deps.scim.tryGetUser("00000000-0000-0000-0000-000000000000")).toBeNull();
    expect(await h.deps.scim.findUserByUserName("nobody@initech.example")).toBeNull();
    expect(await h.deps.scim.findGroupByName("no-such-group")).toBeNull();
    // Quotes in a filter value are escaped, not an injection.
    expect(await h.deps.scim.findUserByUserName('a" or userName pr "')).toBeNull();
  });
});

describe("S6: paging that contradicts itself", () => {
  it("short pages, a total that grows, a wrong startIndex echo and repeated entries: the walk still finds everyone once", async () => {
    let page = 0;
    h = await harness({
      intercept: rewrite(
        (req) => req.method === "GET" && /\/Users\?/.test(req.url) && !req.url.includes("filter="),
        (body) => {
          page += 1;
          const resources = body.Resources as unknown[];
          // Fewer than asked, the last of the previous page repeated, a total that grows, startIndex echoed wrong.
          return {
            ...body,
            Resources: resources.slice(0, 7),
            totalResults: (body.totalResults as number) + (page > 1 ? 1 : 0),
            startIndex: page === 2 ? 99 : body.startIndex,
          };
        },
      ),
    });
    const all = h.t.sim.state.tenant.scim.users;
    const last = all[all.length - 1]!;
    const found = await h.deps.scim.findUserByAccountId(last.accountId);
    expect(found?.id).toBe(last.id);
    const seen = new Set<string>();
    let count = 0;
    for await (const p of h.deps.scim.listUserPages())
      for (const u of p) {
        seen.add((u as { id: string }).id);
        count += 1;
      }
    expect(count).toBe(seen.size);
    expect(seen.size).toBe(all.length);
    expect(h.deps.scim.transport.paging.issues().some((i) => i.inconsistent)).toBe(true);
  });
});

describe("S8: PATCH answered 200 with the resource or 204 without a body", () => {
  it("both are accepted; a 204 is followed by a GET when the state is needed", async () => {
    h = await harness({
      intercept: async (req, next) => {
        const res = await next(req);
        if (req.method !== "PATCH") return res;
        return { status: 204, headers: new Headers(), text: async () => "" };
      },
    });
    const [a, b] = ordinaryScimUsers(h.t);
    const quiet = await h.deps.scim.patchUser(a!.id, [{ op: "replace", path: "title", value: "Quiet" }]);
    expect(quiet).toMatchObject({ status: 204, value: null });
    const from = h.sent.length;
    const stated = await h.deps.scim.patchUser(a!.id, [{ op: "replace", path: "title", value: "Stated" }], {
      needState: true,
    });
    expect(stated.value?.title).toBe("Stated");
    expect(h.sent.slice(from).map(callOf)).toEqual([`PATCH /scim/Users/${a!.id}`, `GET /scim/Users/${a!.id}`]);
    // The engine deprovisions through a 204 all the same.
    const plan = await planLifecycle(located({ action: "DEPROVISION_IDENTITY", user: { user: b!.userName } }), h.deps);
    expect((await applyPlan(plan, h.deps)).results[0]?.status).toBe("ok");
    expect(scimUser(h.t, b!.userName)?.active).toBe(false);
  });
});

describe("S11: clearing an attribute", () => {
  it('PATCH with "" and with null both clear it on the server; the client treats "" and null alike', async () => {
    h = await harness();
    const [a, b] = ordinaryScimUsers(h.t).filter((u) => u.title);
    const r1 = await h.deps.scim.patchUser(a!.id, [{ op: "replace", path: "title", value: "" }], { needState: true });
    expect(r1.value?.title).toBeNull();
    const r2 = await h.deps.scim.patchUser(b!.id, [{ op: "replace", path: "title", value: null }], { needState: true });
    expect(r2.value?.title).toBeNull();
    expect(scimUser(h.t, b!.userName)?.title).toBeNull();
    // Desired "" against a server null is no change.
    const same = await planLifecycle(
      located({ action: "SYNC_IDENTITIES", user: { userName: a!.userName, title: "" } }),
      h.deps,
    );
    expect(same.steps[0]?.status).toBe("noop");
  });

  it("a desired empty value is planned as old → null and sent as a remove", async () => {
    h = await harness();
    const [a] = ordinaryScimUsers(h.t).filter((u) => u.title);
    const plan = await planLifecycle(
      located({ action: "SYNC_IDENTITIES", user: { userName: a!.userName, title: "" } }),
      h.deps,
    );
    expect(plan.steps[0]).toMatchObject({ current: { title: a!.title }, intended: { title: null } });
    const from = h.sent.length;
    await applyPlan(plan, h.deps);
    const patch = h.sent.slice(from).find((r) => r.method === "PATCH")!;
    expect(JSON.parse(patch.body!).Operations).toEqual([{ op: "remove", path: "title" }]);
    expect(scimUser(h.t, a!.userName)?.title).toBeNull();
  });
});

describe("S12: lenient parsing of replayed data", () => {
  it('active "False", attribute names in odd case and meta.LastModified are read as meant', async () => {
    const odd = (body: Record<string, unknown>) => {
      const fix = (u: Record<string, unknown>) => {
        const { active: _a, userName, meta, ...rest } = u;
        return {
          ...rest,
          Active: "False",
          USERNAME: userName,
          meta: { ...(meta as object), LastModified: "2026-01-01T00:00:00Z" },
        };
      };
      return Array.isArray(body.Resources)
        ? { ...body, Resources: (body.Resources as Record<string, unknown>[]).map(fix) }
        : fix(body);
    };
    h = await harness({ intercept: rewrite((req) => req.method === "GET" && req.url.includes("/Users"), odd) });
    const [b] = ordinaryScimUsers(h.t);
    const u = await h.deps.scim.findUserByUserName(b!.userName);
    expect(u).toMatchObject({ id: b!.id, userName: b!.userName, active: false });
    const plan = await planLifecycle(located({ action: "DEPROVISION_IDENTITY", user: { user: b!.userName } }), h.deps);
    expect(plan.steps[0]).toMatchObject({ status: "noop", current: { active: false } });
  });
});

describe("S14: a bad token", () => {
  it("is an AuthError, not retried, and the token is never in the message", async () => {
    const bad = "scim-token-that-is-wrong-0123456789";
    h = await harness({ scimToken: bad });
    const err = await planLifecycle(
      located({ action: "DEPROVISION_IDENTITY", user: { user: "x@initech.example" } }),
      h.deps,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).status).toBe(401);
    expect(h.sent.filter((r) => r.url.includes("/scim/"))).toHaveLength(1);
    expect(String((err as Error).message)).not.toContain(bad);
    expect(JSON.stringify(err)).not.toContain(bad);
  });
});

describe("S17: what the ServiceProviderConfig says", () => {
  const spc = (patch: boolean, etag: boolean) =>
    rewrite(
      (req) => req.url.endsWith("/ServiceProviderConfig"),
      (body) => ({ ...body, patch: { supported: patch }, etag: { supported: etag } }),
    );

  it("etag unsupported (the simulator, like Atlassian): updates carry no If-Match", async () => {
    h = await harness();
    expect(await h.deps.scim.capabilities()).toEqual({ patch: true, etag: false });
    const [a] = ordinaryScimUsers(h.t);
    const plan = await planLifecycle(located({ action: "DEPROVISION_IDENTITY", user: { user: a!.userName } }), h.deps);
    const from = h.sent.length;
    await applyPlan(plan, h.deps);
    const writes = h.sent.slice(from).filter((r) => r.method !== "GET" && !r.url.includes("/search"));
    expect(writes.map((r) => r.method)).toEqual(["PATCH"]);
    for (const r of writes) expect(Object.keys(r.headers).map((k) => k.toLowerCase())).not.toContain("if-match");
  });

  it("patch unsupported: the update falls back to a full PUT that keeps the other attributes", async () => {
    h = await harness({ intercept: spc(false, false) });
    const [a] = ordinaryScimUsers(h.t);
    // An attribute lifecycle management does not model must survive the PUT.
    h.t.sim.state.scimUpdateUser(a!.id, { profile: { nickName: "Zed", timezone: "Europe/Oslo" } });
    const plan = await planLifecycle(
      located({ action: "SYNC_IDENTITIES", user: { userName: a!.userName, title: "Staff Engineer" } }),
      h.deps,
    );
    expect(plan.notes.join()).toMatch(/does not support PATCH/);
    const from = h.sent.length;
    const report = await applyPlan(plan, h.deps);
    expect(report.results[0]?.status).toBe("ok");
    const writes = h.sent.slice(from).filter((r) => r.method !== "GET" && !r.url.includes("/search"));
    expect(writes.map(callOf)).toEqual([`PUT /scim/Users/${a!.id}`]);
    const after = scimUser(h.t, a!.userName)!;
    expect(after).toMatchObject({ title: "Staff Engineer", email: a!.email, givenName: a!.givenName, active: true });
    expect(after.profile).toMatchObject({ nickName: "Zed", timezone: "Europe/Oslo" });
    const put = h.sent.slice(from).find((r) => r.method === "PUT")!;
    expect(Object.keys(JSON.parse(put.body!))).not.toContain("meta");
  });

  it("etag supported and a versioned resource: If-Match carries meta.version", async () => {
    const versioned = rewrite(
      (req) => req.method === "GET" && /\/Users\/[^/?]+$/.test(new URL(req.url).pathname),
      (body) => ({ ...body, meta: { ...(body.meta as object), version: 'W/"7"' } }),
    );
    const both: Intercept = async (req, next) => spc(true, true)(req, (r) => versioned(r, next));
    h = await harness({ intercept: both });
    const [a] = ordinaryScimUsers(h.t);
    const plan = await planLifecycle(located({ action: "DEPROVISION_IDENTITY", user: { user: a!.userName } }), h.deps);
    const from = h.sent.length;
    await applyPlan(plan, h.deps);
    const patch = h.sent.slice(from).find((r) => r.method === "PATCH")!;
    expect(patch.headers["if-match"]).toBe('W/"7"');
  });
});
