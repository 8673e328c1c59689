/**
 * @module lifecycle/apply
 *
 * `applyPlan(plan, deps)`: carries a plan out, step by step, idempotently and audited.
 *
 * 1. **Re-validate (D13).** The requests are planned again through `planLifecycle` — the very code that made the
 *    plan, so a dry run and an apply cannot disagree — and the fresh plan's fingerprint must equal the plan's. A plan
 *    whose state moved (a user deactivated meanwhile, a member added, a kill switch turned on) is refused with the
 *    differences; plan again. A blocked plan (over the deprovision limit without force) is refused too.
 * 2. **Run in order.** Steps run one after the other in plan order (groups, users, memberships, deactivations,
 *    deletions). A step whose prerequisite failed is `not-run`; the others still run. Every step gets a result —
 *    `ok`, `adopted`, `noop`, `refused`, `skipped`, `failed`, `not-run` — nothing is silently dropped.
 * 3. **Never resend blindly (H7, S15).** The transport retries only idempotent requests. When a POST or PATCH fails
 *    with a 429, a 5xx, a reset or a timeout, it may or may not have happened: the engine reads the state again
 *    first (the read waits out any Retry-After, the governor pauses the API) and sends again only if the change is
 *    not there, at most `maxWriteAttempts` times. A SCIM 409 on create is never resent: the existing user is read and
 *    adopted (S1). A membership already there (409) is a no-op.
 * 4. **Audit every write (D14).** An `intent` entry before and an `ok`/`error` entry after each write, with our
 *    request id, old/new values and the `scimType` of a SCIM error; single entries for no-ops, skips (D15), refusals
 *    and adoptions.
 * 5. **Patch the model.** With a store, the changes are reflected in the current model at once (`patch-model.ts`).
 *
 * @example
 * const plan = await planLifecycle(requests, deps);           // dry run: show plan.steps
 * const report = await applyPlan(plan, { ...deps, store, tenantId, actor: "user:712020:…" });
 * report.results.filter((r) => r.status === "failed");
 */
import { randomUUID } from "node:crypto";
import {
  ApiError,
  ConflictError,
  NetworkError,
  NotFoundError,
  RateLimitError,
  ServerError,
  TimeoutError,
} from "@accessmap/shared/transport/errors";
import { type AuditSink, auditTarget, changedValues, storeAuditSink } from "./audit.js";
import type { ErrorBody } from "./clients/error-bodies.js";
import { patchOperations, replacedResource, type ScimUserView, type WriteResult } from "./clients/scim-client.js";
import { commitPatchedModel } from "./patch-model.js";
import { attributeChanges, type LifecycleDeps, planLifecycle } from "./plan.js";
import {
  type Api,
  type AppliedChange,
  type ApplyReport,
  type AttributeValues,
  LifecycleError,
  type Plan,
  type PlanStep,
  type ResultStatus,
  StalePlanError,
  type StepError,
  type StepResult,
  type UserAttributes,
} from "./types.js";

export interface ApplyOptions {
  /** Re-validate and report what would be sent, without sending anything. */
  dryRun?: boolean;
}

/** A write that failed, with what its error body said. */
class WriteFailure extends Error {
  constructor(
    override readonly cause: unknown,
    readonly info: StepError,
  ) {
    super(info.message);
    this.name = "WriteFailure";
  }
}

/** Failures after which the write may or may not have happened: read the state before deciding. */
function isUncertain(err: unknown): boolean {
  return (
    err instanceof RateLimitError ||
    err instanceof ServerError ||
    err instanceof NetworkError ||
    err instanceof TimeoutError
  );
}

function describeError(err: unknown, body: ErrorBody | null): StepError {
  if (err instanceof ApiError) {
    return {
      kind: err.kind,
      status: err.status,
      message: err.message,
      scimType: body?.scimType ?? null,
      code: body?.code ?? null,
    };
  }
  if (err instanceof NetworkError || err instanceof TimeoutError)
    return { kind: err.kind, status: null, message: err.message, scimType: null };
  return {
    kind: (err as { kind?: string })?.kind ?? "unexpected",
    status: null,
    message: err instanceof Error ? err.message : String(err),
    scimType: null,
  };
}

