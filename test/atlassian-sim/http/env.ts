/** Hono environment shared by every simulated API: the live state and who is calling. */
import type { SimContext } from "../context.js";

/** The simulated APIs, as they are counted, rate-limited and faulted. */
export type ApiName = "admin" | "user-management" | "scim" | "jira" | "confluence" | "bitbucket" | "bitbucket-oauth";

export const API_NAMES: readonly ApiName[] = [
  "admin",
  "user-management",
  "scim",
  "jira",
  "confluence",
  "bitbucket",
  "bitbucket-oauth",
];

/** The authenticated caller of a Jira or Confluence request (Basic `email:token`). */
export interface ProductCaller {
  accountId: string;
  /** Holds the global permission *Browse users and groups* (else emails are null and group/member is 403). */
  browseUsers: boolean;
  siteAdmin: boolean;
}

/** The authenticated Bitbucket OAuth consumer (Bearer access token). */
export interface BitbucketCaller {
  consumerKey: string;
  ownerAccountId: string;
  /** The consumer's owner has Repositories: Admin and is a workspace owner. */
  admin: boolean;
}

export interface SimVariables {
  sim: SimContext;
  api: ApiName;
  /** Admin/user-management: whether the Bearer key is a scoped key (finds no organization). */
  adminKeyScoped: boolean;
  productCaller: ProductCaller;
  bitbucketCaller: BitbucketCaller;
}

export type SimEnv = { Variables: SimVariables };
