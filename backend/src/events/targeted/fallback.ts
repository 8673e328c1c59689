/**
 * How a targeted Jira or Confluence read gives up: it throws {@link Fallback} with a reason, and the processor reads
 * the whole section instead (a refusal, a 404 for something the section lists, a row the section cannot hold).
 */
import { ForbiddenError, NotFoundError } from "@accessmap/shared/transport/errors";
import type { TargetedRead } from "../../connectors/bitbucket/read-targets.js";
import type { SectionChange } from "../../model/snapshot-delta.js";

/** A targeted read that cannot go on; the message is the reason the section is read whole. */
export class Fallback extends Error {
  override name = "Fallback";
}

/** Runs one call; a 403 or 404 from `product` becomes a fallback naming `what`. */
export async function must<T>(product: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ForbiddenError || err instanceof NotFoundError) {
      throw new Fallback(`${what}: ${product} answered ${err.status}`);
    }
    throw err;
  }
}

/** Runs a targeted read: its partition changes, or the fallback's reason. */
export async function targeted(read: () => Promise<SectionChange>): Promise<TargetedRead> {
  try {
    return { ok: true, change: await read() };
  } catch (err) {
    if (err instanceof Fallback) return { ok: false, reason: err.message };
    throw err;
  }
}
