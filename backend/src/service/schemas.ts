/**
 * Response schemas shared by several routes, and the views that turn store records into them. Free text that a
 * run or a worker wrote (reasons, errors) goes through the redactor before it is returned.
 *
 * @module
 */
import { ProductStatus } from "@accessmap/shared/snapshot/schema";
import { z } from "zod";
import { AccessEntryExport } from "../model/exports/json.js";
import { redact, redactString } from "../security/logger.js";
import { JOB_STATES, SNAPSHOT_STATES, type SnapshotRecord, type SyncJob } from "../store/store.js";
import { ERROR_CODES } from "./errors.js";

export const ErrorResponse = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES as [string, ...string[]]),
    message: z.string(),
    requestId: z.string().describe("Also in the X-Request-Id header; quote it when reporting a problem."),
    details: z.unknown().optional().describe("For validation errors: { issues: [{ path, message }] }."),
  }),
});

export const TenantIdParam = z.object({
  tenantId: z.string().min(1).max(200).describe("The tenant's id."),
});

export const ModelRef = z
  .object({
    version: z.number().int().describe("The snapshot version the answer was computed from."),
    runId: z.string(),
    committedAt: z.string(),
  })
  .describe("The model an answer comes from: every part of the answer belongs to this one version.");

export const AccessEntry = AccessEntryExport;

export const SnapshotView = z.object({
  version: z.number().int(),
  runId: z.string(),
  state: z.enum(SNAPSHOT_STATES as [string, ...string[]]),
  current: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  statuses: z.array(ProductStatus),
  counts: z.record(z.string(), z.number()),
  reason: z.string().nullable(),
  decidedBy: z.string().nullable(),
  modelSha256: z.string().nullable(),
});
export type SnapshotView = z.infer<typeof SnapshotView>;

export function snapshotView(r: SnapshotRecord): SnapshotView {
  return {
    version: r.version,
    runId: r.runId,
    state: r.state,
    current: r.current,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    statuses: r.statuses.map((s) => ({ ...s, reasons: s.reasons.map(redactString) })),
    counts: r.counts,
    reason: r.reason === null ? null : redactString(r.reason),
    decidedBy: r.decidedBy,
    modelSha256: r.modelSha256,
  };
}

export const JobView = z.object({
  id: z.string(),
  tenantId: z.string(),
  kind: z.string(),
  state: z.enum(JOB_STATES as [string, ...string[]]),
  requestedBy: z
    .string()
    .nullable()
    .describe("Who asked: operator, apikey:<id>, forge:<installation>, system:scheduler."),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  cancelRequested: z.boolean(),
  runAfter: z.string(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
});
export type JobView = z.infer<typeof JobView>;

export function jobView(j: SyncJob): JobView {
  const requestedBy = j.payload.actor;
  return {
    id: j.id,
    tenantId: j.tenantId,
    kind: j.kind,
    state: j.state,
    requestedBy: typeof requestedBy === "string" ? requestedBy : null,
    attempts: j.attempts,
    maxAttempts: j.maxAttempts,
    cancelRequested: j.cancelRequested,
    runAfter: j.runAfter,
    createdAt: j.createdAt,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
    error: j.error === null ? null : redactString(j.error),
    result: j.result === null ? null : (redact(j.result) as Record<string, unknown>),
  };
}
