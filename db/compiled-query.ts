import { fillPlaceholders } from "drizzle-orm";
import { drizzle } from "drizzle-orm/neon-http";
import { batchReaderOf, type Database, SET_TENANT_SQL } from "./client";
import * as schema from "./schema";

/**
 * Hot-path reads are built with drizzle once, at module load, with `sql.placeholder()` for every
 * value, and only bound per request: building a query is ~0.3 ms of JavaScript per request
 * (measured), more than the Worker's share of running it.
 */
export const queryBuilder = drizzle.mock({ schema });

export interface CompiledQuery {
  sql: string;
  params: unknown[];
}

export function compile(query: { toSQL(): CompiledQuery }): CompiledQuery {
  return query.toSQL();
}

export interface BoundQuery {
  query: CompiledQuery;
  values: Record<string, unknown>;
}

type Row = Record<string, unknown>;

/**
 * Runs compiled reads for one tenant as one atomic batch after the tenant setting that
 * row-level security checks (as tenantBatch does for built queries). Rows come back as objects.
 * Over our SQL gateway the batch takes the lean path (db/http-reads.ts); the driver otherwise
 * (Neon itself, or inside an interactive transaction, whose statements run on its connection).
 */
export async function tenantRead(
  db: Database,
  tenantId: string,
  queries: readonly BoundQuery[],
): Promise<Row[][]> {
  const statements = [
    { sql: SET_TENANT_SQL, params: [tenantId] },
    ...queries.map((q) => ({ sql: q.query.sql, params: fillPlaceholders(q.query.params, q.values) })),
  ];
  const lean = batchReaderOf(db)?.prepare(statements);
  if (lean) return (await lean()).slice(1);
  const client = db.$client;
  const results = (await client.transaction(
    statements.map((s) => client.query(s.sql, s.params as unknown[])),
  )) as Row[][];
  return results.slice(1);
}
