/**
 * `accessmap tenants list|create|delete|api-key`: manages the tenants a service serves, directly in the store (the
 * same rules as the HTTP API: secrets sealed with the master key from `ACCESSMAP_MASTER_KEY`, never printed back).
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadMasterKeyring, MasterKeyConfigError } from "../security/envelope.js";
import { mintApiKey } from "../service/auth.js";
import { ApiError, type FieldIssue } from "../service/errors.js";
import { SECRET_PATHS } from "../service/tenant-config.js";
import { createTenant, tenantView } from "../service/tenants.js";
import type { Store, Tenant } from "../store/store.js";
import { EXIT } from "./exit-codes.js";
import { storeFromArgs } from "./store-access.js";
import { renderTable } from "./table.js";
import { UsageError } from "./usage-error.js";

export const TENANTS_HELP = `Usage: accessmap tenants <action> [arguments] [options]

Manages the tenants the service (\`accessmap serve\`) serves, directly in the store.

Actions:
  list                         every tenant: id, name, products, schedule, secrets set
  create --config FILE         a tenant from a configuration file (the \`discover\` format); secrets, literal or
                               env:NAME (read now), are sealed with ACCESSMAP_MASTER_KEY and never printed
  delete NAME|ID               the tenant, its snapshots, jobs and API keys (its audit log is kept)
  api-key NAME|ID              mints an API key for the tenant's routes; printed once, never stored

Options:
  --store URL                  sqlite:PATH or postgres://… (default: $ACCESSMAP_STORE, else
                               sqlite:.accessmap/accessmap.db)
  --schedule-minutes N         create: sync every N minutes (5–10080)
  --forge-installation ID      create: the Forge installation acting for the tenant
  --label TEXT                 api-key: a label for the key (default "cli")
  --json                       print JSON instead of tables
  --help                       this text

Environment: ACCESSMAP_MASTER_KEY (create: seals the tenant's secrets).
Exit codes: 0 done, 2 usage or configuration error (the message names the field), 1 failed.
`;

const ACTOR = "cli:tenants";

async function findTenant(store: Store, nameOrId: string | undefined): Promise<Tenant> {
  if (!nameOrId) throw new UsageError("name the tenant (its name or id)", TENANTS_HELP);
  const tenants = await store.listTenants();
  const t = tenants.find((x) => x.id === nameOrId) ?? tenants.find((x) => x.name === nameOrId);
  if (!t) {
    throw new UsageError(
      `no tenant "${nameOrId}" in the store (known: ${tenants.map((x) => x.name).join(", ") || "none"})`,
      TENANTS_HELP,
    );
  }
  return t;
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(
      `--config ${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? "error"})`,
      TENANTS_HELP,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError(`--config ${path}: not valid JSON`, TENANTS_HELP);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new UsageError(`--config ${path}: must hold a JSON object`, TENANTS_HELP);
  }
  return raw as Record<string, unknown>;
}

/** Replaces `env:NAME` secrets by the variable's value (the service stores the secret, not the reference). */
function resolveEnvSecrets(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const path of SECRET_PATHS) {
    const [head, tail] = path.split(".") as [string, string | undefined];
    const holder = tail ? (raw[head] as Record<string, unknown> | undefined) : raw;
    const key = tail ?? head;
    const v = holder && typeof holder === "object" ? holder[key] : undefined;
    if (typeof v !== "string" || !v.startsWith("env:")) continue;
    const name = v.slice(4);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      issues.push({ path, message: '"env:" must be followed by an environment variable name' });
    } else if (!env[name]) {
      issues.push({ path, message: `environment variable ${name} is not set` });
    } else if (holder) {
      holder[key] = env[name];
    }
  }
  return issues;
}

function issuesText(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `  - ${i.path.replace(/^body\./, "")}: ${i.message}`).join("\n");
}

