/**
 * @module lifecycle/audit
 *
 * The audit trail of lifecycle writes (D14): an `intent` entry before every write and a result entry after it
 * (`ok` or `error`), each with the actor, the action (`lifecycle.<step kind>`), the target, our request id, the
 * old and new values of the attributes the write changes, the HTTP status and — on a SCIM error — its `scimType`.
 * Steps that send nothing are recorded once: `noop`, `skipped` (a kill switch, D15), `denied` (a guard), and a
 * create that met an existing user is recorded as `adopted` (S1).
 *
 * What never goes in: secrets (the store also redacts secret-looking keys) and request or response bodies; an error
 * is reduced to its kind, status, `scimType`/code and the product's one-line message.
 */
import type { Store } from "../store/store.js";
import type { AttributeValues, PlanStep } from "./types.js";

export interface LifecycleAuditEntry {
  actor: string;
  /** `lifecycle.scim.user.deactivate`, `lifecycle.apply`, `lifecycle.model.patch`, … */
  action: string;
  target: string | null;
  /** `intent`, `ok`, `error`, `noop`, `skipped`, `denied`, `adopted`, `not-run`. */
  result: string;
  requestId?: string | null;
  details?: Record<string, unknown>;
}

/** Where lifecycle audit entries go. */
export interface AuditSink {
  append(entry: LifecycleAuditEntry): Promise<void>;
}

/** The tenant's audit log in the store. */
export function storeAuditSink(store: Store, tenantId: string): AuditSink {
  return {
    async append(e) {
      await store.appendAudit({
        tenantId,
        actor: e.actor,
        action: e.action,
        target: e.target,
        result: e.result,
        requestId: e.requestId ?? null,
        details: e.details ?? {},
      });
    },
  };
}

/** An in-memory audit log (tests; callers that forward entries elsewhere). */
export class MemoryAuditSink implements AuditSink {
  readonly entries: LifecycleAuditEntry[] = [];
  async append(entry: LifecycleAuditEntry): Promise<void> {
    this.entries.push(structuredClone(entry));
  }
}

/** The audit target of a step: `user:<accountId>`, `scim-user:<id>`, `group:<id>`, `membership:<group>/<user>`. */
export function auditTarget(
  step: Pick<PlanStep, "user" | "group">,
  ids: { accountId?: string | null; scimId?: string | null } = {},
): string | null {
  const accountId = ids.accountId ?? step.user?.accountId ?? null;
  const scimId = ids.scimId ?? step.user?.scimId ?? null;
  const user = accountId
    ? `user:${accountId}`
    : scimId
      ? `scim-user:${scimId}`
      : step.user
        ? `user:${step.user.ref}`
        : null;
  const group = step.group ? `group:${step.group.groupId ?? step.group.scimId ?? step.group.name}` : null;
  if (user && group) return `membership:${group.slice("group:".length)}/${user.slice(user.indexOf(":") + 1)}`;
  return user ?? group;
}

/** Old and new values of what a write changes, and nothing else. */
export function changedValues(
  old: AttributeValues | null,
  next: AttributeValues | null,
): { old: AttributeValues; new: AttributeValues } {
  const o: AttributeValues = {};
  const n: AttributeValues = {};
  for (const [k, v] of Object.entries(next ?? {})) {
    const before = old?.[k] ?? null;
    if (JSON.stringify(before) !== JSON.stringify(v)) {
      o[k] = before;
      n[k] = v;
    }
  }
  return { old: o, new: n };
}
