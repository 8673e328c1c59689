/**
 * Who may use the admin page. Its resolvers act for the whole tenant (the backend trusts the app's invocation
 * token), so each one first asks the product, as the calling user (`asUser()`), whether that user administers it:
 *
 * - Jira: `GET /rest/api/3/mypermissions?permissions=ADMINISTER` → `permissions.ADMINISTER.havePermission`
 *   (site admins hold *Administer Jira* too).
 * - Confluence: `GET /wiki/rest/api/user/current?expand=operations` → an `administer` operation on `application`
 *   (Confluence v1 `getCurrentUser`, `OperationCheckResult`; site admins hold it too).
 *
 * Anything else — another answer, a failed call, no user in the invocation — refuses (fail closed).
 */
import { asUser, route } from "@forge/api";
import { z } from "zod";

export type HostProduct = "jira" | "confluence";

/** The module types the page is declared under in manifest.yml. */
const MODULE_PRODUCTS: Record<string, HostProduct> = {
  "jira:adminPage": "jira",
  "confluence:globalSettings": "confluence",
};

/** Which product the page runs in: the extension's module type, else the installation's context ARI. */
export function hostProductOf(context: { extension?: unknown; installContext?: unknown }): HostProduct | null {
  const type = (context.extension as { type?: unknown } | undefined)?.type;
  if (typeof type === "string" && MODULE_PRODUCTS[type]) return MODULE_PRODUCTS[type];
  const ari = context.installContext;
  if (typeof ari === "string") {
    if (ari.startsWith("ari:cloud:jira:")) return "jira";
    if (ari.startsWith("ari:cloud:confluence:")) return "confluence";
  }
  return null;
}

const MyPermissions = z.object({
  permissions: z.record(z.string(), z.object({ havePermission: z.boolean() })),
});

const CurrentUser = z.object({
  operations: z.array(z.object({ operation: z.string(), targetType: z.string() })).nullish(),
});

export type AdminCheck =
  | { admin: true; product: HostProduct }
  | {
      admin: false;
      /** `not_admin`: the product said no; `unavailable`: the question could not be answered (try again). */
      reason: "not_admin" | "unavailable";
      message: string;
    };

const LABEL: Record<HostProduct, string> = { jira: "Jira", confluence: "Confluence" };

function refuse(product: HostProduct | null): AdminCheck {
  const where = product ? `a ${LABEL[product]} administrator` : "a Jira or Confluence administrator";
  return {
    admin: false,
    reason: "not_admin",
    message: `Only ${where} can use accessmap's admin page. Ask a site or product admin for access.`,
  };
}

function unavailable(product: HostProduct, status: number | null): AdminCheck {
  const what = status === null ? "could not be reached" : `answered HTTP ${status}`;
  return {
    admin: false,
    reason: "unavailable",
    message: `accessmap could not confirm that you are a ${LABEL[product]} administrator: ${LABEL[product]} ${what}. Try again in a minute.`,
  };
}

/** Asks `product`, as the calling user, whether that user is an administrator. */
export async function checkAdmin(
  product: HostProduct | null,
  accountId: string | null | undefined,
): Promise<AdminCheck> {
  if (!product || !accountId) return refuse(product);
  let res: Awaited<ReturnType<ReturnType<typeof asUser>["requestJira"]>>;
  try {
    res =
      product === "jira"
        ? await asUser().requestJira(route`/rest/api/3/mypermissions?permissions=ADMINISTER`, {
            headers: { accept: "application/json" },
          })
        : await asUser().requestConfluence(route`/wiki/rest/api/user/current?expand=operations`, {
            headers: { accept: "application/json" },
          });
  } catch (err) {
    // A proxy error (`ProxyRequestError`, `NeedsAuthenticationError`) or a network failure: no answer.
    console.warn("admin check failed", product, err instanceof Error ? err.name : typeof err);
    return unavailable(product, null);
  }
  const text = await res.text();
  // 401/403: the user may not use the product at all (Confluence: "does not have permission to use Confluence").
  if (res.status === 401 || res.status === 403) return refuse(product);
  if (res.status !== 200) return unavailable(product, res.status);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return unavailable(product, res.status);
  }
  if (product === "jira") {
    const parsed = MyPermissions.safeParse(body);
    if (!parsed.success) return unavailable(product, res.status);
    return parsed.data.permissions.ADMINISTER?.havePermission === true ? { admin: true, product } : refuse(product);
  }
  const parsed = CurrentUser.safeParse(body);
  if (!parsed.success) return unavailable(product, res.status);
  const ops = parsed.data.operations ?? [];
  return ops.some((o) => o.operation === "administer" && o.targetType === "application")
    ? { admin: true, product }
    : refuse(product);
}
