/**
 * Writes a generated tenant and its ground truth to a directory:
 *
 *   tsx test/atlassian-sim/tenant/write-tenant.ts --size S --seed 7 --out DIR [--pretty]
 *
 * Files: `tenant.json` (`serializeTenant`, or indented with `--pretty`), `effective-access.csv` (the ground-truth
 * table), `idp-identities.csv` (`idpId,login,email,displayName,status`, the IdP export of the tenant's people).
 */
import { once } from "node:events";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { generateTenant, serializeTenant } from "./generate.js";
import { computeGroundTruth, csvField, groundTruthCsvChunks } from "./ground-truth.js";
import type { SimIdentity } from "./model.js";
import { isSizePreset } from "./sizes.js";

/** The IdP export as RFC 4180 CSV. */
export function identitiesToCsv(identities: readonly SimIdentity[]): string {
  let s = "idpId,login,email,displayName,status\r\n";
  for (const i of identities) {
    s += `${[i.idpId, i.login, i.email, i.displayName, i.status].map(csvField).join(",")}\r\n`;
  }
  return s;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: "string", default: "S" },
      seed: { type: "string", default: "7" },
      out: { type: "string" },
      pretty: { type: "boolean", default: false },
    },
  });
  const size = values.size ?? "S";
  const seed = Number(values.seed);
  if (!isSizePreset(size)) throw new Error(`--size must be S, M, L or XL (got ${size})`);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer (got ${values.seed})`);
  if (!values.out) throw new Error("--out DIR is required");
  mkdirSync(values.out, { recursive: true });

  const tenant = generateTenant(size, seed);
  writeFileSync(
    join(values.out, "tenant.json"),
    values.pretty ? `${JSON.stringify(tenant, null, 2)}\n` : serializeTenant(tenant),
  );
  writeFileSync(join(values.out, "idp-identities.csv"), identitiesToCsv(tenant.identities));

  const rows = computeGroundTruth(tenant);
  const csv = createWriteStream(join(values.out, "effective-access.csv"));
  for (const chunk of groundTruthCsvChunks(rows)) {
    if (!csv.write(chunk)) await once(csv, "drain");
  }
  csv.end();
  await once(csv, "finish");
  process.stdout.write(
    `${JSON.stringify({ size, seed, out: values.out, accounts: tenant.accounts.length, groundTruthRows: rows.length })}\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
