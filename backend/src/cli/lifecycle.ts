/**
 * `accessmap lifecycle <plan|apply|audit>`: lifecycle management from the command line, over the library in
 * `../lifecycle/` (the HTTP API and the Forge admin page call the same `planLifecycle` / `applyPlan`).
 *
 * - `plan` shows what a request would do — every call, each target's current and intended state — and sends
 *   nothing (`--out FILE` saves the plan for a later `apply --plan FILE`).
 * - `apply` is a dry run unless `--yes`: it plans again (or re-validates a saved plan), refuses a stale plan, then
 *   runs the steps and prints the result of each; the model is patched at once and the audit log records every write.
 * - `audit` lists the lifecycle audit log, newest first.
 * Input is one action given by flags, or a desired-state file (`--file`, CSV or JSON of joiners, movers, leavers);
 * errors in the file name their line.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type Config, loadConfigFile } from "../config/load.js";
import { createUndiciSend } from "../http/undici-send.js";
import { applyPlan } from "../lifecycle/apply.js";
import { buildLifecycleClients } from "../lifecycle/clients/build.js";
import { DesiredStateError, parseDesiredState } from "../lifecycle/desired-state.js";
import { type LifecycleDeps, planLifecycle } from "../lifecycle/plan.js";
import {
  type ApplyReport,
  LIFECYCLE_ACTIONS,
  type LifecycleAction,
  LifecycleError,
  type LifecycleOptions,
  type LocatedRequest,
  type Plan,
  type UserAttributes,
  type UserRef,
} from "../lifecycle/types.js";
import type { Store } from "../store/store.js";
import { EXIT } from "./exit-codes.js";
import { pickTenant, storeFromArgs } from "./store-access.js";
import { renderTable } from "./table.js";
import { UsageError } from "./usage-error.js";

export const LIFECYCLE_HELP = `Usage: accessmap lifecycle <plan|apply|audit> [options]

Lifecycle management over Atlassian's SCIM and Admin APIs: create or update users, manage group memberships,
deprovision and delete identities. Every request is planned first; nothing is sent without apply --yes.

Subcommands:
  plan     show the calls a request would make, with each target's current and intended state (a dry run)
  apply    re-validate and carry out a plan (a dry run unless --yes); print the result of every step;
           a plan whose input has problems is not applied: fix the input first
  audit    the lifecycle audit log, newest first

Input (plan, apply), one of:
  --file FILE            desired state: CSV or JSON of joiners, movers and leavers
  --plan FILE            (apply) a plan saved with plan --out
  --action ACTION        one action:
      sync               create or update a user: --user-name U --email E [--given-name --family-name
                         --display-name --title --department --organization --external-id] [--inactive]
      add-member         --user U --group G [--via scim|admin]
      remove-member      --user U --group G [--via scim|admin]
      create-group       --group G [--via scim|admin]
      delete-group       --group G [--via scim|admin]
      deprovision        --user U [--suspend] [--remove-groups]   (SCIM active=false)
      delete             --user U --mode directory|account --confirm
  --user U               a userName, an email address or an account id

Options:
  --config FILE            connection configuration (needs lifecycle.scimUrl, scimToken, scimOrgId, adminApiKey, orgId)
  --store URL              sqlite:PATH or postgres://… (default: $ACCESSMAP_STORE, else sqlite:.accessmap/accessmap.db)
  --tenant NAME            (audit) the tenant, when the store holds several
  --out FILE               (plan) save the plan as JSON
  --yes                    (apply) really send the changes
  --force                  allow more deprovisions than --max-deprovisions in one apply
  --max-deprovisions N     users one apply may deprovision or delete (default 10)
  --disable ACTION         kill switch, repeatable: ${LIFECYCLE_ACTIONS.join(", ")}
  --self-account-id ID     the integration's own account (default: productUser's account)
  --limit N                (audit) entries to show (default 50)
  --json                   print JSON instead of tables
  --help                   this text

Exit codes: 0 done (or nothing to do), 1 a step failed or the plan is stale or blocked, 3 plan has problems,
2 usage or configuration error.
`;

const OPTIONS = {
  config: { type: "string" },
  store: { type: "string" },
  tenant: { type: "string" },
  file: { type: "string" },
  plan: { type: "string" },
  out: { type: "string" },
  action: { type: "string" },
  user: { type: "string" },
  "user-name": { type: "string" },
  email: { type: "string" },
  "given-name": { type: "string" },
  "family-name": { type: "string" },
  "display-name": { type: "string" },
  title: { type: "string" },
  department: { type: "string" },
  organization: { type: "string" },
  "external-id": { type: "string" },
  inactive: { type: "boolean", default: false },
  group: { type: "string" },
  via: { type: "string" },
  suspend: { type: "boolean", default: false },
  "remove-groups": { type: "boolean", default: false },
  mode: { type: "string" },
  confirm: { type: "boolean", default: false },
  yes: { type: "boolean", default: false },
  force: { type: "boolean", default: false },
  "max-deprovisions": { type: "string" },
  disable: { type: "string", multiple: true },
  "self-account-id": { type: "string" },
  limit: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

const need = (v: string | undefined, flag: string, action: string): string => {
  if (!v) throw new UsageError(`--action ${action} needs ${flag}`, LIFECYCLE_HELP);
  return v;
};

function userRef(v: Values, action: string): UserRef {
  const u = need(v.user, "--user", action);
  return { user: u };
}

function via(v: Values): "scim" | "admin" | undefined {
  if (v.via === undefined) return undefined;
  if (v.via !== "scim" && v.via !== "admin") throw new UsageError('--via must be "scim" or "admin"', LIFECYCLE_HELP);
  return v.via;
}

/** The request the flags describe. */
export function requestFromFlags(v: Values): LocatedRequest {
  const origin = { source: "command line" };
  const action = v.action ?? "";
  switch (action) {
    case "sync": {
      const user: UserAttributes = { userName: need(v["user-name"] ?? v.user, "--user-name", action) };
      if (v.email) user.email = v.email;
      const map = {
        "given-name": "givenName",
        "family-name": "familyName",
        "display-name": "displayName",
        title: "title",
        department: "department",
        organization: "organization",
        "external-id": "externalId",
      } as const;
      for (const [flag, key] of Object.entries(map)) {
        const value = v[flag as keyof typeof map];
        if (value !== undefined) user[key] = value;
      }
      if (v.inactive) user.active = false;
      return { request: { action: "SYNC_IDENTITIES", user }, origin };
    }
    case "add-member":
    case "remove-member":
      return {
        request: {
          action: "MANAGE_RELATIONSHIPS",
          memberships: [
            {
              op: action === "add-member" ? "add" : "remove",
              user: userRef(v, action),
              group: need(v.group, "--group", action),
              via: via(v),
            },
          ],
        },
        origin,
      };
    case "create-group":
    case "delete-group":
      return {
        request: {
          action: "MANAGE_RELATIONSHIPS",
          groups: [
            {
              op: action === "create-group" ? "create" : "delete",
              group: need(v.group, "--group", action),
              via: via(v),
            },
          ],
        },
        origin,
      };
    case "deprovision":
      return {
        request: {
          action: "DEPROVISION_IDENTITY",
          user: userRef(v, action),
          ...(v.suspend ? { suspendAccess: true } : {}),
          ...(v["remove-groups"] ? { removeFromGroups: true } : {}),
        },
        origin,
      };
    case "delete": {
      const mode = need(v.mode, "--mode directory|account", action);
      if (mode !== "directory" && mode !== "account")
        throw new UsageError('--mode must be "directory" or "account"', LIFECYCLE_HELP);
      return { request: { action: "DELETE_IDENTITY", user: userRef(v, action), mode, confirm: v.confirm }, origin };
    }
    default:
      throw new UsageError(
        action
          ? `unknown --action "${action}" (sync, add-member, remove-member, create-group, delete-group, deprovision, delete)`
          : "give --file FILE or --action ACTION",
        LIFECYCLE_HELP,
      );
  }
}

