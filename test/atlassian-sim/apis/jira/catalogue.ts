/**
 * Jira's permission catalogue (`GET /rest/api/3/permissions`): the built-in global and project permissions with the
 * ids, names and descriptions Jira Cloud reports. Ids are Jira's historical numeric ids as strings; permissions that
 * apps or product extensions contribute (sprints, team-managed projects, service management) report `"-1"`, as a
 * live `GET /mypermissions` capture shows for `MANAGE_SPRINTS_PERMISSION` and `CREATE_PROJECT`.
 * The key list is the spec's "Built-in permissions" (GET /permissionscheme description) plus the global ones.
 */

export interface PermissionDefinition {
  id: string;
  key: string;
  name: string;
  type: "GLOBAL" | "PROJECT";
  description: string;
}

const g = (id: string, key: string, name: string, description: string): PermissionDefinition => ({
  id,
  key,
  name,
  type: "GLOBAL",
  description,
});
const p = (id: string, key: string, name: string, description: string): PermissionDefinition => ({
  id,
  key,
  name,
  type: "PROJECT",
  description,
});

/** Every permission definition, global first, each group in key order. */
export const PERMISSIONS: readonly PermissionDefinition[] = [
  g(
    "0",
    "ADMINISTER",
    "Administer Jira",
    "Create and administer projects, issue types, fields, workflows, and schemes for all projects. Users with this permission can perform most administration tasks, except: managing users, importing data, and editing system email settings.",
  ),
  g(
    "33",
    "BULK_CHANGE",
    "Make bulk changes",
    "Modify collections of issues at once. For example, resolve multiple issues in one step.",
  ),
  g(
    "-1",
    "CREATE_PROJECT",
    "Create team-managed projects",
    "Create projects separate from shared configurations and schemes. Team-managed projects don't affect existing projects or shared configurations like workflows, fields or permissions. Only licensed users can create team-managed projects.",
  ),
  g("22", "CREATE_SHARED_OBJECTS", "Share dashboards and filters", "Share dashboards and filters with other users."),
  g(
    "24",
    "MANAGE_GROUP_FILTER_SUBSCRIPTIONS",
    "Manage group filter subscriptions",
    "Create and delete group filter subscriptions.",
  ),
  g(
    "44",
    "SYSTEM_ADMIN",
    "Jira System Administrators",
    "Ability to perform all administration functions. There must be at least one group with this permission.",
  ),
  g(
    "27",
    "USER_PICKER",
    "Browse users and groups",
    "View and select users or groups from the user picker, and share issues. Users with this permission can see the names of all users and groups on your site.",
  ),
  p("15", "ADD_COMMENTS", "Add Comments", "Ability to comment on issues."),
  p("23", "ADMINISTER_PROJECTS", "Administer Projects", "Ability to administer a project in Jira."),
  p("17", "ASSIGNABLE_USER", "Assignable User", "Users with this permission may be assigned to issues."),
  p("13", "ASSIGN_ISSUES", "Assign Issues", "Ability to assign issues to other people."),
  p("10", "BROWSE_PROJECTS", "Browse Projects", "Ability to browse projects and the issues within them."),
  p(
    "18",
    "CLOSE_ISSUES",
    "Close Issues",
    "Ability to close issues. Often useful where your developers resolve issues, and a QA department closes them.",
  ),
  p("19", "CREATE_ATTACHMENTS", "Create Attachments", "Users with this permission may create attachments."),
  p("11", "CREATE_ISSUES", "Create Issues", "Ability to create issues."),
  p("38", "DELETE_ALL_ATTACHMENTS", "Delete All Attachments", "Users with this permission may delete all attachments."),
  p("36", "DELETE_ALL_COMMENTS", "Delete All Comments", "Ability to delete all comments made on issues."),
  p("43", "DELETE_ALL_WORKLOGS", "Delete All Worklogs", "Ability to delete all worklogs made on issues."),
  p("16", "DELETE_ISSUES", "Delete Issues", "Ability to delete issues."),
  p("39", "DELETE_OWN_ATTACHMENTS", "Delete Own Attachments", "Users with this permission may delete own attachments."),
  p("37", "DELETE_OWN_COMMENTS", "Delete Own Comments", "Ability to delete own comments made on issues."),
  p("42", "DELETE_OWN_WORKLOGS", "Delete Own Worklogs", "Ability to delete own worklogs made on issues."),
  p("34", "EDIT_ALL_COMMENTS", "Edit All Comments", "Ability to edit all comments made on issues."),
  p("41", "EDIT_ALL_WORKLOGS", "Edit All Worklogs", "Ability to edit all worklogs made on issues."),
  p("12", "EDIT_ISSUES", "Edit Issues", "Ability to edit issues."),
  p("-1", "EDIT_ISSUE_LAYOUT", "Edit Issue Layout", "Ability to edit the layout of issues in a project."),
  p("35", "EDIT_OWN_COMMENTS", "Edit Own Comments", "Ability to edit own comments made on issues."),
  p("40", "EDIT_OWN_WORKLOGS", "Edit Own Worklogs", "Ability to edit own worklogs made on issues."),
  p("-1", "EDIT_WORKFLOW", "Edit Workflows", "Ability to edit the workflows of a project."),
  p(
    "21",
    "LINK_ISSUES",
    "Link Issues",
    "Ability to link issues together and create linked issues. Only useful if issue linking is turned on.",
  ),
  p("-1", "MANAGE_SPRINTS_PERMISSION", "Manage sprints", "Ability to manage sprints."),
  p("32", "MANAGE_WATCHERS", "Manage Watchers", "Ability to manage the watchers of an issue."),
  p("30", "MODIFY_REPORTER", "Modify Reporter", "Ability to modify the reporter when creating or editing an issue."),
  p(
    "25",
    "MOVE_ISSUES",
    "Move Issues",
    "Ability to move issues between projects or between workflows of the same project (if applicable). Note the user can only move issues to a project they have the create permission for.",
  ),
  p(
    "14",
    "RESOLVE_ISSUES",
    "Resolve Issues",
    "Ability to resolve and reopen issues. This includes the ability to set a fix version.",
  ),
  p("28", "SCHEDULE_ISSUES", "Schedule Issues", "Ability to view or edit an issue's due date."),
  p(
    "-1",
    "SERVICEDESK_AGENT",
    "Service Project Agent",
    "Allows users to interact with customers and access Jira Service Management features of a project.",
  ),
  p(
    "26",
    "SET_ISSUE_SECURITY",
    "Set Issue Security",
    "Ability to set the level of security on an issue so that only people in that security level can see the issue.",
  ),
  p("46", "TRANSITION_ISSUES", "Transition Issues", "Ability to transition issues."),
  p(
    "29",
    "VIEW_DEV_TOOLS",
    "View Development Tools",
    "Allows users in a software project to view development-related information on the issue, such as commits, reviews and build information.",
  ),
  p(
    "45",
    "VIEW_READONLY_WORKFLOW",
    "View Read-Only Workflow",
    "Users with this permission may view a read-only version of a workflow.",
  ),
  p(
    "31",
    "VIEW_VOTERS_AND_WATCHERS",
    "View Voters and Watchers",
    "Ability to view the voters and watchers of an issue.",
  ),
  p(
    "20",
    "WORK_ON_ISSUES",
    "Work On Issues",
    "Ability to log work done against an issue. Only useful if Time Tracking is turned on.",
  ),
];

/** key → definition */
export const PERMISSIONS_BY_KEY: ReadonlyMap<string, PermissionDefinition> = new Map(
  PERMISSIONS.map((d) => [d.key, d]),
);
