/** Admin-specific failures that need their own explanation. */
import { AccessmapError } from "@accessmap/shared/transport/errors";

/**
 * The Admin API key is valid but sees no organization (or not the configured one). Scoped API keys behave this way
 * for the organization endpoints this integration needs.
 */
export class NoOrganizationError extends AccessmapError {
  constructor(readonly orgId: string) {
    super("forbidden", `no organization ${orgId} is visible to the admin API key`);
  }
}
