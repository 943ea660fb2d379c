import { type SQL, sql } from "drizzle-orm";
import { eventPayload } from "../../../db/outbox";
import { tenantRows, utcIso } from "../../../db/rows";
import type { DeliveryState } from "../../../db/schema/webhook-deliveries";
import { ApiError } from "../lib/errors";
import { afterCursor, pageOf } from "../lib/keyset-page";
import type { DeliveriesByEndpoint } from "../webhooks/delivery-store";
import type { Page } from "./contacts";
import type { ServiceContext } from "./context";

export interface DeliveryAttemptView {
  attempt: number;
  started_at: string;
  duration_ms: number;
  response_status: number | null;
  error: string | null;
  signature_timestamp: number;
}

export interface WebhookDeliveryView {
  id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  webhook_id: string;
  state: DeliveryState;
  attempt_count: number;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  attempts: DeliveryAttemptView[];
}

/** The API representation, rendered by Postgres with the attempt log, oldest attempt first. */
const deliveryJson = sql`json_build_object(
  'id', d.id, 'endpoint_id', d.endpoint_id, 'event_id', d.event_id, 'event_type', d.event_type,
  'webhook_id', d.webhook_id, 'state', d.state, 'attempt_count', d.attempts,
  'next_attempt_at', case when d.state in ('pending', 'delivering') then ${utcIso(sql`d.next_attempt_at`)} end,
  'last_status', d.last_status, 'last_error', d.last_error,
  'created_at', ${utcIso(sql`d.created_at`)}, 'updated_at', ${utcIso(sql`d.updated_at`)},
  'attempts', coalesce((
    select json_agg(json_build_object(
      'attempt', a.attempt, 'started_at', ${utcIso(sql`a.started_at`)}, 'duration_ms', a.duration_ms,
      'response_status', a.response_status, 'error', a.error, 'signature_timestamp', a.signature_timestamp
    ) order by a.attempt)
    from webhook_delivery_attempts a where a.delivery_id = d.id and a.tenant_id = d.tenant_id), '[]'::json)
)`;

/** The endpoint's existence, so a missing or another tenant's endpoint is 404, not an empty list. */
const liveEndpoint = (ctx: ServiceContext, endpointId: string) =>
  sql`select 1 from webhook_endpoints
      where id = ${endpointId} and tenant_id = ${ctx.actor.tenantId} and not is_deleted`;

export async function listWebhookDeliveries(
  ctx: ServiceContext,
  endpointId: string,
  query: { limit: number; cursor?: string | undefined; state?: DeliveryState | undefined },
): Promise<Page<WebhookDeliveryView>> {
  const tenantId = ctx.actor.tenantId;
  const state: SQL = query.state ? sql`and d.state = ${query.state}` : sql``;
  const [endpoint = [], rows = []] = await tenantRows(ctx.db, tenantId, [
    liveEndpoint(ctx, endpointId),
    sql`select d.id, ${utcIso(sql`d.created_at`)} as created_at, ${deliveryJson} as delivery
        from webhook_deliveries d
        where d.tenant_id = ${tenantId} and d.endpoint_id = ${endpointId} ${state}
          ${afterCursor(query.cursor, sql`d.created_at`, sql`d.id`)}
        order by d.created_at desc, d.id desc
        limit ${query.limit + 1}`,
  ]);
  if (endpoint.length === 0) throw ApiError.notFound("Webhook endpoint");
  const page = pageOf(
    rows as { id: string; created_at: string; delivery: WebhookDeliveryView }[],
    query.limit,
  );
  return { ...page, items: page.items.map((r) => r.delivery) };
}

export async function getWebhookDelivery(
  ctx: ServiceContext,
  endpointId: string,
  deliveryId: string,
): Promise<WebhookDeliveryView> {
  const [rows = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`select ${deliveryJson} as delivery from webhook_deliveries d
        join webhook_endpoints e on e.id = d.endpoint_id and not e.is_deleted
        where d.id = ${deliveryId} and d.endpoint_id = ${endpointId} and d.tenant_id = ${ctx.actor.tenantId}`,
  ]);
  const row = rows[0] as { delivery: WebhookDeliveryView } | undefined;
  if (!row) throw ApiError.notFound("Webhook delivery");
  return row.delivery;
}

