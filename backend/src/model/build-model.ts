/**
 * The model builder: snapshot in, merged model out. Pure and deterministic — the same snapshot (and `builtAt`)
 * always gives the same model, with every list sorted. Steps: unify groups, join accounts, correlate IdP identities,
 * decide who may use each product, resolve each product's effective access (every path kept), describe resources.
 *
 * A section that is null (its source failed, or was not configured) contributes nothing and is named in `notes`;
 * the others still resolve.
 */
import { resourceTypeRank } from "@accessmap/shared/model/resource-types";
import type { Snapshot } from "@accessmap/shared/snapshot/schema";
import {
  BITBUCKET_KEY,
  CONFLUENCE_KEY,
  type Correlation,
  canSignIn,
  correlate,
  type IdentityInput,
  identitiesFromFile,
  identitiesFromScim,
  isJiraKey,
  type JoinedAccounts,
  joinAccounts,
  type ParsedIdentity,
  type UnifiedGroups,
  unifyGroups,
} from "./correlate.js";
import { resolveAdmin } from "./resolve/admin.js";
import { resolveBitbucket } from "./resolve/bitbucket.js";
import { resolveConfluence } from "./resolve/confluence.js";
import { AccessSink, type ResolveInput, type ResolveScope, ViaTable } from "./resolve/context.js";
import { resolveJira } from "./resolve/jira.js";
import { type AccessEntry, type AccessProduct, MODEL_VERSION, type Model, type Resource } from "./types.js";

export interface BuildModelOptions {
  /** People from an IdP export file (see `parseIdpExport`), correlated with the SCIM directory's. */
  idpIdentities?: ParsedIdentity[];
  /** The model's timestamp; defaults to the snapshot's `finishedAt`, so the build stays deterministic. */
  builtAt?: string;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The host of a URL or bare host, or null. */
export function hostOf(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url.includes("://") ? url : `https://${url}`).host || null;
  } catch {
    return null;
  }
}

/**
 * The site's host: the configured one when Admin lists it; else the one Jira/Confluence site Admin lists (a
 * simulator or proxy URL is not the site's name); else the configured one.
 */
function siteHostOf(s: Snapshot, notes: string[]): string | null {
  const adminHosts = [
    ...new Set(
      (s.admin?.workspaces ?? [])
        .filter((w) => isJiraKey(w.type) || w.type === CONFLUENCE_KEY)
        .map((w) => hostOf(w.url))
        .filter((h): h is string => h !== null),
    ),
  ].sort(cmp);
  if (s.site && adminHosts.includes(s.site)) return s.site;
  if (adminHosts.length === 1) {
    if (s.site && (s.jira || s.confluence))
      notes.push(`Site: the configured host ${s.site} is not an Admin site; the org's site ${adminHosts[0]} names it.`);
    return adminHosts[0]!;
  }
  return s.site;
}

function bitbucketSlugOf(s: Snapshot): string | null {
  if (s.bitbucket) return s.bitbucket.workspace.slug;
  const urls = (s.admin?.workspaces ?? [])
    .filter((w) => w.type === BITBUCKET_KEY && w.url)
    .map((w) => w.url!.replace(/\/+$/, "").split("/").pop() ?? "")
    .filter((x) => x !== "")
    .sort(cmp);
  return urls[0] ?? null;
}

/** The snapshot's own notes, and one for each section a failed or skipped source left empty. */
export function leadingNotes(s: Snapshot): string[] {
  const notes: string[] = [...s.notes];
  for (const st of s.statuses) {
    const section = st.product === "scim" ? s.scim : s[st.product];
    if (section === null && (st.state === "failed" || st.state === "skipped"))
      notes.push(`${st.product}: no data (${st.state}); its part of the model is missing, not empty.`);
  }
  return notes;
}

/**
 * The identity side of a model: unified groups, joined accounts, correlated identities, who may use each product,
 * the site and the workspace. It depends on the snapshot's users, groups, memberships and on which sections are
 * present — never on projects, spaces, repositories or grants, so a change of those leaves it as it is.
 */
export interface ModelContext {
  groups: UnifiedGroups;
  accounts: JoinedAccounts;
  correlation: Correlation;
  eligible: ResolveInput["eligible"];
  siteHost: string | null;
  bitbucketSlug: string | null;
  /** The notes between the leading ones and the product resolvers': groups, accounts, correlation, site. */
  identityNotes: string[];
}

