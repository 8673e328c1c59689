/**
 * The shared Transport's `Send` over Forge's native auth: `asApp().requestJira(route…)` /
 * `requestConfluence(route…)`. The shared Transport (pacing, retries, validation) and the readers run unchanged;
 * only the last hop differs from the backend's undici `send`.
 *
 * The Transport hands us an absolute URL under a synthetic base (`FORGE_PRODUCT_BASE`); Forge wants a path relative
 * to the product, built with the `route` tag so every interpolated piece is checked (no `/`, `..`, `?` or `#` inside
 * a path segment; query values encoded). We rebuild the route segment by segment from the parsed URL rather than
 * trusting the whole string (`assumeTrustedRoute`).
 */

import type { RawRequest, RawResponse, Send } from "@accessmap/shared/transport/transport";
import { asApp, asUser, type Route, route } from "@forge/api";

export type ForgeProduct = "jira" | "confluence";

/** The Transport's base URL under Forge: never contacted, stripped before each call. */
export const FORGE_PRODUCT_BASE: Record<ForgeProduct, string> = {
  jira: "https://jira.forge.invalid",
  confluence: "https://confluence.forge.invalid",
};

/** Builds the product-relative route for a URL under `base`, one checked parameter per path segment. */
export function routeFor(url: string, base: string): Route {
  const u = new URL(url);
  const b = new URL(base);
  if (u.origin !== b.origin) throw new Error(`refusing a URL outside the product base: ${u.origin}`);
  const basePath = b.pathname.replace(/\/+$/, "");
  if (basePath && !u.pathname.startsWith(`${basePath}/`)) throw new Error("refusing a path outside the product base");
  const rel = u.pathname.slice(basePath.length);
  // Segments stay percent-encoded as the URL holds them; `route` rejects any that would change the path.
  const segments = rel.split("/").slice(1);
  const hasQuery = u.search.length > 1;
  const strings = ["/", ...segments.slice(1).map(() => "/"), hasQuery ? "?" : ""];
  const params: Array<string | URLSearchParams> = [...segments];
  if (hasQuery) params.push(new URLSearchParams(u.searchParams));
  else strings.pop();
  // `route` is a template tag; call it with a synthesized strings array (a TemplateStringsArray needs `raw`).
  const template = Object.assign([...strings], { raw: [...strings] }) as unknown as TemplateStringsArray;
  return route(template, ...params);
}

export interface ForgeSendOptions {
  product: ForgeProduct;
  /** `app` (the default: the app user) or a user's account id for `asUser`. */
  as?: "app" | { accountId: string };
}

/** A `Send` for one product through `@forge/api`. Forge does not retry: the Transport does. */
export function forgeSend(opts: ForgeSendOptions): Send {
  const base = FORGE_PRODUCT_BASE[opts.product];
  return async (req: RawRequest): Promise<RawResponse> => {
    const client = opts.as === undefined || opts.as === "app" ? asApp() : asUser(opts.as.accountId);
    const path = routeFor(req.url, base);
    // Forge supplies the credential; never forward one the Transport may have set.
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => k.toLowerCase() !== "authorization"),
    );
    const init = { method: req.method, headers, body: req.body, signal: req.signal };
    const res =
      opts.product === "jira" ? await client.requestJira(path, init) : await client.requestConfluence(path, init);
    return { status: res.status, headers: res.headers, text: () => res.text() };
  };
}
