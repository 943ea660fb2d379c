-- A person's erasure asks the outbox relay to take their events out of the region's JetStream
-- (regions/outbox-relay/privacy-rewrites.ts): the stream denies deleting single messages, and a
-- person's events share their subjects with everyone else's, so the relay re-publishes each
-- affected subject's messages (the erased events as the outbox now holds them, redacted) and
-- purges the old copies. `event_ids` names the erased events; null is a tenant's purge (0025).
ALTER TABLE "privacy_stream_purges" ADD COLUMN IF NOT EXISTS "event_ids" uuid[];
--> statement-breakpoint
GRANT SELECT ("event_ids", "request_id") ON "privacy_stream_purges" TO nexus_relay;