/** Computes the identity side of the model of a snapshot. */
export function modelContext(s: Snapshot, opts: BuildModelOptions = {}): ModelContext {
  const notes: string[] = [];
  const groups = unifyGroups(s);
  notes.push(...groups.notes);
  const joined = joinAccounts(s, groups);
  notes.push(...joined.notes);

  const identityInputs: IdentityInput[] = [
    ...(s.scim ? identitiesFromScim(s.scim) : []),
    ...identitiesFromFile(opts.idpIdentities ?? []),
  ];
  const correlation = correlate(identityInputs, joined, s.scim !== null || opts.idpIdentities !== undefined);
  notes.push(...correlation.notes);
  if (!correlation.report.identitySourceAvailable)
    notes.push("No identity source (SCIM or an IdP export): accounts are not linked to IdP identities.");

  // Who may use each product.
  const eligible = {
    admin: new Set<string>(),
    jira: new Set<string>(),
    confluence: new Set<string>(),
    bitbucket: new Set<string>(),
  };
  for (const a of joined.accounts) {
    const f = joined.facts.get(a.accountId)!;
    const signIn = canSignIn(a);
    if (signIn) eligible.admin.add(a.accountId);
    let jira = false;
    let confluence = false;
    let bitbucket = false;
    for (const p of a.products) {
      if (isJiraKey(p.key)) jira = true;
      else if (p.key === CONFLUENCE_KEY) confluence = true;
      else if (p.key === BITBUCKET_KEY) bitbucket = true;
    }
    if (signIn && jira && (f.adminListed || f.jiraActive !== false)) eligible.jira.add(a.accountId);
    if (signIn && confluence) eligible.confluence.add(a.accountId);
    const bbStatusOk = a.status === "active" || (a.status === "unknown" && !f.adminListed);
    if (bitbucket && !a.suspended && bbStatusOk && (s.bitbucket === null || f.bitbucketMember))
      eligible.bitbucket.add(a.accountId);
  }
  if (!s.admin && s.jira)
    notes.push("Jira: without the Admin API, Jira access comes from the Jira application roles (their groups).");
  if (!s.admin && s.confluence)
    notes.push(
      "Confluence: without the Admin API, who holds a Confluence licence is not known; every account Confluence reports as active is treated as having access.",
    );
  const siteHost = siteHostOf(s, notes);
  return {
    groups,
    accounts: joined,
    correlation,
    eligible,
    siteHost,
    bitbucketSlug: bitbucketSlugOf(s),
    identityNotes: notes,
  };
}

/** What the product resolvers produce: entries sorted as in the model, conditional grants, notes per product. */
export interface ProductResolution {
  access: AccessEntry[];
  dormant: AccessEntry[];
  /** Sorted as in the model. */
  conditional: Model["conditional"];
  notes: Record<AccessProduct, string[]>;
}

const cmpConditional = (a: Model["conditional"][number], b: Model["conditional"][number]): number =>
  cmp(a.projectKey, b.projectKey) ||
  cmp(a.permission, b.permission) ||
  cmp(a.holderType, b.holderType) ||
  cmp(a.parameter ?? "", b.parameter ?? "");

/** Sorts conditional grants as the model lists them. */
export function sortConditional(list: Model["conditional"]): Model["conditional"] {
  return list.sort(cmpConditional);
}

/**
 * Runs the product resolvers (Admin, Jira, Confluence, Bitbucket, in that order) over the snapshot with its
 * identity side. With a scope, only the resources in it get entries (the notes still cover everything); `products`
 * limits which resolvers run.
 */
