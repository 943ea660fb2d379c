CREATE TABLE "activations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"owner_id" uuid NOT NULL,
	"business_name" text NOT NULL,
	"slug" text NOT NULL,
	"country" char(2) NOT NULL,
	"preset_id" text NOT NULL,
	"currency" char(3) NOT NULL,
	"owner_email" text,
	"owner_name" text,
	"password_hash" text,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" text DEFAULT 'running' NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp(3) with time zone
);
--> statement-breakpoint
ALTER TABLE "activations" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE UNIQUE INDEX "activations_slug_key" ON "activations" USING btree ("slug") WHERE "activations"."state" <> 'failed';--> statement-breakpoint
CREATE UNIQUE INDEX "activations_owner_email_key" ON "activations" USING btree (lower("owner_email")) WHERE "activations"."state" <> 'failed';--> statement-breakpoint
CREATE INDEX "activations_tenant_id_idx" ON "activations" USING btree ("tenant_id");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "activations" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
ALTER TABLE "activations" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Open sign-up must know whether a business slug is taken before any tenant is known, and the
-- app role sees no tenant row without one. Like 0005's lookups this runs as nexus_auth; it
-- answers a boolean about one slug, nothing else.
CREATE FUNCTION activation_slug_taken(p_slug text)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT EXISTS (SELECT 1 FROM tenants WHERE slug = p_slug AND NOT is_deleted)
$$;
--> statement-breakpoint
ALTER FUNCTION activation_slug_taken(text) OWNER TO nexus_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION activation_slug_taken(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION activation_slug_taken(text) TO nexus_app;
