/**
 * `accessmap query <access|who|why|search|diff|insights> …`: questions answered from the tenant's current model,
 * as tables or `--json`.
 */

import { parseArgs } from "node:util";
import { RESOURCE_TYPES } from "@accessmap/shared/model/resource-types";
import { computeInsights } from "../model/insights/index.js";
import { accessOf, diffModels, indexModel, search, whoCanAccess, why } from "../model/queries.js";
import type { AccessEntry, ResourceType } from "../model/types.js";
import { EXIT } from "./exit-codes.js";
import { currentModel, pickTenant, storeFromArgs } from "./store-access.js";
import { renderTable } from "./table.js";
import { UsageError } from "./usage-error.js";

export const QUERY_HELP = `Usage: accessmap query <question> [arguments] [options]

Questions (answered from the tenant's current model):
  access ACCOUNT                          what an account (id, email or IdP identity) can access, with paths
  who TYPE ID [--permission P]            who can access a resource (TYPE: org, site, jira_project,
                                          confluence_space, bitbucket_workspace, bitbucket_project, bitbucket_repo)
  why ACCOUNT TYPE ID PERMISSION          the full derivation of one permission, or what stands in the way
  search TEXT                             accounts, groups and resources matching TEXT
  diff FROM_VERSION TO_VERSION            grants, accounts and memberships changed between two snapshots
  insights [--inactive-days N]            findings: inactive billable accounts, exposure, risky grants, …

Options:
  --tenant NAME   the tenant (optional when the store holds one)
  --store URL     sqlite:PATH or postgres://… (default: $ACCESSMAP_STORE, else sqlite:.accessmap/accessmap.db)
  --json          print JSON instead of tables
  --help          this text

Exit codes: 0 answered, 4 nothing found, 2 usage error, 1 failed.
`;

/** Exit code for a question that names nothing the model knows. */
const NOT_FOUND = 4;

function resourceType(raw: string | undefined): ResourceType {
  if (!raw || !(RESOURCE_TYPES as readonly string[]).includes(raw)) {
    throw new UsageError(
      `resource type must be one of ${RESOURCE_TYPES.join(", ")}${raw ? ` (got "${raw}")` : ""}`,
      QUERY_HELP,
    );
  }
  return raw as ResourceType;
}

const viaText = (e: AccessEntry) => e.via.map((v) => v.description).join(" | ");

export async function queryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: "string" },
      store: { type: "string" },
      permission: { type: "string" },
      "inactive-days": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(QUERY_HELP);
    return EXIT.ok;
  }
  const [question, ...args] = positionals;
  const arity: Record<string, number> = { access: 1, who: 2, why: 4, search: 1, diff: 2, insights: 0 };
  if (!question || arity[question] === undefined) {
    throw new UsageError(question ? `unknown question "${question}"` : "a question is required", QUERY_HELP);
  }
  if (args.length !== arity[question]) {
    throw new UsageError(`query ${question} takes ${arity[question]} argument(s), got ${args.length}`, QUERY_HELP);
  }
  const print = (json: unknown, table: () => string) => {
    process.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${table()}\n`);
  };

  const store = await storeFromArgs(values.store);
  try {
    const tenant = await pickTenant(store, values.tenant, QUERY_HELP);
    if (question === "diff") {
      const [from, to] = args.map((a) => Number(a));
      if (!Number.isInteger(from) || !Number.isInteger(to))
        throw new UsageError("diff takes two snapshot version numbers", QUERY_HELP);
      const a = await store.readSnapshotData(tenant.id, from as number);
      const b = await store.readSnapshotData(tenant.id, to as number);
      if (!a?.model || !b?.model)
        throw new UsageError(`no model stored for version ${!a?.model ? from : to}`, QUERY_HELP);
      const d = diffModels(a.model, b.model);
      print(d, () =>
        renderTable(
          ["change", "count"],
          Object.entries(d).map(([k, v]) => [k, String((v as unknown[]).length)]),
        ),
      );
      return EXIT.ok;
    }
    const { model, version } = await currentModel(store, tenant, QUERY_HELP);
    const idx = indexModel(model);
    switch (question) {
      case "access": {
        const r = accessOf(idx, args[0] as string);
        if (!r) {
          process.stderr.write(`no account or identity matches "${args[0]}"\n`);
          return NOT_FOUND;
        }
        const rows = [...r.direct, ...r.throughPseudo];
        print(r, () =>
          [
            `${r.account?.displayName ?? r.query} (${r.accountId ?? "no account"}) — model version ${version}`,
            renderTable(
              ["product", "resource", "permission", "via"],
              rows.map((e) => [e.product, `${e.resourceType}:${e.resourceId}`, e.permission, viaText(e)]),
            ),
            r.dormant.length > 0
              ? `\n${r.dormant.length} dormant grant(s): the account cannot use the product now`
              : "",
          ].join("\n"),
        );
        return EXIT.ok;
      }
      case "who": {
        const r = whoCanAccess(idx, resourceType(args[0]), args[1] as string, values.permission);
        if (!r.resource && r.accounts.length === 0 && r.pseudo.length === 0) {
          process.stderr.write(`no resource ${args[0]}:${args[1]} in the model\n`);
          return NOT_FOUND;
        }
        print(r, () =>
          renderTable(
            ["principal", "permission", "via"],
            [...r.pseudo, ...r.accounts].map((e) => [e.principal, e.permission, viaText(e)]),
          ),
        );
        return EXIT.ok;
      }
      case "why": {
        const [account, type, id, permission] = args as [string, string, string, string];
        const r = why(idx, account, resourceType(type), id, permission);
        print(r, () => r.explanation.join("\n"));
        return r.granted ? EXIT.ok : NOT_FOUND;
      }
      case "search": {
        const r = search(idx, args[0] as string);
        print(r, () =>
          renderTable(
            ["kind", "id", "name"],
            [
              ...r.accounts.map((a) => ["account", a.accountId, `${a.displayName}${a.email ? ` <${a.email}>` : ""}`]),
              ...r.groups.map((g) => ["group", g.key, g.name]),
              ...r.resources.map((x) => [x.type, x.id, x.name]),
            ],
          ),
        );
        return r.accounts.length + r.groups.length + r.resources.length > 0 ? EXIT.ok : NOT_FOUND;
      }
      default: {
        const days = values["inactive-days"] === undefined ? 90 : Number(values["inactive-days"]);
        if (!Number.isInteger(days) || days <= 0)
          throw new UsageError("--inactive-days must be a positive integer", QUERY_HELP);
        const findings = computeInsights(model, { inactiveDays: days, now: new Date().toISOString() });
        print(findings, () =>
          renderTable(
            ["severity", "count", "finding", "what to do"],
            findings.map((f) => [f.severity, String(f.count), f.title, f.remediation]),
          ),
        );
        return EXIT.ok;
      }
    }
  } finally {
    await store.close();
  }
}
