import { type SQL, sql } from "drizzle-orm";
import type { Database } from "./client";
import { tenantBatch } from "./tenant-batch";

/** Rows of one statement (its own implicit transaction). */
export async function rowsOf<T>(db: Database, query: SQL): Promise<T[]> {
  return (await db.execute(query)).rows as T[];
}

/** tenantBatch (one atomic round trip under the tenant's row-level security) over SQL statements. */
export async function tenantRows(
  db: Database,
  tenantId: string,
  queries: readonly SQL[],
): Promise<unknown[][]> {
  const items = queries.map((q) => db.execute(q)) as unknown as Parameters<typeof tenantBatch>[2];
  const results = (await tenantBatch(db, tenantId, items)) as unknown as { rows: unknown[] }[];
  return results.map((r) => r.rows);
}

/** A timestamp column as the API shows it: RFC 3339 UTC with milliseconds, the cursor's format too. */
export const utcIso = (column: SQL) =>
  sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * A text[] parameter. drizzle's template spreads a JS array into a list of parameters; one Param
 * sends it as a single array value instead.
 */
export const textArray = (values: readonly string[]) => sql`${sql.param(values)}::text[]`;
