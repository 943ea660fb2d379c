import { type SQL, sql } from "drizzle-orm";
import { type Database, setTenant } from "./client";

/** Rows of one statement (its own implicit transaction). */
export async function rowsOf<T>(db: Database, query: SQL): Promise<T[]> {
  return (await db.execute(query)).rows as T[];
}

/**
 * Statements for one tenant as one atomic batch (one round trip, one transaction), after the
 * tenant setting row-level security checks; answers each statement's rows.
 */
export async function tenantRows(
  db: Database,
  tenantId: string,
  queries: readonly SQL[],
): Promise<unknown[][]> {
  const items = [setTenant(db, tenantId), ...queries.map((q) => db.execute(q))] as const;
  const results = (await db.batch(items as unknown as Parameters<Database["batch"]>[0])) as unknown as {
    rows: unknown[];
  }[];
  return results.slice(1).map((r) => r.rows);
}

/** A timestamp column as the API shows it: RFC 3339 UTC with milliseconds, the cursor's format too. */
export const utcIso = (column: SQL) =>
  sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * A text[] parameter. drizzle's template spreads a JS array into a list of parameters; one Param
 * sends it as a single array value instead.
 */
export const textArray = (values: readonly string[]) => sql`${sql.param(values)}::text[]`;
