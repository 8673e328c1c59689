/** Entry point of the Confluence Cloud API module (v2 and v1); the routes live in `./confluence/`. */
export { confluenceApi } from "./confluence/index.js";