const emptySummary = (): Record<ResultStatus, number> => ({
  ok: 0,
  adopted: 0,
  noop: 0,
  refused: 0,
  skipped: 0,
  failed: 0,
  "not-run": 0,
  "dry-run": 0,
});

/** What differs between the plan and the state now, one line per step. */
export function planDifferences(old: Plan, fresh: Plan): string[] {
  const out: string[] = [];
  if (old.steps.length !== fresh.steps.length)
    out.push(`the plan had ${old.steps.length} steps, the state now gives ${fresh.steps.length}`);
  const n = Math.max(old.steps.length, fresh.steps.length);
  for (let i = 0; i < n; i++) {
    const a = old.steps[i];
    const b = fresh.steps[i];
    if (!a || !b) {
      if (b) out.push(`${b.id} is new: ${b.summary}`);
      else if (a) out.push(`${a.id} is gone: ${a.summary}`);
      continue;
    }
    if (a.kind !== b.kind || a.summary !== b.summary) out.push(`${a.id} was "${a.summary}", now "${b.summary}"`);
    else if (JSON.stringify(a.current) !== JSON.stringify(b.current))
      out.push(`${a.id} ${a.summary}: was ${JSON.stringify(a.current)}, now ${JSON.stringify(b.current)}`);
    else if (a.status !== b.status) out.push(`${a.id} ${a.summary}: was ${a.status}, now ${b.status}`);
    else if (
      JSON.stringify([a.user, a.group, a.intended, a.dependsOn, a.reason]) !==
      JSON.stringify([b.user, b.group, b.intended, b.dependsOn, b.reason])
    )
      out.push(`${a.id} ${a.summary}: its target changed`);
  }
  if (JSON.stringify(old.problems.map((p) => p.message)) !== JSON.stringify(fresh.problems.map((p) => p.message)))
    out.push("the problems found with the requests changed");
  if (old.blocked !== fresh.blocked) out.push(`blocked was ${old.blocked ?? "no"}, now ${fresh.blocked ?? "no"}`);
  return out;
}

interface Outcome {
  status: ResultStatus;
  message: string;
  changes: AppliedChange[];
  produced?: StepResult["produced"];
}

interface WriteSpec {
  api: Api;
  method: string;
  path: string;
  old: AttributeValues | null;
  new: AttributeValues | null;
}

