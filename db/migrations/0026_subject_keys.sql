-- Privacy (issue 20): per-subject data keys for crypto-shredding, and the blind index that lets
-- the contacts list filter on a phone number stored only as ciphertext. See DESIGN.md "Personal
-- data: keys, tokens and shredding" (docs/privacy-keys.md in the repository).
CREATE TABLE "subject_keys" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL REFERENCES "tenants"("id"),
	"subject_type" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"wrapped_key" text,
	"kek_version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"destroyed_at" timestamp(3) with time zone,
	CONSTRAINT "subject_keys_type" CHECK ("subject_type" in ('contact', 'lead', 'user')),
	CONSTRAINT "subject_keys_destroyed" CHECK (("wrapped_key" is null) = ("destroyed_at" is not null))
);
--> statement-breakpoint
CREATE INDEX "subject_keys_tenant_id_idx" ON "subject_keys" USING btree ("tenant_id");
--> statement-breakpoint
-- One live key per subject; destroyed rows stay beside it as the record of the shred.
CREATE UNIQUE INDEX "subject_keys_live_subject_key" ON "subject_keys" USING btree ("tenant_id","subject_type","subject_id") WHERE "subject_keys"."destroyed_at" is null;
--> statement-breakpoint
ALTER TABLE "subject_keys" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "subject_keys" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "subject_keys" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "phone_index" text;
--> statement-breakpoint
CREATE INDEX "contacts_tenant_phone_index_idx" ON "contacts" USING btree ("tenant_id","phone_index") WHERE "contacts"."phone_index" is not null;
--> statement-breakpoint
-- Contacts and leads written before this migration hold their phone (and a contact its date of
-- birth) in clear. The scheduled handler seals them (workers/api/services/privacy/seal-backfill.ts)
-- tenant by tenant; this function names the tenants that still have such rows (ids only), running
-- as nexus_auth like outbox_pending_tenants (0010), which may read just these columns for it.
GRANT SELECT ("tenant_id", "phone", "custom_fields") ON "contacts" TO nexus_auth;
--> statement-breakpoint
CREATE POLICY "contacts_seal_sweep" ON "contacts" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
GRANT SELECT ("tenant_id", "phone") ON "leads" TO nexus_auth;
--> statement-breakpoint
CREATE POLICY "leads_seal_sweep" ON "leads" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
CREATE FUNCTION unsealed_personal_data_tenants(p_limit integer)
RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT t.tenant_id FROM (
    SELECT c.tenant_id FROM contacts c
    WHERE (c.phone IS NOT NULL AND c.phone NOT LIKE 'nxs1.%')
       OR (jsonb_typeof(c.custom_fields->'date_of_birth') NOT IN ('null')
           AND coalesce(c.custom_fields->>'date_of_birth', '') NOT LIKE 'nxs1.%')
    UNION
    SELECT l.tenant_id FROM leads l WHERE l.phone IS NOT NULL AND l.phone NOT LIKE 'nxs1.%'
  ) t
  LIMIT p_limit
$$;
--> statement-breakpoint
ALTER FUNCTION unsealed_personal_data_tenants(integer) OWNER TO nexus_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION unsealed_personal_data_tenants(integer) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION unsealed_personal_data_tenants(integer) TO nexus_app;
