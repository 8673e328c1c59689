/**
 * Errors as the admin page shows them: every resolver answers an `AdminFailure` (code + plain message + the fields
 * at fault) instead of throwing, so the page can say what went wrong and nothing internal (stack, URL, token)
 * reaches it.
 */

import { RemoteError } from "@accessmap/forge-app/remote/backend";
import type { AdminFailure, FieldProblem } from "@accessmap/shared/wire/admin";
import { z } from "zod";

/** One field at fault as the backend names it (`details.issues`): `path` (`body.orgId`) or `field` (`orgId`). */
const BackendIssue = z.union([
  z.object({ field: z.string(), message: z.string() }),
  z.object({ path: z.string(), message: z.string() }),
]);
const BackendDetails = z.object({ issues: z.array(z.unknown()) });

/** Form field names as the page uses them: the backend's `body.` prefix removed. */
function fieldName(path: string): string {
  return path.replace(/^body\./, "");
}

/** The fields a backend validation error names (malformed entries are skipped). */
export function backendFields(details: unknown): FieldProblem[] {
  const parsed = BackendDetails.safeParse(details);
  if (!parsed.success) return [];
  const out: FieldProblem[] = [];
  for (const raw of parsed.data.issues) {
    const issue = BackendIssue.safeParse(raw);
    if (!issue.success) continue;
    const name = "field" in issue.data ? issue.data.field : issue.data.path;
    out.push({ field: fieldName(name), message: issue.data.message });
  }
  return out;
}

/** A payload that failed the contract schema: each issue as a field problem (`lifecycle.scimUrl`). */
export function invalidPayload(error: z.ZodError): AdminFailure {
  const fields = error.issues.map((i) => ({
    field: i.path.map(String).join(".") || "(form)",
    message: i.message,
  }));
  return { ok: false, code: "invalid", message: "Some fields need attention.", fields };
}

const PASSTHROUGH_CODES = new Set(["no_model", "not_found", "stale_plan", "not_configured", "conflict"]);

/** The page's view of a failed backend call (or any other error in a resolver). */
export function failureOf(err: unknown): AdminFailure {
  if (err instanceof RemoteError) {
    const message = err.detailMessage;
    if (err.status === 422 || err.status === 400) {
      const fields = backendFields(err.details);
      return {
        ok: false,
        code: "invalid",
        message: message ?? "The accessmap service did not accept the values.",
        ...(fields.length > 0 ? { fields } : {}),
      };
    }
    const code = err.code;
    if ((err.status === 404 || err.status === 409) && code && PASSTHROUGH_CODES.has(code)) {
      return { ok: false, code: code as AdminFailure["code"], message: message ?? defaultMessage(code) };
    }
    if (err.status === 404) return { ok: false, code: "not_found", message: message ?? defaultMessage("not_found") };
    if (err.status === 409) return { ok: false, code: "conflict", message: message ?? defaultMessage("conflict") };
    if (err.status === 401 || err.status === 403) {
      return {
        ok: false,
        code: "backend",
        message:
          "The accessmap service does not recognise this installation yet. If the app was just installed, wait a minute and try again.",
      };
    }
    return {
      ok: false,
      code: "backend",
      message: `The accessmap service could not answer (HTTP ${err.status}). Try again in a minute.`,
    };
  }
  // An answer that broke the contract, a network failure, a bug: logged by name only, shown in plain words.
  console.error("admin resolver failed", err instanceof Error ? err.name : typeof err);
  return { ok: false, code: "backend", message: "Something went wrong while asking the accessmap service. Try again." };
}

function defaultMessage(code: string): string {
  switch (code) {
    case "no_model":
      return "There is no data yet: run a sync first.";
    case "not_found":
      return "Not found: it may have been removed since the page loaded.";
    case "stale_plan":
      return "The plan is out of date: preview it again before applying.";
    case "not_configured":
      return "accessmap is not configured yet: fill in the settings first.";
    default:
      return "The request conflicts with the current state: reload and try again.";
  }
}
