/**
 * `computeInsights(model, opts)`: every finding the model supports, most severe first (then by kind). A kind that
 * finds nothing is left out; `INSIGHT_KINDS` lists them all. Each kind's rule and severity are documented in its
 * file: `accounts.ts` (people and accounts), `exposure.ts` (public and broad grants), `bitbucket.ts` (repositories).
 */
import type { Model } from "../types.js";
import {
  accountsWithoutIdpIdentity,
  dormantGrants,
  idpDeactivatedStillActive,
  inactiveBillableAccounts,
  outsidersWithWriteOrAdmin,
} from "./accounts.js";
import {
  fallbackRepositoryAccess,
  privateRepositoriesAllowForks,
  publicRepositories,
  unprotectedDefaultBranches,
} from "./bitbucket.js";
import { broadAdminGrants, publicOrUnlicensedAccess } from "./exposure.js";
import { type Finding, INSIGHT_KINDS, InsightContext, type InsightOptions, SEVERITIES } from "./types.js";

export type { EvidenceRow, Finding, InsightKind, InsightOptions, Severity } from "./types.js";
export { INSIGHT_KINDS, SEVERITIES } from "./types.js";

const INSIGHTS = [
  inactiveBillableAccounts,
  accountsWithoutIdpIdentity,
  idpDeactivatedStillActive,
  outsidersWithWriteOrAdmin,
  publicOrUnlicensedAccess,
  broadAdminGrants,
  publicRepositories,
  privateRepositoriesAllowForks,
  unprotectedDefaultBranches,
  dormantGrants,
  fallbackRepositoryAccess,
];

/** All findings of the model, most severe first. */
export function computeInsights(model: Model, opts: InsightOptions = {}): Finding[] {
  const ctx = new InsightContext(model, opts);
  const out: Finding[] = [];
  for (const insight of INSIGHTS) {
    const f = insight(ctx);
    if (f) out.push(f);
  }
  return out.sort(
    (a, b) =>
      SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
      INSIGHT_KINDS.indexOf(a.kind) - INSIGHT_KINDS.indexOf(b.kind),
  );
}
