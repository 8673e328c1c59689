/**
 * Redaction of secrets from anything that may be logged or shown: URLs (userinfo and sensitive query values) and
 * header maps. Used by the transport for every error and log line.
 */

const SENSITIVE_KEY = /token|secret|password|passwd|key|signature|authorization|cookie|code|session|jwt/i;

/** Removes userinfo and the values of sensitive query parameters from a URL. */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw.replace(/([?&][^=&]*(?:token|secret|key|password|signature|code)[^=&]*=)[^&]*/gi, "$1REDACTED");
  }
  url.username = "";
  url.password = "";
  for (const k of [...url.searchParams.keys()]) {
    if (SENSITIVE_KEY.test(k)) url.searchParams.set(k, "REDACTED");
  }
  return url.toString();
}

/** A copy of a header map with sensitive values replaced. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    out[k] = SENSITIVE_KEY.test(k) || /^x-forge-oauth/i.test(k) ? "REDACTED" : v;
  return out;
}
