import { makeTestSim } from "./atlassian-sim/testing.js";
for (const size of ["S", "M"] as const) {
  const t = makeTestSim(size, 3);
  const ten = t.sim.state.tenant;
  console.log(size, "accounts", ten.accounts.length, "groups", ten.groups.length, "projects", ten.jira.projects.length, "roles", ten.jira.roles.length, "schemes", ten.jira.permissionSchemes.length, "grants", ten.jira.permissionSchemes.reduce((n, s) => n + s.grants.length, 0));
  const holders = new Map<string, number>();
  for (const s of ten.jira.permissionSchemes) for (const g of s.grants) { const k = g.holder.type + (g.holder.parameter||g.holder.value ? "" : "(empty)"); holders.set(k, (holders.get(k) ?? 0) + 1); }
  console.log([...holders]);
  console.log("archived", ten.jira.projects.filter(p=>p.archived).length, "nextgen", ten.jira.projects.filter(p=>p.style==="next-gen").length);
  for (const limited of [false, true]) {
    for (const p of ["/rest/api/3/users/search?maxResults=2", "/rest/api/3/group/bulk?maxResults=2", `/rest/api/3/group/member?groupId=${ten.groups[0]!.groupId}&maxResults=1`, "/rest/api/3/project/search?status=live,archived&expand=lead&maxResults=1", `/rest/api/3/project/${ten.jira.projects[0]!.id}/role`, `/rest/api/3/project/${ten.jira.projects[0]!.id}/role/${ten.jira.roles[0]!.id}`, `/rest/api/3/project/${ten.jira.projects[0]!.id}/permissionscheme`, "/rest/api/3/permissionscheme?expand=all", "/rest/api/3/applicationrole"]) {
      const r = await t.site(p, { limited });
      const txt = await r.text();
      console.log(limited ? "LIM" : "ADM", r.status, p, txt.slice(0, limited ? 300 : 200));
    }
  }
  const r = await t.site(`/rest/api/3/project/search?status=live,archived&maxResults=100`, { limited: true });
  console.log("limited sees projects", ((await r.json()) as any).total);
}
