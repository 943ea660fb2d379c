import { type Database, regionDatabase } from "../../../db/client";
import type { Config } from "../env";

/**
 * The region's database beside the request's own transaction (work that must outlive a rolled
 * back request, such as a payment attempt recorded before the provider is called). On a
 * single-session database (PGlite in `npm run dev`, DATABASE_SINGLE_SESSION) a second session
 * waits for the request's transaction to end, which it never does first: there the request's
 * transaction is used, and such work rolls back with it.
 */
export function databaseBesideRequest(config: Config, requestDb: Database): Database {
  return config.databaseSingleSession ? requestDb : regionDatabase(config);
}
