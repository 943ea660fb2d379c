-- The listing indexes must match ORDER BY created_at DESC, id DESC exactly (DESC means NULLS
-- FIRST); with NULLS LAST Postgres could not read a page off the index and sorted the tenant.
DROP INDEX "contacts_tenant_created_idx";--> statement-breakpoint
DROP INDEX "outbox_events_tenant_id_idx";--> statement-breakpoint
CREATE INDEX "contacts_tenant_created_idx" ON "contacts" USING btree ("tenant_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "outbox_events_tenant_id_idx" ON "outbox_events" USING btree ("tenant_id","created_at" DESC NULLS FIRST);