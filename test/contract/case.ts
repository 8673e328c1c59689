/**
 * A contract case: one representative request to an operation the simulator serves, and the published
 * specification operation its response must validate against. Case tables live in `cases/<api>.ts`; one runner
 * (`contract.test.ts`) executes them all and `coverage.test.ts` checks they cover the served routes.
 */
import type { ApiName } from "../atlassian-sim/http/env.js";
import type { TestSim } from "../atlassian-sim/testing.js";
import type { SpecName } from "./openapi-validator.js";

export interface ContractCase {
  /** Short description shown in the test name. */
  name: string;
  api: ApiName;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The route template as the API module registers it (Hono syntax, e.g. `/rest/api/3/project/:projectIdOrKey`). */
  route: string;
  /**
   * Sends the request. Receives the simulator and returns the response; use `t.admin`, `t.scim`, `t.site`,
   * `t.bitbucket`, or `t.fetch` for unauthenticated cases. Ids come from `t.sim.state.tenant`.
   */
  send: (t: TestSim) => Promise<Response>;
  expectStatus: number;
  /** The spec and its path key (exactly as written in the spec's `paths`) this operation validates against. */
  spec: SpecName;
  specPath: string;
}

/** A served route that no published specification covers, and why the simulator serves it. */
export interface UnspecifiedRoute {
  api: ApiName;
  method: string;
  route: string;
  reason: string;
}
