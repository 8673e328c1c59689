/**
 * `accessmap export --format csv|json|oaa [--tenant NAME] [--store URL] [--out FILE] [--expand] [--product P]`:
 * the tenant's current model as the access-review CSV, the versioned JSON model, or Veza OAA payloads.
 */
import { parseArgs } from "node:util";
import { writeAccessCsv } from "../model/exports/csv.js";
import { writeModelJson } from "../model/exports/json.js";
import { buildOaaPayloads } from "../model/exports/oaa.js";
import { EXIT } from "./exit-codes.js";
import { withOutput } from "./output.js";
import { currentModel, pickTenant, storeFromArgs } from "./store-access.js";
import { UsageError } from "./usage-error.js";

export const EXPORT_HELP = `Usage: accessmap export --format csv|json|oaa [options]

Exports the tenant's current model (the one \`accessmap discover\` committed).

  csv   access-review CSV, one row per effective access: identity,account_id,account_email,account_type,
        account_status,product,resource_type,resource_id,resource_name,permission,via (sorted; byte-identical for
        the same model). Pseudo-principals (anonymous, product-users:jira, unlicensed:confluence) appear once
        unless --expand is given.
  json  the whole model in its versioned schema (docs/model-export.md)
  oaa   Veza OAA custom-application payloads, one per product, as a JSON array

Options:
  --format F      csv, json or oaa (required)
  --tenant NAME   the tenant (optional when the store holds one)
  --store URL     sqlite:PATH or postgres://… (default: $ACCESSMAP_STORE, else sqlite:.accessmap/accessmap.db)
  --out FILE      write to FILE instead of standard output
  --expand        csv: one row per account for pseudo-principal grants (can be very large)
  --product P     oaa: only this product (admin, jira, confluence, bitbucket)
  --help          this text

Exit codes: 0 done, 1 failed, 2 usage error.
`;

export async function exportCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      format: { type: "string" },
      tenant: { type: "string" },
      store: { type: "string" },
      out: { type: "string" },
      expand: { type: "boolean", default: false },
      product: { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(EXPORT_HELP);
    return EXIT.ok;
  }
  const format = values.format;
  if (format !== "csv" && format !== "json" && format !== "oaa") {
    throw new UsageError(`--format must be csv, json or oaa${format ? ` (got "${format}")` : ""}`, EXPORT_HELP);
  }
  const store = await storeFromArgs(values.store);
  try {
    const tenant = await pickTenant(store, values.tenant, EXPORT_HELP);
    const { model } = await currentModel(store, tenant, EXPORT_HELP);
    await withOutput(values.out, async (out) => {
      if (format === "csv") await writeAccessCsv(model, out, { expand: values.expand });
      else if (format === "json") await writeModelJson(model, out);
      else {
        const payloads = buildOaaPayloads(model).filter((p) => !values.product || p.product === values.product);
        if (values.product && payloads.length === 0) {
          throw new UsageError(
            `--product ${values.product}: no OAA payload for that product in this model`,
            EXPORT_HELP,
          );
        }
        out.write(`${JSON.stringify(payloads, null, 2)}\n`);
      }
    });
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
