import { sql } from "drizzle-orm";
import { bigint, check, index, integer, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, instant, tenantId, tenantIsolation, timestamps } from "./columns";
import { tenants } from "./tenants";
import { webhookEndpoints } from "./webhook-endpoints";

export const DELIVERY_STATES = ["pending", "delivering", "succeeded", "failed"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * One event on its way to one endpoint (durable-objects/webhook-dispatcher.ts sends it). The
 * body is not copied here: it is rebuilt from `outbox_events.payload` on every attempt, so the
 * bytes a receiver verifies are the event as it was committed, and Durable Object storage needs
 * nothing but this row's id.
 *
 * Unique per (endpoint, event): the publisher is at least once, so the same event may reach the
 * webhook sink twice; the second insert is a no-op. `webhook_id` is the event's id, the same on
 * every retry and on a replay (Standard Webhooks: one id per message; a replay is the same
 * message, so a receiver that de-duplicates will see it as one).
 *
 * `claimed_until` is the dispatcher's lease on an attempt in flight: the scheduled sweep re-pokes
 * only pending rows that are due and unclaimed, so it never races a live attempt.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id),
    /** The outbox event (not a foreign key: outbox rows may be pruned after delivery history). */
    eventId: uuid("event_id").notNull(),
    eventType: text("event_type").notNull(),
    webhookId: text("webhook_id").notNull(),
    state: text("state", { enum: DELIVERY_STATES }).notNull().default("pending"),
    /** Attempts made, over every round (numbers the attempt log). */
    attempts: integer("attempts").notNull().default(0),
    /** `attempts` when the current round began (0, or the count at the last replay): retries count from here. */
    roundStart: integer("round_start").notNull().default(0),
    nextAttemptAt: instant("next_attempt_at").defaultNow(),
    claimedUntil: instant("claimed_until"),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("webhook_deliveries_endpoint_event_key").on(t.endpointId, t.eventId),
    // Serves the per-endpoint listing, newest first.
    index("webhook_deliveries_endpoint_created_idx").on(
      t.tenantId,
      t.endpointId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    // The sweep: live rows by due time.
    index("webhook_deliveries_due_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.state} in ('pending', 'delivering')`),
    check("webhook_deliveries_state", sql`${t.state} in ('pending', 'delivering', 'succeeded', 'failed')`),
    tenantIsolation(),
  ],
).enableRLS();

/**
 * Every attempt of a delivery: when, how long, what the receiver answered. `error` is a short
 * fixed phrase of ours (timeout, connection failed, URL refused), never the response body, which
 * may echo personal data.
 */
export const webhookDeliveryAttempts = pgTable(
  "webhook_delivery_attempts",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    deliveryId: uuid("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id),
    attempt: integer("attempt").notNull(),
    startedAt: instant("started_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
    responseStatus: integer("response_status"),
    error: text("error"),
    /** The `webhook-timestamp` the attempt was signed with (Unix seconds). */
    signatureTimestamp: bigint("signature_timestamp", { mode: "number" }).notNull(),
  },
  (t) => [
    uniqueIndex("webhook_delivery_attempts_delivery_attempt_key").on(t.deliveryId, t.attempt),
    index("webhook_delivery_attempts_tenant_id_idx").on(t.tenantId),
    // The console's webhook success rate by hour (0027).
    index("webhook_delivery_attempts_tenant_started_idx").on(t.tenantId, t.startedAt),
    tenantIsolation(),
  ],
).enableRLS();