export function resolveProducts(
  s: Snapshot,
  ctx: ModelContext,
  scope: ResolveScope | null,
  products: readonly AccessProduct[] = ["admin", "jira", "confluence", "bitbucket"],
): ProductResolution {
  const input: ResolveInput = {
    snapshot: s,
    vias: new ViaTable(),
    access: new AccessSink(),
    dormant: new AccessSink(),
    notes: [],
    groups: ctx.groups,
    accounts: ctx.accounts,
    eligible: ctx.eligible,
    siteHost: ctx.siteHost,
    bitbucketSlug: ctx.bitbucketSlug,
    conditional: [],
    scope,
  };
  const notes: Record<AccessProduct, string[]> = { admin: [], jira: [], confluence: [], bitbucket: [] };
  const resolvers = {
    admin: resolveAdmin,
    jira: resolveJira,
    confluence: resolveConfluence,
    bitbucket: resolveBitbucket,
  };
  for (const product of ["admin", "jira", "confluence", "bitbucket"] as const) {
    if (!products.includes(product)) continue;
    input.notes = notes[product];
    resolvers[product](input);
  }
  return {
    access: input.access.entries(),
    dormant: input.dormant.entries(),
    conditional: sortConditional(input.conditional),
    notes,
  };
}

/** The notes of the product resolvers, in model order. */
export function productNotes(notes: Record<AccessProduct, string[]>): string[] {
  return [...notes.admin, ...notes.jira, ...notes.confluence, ...notes.bitbucket];
}

/** Builds the merged model of one snapshot. */
export function buildModel(snapshot: Snapshot, opts: BuildModelOptions = {}): Model {
  return buildModelWithContext(snapshot, opts).model;
}

/** Builds the merged model, and returns with it its identity side and the resolvers' notes (an incremental patch's base). */
export function buildModelWithContext(
  snapshot: Snapshot,
  opts: BuildModelOptions = {},
): { model: Model; ctx: ModelContext; resolution: Pick<ProductResolution, "notes"> } {
  const s = snapshot;
  const ctx = modelContext(s, opts);
  const r = resolveProducts(s, ctx, null);
  const model: Model = {
    version: MODEL_VERSION,
    builtAt: opts.builtAt ?? s.finishedAt,
    snapshotRunId: s.runId,
    org: s.admin ? { id: s.admin.org.id, name: s.admin.org.name } : null,
    site: ctx.siteHost,
    accounts: ctx.accounts.accounts,
    identities: ctx.correlation.identities,
    groups: ctx.groups.groups,
    resources: buildResources(s, ctx.siteHost, ctx.bitbucketSlug),
    access: r.access,
    dormant: r.dormant,
    conditional: r.conditional,
    correlation: ctx.correlation.report,
    statuses: modelStatuses(s),
    notes: [...leadingNotes(s), ...ctx.identityNotes, ...productNotes(r.notes)],
  };
  return { model, ctx, resolution: { notes: r.notes } };
}

/** The snapshot's statuses as the model copies them. */
export function modelStatuses(s: Snapshot): Model["statuses"] {
  return s.statuses.map((st) => ({ product: st.product, state: st.state, reasons: [...st.reasons] }));
}

