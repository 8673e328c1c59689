/**
 * Versioned schema migrations, one SQL script per dialect. A store records what it applied in `schema_migrations`;
 * opening a store applies whatever is pending, in order, each in its own transaction, so a store at any earlier
 * version upgrades to the latest. A store newer than this code is refused rather than guessed at.
 *
 * Never edit a released migration: add the next one.
 */
import { migration001 } from "./001-core.js";
import { migration002 } from "./002-jobs.js";
import { migration003 } from "./003-forge-crawls.js";
import { migration004 } from "./004-snapshot-deltas.js";

export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [migration001, migration002, migration003, migration004];

export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.length;

/** The migrations after `from`, up to `to` (default: the latest). */
export function pendingMigrations(from: number, to: number = LATEST_SCHEMA_VERSION): Migration[] {
  if (from > LATEST_SCHEMA_VERSION) {
    throw new Error(
      `the store is at schema version ${from}, newer than this accessmap (${LATEST_SCHEMA_VERSION}): upgrade accessmap`,
    );
  }
  if (!Number.isInteger(to) || to < 0 || to > LATEST_SCHEMA_VERSION) {
    throw new RangeError(`no schema version ${to} (latest is ${LATEST_SCHEMA_VERSION})`);
  }
  return MIGRATIONS.filter((m) => m.version > from && m.version <= to);
}

// Versions are 1..n without gaps: a missing or duplicated file is a bug found at import time.
MIGRATIONS.forEach((m, i) => {
  if (m.version !== i + 1) throw new Error(`migration ${i + 1} is numbered ${m.version}`);
});
