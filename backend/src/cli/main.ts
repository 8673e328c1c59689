/**
 * The `accessmap` command line. Each subcommand has `--help`; user mistakes print a message naming the option or
 * field and exit 2, never a stack trace.
 */
import { ConfigError } from "../config/load.js";
import { StoreUrlError } from "../store/open-store.js";
import { DISCOVER_HELP, discoverCommand } from "./discover.js";
import { EXIT } from "./exit-codes.js";
import { EXPORT_HELP, exportCommand } from "./export.js";
import { LIFECYCLE_HELP, lifecycleCommand } from "./lifecycle.js";
import { QUERY_HELP, queryCommand } from "./query.js";
import { SERVE_HELP, serveCommand } from "./serve.js";
import { SYNCS_HELP, syncsCommand } from "./syncs.js";
import { TENANTS_HELP, tenantsCommand } from "./tenants.js";
import { UsageError } from "./usage-error.js";

const HELP = `Usage: accessmap <command> [options]

Commands:
  discover   read identities and permissions from Atlassian Cloud and make them the tenant's current model
  export     the current model as access-review CSV, JSON, or Veza OAA payloads
  query      who can access what, why, search, snapshot diffs and insights
  lifecycle  plan and apply user lifecycle changes (SCIM, Admin API); the lifecycle audit log
  serve      run the HTTP API with the sync worker and scheduler
  tenants    list, create and delete the service's tenants; mint API keys
  syncs      list, run, show and cancel sync jobs

Run "accessmap <command> --help" for a command's options.
`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  discover: { run: discoverCommand, help: DISCOVER_HELP },
  export: { run: exportCommand, help: EXPORT_HELP },
  query: { run: queryCommand, help: QUERY_HELP },
  lifecycle: { run: lifecycleCommand, help: LIFECYCLE_HELP },
  serve: { run: serveCommand, help: SERVE_HELP },
  tenants: { run: tenantsCommand, help: TENANTS_HELP },
  syncs: { run: syncsCommand, help: SYNCS_HELP },
};

/** Runs the CLI and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(HELP);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`accessmap: unknown command "${name}"\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`accessmap ${name}: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof UsageError || err instanceof StoreUrlError) {
      process.stderr.write(
        `accessmap ${name}: ${err.message}\n\n${err instanceof UsageError ? err.help : command.help}`,
      );
      return EXIT.usage;
    }
    if ((err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`accessmap ${name}: ${(err as Error).message}\n\n${command.help}`);
      return EXIT.usage;
    }
    process.stderr.write(`accessmap ${name}: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
