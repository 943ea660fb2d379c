-- Enterprise sign-in (issue 18): a tenant's OpenID Connect connections to its own identity
-- provider, the e-mail domains it has proved by DNS, the identities those connections sign in
-- (keyed by the connection and the IdP's subject, never by e-mail), and SCIM groups.
CREATE TABLE "sso_domains" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL REFERENCES "tenants"("id"),
	"domain" text NOT NULL,
	"verification_token" text NOT NULL,
	"verified_at" timestamp(3) with time zone,
	"last_checked_at" timestamp(3) with time zone,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sso_domains_lowercase" CHECK ("domain" = lower("domain"))
);
--> statement-breakpoint
CREATE INDEX "sso_domains_tenant_id_idx" ON "sso_domains" USING btree ("tenant_id", "created_at" DESC, "id" DESC);
--> statement-breakpoint
CREATE UNIQUE INDEX "sso_domains_tenant_domain_key" ON "sso_domains" USING btree ("tenant_id", "domain");
--> statement-breakpoint
-- A domain proved by one tenant cannot be proved by another: the routing of its addresses must be
-- unambiguous (the second tenant's verification is refused).
CREATE UNIQUE INDEX "sso_domains_verified_key" ON "sso_domains" USING btree ("domain") WHERE "verified_at" IS NOT NULL;
--> statement-breakpoint
CREATE TABLE "sso_connections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL REFERENCES "tenants"("id"),
	"name" text NOT NULL,
	"issuer" text NOT NULL,
	"client_id" text NOT NULL,
	"client_secret_sealed" text,
	"scopes" text[] NOT NULL,
	"domains" text[] DEFAULT '{}'::text[] NOT NULL,
	"claims" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"group_roles" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"default_role" text DEFAULT 'Member' NOT NULL,
	"jit" boolean DEFAULT true NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"scim_token_hash" text,
	"scim_token_created_at" timestamp(3) with time zone,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"is_deleted" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "sso_connections_tenant_id_idx" ON "sso_connections" USING btree ("tenant_id", "created_at" DESC, "id" DESC);
--> statement-breakpoint
CREATE UNIQUE INDEX "sso_connections_tenant_issuer_key" ON "sso_connections" USING btree ("tenant_id", "issuer") WHERE NOT "is_deleted";
--> statement-breakpoint
CREATE UNIQUE INDEX "sso_connections_scim_token_key" ON "sso_connections" USING btree ("scim_token_hash") WHERE "scim_token_hash" IS NOT NULL;
--> statement-breakpoint
CREATE TABLE "sso_identities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL REFERENCES "tenants"("id"),
	"connection_id" uuid NOT NULL REFERENCES "sso_connections"("id"),
	"user_id" uuid NOT NULL REFERENCES "users"("id"),
	-- The IdP's stable subject (Entra: tid:oid); null for a SCIM-provisioned user not yet signed in.
	"subject" text,
	"email" text,
	"external_id" text,
	"scim_user_name" text,
	"scim_active" boolean,
	"scim_attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"last_sign_in_at" timestamp(3) with time zone,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "sso_identities_tenant_id_idx" ON "sso_identities" USING btree ("tenant_id", "created_at" DESC, "id" DESC);
--> statement-breakpoint
CREATE UNIQUE INDEX "sso_identities_subject_key" ON "sso_identities" USING btree ("connection_id", "subject") WHERE "subject" IS NOT NULL;
--> statement-breakpoint
CREATE UNIQUE INDEX "sso_identities_user_key" ON "sso_identities" USING btree ("connection_id", "user_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "sso_identities_user_name_key" ON "sso_identities" USING btree ("connection_id", lower("scim_user_name")) WHERE "scim_user_name" IS NOT NULL;
--> statement-breakpoint
CREATE TABLE "scim_groups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL REFERENCES "tenants"("id"),
	"connection_id" uuid NOT NULL REFERENCES "sso_connections"("id"),
	"display_name" text NOT NULL,
	"external_id" text,
	"member_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "scim_groups_tenant_id_idx" ON "scim_groups" USING btree ("tenant_id", "created_at" DESC, "id" DESC);
--> statement-breakpoint
CREATE UNIQUE INDEX "scim_groups_name_key" ON "scim_groups" USING btree ("connection_id", lower("display_name"));
--> statement-breakpoint
ALTER TABLE "sso_domains" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "sso_connections" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "sso_identities" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "scim_groups" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "sso_domains" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "sso_connections" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "sso_identities" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "scim_groups" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "sso_domains" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "sso_connections" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "sso_identities" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "scim_groups" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
-- Before a tenant is known: the sign-in page routes an e-mail domain to the connections of the
-- tenant that proved it; the callback and the SCIM bearer token name a connection. Ids and names
-- only; the rest is read under the tenant's row-level security.
GRANT SELECT ON "sso_connections", "sso_domains" TO nexus_auth;
--> statement-breakpoint
CREATE POLICY "sso_routing" ON "sso_connections" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
CREATE POLICY "sso_routing" ON "sso_domains" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
CREATE FUNCTION sso_domain_connections(p_domain text)
RETURNS TABLE (connection_id uuid, tenant_id uuid, connection_name text, tenant_name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT c.id, c.tenant_id, c.name, t.name
  FROM sso_connections c
  JOIN tenants t ON t.id = c.tenant_id
  JOIN sso_domains d ON d.tenant_id = c.tenant_id AND d.domain = lower(p_domain) AND d.verified_at IS NOT NULL
  WHERE NOT c.is_deleted AND c.enabled AND lower(p_domain) = ANY (c.domains)
    AND NOT t.is_deleted AND t.status = 'active'
  ORDER BY c.created_at, c.id
$$;
--> statement-breakpoint
CREATE FUNCTION sso_connection_tenant(p_connection_id uuid)
RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT c.tenant_id FROM sso_connections c JOIN tenants t ON t.id = c.tenant_id
  WHERE c.id = p_connection_id AND NOT c.is_deleted AND NOT t.is_deleted AND t.status = 'active'
$$;
--> statement-breakpoint
CREATE FUNCTION scim_token_connection(p_token_hash text)
RETURNS TABLE (connection_id uuid, tenant_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT c.id, c.tenant_id FROM sso_connections c JOIN tenants t ON t.id = c.tenant_id
  WHERE c.scim_token_hash = p_token_hash AND NOT c.is_deleted AND NOT t.is_deleted AND t.status = 'active'
$$;
--> statement-breakpoint
ALTER FUNCTION sso_domain_connections(text) OWNER TO nexus_auth;
--> statement-breakpoint
ALTER FUNCTION sso_connection_tenant(uuid) OWNER TO nexus_auth;
--> statement-breakpoint
ALTER FUNCTION scim_token_connection(text) OWNER TO nexus_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION sso_domain_connections(text), sso_connection_tenant(uuid), scim_token_connection(text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION sso_domain_connections(text), sso_connection_tenant(uuid), scim_token_connection(text) TO nexus_app;
