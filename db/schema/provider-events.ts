import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, instant, tenantId, tenantIsolation } from "./columns";
import { PAYMENT_PROVIDERS, PROVIDER_EVENT_STATES, quoted } from "./finance-enums";
import { paymentConnections } from "./payment-connections";
import { payments } from "./payments";
import { tenants } from "./tenants";

/**
 * Every provider webhook whose signature verified, stored raw before anything acts on it (Lago's
 * inbound-webhook table). The unique (connection, event key) is what makes the same event
 * delivered ten times, or ten at once, one row and one effect: Stripe's `evt_…` id, Paystack's
 * `event:data.id` (it sends no event id), Flutterwave's `event:data.id` or v4 `wbk_…`.
 * Refused webhooks are never stored: they only count on the connection.
 */
export const providerEvents = pgTable(
  "provider_events",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => paymentConnections.id),
    provider: text("provider", { enum: PAYMENT_PROVIDERS }).notNull(),
    eventKey: text("event_key").notNull(),
    eventType: text("event_type").notNull(),
    /** The body exactly as received (its signature was checked over these bytes). */
    rawBody: text("raw_body").notNull(),
    paymentId: uuid("payment_id").references(() => payments.id),
    state: text("state", { enum: PROVIDER_EVENT_STATES }).notNull().default("received"),
    /** Deliveries of the same event after the first: seen, answered 200, not acted on again. */
    duplicates: integer("duplicates").notNull().default(0),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    receivedAt: instant("received_at").notNull().defaultNow(),
    processedAt: instant("processed_at"),
  },
  (t) => [
    uniqueIndex("provider_events_connection_key").on(t.connectionId, t.eventKey),
    index("provider_events_tenant_received_idx").on(t.tenantId, t.receivedAt.desc()),
    index("provider_events_pending_idx").on(t.receivedAt).where(sql`${t.state} = 'received'`),
    check("provider_events_state", sql`${t.state} in (${quoted(PROVIDER_EVENT_STATES)})`),
    tenantIsolation(),
  ],
).enableRLS();

export type ProviderEvent = typeof providerEvents.$inferSelect;
