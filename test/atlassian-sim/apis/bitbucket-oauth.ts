/**
 * Bitbucket Cloud's OAuth 2.0 token endpoint (`POST https://bitbucket.org/site/oauth2/access_token`), for the
 * grants a server-side integration uses: `client_credentials` and `refresh_token`.
 *
 * The consumer authenticates with HTTP Basic `key:secret` or with `client_id`/`client_secret` form fields, and the
 * body is form-encoded (a JSON body is not read, so its grant type is missing, as on Bitbucket).
 * Success: `{access_token, scopes, expires_in, refresh_token, token_type: "bearer", state}`, where `state` names the
 * grant (support.atlassian.com "Use OAuth on Bitbucket Cloud"). Failures answer 400 with an RFC 6749 §5.2 body;
 * Bitbucket reports a bad or missing consumer as `unauthorized_client` (not RFC 6749's `invalid_client`/401), with
 * the descriptions "Invalid OAuth client credentials" and "Requests must be authenticated using OAuth client
 * credentials" (observed responses quoted in p2/OAuth2#96 and harness/harness#1650), and an unknown grant as
 * `unsupported_grant_type` "Unsupported grant type: <value>" (Python's `None` when absent).
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { basicCredentials, safeEqual } from "../http/auth.js";
import type { SimEnv } from "../http/env.js";
import type { SimCredentials } from "../tenant/model.js";

/**
 * Scopes granted to each consumer, as Bitbucket lists them (space-separated). The admin consumer carries the
 * `:admin` scopes that `permissions-config` and branch restrictions require.
 */
const ADMIN_SCOPES = "account team project project:admin repository repository:admin";
const MEMBER_SCOPES = "account team project repository";

function oauthError(c: Context<SimEnv>, error: string, description: string) {
  return c.json({ error, error_description: description }, 400);
}

/** The consumer key whose credentials the request presents, `null` when it presents none, `false` when they are wrong. */
function authenticate(c: Context<SimEnv>, form: Record<string, unknown>, creds: SimCredentials): string | null | false {
  const basic = basicCredentials(c);
  const id = basic?.user ?? (typeof form.client_id === "string" ? form.client_id : undefined);
  const secret = basic?.password ?? (typeof form.client_secret === "string" ? form.client_secret : undefined);
  if (id === undefined || secret === undefined) return null;
  for (const consumer of [creds.bitbucketAdminConsumer, creds.bitbucketMemberConsumer]) {
    if (consumer.key === id && safeEqual(consumer.secret, secret)) return consumer.key;
  }
  return false;
}

/** Routes of bitbucket.org's OAuth token endpoint. */
export function bitbucketOAuthApi(): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  app.post("/site/oauth2/access_token", async (c) => {
    const sim = c.get("sim");
    const creds = sim.state.tenant.credentials;
    const contentType = c.req.header("content-type") ?? "";
    const form = /application\/x-www-form-urlencoded|multipart\/form-data/i.test(contentType)
      ? await c.req.parseBody()
      : {};
    const consumerKey = authenticate(c, form, creds);
    if (consumerKey === null) {
      return oauthError(c, "unauthorized_client", "Requests must be authenticated using OAuth client credentials");
    }
    if (consumerKey === false) return oauthError(c, "unauthorized_client", "Invalid OAuth client credentials");

    const grant = typeof form.grant_type === "string" ? form.grant_type : undefined;
    let issued: ReturnType<typeof sim.bitbucketTokens.issue>;
    if (grant === "client_credentials") {
      issued = sim.bitbucketTokens.issue(consumerKey);
    } else if (grant === "refresh_token") {
      const refreshToken = typeof form.refresh_token === "string" ? form.refresh_token : "";
      const refreshed = refreshToken ? sim.bitbucketTokens.refresh(refreshToken) : null;
      if (!refreshed || refreshed.consumerKey !== consumerKey) {
        return oauthError(c, "invalid_grant", "Invalid refresh_token");
      }
      issued = refreshed;
    } else {
      return oauthError(c, "unsupported_grant_type", `Unsupported grant type: ${grant ?? "None"}`);
    }
    return c.json({
      access_token: issued.accessToken,
      scopes: consumerKey === creds.bitbucketAdminConsumer.key ? ADMIN_SCOPES : MEMBER_SCOPES,
      expires_in: sim.bitbucketTokens.ttlSeconds,
      refresh_token: issued.refreshToken,
      token_type: "bearer",
      state: grant,
    });
  });

  return app;
}
