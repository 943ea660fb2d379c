import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenantId, tenantIsolation } from "./columns";

/**
 * Transactional outbox: every domain change writes its event here in the same transaction as
 * the change, so an acknowledged change can never lose its event. A publisher
 * (workers/api/events/publisher.ts) claims unpublished rows with a lease, delivers them to the
 * event sinks, then marks them published; a lease that runs out (the publisher died) makes its
 * rows claimable again.
 */
export const outboxEvents = pgTable(
  "outbox_events",
  {
    /** The event_id of the platform event schema. */
    id: uuid("id").primaryKey(),
    tenantId: tenantId(),
    eventType: text("event_type").notNull(),
    /** The whole event as clients receive it (API.md "Events"). */
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull().defaultNow(),
    publishedAt: timestamp("published_at", { withTimezone: true, mode: "string" }),
    /** The publisher holding the row, until `claimed_until`; after that anyone may take it. */
    claimId: uuid("claim_id"),
    claimedUntil: timestamp("claimed_until", { withTimezone: true, mode: "string" }),
  },
  (t) => [
    index("outbox_events_tenant_id_idx").on(t.tenantId, t.createdAt.desc().nullsFirst()),
    index("outbox_events_unpublished_idx").on(t.createdAt).where(sql`${t.publishedAt} is null`),
    tenantIsolation(),
  ],
).enableRLS();

export type OutboxEvent = typeof outboxEvents.$inferSelect;
