/**
 * `accessmap syncs list|run|show|cancel`: the sync jobs of the tenants a service serves, directly in the store.
 * `run` queues a sync and, unless `--queue-only`, works it in this process with live progress (the same worker the
 * service runs), so a sync can be run without a service.
 */
import { parseArgs } from "node:util";
import { createUndiciSend } from "../http/undici-send.js";
import { loadMasterKeyring, MasterKeyConfigError } from "../security/envelope.js";
import { createLogger } from "../security/logger.js";
import type { Store, SyncJob } from "../store/store.js";
import { SYNC_DEDUPE_KEY } from "../sync/scheduler.js";
import { startSyncWorker } from "../sync/worker.js";
import { EXIT } from "./exit-codes.js";
import { pickTenant, storeFromArgs } from "./store-access.js";
import { renderTable } from "./table.js";
import { UsageError } from "./usage-error.js";

export const SYNCS_HELP = `Usage: accessmap syncs <action> [arguments] [options]

Actions:
  list                 the tenant's sync jobs, newest first
  run                  queue a sync and run it here with live progress (--queue-only: leave it to \`serve\`)
  show JOB_ID          one job: state, attempts, result or error
  cancel JOB_ID        cancel a queued job, or ask a running one to stop

Options:
  --tenant NAME        the tenant (optional when the store holds one)
  --store URL          sqlite:PATH or postgres://… (default: $ACCESSMAP_STORE, else sqlite:.accessmap/accessmap.db)
  --queue-only         run: only queue the job
  --json               print JSON instead of tables
  --help               this text

Environment: ACCESSMAP_MASTER_KEY (run: opens the tenant's sealed secrets).
Exit codes: 0 done (run: the sync succeeded), 1 failed, 2 usage or configuration error, 4 no such job.
`;

const NOT_FOUND = 4;

function jobRow(j: SyncJob): string[] {
  return [j.id, j.state, String(j.attempts), j.createdAt, j.finishedAt ?? "", (j.error ?? "").slice(0, 80)];
}

async function runHere(store: Store, tenantId: string, job: SyncJob, json: boolean): Promise<SyncJob> {
  let keyring: ReturnType<typeof loadMasterKeyring>;
  try {
    keyring = loadMasterKeyring();
  } catch (err) {
    if (err instanceof MasterKeyConfigError) throw new UsageError(err.message, SYNCS_HELP);
    throw err;
  }
  const send = createUndiciSend();
  const worker = startSyncWorker({
    store,
    keyring,
    send,
    logger: createLogger({ level: "warn" }),
    concurrency: 1,
    pollMs: 200,
    progressMs: 500,
  });
  try {
    let last = "";
    for (;;) {
      await new Promise((r) => setTimeout(r, 300));
      const current = await store.getJob(tenantId, job.id);
      if (!current) throw new Error(`job ${job.id} disappeared`);
      if (!json) {
        const running = (await store.listSnapshots(tenantId, { limit: 1 }))[0];
        const line =
          running?.state === "running"
            ? running.statuses
                .map((s) => `${s.product} ${s.reasons[0]?.replace(/^in progress: /, "") ?? s.state}`)
                .join(" | ")
            : current.state;
        if (line !== last) process.stderr.write(`${line}\n`);
        last = line;
      }
      if (!["queued", "running"].includes(current.state)) return current;
    }
  } finally {
    await worker.stop();
    await send.close();
  }
}

export async function syncsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: "string" },
      store: { type: "string" },
      "queue-only": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(SYNCS_HELP);
    return EXIT.ok;
  }
  const [action, id] = positionals;
  if (!action || !["list", "run", "show", "cancel"].includes(action)) {
    throw new UsageError(action ? `unknown action "${action}"` : "an action is required", SYNCS_HELP);
  }
  if ((action === "show" || action === "cancel") && !id)
    throw new UsageError(`syncs ${action} needs a JOB_ID`, SYNCS_HELP);
  const store = await storeFromArgs(values.store);
  const print = (json: unknown, table: () => string) =>
    process.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${table()}\n`);
  const headers = ["job", "state", "attempts", "queued", "finished", "error"];
  try {
    const tenant = await pickTenant(store, values.tenant, SYNCS_HELP);
    switch (action) {
      case "list": {
        const jobs = await store.listJobs({ tenantId: tenant.id, limit: 50 });
        print(jobs, () => renderTable(headers, jobs.map(jobRow)));
        return EXIT.ok;
      }
      case "show":
      case "cancel": {
        const job =
          action === "show"
            ? await store.getJob(tenant.id, id as string)
            : await store.cancelJob(tenant.id, id as string);
        if (!job) {
          process.stderr.write(`no sync job ${id} for tenant ${tenant.name}\n`);
          return NOT_FOUND;
        }
        print(job, () => renderTable(headers, [jobRow(job)]));
        return EXIT.ok;
      }
      default: {
        const { job, created } = await store.enqueueJob(tenant.id, {
          kind: "sync",
          dedupeKey: SYNC_DEDUPE_KEY,
          payload: { actor: "cli:syncs" },
        });
        if (values["queue-only"]) {
          print({ job, created }, () => `${created ? "queued" : "already queued"}: job ${job.id}`);
          return EXIT.ok;
        }
        const done = await runHere(store, tenant.id, job, values.json);
        print(done, () => renderTable(headers, [jobRow(done)]));
        return done.state === "succeeded" ? EXIT.ok : EXIT.failed;
      }
    }
  } finally {
    await store.close();
  }
}
