/**
 * Snapshots: the runs of a tenant (newest first), one run, the decision on a run the mass-deletion guard held
 * (approve makes it current atomically; reject turns it down for good), and what changed between two versions.
 *
 * @module
 */
import { z } from "zod";
import { diffModels } from "../../model/queries.js";
import type { Router } from "../contract.js";
import { ApiError, notFound } from "../errors.js";
import { decodeCursor, encodeCursor, PageQuery, pageByOffset, pageOf } from "../pagination.js";
import { AccessEntry, SnapshotView, snapshotView, TenantIdParam } from "../schemas.js";

const Version = z.coerce.number().int("must be an integer").min(1, "must be at least 1");
const VersionParams = TenantIdParam.extend({ version: Version });

const GRANT_CHANGES = ["grant.added", "grant.removed"] as const;
const ACCOUNT_CHANGES = ["account.added", "account.removed", "account.deactivated", "account.reactivated"] as const;
const GROUP_CHANGES = ["group.added", "group.removed"] as const;
const MEMBERSHIP_CHANGES = ["membership.added", "membership.removed"] as const;

const Change = z.union([
  z.object({ change: z.enum(GRANT_CHANGES), entry: AccessEntry }),
  z.object({ change: z.enum(ACCOUNT_CHANGES), accountId: z.string() }),
  z.object({ change: z.enum(GROUP_CHANGES), group: z.string() }),
  z.object({ change: z.enum(MEMBERSHIP_CHANGES), group: z.string(), accountId: z.string() }),
]);
type Change = z.infer<typeof Change>;

const DiffAnswer = pageOf(Change).extend({
  from: z.number().int(),
  to: z.number().int(),
  summary: z.record(z.string(), z.number().int()).describe("Number of changes of each kind."),
});

export function snapshotRoutes(r: Router): void {
  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/snapshots",
      operationId: "listSnapshots",
      summary: "List snapshots",
      description: "Every run kept, newest first: running, complete, held, partial, failed or superseded.",
      tags: ["snapshots"],
      auth: "tenant",
      params: TenantIdParam,
      query: PageQuery,
      responses: { 200: { description: "A page of snapshots.", schema: pageOf(SnapshotView) } },
    },
    async ({ tenant, query, services }) => {
      const pos = decodeCursor("snapshots", query.cursor, { b: z.number().int().min(1) });
      const rows = await services.store.listSnapshots(tenant!.id, {
        limit: query.limit + 1,
        ...(pos ? { beforeVersion: pos.b } : {}),
      });
      const items = rows.slice(0, query.limit);
      const last = items[items.length - 1];
      const next = rows.length > query.limit && last ? encodeCursor("snapshots", { b: last.version }) : null;
      return { status: 200, body: { items: items.map(snapshotView), next } };
    },
  );

  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/snapshots/diff",
      operationId: "diffSnapshots",
      summary: "What changed between two snapshots",
      description: "Grants, accounts, groups and memberships added or removed from version `from` to version `to`.",
      tags: ["snapshots"],
      auth: "tenant",
      params: TenantIdParam,
      query: PageQuery.extend({ from: Version, to: Version }),
      responses: { 200: { description: "A page of changes.", schema: DiffAnswer } },
    },
    async ({ tenant, query, services }) => {
      const read = async (v: number) => {
        const data = await services.store.readSnapshotData(tenant!.id, v);
        if (!data?.model) throw new ApiError(404, "not_found", `no model is stored for version ${v}`);
        return data.model;
      };
      const d = diffModels(await read(query.from), await read(query.to));
      const changes: Change[] = [
        ...d.grantsAdded.map((entry) => ({ change: "grant.added" as const, entry })),
        ...d.grantsRemoved.map((entry) => ({ change: "grant.removed" as const, entry })),
        ...d.accountsAdded.map((accountId) => ({ change: "account.added" as const, accountId })),
        ...d.accountsRemoved.map((accountId) => ({ change: "account.removed" as const, accountId })),
        ...d.accountsDeactivated.map((accountId) => ({ change: "account.deactivated" as const, accountId })),
        ...d.accountsReactivated.map((accountId) => ({ change: "account.reactivated" as const, accountId })),
        ...d.groupsAdded.map((group) => ({ change: "group.added" as const, group })),
        ...d.groupsRemoved.map((group) => ({ change: "group.removed" as const, group })),
        ...d.membershipsAdded.map((m) => ({ change: "membership.added" as const, ...m })),
        ...d.membershipsRemoved.map((m) => ({ change: "membership.removed" as const, ...m })),
      ];
      const summary: Record<string, number> = {};
      for (const ch of changes) summary[ch.change] = (summary[ch.change] ?? 0) + 1;
      const page = pageByOffset(`diff:${query.from}:${query.to}`, changes, query);
      return { status: 200, body: { from: query.from, to: query.to, summary, ...page } };
    },
  );

  r.route(
    {
      method: "get",
      path: "/v1/tenants/{tenantId}/snapshots/{version}",
      operationId: "getSnapshot",
      summary: "Get a snapshot",
      tags: ["snapshots"],
      auth: "tenant",
      params: VersionParams,
      paramPatterns: { version: "[0-9]+" },
      responses: { 200: { description: "The snapshot's record.", schema: SnapshotView } },
    },
    async ({ tenant, params, services }) => {
      const rec = await services.store.getSnapshot(tenant!.id, params.version);
      if (!rec) throw notFound("snapshot");
      return { status: 200, body: snapshotView(rec) };
    },
  );

  r.route(
    {
      method: "post",
      path: "/v1/tenants/{tenantId}/snapshots/{version}/approve",
      operationId: "approveSnapshot",
      summary: "Approve a held run",
      description: "Makes a run the mass-deletion guard held the current model, atomically.",
      tags: ["snapshots"],
      auth: "tenant",
      params: VersionParams,
      paramPatterns: { version: "[0-9]+" },
      responses: { 200: { description: "The run, now current.", schema: SnapshotView } },
      errors: [409],
    },
    async ({ tenant, params, services, actor, c }) => {
      const rec = await services.store.approveSnapshot(tenant!.id, params.version, { actor });
      await services.store.appendAudit({
        tenantId: tenant!.id,
        actor,
        action: "snapshot.approve",
        target: `snapshot:${params.version}`,
        result: "ok",
        requestId: c.get("requestId"),
      });
      return { status: 200, body: snapshotView(rec) };
    },
  );

  r.route(
    {
      method: "post",
      path: "/v1/tenants/{tenantId}/snapshots/{version}/reject",
      operationId: "rejectSnapshot",
      summary: "Reject a held run",
      description: "Turns a held run down: it ends `failed` and never becomes current.",
      tags: ["snapshots"],
      auth: "tenant",
      params: VersionParams,
      paramPatterns: { version: "[0-9]+" },
      body: z.strictObject({ reason: z.string().trim().min(1).max(500).default("rejected") }),
      bodyOptional: true,
      responses: { 200: { description: "The run, now failed.", schema: SnapshotView } },
      errors: [409],
    },
    async ({ tenant, params, body, services, actor, c }) => {
      const rec = await services.store.rejectSnapshot(tenant!.id, params.version, { actor, reason: body.reason });
      await services.store.appendAudit({
        tenantId: tenant!.id,
        actor,
        action: "snapshot.reject",
        target: `snapshot:${params.version}`,
        result: "ok",
        requestId: c.get("requestId"),
      });
      return { status: 200, body: snapshotView(rec) };
    },
  );
}
