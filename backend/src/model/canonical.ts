/**
 * Native permission → canonical category, for questions that span products ("who can delete data anywhere?").
 *
 * - `data_read`: see content (Jira Browse projects, Confluence `read:*`, `export:*`, Bitbucket `read`).
 * - `data_create`: add content (create issues, comments, attachments, pages; Bitbucket `create-repo`).
 * - `data_write`: change existing content (edit, transition, assign, move, archive; Bitbucket `write`).
 * - `data_delete`: remove content (delete issues, comments, attachments, worklogs, pages).
 * - `admin`: change permissions or configuration (Administer projects, Jira global admin, `administer:space`,
 *   `restrict_content:space`, Bitbucket `admin`, workspace `owner`, org admin).
 * - `metadata`: everything else — being assignable, workspace membership, a product licence — and any permission
 *   accessmap does not know yet (a new Jira key, a new Confluence operation), so an unknown name never claims data
 *   access it may not give.
 */
import type { AccessProduct, CanonicalPermission } from "./types.js";

const JIRA: Readonly<Record<string, CanonicalPermission>> = {
  // read
  BROWSE_PROJECTS: "data_read",
  VIEW_DEV_TOOLS: "data_read",
  VIEW_READONLY_WORKFLOW: "data_read",
  VIEW_VOTERS_AND_WATCHERS: "data_read",
  VIEW_AGGREGATED_DATA: "data_read",
  VIEW_ISSUES: "data_read",
  VIEW_PROJECTS: "data_read",
  // create
  CREATE_ISSUES: "data_create",
  ADD_COMMENTS: "data_create",
  CREATE_ATTACHMENTS: "data_create",
  WORK_ON_ISSUES: "data_create",
  // write
  EDIT_ISSUES: "data_write",
  ASSIGN_ISSUES: "data_write",
  RESOLVE_ISSUES: "data_write",
  CLOSE_ISSUES: "data_write",
  TRANSITION_ISSUES: "data_write",
  LINK_ISSUES: "data_write",
  SCHEDULE_ISSUES: "data_write",
  MOVE_ISSUES: "data_write",
  MODIFY_REPORTER: "data_write",
  MANAGE_WATCHERS: "data_write",
  MANAGE_SPRINTS_PERMISSION: "data_write",
  SET_ISSUE_SECURITY: "data_write",
  EDIT_OWN_COMMENTS: "data_write",
  EDIT_ALL_COMMENTS: "data_write",
  EDIT_OWN_WORKLOGS: "data_write",
  EDIT_ALL_WORKLOGS: "data_write",
  EDIT_ISSUE_LAYOUT: "data_write",
  ARCHIVE_ISSUES: "data_write",
  UNARCHIVE_ISSUES: "data_write",
  SERVICEDESK_AGENT: "data_write",
  // delete
  DELETE_ISSUES: "data_delete",
  DELETE_OWN_COMMENTS: "data_delete",
  DELETE_ALL_COMMENTS: "data_delete",
  DELETE_OWN_ATTACHMENTS: "data_delete",
  DELETE_ALL_ATTACHMENTS: "data_delete",
  DELETE_OWN_WORKLOGS: "data_delete",
  DELETE_ALL_WORKLOGS: "data_delete",
  // admin
  ADMINISTER_PROJECTS: "admin",
  ADMINISTER: "admin",
  SYSTEM_ADMIN: "admin",
  // metadata
  ASSIGNABLE_USER: "metadata",
};

/** Confluence `operation:target`: by operation, with the exceptions below. */
const CONFLUENCE_OPERATION: Readonly<Record<string, CanonicalPermission>> = {
  read: "data_read",
  export: "data_read",
  create: "data_create",
  update: "data_write",
  archive: "data_write",
  copy: "data_create",
  move: "data_write",
  delete: "data_delete",
  purge: "data_delete",
  restore: "data_write",
  administer: "admin",
  restrict_content: "admin",
};

const BITBUCKET: Readonly<Record<string, CanonicalPermission>> = {
  read: "data_read",
  write: "data_write",
  "create-repo": "data_create",
  admin: "admin",
  owner: "admin",
  collaborator: "metadata",
  member: "metadata",
};

const ADMIN: Readonly<Record<string, CanonicalPermission>> = {
  "org-admin": "admin",
};

/** The canonical category of a native permission; unknown names are `metadata`. */
export function canonicalPermission(product: AccessProduct, permission: string): CanonicalPermission {
  switch (product) {
    case "jira":
      return JIRA[permission] ?? "metadata";
    case "confluence": {
      const op = permission.split(":")[0] ?? "";
      return CONFLUENCE_OPERATION[op] ?? "metadata";
    }
    case "bitbucket":
      return BITBUCKET[permission] ?? "metadata";
    case "admin":
      // Product keys (`jira-software`, `confluence`, `bitbucket`) are licences: metadata.
      return ADMIN[permission] ?? "metadata";
  }
}
