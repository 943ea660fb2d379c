import { type NeonQueryFunction, neon, neonConfig } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { drizzle, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import * as schema from "./schema";

export type Database = NeonHttpDatabase<typeof schema> & { $client: NeonQueryFunction<false, false> };

export interface DatabaseOptions {
  /** postgres://role:password@host/db — the role decides what row-level security lets through. */
  url: string;
  /**
   * SQL-over-HTTP endpoint when it is not Neon's (the Lagos gateway, or the local one). Neon's
   * own endpoint is derived from the URL's host.
   */
  httpEndpoint?: string | undefined;
}

const databases = new Map<string, Database>();

/**
 * One query = one HTTP request (neon-http). A Worker cannot keep a connection pool across
 * requests, and over a pooled gateway this measured ~5× faster than a WebSocket per request.
 *
 * The instance holds no connection (each query is its own fetch), so one per isolate and URL is
 * safe to share between requests; building it per request cost more CPU than the query's own
 * handling (drizzle walks the whole schema), measured in bench/.
 */
export function createDatabase(options: DatabaseOptions): Database {
  // Global in the driver; every request of an isolate sets the same value.
  if (options.httpEndpoint) neonConfig.fetchEndpoint = options.httpEndpoint;
  const key = `${options.httpEndpoint ?? ""} ${options.url}`;
  let db = databases.get(key);
  if (!db) {
    db = drizzle({ client: neon(options.url), schema });
    databases.set(key, db);
  }
  return db;
}

/** The region's database as a deployment's configuration names it (workers/api/env.ts Config). */
export function regionDatabase(config: {
  databaseUrl: string;
  databaseHttpUrl: string | undefined;
}): Database {
  return createDatabase({ url: config.databaseUrl, httpEndpoint: config.databaseHttpUrl });
}

/** `set_config(…, true)` lasts until the end of the batch's transaction, and no longer. */
export const SET_TENANT_SQL = "select set_config('app.tenant_id', $1, true)";

export function setTenant(db: Database, tenantId: string) {
  return db.execute(sql`select set_config('app.tenant_id', ${tenantId}, true)`);
}
