/**
 * Cuts a section read by the shared readers into numbered batches for `POST /forge/v1/crawls/{runId}/batches`.
 * Deterministic: the same section gives the same batches with the same `seq`, so a resent batch (a retried call or a
 * retried job) is stored once by the backend. Keys go in sorted order, rows in reader order; scalars ride in batch 0.
 */
export interface Batch {
  seq: number;
  rows: Record<string, unknown>;
}

export interface BatchLimits {
  /** Rows per batch, all keys together. */
  maxRows: number;
  /** Approximate JSON bytes per batch (Forge: 5 MB per invocation payload; keep well below). */
  maxBytes: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxRows: 2_000, maxBytes: 1_000_000 };

export function toBatches(
  section: Record<string, unknown>,
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): { batches: Batch[]; counts: Record<string, number> } {
  const keys = Object.keys(section).sort();
  const counts: Record<string, number> = {};
  const batches: Batch[] = [];
  let current: Record<string, unknown> = {};
  let rows = 0;
  let bytes = 2;
  const flush = () => {
    if (Object.keys(current).length === 0) return;
    batches.push({ seq: batches.length, rows: current });
    current = {};
    rows = 0;
    bytes = 2;
  };
  for (const key of keys) {
    const value = section[key];
    if (!Array.isArray(value)) {
      current[key] = value;
      bytes += JSON.stringify(value ?? null).length + key.length + 4;
      continue;
    }
    counts[key] = value.length;
    for (const row of value) {
      const size = JSON.stringify(row).length + 1;
      if (rows > 0 && (rows + 1 > limits.maxRows || bytes + size > limits.maxBytes)) flush();
      let list = current[key] as unknown[] | undefined;
      if (!list) {
        list = [];
        current[key] = list;
        bytes += key.length + 6;
      }
      list.push(row);
      rows += 1;
      bytes += size;
    }
  }
  flush();
  return { batches, counts };
}
