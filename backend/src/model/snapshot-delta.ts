/**
 * Row-level changes of a snapshot. The rows that describe one resource — a Jira project's row and its role actors,
 * a permission scheme and its grants, a Confluence space with its permissions and role assignments, a Bitbucket
 * repository with its grants and branch protection, a Bitbucket project with its grants — form a **partition** of
 * their lists, keyed by the resource's id. An event patch replaces whole partitions; everything else in a section
 * (users, groups, memberships, the workspace) is its **identity side**, which a partition change never touches.
 *
 * - A {@link SnapshotChange} is one patch: the new rows of some partitions (an empty list: the partition is gone).
 * - A {@link SnapshotDelta} is what a delta version stores: every partition changed since its full base version,
 *   each stamped with the version that last changed it, plus the snapshot's header fields. Applying it to the base
 *   gives the version's snapshot; applying only the partitions stamped after version `v` brings a copy of version
 *   `v` up to date.
 *
 * Rows of a changed partition take the place of the partition's old rows; a new partition goes at the end of its
 * list. Row order within a list carries no meaning (the model builder sorts everything), so two ways of reaching
 * the same content may order rows differently, never differ in content.
 *
 * @module
 */
import type { Snapshot } from "@accessmap/shared/snapshot/schema";

/** The partitioned lists of each section, with the field that keys a row's partition. */
export const PARTITIONED = {
  jira: { projects: "id", roleActors: "projectId", permissionSchemes: "id", grants: "schemeId", roles: "id" },
  confluence: { spaces: "id", spacePermissions: "spaceId", roleAssignments: "spaceId", roles: "id" },
  bitbucket: {
    projects: "key",
    projectPermissions: "projectKey",
    repositories: "slug",
    repositoryPermissions: "repoSlug",
    branchProtection: "repoSlug",
  },
} as const satisfies Record<string, Record<string, string>>;

/** Section fields that are neither partitioned nor on the identity side (a change needs no identity rebuild). */
export const FREE_SCALARS: Readonly<Record<PartitionedSection, readonly string[]>> = {
  jira: [],
  confluence: ["roleMode"],
  bitbucket: [],
};

export type PartitionedSection = keyof typeof PARTITIONED;
export const PARTITIONED_SECTIONS: readonly PartitionedSection[] = ["jira", "confluence", "bitbucket"];

type Row = Record<string, unknown>;

/** One patch of one section: list → [partition key, the partition's rows after the patch]. */
export interface SectionChange {
  lists: Record<string, Array<[key: string, rows: unknown[]]>>;
  scalars?: Record<string, unknown>;
}

/** One patch: partition changes per section. */
export type SnapshotChange = Partial<Record<PartitionedSection, SectionChange>>;

/** A partition as a delta stores it: its rows after the change and the version that last changed it. */
export interface PartitionRows {
  key: string;
  rows: unknown[];
  at: number;
}

export interface SectionDelta {
  lists: Record<string, PartitionRows[]>;
  scalars: Record<string, { value: unknown; at: number }>;
}

/** The snapshot fields a patch always rewrites. */
export type SnapshotHeader = Pick<Snapshot, "runId" | "startedAt" | "finishedAt" | "site" | "statuses" | "notes">;

export interface SnapshotDelta {
  header: SnapshotHeader;
  sections: Partial<Record<PartitionedSection, SectionDelta>>;
}

/** The field keying `list`'s partitions, or undefined when the list is not partitioned. */
export function partitionField(section: PartitionedSection, list: string): string | undefined {
  return (PARTITIONED[section] as Record<string, string>)[list];
}

function keyOf(row: unknown, field: string): string {
  const v = (row as Row)[field];
  return typeof v === "string" ? v : String(v);
}

/** Rows of `list` with the partitions in `replace` swapped in place (new partitions appended, in order). */
function replacePartitions(
  rows: readonly unknown[],
  field: string,
  replace: ReadonlyMap<string, unknown[]>,
): unknown[] {
  const out: unknown[] = [];
  const placed = new Set<string>();
  for (const row of rows) {
    const k = keyOf(row, field);
    const next = replace.get(k);
    if (next === undefined) {
      out.push(row);
      continue;
    }
    if (placed.has(k)) continue;
    placed.add(k);
    out.push(...next);
  }
  for (const [k, next] of replace) if (!placed.has(k)) out.push(...next);
  return out;
}

function applyToSection(
  section: Record<string, unknown>,
  name: PartitionedSection,
  lists: Record<string, ReadonlyMap<string, unknown[]>>,
  scalars: Record<string, unknown>,
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...section };
  for (const [list, replace] of Object.entries(lists)) {
    const field = partitionField(name, list);
    if (!field) throw new TypeError(`${name}.${list} is not a partitioned list`);
    if (replace.size === 0) continue;
    next[list] = replacePartitions((section[list] as unknown[]) ?? [], field, replace);
  }
  for (const [k, v] of Object.entries(scalars)) {
    if (!FREE_SCALARS[name].includes(k)) throw new TypeError(`${name}.${k} cannot change in a patch`);
    next[k] = v;
  }
  return next;
}

