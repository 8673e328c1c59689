import { Writable } from "node:stream";
import { RESOURCE_TYPES } from "@accessmap/shared/model/resource-types";
import { describe, expect, it } from "vitest";
import { account, entry, makeModel, resource, sampleModel, via } from "../test-fixtures.js";
import type { AccessEntry, Model } from "../types.js";
import { CSV_COLUMNS, csvCell, writeAccessCsv } from "./csv.js";

/** A Writable that keeps what it receives. */
function sink(): { out: Writable; text: () => string } {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { out, text: () => chunks.join("") };
}

async function csv(model: Model, expand = false): Promise<string> {
  const s = sink();
  await writeAccessCsv(model, s.out, { expand });
  return s.text();
}

/** Parses RFC 4180 text (quoted cells, CRLF rows) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += ch;
  }
  expect(cell).toBe("");
  expect(row).toEqual([]);
  return rows;
}

type Row = Record<(typeof CSV_COLUMNS)[number], string>;
const records = (text: string): Row[] => {
  const [header, ...rows] = parseCsv(text);
  expect(header).toEqual([...CSV_COLUMNS]);
  return rows.map((r) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]!])) as Row);
};

describe("csvCell", () => {
  it("quotes per RFC 4180", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("")).toBe("");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell("cr\rhere")).toBe('"cr\rhere"');
  });

  it("defuses spreadsheet formulas", () => {
    expect(csvCell("=1+2")).toBe("'=1+2");
    expect(csvCell("+SUM(A1)")).toBe("'+SUM(A1)");
    expect(csvCell("-2")).toBe("'-2");
    expect(csvCell("@cmd")).toBe("'@cmd");
    expect(csvCell("\tx")).toBe("'\tx");
    expect(csvCell('=HYPERLINK("x","y")')).toBe(`"'=HYPERLINK(""x"",""y"")"`);
    expect(csvCell("a=b")).toBe("a=b");
  });
});

describe("writeAccessCsv", () => {
  it("writes exactly the documented header, CRLF rows and one row per entry", async () => {
    const model = sampleModel();
    const text = await csv(model);
    expect(text.startsWith(`${CSV_COLUMNS.join(",")}\r\n`)).toBe(true);
    expect(CSV_COLUMNS.join(",")).toBe(
      "identity,account_id,account_email,account_type,account_status,product,resource_type,resource_id,resource_name,permission,via",
    );
    expect(text.endsWith("\r\n")).toBe(true);
    expect(records(text)).toHaveLength(model.access.length);
  });

  it("fills every column by its rule", async () => {
    const rows = records(await csv(sampleModel()));
    const find = (account: string, resourceId: string, permission: string) =>
      rows.find((r) => r.account_id === account && r.resource_id === resourceId && r.permission === permission)!;

    // A linked account: the identity's login, the account's fields, the resource's name.
    expect(find("a1", "PROJ", "BROWSE_PROJECTS")).toEqual({
      identity: "alice@corp.example",
      account_id: "a1",
      account_email: "a1@example.com",
      account_type: "atlassian",
      account_status: "active",
      product: "jira",
      resource_type: "jira_project",
      resource_id: "PROJ",
      resource_name: "Project, with comma",
      permission: "BROWSE_PROJECTS",
      via: 'permission scheme "Default" → project role "Developers" → user',
    });
    // No identity: empty.
    expect(find("b1", "PROJ", "BROWSE_PROJECTS").identity).toBe("");
    expect(find("b1", "PROJ", "BROWSE_PROJECTS").account_email).toBe("bob@example.com");
    // App account with no email.
    expect(find("app1", "PROJ", "EDIT_ISSUES")).toMatchObject({ account_email: "", account_type: "app" });
    // Pseudo-principals: once, in account_id, with empty account fields.
    for (const p of ["anonymous", "product-users:jira", "unlicensed:confluence"]) {
      const pr = rows.filter((r) => r.account_id === p);
      expect(pr.length).toBeGreaterThan(0);
      for (const r of pr)
        expect([r.identity, r.account_email, r.account_type, r.account_status]).toEqual(["", "", "", ""]);
    }
    // Every product and resource type value is one of the documented ones.
    for (const r of rows) {
      expect(["admin", "jira", "confluence", "bitbucket"]).toContain(r.product);
      expect(RESOURCE_TYPES).toContain(r.resource_type);
    }
    // Site-level Jira permission, and Bitbucket ids as `ws/slug`.
    expect(find("a1", "acme.atlassian.net", "ADMINISTER")).toMatchObject({ product: "jira", resource_type: "site" });
    expect(find("a1", "ws/api", "admin")).toMatchObject({ resource_type: "bitbucket_repo", resource_name: "api" });
  });

  it("joins several paths with ' | ' and quotes names with quotes, commas and formulas", async () => {
    const model = makeModel({
      accounts: [account("u1")],
      resources: [resource("confluence_space", "S", { name: '=cmd|"x"' })],
      access: [
        entry("u1", "confluence_space", "S", "read:space", [
          via("confluence.space.group", 'space permission → group "a, b"'),
          via("confluence.space.user", "space permission → user"),
        ]),
      ],
    });
    const text = await csv(model);
    const line = text.split("\r\n")[1]!;
    expect(line).toBe(
      `,u1,u1@example.com,atlassian,active,confluence,confluence_space,S,"'=cmd|""x""",read:space,"space permission → group ""a, b"" | space permission → user"`,
    );
    expect(records(text)[0]!.via).toBe('space permission → group "a, b" | space permission → user');
  });

  it("sorts rows by product, resource type, resource id, permission, account id — whatever the model's order", async () => {
    const model = sampleModel();
    const sorted = await csv(model);
    const shuffled: Model = { ...model, access: [...model.access].reverse() };
    expect(await csv(shuffled)).toBe(sorted);
    const rows = records(sorted);
    const key = (r: Row) => [r.product, r.resource_type, r.resource_id, r.permission, r.account_id];
    for (let i = 1; i < rows.length; i++) {
      const a = key(rows[i - 1]!);
      const b = key(rows[i]!);
      const c = a.findIndex((x, k) => x !== b[k]);
      expect(c === -1 || a[c]! < b[c]!).toBe(true);
    }
  });

  it("is byte-identical across exports of the same model", async () => {
    expect(await csv(sampleModel())).toBe(await csv(sampleModel()));
    expect(await csv(sampleModel(), true)).toBe(await csv(sampleModel(), true));
  });

  it("expand: pseudo-principals become the accounts they stand for; anonymous keeps its own row", async () => {
    const rows = records(await csv(sampleModel(), true));
    const on = (resourceId: string, permission: string) =>
      rows.filter((r) => r.resource_id === resourceId && r.permission === permission);

    expect(rows.some((r) => r.account_id === "product-users:jira")).toBe(false);
    expect(rows.some((r) => r.account_id === "unlicensed:confluence")).toBe(false);

    // Jira ADMINISTER_PROJECTS: product-users:jira → every active account with Jira (a1, app1, b1, e1; d1 is inactive).
    const admin = on("PROJ", "ADMINISTER_PROJECTS");
    expect(admin.map((r) => r.account_id)).toEqual(["a1", "app1", "b1", "e1"]);
    // a1 holds it through its role and through the any-user grant: one row, both paths.
    expect(admin[0]!.via).toBe(
      'permission scheme "Default" → any logged-in user (group holder without a group) | permission scheme "Default" → project role "Administrators" → group "group-g-devs"',
    );
    expect(admin[1]!).toMatchObject({ account_type: "app", via: expect.stringContaining("any logged-in user") });

    // BROWSE_PROJECTS: anonymous → every account that can sign in, plus the anonymous row itself.
    const browse = on("PROJ", "BROWSE_PROJECTS").map((r) => r.account_id);
    expect(browse).toEqual(["a1", "anonymous", "app1", "b1", "c1", "cust1", "e1"]);
    expect(browse).not.toContain("d1");

    // Confluence read:space: unlicensed → active accounts without Confluence on the site (Jira users, customers).
    const read = on("DOCS", "read:space");
    const cust = read.find((r) => r.account_id === "cust1")!;
    expect(cust.via).toBe(
      "space permission → anonymous access | space permission → unlicensed access (logged-in users without Confluence)",
    );
    const carol = read.find((r) => r.account_id === "c1")!;
    expect(carol.via).toBe("space permission → anonymous access | space permission → user");

    // Still one row per (account, resource, permission).
    const keys = rows.map((r) => `${r.account_id}|${r.resource_type}|${r.resource_id}|${r.permission}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("waits for drain when the stream asks for it", async () => {
    const model = bigModel(20_000);
    let drains = 0;
    let bytes = 0;
    const out = new Writable({
      highWaterMark: 1024,
      write(chunk, _enc, cb) {
        bytes += chunk.length;
        setImmediate(cb);
      },
    });
    out.on("drain", () => drains++);
    const { rows } = await writeAccessCsv(model, out);
    expect(rows).toBe(20_000);
    expect(drains).toBeGreaterThan(10);
    expect(bytes).toBeGreaterThan(20_000 * 50);
  });

  it("streams 200k rows in bounded memory", async () => {
    const model = bigModel(200_000);
    globalThis.gc?.();
    const base = process.memoryUsage().heapUsed;
    let peak = base;
    let rows = 0;
    let bytes = 0;
    const out = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk, _enc, cb) {
        bytes += chunk.length;
        rows += 1;
        if (rows % 16 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
        setImmediate(cb);
      },
    });
    const res = await writeAccessCsv(model, out, { expand: true });
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    expect(res.rows).toBeGreaterThanOrEqual(200_000);
    expect(bytes).toBeGreaterThan(200_000 * 80);
    expect(peak - base).toBeLessThan(150 * 1024 * 1024);
  }, 120_000);
});

/** `n` effective rows: 2,000 accounts over projects and permissions, every path shared as the builder shares them. */
function bigModel(n: number): Model {
  const accounts = Array.from({ length: 2_000 }, (_, i) => account(`acc-${String(i).padStart(5, "0")}`));
  const perms = ["ADD_COMMENTS", "BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES", "TRANSITION_ISSUES"];
  const paths = [via("jira.scheme.group", 'permission scheme "Default" → group "jira-users"')];
  const access: AccessEntry[] = [];
  const resources = [];
  for (let p = 0; access.length < n; p++) {
    const key = `P${String(p).padStart(4, "0")}`;
    resources.push(resource("jira_project", key, { name: `Project ${key}` }));
    for (const perm of perms)
      for (const a of accounts) {
        if (access.length >= n) break;
        access.push({
          principal: a.accountId,
          product: "jira",
          resourceType: "jira_project",
          resourceId: key,
          permission: perm,
          via: paths,
        });
      }
  }
  return { ...makeModel({ accounts, resources }), access };
}
