/** Entry point of the simulated user-management API (see `./user-management/index.ts`). */
export { userManagementApi } from "./user-management/index.js";
