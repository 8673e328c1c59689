/** Entry point of the simulated Admin API (see `./admin/index.ts`). */
export { adminApi } from "./admin/index.js";
