/**
 * `accessmap serve [--settings FILE] [--no-background]`: runs the HTTP API, the sync worker and the scheduler until
 * SIGINT or SIGTERM, then shuts down gracefully (a second signal exits at once).
 */
import { parseArgs } from "node:util";
import { startService } from "../service/server.js";
import { loadSettings, SettingsError } from "../service/settings.js";
import { EXIT } from "./exit-codes.js";

export const SERVE_HELP = `Usage: accessmap serve [options]

Runs the accessmap service: the HTTP API (docs at /docs, OpenAPI at /openapi.json), the sync worker that runs
queued syncs, and the scheduler that queues syncs of tenants with a schedule. Stops gracefully on SIGINT/SIGTERM.

Settings come from the environment (and --settings FILE, a JSON object of the same names; the environment wins):
  ACCESSMAP_MASTER_KEY               required: 32 random bytes, base64 (seals tenant secrets)
  ACCESSMAP_OPERATOR_TOKEN           required: the operator credential, at least 32 characters
  ACCESSMAP_STORE                    store URL (default sqlite:.accessmap/accessmap.db)
  ACCESSMAP_HOST, ACCESSMAP_PORT     where to listen (default 127.0.0.1:8787)
  ACCESSMAP_FORGE_APP_ID             enables Forge Invocation Token auth on /forge (the pinned audience)
  ACCESSMAP_FORGE_JWKS_URL           Forge's JWKS (default the production endpoint)
  ACCESSMAP_FORGE_ALLOWED_API_HOSTS  extra host[:port] accepted as a FIT apiBaseUrl (the simulator)
  ACCESSMAP_FORGE_AUTO_REGISTER      true|false: a new Forge installation gets its own tenant (default true)
  ACCESSMAP_SYNC_CONCURRENCY         syncs at once (default 2)
  ACCESSMAP_RETENTION_KEEP           snapshots kept per tenant besides the current (default 5)
  ACCESSMAP_MASS_DELETION_THRESHOLD  share of removals that holds a run for approval (default 0.2)
  ACCESSMAP_BODY_LIMIT_BYTES         largest request body (default 1048576)
  ACCESSMAP_LOG_LEVEL                trace|debug|info|warn|error|fatal|silent (default info)

Options:
  --settings FILE    a JSON settings file
  --no-background    serve the API only (no sync worker, no scheduler)
  --help             this text

Exit codes: 0 stopped cleanly, 2 invalid settings (the message names each setting, never its value), 1 failed.
`;

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      settings: { type: "string" },
      "no-background": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return EXIT.ok;
  }
  let settings: Awaited<ReturnType<typeof loadSettings>>;
  try {
    settings = await loadSettings({ file: values.settings });
  } catch (err) {
    if (err instanceof SettingsError) {
      process.stderr.write(`accessmap serve: ${err.message}\n\nRun "accessmap serve --help" for the settings.\n`);
      return EXIT.usage;
    }
    throw err;
  }
  const running = await startService(settings, { background: !values["no-background"] });
  process.stderr.write(`accessmap API:  ${running.url}\naccessmap docs: ${running.docsUrl}\n`);

  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        process.stderr.write(`accessmap serve: ${signal} again, exiting now\n`);
        process.exit(EXIT.failed);
      }
      process.stderr.write(`accessmap serve: ${signal}, shutting down (again to force)\n`);
      void running.close().then(resolve, (err: unknown) => {
        process.stderr.write(`accessmap serve: shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
        resolve();
      });
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  return EXIT.ok;
}
