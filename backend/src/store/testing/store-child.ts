/**
 * A separate process that writes to a store, for the crash test (killed with SIGKILL in the middle of a commit) and
 * the load test (switches snapshots while the parent reads). It reports on stdout with synchronous writes, so a
 * line is out before the next step starts:
 *
 * - `READY <version>`: the run is started and its model built (or, with `delta`, the delta over the current
 *   version's base made); the commit begins right after.
 * - `INSIDE`: (mode `inside`) the commit transaction has written everything but has not moved the pointer; the
 *   process then blocks, waiting to be killed.
 * - `COMMITTED <version>`: a commit returned. `DONE`: all commits returned.
 *
 * Usage: node --import tsx store-child.ts '<json ChildConfig>'
 */
import { writeSync } from "node:fs";
import { openPostgresStore } from "../postgres.js";
import { openSqliteStore } from "../sqlite.js";
import type { Store, StoreOptions } from "../store.js";
import { makeModel, makeSnapshot, makeVersionDelta } from "./fixtures.js";

export interface ChildConfig {
  dialect: "sqlite" | "postgres";
  /** SQLite file. */
  path?: string;
  /** PostgreSQL server and schema. */
  url?: string;
  schema?: string;
  tenantId: string;
  /** `commit`: one commit; `inside`: one commit that stops inside its transaction; `switch`: `count` commits. */
  mode: "commit" | "inside" | "switch";
  /** Commit delta versions (over the current version's base) instead of full ones. */
  delta?: boolean;
  accounts: number;
  count?: number;
  pauseMs?: number;
}

const say = (line: string) => writeSync(1, `${line}\n`);

const cfg = JSON.parse(process.argv[2] ?? "{}") as ChildConfig;
const faults: StoreOptions["faults"] =
  cfg.mode === "inside"
    ? {
        insideCommit: () => {
          say("INSIDE");
          // Block (synchronously: no statement, no COMMIT can run) until the parent's SIGKILL arrives.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
        },
      }
    : undefined;
const store: Store =
  cfg.dialect === "sqlite"
    ? await openSqliteStore({ path: cfg.path!, faults })
    : await openPostgresStore({ connectionString: cfg.url!, schema: cfg.schema!, faults, maxConnections: 2 });

for (let i = 0; i < (cfg.mode === "switch" ? (cfg.count ?? 1) : 1); i++) {
  // The run id names the version it will get (this process is the only writer), so a reader can check a model
  // against the version it was returned with.
  const newest = (await store.listSnapshots(cfg.tenantId, { limit: 1 }))[0]?.version ?? 0;
  const runId = `run-${newest + 1}`;
  const started = await store.startSnapshot(cfg.tenantId, { runId });
  if (started.version !== newest + 1) throw new Error(`expected version ${newest + 1}, got ${started.version}`);
  if (cfg.delta) {
    const current = await store.getCurrentDelta(cfg.tenantId);
    if (!current) throw new Error("a delta needs a current version");
    const chain = [...(current.delta?.chain ?? []), started.version];
    const delta = makeVersionDelta(runId, current.pointer.baseVersion, chain);
    say(`READY ${started.version}`);
    await store.commitSnapshotDelta(cfg.tenantId, started.version, { delta, counts: {}, statuses: [] });
    say(`COMMITTED ${started.version}`);
    continue;
  }
  const model = makeModel(runId, cfg.accounts);
  const snapshot = makeSnapshot(runId);
  say(`READY ${started.version}`);
  await store.commitSnapshot(cfg.tenantId, started.version, { snapshot, model });
  say(`COMMITTED ${started.version}`);
  if (cfg.pauseMs) await new Promise((r) => setTimeout(r, cfg.pauseMs));
}
say("DONE");
await store.close();
