/**
 * What every reader (Jira and Confluence here in `shared/`, Admin, SCIM and Bitbucket in the backend) receives and
 * returns. A reader is get → transform: it pulls one page at a time through the transport (which alone paces and
 * retries), turns it into snapshot rows at once, and drops the raw page.
 *
 * A part the credential may not read (a 403 on one listing, a 404 on one project) marks the product `partial` with
 * a reason and keeps what was read; anything else fails the product. Nothing is invented to fill a gap.
 */
import { ForbiddenError, MissingIdentityError, NotFoundError } from "@accessmap/shared/transport/errors";
import type { Transport } from "@accessmap/shared/transport/transport";

/** Progress of one product's read, for the CLI and the admin page. */
export interface ProgressEvent {
  product: string;
  /** What is being read, e.g. `users`, `group members`, `permission schemes`. */
  phase: string;
  done: number;
  /** Estimated total for the phase, when the API states one. */
  total: number | null;
}

export interface ReaderContext {
  transport: Transport;
  progress?: (e: ProgressEvent) => void;
  signal?: AbortSignal;
}

/** Collects the reasons a read is incomplete, in words a user can act on. */
export class PartialTracker {
  readonly reasons: string[] = [];

  get partial(): boolean {
    return this.reasons.length > 0;
  }

  /**
   * Runs one part of a read. A 403 or 404 on that part is recorded with `explain` and the part yields `fallback`;
   * any other error propagates and fails the product.
   */
  async part<T>(
    what: string,
    fallback: T,
    fn: () => Promise<T>,
    explain?: (err: ForbiddenError | NotFoundError) => string,
  ): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ForbiddenError || err instanceof NotFoundError) {
        this.reasons.push(
          explain
            ? explain(err)
            : `${what}: HTTP ${err.status}${err.info.productMessage ? ` (${err.info.productMessage})` : ""}`,
        );
        return fallback;
      }
      throw err;
    }
  }

  note(reason: string): void {
    this.reasons.push(reason);
  }
}

export interface ReaderResult<S> {
  section: S;
  /** Reasons the section is incomplete; empty when complete. */
  reasons: string[];
  counts: Record<string, number>;
}

/**
 * Runs `fn` over `items` with at most `limit` in flight (readers fan out per project, space or repository). The first
 * failure rejects the result and starts no further item, so a failed read stops calling the API.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed) {
      const i = next++;
      if (i >= items.length) return;
      try {
        out[i] = await fn(items[i] as T, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The names a tolerated read could not read, by status. */
export interface Failures {
  forbidden: string[];
  notFound: string[];
}

/** Runs `fn`, returning null on a 403 or 404 (recorded in `failures` by status); anything else propagates. */
export async function tolerate<T>(label: string, failures: Failures, fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ForbiddenError) failures.forbidden.push(label);
    else if (err instanceof NotFoundError) failures.notFound.push(label);
    else throw err;
    return null;
  }
}

/** How many names a reason lists before summarizing the rest. */
const NAMES_IN_REASON = 10;

/** Names for a reason: the first few, then how many more. */
export function nameList(names: readonly string[]): string {
  const shown = names.slice(0, NAMES_IN_REASON).join(", ");
  return names.length > NAMES_IN_REASON ? `${shown} and ${names.length - NAMES_IN_REASON} more` : shown;
}

/** Returns the value or fails the read: a record without its identity field is never invented. */
export function requireId<T>(value: T | null | undefined, entity: string, field: string): T {
  if (value === null || value === undefined || value === "") {
    throw new MissingIdentityError(entity, field);
  }
  return value;
}
