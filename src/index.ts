/**
 * Forge resolves `handler: index.<export>` in `src/` beside manifest.yml (`@forge/manifest` `SOURCE_DIRECTORY`).
 * The handlers live in `forge-app/`; this file only re-exports them so the default (webpack) packaging bundles them.
 */
export { adminResolver, crawlConsumer, crawlSchedule, lifecycle, productEvents } from "@accessmap/forge-app/index";
