/**
 * Behaviour of the simulated Bitbucket OAuth token endpoint: client credentials by Basic auth or form fields, the
 * token shape, refresh, expiry (401 "Access token expired."), Bitbucket's error bodies, and that asking for a token
 * is not counted as a write.
 */
import { describe, expect, it } from "vitest";
import { makeTestSim, type TestSim } from "../testing.js";

const TOKEN_PATH = "/bitbucket/site/oauth2/access_token";

interface TokenBody {
  access_token: string;
  refresh_token: string;
  scopes: string;
  expires_in: number;
  token_type: string;
  state: string;
}

const basic = (key: string, secret: string) => `Basic ${Buffer.from(`${key}:${secret}`).toString("base64")}`;

function tokenRequest(t: TestSim, form: Record<string, string>, authorization?: string): Promise<Response> {
  return t.fetch(TOKEN_PATH, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(authorization ? { authorization } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
}

const api = (t: TestSim, path: string, token: string) =>
  t.fetch(`/bitbucket-api${path}`, { headers: { authorization: `Bearer ${token}` } });

describe("Bitbucket OAuth token endpoint", () => {
  const t = makeTestSim("S", 7);
  const creds = t.sim.state.tenant.credentials;
  const admin = creds.bitbucketAdminConsumer;
  const member = creds.bitbucketMemberConsumer;

  it("issues a client-credentials token with HTTP Basic consumer credentials", async () => {
    const res = await tokenRequest(t, { grant_type: "client_credentials" }, basic(admin.key, admin.secret));
    expect(res.status).toBe(200);
    const body = (await res.json()) as TokenBody;
    expect(body).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      scopes: expect.stringContaining("repository:admin"),
      expires_in: t.sim.bitbucketTokens.ttlSeconds,
      token_type: "bearer",
      state: "client_credentials",
    });
    const me = await api(t, "/2.0/user", body.access_token);
    expect(me.status).toBe(200);
  });

  it("accepts client_id and client_secret as form fields; the member consumer has no admin scopes", async () => {
    const res = await tokenRequest(t, {
      grant_type: "client_credentials",
      client_id: member.key,
      client_secret: member.secret,
    });
    const body = (await res.json()) as TokenBody;
    expect(res.status).toBe(200);
    expect(body.scopes).not.toContain(":admin");
    const me = (await (await api(t, "/2.0/user", body.access_token)).json()) as { account_id: string };
    expect(me.account_id).toBe(member.ownerAccountId);
  });

  it("announces the store's lifetime in expires_in", async () => {
    const before = t.sim.bitbucketTokens.ttlSeconds;
    t.sim.bitbucketTokens.ttlSeconds = 120;
    try {
      const res = await tokenRequest(t, { grant_type: "client_credentials" }, basic(admin.key, admin.secret));
      expect(((await res.json()) as TokenBody).expires_in).toBe(120);
    } finally {
      t.sim.bitbucketTokens.ttlSeconds = before;
    }
  });

  it("refreshes: a refresh token gives a new working pair, also after the access token expired", async () => {
    const first = (await (
      await tokenRequest(t, { grant_type: "client_credentials" }, basic(admin.key, admin.secret))
    ).json()) as TokenBody;
    t.sim.bitbucketTokens.expireAll();
    const expired = await api(t, "/2.0/user", first.access_token);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ type: "error", error: { message: "Access token expired." } });

    const res = await tokenRequest(
      t,
      { grant_type: "refresh_token", refresh_token: first.refresh_token },
      basic(admin.key, admin.secret),
    );
    expect(res.status).toBe(200);
    const second = (await res.json()) as TokenBody;
    expect(second.access_token).not.toBe(first.access_token);
    expect(second.state).toBe("refresh_token");
    expect((await api(t, "/2.0/user", second.access_token)).status).toBe(200);
  });

  it("refuses an unknown refresh token, and one presented by another consumer", async () => {
    const unknown = await tokenRequest(
      t,
      { grant_type: "refresh_token", refresh_token: "nope" },
      basic(admin.key, admin.secret),
    );
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: "invalid_grant", error_description: "Invalid refresh_token" });

    const adminToken = (await (
      await tokenRequest(t, { grant_type: "client_credentials" }, basic(admin.key, admin.secret))
    ).json()) as TokenBody;
    const foreign = await tokenRequest(
      t,
      { grant_type: "refresh_token", refresh_token: adminToken.refresh_token },
      basic(member.key, member.secret),
    );
    expect(foreign.status).toBe(400);
    expect(((await foreign.json()) as { error: string }).error).toBe("invalid_grant");
  });

  it("answers Bitbucket's 400 bodies for bad or missing consumers and unsupported grants", async () => {
    const wrong = await tokenRequest(t, { grant_type: "client_credentials" }, basic(admin.key, "wrong-secret"));
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({
      error: "unauthorized_client",
      error_description: "Invalid OAuth client credentials",
    });
    const none = await tokenRequest(t, { grant_type: "client_credentials" });
    expect(none.status).toBe(400);
    expect(await none.json()).toEqual({
      error: "unauthorized_client",
      error_description: "Requests must be authenticated using OAuth client credentials",
    });
    const password = await tokenRequest(t, { grant_type: "password" }, basic(admin.key, admin.secret));
    expect(password.status).toBe(400);
    expect(await password.json()).toEqual({
      error: "unsupported_grant_type",
      error_description: "Unsupported grant type: password",
    });
    // A JSON body is not read, as on Bitbucket: the grant type is missing.
    const asJson = await t.fetch(TOKEN_PATH, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: basic(admin.key, admin.secret) },
      body: JSON.stringify({ grant_type: "client_credentials" }),
    });
    expect(asJson.status).toBe(400);
    expect(await asJson.json()).toEqual({
      error: "unsupported_grant_type",
      error_description: "Unsupported grant type: None",
    });
  });

  it("is a read-only POST in the request log", async () => {
    t.sim.log.reset();
    await tokenRequest(t, { grant_type: "client_credentials" }, basic(admin.key, admin.secret));
    expect(t.sim.log.total("bitbucket-oauth")).toBe(1);
    expect(t.sim.log.writeCount()).toBe(0);
  });
});
