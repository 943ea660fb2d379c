-- The outbox relay (regions/outbox-relay/) streams every committed outbox row to the region's
-- NATS JetStream. Its progress is its own column: the Worker's publish state (published_at,
-- claim_id, claimed_until) says whether webhooks and sockets got the event, relayed_at whether
-- the stream did, and neither waits for the other.
ALTER TABLE "outbox_events" ADD COLUMN "relayed_at" timestamp with time zone;
--> statement-breakpoint
-- The W3C traceparent of the request that wrote the event, when that request was traced: the
-- relay puts it on the JetStream message, so a consumer's work joins the writer's trace.
ALTER TABLE "outbox_events" ADD COLUMN "traceparent" text;
--> statement-breakpoint
-- The stream starts with this migration: rows written before it were delivered to webhooks and
-- sockets already and stay readable through GET /api/v1/events; relaying a region's whole
-- history at the first start would flood tenants' consumers with old events.
UPDATE "outbox_events" SET "relayed_at" = "created_at" WHERE "relayed_at" IS NULL;
--> statement-breakpoint
-- What the relay scans: only unrelayed rows, in the order it claims them (created_at, id).
CREATE INDEX "outbox_events_unrelayed_idx" ON "outbox_events" USING btree ("created_at","id") WHERE "outbox_events"."relayed_at" is null;
--> statement-breakpoint
-- The relay's role. Created without a password like nexus_app (0000): operators set one per
-- region and put it in the relay's OUTBOX_RELAY_DATABASE_URL secret. It reads every tenant's
-- outbox rows (it streams them all) and may change nothing but relayed_at; it sees no other table.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nexus_relay') THEN
    CREATE ROLE nexus_relay LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
END
$$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO nexus_relay;
--> statement-breakpoint
GRANT SELECT ("id", "tenant_id", "event_type", "payload", "created_at", "traceparent", "relayed_at") ON "outbox_events" TO nexus_relay;
--> statement-breakpoint
GRANT UPDATE ("relayed_at") ON "outbox_events" TO nexus_relay;
--> statement-breakpoint
-- Row-level security is forced on outbox_events (0002): the relay crosses tenants through these
-- two policies, which name only its role. FOR UPDATE (its claim) needs both.
CREATE POLICY "outbox_relay_read" ON "outbox_events" AS PERMISSIVE FOR SELECT TO nexus_relay USING (true);
--> statement-breakpoint
CREATE POLICY "outbox_relay_mark" ON "outbox_events" AS PERMISSIVE FOR UPDATE TO nexus_relay USING (true) WITH CHECK (true);
