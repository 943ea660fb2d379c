import type { Database } from "../../../db/client";
import type { RegionId } from "../../../regions/registry";

/** Who is acting: the authenticated principal, as services need it (no Hono types here). */
export interface Actor {
  /** The user's id, or the API key's id when `credential` is "api_key". */
  userId: string;
  /** What authenticated the request: services refuse some actions to keys, and audit says which. */
  credential: "access_token" | "api_key" | "client_credentials";
  tenantId: string;
  role: string;
  /**
   * A custom role's permissions as the credential carries them (checked by requirePermission
   * without a database round trip); absent or ignored for system roles.
   */
  permissions?: readonly string[] | undefined;
  scopes: readonly string[];
}

export interface ServiceContext {
  db: Database;
  actor: Actor;
  region: RegionId;
  /** Carried into events as correlation_id. */
  requestId: string;
  /**
   * The region's DATA_ENCRYPTION_KEY: root of the tenant keys that seal sensitive fields
   * (services/privacy/). Absent, a write that has such a field answers 503.
   */
  dataKey?: string | undefined;
}
