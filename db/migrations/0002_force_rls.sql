-- FORCE makes row-level security apply to the tables' owner too, so only a superuser (the
-- migration role, never the Workers) can see across tenants.
ALTER TABLE "tenants" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "roles" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "memberships" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "contacts" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "outbox_events" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- users has no tenant column: the app may read and write it, never delete it (erasure is a job).
REVOKE DELETE ON "users" FROM nexus_app;
