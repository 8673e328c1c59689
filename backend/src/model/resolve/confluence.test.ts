import type { ConfluenceSection } from "@accessmap/shared/snapshot/schema";
import { describe, expect, it } from "vitest";
import { buildModel } from "../build-model.js";
import {
  admin,
  adminUser,
  confluence,
  confluenceUser,
  onResource,
  paths,
  products,
  snapshot,
  space,
} from "../testing.js";

const CONF = products("confluence");

/** `a`, `b`, `c` hold Confluence; `x` does not; `gone` is inactive. */
function model(c: Partial<ConfluenceSection>) {
  return buildModel(
    snapshot({
      admin: admin({
        users: [
          adminUser("a", { productAccess: CONF }),
          adminUser("b", { productAccess: CONF }),
          adminUser("c", { productAccess: CONF }),
          adminUser("x"),
          adminUser("gone", { accountStatus: "inactive", status: "deactivated", productAccess: CONF }),
        ],
      }),
      confluence: confluence({ spaces: [space("S")], ...c }),
    }),
  );
}

const groups = {
  groups: [{ groupId: "g1", name: "writers" }],
  groupMembers: [
    { groupId: "g1", accountId: "b" },
    { groupId: "g1", accountId: "x" },
  ],
};
const roles = [
  { id: "r-admin", name: "Admin" },
  { id: "r-viewer", name: "Viewer" },
];
const perm = (
  principalType: ConfluenceSection["spacePermissions"][number]["principalType"],
  principalId: string | null,
  operation: string,
  spaceId = "sp-S",
) => ({
  spaceId,
  principalType,
  principalId,
  operation,
});

describe("Confluence space permissions", () => {
  it("user → the account", () => {
    const m = model({ spacePermissions: [perm("user", "a", "read:space")] });
    expect(onResource(m, "confluence_space", "S")).toEqual(["a:read:space"]);
    expect(paths(m.access, "a", "confluence_space", "S", "read:space")).toEqual(["space permission → user"]);
  });

  it("group → its members with Confluence; the others are dormant", () => {
    const m = model({ ...groups, spacePermissions: [perm("group", "g1", "create:page")] });
    expect(onResource(m, "confluence_space", "S")).toEqual(["b:create:page"]);
    expect(onResource(m, "confluence_space", "S", true)).toEqual(["x:create:page"]);
    expect(paths(m.access, "b", "confluence_space", "S", "create:page")).toEqual([
      'space permission → group "writers"',
    ]);
  });

  it("anonymous and unlicensed rows → the pseudo-principals, once", () => {
    const m = model({
      spacePermissions: [perm("anonymous", null, "read:space"), perm("unlicensed", null, "create:comment")],
    });
    expect(onResource(m, "confluence_space", "S")).toEqual([
      "anonymous:read:space",
      "unlicensed:confluence:create:comment",
    ]);
  });

  it("an inactive account's own grant is dormant", () => {
    const m = model({ spacePermissions: [perm("user", "gone", "administer:space")] });
    expect(onResource(m, "confluence_space", "S")).toEqual([]);
    expect(onResource(m, "confluence_space", "S", true)).toEqual(["gone:administer:space"]);
  });
});

describe("Confluence space roles", () => {
  it("an assignment confers the role's operations even where the space lists no role rows (operations derived from other spaces' role rows)", () => {
    const m = model({
      spaces: [space("S"), space("T")],
      roles,
      // Space T states the Viewer role's operations; space S only assigns the role.
      spacePermissions: [
        perm("role", "r-viewer", "read:space", "sp-T"),
        perm("role", "r-viewer", "create:comment", "sp-T"),
      ],
      roleAssignments: [{ spaceId: "sp-S", roleId: "r-viewer", principalType: "user", principalId: "a" }],
    });
    expect(onResource(m, "confluence_space", "S")).toEqual(["a:create:comment", "a:read:space"]);
    expect(paths(m.access, "a", "confluence_space", "S", "read:space")).toEqual(['space role "Viewer" → user']);
    // Nobody is assigned the role in T: its rows reach nobody there.
    expect(onResource(m, "confluence_space", "T")).toEqual([]);
  });

  it("role rows confer their operation on the space's assignees: users and group members", () => {
    const m = model({
      ...groups,
      roles,
      spacePermissions: [perm("role", "r-admin", "administer:space")],
      roleAssignments: [
        { spaceId: "sp-S", roleId: "r-admin", principalType: "user", principalId: "c" },
        { spaceId: "sp-S", roleId: "r-admin", principalType: "group", principalId: "g1" },
      ],
    });
    expect(onResource(m, "confluence_space", "S")).toEqual(["b:administer:space", "c:administer:space"]);
    expect(onResource(m, "confluence_space", "S", true)).toEqual(["x:administer:space"]);
    // The assignment and the role row are one path.
    expect(paths(m.access, "b", "confluence_space", "S", "administer:space")).toEqual([
      'space role "Admin" → group "writers"',
    ]);
  });

  it("an account holding an operation by a direct row, a group row and a role: one entry, three paths", () => {
    const m = model({
      ...groups,
      roles,
      spacePermissions: [
        perm("user", "b", "read:space"),
        perm("group", "g1", "read:space"),
        perm("role", "r-viewer", "read:space"),
      ],
      roleAssignments: [{ spaceId: "sp-S", roleId: "r-viewer", principalType: "user", principalId: "b" }],
    });
    expect(paths(m.access, "b", "confluence_space", "S", "read:space")).toEqual([
      'space permission → group "writers"',
      "space permission → user",
      'space role "Viewer" → user',
    ]);
  });

  it("access-class assignments: anonymous-users → anonymous; unknown classes are named in the notes", () => {
    const m = model({
      roles,
      spacePermissions: [perm("role", "r-viewer", "read:space")],
      roleAssignments: [
        { spaceId: "sp-S", roleId: "r-viewer", principalType: "access_class", principalId: "anonymous-users" },
        { spaceId: "sp-S", roleId: "r-viewer", principalType: "access_class", principalId: "mystery-class" },
      ],
    });
    expect(onResource(m, "confluence_space", "S")).toEqual(["anonymous:read:space"]);
    expect(m.notes.join("\n")).toMatch(/mystery-class/);
  });
});

describe("Confluence without the Admin API", () => {
  it("treats every account Confluence reports as active as licensed (customers excepted), and says so", () => {
    const m = buildModel(
      snapshot({
        confluence: confluence({
          users: [
            confluenceUser("a"),
            confluenceUser("off", { accountStatus: "inactive" }),
            confluenceUser("cust", { accountType: "customer" }),
          ],
          spaces: [space("S")],
          spacePermissions: ["a", "off", "cust"].map((id) => perm("user", id, "read:space")),
        }),
      }),
    );
    expect(onResource(m, "confluence_space", "S")).toEqual(["a:read:space"]);
    expect(onResource(m, "confluence_space", "S", true)).toEqual(["cust:read:space", "off:read:space"]);
    expect(m.notes.join("\n")).toMatch(/every account Confluence reports as active is treated as having access/);
  });
});
