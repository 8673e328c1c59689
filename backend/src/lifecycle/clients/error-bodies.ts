/**
 * @module lifecycle/clients/error-bodies
 *
 * The shared transport reduces an error body to the product's message, which is right for logs but loses what a
 * lifecycle write needs to decide and to audit: the SCIM `scimType` (`uniqueness`, `mutability`, …; RFC 7644 §3.12)
 * and the Admin API's error `code`. `ErrorBodyTap` wraps the platform's `send` and keeps the error body of each
 * request that carries an `x-request-id`, so the client can look it up by the id it sent.
 *
 * S2: the `status` of a SCIM error is read whether it is the string `"409"` (as Atlassian sends it) or the number,
 * a missing `scimType` is null, and a body that is not JSON gives nulls; the raw text is kept for diagnosis on a
 * non-enumerable property, so it never reaches a log line, an audit row or `JSON.stringify`.
 */
import type { RawRequest, RawResponse, Send } from "@accessmap/shared/transport/transport";

export const REQUEST_ID_HEADER = "x-request-id";

/** What an error body said, parsed leniently. */
export interface ErrorBody {
  /** The body's own `status` (SCIM sends a string), as a number; null when absent or not a number. */
  status: number | null;
  /** SCIM `scimType`, or null. */
  scimType: string | null;
  /** Admin API `errors[0].code` (`ADMIN-UAM-403-1`), user-management `key`, or null. */
  code: string | null;
  /** `detail`, `errors[0].detail`/`title`, `message`, or null; at most 300 characters. */
  detail: string | null;
  /** The raw body: kept for diagnosis, never enumerable, never logged. */
  readonly raw: string;
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v.slice(0, 300) : null);

/** Parses an error body leniently; never throws. */
export function parseErrorBody(text: string): ErrorBody {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's HTML page, a truncated body): every field stays null.
  }
  const first = Array.isArray(body.errors) ? (body.errors[0] as Record<string, unknown> | undefined) : undefined;
  const rawStatus = body.status ?? first?.status;
  const status =
    typeof rawStatus === "number"
      ? rawStatus
      : typeof rawStatus === "string" && /^\d{3}$/.test(rawStatus.trim())
        ? Number(rawStatus.trim())
        : null;
  const out = {
    status,
    scimType: str(body.scimType),
    code: str(first?.code) ?? str(body.key) ?? (typeof body.code === "string" ? str(body.code) : null),
    detail: str(body.detail) ?? str(first?.detail) ?? str(first?.title) ?? str(body.message) ?? str(body.error),
  } as ErrorBody;
  Object.defineProperty(out, "raw", { value: text, enumerable: false });
  return out;
}

/** Keeps the error bodies of tagged requests until the client takes them (bounded: the oldest go first). */
export class ErrorBodyTap {
  private readonly bodies = new Map<string, ErrorBody>();

  constructor(private readonly max = 200) {}

  /** Wraps a `send`: responses of 400 and above to requests with an `x-request-id` have their body kept. */
  wrap(send: Send): Send {
    return async (req: RawRequest): Promise<RawResponse> => {
      const res = await send(req);
      const id = req.headers[REQUEST_ID_HEADER];
      if (res.status < 400 || !id) return res;
      const text = await res.text();
      this.bodies.delete(id);
      this.bodies.set(id, parseErrorBody(text));
      while (this.bodies.size > this.max) {
        const oldest = this.bodies.keys().next().value;
        if (oldest === undefined) break;
        this.bodies.delete(oldest);
      }
      return { status: res.status, headers: res.headers, text: async () => text };
    };
  }

  /** The error body of the last answer to the request with this id, removed from the tap; null when none. */
  take(requestId: string): ErrorBody | null {
    const body = this.bodies.get(requestId) ?? null;
    this.bodies.delete(requestId);
    return body;
  }
}
