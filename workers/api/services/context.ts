import type { Database } from "../../../db/client";
import type { RegionId } from "../../../regions/registry";

/** Who is acting: the authenticated principal, as services need it (no Hono types here). */
export interface Actor {
  userId: string;
  tenantId: string;
  role: string;
  scopes: readonly string[];
}

export interface ServiceContext {
  db: Database;
  actor: Actor;
  region: RegionId;
  /** Carried into events as correlation_id. */
  requestId: string;
}
