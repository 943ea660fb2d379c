-- The console's first-party client (/console): public (a browser page keeps no secret),
-- authorization code with PKCE, and refresh tokens that rotate on every use (reuse revokes the
-- family), held in the page's memory only. The redirect is a path, resolved against each region's
-- own origin like the docs client's (0019). Refresh tokens live 12 hours: a working day, after
-- which the owner signs in again. The scopes cover every screen; the member's role still decides.
INSERT INTO "oauth_clients" (client_id, tenant_id, name, client_type, redirect_uris, grant_types, scopes,
                             refresh_token_ttl_seconds)
VALUES ('nexus-console', NULL, 'Nexus Edge console', 'public', ARRAY['/console/'],
        ARRAY['authorization_code', 'refresh_token'],
        ARRAY['openid', 'profile', 'email', 'crm:read', 'crm:write', 'finance:read', 'finance:write',
              'iam:read', 'iam:write', 'webhooks:read', 'webhooks:write'],
        43200)
ON CONFLICT DO NOTHING;
--> statement-breakpoint
-- Hourly request counts per tenant for the console's usage charts (GET /api/v1/nexus/usage):
-- counters only, no personal data, so nothing here is subject to residency beyond the tenant's
-- own database. Written by the Worker after each response (workers/api/usage/usage-meter.ts).
CREATE TABLE "usage_counters" (
	"tenant_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"requests" integer DEFAULT 0 NOT NULL,
	"rate_limited" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "usage_counters_pkey" PRIMARY KEY ("tenant_id", "hour")
);
--> statement-breakpoint
ALTER TABLE "usage_counters" ADD CONSTRAINT "usage_counters_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "usage_counters" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "usage_counters" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "usage_counters" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
-- The usage chart reads events and webhook attempts by hour: attempts had no index by time.
CREATE INDEX "webhook_delivery_attempts_tenant_started_idx" ON "webhook_delivery_attempts" USING btree ("tenant_id", "started_at");