/** Sets a partition's rows in a change, replacing what the change already held for it. */
export function putPartition(change: SectionChange, list: string, key: string, rows: unknown[]): void {
  let parts = change.lists[list];
  if (!parts) {
    parts = [];
    change.lists[list] = parts;
  }
  const i = parts.findIndex(([k]) => k === key);
  if (i >= 0) parts[i] = [key, rows];
  else parts.push([key, rows]);
}

/** The snapshot with one patch applied (sections without a change are shared, not copied). */
export function applySnapshotChange(s: Snapshot, change: SnapshotChange, header?: SnapshotHeader): Snapshot {
  const out: Snapshot = { ...s, ...(header ?? {}) };
  for (const name of PARTITIONED_SECTIONS) {
    const c = change[name];
    if (!c) continue;
    const section = s[name];
    if (!section) throw new TypeError(`the ${name} section is empty: a partition change needs one`);
    const lists = Object.fromEntries(Object.entries(c.lists).map(([l, parts]) => [l, new Map(parts)]));
    (out as Record<string, unknown>)[name] = applyToSection(
      section as unknown as Record<string, unknown>,
      name,
      lists,
      c.scalars ?? {},
    );
  }
  return out;
}

/**
 * The snapshot of a delta version: `base` (its full base) with the delta applied. With `after`, only partitions
 * changed after that version are applied — to bring a copy of that version (not the base) up to date.
 */
export function applySnapshotDelta(base: Snapshot, d: SnapshotDelta, after = Number.NEGATIVE_INFINITY): Snapshot {
  const out: Snapshot = { ...base, ...d.header };
  for (const name of PARTITIONED_SECTIONS) {
    const sd = d.sections[name];
    const section = base[name];
    if (!sd || !section) continue;
    const lists: Record<string, Map<string, unknown[]>> = {};
    for (const [list, parts] of Object.entries(sd.lists)) {
      lists[list] = new Map(parts.filter((p) => p.at > after).map((p) => [p.key, p.rows]));
    }
    const scalars: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(sd.scalars)) if (v.at > after) scalars[k] = v.value;
    (out as Record<string, unknown>)[name] = applyToSection(
      section as unknown as Record<string, unknown>,
      name,
      lists,
      scalars,
    );
  }
  return out;
}

/** The cumulative delta after one more patch (stamped `at`): the patch's partitions replace earlier ones. */
export function mergeSnapshotDelta(
  prev: SnapshotDelta | null,
  change: SnapshotChange,
  header: SnapshotHeader,
  at: number,
): SnapshotDelta {
  const sections: Partial<Record<PartitionedSection, SectionDelta>> = {};
  for (const name of PARTITIONED_SECTIONS) {
    const before = prev?.sections[name];
    const c = change[name];
    if (!before && !c) continue;
    const lists: Record<string, PartitionRows[]> = {};
    for (const [list, parts] of Object.entries(before?.lists ?? {})) lists[list] = [...parts];
    for (const [list, parts] of Object.entries(c?.lists ?? {})) {
      const current = lists[list] ?? [];
      const index = new Map(current.map((p, i) => [p.key, i]));
      for (const [key, rows] of parts) {
        const i = index.get(key);
        if (i === undefined) {
          index.set(key, current.length);
          current.push({ key, rows, at });
        } else current[i] = { key, rows, at };
      }
      lists[list] = current;
    }
    const scalars = { ...(before?.scalars ?? {}) };
    for (const [k, value] of Object.entries(c?.scalars ?? {})) scalars[k] = { value, at };
    sections[name] = { lists, scalars };
  }
  return { header, sections };
}

/** The partition keys a change touches, per section and list. */
export function changedKeys(change: SnapshotChange, name: PartitionedSection, list: string): string[] {
  return (change[name]?.lists[list] ?? []).map(([k]) => k);
}

/** Groups a list's rows by partition key, keeping their order. */
function byPartition(rows: readonly unknown[], field: string): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const row of rows) {
    const k = keyOf(row, field);
    const list = out.get(k);
    if (list) list.push(row);
    else out.set(k, [row]);
  }
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * A whole section read again (a section re-read, a Forge crawl) as a partition change against the current one, or
 * null when its identity side differs (users, groups, memberships, the workspace …: the identity side of the model
 * must be rebuilt) or when either side is missing.
 */
export function diffSection(name: PartitionedSection, base: unknown, next: unknown): SectionChange | null {
  if (!base || !next) return null;
  const b = base as Row;
  const n = next as Row;
  const partitioned = PARTITIONED[name] as Record<string, string>;
  const keys = new Set([...Object.keys(b), ...Object.keys(n)]);
  const change: SectionChange = { lists: {}, scalars: {} };
  for (const k of keys) {
    const field = partitioned[k];
    if (field) {
      const before = byPartition((b[k] as unknown[]) ?? [], field);
      const after = byPartition((n[k] as unknown[]) ?? [], field);
      const parts: Array<[string, unknown[]]> = [];
      for (const [key, rows] of after) if (!same(before.get(key), rows)) parts.push([key, rows]);
      for (const key of before.keys()) if (!after.has(key)) parts.push([key, []]);
      if (parts.length > 0) change.lists[k] = parts;
    } else if (FREE_SCALARS[name].includes(k)) {
      if (!same(b[k], n[k])) change.scalars![k] = n[k];
    } else if (!same(b[k], n[k])) return null;
  }
  return change;
}
