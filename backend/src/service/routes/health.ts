/**
 * Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the store answers, within a bounded time).
 *
 * @module
 */
import { z } from "zod";
import type { Router } from "../contract.js";
import { ApiError } from "../errors.js";

const READY_TIMEOUT_MS = 2_000;

export function healthRoutes(r: Router): void {
  r.route(
    {
      method: "get",
      path: "/healthz",
      operationId: "health",
      summary: "Liveness",
      tags: ["health"],
      auth: "none",
      responses: { 200: { description: "The process is up.", schema: z.object({ status: z.literal("ok") }) } },
    },
    () => ({ status: 200, body: { status: "ok" } }),
  );

  r.route(
    {
      method: "get",
      path: "/readyz",
      operationId: "ready",
      summary: "Readiness",
      description: "Checks that the store answers.",
      tags: ["health"],
      auth: "none",
      responses: {
        200: {
          description: "Ready to serve.",
          schema: z.object({
            status: z.literal("ready"),
            store: z.enum(["sqlite", "postgres"]),
            schemaVersion: z.number(),
          }),
        },
      },
      errors: [503],
    },
    async ({ services, log }) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const schemaVersion = await Promise.race([
          services.store.schemaVersion(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error("store check timed out")), READY_TIMEOUT_MS);
          }),
        ]);
        return { status: 200, body: { status: "ready", store: services.store.dialect, schemaVersion } };
      } catch (err) {
        log.warn("readiness check failed", { err });
        throw new ApiError(503, "unavailable", "the store is not answering");
      } finally {
        clearTimeout(timer);
      }
    },
  );
}
