-- SAML connections and SMS codes (issue 18, items 6 and 3).
-- SAML connections (issue 18, item 6). A SAML connection is an OIDC connection whose issuer is
-- the region's SAML bridge (regions/saml-bridge): issuer, client id and sealed secret are the
-- bridge's, and sign-in goes through the same OpenID flow. What the Worker keeps of the SAML
-- side is for display only (the IdP's entity id and SSO URL, the SP's entity id, ACS and metadata
-- URLs); the IdP's certificates and every assertion stay in the bridge.
ALTER TABLE "sso_connections" ADD COLUMN "protocol" text DEFAULT 'oidc' NOT NULL;
--> statement-breakpoint
ALTER TABLE "sso_connections" ADD CONSTRAINT "sso_connections_protocol_check" CHECK ("protocol" IN ('oidc', 'saml'));
--> statement-breakpoint
ALTER TABLE "sso_connections" ADD COLUMN "saml" jsonb;
--> statement-breakpoint
ALTER TABLE "sso_connections" ADD CONSTRAINT "sso_connections_saml_check" CHECK (("protocol" = 'saml') = ("saml" IS NOT NULL));
--> statement-breakpoint
-- SMS codes (issue 18, item 3): whether one of the user's businesses allows them. Sign-in asks
-- before any tenant is chosen, so like auth_user_mfa_required it reads across the user's tenants.
CREATE FUNCTION auth_user_sms_allowed(p_user_id uuid)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT EXISTS (
    SELECT 1
    FROM memberships m
    JOIN tenants t ON t.id = m.tenant_id
    JOIN tenant_mfa_policies p ON p.tenant_id = m.tenant_id
    WHERE m.user_id = p_user_id AND NOT m.is_deleted AND m.status = 'active'
      AND NOT t.is_deleted AND t.status = 'active' AND p.allow_sms
  )
$$;
--> statement-breakpoint
ALTER FUNCTION auth_user_sms_allowed(uuid) OWNER TO nexus_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION auth_user_sms_allowed(uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION auth_user_sms_allowed(uuid) TO nexus_app;
