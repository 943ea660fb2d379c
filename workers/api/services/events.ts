import { sql } from "drizzle-orm";
import { tenantBatch } from "../../../db/tenant-batch";
import { afterCursor, pageOf } from "../lib/keyset-page";
import type { Page } from "./contacts";
import type { ServiceContext } from "./context";
import { revealRecordPage } from "./privacy/sensitive-fields";

/** A platform event as JSON text, rendered by Postgres from the stored payload. */
export type EventJson = string;

export interface EventListQuery {
  limit: number;
  cursor?: string | undefined;
  /** Exact type, or a prefix when it ends in a dot (`contact.`). */
  eventType?: string | undefined;
  /** RFC 3339; events recorded at or after it. */
  since?: string | undefined;
  /** Type prefixes the caller may not see (events/visibility.ts). */
  hiddenPrefixes?: readonly string[];
}

function typeFilter(eventType: string | undefined) {
  if (!eventType) return sql``;
  // starts_with, not LIKE: `_` in a type name would be a LIKE wildcard.
  return eventType.endsWith(".")
    ? sql`and starts_with(event_type, ${eventType})`
    : sql`and event_type = ${eventType}`;
}

/**
 * The tenant's events, newest first by when they were recorded, published or not: the outbox is
 * the log. The cursor carries `created_at` at full (microsecond) precision, so two events in the
 * same millisecond are never skipped or repeated between pages.
 */
export async function listEvents(ctx: ServiceContext, query: EventListQuery): Promise<Page<EventJson>> {
  const tenantId = ctx.actor.tenantId;
  const statement = sql`
    select id, payload::text as json,
      to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at
    from outbox_events
    where tenant_id = ${tenantId}
      ${typeFilter(query.eventType)}
      ${sql.join(
        (query.hiddenPrefixes ?? []).map((prefix) => sql`and not starts_with(event_type, ${prefix})`),
        sql` `,
      )}
      ${query.since ? sql`and created_at >= ${query.since}::timestamptz` : sql``}
      ${afterCursor(query.cursor, sql`created_at`, sql`id`)}
    order by created_at desc, id desc
    limit ${query.limit + 1}`;
  const [result] = await tenantBatch(ctx.db, tenantId, [ctx.db.execute(statement)]);
  const page = pageOf(result.rows as { id: string; created_at: string; json: string }[], query.limit);
  // Payloads keep sensitive fields sealed (crypto-shredding); the caller sees them opened.
  return {
    ...page,
    items: await revealRecordPage(
      ctx,
      page.items.map((r) => r.json),
    ),
  };
}