async function readRequests(v: Values): Promise<LocatedRequest[]> {
  if (v.file && v.action) throw new UsageError("give --file or --action, not both", LIFECYCLE_HELP);
  if (!v.file) return [requestFromFlags(v)];
  const text = await readFile(v.file, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`--file ${v.file}: cannot read the file (${err.code ?? "error"})`, LIFECYCLE_HELP);
  });
  const lower = v.file.toLowerCase();
  return parseDesiredState(text, v.file, lower.endsWith(".json") ? "json" : lower.endsWith(".csv") ? "csv" : undefined);
}

function options(v: Values, config: Config | null, base: Partial<LifecycleOptions> = {}): LifecycleOptions {
  const disabled = (v.disable ?? []).map((d) => d.trim().toUpperCase());
  const bad = disabled.filter((d) => !(LIFECYCLE_ACTIONS as readonly string[]).includes(d));
  if (bad.length > 0)
    throw new UsageError(
      `--disable: unknown action ${bad.join(", ")} (${LIFECYCLE_ACTIONS.join(", ")})`,
      LIFECYCLE_HELP,
    );
  let max = base.maxDeprovisions;
  if (v["max-deprovisions"] !== undefined) {
    max = Number(v["max-deprovisions"]);
    if (!Number.isInteger(max) || max < 0)
      throw new UsageError("--max-deprovisions must be a whole number", LIFECYCLE_HELP);
  }
  return {
    selfAccountId: v["self-account-id"] ?? base.selfAccountId ?? null,
    selfEmail: config?.productUser ?? null,
    disabledActions: [...new Set([...(base.disabledActions ?? []), ...(disabled as LifecycleAction[])])],
    maxDeprovisions: max,
    force: v.force || base.force === true,
  };
}

