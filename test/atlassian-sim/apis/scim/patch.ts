/**
 * The PATCH envelope (RFC 7644 §3.5.2): `{schemas:[PatchOp], Operations:[{op, path?, value?}]}`. Operation names
 * are matched case-insensitively (Entra ID sends `Replace`), and the body key may be spelled `operations`, as the
 * published Atlassian spec (`RequestPayloadToPatch`) does, or `Operations`, as RFC 7644 and Atlassian's examples do.
 */
import { getCI, isObject, ScimProblem } from "./common.js";

export interface PatchOperation {
  op: "add" | "replace" | "remove";
  path: string | undefined;
  value: unknown;
}

/** The operations of a PATCH body, validated; a malformed envelope or operation is `invalidSyntax`. */
export function readOperations(body: Record<string, unknown>): PatchOperation[] {
  const raw = getCI(body, "Operations");
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new ScimProblem(400, "invalidSyntax", 'The request must carry a non-empty "Operations" array');
  }
  return raw.map((entry, i) => {
    if (!isObject(entry)) throw new ScimProblem(400, "invalidSyntax", `Operation ${i} is not an object`);
    const op = getCI(entry, "op");
    const name = typeof op === "string" ? op.toLowerCase() : "";
    if (name !== "add" && name !== "replace" && name !== "remove") {
      throw new ScimProblem(400, "invalidSyntax", `Operation ${i} has an unsupported op: ${String(op)}`);
    }
    const path = getCI(entry, "path");
    if (path !== undefined && path !== null && typeof path !== "string") {
      throw new ScimProblem(400, "invalidPath", `Operation ${i} has a path that is not a string`);
    }
    const value = getCI(entry, "value");
    const hasPath = typeof path === "string" && path.trim() !== "";
    // RFC 7644 §3.5.2.2: a remove without a path has no target.
    if (name === "remove" && !hasPath) throw new ScimProblem(400, "noTarget", `Operation ${i} (remove) needs a path`);
    if (name !== "remove" && value === undefined) {
      throw new ScimProblem(400, "invalidValue", `Operation ${i} (${name}) needs a value`);
    }
    if (name !== "remove" && !hasPath && !isObject(value)) {
      throw new ScimProblem(400, "invalidValue", `Operation ${i} (${name}) without a path needs an object value`);
    }
    return { op: name, path: hasPath ? (path as string) : undefined, value };
  });
}
