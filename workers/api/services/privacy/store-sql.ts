import { type SQL, sql } from "drizzle-orm";
import { tenantRows } from "../../../../db/rows";
import type { StoreContext, StoreOutcome } from "./types";

/** A uuid[] parameter. */
export const uuidArray = (values: readonly string[]) => sql`${sql.param(values)}::uuid[]`;

export const isTenant = (ctx: StoreContext) => ctx.profile.subject.type === "tenant";

/** Rows of one statement under the tenant's row-level security. */
export async function tenantSelect<T>(ctx: StoreContext, query: SQL): Promise<T[]> {
  const [rows] = await tenantRows(ctx.db, ctx.tenantId, [query]);
  return (rows ?? []) as T[];
}

/**
 * Runs changing statements (delete/update without RETURNING) atomically for the tenant and
 * answers the number of rows each touched.
 */
export async function tenantChanges(ctx: StoreContext, statements: readonly SQL[]): Promise<number[]> {
  const counted = statements.map(
    (s) => sql`with changed as (${s} returning 1) select count(*)::int as n from changed`,
  );
  const results = await tenantRows(ctx.db, ctx.tenantId, counted);
  return results.map((rows) => Number((rows[0] as { n: number } | undefined)?.n ?? 0));
}

/**
 * Calls privileged erasure functions (migration 0025: they check the running request) in one
 * tenant batch; each statement answers `n`.
 */
export async function privileged(ctx: StoreContext, calls: readonly SQL[]): Promise<number[]> {
  const results = await tenantRows(ctx.db, ctx.tenantId, calls);
  return results.map((rows) => Number((rows[0] as { n: number } | undefined)?.n ?? 0));
}

/** `privacy_delete_rows` for a table: every row of the tenant (ids undefined) or those ids. */
export function deleteRowsCall(ctx: StoreContext, table: string, ids?: readonly string[]): SQL {
  return sql`select privacy_delete_rows(${ctx.requestId}::uuid, ${table}, ${ids === undefined ? null : uuidArray(ids)}) as n`;
}

/** Deletes every row of the tenant from each table, in order (children first), atomically. */
export function deleteTenantRows(ctx: StoreContext, tables: readonly string[]): Promise<number[]> {
  return tenantChanges(
    ctx,
    tables.map((table) => sql`delete from ${sql.identifier(table)} where tenant_id = ${ctx.tenantId}`),
  );
}

export const sum = (counts: readonly number[]) => counts.reduce((a, b) => a + b, 0);

/** The outcome of statements that deleted (or, with `action`, changed) rows. */
export function outcomeOf(
  counts: readonly number[],
  action: StoreOutcome["action"] = "deleted",
): StoreOutcome {
  const rows = sum(counts);
  return rows === 0 ? { action: "none", rows: 0 } : { action, rows };
}