async function tenantFor(store: Store, name: string): Promise<string> {
  const existing = (await store.listTenants()).find((t) => t.name === name);
  if (existing) return existing.id;
  return (await store.createTenant({ name, config: { source: "cli" } })).id;
}

function printPlan(plan: Plan): void {
  const rows = plan.steps.map((s) => [
    s.id,
    s.status,
    s.summary,
    s.current === null ? "(none)" : JSON.stringify(s.current),
    s.intended === null ? "" : JSON.stringify(s.intended),
  ]);
  process.stdout.write(`${renderTable(["step", "status", "call", "current", "intended"], rows)}\n`);
  for (const s of plan.steps) if (s.reason && s.status !== "pending") process.stdout.write(`${s.id}: ${s.reason}\n`);
  for (const p of plan.problems) {
    const where = p.origin?.line
      ? `${p.origin.source} line ${p.origin.line}`
      : (p.origin?.source ?? `request ${p.requestIndex + 1}`);
    process.stdout.write(`problem (${where}): ${p.message}\n`);
  }
  for (const n of plan.notes) process.stdout.write(`note: ${n}\n`);
  if (plan.blocked) process.stdout.write(`${plan.blocked}\n`);
  const pending = plan.steps.filter((s) => s.status === "pending").length;
  process.stdout.write(
    `\nplan ${plan.id}: ${pending} call(s) to make, ${plan.steps.length - pending} without a call\n`,
  );
}

function printReport(r: ApplyReport): void {
  const rows = r.results.map((x) => [x.stepId, x.status, x.summary, x.message]);
  process.stdout.write(`${renderTable(["step", "result", "call", "outcome"], rows)}\n`);
  const counts = Object.entries(r.summary)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(", ");
  for (const n of r.notes) process.stdout.write(`note: ${n}\n`);
  process.stdout.write(`\n${r.dryRun ? "dry run (add --yes to apply)" : "applied"}: ${counts || "nothing to do"}\n`);
}

async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

