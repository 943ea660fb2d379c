import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { type EventSpec, withEvent } from "../../../db/outbox";
import { tenantRows } from "../../../db/rows";
import { tenantBatch } from "../../../db/tenant-batch";
import type { EventType } from "../events/catalogue";
import { ApiError } from "../lib/errors";
import type { ServiceContext } from "./context";

/** Every CRM event's `source` (the platform event schema). */
export const CRM_SOURCE = "crm-service";

/** The event of a change this request makes. */
export function crmEvent(ctx: ServiceContext, eventType: EventType): EventSpec {
  return {
    eventId: crypto.randomUUID(),
    eventType,
    source: CRM_SOURCE,
    actorId: ctx.actor.userId,
    correlationId: ctx.requestId,
  };
}

/**
 * A write (insert/update … returning *) and its event as one statement (db/outbox.ts), `json`
 * being the record's representation over the CTE `changed`: the event's data and the answer.
 */
export function changeWithEvent(
  ctx: ServiceContext,
  change: SQLWrapper,
  eventType: EventType,
  json: SQL,
): SQL {
  return withEvent(change.getSQL(), crmEvent(ctx, eventType), json, sql`${json}::text as json`);
}

/** Runs changeWithEvent in its own tenant batch; answers the changed record's JSON, or undefined. */
export async function writeWithEvent(
  ctx: ServiceContext,
  change: SQLWrapper,
  eventType: EventType,
  json: SQL,
): Promise<string | undefined> {
  const statement = changeWithEvent(ctx, change, eventType, json);
  const [result] = await tenantBatch(ctx.db, ctx.actor.tenantId, [ctx.db.execute(statement)]);
  return (result.rows[0] as { json: string } | undefined)?.json;
}

/** Whether `userId` is an active member of the tenant, as SQL (the owner of a record must be). */
export function isActiveMember(tenantId: string, userId: string): SQL {
  return sql`exists (select 1 from memberships where tenant_id = ${tenantId} and user_id = ${userId}::uuid
    and status = 'active' and not is_deleted)`;
}

/**
 * The user a record is assigned to (`owner_id`, named `field` in the input) must be an active
 * member of the tenant: another tenant's user or an unknown id is a 400 naming the field, said
 * alike so it tells nothing about other tenants. A foreign key cannot say it (membership is per
 * tenant, soft-deleted and has a status).
 *
 * A read before the write's batch, only when an owner is given: one round trip more for those
 * writes, and a window of that round trip in which the member could be removed — the same state
 * as a removal just after the write, which leaves a member's records assigned to them as well.
 */
export async function assertOwner(
  ctx: ServiceContext,
  ownerId: string | null | undefined,
  field = "owner_id",
): Promise<void> {
  if (!ownerId) return;
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select ${isActiveMember(tenantId, ownerId)} as member`,
  ]);
  if (!(rows[0] as { member: boolean } | undefined)?.member) throw notAMember(field);
}

/** The answer to an owner that is not an active member of the tenant. */
export function notAMember(field: string): ApiError {
  return new ApiError(
    "VALIDATION_ERROR",
    "The owner must be an active member of the tenant (GET /api/v1/iam/members lists them)",
    { field },
  );
}
