/** Where a command writes: a file (atomically, via a temporary name) or standard output. */
import { createWriteStream } from "node:fs";
import { rename } from "node:fs/promises";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";

/** Runs `write` against the destination and finishes it; a file appears only once complete. */
export async function withOutput(path: string | undefined, write: (out: Writable) => Promise<void>): Promise<void> {
  if (!path || path === "-") {
    await write(process.stdout);
    return;
  }
  const tmp = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  await write(out);
  out.end();
  await finished(out);
  await rename(tmp, path);
}
