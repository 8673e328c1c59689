/**
 * Confluence v2 `POST /users-bulk` `{accountIds: 1–250}`: user details for known account ids, in request order;
 * unknown ids are left out ("`results` may be empty if no account IDs were found").
 */
import type { Hono } from "hono";
import type { SimEnv } from "../../http/env.js";
import { personalSpaceIds, viewOf } from "./access.js";
import { v2User, wikiBase } from "./render.js";
import { v2BadRequest } from "./v2-common.js";

/** `BulkUsersRequest.accountIds`: minItems 1, maxItems 250. */
const MAX_ACCOUNT_IDS = 250;

/** Registers `POST /wiki/api/v2/users-bulk`. */
export function registerV2Users(app: Hono<SimEnv>): void {
  app.post("/wiki/api/v2/users-bulk", async (c) => {
    const body = (await c.req.json().catch(() => null)) as { accountIds?: unknown } | null;
    const ids = body?.accountIds;
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
      return v2BadRequest(c, "accountIds must be an array of account ids");
    }
    if (ids.length < 1 || ids.length > MAX_ACCOUNT_IDS) {
      return v2BadRequest(c, `accountIds must hold between 1 and ${MAX_ACCOUNT_IDS} account ids`);
    }
    const view = viewOf(c);
    const personal = personalSpaceIds(view.state);
    const results = [];
    for (const id of new Set(ids as string[])) {
      const account = view.state.accountsById.get(id);
      if (account) results.push(v2User(view, account, personal.get(id)));
    }
    const base = wikiBase(c);
    c.header("Link", `<${base}>; rel="base"`);
    return c.json({ results, _links: { base } });
  });
}
