CREATE TABLE "account_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"token_hash" text NOT NULL,
	"tenant_id" uuid,
	"expires_at" timestamp(3) with time zone NOT NULL,
	"used_at" timestamp(3) with time zone,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mail_outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"template" text NOT NULL,
	"locale" text NOT NULL,
	"sealed_message" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"claim_id" uuid,
	"claimed_until" timestamp(3) with time zone,
	"sent_at" timestamp(3) with time zone,
	"failed_at" timestamp(3) with time zone,
	"last_error" text,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "one_time_codes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"code_hash" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp(3) with time zone NOT NULL,
	"used_at" timestamp(3) with time zone,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tenant_mfa_policies" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"required" text DEFAULT 'off' NOT NULL,
	"roles" text[] DEFAULT '{}'::text[] NOT NULL,
	"allow_sms" boolean DEFAULT false NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tenant_mfa_policies" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "email_otp_enabled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "phone_number" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "sms_otp_enabled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "locale" text;--> statement-breakpoint
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "one_time_codes" ADD CONSTRAINT "one_time_codes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenant_mfa_policies" ADD CONSTRAINT "tenant_mfa_policies_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "account_tokens_token_hash_key" ON "account_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "account_tokens_user_idx" ON "account_tokens" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "mail_outbox_due_idx" ON "mail_outbox" USING btree ("next_attempt_at") WHERE "mail_outbox"."sent_at" is null and "mail_outbox"."failed_at" is null;--> statement-breakpoint
CREATE INDEX "one_time_codes_user_idx" ON "one_time_codes" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "tenant_mfa_policies" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);--> statement-breakpoint
ALTER TABLE "tenant_mfa_policies" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- Sign-in asks, before any tenant is chosen, whether one of the user's businesses requires a
-- second factor of them (for everyone, or for their role there). A yes/no only: the policies
-- themselves stay behind each tenant's row-level security.
GRANT SELECT ON "tenant_mfa_policies" TO nexus_auth;
--> statement-breakpoint
CREATE POLICY "auth_lookup" ON "tenant_mfa_policies" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
CREATE FUNCTION auth_user_mfa_required(p_user_id uuid)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT EXISTS (
    SELECT 1
    FROM memberships m
    JOIN tenants t ON t.id = m.tenant_id
    JOIN roles r ON r.id = m.role_id
    JOIN tenant_mfa_policies p ON p.tenant_id = m.tenant_id
    WHERE m.user_id = p_user_id AND NOT m.is_deleted AND m.status IN ('active', 'invited')
      AND NOT t.is_deleted AND t.status = 'active'
      AND (p.required = 'all' OR (p.required = 'roles' AND r.name = ANY (p.roles)))
  )
$$;
--> statement-breakpoint
ALTER FUNCTION auth_user_mfa_required(uuid) OWNER TO nexus_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION auth_user_mfa_required(uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION auth_user_mfa_required(uuid) TO nexus_app;
--> statement-breakpoint
-- A password reset ends every grant the user holds, in every tenant of the region, in the
-- same transaction as the new password. Answers the families it revoked, for the edge
-- revocation list. Only nexus_auth may update families across tenants, only through this.
GRANT SELECT, UPDATE ("revoked_at", "revoked_reason") ON "refresh_families" TO nexus_auth;
--> statement-breakpoint
CREATE POLICY "auth_revoke_user" ON "refresh_families" AS PERMISSIVE FOR ALL TO nexus_auth USING (true) WITH CHECK (true);
--> statement-breakpoint
CREATE FUNCTION auth_revoke_user_grants(p_user_id uuid, p_reason text)
RETURNS SETOF uuid
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  UPDATE refresh_families SET revoked_at = now(), revoked_reason = p_reason
  WHERE user_id = p_user_id AND revoked_at IS NULL
  RETURNING id
$$;
--> statement-breakpoint
ALTER FUNCTION auth_revoke_user_grants(uuid, text) OWNER TO nexus_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION auth_revoke_user_grants(uuid, text) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION auth_revoke_user_grants(uuid, text) TO nexus_app;