class Executor {
  private readonly produced = new Map<string, NonNullable<StepResult["produced"]>>();
  private readonly succeeded = new Set<string>();
  private requestIds: string[] = [];
  private readonly newId: () => string;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly plan: Plan,
    private readonly deps: LifecycleDeps,
    private readonly audit: AuditSink,
    private readonly actor: string,
  ) {
    this.newId = deps.newId ?? randomUUID;
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  private log(step: PlanStep, result: string, extra: { requestId?: string; details?: Record<string, unknown> } = {}) {
    return this.audit.append({
      actor: this.actor,
      action: `lifecycle.${step.kind}`,
      target: auditTarget(step, this.ids(step)),
      result,
      requestId: extra.requestId ?? null,
      details: { plan: this.plan.id, step: step.id, ...extra.details },
    });
  }

  /** One write, audited before (intent) and after (ok or error). */
  private async write<T extends WriteResult<unknown>>(
    step: PlanStep,
    w: WriteSpec,
    send: (requestId: string) => Promise<T>,
  ): Promise<T> {
    const requestId = this.newId();
    this.requestIds.push(requestId);
    const changed = changedValues(w.old, w.new);
    const call = { api: w.api, method: w.method, path: w.path };
    await this.log(step, "intent", { requestId, details: { ...call, old: changed.old, new: changed.new } });
    try {
      const res = await send(requestId);
      await this.log(step, "ok", {
        requestId,
        details: { ...call, status: res.status, old: changed.old, new: changed.new },
      });
      return res;
    } catch (err) {
      const body = (w.api === "scim" ? this.deps.scim : this.deps.admin).errorBody(requestId);
      const info = describeError(err, body);
      await this.log(step, "error", {
        requestId,
        details: {
          ...call,
          status: info.status,
          error: info.kind,
          scimType: info.scimType,
          code: info.code ?? null,
          message: info.message,
        },
      });
      throw new WriteFailure(err, info);
    }
  }

  /**
   * A write that is re-read, not resent, when its outcome is uncertain (H7, S15): `reread` says whether the change
   * is already there. Returns null when the re-read found it done.
   */
  private async resilient<T extends WriteResult<unknown>>(
    step: PlanStep,
    w: WriteSpec,
    send: (requestId: string) => Promise<T>,
    reread: () => Promise<boolean>,
  ): Promise<T | null> {
    const max = Math.max(1, this.deps.maxWriteAttempts ?? 3);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.write(step, w, send);
      } catch (e) {
        if (!(e instanceof WriteFailure) || !isUncertain(e.cause)) throw e;
        if (await reread()) return null;
        if (attempt >= max) throw e;
        // After a 429 or 503 with Retry-After the governor holds the API until it passes (the re-read waited);
        // otherwise back off before sending again.
        const paced = e.cause instanceof RateLimitError && e.cause.retryAfterMs !== null;
        if (!paced) await this.sleep((this.deps.writeRetryDelayMs ?? 1000) * attempt);
      }
    }
  }

  private ids(step: PlanStep): { scimId: string | null; accountId: string | null } {
    const from = step.user?.fromStep ? this.produced.get(step.user.fromStep) : undefined;
    return {
      scimId: step.user?.scimId ?? from?.scimId ?? null,
      accountId: step.user?.accountId ?? from?.accountId ?? null,
    };
  }

  private groupIds(step: PlanStep): { scimGroupId: string | null; groupId: string | null } {
    const from = step.group?.fromStep ? this.produced.get(step.group.fromStep) : undefined;
    return {
      scimGroupId: step.group?.scimId ?? from?.scimGroupId ?? null,
      groupId: step.group?.groupId ?? from?.groupId ?? null,
    };
  }

  // ------------------------------------------------------------ SCIM users

  /**
   * Changes attributes of a SCIM user: PATCH, or PUT when the server has no PATCH (S17); `If-Match` only when the
   * server has ETags. A 412 (stale ETag, S13) re-reads and sends once more.
   */
  private async updateUser(
    step: PlanStep,
    scimId: string,
    change: { old: AttributeValues; new: AttributeValues },
  ): Promise<ScimUserView> {
    const { scim } = this.deps;
    const caps = await scim.capabilities();
    const desired = change.new as Partial<UserAttributes>;
    const done = (u: ScimUserView) => Object.keys(attributeChanges(u, desired as UserAttributes).new).length === 0;
    type Base = { view: ScimUserView; resource: Record<string, unknown> } | null;
    const once = async (base: Base) =>
      this.resilient(
        step,
        {
          api: "scim",
          method: caps.patch ? "PATCH" : "PUT",
          path: `/Users/${scimId}`,
          old: change.old,
          new: change.new,
        },
        (rid) => {
          const ifMatch = caps.etag ? (base?.view.version ?? null) : null;
          if (caps.patch)
            return scim.patchUser(scimId, patchOperations(desired), { requestId: rid, ifMatch, needState: true });
          return scim.replaceUser(scimId, replacedResource(base!.resource, desired), { requestId: rid, ifMatch });
        },
        async () => done(await scim.getUser(scimId)),
      );
    const read = async (): Promise<Base> => (!caps.patch || caps.etag ? scim.getUserResource(scimId) : null);
    let res: WriteResult<ScimUserView | null> | null;
    try {
      res = await once(await read());
    } catch (e) {
      if (!(e instanceof WriteFailure) || e.info.status !== 412) throw e;
      // S13: the ETag went stale between the read and the write: read again and retry once.
      res = await once(await read());
    }
    return res?.value ?? (await scim.getUser(scimId));
  }

  private identityOf(u: ScimUserView): AppliedChange {
    return {
      kind: "identity.upsert",
      accountId: u.accountId,
      scimId: u.id,
      externalId: u.externalId,
      userName: u.userName,
      email: u.email,
      displayName: u.displayName,
      active: u.active,
    };
  }

  private async createUser(step: PlanStep): Promise<Outcome> {
    const { scim } = this.deps;
    const i = step.intended ?? {};
    const wanted: UserAttributes & { active: boolean } = {
      userName: String(i.userName),
      email: String(i.email),
      givenName: (i.givenName as string | undefined) ?? null,
      familyName: (i.familyName as string | undefined) ?? null,
      displayName: (i.displayName as string | undefined) ?? null,
      title: (i.title as string | undefined) ?? null,
      department: (i.department as string | undefined) ?? null,
      organization: (i.organization as string | undefined) ?? null,
      externalId: (i.externalId as string | undefined) ?? null,
      active: i.active !== false,
    };
    let view: ScimUserView;
    let adopted: string | null = null;
    let found: ScimUserView | null = null;
    try {
      const res = await this.resilient(
        step,
        { api: "scim", method: "POST", path: "/Users", old: null, new: step.intended },
        (rid) => scim.createUser(wanted, { requestId: rid }),
        async () => {
          found = await scim.findUserByUserName(wanted.userName);
          return found !== null;
        },
      );
      if (res) view = res.value;
      else {
        view = found!;
        adopted = "the create's answer was lost, and a re-read found the user: adopted, not created twice";
      }
    } catch (e) {
      if (!(e instanceof WriteFailure) || !(e.cause instanceof ConflictError)) throw e;
      // S1: 409 uniqueness — never resent; the existing user is read back and adopted.
      const existing = await scim.findUserByUserName(wanted.userName);
      if (!existing) {
        throw new WriteFailure(e.cause, {
          ...e.info,
          message: `${e.info.message}; no user named ${wanted.userName} exists to adopt (the conflict is on another attribute)`,
        });
      }
      view = existing;
      adopted = `409${e.info.scimType ? ` ${e.info.scimType}` : ""}: ${wanted.userName} already exists; adopted SCIM id ${existing.id}`;
    }
    if (adopted) {
      await this.log(step, "adopted", { details: { scimId: view.id, accountId: view.accountId, why: adopted } });
      const diff = attributeChanges(view, wanted);
      if (Object.keys(diff.new).length > 0) view = await this.updateUser(step, view.id, diff);
    }
    // S8: the account id is needed for the model; read the user when the answer did not carry it.
    if (!view.accountId) view = await scim.getUser(view.id);
    const changes: AppliedChange[] = [this.identityOf(view)];
    if (view.accountId)
      changes.push({ kind: "account.status", accountId: view.accountId, status: view.active ? "active" : "inactive" });
    return {
      status: adopted ? "adopted" : "ok",
      message: adopted ?? `created ${view.userName} (SCIM id ${view.id}, account ${view.accountId ?? "unknown"})`,
      changes,
      produced: { scimId: view.id, accountId: view.accountId },
    };
  }

  private async changeUser(step: PlanStep): Promise<Outcome> {
    const { scimId } = this.ids(step);
    if (!scimId) throw new Error("no SCIM id for the user");
    const view = await this.updateUser(step, scimId, { old: step.current ?? {}, new: step.intended ?? {} });
    const changes: AppliedChange[] = [this.identityOf(view)];
    if (view.accountId && step.intended && "active" in step.intended)
      changes.push({ kind: "account.status", accountId: view.accountId, status: view.active ? "active" : "inactive" });
    const what = step.kind === "scim.user.deactivate" ? "deactivated" : "updated";
    return {
      status: "ok",
      message: `${what} ${view.userName}`,
      changes,
      produced: { scimId, accountId: view.accountId },
    };
  }

  private async deleteUser(step: PlanStep): Promise<Outcome> {
    const { scim } = this.deps;
    const { scimId, accountId } = this.ids(step);
    if (!scimId) throw new Error("no SCIM id for the user");
    let message = `removed ${step.user?.userName ?? scimId} from the SCIM directory`;
    try {
      await this.resilient(
        step,
        { api: "scim", method: "DELETE", path: `/Users/${scimId}`, old: step.current, new: step.intended },
        (rid) => scim.deleteUser(scimId, { requestId: rid }),
        async () => (await scim.tryGetUser(scimId)) === null,
      );
    } catch (e) {
      if (!(e instanceof WriteFailure) || !(e.cause instanceof NotFoundError)) throw e;
      message = "the user was already gone from the SCIM directory (404)";
    }
    const changes: AppliedChange[] = [{ kind: "identity.remove", accountId, scimId, externalId: null }];
    if (accountId) changes.push({ kind: "account.status", accountId, status: "inactive" });
    return { status: "ok", message, changes };
  }

  // ------------------------------------------------------------ groups and memberships

  private async createGroup(step: PlanStep): Promise<Outcome> {
    const { scim, admin } = this.deps;
    const name = step.group!.name;
    const viaScim = step.kind === "scim.group.create";
    let scimGroupId: string | null = null;
    let groupId: string | null = null;
    let adopted = false;
    const reread = async () => {
      if (viaScim) scimGroupId = (await scim.findGroupByName(name))?.id ?? null;
      else groupId = (await admin.findGroupByName(name))?.groupId ?? null;
      return (viaScim ? scimGroupId : groupId) !== null;
    };
    const spec: WriteSpec = {
      api: viaScim ? "scim" : "admin",
      method: "POST",
      path: step.call.path,
      old: step.current,
      new: step.intended,
    };
    try {
      const res = viaScim
        ? await this.resilient(step, spec, (rid) => scim.createGroup(name, { requestId: rid }), reread)
        : await this.resilient(
            step,
            spec,
            (rid) => admin.createGroup(name, String(step.intended?.description ?? ""), { requestId: rid }),
            reread,
          );
      if (res && "id" in res.value) scimGroupId = res.value.id;
      else if (res && "groupId" in res.value) groupId = res.value.groupId;
      else adopted = true;
    } catch (e) {
      if (!(e instanceof WriteFailure) || !(e.cause instanceof ConflictError) || !(await reread())) throw e;
      adopted = true;
    }
    if (adopted) await this.log(step, "adopted", { details: { scimGroupId, groupId } });
    groupId ??= (await admin.findGroupByName(name))?.groupId ?? null;
    return {
      status: adopted ? "adopted" : "ok",
      message: adopted ? `the group ${name} already existed: adopted` : `created the group ${name}`,
      changes: [{ kind: "group", op: "create", groupId, groupName: name }],
      produced: { scimGroupId, groupId },
    };
  }

  private async deleteGroup(step: PlanStep): Promise<Outcome> {
    const { scim, admin } = this.deps;
    const name = step.group!.name;
    const { scimGroupId, groupId } = this.groupIds(step);
    let message = `deleted the group ${name}`;
    try {
      if (step.kind === "scim.group.delete") {
        if (!scimGroupId) throw new Error("no SCIM id for the group");
        await this.resilient(
          step,
          { api: "scim", method: "DELETE", path: step.call.path, old: step.current, new: step.intended },
          (rid) => scim.deleteGroup(scimGroupId, { requestId: rid }),
          async () => (await scim.findGroupByName(name)) === null,
        );
      } else {
        if (!groupId) throw new Error("no id for the group");
        await this.resilient(
          step,
          { api: "admin", method: "DELETE", path: step.call.path, old: step.current, new: step.intended },
          (rid) => admin.deleteGroup(groupId, { requestId: rid }),
          async () => (await admin.getGroup(groupId)) === null,
        );
      }
    } catch (e) {
      if (!(e instanceof WriteFailure) || !(e.cause instanceof NotFoundError)) throw e;
      message = `the group ${name} was already gone (404)`;
    }
    return { status: "ok", message, changes: [{ kind: "group", op: "delete", groupId, groupName: name }] };
  }

  private async scimMembership(step: PlanStep): Promise<Outcome> {
    const { scim } = this.deps;
    const op = step.kind === "scim.group.member.add" ? "add" : "remove";
    const { scimId, accountId } = this.ids(step);
    const { scimGroupId, groupId } = this.groupIds(step);
    if (!scimId || !scimGroupId) throw new Error("the SCIM ids of the user or the group are unknown");
    await this.resilient(
      step,
      { api: "scim", method: "PATCH", path: `/Groups/${scimGroupId}`, old: step.current, new: step.intended },
      (rid) => scim.patchGroupMembers(scimGroupId, op, [scimId], { requestId: rid }),
      async () => (await scim.getGroup(scimGroupId)).members.includes(scimId) === (op === "add"),
    );
    return {
      status: "ok",
      message: `${op === "add" ? "added" : "removed"} ${step.user?.userName ?? scimId} ${op === "add" ? "to" : "from"} ${step.group!.name}`,
      changes: accountId ? [{ kind: "membership", op, groupId, groupName: step.group!.name, accountId }] : [],
    };
  }

  private async adminMembership(step: PlanStep): Promise<Outcome> {
    const { admin } = this.deps;
    const op = step.kind === "admin.group.member.add" ? "add" : "remove";
    const { accountId } = this.ids(step);
    const { groupId } = this.groupIds(step);
    if (!accountId || !groupId) throw new Error("the account or group id is unknown");
    const label = `${step.user?.userName ?? step.user?.ref ?? accountId} ${op === "add" ? "to" : "from"} ${step.group!.name}`;
    const change: AppliedChange = { kind: "membership", op, groupId, groupName: step.group!.name, accountId };
    try {
      await this.resilient(
        step,
        {
          api: "admin",
          method: op === "add" ? "POST" : "DELETE",
          path: step.call.path.replace("{accountId}", accountId),
          old: step.current,
          new: step.intended,
        },
        (rid) =>
          op === "add"
            ? admin.addMember(groupId, accountId, { requestId: rid })
            : admin.removeMember(groupId, accountId, { requestId: rid }),
        async () => (await admin.isMember(groupId, accountId)) === (op === "add"),
      );
    } catch (e) {
      const expected = op === "add" ? ConflictError : NotFoundError;
      if (!(e instanceof WriteFailure) || !(e.cause instanceof expected)) throw e;
      // 409 "already in the group" / 404 "not a member": a no-op, if the state says so (a full licence is also 409).
      if ((await admin.isMember(groupId, accountId)) !== (op === "add")) throw e;
      return {
        status: "noop",
        message: `no-op: ${op === "add" ? "already a member" : "not a member"} (${e.info.status})`,
        changes: [change],
      };
    }
    return { status: "ok", message: `${op === "add" ? "added" : "removed"} ${label}`, changes: [change] };
  }

  // ------------------------------------------------------------ accounts

  private async suspend(step: PlanStep): Promise<Outcome> {
    const { admin } = this.deps;
    const { accountId } = this.ids(step);
    if (!accountId) throw new Error("no account id");
    await this.resilient(
      step,
      { api: "admin", method: "POST", path: step.call.path, old: step.current, new: step.intended },
      (rid) => admin.suspend(accountId, { requestId: rid }),
      async () => (await admin.getUser(accountId))?.membershipStatus === "suspended",
    );
    return {
      status: "ok",
      message: `suspended the product access of ${step.user?.userName ?? accountId}`,
      changes: [{ kind: "account.suspended", accountId, suspended: true }],
    };
  }

  private async deleteAccount(step: PlanStep): Promise<Outcome> {
    const { admin } = this.deps;
    const { accountId } = this.ids(step);
    if (!accountId) throw new Error("no account id");
    const closed = async () => (await admin.accountStatus(accountId)) === "closed";
    const change: AppliedChange = { kind: "account.status", accountId, status: "closed" };
    try {
      await this.resilient(
        step,
        { api: "user-management", method: "POST", path: step.call.path, old: step.current, new: step.intended },
        (rid) => admin.deleteAccount(accountId, { requestId: rid }),
        closed,
      );
    } catch (e) {
      if (!(e instanceof WriteFailure) || !(e.cause instanceof ConflictError) || !(await closed())) throw e;
      return { status: "noop", message: "no-op: the account was already deleted (409)", changes: [change] };
    }
    return { status: "ok", message: `deleted the account ${accountId} (14-day grace period)`, changes: [change] };
  }

  private execute(step: PlanStep): Promise<Outcome> {
    switch (step.kind) {
      case "scim.user.create":
        return this.createUser(step);
      case "scim.user.update":
      case "scim.user.deactivate":
        return this.changeUser(step);
      case "scim.user.delete":
        return this.deleteUser(step);
      case "scim.group.create":
      case "admin.group.create":
        return this.createGroup(step);
      case "scim.group.delete":
      case "admin.group.delete":
        return this.deleteGroup(step);
      case "scim.group.member.add":
      case "scim.group.member.remove":
        return this.scimMembership(step);
      case "admin.group.member.add":
      case "admin.group.member.remove":
        return this.adminMembership(step);
      case "admin.user.suspend":
        return this.suspend(step);
      case "account.delete":
        return this.deleteAccount(step);
    }
  }

  async run(step: PlanStep): Promise<StepResult> {
    this.requestIds = [];
    const base = { stepId: step.id, kind: step.kind, summary: step.summary };
    if (step.status !== "pending") {
      const auditResult = step.status === "refused" ? "denied" : step.status;
      await this.log(step, auditResult, { details: { reason: step.reason } });
      if (step.status === "noop") this.succeeded.add(step.id);
      return {
        ...base,
        status: step.status,
        message: step.reason ?? step.status,
        requestIds: [],
        error: null,
        changes: [],
      };
    }
    const blockedBy = step.dependsOn.filter((d) => !this.succeeded.has(d));
    if (blockedBy.length > 0) {
      const message = `not run: it needs ${blockedBy.join(", ")}, which did not succeed`;
      await this.log(step, "not-run", { details: { reason: message } });
      return { ...base, status: "not-run", message, requestIds: [], error: null, changes: [] };
    }
    try {
      const out = await this.execute(step);
      if (out.produced) this.produced.set(step.id, out.produced);
      this.succeeded.add(step.id);
      return {
        ...base,
        status: out.status,
        message: out.message,
        requestIds: [...this.requestIds],
        error: null,
        changes: out.changes,
        ...(out.produced ? { produced: out.produced } : {}),
      };
    } catch (err) {
      const info = err instanceof WriteFailure ? err.info : describeError(err, null);
      if (!(err instanceof WriteFailure))
        await this.log(step, "error", { details: { error: info.kind, status: info.status, message: info.message } });
      const tags = [info.scimType ? `scimType ${info.scimType}` : "", info.code ? `code ${info.code}` : ""].filter(
        Boolean,
      );
      const message = `failed: ${info.message}${tags.length > 0 ? ` (${tags.join(", ")})` : ""}`;
      return { ...base, status: "failed", message, requestIds: [...this.requestIds], error: info, changes: [] };
    }
  }
}

