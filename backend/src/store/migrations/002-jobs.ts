/**
 * Migration 2: the per-tenant snapshot version counter (backfilled from the snapshots already stored), API keys,
 * the sync job queue, webhook delivery ids, cursors, and an append-only audit log enforced by the database.
 */
import type { Migration } from "./index.js";

const JOB_STATES = "'queued','running','succeeded','failed','cancelled'";

export const migration002: Migration = {
  version: 2,
  name: "job queue, API keys, webhook dedupe, cursors, append-only audit",
  sqlite: `
ALTER TABLE tenants ADD COLUMN last_snapshot_version INTEGER NOT NULL DEFAULT 0;
UPDATE tenants SET last_snapshot_version = COALESCE((SELECT MAX(version) FROM snapshots WHERE tenant_id = tenants.id), 0);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
CREATE TABLE sync_jobs (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN (${JOB_STATES})),
  payload TEXT NOT NULL DEFAULT '{}',
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_after INTEGER NOT NULL,
  dedupe_key TEXT,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  error TEXT,
  result TEXT
);
CREATE UNIQUE INDEX sync_jobs_one_running ON sync_jobs (tenant_id) WHERE state = 'running';
CREATE UNIQUE INDEX sync_jobs_dedupe ON sync_jobs (tenant_id, dedupe_key) WHERE state = 'queued' AND dedupe_key IS NOT NULL;
CREATE INDEX sync_jobs_queue ON sync_jobs (state, run_after, created_at);
CREATE INDEX sync_jobs_tenant ON sync_jobs (tenant_id, created_at);
CREATE TABLE webhook_deliveries (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, source, delivery_id)
);
CREATE INDEX webhook_deliveries_expiry ON webhook_deliveries (expires_at);
CREATE TABLE cursors (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
`,
  postgres: `
ALTER TABLE tenants ADD COLUMN last_snapshot_version INTEGER NOT NULL DEFAULT 0;
UPDATE tenants SET last_snapshot_version = COALESCE((SELECT MAX(version) FROM snapshots WHERE tenant_id = tenants.id), 0);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at TIMESTAMPTZ NOT NULL,
  revoked_at TIMESTAMPTZ
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
CREATE TABLE sync_jobs (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN (${JOB_STATES})),
  payload JSONB NOT NULL DEFAULT '{}',
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_after TIMESTAMPTZ NOT NULL,
  dedupe_key TEXT,
  lease_owner TEXT,
  lease_expires_at TIMESTAMPTZ,
  cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
  created_at TIMESTAMPTZ NOT NULL,
  started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  error TEXT,
  result JSONB
);
CREATE UNIQUE INDEX sync_jobs_one_running ON sync_jobs (tenant_id) WHERE state = 'running';
CREATE UNIQUE INDEX sync_jobs_dedupe ON sync_jobs (tenant_id, dedupe_key) WHERE state = 'queued' AND dedupe_key IS NOT NULL;
CREATE INDEX sync_jobs_queue ON sync_jobs (state, run_after, created_at);
CREATE INDEX sync_jobs_tenant ON sync_jobs (tenant_id, created_at);
CREATE TABLE webhook_deliveries (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  source TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  received_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (tenant_id, source, delivery_id)
);
CREATE INDEX webhook_deliveries_expiry ON webhook_deliveries (expires_at);
CREATE TABLE cursors (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
`,
};
