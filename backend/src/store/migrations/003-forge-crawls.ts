/**
 * Migration 3: batches of a Forge crawl (the Forge app reads Jira/Confluence with its native auth and sends the rows
 * in numbered batches). A batch is keyed by (tenant, run, seq), so a retried batch replaces itself rather than
 * adding rows twice.
 */
import type { Migration } from "./index.js";

export const migration003: Migration = {
  version: 3,
  name: "forge crawl batches",
  sqlite: `
CREATE TABLE forge_crawl_batches (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  section TEXT NOT NULL,
  rows TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, run_id, seq)
);
`,
  postgres: `
CREATE TABLE forge_crawl_batches (
  tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  section TEXT NOT NULL,
  rows JSONB NOT NULL,
  received_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (tenant_id, run_id, seq)
);
`,
};
