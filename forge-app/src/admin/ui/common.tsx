/**
 * Pieces every tab uses: a failure as a section message, field errors under a form field, lozenges for run and
 * step states, and the labels of products and resource kinds.
 */
import type { AdminFailure, FieldProblem, ResourceKind } from "@accessmap/shared/wire/admin";
import { ErrorMessage, Lozenge, SectionMessage, Text } from "@forge/react";

const FAILURE_TITLES: Record<AdminFailure["code"], string> = {
  not_admin: "Administrators only",
  invalid: "Some fields need attention",
  not_configured: "accessmap is not configured yet",
  no_model: "No data yet",
  not_found: "Not found",
  stale_plan: "The plan is out of date",
  backend: "The accessmap service could not answer",
  conflict: "Conflict",
};

/** A resolver failure, in plain words. */
export function FailureMessage({ failure }: { failure: AdminFailure }) {
  const appearance = failure.code === "no_model" || failure.code === "not_configured" ? "information" : "error";
  return (
    <SectionMessage appearance={appearance} title={FAILURE_TITLES[failure.code]}>
      <Text>{failure.message}</Text>
    </SectionMessage>
  );
}

/** The problems of one form field, each as an error message under it. */
export function FieldErrors({ problems, field }: { problems: readonly FieldProblem[]; field: string }) {
  return (
    <>
      {problems
        .filter((p) => p.field === field)
        .map((p) => (
          <ErrorMessage key={`${p.field}:${p.message}`}>{p.message}</ErrorMessage>
        ))}
    </>
  );
}

type LozengeAppearance = "default" | "inprogress" | "moved" | "new" | "removed" | "success";

const STATE_APPEARANCE: Record<string, LozengeAppearance> = {
  complete: "success",
  ok: "success",
  applied: "success",
  done: "success",
  partial: "moved",
  pending: "inprogress",
  running: "inprogress",
  noop: "default",
  skipped: "default",
  failed: "removed",
  refused: "removed",
  error: "removed",
};

/** A run, check or step state as a lozenge (unknown states stay neutral). */
export function StateLozenge({ state }: { state: string }) {
  return <Lozenge appearance={STATE_APPEARANCE[state] ?? "default"}>{state}</Lozenge>;
}

const SEVERITY_APPEARANCE: Record<string, LozengeAppearance> = {
  critical: "removed",
  high: "moved",
  medium: "inprogress",
  low: "default",
};

/** A finding's severity as a lozenge. */
export function SeverityLozenge({ severity }: { severity: string }) {
  return (
    <Lozenge appearance={SEVERITY_APPEARANCE[severity] ?? "default"} isBold={severity === "critical"}>
      {severity}
    </Lozenge>
  );
}

export const PRODUCT_LABELS: Record<string, string> = {
  admin: "Organization",
  jira: "Jira",
  "jira-software": "Jira",
  "jira-servicedesk": "Jira Service Management",
  "jira-core": "Jira Work Management",
  confluence: "Confluence",
  bitbucket: "Bitbucket",
  scim: "Identity provider (SCIM)",
};

/** A product's name for people. */
export const productLabel = (p: string) => PRODUCT_LABELS[p] ?? p;

export const RESOURCE_LABELS: Record<ResourceKind, string> = {
  org: "Organization",
  site: "Site",
  jira_project: "Jira project",
  confluence_space: "Confluence space",
  bitbucket_workspace: "Bitbucket workspace",
  bitbucket_project: "Bitbucket project",
  bitbucket_repo: "Bitbucket repository",
};

/** A `SerialisableEvent`'s value (Textfield, Select) as UI Kit hands it to `onChange`. */
export function eventValue(e: unknown): string {
  const v = (e as { target?: { value?: unknown } } | null)?.target?.value;
  return typeof v === "string" ? v : "";
}
