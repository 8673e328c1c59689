/**
 * Webhook signature verification for Bitbucket (and Jira) webhooks: `X-Hub-Signature: sha256=<hex>` where `<hex>`
 * is the lowercase hex HMAC-SHA-256 of the raw request body under the webhook secret.
 *
 * - Verify the **raw bytes** as received, before any JSON parsing (re-serializing changes the bytes).
 * - Mount the body-size limit before this (W9): the HMAC is computed over the whole body.
 * - One or two secrets are accepted, for a rotation window (W8): register the new secret upstream, deploy with
 *   `[new, old]`, then drop the old one.
 * - `verify` never throws (W5) and answers false for anything but an exact `sha256=` + 64 lowercase hex digits that
 *   matches; the comparison itself is constant-time over fixed-length digests.
 * - An empty secret is a configuration error raised at construction, so the app refuses to start (W4).
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { Secret } from "../config/secret.js";

/** The header Bitbucket and Jira sign with. */
export const SIGNATURE_HEADER = "x-hub-signature";
const SIGNATURE_RE = /^sha256=([0-9a-f]{64})$/;
const MAX_SECRETS = 2;

/** The verifier was configured without a usable secret. */
export class WebhookSecretConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookSecretConfigError";
  }
}

type SecretInput = Secret | string;

function toKey(secret: SecretInput, index: number): Buffer {
  const value = secret instanceof Secret ? secret.reveal() : secret;
  if (typeof value !== "string" || value.trim() === "") {
    throw new WebhookSecretConfigError(`webhook secret #${index + 1} is empty: refusing to verify webhooks with it`);
  }
  return Buffer.from(value, "utf8");
}

function bodyBytes(body: unknown): Buffer | null {
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  return null;
}

/** `sha256=<hex>` for a body: what the sender puts in the header (for the simulator and tests). */
export function signWebhookBody(body: Uint8Array | string, secret: SecretInput): string {
  const bytes = bodyBytes(body);
  if (!bytes) throw new TypeError("body must be a string or bytes");
  return `sha256=${createHmac("sha256", toKey(secret, 0)).update(bytes).digest("hex")}`;
}

export class WebhookVerifier {
  readonly #keys: readonly Buffer[];

  /**
   * @param secrets the current secret, or `[current, previous]` during a rotation window.
   * @throws WebhookSecretConfigError when no secret, an empty/blank secret, or more than two secrets are given.
   */
  constructor(secrets: SecretInput | readonly SecretInput[]) {
    const list: readonly SecretInput[] = Array.isArray(secrets) ? secrets : [secrets as SecretInput];
    if (list.length === 0) throw new WebhookSecretConfigError("no webhook secret configured");
    if (list.length > MAX_SECRETS) {
      throw new WebhookSecretConfigError(`at most ${MAX_SECRETS} webhook secrets (current and previous) are accepted`);
    }
    this.#keys = list.map(toKey);
  }

  /**
   * Which configured secret signed the body: 0 (current), 1 (previous), or -1 when none did or the input is not a
   * well-formed signature. Never throws. Every configured secret is tried, so timing does not reveal which matched.
   */
  match(rawBody: unknown, header: unknown): number {
    try {
      const value = Array.isArray(header) ? (header.length === 1 ? header[0] : undefined) : header;
      if (typeof value !== "string" || value.length !== 71) return -1;
      const hex = SIGNATURE_RE.exec(value)?.[1];
      if (hex === undefined) return -1;
      const bytes = bodyBytes(rawBody);
      if (!bytes) return -1;
      const presented = Buffer.from(hex, "hex");
      let matched = -1;
      this.#keys.forEach((key, i) => {
        const expected = createHmac("sha256", key).update(bytes).digest();
        if (timingSafeEqual(expected, presented) && matched === -1) matched = i;
      });
      return matched;
    } catch {
      return -1;
    }
  }

  /** True only when `header` is a correct `sha256=` signature of `rawBody` under a configured secret. Never throws. */
  verify(rawBody: unknown, header: unknown): boolean {
    return this.match(rawBody, header) !== -1;
  }

  toJSON(): string {
    return `WebhookVerifier(${this.#keys.length} secret${this.#keys.length === 1 ? "" : "s"})`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toJSON();
  }
}