async function auditCommand(v: Values): Promise<number> {
  const store = await storeFromArgs(v.store);
  try {
    const config = v.config ? await loadConfigFile(v.config) : null;
    const tenant = await pickTenant(store, v.tenant ?? config?.name, LIFECYCLE_HELP);
    const limit = v.limit === undefined ? 50 : Number(v.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError("--limit must be a positive whole number", LIFECYCLE_HELP);
    const entries = [];
    let cursor: string | null = null;
    do {
      const page = await store.listAudit(tenant.id, { limit: 500, cursor });
      for (const e of page.entries) if (e.action.startsWith("lifecycle.") && entries.length < limit) entries.push(e);
      cursor = entries.length < limit ? page.next : null;
    } while (cursor);
    if (v.json) {
      process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      return EXIT.ok;
    }
    const detail = (d: Record<string, unknown>) =>
      [
        d.step ? `step ${String(d.step)}` : "",
        d.old && Object.keys(d.old as object).length > 0 ? `old ${JSON.stringify(d.old)}` : "",
        d.new && Object.keys(d.new as object).length > 0 ? `new ${JSON.stringify(d.new)}` : "",
        d.status ? `HTTP ${String(d.status)}` : "",
        d.scimType ? `scimType ${String(d.scimType)}` : "",
        d.reason ? String(d.reason) : "",
        d.message ? String(d.message) : "",
      ]
        .filter(Boolean)
        .join("; ");
    process.stdout.write(
      `${renderTable(
        ["at", "actor", "action", "target", "result", "request id", "details"],
        entries.map((e) => [e.at, e.actor, e.action, e.target ?? "", e.result, e.requestId ?? "", detail(e.details)]),
      )}\n`,
    );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export async function lifecycleCommand(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const sub = positionals[0];
  if (v.help || !sub) {
    process.stdout.write(LIFECYCLE_HELP);
    return v.help ? EXIT.ok : EXIT.usage;
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`, LIFECYCLE_HELP);
  if (sub === "audit") return auditCommand(v);
  if (sub !== "plan" && sub !== "apply")
    throw new UsageError(`unknown subcommand "${sub}" (plan, apply, audit)`, LIFECYCLE_HELP);
  if (!v.config) throw new UsageError("--config FILE is required", LIFECYCLE_HELP);
  if (sub === "plan" && v.plan) throw new UsageError("--plan is for apply", LIFECYCLE_HELP);
  if (sub === "plan" && v.yes) throw new UsageError("plan never sends anything; use apply --yes", LIFECYCLE_HELP);

  const config = await loadConfigFile(v.config);
  let saved: Plan | null = null;
  let requests: LocatedRequest[];
  try {
    if (sub === "apply" && v.plan) {
      if (v.file || v.action) throw new UsageError("give --plan, --file or --action, only one", LIFECYCLE_HELP);
      const text = await readFile(v.plan, "utf8").catch((err: NodeJS.ErrnoException) => {
        throw new UsageError(`--plan ${v.plan}: cannot read the file (${err.code ?? "error"})`, LIFECYCLE_HELP);
      });
      try {
        saved = JSON.parse(text) as Plan;
      } catch {
        throw new UsageError(`--plan ${v.plan}: not valid JSON`, LIFECYCLE_HELP);
      }
      requests = saved.requests;
    } else requests = await readRequests(v);
  } catch (err) {
    if (err instanceof DesiredStateError) throw new UsageError(err.message, LIFECYCLE_HELP);
    throw err;
  }

  let clients: ReturnType<typeof buildLifecycleClients>;
  const send = createUndiciSend({ connections: config.concurrency });
  try {
    clients = buildLifecycleClients(config, {
      send,
      schemaMode: "warn",
      warn: (message, fields) => process.stderr.write(`${JSON.stringify({ level: "warn", message, ...fields })}\n`),
    });
  } catch (err) {
    await send.close();
    if (err instanceof LifecycleError) throw new UsageError(err.message, LIFECYCLE_HELP);
    throw err;
  }
  const store = await storeFromArgs(v.store);
  try {
    const tenantId = await tenantFor(store, config.name);
    const current = await store.getCurrentModel(tenantId);
    const deps: LifecycleDeps = {
      scim: clients.scim,
      admin: clients.admin,
      store,
      tenantId,
      actor: `cli:${process.env.USER ?? "unknown"}`,
      model: current?.model ?? null,
      options: options(v, config, saved?.options),
    };
    const plan = saved ?? (await planLifecycle(requests, deps));
    if (sub === "plan") {
      if (v.out) await writeJson(v.out, plan);
      if (v.json) process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
      else printPlan(plan);
      return plan.problems.length > 0 || plan.blocked ? EXIT.partial : EXIT.ok;
    }
    if (!saved && !v.json) printPlan(plan);
    if (plan.problems.length > 0 && v.yes) {
      process.stderr.write("accessmap lifecycle apply: the plan has problems (listed above); fix the input first\n");
      return EXIT.partial;
    }
    let report: ApplyReport;
    try {
      report = await applyPlan(plan, deps, { dryRun: !v.yes });
    } catch (err) {
      if (err instanceof LifecycleError) {
        process.stderr.write(`accessmap lifecycle apply: ${err.message}\n`);
        return EXIT.failed;
      }
      throw err;
    }
    if (v.json) process.stdout.write(`${JSON.stringify({ plan: saved ? undefined : plan, report }, null, 2)}\n`);
    else printReport(report);
    return report.summary.failed > 0 || report.summary["not-run"] > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    await store.close();
    await send.close();
  }
}
