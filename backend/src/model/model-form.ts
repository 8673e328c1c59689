/**
 * A model's canonical form: every list as a sorted set of strings (each access entry with its paths sorted), so two
 * models can be compared for equal content whatever order they list things in. Tests use it to check that an
 * incrementally patched model is the model a full build gives.
 *
 * @module
 */
import type { AccessEntry, Model } from "./types.js";

const sorted = (xs: string[]): string[] => xs.sort();

const entry = (e: AccessEntry): string =>
  [
    e.principal,
    e.product,
    e.resourceType,
    e.resourceId,
    e.permission,
    sorted(e.via.map((v) => `${v.kind}: ${v.description}`)).join(" | "),
  ].join(" ▸ ");

export interface ModelForm {
  header: Pick<Model, "version" | "builtAt" | "snapshotRunId" | "org" | "site">;
  accounts: string[];
  identities: string[];
  groups: string[];
  resources: string[];
  access: string[];
  dormant: string[];
  conditional: string[];
  correlation: Model["correlation"];
  statuses: string[];
  notes: string[];
}

/** The canonical form of a model (notes keep their order: it is part of what the builder promises). */
export function modelForm(m: Model): ModelForm {
  const json = (xs: readonly unknown[]) => sorted(xs.map((x) => JSON.stringify(x)));
  return {
    header: { version: m.version, builtAt: m.builtAt, snapshotRunId: m.snapshotRunId, org: m.org, site: m.site },
    accounts: json(m.accounts),
    identities: json(m.identities),
    groups: json(m.groups),
    resources: json(m.resources),
    access: sorted(m.access.map(entry)),
    dormant: sorted(m.dormant.map(entry)),
    conditional: json(m.conditional),
    correlation: m.correlation,
    statuses: json(m.statuses),
    notes: [...m.notes],
  };
}
