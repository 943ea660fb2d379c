import { type NeonQueryFunction, neon, neonConfig } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { drizzle, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import { tracedSqlFetch } from "../workers/api/observability/sql-fetch";
import { httpBatchReader } from "./http-reads";
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
  /** How long one call (a statement, a batch, its answer included) may take; DATABASE_TIMEOUT_MS. */
  timeoutMs?: number | undefined;
  /**
   * Marks the lean read batches (db/http-reads.ts, tenantRead) as fit for a replica. Only for a
   * request that reads: GET/HEAD outside a transaction (lib/service-context.ts). The gateway then
   * answers from a replica that has caught up with the primary, else from the primary.
   */
  replicaReads?: boolean | undefined;
}

/**
 * A call's deadline unless the deployment sets one: long enough for a cold Neon compute to wake,
 * short enough that a frozen database answers 503 instead of holding every request.
 */
export const DEFAULT_DATABASE_TIMEOUT_MS = 5_000;

/**
 * Fetch options whose `signal` is a fresh deadline each time it is read: the driver spreads these
 * options into every request's init, so each query and batch (and its response body) gets its own.
 * An abort surfaces as a "TimeoutError", which lib/db-errors.ts maps to 503 + Retry-After.
 */
export function deadlineFetchOptions(timeoutMs: number): { readonly signal: AbortSignal } {
  return {
    get signal() {
      return AbortSignal.timeout(timeoutMs);
    },
  };
}

/** A database call (on the WebSocket path) that passed its deadline; named as an AbortSignal.timeout abort. */
export class DatabaseTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Database did not answer within ${timeoutMs} ms`);
    this.name = "TimeoutError";
  }
}

const databases = new Map<string, Database>();
/** The lean batch path of a Database made for an explicit SQL-over-HTTP endpoint (db/http-reads.ts). */
const batchReaders = new WeakMap<Database, ReturnType<typeof httpBatchReader>>();

/** The hot reads' batch path for `db`, if it has one (only HTTP databases made by createDatabase). */
export function batchReaderOf(db: Database): ReturnType<typeof httpBatchReader> | undefined {
  return batchReaders.get(db);
}

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
  // Plain fetch outside a traced request; a span, traceparent and (sampled) SQL comments inside one.
  neonConfig.fetchFunction = tracedSqlFetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS;
  const replicaReads = options.replicaReads === true;
  const key = `${options.httpEndpoint ?? ""} ${timeoutMs} ${replicaReads ? "replica-reads " : ""}${options.url}`;
  let db = databases.get(key);
  if (!db) {
    const fetchOptions = deadlineFetchOptions(timeoutMs);
    db = drizzle({ client: neon(options.url, { fetchOptions }), schema });
    if (options.httpEndpoint) {
      batchReaders.set(
        db,
        httpBatchReader({
          endpoint: options.httpEndpoint,
          connectionString: options.url,
          fetchOptions,
          replicaReads,
        }),
      );
    }
    databases.set(key, db);
  }
  return db;
}

/** The region's database as a deployment's configuration names it (workers/api/env.ts Config). */
export function regionDatabase(config: RegionDatabaseConfig, reads?: { replicaReads: boolean }): Database {
  return createDatabase({ ...regionDatabaseOptions(config), replicaReads: reads?.replicaReads });
}

export interface RegionDatabaseConfig {
  databaseUrl: string;
  databaseHttpUrl: string | undefined;
  databaseTimeoutMs: number;
}

/** The options every connection of the region uses, the WebSocket path's included. */
export function regionDatabaseOptions(config: RegionDatabaseConfig): DatabaseOptions {
  return {
    url: config.databaseUrl,
    httpEndpoint: config.databaseHttpUrl,
    timeoutMs: config.databaseTimeoutMs,
  };
}

/** `set_config(…, true)` lasts until the end of the batch's transaction, and no longer. */
export const SET_TENANT_SQL = "select set_config('app.tenant_id', $1, true)";

export function setTenant(db: Database, tenantId: string) {
  return db.execute(sql`select set_config('app.tenant_id', ${tenantId}, true)`);
}
