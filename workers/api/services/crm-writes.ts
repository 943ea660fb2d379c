import { type SQL, type SQLWrapper, sql } from "drizzle-orm";
import { type EventSpec, withEvent } from "../../../db/outbox";
import { tenantBatch } from "../../../db/tenant-batch";
import type { EventType } from "../events/catalogue";
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
