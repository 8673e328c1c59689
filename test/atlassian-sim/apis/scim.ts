/** Entry point of the simulator's SCIM 2.0 (Atlassian user provisioning) API; the routes live in `./scim/`. */
export { scimApi } from "./scim/index.js";
