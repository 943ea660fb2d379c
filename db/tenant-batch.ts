import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import { type Database, setTenant } from "./client";

type Items = readonly [BatchItem<"pg">, ...BatchItem<"pg">[]];

/**
 * Runs queries for one tenant as a single atomic batch (one HTTP round trip, one transaction),
 * preceded by the tenant setting that row-level security checks. The application filters by
 * tenant_id as well; the policy is the second wall.
 */
export async function tenantBatch<T extends Items>(
  db: Database,
  tenantId: string,
  queries: T,
): Promise<BatchResponse<T>> {
  const results = await db.batch([setTenant(db, tenantId), ...queries]);
  return results.slice(1) as unknown as BatchResponse<T>;
}
