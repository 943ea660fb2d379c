CREATE TABLE "webhook_endpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"url" text NOT NULL,
	"description" text,
	"event_types" text[] DEFAULT '{}'::text[] NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"secret_sealed" text,
	"previous_secret_sealed" text,
	"previous_expires_at" timestamp(3) with time zone,
	"secret_rotated_at" timestamp(3) with time zone,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"is_deleted" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "webhook_endpoints_secret_while_live" CHECK ("webhook_endpoints"."is_deleted" or "webhook_endpoints"."secret_sealed" is not null),
	CONSTRAINT "webhook_endpoints_previous_secret_expires" CHECK (("webhook_endpoints"."previous_secret_sealed" is null) = ("webhook_endpoints"."previous_expires_at" is null))
);
--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_endpoints_tenant_created_idx" ON "webhook_endpoints" USING btree ("tenant_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "webhook_endpoints" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
-- As for every tenant table (0002, 0005, 0006): row-level security applies to the owner too.
ALTER TABLE "webhook_endpoints" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Endpoints are soft-deleted (their secrets dropped); the rows stay as the record of where events went.
REVOKE DELETE ON "webhook_endpoints" FROM nexus_app;
--> statement-breakpoint
-- The first-party CLI client may ask for the new scopes (permissions webhooks.read|write).
UPDATE "oauth_clients" SET scopes = scopes || ARRAY['webhooks:read', 'webhooks:write']
WHERE client_id = 'nexus-cli' AND tenant_id IS NULL AND NOT ('webhooks:read' = ANY (scopes));
