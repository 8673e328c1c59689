/**
 * The kinds of resource the merged model grants access to, broadest first (the order lists and exports sort them
 * in), and the products access is granted in. One list for the model, its exports, the API and the admin page.
 */
export const RESOURCE_TYPES = [
  "org",
  "site",
  "jira_project",
  "confluence_space",
  "bitbucket_workspace",
  "bitbucket_project",
  "bitbucket_repo",
] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** A resource type's rank in {@link RESOURCE_TYPES} (for sorting). */
export const resourceTypeRank = (t: ResourceType): number => RESOURCE_TYPES.indexOf(t);

export const ACCESS_PRODUCTS = ["admin", "jira", "confluence", "bitbucket"] as const;
export type AccessProduct = (typeof ACCESS_PRODUCTS)[number];
