/**
 * The page's typed access to its resolver: `invoke(key, payload)` over `@forge/bridge`, with the answer checked
 * against the contract (`ADMIN_RESOLVERS`). Never throws: a bridge failure or a malformed answer comes back as an
 * `AdminFailure` the page can show.
 */
import {
  ADMIN_RESOLVERS,
  type AdminAnswer,
  type AdminFailure,
  type AdminPayload,
  type AdminResolverKey,
  answer,
} from "@accessmap/shared/wire/admin";
import { invoke } from "@forge/bridge";

const unreachable: AdminFailure = {
  ok: false,
  code: "backend",
  message: "The app could not be reached. Reload the page and try again.",
};
const malformed: AdminFailure = {
  ok: false,
  code: "backend",
  message: "The app answered in a form this page does not understand. Reload the page.",
};

/** Calls one resolver function; the answer is the data or a failure to show. */
export async function callResolver<K extends AdminResolverKey>(
  key: K,
  payload: AdminPayload<K>,
): Promise<AdminAnswer<K>> {
  let raw: unknown;
  try {
    raw = await invoke(key, payload as Record<string, unknown>);
  } catch {
    return unreachable;
  }
  const parsed = answer(ADMIN_RESOLVERS[key].data).safeParse(raw);
  return parsed.success ? (parsed.data as AdminAnswer<K>) : malformed;
}
