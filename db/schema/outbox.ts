import { sql } from "drizzle-orm";
import { index, jsonb, pgPolicy, pgRole, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenantId, tenantIsolation } from "./columns";

/** The outbox relay's database role (migration 0024). */
export const relayRole = pgRole("nexus_relay").existing();

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
    /**
     * When the outbox relay (regions/outbox-relay/) had the region's JetStream acknowledge the
     * event: its own progress, independent of the Worker's publish state above (0024).
     */
    relayedAt: timestamp("relayed_at", { withTimezone: true, mode: "string" }),
    /** The writing request's W3C traceparent when it was traced; the relay puts it on the message. */
    traceparent: text("traceparent"),
  },
  (t) => [
    index("outbox_events_tenant_id_idx").on(t.tenantId, t.createdAt.desc().nullsFirst()),
    index("outbox_events_unpublished_idx").on(t.createdAt).where(sql`${t.publishedAt} is null`),
    index("outbox_events_unrelayed_idx").on(t.createdAt, t.id).where(sql`${t.relayedAt} is null`),
    tenantIsolation(),
    // The relay streams every tenant's rows and may set relayed_at only (0024's grants).
    pgPolicy("outbox_relay_read", { as: "permissive", for: "select", to: relayRole, using: sql`true` }),
    pgPolicy("outbox_relay_mark", {
      as: "permissive",
      for: "update",
      to: relayRole,
      using: sql`true`,
      withCheck: sql`true`,
    }),
  ],
).enableRLS();

export type OutboxEvent = typeof outboxEvents.$inferSelect;