/**
 * Applies a plan: re-validates it against the state now (refusing a stale or blocked plan), runs its steps in order,
 * audits every write, and — with a store — commits the patched model. `dryRun` stops after the re-validation and
 * reports what would be sent.
 *
 * @throws {StalePlanError} the state moved since the plan was made (D13)
 * @throws {LifecycleError} `blocked` (over the deprovision limit without force), `no-audit` (no audit log to write
 *   to), `invalid-plan`
 */
export async function applyPlan(plan: Plan, deps: LifecycleDeps, opts: ApplyOptions = {}): Promise<ApplyReport> {
  if (plan?.version !== 1 || !Array.isArray(plan.requests) || !Array.isArray(plan.steps)) {
    throw new LifecycleError("invalid-plan", "not a lifecycle plan (version 1)");
  }
  const clock = deps.clock ?? (() => new Date());
  const startedAt = clock().toISOString();
  const actor = deps.actor ?? "system:lifecycle";
  const audit = deps.audit ?? (deps.store && deps.tenantId ? storeAuditSink(deps.store, deps.tenantId) : null);
  if (!audit && !opts.dryRun) {
    throw new LifecycleError("no-audit", "applying needs an audit log: give a store and tenant, or an audit sink");
  }
  const planEntry = (result: string, details: Record<string, unknown>) =>
    audit?.append({ actor, action: "lifecycle.apply", target: `plan:${plan.id}`, result, details });

  // D13: the same planner, against the state now.
  const fresh = await planLifecycle(plan.requests, deps);
  if (fresh.fingerprint !== plan.fingerprint) {
    const differences = planDifferences(plan, fresh);
    await planEntry("denied", { reason: "stale", differences: differences.slice(0, 20) });
    throw new StalePlanError(differences.length > 0 ? differences : ["the state differs from the plan"]);
  }
  if (fresh.blocked) {
    await planEntry("denied", { reason: "blocked", blocked: fresh.blocked });
    throw new LifecycleError("blocked", fresh.blocked);
  }

  const summary = emptySummary();
  if (opts.dryRun) {
    const results: StepResult[] = plan.steps.map((s) => ({
      stepId: s.id,
      kind: s.kind,
      summary: s.summary,
      status: s.status === "pending" ? "dry-run" : s.status,
      message: s.status === "pending" ? `dry run: would ${s.call.method} ${s.call.path}` : (s.reason ?? s.status),
      requestIds: [],
      error: null,
      changes: [],
    }));
    for (const r of results) summary[r.status] += 1;
    return {
      planId: plan.id,
      dryRun: true,
      startedAt,
      finishedAt: clock().toISOString(),
      results,
      summary,
      patchedVersion: null,
      notes: ["dry run: the plan is still valid; nothing was sent"],
    };
  }

  await planEntry("intent", { steps: plan.steps.length, fingerprint: plan.fingerprint });
  const executor = new Executor(plan, deps, audit!, actor);
  const results: StepResult[] = [];
  for (const step of plan.steps) results.push(await executor.run(step));
  for (const r of results) summary[r.status] += 1;
  await planEntry(summary.failed > 0 || summary["not-run"] > 0 ? "partial" : "ok", { summary });

  const notes: string[] = [];
  let patchedVersion: number | null = null;
  if (deps.store && deps.tenantId) {
    const commit = await commitPatchedModel(deps.store, deps.tenantId, results, { planId: plan.id, actor, audit });
    patchedVersion = commit.version;
    notes.push(
      commit.version !== null
        ? `the model was patched: version ${commit.version} (${commit.reason}); the next sync confirms it`
        : `the model was not patched: ${commit.reason}`,
    );
  }
  return {
    planId: plan.id,
    dryRun: false,
    startedAt,
    finishedAt: clock().toISOString(),
    results,
    summary,
    patchedVersion,
    notes,
  };
}