export async function tenantsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      store: { type: "string" },
      config: { type: "string" },
      "schedule-minutes": { type: "string" },
      "forge-installation": { type: "string" },
      label: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(TENANTS_HELP);
    return EXIT.ok;
  }
  const [action, ...args] = positionals;
  const arity: Record<string, number> = { list: 0, create: 0, delete: 1, "api-key": 1 };
  if (!action || arity[action] === undefined) {
    throw new UsageError(action ? `unknown action "${action}"` : "an action is required", TENANTS_HELP);
  }
  if (args.length !== arity[action]) {
    throw new UsageError(`tenants ${action} takes ${arity[action]} argument(s), got ${args.length}`, TENANTS_HELP);
  }

  // Everything that can be checked without the store is checked first.
  let raw: Record<string, unknown> | null = null;
  let keyring: ReturnType<typeof loadMasterKeyring> | null = null;
  if (action === "create") {
    if (!values.config) throw new UsageError("--config FILE is required", TENANTS_HELP);
    raw = await readConfigFile(values.config);
    const envIssues = resolveEnvSecrets(raw, process.env);
    if (envIssues.length > 0)
      throw new UsageError(`invalid configuration in ${values.config}:\n${issuesText(envIssues)}`, TENANTS_HELP);
    if (values["schedule-minutes"] !== undefined) {
      const n = Number(values["schedule-minutes"]);
      if (!Number.isInteger(n)) throw new UsageError("--schedule-minutes must be an integer", TENANTS_HELP);
      raw.schedule = { everyMinutes: n };
    }
    if (values["forge-installation"] !== undefined) raw.forgeInstallationId = values["forge-installation"];
    try {
      keyring = loadMasterKeyring();
    } catch (err) {
      if (err instanceof MasterKeyConfigError) throw new UsageError(err.message, TENANTS_HELP);
      throw err;
    }
  }

  const store = await storeFromArgs(values.store);
  try {
    switch (action) {
      case "list": {
        const views = (await store.listTenants()).map(tenantView);
        if (values.json) process.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
        else {
          const rows = views.map((v) => [
            v.id,
            v.name,
            Array.isArray(v.config.products) ? (v.config.products as string[]).join(",") : "",
            v.schedule ? `every ${v.schedule.everyMinutes} min` : "",
            v.secretsSet.join(","),
          ]);
          process.stdout.write(`${renderTable(["id", "name", "products", "schedule", "secrets set"], rows)}\n`);
        }
        return EXIT.ok;
      }
      case "create": {
        let tenant: Tenant;
        try {
          tenant = await createTenant(store, keyring!, raw!);
        } catch (err) {
          if (err instanceof ApiError && err.code === "validation_failed") {
            const issues = (err.details as { issues: FieldIssue[] }).issues;
            throw new UsageError(`invalid configuration in ${values.config}:\n${issuesText(issues)}`, TENANTS_HELP);
          }
          if (err instanceof ApiError && err.code === "conflict") {
            throw new UsageError(err.message.replace(/^body\./, ""), TENANTS_HELP);
          }
          throw err;
        }
        await store.appendAudit({
          tenantId: tenant.id,
          actor: ACTOR,
          action: "tenant.create",
          target: `tenant:${tenant.id}`,
          result: "ok",
          details: { fields: Object.keys(raw!).sort() },
        });
        const view = tenantView(tenant);
        if (values.json) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
        else {
          process.stdout.write(
            `created tenant ${view.name} (${view.id}); secrets sealed: ${view.secretsSet.join(", ") || "none"}\n`,
          );
        }
        return EXIT.ok;
      }
      case "delete": {
        const t = await findTenant(store, args[0]);
        await store.deleteTenant(t.id);
        await store.appendAudit({
          tenantId: t.id,
          actor: ACTOR,
          action: "tenant.delete",
          target: `tenant:${t.id}`,
          result: "ok",
        });
        if (values.json) process.stdout.write(`${JSON.stringify({ deleted: t.id, name: t.name })}\n`);
        else process.stdout.write(`deleted tenant ${t.name} (${t.id})\n`);
        return EXIT.ok;
      }
      default: {
        const t = await findTenant(store, args[0]);
        const label = values.label ?? "cli";
        const { key, record } = await mintApiKey(store, t.id, label);
        await store.appendAudit({
          tenantId: t.id,
          actor: ACTOR,
          action: "apikey.create",
          target: `apikey:${record.id}`,
          result: "ok",
          details: { label },
        });
        if (values.json) {
          process.stdout.write(`${JSON.stringify({ tenantId: t.id, id: record.id, label, key: key.reveal() })}\n`);
        } else {
          process.stdout.write(
            `API key ${record.id} for tenant ${t.name} (shown once; store it now):\n${key.reveal()}\n`,
          );
        }
        return EXIT.ok;
      }
    }
  } finally {
    await store.close();
  }
}
