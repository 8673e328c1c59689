import { reply, scriptedSend, testTransport, VirtualClock } from "@accessmap/shared/transport/test-kit";
import type { RawRequest, RawResponse } from "@accessmap/shared/transport/transport";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Secret } from "../../config/secret.js";
import { BitbucketTokenProvider } from "./oauth.js";

const TOKEN_URL = "https://bitbucket.org/site/oauth2/access_token";

/** A token endpoint that issues `token-1`, `token-2`, … with the given lifetime, and an API answering with `api`. */
function bitbucket(expiresIn = 3600, api: (req: RawRequest) => RawResponse = () => reply(200, { ok: true })) {
  let issued = 0;
  const send = scriptedSend([
    (req) => {
      if (req.url === TOKEN_URL) {
        issued += 1;
        return reply(200, {
          access_token: `token-${issued}`,
          expires_in: expiresIn,
          refresh_token: `refresh-${issued}`,
          token_type: "bearer",
        });
      }
      return api(req);
    },
  ]);
  const tokenRequests = () => send.requests.filter((r) => r.url === TOKEN_URL);
  return { send, tokenRequests };
}

function provider(send: ReturnType<typeof bitbucket>["send"], clock = new VirtualClock()) {
  return new BitbucketTokenProvider({
    tokenUrl: TOKEN_URL,
    key: "key",
    secret: new Secret("s3cret"),
    send,
    clock: clock.clock,
  });
}

describe("BitbucketTokenProvider", () => {
  it("fetches a token once with the client-credentials grant and reuses it", async () => {
    const bb = bitbucket();
    const tokens = provider(bb.send);
    expect(await tokens.authorization()).toBe("Bearer token-1");
    expect(await tokens.authorization()).toBe("Bearer token-1");
    expect(tokens.fetched).toBe(1);
    const [req] = bb.tokenRequests();
    expect(req?.method).toBe("POST");
    expect(req?.headers.authorization).toBe(`Basic ${Buffer.from("key:s3cret").toString("base64")}`);
    expect(req?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(req?.body).toBe("grant_type=client_credentials");
  });

  it("renews the token a minute before `expires_in` runs out, not earlier", async () => {
    const bb = bitbucket(3600);
    const clock = new VirtualClock();
    const tokens = provider(bb.send, clock);
    await tokens.authorization();
    clock.now += (3600 - 61) * 1000;
    expect(await tokens.authorization()).toBe("Bearer token-1");
    clock.now += 1000;
    expect(await tokens.authorization()).toBe("Bearer token-2");
    expect(tokens.fetched).toBe(2);
  });

  it("honours a short `expires_in` rather than assuming an hour", async () => {
    const bb = bitbucket(120);
    const clock = new VirtualClock();
    const tokens = provider(bb.send, clock);
    await tokens.authorization();
    clock.now += 60_000;
    expect(await tokens.authorization()).toBe("Bearer token-2");
  });

  it("concurrent callers share one token request", async () => {
    const bb = bitbucket();
    const tokens = provider(bb.send);
    const headers = await Promise.all(Array.from({ length: 12 }, () => tokens.authorization()));
    expect(new Set(headers)).toEqual(new Set(["Bearer token-1"]));
    expect(bb.tokenRequests()).toHaveLength(1);
    // Concurrent refreshes (several requests answered 401 at once) share one request too.
    await Promise.all([tokens.refresh(), tokens.refresh(), tokens.refresh()]);
    expect(bb.tokenRequests()).toHaveLength(2);
    expect(await tokens.authorization()).toBe("Bearer token-2");
  });

  it("a 401 from the API (token expired or revoked) gets a fresh token and the request is retried once", async () => {
    let apiCalls = 0;
    const bb = bitbucket(3600, (req) => {
      apiCalls += 1;
      if (req.headers.authorization === "Bearer token-1") {
        return reply(401, { type: "error", error: { message: "Access token expired." } });
      }
      return reply(200, { ok: true });
    });
    const tokens = provider(bb.send);
    const { transport } = testTransport(bb.send, new VirtualClock(), {
      product: "bitbucket",
      baseUrl: "https://api.bitbucket.org",
      authorization: () => tokens.authorization(),
      refreshAuth: () => tokens.refresh(),
    });
    const res = await transport.request({
      path: "/2.0/user",
      schema: z.looseObject({ ok: z.boolean() }),
      endpoint: "GET /2.0/user",
    });
    expect(res.data.ok).toBe(true);
    expect(apiCalls).toBe(2);
    expect(tokens.fetched).toBe(2);
    const api = bb.send.requests.filter((r) => r.url !== TOKEN_URL).map((r) => r.headers.authorization);
    expect(api).toEqual(["Bearer token-1", "Bearer token-2"]);
  });

  it("a rejected consumer is an error, not a token", async () => {
    const send = scriptedSend([
      reply(400, { error: "unauthorized_client", error_description: "Invalid OAuth client credentials" }),
    ]);
    const tokens = provider(send);
    await expect(tokens.authorization()).rejects.toThrow(/HTTP 400/);
    expect(tokens.fetched).toBe(0);
  });
});