/**
 * Queues a finished (succeeded or failed) delivery again, as a new round with the full retry
 * schedule; earlier attempts stay in its log. The webhook-id stays the event's: a replay is the
 * same message, and a receiver that de-duplicates may ignore it (by design: replay is for
 * receivers that missed it). A delivery still in flight is a 409; a disabled endpoint too, as
 * nothing would be sent. The caller pokes the dispatcher.
 */
export async function replayWebhookDelivery(
  ctx: ServiceContext,
  endpointId: string,
  deliveryId: string,
): Promise<{ delivery: WebhookDeliveryView; poke: DeliveriesByEndpoint }> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`with target as (
          select d.id, d.state, e.enabled from webhook_deliveries d
          join webhook_endpoints e on e.id = d.endpoint_id and not e.is_deleted
          where d.id = ${deliveryId} and d.endpoint_id = ${endpointId} and d.tenant_id = ${tenantId}),
        replayed as (
          update webhook_deliveries set state = 'pending', round_start = attempts, next_attempt_at = now(),
                 claimed_until = null, updated_at = now()
          where id = (select id from target where state in ('succeeded', 'failed') and enabled)
          returning id)
        select t.state, t.enabled, exists (select 1 from replayed) as replayed from target t`,
  ]);
  const row = rows[0] as { state: DeliveryState; enabled: boolean; replayed: boolean } | undefined;
  if (!row) throw ApiError.notFound("Webhook delivery");
  if (!row.enabled)
    throw new ApiError("CONFLICT", "The endpoint is disabled; enable it to replay deliveries");
  if (!row.replayed)
    throw new ApiError("CONFLICT", `The delivery is ${row.state}; only a finished one is replayed`);
  return {
    delivery: await getWebhookDelivery(ctx, endpointId, deliveryId),
    poke: new Map([[endpointId, [deliveryId]]]),
  };
}

export const TEST_EVENT_MESSAGE =
  "A test event from Nexus Edge: this endpoint receives and verifies webhooks.";

/**
 * Sends a `webhook.test` event to this endpoint only, through the normal delivery path (the
 * dispatcher reads the payload from the outbox). The outbox row is written already published, so
 * the publisher never fans it out to the tenant's other endpoints or realtime sockets; it and the
 * delivery commit in one statement. A disabled endpoint is a 409, as nothing would be sent. The
 * caller pokes the dispatcher.
 */
export async function sendTestEvent(
  ctx: ServiceContext,
  endpointId: string,
): Promise<{ delivery: WebhookDeliveryView; poke: DeliveriesByEndpoint }> {
  const tenantId = ctx.actor.tenantId;
  const event = {
    eventId: crypto.randomUUID(),
    eventType: "webhook.test",
    source: "webhooks-service",
    actorId: ctx.actor.userId,
    correlationId: ctx.requestId,
  } as const;
  const data = sql`jsonb_build_object('endpoint_id', target.id, 'message', ${TEST_EVENT_MESSAGE}::text)`;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`with target as (
          select id, enabled from webhook_endpoints
          where id = ${endpointId} and tenant_id = ${tenantId} and not is_deleted),
        emitted as (
          insert into outbox_events (id, tenant_id, event_type, payload, published_at)
          select ${event.eventId}::uuid, ${tenantId}::uuid, ${event.eventType},
                 ${eventPayload(event, sql`${tenantId}::uuid`, data)}, now()
          from target where target.enabled
          returning id),
        queued as (
          insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, webhook_id)
          select ${tenantId}::uuid, ${endpointId}::uuid, emitted.id, ${event.eventType}, emitted.id::text
          from emitted
          returning id)
        select t.enabled, (select id from queued) as delivery_id from target t`,
  ]);
  const row = rows[0] as { enabled: boolean; delivery_id: string | null } | undefined;
  if (!row) throw ApiError.notFound("Webhook endpoint");
  if (!row.delivery_id)
    throw new ApiError("CONFLICT", "The endpoint is disabled; enable it to send a test event");
  return {
    delivery: await getWebhookDelivery(ctx, endpointId, row.delivery_id),
    poke: new Map([[endpointId, [row.delivery_id]]]),
  };
}
