/** Entry point of the simulated Bitbucket Cloud API (see `./bitbucket/index.ts`). */
export { bitbucketApi } from "./bitbucket/index.js";
