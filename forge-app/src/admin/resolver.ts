/**
 * The resolver shared by the Jira admin page and the Confluence global settings page. Minimal for now: the
 * installation's status from the backend, and a crawl on request.
 * TODO(admin page): check the caller is a site/product admin before acting (`asUser()` + mypermissions), since
 * resolvers then act `asApp`; add insights and settings.
 */
import resolverPackage from "@forge/resolver";
import { startCrawl } from "../crawl/crawl.js";

type ResolverClass = typeof resolverPackage.default;
// CommonJS with `exports.default`: Node's ESM loader hands us `module.exports`, a bundler hands us the class.
const Resolver = ((resolverPackage as unknown as { default?: ResolverClass }).default ??
  resolverPackage) as ResolverClass;
const resolver = new Resolver();

resolver.define("startCrawl", async () => {
  const job = await startCrawl();
  return { runs: job.runs };
});

export const adminResolver = resolver.getDefinitions();
