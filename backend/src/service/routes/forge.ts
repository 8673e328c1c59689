/**
 * Routes for the Forge app, authenticated by the Forge Invocation Token (FIT) that `invokeRemote` sends: the
 * installation's tenant status and a sync request. The tenant is the one bound to the token's installation
 * (`forgeInstallationId`); an unknown installation gets 403. The admin page's routes are in `forge-admin.ts`.
 *
 * @module
 */
import { z } from "zod";
import type { Router } from "../contract.js";
import { JobView, jobView, SnapshotView, snapshotView } from "../schemas.js";
import { requestSync, SyncRequested } from "./syncs.js";

const ForgeStatus = z.object({
  tenantId: z.string(),
  name: z.string(),
  installationId: z.string(),
  current: SnapshotView.nullable().describe("The current snapshot, if any."),
  lastSync: JobView.nullable(),
});

export function forgeRoutes(r: Router): void {
  r.route(
    {
      method: "get",
      path: "/forge/v1/status",
      operationId: "forgeStatus",
      summary: "The installation's tenant: current snapshot and last sync",
      tags: ["forge"],
      auth: "forge",
      responses: { 200: { description: "Status.", schema: ForgeStatus } },
    },
    async ({ tenant, principal, services }) => {
      const t = tenant!;
      const pointer = await services.store.getCurrentPointer(t.id);
      const current = pointer ? await services.store.getSnapshot(t.id, pointer.version) : null;
      const [last] = await services.store.listJobs({ tenantId: t.id, limit: 1 });
      return {
        status: 200,
        body: {
          tenantId: t.id,
          name: t.name,
          installationId: principal?.kind === "forge" ? principal.installationId : "",
          current: current ? snapshotView(current) : null,
          lastSync: last ? jobView(last) : null,
        },
      };
    },
  );

  r.route(
    {
      method: "post",
      path: "/forge/v1/syncs",
      operationId: "forgeRequestSync",
      summary: "Request a sync of the installation's tenant",
      tags: ["forge"],
      auth: "forge",
      body: z.strictObject({}),
      bodyOptional: true,
      responses: { 202: { description: "Queued (or already queued).", schema: SyncRequested } },
    },
    async ({ tenant, services, actor, c }) => ({
      status: 202,
      body: await requestSync(services, tenant!.id, actor, c.get("requestId")),
    }),
  );
}
