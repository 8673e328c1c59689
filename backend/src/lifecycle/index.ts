/**
 * @module lifecycle
 *
 * Lifecycle management as a library, for the CLI, the HTTP API and the Forge admin page alike:
 * `parseDesiredState` (a joiners/movers/leavers file) → `planLifecycle` (the dry run: every call, each target's
 * current and intended state) → `applyPlan` (re-validated, ordered, idempotent, audited; the model patched at once).
 *
 * @example
 * const { scim, admin } = buildLifecycleClients(config, { send, schemaMode: "warn" });
 * const deps = { scim, admin, store, tenantId, actor: "user:712020:…", options: { selfEmail: config.productUser } };
 * const plan = await planLifecycle(parseDesiredState(csv, "leavers.csv"), deps);
 * const report = await applyPlan(plan, deps);
 */
export { type ApplyOptions, applyPlan, planDifferences } from "./apply.js";
export { type AuditSink, MemoryAuditSink, storeAuditSink } from "./audit.js";
export { AdminClient } from "./clients/admin-client.js";
export { buildLifecycleClients, type LifecycleClients, missingLifecycleConfig } from "./clients/build.js";
export { ErrorBodyTap } from "./clients/error-bodies.js";
export { ScimClient } from "./clients/scim-client.js";
export { DesiredStateError, parseDesiredState } from "./desired-state.js";
export { commitPatchedModel, patchModel } from "./patch-model.js";
export { type LifecycleDeps, planFingerprint, planLifecycle } from "./plan.js";
export * from "./types.js";
