import { sql } from "drizzle-orm";
import { eventPayload } from "../../../../../db/outbox";
import {
  deleteRowsCall,
  isTenant,
  outcomeOf,
  privileged,
  tenantChanges,
  tenantSelect,
  uuidArray,
} from "../store-sql";
import { identifierPattern, mentions, redactJson, redactText } from "../text-match";
import type { PersonalDataStore, StoreContext } from "../types";

/** Events about the subject: their record is the event's `data`, or the subject acted. */
function about(ctx: StoreContext) {
  const ids = uuidArray(ctx.profile.ids);
  return sql`tenant_id = ${ctx.tenantId} and (
    (payload->'data'->>'id') = any(${ids}::text[]) or (payload->'data'->>'contact_id') = any(${ids}::text[])
    or (payload->'data'->>'lead_id') = any(${ids}::text[]) or (payload->'metadata'->>'user_id') = any(${ids}::text[]))`;
}

/**
 * The outbox: every committed event, which webhook deliveries are built from (a delivery's body
 * is its event's stored payload, signed at send time) and GET /api/v1/events reads. An event
 * whose record is the subject keeps its envelope with `data` reduced to `{id, redacted: true}`;
 * an event that merely quotes the subject is redacted in place; the acting user's id goes from
 * `metadata`. Deliveries not yet sent therefore send the redacted body.
 */
export const outboxStore: PersonalDataStore = {
  name: "events.outbox",
  where: "postgres",
  description: "Platform events (the outbox), the bodies of webhook deliveries and the event log.",
  columns: { outbox_events: ["payload"] },
  subjects: ["contact", "lead", "user", "tenant"],
  export(ctx) {
    const pattern = identifierPattern(ctx.profile.identifiers);
    return tenantSelect(
      ctx,
      sql`select id, event_type, payload, created_at from outbox_events
          where ${about(ctx)} or (tenant_id = ${ctx.tenantId} and ${mentions(sql`payload`, pattern)}) order by created_at, id`,
    );
  },
  async erase(ctx) {
    const t = ctx.tenantId;
    if (isTenant(ctx))
      return outcomeOf(await tenantChanges(ctx, [sql`delete from outbox_events where tenant_id = ${t}`]));
    const pattern = identifierPattern(ctx.profile.identifiers);
    const ids = uuidArray(ctx.profile.ids);
    const touched = sql`(${about(ctx)} or (tenant_id = ${t} and ${mentions(sql`payload`, pattern)}))
      and not coalesce((payload->'data'->>'redacted')::boolean, false)`;
    const [, redacted = 0] = await tenantChanges(ctx, [
      // In the same transaction, before the redaction: the relay re-publishes these events from
      // the redacted rows and purges their old copies from the stream (events.jetstream).
      sql`insert into privacy_stream_purges (tenant_id, request_id, subject_filter, event_ids)
          select ${t}, ${ctx.requestId}::uuid, ${`evt.${ctx.region}.${t.toLowerCase()}.>`}, array_agg(id)
          from outbox_events where ${touched} having count(*) > 0
          on conflict (request_id) do nothing`,
      sql`update outbox_events set payload = jsonb_set(
              jsonb_set(payload, '{data}', case when (payload->'data'->>'id') = any(${ids}::text[])
                then jsonb_build_object('id', payload->'data'->'id', 'redacted', true) else ${redactJson(sql`payload->'data'`, pattern)} end),
              '{metadata,user_id}', case when (payload->'metadata'->>'user_id') = any(${ids}::text[]) then 'null'::jsonb
                else coalesce(payload->'metadata'->'user_id', 'null'::jsonb) end)
            where ${touched}`,
    ]);
    return outcomeOf([redacted], "anonymised");
  },
};

/**
 * The region's JetStream (regions/outbox-relay), which the Worker cannot reach. A tenant's
 * erasure hands the relay a purge of `evt.<region>.<tenant>.>` (privacy_stream_purges); the
 * status shows when the relay did it. A person's events cannot be deleted one by one (the stream
 * denies it): the outbox step names the events it redacts in privacy_stream_purges.event_ids,
 * and the relay re-publishes their subjects' messages, those events redacted, and purges the
 * old copies (regions/outbox-relay/privacy-rewrites.ts). The stream also receives a
 * `privacy.subject_erased` tombstone naming the erased events, so consumers drop their copies.
 */
