/**
 * `accessmap discover --config FILE [--store URL] [--out FILE] [--idp-file FILE] [--json]`: reads every configured
 * source with live progress, builds the merged model and commits it to the store as the tenant's current model
 * (or holds it when the mass-deletion guard trips), then prints a summary per source and the top insights.
 * Exit codes: 0 complete, 3 partial or held, 1 failed, 2 usage or configuration error.
 */
import { rename, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadConfigFile } from "../config/load.js";
import { createUndiciSend } from "../http/undici-send.js";
import { IdpExportError, readIdpExportFile } from "../model/correlate.js";
import { computeInsights } from "../model/insights/index.js";
import type { Store } from "../store/store.js";
import { runSync } from "../sync/run-sync.js";
import { EXIT } from "./exit-codes.js";
import { ProgressPrinter } from "./progress.js";
import { storeFromArgs } from "./store-access.js";
import { renderTable } from "./table.js";
import { UsageError } from "./usage-error.js";

export const DISCOVER_HELP = `Usage: accessmap discover --config FILE [options]

Reads identities and permissions from every source the configuration enables (Admin, SCIM, Jira, Confluence,
Bitbucket), read-only, builds the merged model and makes it the tenant's current model in the store.

Options:
  --config FILE     connection configuration (JSON; secrets may be written as env:NAME)
  --store URL       sqlite:PATH or postgres://… (default: $ACCESSMAP_STORE, else sqlite:.accessmap/accessmap.db)
  --idp-file FILE   an IdP export (CSV or JSON rows of email/login, IdP id, status) to correlate people with
  --out FILE        also write the normalized snapshot to FILE
  --json            print the outcome as JSON instead of tables
  --help            this text

Exit codes: 0 complete, 3 partial or held for approval (the summary says why), 1 failed, 2 usage or
configuration error.
`;

/** Finds the tenant named like the configuration, or creates it (without secrets: they stay in the config file). */
async function tenantFor(store: Store, name: string): Promise<string> {
  const existing = (await store.listTenants()).find((t) => t.name === name);
  if (existing) return existing.id;
  return (await store.createTenant({ name, config: { source: "cli" } })).id;
}

async function readIdpFile(path: string) {
  try {
    return await readIdpExportFile(path);
  } catch (err) {
    if (err instanceof IdpExportError) throw new UsageError(`--idp-file ${path}: ${err.message}`, DISCOVER_HELP);
    throw err;
  }
}

export async function discoverCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string" },
      store: { type: "string" },
      "idp-file": { type: "string" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(DISCOVER_HELP);
    return EXIT.ok;
  }
  if (!values.config) throw new UsageError("--config FILE is required", DISCOVER_HELP);
  const config = await loadConfigFile(values.config);
  const idpIdentities = values["idp-file"] ? await readIdpFile(values["idp-file"]) : undefined;
  const store = await storeFromArgs(values.store);
  const send = createUndiciSend({ connections: config.concurrency * 2 });
  const printer = new ProgressPrinter();
  try {
    const tenantId = await tenantFor(store, config.name);
    const result = await runSync(store, tenantId, config, {
      send,
      schemaMode: "warn",
      idpIdentities,
      actor: "cli:discover",
      onProgress: (p) => printer.update(p),
      warn: (message, fields) => process.stderr.write(`${JSON.stringify({ level: "warn", message, ...fields })}\n`),
    });
    printer.done();
    const data = values.out ? await store.readSnapshotData(tenantId, result.record.version) : null;
    if (values.out && data?.snapshot) {
      const tmp = `${values.out}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(data.snapshot));
      await rename(tmp, values.out);
    }
    const statuses = result.record.statuses;
    const insights = result.model ? computeInsights(result.model, { now: result.model.builtAt, maxEvidence: 0 }) : [];
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            outcome: result.outcome,
            tenant: config.name,
            version: result.record.version,
            reason: result.record.reason,
            statuses,
            counts: result.record.counts,
            insights: insights.map(({ kind, title, severity, count }) => ({ kind, title, severity, count })),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      const rows = statuses.map((s) => [
        s.product,
        s.state,
        String(s.calls),
        Object.entries(s.counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(", "),
      ]);
      process.stdout.write(`${renderTable(["source", "state", "calls", "read"], rows)}\n`);
      for (const s of statuses) for (const r of s.reasons) process.stdout.write(`\n${s.product} (${s.state}): ${r}`);
      if (result.model) {
        const m = result.model;
        process.stdout.write(
          `\n\nmodel: ${m.accounts.length} accounts, ${m.groups.length} groups, ${m.resources.length} resources, ` +
            `${m.access.length} effective access entries (${m.dormant.length} dormant)\n`,
        );
        if (insights.length > 0) {
          process.stdout.write("\ntop insights:\n");
          process.stdout.write(
            `${renderTable(
              ["severity", "count", "finding"],
              insights.slice(0, 8).map((f) => [f.severity, String(f.count), f.title]),
            )}\n`,
          );
        }
      }
      const what =
        result.outcome === "held"
          ? `held for approval (${result.record.reason})`
          : result.outcome === "failed"
            ? "failed: the current model is unchanged"
            : `${result.outcome}: version ${result.record.version} is now current`;
      process.stdout.write(`\ntenant ${config.name}: ${what}\n`);
    }
    return result.outcome === "complete" ? EXIT.ok : result.outcome === "failed" ? EXIT.failed : EXIT.partial;
  } finally {
    await send.close();
    await store.close();
  }
}
