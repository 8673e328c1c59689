/**
 * `accessmap discover --config FILE [--out FILE] [--json]`: reads every configured source with live progress, ends
 * with a summary table per source, writes the snapshot atomically, and exits 0 (complete), 3 (partial) or
 * 1 (failed).
 */
import { rename, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadConfigFile } from "../config/load.js";
import { runDiscovery } from "../discovery/run-discovery.js";
import { createUndiciSend } from "../http/undici-send.js";
import { EXIT } from "./exit-codes.js";
import { ProgressPrinter } from "./progress.js";
import { renderTable } from "./table.js";
import { UsageError } from "./usage-error.js";

export const DISCOVER_HELP = `Usage: accessmap discover --config FILE [--out FILE] [--json]

Reads identities and permissions from every source the configuration enables (Admin, SCIM, Jira, Confluence,
Bitbucket), read-only, and writes a normalized snapshot.

Options:
  --config FILE   connection configuration (JSON; secrets may be written as env:NAME)
  --out FILE      where to write the snapshot (default: accessmap-snapshot.json)
  --json          print the per-source statuses as JSON instead of a table
  --help          this text

Exit codes: 0 complete, 3 partial (the summary says why), 1 a source failed, 2 usage or configuration error.
`;

export async function discoverCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string" },
      out: { type: "string", default: "accessmap-snapshot.json" },
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
  const send = createUndiciSend({ connections: config.concurrency * 2 });
  const printer = new ProgressPrinter();
  try {
    const { snapshot, outcome } = await runDiscovery(config, {
      send,
      schemaMode: "warn",
      onProgress: (p) => printer.update(p),
      warn: (message, fields) => process.stderr.write(`${JSON.stringify({ level: "warn", message, ...fields })}\n`),
    });
    printer.done();
    const out = String(values.out);
    const tmp = `${out}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(snapshot));
    await rename(tmp, out);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ outcome, snapshot: out, statuses: snapshot.statuses, notes: snapshot.notes }, null, 2)}\n`,
      );
    } else {
      const rows = snapshot.statuses.map((s) => [
        s.product,
        s.state,
        String(s.calls),
        Object.entries(s.counts)
          .map(([k, v]) => `${k} ${v}`)
          .join(", "),
      ]);
      process.stdout.write(`${renderTable(["source", "state", "calls", "read"], rows)}\n`);
      for (const s of snapshot.statuses)
        for (const r of s.reasons) process.stdout.write(`\n${s.product} (${s.state}): ${r}`);
      for (const n of snapshot.notes) process.stdout.write(`\nnote: ${n}`);
      process.stdout.write(`\n\nsnapshot written to ${out} (${outcome})\n`);
    }
    return outcome === "complete" ? EXIT.ok : outcome === "partial" ? EXIT.partial : EXIT.failed;
  } finally {
    await send.close();
  }
}
