import { type SQL, sql } from "drizzle-orm";
import type { EventType } from "../workers/api/events/catalogue";
import { workerTracing } from "../workers/api/observability/tracing";

export interface EventSpec {
  eventId: string;
  /** Only catalogued types can be emitted (workers/api/events/catalogue.ts). */
  eventType: EventType;
  /** The service that emits it (`crm-service`, …), as in the platform event schema. */
  source: string;
  actorId: string | null;
  correlationId: string;
}

/** One event of a change: its payload's `data` over `changed`, and when it is emitted (default: always). */
export interface ChangeEvent {
  event: EventSpec;
  data: SQL;
  /** A condition over `changed`, e.g. that the stage moved. */
  when?: SQL;
}

/**
 * Wraps a data-modifying statement that RETURNs one row (insert/update … returning *) so the
 * same statement also writes that row's event to the outbox, and answers with `result`
 * (evaluated over the CTE `changed`). One statement means the change and its event commit
 * together or not at all, and an update that matched nothing emits nothing.
 *
 * `data` is the event's payload, an expression over `changed` (the API's representation).
 */
export function withEvent(change: SQL, event: EventSpec, data: SQL, result: SQL): SQL {
  return withEvents(change, [{ event, data }], result);
}

/**
 * A platform event's stored payload (the outbox's `payload`), for the tenant `tenantId` (an SQL
 * expression, e.g. a CTE's column): the one place the envelope's shape is written.
 */
export function eventPayload(event: EventSpec, tenantId: SQL, data: SQL): SQL {
  return sql`jsonb_build_object(
        'event_id', ${event.eventId}::uuid,
        'event_type', ${event.eventType}::text,
        'tenant_id', ${tenantId},
        'timestamp', to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'source', ${event.source}::text,
        'version', '1.0',
        'data', ${data},
        'metadata', jsonb_build_object('user_id', ${event.actorId}::uuid, 'correlation_id', ${event.correlationId}::text)
      )`;
}

/** withEvent for a change that emits several events, each when its condition holds. */
export function withEvents(change: SQL, events: readonly ChangeEvent[], result: SQL): SQL {
  // The writing request's trace, when sampled: the relay puts it on the JetStream message and
  // webhook deliveries send it, so a consumer's work joins the trace (a parameter: the text stays one).
  const traceparent = workerTracing.sampledTraceparent() ?? null;
  const inserts = events.map(
    ({ event, data, when }) => sql`
      select ${event.eventId}::uuid, changed.tenant_id, ${event.eventType}, ${eventPayload(event, sql`changed.tenant_id`, data)}, ${traceparent}::text
      from changed${when ? sql` where ${when}` : sql``}`,
  );
  return sql`
    with changed as (${change}),
    emitted as (
      insert into outbox_events (id, tenant_id, event_type, payload, traceparent)
      ${sql.join(inserts, sql` union all `)}
    )
    select ${result} from changed`;
}