export const jetstreamStore: PersonalDataStore = {
  name: "events.jetstream",
  where: "jetstream",
  description: "The region's NATS JetStream copy of the events (kept 7 days).",
  columns: { privacy_stream_purges: [] },
  subjects: ["contact", "lead", "user", "tenant"],
  async erase(ctx) {
    const t = ctx.tenantId;
    if (isTenant(ctx)) {
      const filter = `evt.${ctx.region}.${t.toLowerCase()}.>`;
      await tenantChanges(ctx, [
        sql`insert into privacy_stream_purges (tenant_id, request_id, subject_filter)
            values (${t}, ${ctx.requestId}::uuid, ${filter}) on conflict (request_id) do nothing`,
      ]);
      return { action: "handed_off", rows: 1, reason: `The outbox relay purges ${filter}` };
    }
    const eventId = await tombstoneId(ctx);
    const [events] = await tenantSelect<{ ids: string[] | null }>(
      ctx,
      sql`select array_agg(id::text) as ids from outbox_events where ${about(ctx)}`,
    );
    const event = {
      eventId,
      eventType: "privacy.subject_erased" as const,
      source: "privacy-service",
      actorId: null,
      correlationId: ctx.requestId,
    };
    const data = sql`jsonb_build_object('request_id', ${ctx.requestId}::text, 'subject_type', ${ctx.profile.subject.type}::text,
      'subject_id', ${ctx.profile.subject.id}::text, 'event_ids', ${JSON.stringify(events?.ids ?? [])}::jsonb)`;
    const [written = 0] = await tenantChanges(ctx, [
      sql`insert into outbox_events (id, tenant_id, event_type, payload)
          values (${eventId}::uuid, ${t}::uuid, ${event.eventType}, ${eventPayload(event, sql`${t}::uuid`, data)})
          on conflict (id) do nothing`,
    ]);
    return {
      action: "handed_off",
      rows: written,
      reason:
        "Tombstone privacy.subject_erased published; the outbox relay rewrites the erased events in the stream",
    };
  },
};

/** One tombstone per request, whatever the number of attempts: its id derives from the request's. */
async function tombstoneId(ctx: StoreContext): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`privacy-tombstone:${ctx.requestId}`)),
  );
  const hex = [...digest.slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Webhook deliveries and their attempt logs hold ids, states and short error texts (never the
 * body, which is the outbox event's). Error texts quoting the subject are redacted; a tenant's
 * endpoints, deliveries and attempts go.
 */
export const webhooksStore: PersonalDataStore = {
  name: "webhooks.deliveries",
  where: "postgres",
  description: "Webhook endpoints, deliveries and attempt logs (ids, states, error texts).",
  columns: {
    webhook_deliveries: ["last_error"],
    webhook_delivery_attempts: ["error"],
    webhook_endpoints: ["url", "description"],
  },
  subjects: ["contact", "lead", "user", "tenant"],
  async erase(ctx) {
    const t = ctx.tenantId;
    if (isTenant(ctx)) {
      return outcomeOf(
        await privileged(ctx, [
          deleteRowsCall(ctx, "webhook_delivery_attempts"),
          deleteRowsCall(ctx, "webhook_deliveries"),
          deleteRowsCall(ctx, "webhook_endpoints"),
        ]),
      );
    }
    const pattern = identifierPattern(ctx.profile.identifiers);
    return outcomeOf(
      await tenantChanges(ctx, [
        sql`update webhook_delivery_attempts set error = ${redactText(sql`error`, pattern)} where tenant_id = ${t} and ${mentions(sql`error`, pattern)}`,
        sql`update webhook_deliveries set last_error = ${redactText(sql`last_error`, pattern)} where tenant_id = ${t} and ${mentions(sql`last_error`, pattern)}`,
      ]),
      "anonymised",
    );
  },
};
