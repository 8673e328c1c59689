/**
 * Lifecycle engine wiring for the simulator: read-write transports (SCIM on the directory's URL, the Admin API,
 * user management on the API host) sharing one governor, the error-body tap in front of the simulator's `send`, an
 * in-memory SQLite store with a tenant, and helpers to read the simulator's request log and the audit log.
 */
import { AdminClient } from "@accessmap/backend/lifecycle/clients/admin-client";
import { ErrorBodyTap } from "@accessmap/backend/lifecycle/clients/error-bodies";
import { ScimClient } from "@accessmap/backend/lifecycle/clients/scim-client";
import type { LifecycleDeps } from "@accessmap/backend/lifecycle/plan";
import type { LifecycleRequest, LocatedRequest } from "@accessmap/backend/lifecycle/types";
import { openSqliteStore } from "@accessmap/backend/store/sqlite";
import type { AuditEntry, Store } from "@accessmap/backend/store/store";
import { Governor } from "@accessmap/shared/transport/governor";
import type { RawRequest, RawResponse, Send } from "@accessmap/shared/transport/transport";
import { HOST_PREFIXES } from "../atlassian-sim/app.js";
import { makeTestSim, ORIGIN, type TestSim } from "../atlassian-sim/testing.js";
import { simSend, simTransport } from "../support/sim-transport.js";

export const RETRY = { baseDelayMs: 5, maxDelayMs: 50, deadlineMs: 60_000 };

export interface Harness {
  t: TestSim;
  store: Store;
  tenantId: string;
  deps: LifecycleDeps;
  tap: ErrorBodyTap;
  /** Every request the engine sent, in order (method and path after the host prefix). */
  sent: RawRequest[];
}

/** Wraps `send` so a test can intercept requests (answer, fail, or act before forwarding). */
export type Intercept = (req: RawRequest, next: Send) => Promise<RawResponse>;

export interface HarnessOptions {
  size?: "S" | "M";
  seed?: number;
  intercept?: Intercept;
  scimToken?: string;
  deps?: Partial<LifecycleDeps>;
}

export async function harness(o: HarnessOptions = {}): Promise<Harness> {
  const t = makeTestSim(o.size ?? "S", o.seed ?? 21);
  const store = await openSqliteStore({ path: ":memory:" });
  const tenantId = (await store.createTenant({ name: "acme" })).id;
  const tap = new ErrorBodyTap();
  const sent: RawRequest[] = [];
  const base = simSend(t);
  const recorded: Send = async (req) => {
    sent.push(req);
    return o.intercept ? o.intercept(req, base) : base(req);
  };
  const send = tap.wrap(recorded);
  const governor = new Governor({
    concurrency: 4,
    maxQueue: 1000,
    clock: Date.now,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  });
  const tenant = t.sim.state.tenant;
  const scimBase = `${ORIGIN}${HOST_PREFIXES.adminApi}/scim/directory/${tenant.scim.directoryId}`;
  const common = { readOnly: false, send, governor, retry: RETRY };
  const scimTransport = simTransport(t, "scim", {
    ...common,
    baseUrl: scimBase,
    ...(o.scimToken ? { authorization: () => `Bearer ${o.scimToken}` } : {}),
  });
  const adminTransport = simTransport(t, "admin", common);
  const umTransport = simTransport(t, "admin", {
    ...common,
    product: "user-management",
    baseUrl: `${ORIGIN}${HOST_PREFIXES.adminApi}`,
  });
  const deps: LifecycleDeps = {
    scim: new ScimClient(scimTransport, { tap }),
    admin: new AdminClient(
      adminTransport,
      umTransport,
      { orgId: tenant.org.id, directoryId: tenant.scim.directoryId },
      { tap },
    ),
    store,
    tenantId,
    actor: "test:lifecycle",
    writeRetryDelayMs: 5,
    options: { selfEmail: tenant.credentials.productUser.email },
    ...o.deps,
  };
  return { t, store, tenantId, deps, tap, sent };
}

export const located = (...requests: LifecycleRequest[]): LocatedRequest[] => requests.map((request) => ({ request }));

/** `METHOD /path` of a request, without origin, host prefix, SCIM directory or query. */
export function callOf(req: RawRequest): string {
  const url = new URL(req.url);
  const path = url.pathname.replace(HOST_PREFIXES.adminApi, "").replace(/^\/scim\/directory\/[^/]+/, "/scim");
  return `${req.method} ${path}`;
}

/** The whole audit log of the tenant, oldest first. */
export async function auditLog(store: Store, tenantId: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listAudit(tenantId, { limit: 1000, cursor });
    out.push(...page.entries);
    cursor = page.next;
  } while (cursor);
  return out.reverse();
}

/** SCIM users of the simulator by userName (lower case). */
export function scimUser(t: TestSim, userName: string) {
  return t.sim.state.tenant.scim.users.find(
    (u) => u.userName.toLowerCase() === userName.toLowerCase() && !t.sim.state.scimDeleted.has(u.id),
  );
}

/** Active SCIM users that are not org admins and not the integration's own account: safe leavers. */
export function ordinaryScimUsers(t: TestSim) {
  const s = t.sim.state;
  return s.tenant.scim.users.filter(
    (u) => u.active && !s.tenant.orgAdmins.includes(u.accountId) && u.email !== s.tenant.credentials.productUser.email,
  );
}