/** Every resource the snapshot describes, with the product facts insights and exports use; sorted by type and id. */
export function buildResources(s: Snapshot, siteHost: string | null, bitbucketSlug: string | null): Resource[] {
  const out: Resource[] = [];
  const orgKey = s.admin ? `org:${s.admin.org.id}` : null;
  if (s.admin) {
    out.push({
      type: "org",
      id: s.admin.org.id,
      name: s.admin.org.name,
      product: "admin",
      parent: null,
      attributes: { directories: s.admin.directories.length },
    });
  }
  const adminHasSite = (s.admin?.workspaces ?? []).some(
    (w) => (isJiraKey(w.type) || w.type === CONFLUENCE_KEY) && hostOf(w.url) === siteHost,
  );
  const siteKey = siteHost && (s.jira || s.confluence || adminHasSite) ? `site:${siteHost}` : null;
  if (siteHost && siteKey) {
    const adminSite = (s.admin?.workspaces ?? []).find(
      (w) => (isJiraKey(w.type) || w.type === CONFLUENCE_KEY) && hostOf(w.url) === siteHost,
    );
    const products = new Set((s.admin?.workspaces ?? []).filter((w) => hostOf(w.url) === siteHost).map((w) => w.type));
    out.push({
      type: "site",
      id: siteHost,
      name: adminSite?.name ?? siteHost,
      product: "admin",
      parent: orgKey,
      attributes: {
        jira: s.jira !== null || [...products].some(isJiraKey),
        confluence: s.confluence !== null || products.has(CONFLUENCE_KEY),
      },
    });
  }
  if (s.jira) {
    const schemes = new Map(s.jira.permissionSchemes.map((x) => [x.id, x.name]));
    for (const p of s.jira.projects) {
      out.push({
        type: "jira_project",
        id: p.key,
        name: p.name,
        product: "jira",
        parent: siteKey,
        attributes: {
          project_id: p.id,
          project_type: p.projectTypeKey,
          style: p.style,
          archived: p.archived,
          lead_account_id: p.leadAccountId,
          permission_scheme_id: p.permissionSchemeId,
          permission_scheme: p.permissionSchemeId === null ? null : (schemes.get(p.permissionSchemeId) ?? null),
        },
      });
    }
  }
  if (s.confluence) {
    for (const sp of s.confluence.spaces) {
      out.push({
        type: "confluence_space",
        id: sp.key,
        name: sp.name,
        product: "confluence",
        parent: siteKey,
        attributes: {
          space_id: sp.id,
          type: sp.type,
          status: sp.status,
          anonymous_access: sp.anonymousAccess,
          unlicensed_access: sp.unlicensedAccess,
        },
      });
    }
  }
  const bb = s.bitbucket;
  if (bb) {
    const ws = bb.workspace.slug;
    const wsKey = `bitbucket_workspace:${ws}`;
    out.push({
      type: "bitbucket_workspace",
      id: ws,
      name: bb.workspace.name,
      product: "bitbucket",
      parent: orgKey,
      attributes: {
        uuid: bb.workspace.uuid,
        permission_mode: bb.permissionMode,
        has_publicly_visible_repos: bb.repositories.some((r) => !r.is_private),
      },
    });
    const projectKeys = new Set<string>();
    for (const p of bb.projects) {
      projectKeys.add(p.key);
      out.push({
        type: "bitbucket_project",
        id: `${ws}/${p.key}`,
        name: p.name,
        product: "bitbucket",
        parent: wsKey,
        attributes: {
          uuid: p.uuid,
          key: p.key,
          description: p.description,
          is_private: p.is_private,
          has_publicly_visible_repos: p.has_publicly_visible_repos,
        },
      });
    }
    const protection = new Map<string, (typeof bb.branchProtection)[number]>();
    const mainOf = new Map(bb.repositories.map((r) => [r.slug, r.mainbranch]));
    for (const bp of bb.branchProtection) {
      const prev = protection.get(bp.repoSlug);
      if (!prev || (prev.branch !== mainOf.get(bp.repoSlug) && bp.branch === mainOf.get(bp.repoSlug)))
        protection.set(bp.repoSlug, bp);
    }
    for (const r of bb.repositories) {
      const bp = protection.get(r.slug);
      out.push({
        type: "bitbucket_repo",
        id: `${ws}/${r.slug}`,
        name: r.name,
        product: "bitbucket",
        parent: r.project_key && projectKeys.has(r.project_key) ? `bitbucket_project:${ws}/${r.project_key}` : wsKey,
        attributes: {
          uuid: r.uuid,
          is_private: r.is_private,
          fork_policy: r.fork_policy,
          mainbranch: r.mainbranch,
          project_key: r.project_key,
          default_branch_protected: bp ? bp.default_branch_protected : null,
          allow_auto_merge_when_builds_pass: bp ? bp.allow_auto_merge_when_builds_pass : null,
          require_passing_builds_to_merge: bp ? bp.require_passing_builds_to_merge : null,
          enforce_merge_checks: bp ? bp.enforce_merge_checks : null,
          require_approvals_to_merge: bp ? bp.require_approvals_to_merge : null,
          require_default_reviewer_approvals_to_merge: bp ? bp.require_default_reviewer_approvals_to_merge : null,
          require_tasks_to_be_completed: bp ? bp.require_tasks_to_be_completed : null,
          approvals_required: bp ? bp.approvalsRequired : null,
        },
      });
    }
  } else if (bitbucketSlug) {
    out.push({
      type: "bitbucket_workspace",
      id: bitbucketSlug,
      name: bitbucketSlug,
      product: "bitbucket",
      parent: orgKey,
      attributes: {},
    });
  }
  return out.sort((a, b) => resourceTypeRank(a.type) - resourceTypeRank(b.type) || cmp(a.id, b.id));
}
