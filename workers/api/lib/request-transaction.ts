import type { Context } from "hono";
import { regionDatabaseOptions } from "../../../db/client";
import { inTenantTransaction, type Transactor } from "../../../db/tenant-transaction";
import type { AppEnv } from "../app-env";
import { ApiError } from "./errors";
import { deferOf } from "./service-context";

/**
 * An interactive transaction for the request's tenant. A request with an Idempotency-Key already
 * runs inside one (the idempotency middleware's): the work joins it, so it commits with the key's
 * record, and a throw aborts both. Otherwise it gets one of its own.
 */
export function requestTransaction(c: Context<AppEnv>): Transactor {
  const actor = c.get("actor");
  if (!actor) throw ApiError.unauthenticated("Authentication required", "invalid_request");
  const open = c.get("database");
  if (open) return (work) => work(open);
  const options = regionDatabaseOptions(c.get("config"));
  const defer = deferOf(c);
  return (work) =>
    inTenantTransaction(options, actor.tenantId, work, (closing) => {
      defer?.(closing);
    });
}
