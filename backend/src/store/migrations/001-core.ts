/**
 * Migration 1: tenants, snapshots (rows, compressed blobs, the current pointer) and the audit log.
 * Timestamps: epoch milliseconds in SQLite, timestamptz in PostgreSQL.
 */
import type { Migration } from "./index.js";

const STATES = "'running','complete','partial','failed','held','superseded'";

export const migration001: Migration = {
  version: 1,
  name: "core: tenants, snapshots, current pointer, audit log",
  sqlite: `
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  config TEXT NOT NULL DEFAULT '{}',
  secrets BLOB,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE snapshots (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN (${STATES})),
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  statuses TEXT NOT NULL DEFAULT '[]',
  counts TEXT NOT NULL DEFAULT '{}',
  reason TEXT,
  decided_by TEXT,
  PRIMARY KEY (tenant_id, version)
);
CREATE TABLE snapshot_blobs (
  tenant_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('snapshot','model')),
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (tenant_id, version, kind),
  FOREIGN KEY (tenant_id, version) REFERENCES snapshots(tenant_id, version) ON DELETE CASCADE
);
CREATE TABLE current_snapshots (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  committed_at INTEGER NOT NULL,
  FOREIGN KEY (tenant_id, version) REFERENCES snapshots(tenant_id, version)
);
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  result TEXT NOT NULL,
  request_id TEXT,
  details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, seq);
`,
  postgres: `
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  config JSONB NOT NULL DEFAULT '{}',
  secrets BYTEA,
  created_at TIMESTAMPTZ NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE snapshots (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN (${STATES})),
  started_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ,
  statuses JSONB NOT NULL DEFAULT '[]',
  counts JSONB NOT NULL DEFAULT '{}',
  reason TEXT,
  decided_by TEXT,
  PRIMARY KEY (tenant_id, version)
);
CREATE TABLE snapshot_blobs (
  tenant_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('snapshot','model')),
  sha256 TEXT NOT NULL,
  size BIGINT NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (tenant_id, version, kind),
  FOREIGN KEY (tenant_id, version) REFERENCES snapshots(tenant_id, version) ON DELETE CASCADE
);
ALTER TABLE snapshot_blobs ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE TABLE current_snapshots (
  tenant_id TEXT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  committed_at TIMESTAMPTZ NOT NULL,
  FOREIGN KEY (tenant_id, version) REFERENCES snapshots(tenant_id, version)
);
CREATE TABLE audit_log (
  seq BIGSERIAL PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL,
  tenant_id TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  result TEXT NOT NULL,
  request_id TEXT,
  details JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, seq);
`,
};
