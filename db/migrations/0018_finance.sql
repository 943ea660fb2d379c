CREATE TABLE "invoice_lines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"invoice_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"description" text NOT NULL,
	"quantity" numeric(14, 4) NOT NULL,
	"unit_price" numeric(12, 2) NOT NULL,
	"discount" numeric(12, 2) DEFAULT '0' NOT NULL,
	"tax_rate" numeric(6, 3) DEFAULT '0' NOT NULL,
	"net_amount" numeric(12, 2) NOT NULL,
	"tax_amount" numeric(12, 2) NOT NULL,
	CONSTRAINT "invoice_lines_quantity" CHECK ("invoice_lines"."quantity" > 0),
	CONSTRAINT "invoice_lines_amounts" CHECK ("invoice_lines"."unit_price" >= 0 and "invoice_lines"."discount" >= 0 and "invoice_lines"."net_amount" >= 0),
	CONSTRAINT "invoice_lines_tax_rate" CHECK ("invoice_lines"."tax_rate" >= 0 and "invoice_lines"."tax_rate" <= 100)
);
--> statement-breakpoint
ALTER TABLE "invoice_lines" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "invoice_sequences" (
	"tenant_id" uuid NOT NULL,
	"series" text NOT NULL,
	"last_number" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "invoice_sequences_tenant_id_series_pk" PRIMARY KEY("tenant_id","series")
);
--> statement-breakpoint
ALTER TABLE "invoice_sequences" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "invoices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"series" text DEFAULT 'INV' NOT NULL,
	"sequence_number" bigint,
	"number" text,
	"currency" char(3) NOT NULL,
	"locale" text,
	"customer_contact_id" uuid,
	"customer" jsonb NOT NULL,
	"supplier" jsonb,
	"issue_date" date,
	"due_date" date NOT NULL,
	"notes" text,
	"subtotal" numeric(12, 2) DEFAULT '0' NOT NULL,
	"discount_total" numeric(12, 2) DEFAULT '0' NOT NULL,
	"tax_total" numeric(12, 2) DEFAULT '0' NOT NULL,
	"total" numeric(12, 2) DEFAULT '0' NOT NULL,
	"amount_paid" numeric(12, 2) DEFAULT '0' NOT NULL,
	"amount_due" numeric(12, 2) DEFAULT '0' NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"einvoice_irn" text,
	"einvoice_csid" text,
	"einvoice_qr" text,
	"einvoice_clearance_status" text DEFAULT 'not_required' NOT NULL,
	"finalized_at" timestamp(3) with time zone,
	"paid_at" timestamp(3) with time zone,
	"voided_at" timestamp(3) with time zone,
	"marked_uncollectible_at" timestamp(3) with time zone,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"is_deleted" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "invoices_status" CHECK ("invoices"."status" in ('draft', 'open', 'partially_paid', 'paid', 'void', 'uncollectible')),
	CONSTRAINT "invoices_clearance_status" CHECK ("invoices"."einvoice_clearance_status" in ('not_required', 'pending', 'cleared', 'rejected')),
	CONSTRAINT "invoices_number_once_finalized" CHECK (("invoices"."status" = 'draft') = ("invoices"."number" is null) and ("invoices"."number" is null) = ("invoices"."sequence_number" is null)),
	CONSTRAINT "invoices_amounts" CHECK ("invoices"."subtotal" >= 0 and "invoices"."discount_total" >= 0 and "invoices"."tax_total" >= 0 and "invoices"."total" >= 0 and "invoices"."amount_paid" >= 0 and "invoices"."amount_due" >= 0)
);
--> statement-breakpoint
ALTER TABLE "invoices" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "payment_connections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"label" text,
	"livemode" boolean DEFAULT false NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"secret_key_sealed" text,
	"secret_key_last4" text,
	"webhook_secret_sealed" text,
	"previous_webhook_secret_sealed" text,
	"previous_webhook_secret_expires_at" timestamp(3) with time zone,
	"secrets_rotated_at" timestamp(3) with time zone,
	"webhook_rejections" bigint DEFAULT 0 NOT NULL,
	"last_webhook_rejected_at" timestamp(3) with time zone,
	"last_webhook_received_at" timestamp(3) with time zone,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"is_deleted" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "payment_connections_provider" CHECK ("payment_connections"."provider" in ('stripe', 'paystack', 'flutterwave')),
	CONSTRAINT "payment_connections_key_while_live" CHECK ("payment_connections"."is_deleted" or "payment_connections"."secret_key_sealed" is not null),
	CONSTRAINT "payment_connections_previous_secret_expires" CHECK (("payment_connections"."previous_webhook_secret_sealed" is null) = ("payment_connections"."previous_webhook_secret_expires_at" is null))
);
--> statement-breakpoint
ALTER TABLE "payment_connections" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"invoice_id" uuid,
	"status" text DEFAULT 'created' NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"amount_refunded_minor" bigint DEFAULT 0 NOT NULL,
	"customer_email" text NOT NULL,
	"return_url" text NOT NULL,
	"provider_reference" text NOT NULL,
	"provider_payment_id" text,
	"checkout_url" text,
	"failure_code" text,
	"failure_message" text,
	"expires_at" timestamp(3) with time zone,
	"succeeded_at" timestamp(3) with time zone,
	"next_verify_at" timestamp(3) with time zone,
	"last_verified_at" timestamp(3) with time zone,
	"verify_attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_status" CHECK ("payments"."status" in ('created', 'requires_action', 'processing', 'succeeded', 'failed', 'canceled', 'expired', 'partially_refunded', 'refunded', 'disputed')),
	CONSTRAINT "payments_provider" CHECK ("payments"."provider" in ('stripe', 'paystack', 'flutterwave')),
	CONSTRAINT "payments_amount" CHECK ("payments"."amount_minor" > 0),
	CONSTRAINT "payments_refunded" CHECK ("payments"."amount_refunded_minor" >= 0 and "payments"."amount_refunded_minor" <= "payments"."amount_minor")
);
--> statement-breakpoint
ALTER TABLE "payments" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE TABLE "provider_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"event_key" text NOT NULL,
	"event_type" text NOT NULL,
	"raw_body" text NOT NULL,
	"payment_id" uuid,
	"state" text DEFAULT 'received' NOT NULL,
	"duplicates" integer DEFAULT 0 NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"received_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp(3) with time zone,
	CONSTRAINT "provider_events_state" CHECK ("provider_events"."state" in ('received', 'applied', 'ignored', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "provider_events" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_invoice_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_sequences" ADD CONSTRAINT "invoice_sequences_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_customer_contact_id_contacts_id_fk" FOREIGN KEY ("customer_contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_connections" ADD CONSTRAINT "payment_connections_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_connection_id_payment_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."payment_connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "provider_events" ADD CONSTRAINT "provider_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "provider_events" ADD CONSTRAINT "provider_events_connection_id_payment_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."payment_connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "provider_events" ADD CONSTRAINT "provider_events_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "invoice_lines_invoice_position_key" ON "invoice_lines" USING btree ("invoice_id","position");--> statement-breakpoint
CREATE INDEX "invoice_lines_tenant_idx" ON "invoice_lines" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "invoices_tenant_created_idx" ON "invoices" USING btree ("tenant_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_tenant_series_sequence_key" ON "invoices" USING btree ("tenant_id","series","sequence_number");--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_tenant_number_key" ON "invoices" USING btree ("tenant_id","number");--> statement-breakpoint
CREATE INDEX "payment_connections_tenant_created_idx" ON "payment_connections" USING btree ("tenant_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "payments_tenant_created_idx" ON "payments" USING btree ("tenant_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE UNIQUE INDEX "payments_connection_reference_key" ON "payments" USING btree ("connection_id","provider_reference");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_one_in_flight_per_invoice" ON "payments" USING btree ("invoice_id") WHERE "payments"."invoice_id" is not null and "payments"."status" in ('created', 'requires_action', 'processing');--> statement-breakpoint
CREATE INDEX "payments_verify_due_idx" ON "payments" USING btree ("next_verify_at") WHERE "payments"."status" in ('created', 'requires_action', 'processing');--> statement-breakpoint
CREATE UNIQUE INDEX "provider_events_connection_key" ON "provider_events" USING btree ("connection_id","event_key");--> statement-breakpoint
CREATE INDEX "provider_events_tenant_received_idx" ON "provider_events" USING btree ("tenant_id","received_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "provider_events_pending_idx" ON "provider_events" USING btree ("received_at") WHERE "provider_events"."state" = 'received';--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "invoice_lines" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "invoice_sequences" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "invoices" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "payment_connections" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "payments" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "provider_events" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
-- As for every tenant table (0002 onwards): row-level security applies to the owner too.
ALTER TABLE "payment_connections" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "payments" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "provider_events" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "invoices" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "invoice_lines" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "invoice_sequences" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Money records are never deleted by the app: connections and invoices are soft-deleted (a
-- connection's secrets dropped), payments and provider events are the ledger of what happened,
-- and a sequence row going away would reuse numbers. Only a draft's lines are replaced.
REVOKE DELETE ON "payment_connections", "payments", "provider_events", "invoices", "invoice_sequences" FROM nexus_app;
--> statement-breakpoint
-- The public webhook route (POST /api/v1/payments/webhook/{provider}/{connection_id}) knows only
-- the connection id from its URL: this names the tenant (and the provider, which must match the
-- path) so the rest runs under that tenant's row-level security. Nothing else of the row.
GRANT SELECT ON "payment_connections" TO nexus_auth;
--> statement-breakpoint
CREATE POLICY "webhook_routing" ON "payment_connections" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
CREATE FUNCTION payment_connection_tenant(p_connection_id uuid)
RETURNS TABLE (tenant_id uuid, provider text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT c.tenant_id, c.provider FROM payment_connections c
  WHERE c.id = p_connection_id AND NOT c.is_deleted
$$;
--> statement-breakpoint
ALTER FUNCTION payment_connection_tenant(uuid) OWNER TO nexus_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION payment_connection_tenant(uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION payment_connection_tenant(uuid) TO nexus_app;
--> statement-breakpoint
-- The janitor on the scheduled handler finds the tenants with in-flight payments due for a
-- re-verify (Paystack sends no failure webhooks) and with stored provider events nobody applied
-- (a Worker that died between storing and applying). Tenant ids only, as outbox_pending_tenants
-- (0010): the rows are then read per tenant under row-level security.
GRANT SELECT ON "payments", "provider_events" TO nexus_auth;
--> statement-breakpoint
CREATE POLICY "finance_janitor" ON "payments" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
CREATE POLICY "finance_janitor" ON "provider_events" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
CREATE FUNCTION finance_due_tenants(p_min_event_age_seconds integer, p_limit integer)
RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT tenant_id FROM (
    SELECT p.tenant_id, min(p.next_verify_at) AS due
    FROM payments p
    WHERE p.status IN ('created', 'requires_action', 'processing') AND p.next_verify_at <= now()
    GROUP BY p.tenant_id
    UNION ALL
    SELECT e.tenant_id, min(e.received_at) AS due
    FROM provider_events e
    WHERE e.state = 'received' AND e.received_at <= now() - make_interval(secs => p_min_event_age_seconds)
    GROUP BY e.tenant_id
  ) due
  GROUP BY tenant_id
  ORDER BY min(due)
  LIMIT p_limit
$$;
--> statement-breakpoint
ALTER FUNCTION finance_due_tenants(integer, integer) OWNER TO nexus_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION finance_due_tenants(integer, integer) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION finance_due_tenants(integer, integer) TO nexus_app;
--> statement-breakpoint
-- The first-party CLI client may ask for the finance scopes (permissions finance.*).
UPDATE "oauth_clients" SET scopes = scopes || ARRAY['finance:read', 'finance:write']
WHERE client_id = 'nexus-cli' AND tenant_id IS NULL AND NOT ('finance:read' = ANY (scopes));
