/**
 * Migration 4: delta versions. An event patch no longer rewrites the whole snapshot and model: its version stores
 * one delta (gzip JSON, cumulative over a full base version) in `snapshot_deltas`, and readers resolve base + delta
 * in one statement. The base cannot be deleted while a delta rests on it (retention keeps it; the foreign key,
 * checked at commit so a tenant's cascading delete can remove both, refuses anything else). `snapshots.model_digest` is a version's content digest when it is not the model blob's checksum (a delta
 * version, and a delta version rewritten whole by compaction keeps it), so a version's `modelSha256` never changes.
 * Existing rows are full versions: nothing to backfill.
 */
import type { Migration } from "./index.js";

export const migration004: Migration = {
  version: 4,
  name: "delta versions",
  sqlite: `
ALTER TABLE snapshots ADD COLUMN model_digest TEXT;
CREATE TABLE snapshot_deltas (
  tenant_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  base_version INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (tenant_id, version),
  FOREIGN KEY (tenant_id, version) REFERENCES snapshots(tenant_id, version) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, base_version) REFERENCES snapshots(tenant_id, version) DEFERRABLE INITIALLY DEFERRED,
  CHECK (base_version < version)
);
CREATE INDEX snapshot_deltas_base ON snapshot_deltas (tenant_id, base_version);
`,
  postgres: `
ALTER TABLE snapshots ADD COLUMN model_digest TEXT;
CREATE TABLE snapshot_deltas (
  tenant_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  base_version INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  size BIGINT NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (tenant_id, version),
  FOREIGN KEY (tenant_id, version) REFERENCES snapshots(tenant_id, version) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, base_version) REFERENCES snapshots(tenant_id, version) DEFERRABLE INITIALLY DEFERRED,
  CHECK (base_version < version)
);
CREATE INDEX snapshot_deltas_base ON snapshot_deltas (tenant_id, base_version);
ALTER TABLE snapshot_deltas ALTER COLUMN data SET STORAGE EXTERNAL;
`,
};
