-- Data subject requests (GDPR Art. 15/17/20, NDPA ss.34–38): one row per export or erasure of a
-- contact, lead, user or whole tenant, run as a resumable job (workers/api/services/privacy/).
-- The row holds ids, store names, counts and error codes only: it is the record that the request
-- was made and carried out, and outlives the erasure it records (so no foreign key to tenants).
CREATE TABLE "privacy_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"kind" text NOT NULL CHECK ("kind" IN ('export', 'erasure')),
	"subject_type" text NOT NULL CHECK ("subject_type" IN ('contact', 'lead', 'user', 'tenant')),
	"subject_id" uuid NOT NULL,
	"status" text DEFAULT 'running' NOT NULL CHECK ("status" IN ('running', 'completed', 'failed')),
	"requested_by" text NOT NULL,
	"requested_via" text NOT NULL,
	"steps" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"lease_until" timestamp(3) with time zone,
	"fault" text,
	"error" jsonb,
	"archive_expires_at" timestamp(3) with time zone,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp(3) with time zone
);
--> statement-breakpoint
CREATE INDEX "privacy_requests_tenant_created_idx" ON "privacy_requests" USING btree ("tenant_id", "created_at" DESC, "id" DESC);
--> statement-breakpoint
CREATE INDEX "privacy_requests_running_idx" ON "privacy_requests" USING btree ("lease_until") WHERE "status" = 'running';
--> statement-breakpoint
-- An export's archive, one JSON document per store, kept in the home region until it expires.
CREATE TABLE "privacy_export_files" (
	"request_id" uuid NOT NULL REFERENCES "privacy_requests"("id") ON DELETE CASCADE,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"rows" integer NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	PRIMARY KEY ("request_id", "name")
);
--> statement-breakpoint
CREATE INDEX "privacy_export_files_tenant_id_idx" ON "privacy_export_files" USING btree ("tenant_id");
--> statement-breakpoint
-- Rows an erasure kept under a legal hold (invoices and payments: DE 8 years, §147 AO / §14b UStG;
-- NG 6 years, CAMA 2020 s.375), with the person's identifying fields minimised, and until when.
CREATE TABLE "privacy_legal_holds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"request_id" uuid NOT NULL,
	"table_name" text NOT NULL,
	"row_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"hold_until" date NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	UNIQUE ("tenant_id", "table_name", "row_id", "request_id")
);
--> statement-breakpoint
-- What the outbox relay must purge from the region's JetStream (regions/outbox-relay/privacy-purges.ts):
-- the Worker cannot reach NATS, so an erasure leaves a row here and the relay purges the subjects.
CREATE TABLE "privacy_stream_purges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"request_id" uuid NOT NULL UNIQUE,
	"subject_filter" text NOT NULL,
	"requested_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"purged_at" timestamp(3) with time zone,
	"purged_messages" bigint,
	"error" text
);
--> statement-breakpoint
CREATE INDEX "privacy_stream_purges_pending_idx" ON "privacy_stream_purges" USING btree ("requested_at") WHERE "purged_at" IS NULL;
--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['privacy_requests', 'privacy_export_files', 'privacy_legal_holds', 'privacy_stream_purges'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format($p$CREATE POLICY "tenant_isolation" ON %I AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO nexus_app', t);
  END LOOP;
END
$$;
--> statement-breakpoint
-- The scheduled handler resumes running requests of every tenant (a Worker that died mid-job):
-- it sees which are running and whose lease ran out, nothing else of them.
CREATE POLICY "privacy_resume" ON "privacy_requests" AS PERMISSIVE FOR SELECT TO "nexus_app" USING ("status" = 'running');
--> statement-breakpoint
-- The relay reads what to purge and records that it did; it sees no other privacy table.
GRANT SELECT ("id", "tenant_id", "subject_filter", "requested_at", "purged_at"), UPDATE ("purged_at", "purged_messages", "error") ON "privacy_stream_purges" TO nexus_relay;
--> statement-breakpoint
CREATE POLICY "relay_purge" ON "privacy_stream_purges" AS PERMISSIVE FOR ALL TO "nexus_relay" USING (true) WITH CHECK (true);
--> statement-breakpoint
-- Erasure deletes and minimises rows the app role may not delete or change (append-only audit
-- log, finance records, global user accounts). It does so only through the functions below,
-- owned by nexus_privacy: a role that cannot log in, whose rights are these tables and whose
-- policies are the running request's tenant only. Each function first checks that the request
-- it is given is a running erasure of the tenant the caller's transaction is set to.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nexus_privacy') THEN
    CREATE ROLE nexus_privacy NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
END
$$;
--> statement-breakpoint
GRANT nexus_privacy TO CURRENT_USER;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO nexus_privacy;
--> statement-breakpoint
GRANT SELECT ON "privacy_requests", "memberships" TO nexus_privacy;
--> statement-breakpoint
GRANT SELECT, DELETE ON "api_keys", "audit_log", "invoices", "invoice_lines", "invoice_sequences", "payments",
  "payment_connections", "provider_events", "resources", "webhook_deliveries", "webhook_delivery_attempts",
  "webhook_endpoints", "tenants", "users", "auth_sessions", "one_time_codes", "recovery_codes", "account_tokens" TO nexus_privacy;
--> statement-breakpoint
GRANT UPDATE ("ip", "user_agent", "details") ON "audit_log" TO nexus_privacy;
--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['privacy_requests', 'memberships', 'api_keys', 'audit_log', 'invoices', 'invoice_lines',
      'invoice_sequences', 'payments', 'payment_connections', 'provider_events', 'resources', 'webhook_deliveries',
      'webhook_delivery_attempts', 'webhook_endpoints'] LOOP
    EXECUTE format($p$CREATE POLICY "privacy_erasure" ON %I AS PERMISSIVE FOR ALL TO "nexus_privacy" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
  END LOOP;
END
$$;
--> statement-breakpoint
-- memberships: whether a user still belongs to another tenant (then the account stays).
CREATE POLICY "privacy_account_check" ON "memberships" AS PERMISSIVE FOR SELECT TO "nexus_privacy" USING (true);
--> statement-breakpoint
CREATE POLICY "privacy_erasure" ON "tenants" AS PERMISSIVE FOR ALL TO "nexus_privacy" USING (id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
-- The running erasure `p_request` of the transaction's tenant, or an error.
CREATE FUNCTION privacy_erasure_of(p_request uuid)
RETURNS TABLE (tenant_id uuid, subject_type text, subject_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT r.tenant_id, r.subject_type, r.subject_id FROM privacy_requests r
  WHERE r.id = p_request AND r.kind = 'erasure' AND r.status = 'running'
    AND r.tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid
$$;
--> statement-breakpoint
-- Deletes rows by id from one of the tables the app role cannot delete from (tenant erasure
-- passes no ids: every row of the tenant). Answers how many went.
CREATE FUNCTION privacy_delete_rows(p_request uuid, p_table text, p_ids uuid[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  r record;
  n integer;
BEGIN
  SELECT * INTO r FROM privacy_erasure_of(p_request);
  IF NOT FOUND THEN RAISE EXCEPTION 'no running erasure % for this tenant', p_request USING ERRCODE = '42501'; END IF;
  IF p_table NOT IN ('api_keys', 'audit_log', 'invoices', 'invoice_lines', 'invoice_sequences', 'payments',
      'payment_connections', 'provider_events', 'resources', 'webhook_deliveries', 'webhook_delivery_attempts',
      'webhook_endpoints') THEN
    RAISE EXCEPTION 'table % is not erased through privacy_delete_rows', p_table USING ERRCODE = '42501';
  END IF;
  IF p_ids IS NULL THEN
    IF r.subject_type <> 'tenant' THEN RAISE EXCEPTION 'only a tenant erasure deletes every row' USING ERRCODE = '42501'; END IF;
    EXECUTE format('DELETE FROM %I WHERE tenant_id = $1', p_table) USING r.tenant_id;
  ELSIF p_table IN ('invoices', 'invoice_lines', 'payments') THEN
    -- Finance records of a person are kept under a legal hold and minimised, never deleted.
    RAISE EXCEPTION 'finance rows of a person are held, not deleted' USING ERRCODE = '42501';
  ELSE
    EXECUTE format('DELETE FROM %I WHERE tenant_id = $1 AND id = ANY($2)', p_table) USING r.tenant_id, p_ids;
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
--> statement-breakpoint
-- The tenant row itself, last step of a tenant erasure.
CREATE FUNCTION privacy_delete_tenant(p_request uuid)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  r record;
  n integer;
BEGIN
  SELECT * INTO r FROM privacy_erasure_of(p_request);
  IF NOT FOUND OR r.subject_type <> 'tenant' THEN RAISE EXCEPTION 'no running tenant erasure %', p_request USING ERRCODE = '42501'; END IF;
  DELETE FROM tenants WHERE id = r.tenant_id;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
--> statement-breakpoint
-- The audit trail stays (who did what, when: a security record), without the network details
-- and free-form details that identify a person.
CREATE FUNCTION privacy_minimise_audit(p_request uuid, p_ids text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  r record;
  n integer;
BEGIN
  SELECT * INTO r FROM privacy_erasure_of(p_request);
  IF NOT FOUND THEN RAISE EXCEPTION 'no running erasure % for this tenant', p_request USING ERRCODE = '42501'; END IF;
  UPDATE audit_log SET ip = NULL, user_agent = NULL, details = '{}'::jsonb
  WHERE tenant_id = r.tenant_id AND (actor_id = ANY(p_ids) OR target_id = ANY(p_ids));
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
--> statement-breakpoint
-- A user's global account (and its sessions, codes, one-time tokens) goes once the user belongs
-- to no other tenant; answers 1 when it went, 0 when another tenant still holds a membership.
CREATE FUNCTION privacy_delete_account(p_request uuid, p_user uuid)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  r record;
BEGIN
  SELECT * INTO r FROM privacy_erasure_of(p_request);
  IF NOT FOUND OR NOT (r.subject_type = 'tenant' OR (r.subject_type = 'user' AND r.subject_id = p_user)) THEN
    RAISE EXCEPTION 'no running erasure of user % in %', p_user, p_request USING ERRCODE = '42501';
  END IF;
  -- Any membership elsewhere, a removed one too, still points at the account (foreign keys).
  IF EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = p_user AND m.tenant_id <> r.tenant_id) THEN
    RETURN 0;
  END IF;
  DELETE FROM auth_sessions WHERE user_id = p_user;
  DELETE FROM one_time_codes WHERE user_id = p_user;
  DELETE FROM recovery_codes WHERE user_id = p_user;
  DELETE FROM account_tokens WHERE user_id = p_user;
  DELETE FROM users WHERE id = p_user;
  RETURN 1;
END
$$;
--> statement-breakpoint
ALTER FUNCTION privacy_erasure_of(uuid) OWNER TO nexus_privacy;
--> statement-breakpoint
ALTER FUNCTION privacy_delete_rows(uuid, text, uuid[]) OWNER TO nexus_privacy;
--> statement-breakpoint
ALTER FUNCTION privacy_delete_tenant(uuid) OWNER TO nexus_privacy;
--> statement-breakpoint
ALTER FUNCTION privacy_minimise_audit(uuid, text[]) OWNER TO nexus_privacy;
--> statement-breakpoint
ALTER FUNCTION privacy_delete_account(uuid, uuid) OWNER TO nexus_privacy;
--> statement-breakpoint
REVOKE ALL ON FUNCTION privacy_erasure_of(uuid), privacy_delete_rows(uuid, text, uuid[]), privacy_delete_tenant(uuid),
  privacy_minimise_audit(uuid, text[]), privacy_delete_account(uuid, uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION privacy_erasure_of(uuid), privacy_delete_rows(uuid, text, uuid[]), privacy_delete_tenant(uuid),
  privacy_minimise_audit(uuid, text[]), privacy_delete_account(uuid, uuid) TO nexus_app;
--> statement-breakpoint
-- The retention sweep (services/privacy/retention.ts) visits each tenant once an hour, a
-- sixtieth of them each minute, with its chat retention setting (days; absent: kept).
CREATE POLICY "privacy_retention" ON "tenants" AS PERMISSIVE FOR SELECT TO "nexus_privacy" USING (true);
--> statement-breakpoint
CREATE FUNCTION privacy_retention_tenants(p_slot integer, p_slots integer)
RETURNS TABLE (tenant_id uuid, chat_retention_days integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT t.id,
         CASE WHEN (t.settings->>'chat_retention_days') ~ '^[0-9]{1,5}$' THEN (t.settings->>'chat_retention_days')::integer END
  FROM tenants t
  WHERE abs(hashtext(t.id::text)) % greatest(p_slots, 1) = p_slot
$$;
--> statement-breakpoint
ALTER FUNCTION privacy_retention_tenants(integer, integer) OWNER TO nexus_privacy;
--> statement-breakpoint
REVOKE ALL ON FUNCTION privacy_retention_tenants(integer, integer) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION privacy_retention_tenants(integer, integer) TO nexus_app;
--> statement-breakpoint
-- The app role only appends to the attempt log; the sweep removes the transaction's tenant's
-- attempts older than p_before through this, and nothing else.
CREATE FUNCTION privacy_sweep_webhook_attempts(p_before timestamptz)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  n integer;
BEGIN
  DELETE FROM webhook_delivery_attempts
  WHERE tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid AND started_at < p_before;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
--> statement-breakpoint
ALTER FUNCTION privacy_sweep_webhook_attempts(timestamptz) OWNER TO nexus_privacy;
--> statement-breakpoint
REVOKE ALL ON FUNCTION privacy_sweep_webhook_attempts(timestamptz) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION privacy_sweep_webhook_attempts(timestamptz) TO nexus_app;
