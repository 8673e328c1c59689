/** Entry point of the simulated Jira Cloud REST v3 API; the routes live in `./jira/`. */
export { jiraApi } from "./jira/index.js";
