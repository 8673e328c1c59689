/**
 * Bitbucket webhook deliveries → normalized events.
 *
 * **W10 (`X-Event-Key` is not signed, the body is).** The event family is derived from the signed payload
 * (`pullrequest` → `pullrequest:*`, `repository` → `repo:*`, `project` without a repository → `project:*`); a header
 * whose family disagrees with the payload is **rejected** (400 `event_key_mismatch`): it is either a tampered header
 * or a sender bug, and routing by a header that contradicts the signed body would be guessing.
 *
 * Bitbucket has no member or permission events (atlassian-api.md §4): repository and project lifecycle events are
 * the hints that a repository's permissions or branch restrictions may have changed, so they re-read what they name
 * (the repository — by `{uuid}`, else its `full_name` — or the project, by key) and, when they name nothing, the
 * Bitbucket section. Pushes, pull requests, issues and commit statuses change no access: they are acknowledged and
 * ignored.
 *
 * @module
 */
import type { EventScope, NormalizedEvent } from "./types.js";

/** Event keys that can change who has access (re-read the Bitbucket section). */
const RELEVANT = new Set([
  "repo:created",
  "repo:updated",
  "repo:deleted",
  "repo:transfer",
  "repo:imported",
  "repo:fork",
  "project:updated",
]);

export type BitbucketParse =
  | { ok: true; event: NormalizedEvent | null; eventKey: string }
  | { ok: false; code: "invalid_payload" | "event_key_mismatch"; message: string };

const EVENT_KEY_RE = /^[a-z_]+:[a-z_]+$/;

function familyOfPayload(p: Record<string, unknown>): string | null {
  if (p.pullrequest && typeof p.pullrequest === "object") return "pullrequest";
  if (p.issue && typeof p.issue === "object") return "issue";
  if (p.repository && typeof p.repository === "object") return "repo";
  if (p.project && typeof p.project === "object") return "project";
  return null;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

/** Parses a verified delivery's raw body with its (unsigned) event key header. */
export function parseBitbucketDelivery(
  tenantId: string,
  rawBody: string,
  eventKeyHeader: string | undefined,
  deliveryId: string | null,
  receivedAt: number,
): BitbucketParse {
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody);
  } catch {
    return { ok: false, code: "invalid_payload", message: "the body is not valid JSON" };
  }
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) {
    return { ok: false, code: "invalid_payload", message: "the body is not a JSON object" };
  }
  const p = payload as Record<string, unknown>;
  const family = familyOfPayload(p);
  const key = eventKeyHeader?.trim() ?? "";
  if (!EVENT_KEY_RE.test(key)) {
    return { ok: false, code: "invalid_payload", message: "X-Event-Key is missing or malformed" };
  }
  const headerFamily = key.split(":")[0];
  if (family === null || headerFamily !== family) {
    return {
      ok: false,
      code: "event_key_mismatch",
      message: `X-Event-Key ${key} does not match the payload (${family ?? "unrecognised"} event)`,
    };
  }
  if (!RELEVANT.has(key)) return { ok: true, event: null, eventKey: key };
  const repo = (p.repository ?? {}) as Record<string, unknown>;
  const project = (p.project ?? {}) as Record<string, unknown>;
  const target = str(repo.uuid) ?? str(repo.full_name) ?? str(project.uuid) ?? str(project.key);
  const scopes: EventScope[] = [];
  const repoRef = (r: Record<string, unknown>) => str(r.uuid) ?? str(r.full_name)?.split("/").slice(1).join("/");
  if (family === "repo") {
    // A fork event names the new repository as `fork`; the original's access does not change, but it is cheap.
    for (const r of [repo, (p.fork ?? {}) as Record<string, unknown>]) {
      const ref = repoRef(r);
      if (ref) scopes.push({ section: "bitbucket", kind: "repository", ref });
    }
  } else {
    const ref = str(project.key);
    if (ref) scopes.push({ section: "bitbucket", kind: "project", ref });
  }
  return {
    ok: true,
    eventKey: key,
    event: {
      tenantId,
      source: "bitbucket-webhook",
      kind: key,
      sections: ["bitbucket"],
      ...(scopes.length > 0 ? { scopes } : {}),
      target,
      deliveryId,
      receivedAt,
    },
  };
}
