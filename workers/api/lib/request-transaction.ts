import { sql } from "drizzle-orm";
import type { Context } from "hono";
import { type Database, regionDatabaseOptions } from "../../../db/client";
import { inTenantTransaction, type Transactor } from "../../../db/tenant-transaction";
import type { AppEnv } from "../app-env";
import { ApiError } from "./errors";
import { deferOf } from "./service-context";

/**
 * Work inside the request's open transaction, under a savepoint: a throw undoes the work's own
 * writes only. The idempotency middleware commits a request that answered a 4xx (the answer is
 * recorded under the key), so without the savepoint a finalize refused half-way would commit the
 * number it had taken. After a failed statement the transaction can only roll back as a whole,
 * which the middleware does.
 */
async function underSavepoint<T>(db: Database, work: (db: Database) => Promise<T>): Promise<T> {
  await db.execute(sql`savepoint request_work`);
  let result: T;
  try {
    result = await work(db);
  } catch (error) {
    await db.execute(sql`rollback to savepoint request_work`).catch(() => {});
    throw error;
  }
  await db.execute(sql`release savepoint request_work`);
  return result;
}

/**
 * An interactive transaction for the request's tenant, all or nothing for the work given it. A
 * request with an Idempotency-Key already runs inside one (the idempotency middleware's): the
 * work joins it under a savepoint, so it commits with the key's record or not at all. Otherwise
 * it gets one of its own.
 */
export function requestTransaction(c: Context<AppEnv>): Transactor {
  const actor = c.get("actor");
  if (!actor) throw ApiError.unauthenticated("Authentication required", "invalid_request");
  const open = c.get("database");
  if (open) return (work) => underSavepoint(open, work);
  const options = regionDatabaseOptions(c.get("config"));
  const defer = deferOf(c);
  return (work) =>
    inTenantTransaction(options, actor.tenantId, work, (closing) => {
      defer?.(closing);
    });
}
