/** Every API's contract case table and its list of served routes that no published specification covers. */

import type { ContractCase, UnspecifiedRoute } from "./case.js";
import * as admin from "./cases/admin.js";
import * as bitbucket from "./cases/bitbucket.js";
import * as confluence from "./cases/confluence.js";
import * as jira from "./cases/jira.js";
import * as scim from "./cases/scim.js";
import * as userManagement from "./cases/user-management.js";

const tables: Array<{ cases: ContractCase[]; unspecified: UnspecifiedRoute[] }> = [
  admin,
  userManagement,
  scim,
  jira,
  confluence,
  bitbucket,
];

export const allCases: ContractCase[] = tables.flatMap((t) => t.cases);
export const allUnspecified: UnspecifiedRoute[] = tables.flatMap((t) => t.unspecified);
