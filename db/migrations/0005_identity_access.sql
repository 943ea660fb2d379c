-- Identity lookups that must happen before any tenant is known (a client by client_id, a user's
-- tenants at sign-in, a sign-in audit row for each of them) run as SECURITY DEFINER functions
-- owned by nexus_auth: a role that cannot log in, owns no table, and whose only cross-tenant
-- policies are the narrow ones below. The app role calls the functions; it still sees no other
-- tenant's rows in any table.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nexus_auth') THEN
    CREATE ROLE nexus_auth NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
END
$$;
--> statement-breakpoint
-- The migrating role must be able to hand the functions to nexus_auth (needed on Neon, where
-- the owner is not a superuser).
GRANT nexus_auth TO CURRENT_USER;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO nexus_auth;
--> statement-breakpoint
GRANT SELECT ON "oauth_clients", "memberships", "roles", "tenants" TO nexus_auth;
--> statement-breakpoint
GRANT INSERT ON "audit_log" TO nexus_auth;
--> statement-breakpoint
CREATE POLICY "auth_lookup" ON "oauth_clients" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
CREATE POLICY "auth_lookup" ON "memberships" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
CREATE POLICY "auth_lookup" ON "roles" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
CREATE POLICY "auth_lookup" ON "tenants" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
CREATE POLICY "auth_record" ON "audit_log" AS PERMISSIVE FOR INSERT TO nexus_auth WITH CHECK (true);
--> statement-breakpoint
CREATE FUNCTION auth_find_client(p_client_id text)
RETURNS TABLE (
  id uuid, client_id text, tenant_id uuid, name text, client_type text, secret_hash text,
  redirect_uris text[], grant_types text[], scopes text[], role text,
  access_token_ttl_seconds integer, refresh_token_ttl_seconds integer
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT c.id, c.client_id, c.tenant_id, c.name, c.client_type, c.secret_hash, c.redirect_uris,
         c.grant_types, c.scopes, c.role, c.access_token_ttl_seconds, c.refresh_token_ttl_seconds
  FROM oauth_clients c
  LEFT JOIN tenants t ON t.id = c.tenant_id
  WHERE c.client_id = p_client_id AND NOT c.is_deleted
    AND (c.tenant_id IS NULL OR (NOT t.is_deleted AND t.status = 'active'))
$$;
--> statement-breakpoint
CREATE FUNCTION auth_user_tenants(p_user_id uuid)
RETURNS TABLE (tenant_id uuid, tenant_name text, tenant_slug text, role_name text, permissions text[], is_system boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT t.id, t.name, t.slug, r.name, r.permissions, r.is_system
  FROM memberships m
  JOIN tenants t ON t.id = m.tenant_id
  JOIN roles r ON r.id = m.role_id
  WHERE m.user_id = p_user_id AND NOT m.is_deleted AND m.status = 'active'
    AND NOT t.is_deleted AND t.status = 'active' AND NOT r.is_deleted
  ORDER BY m.created_at, t.id
$$;
--> statement-breakpoint
-- A sign-in attempt is recorded for every tenant the user belongs to (each tenant's admins see
-- attempts on their members), or once without a tenant when there is no such user or tenant.
CREATE FUNCTION auth_record_sign_in(
  p_user_id uuid, p_outcome text, p_ip text, p_user_agent text, p_request_id text, p_details jsonb
) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
  written integer;
BEGIN
  INSERT INTO audit_log (tenant_id, action, outcome, actor_type, actor_id, target_type, target_id, ip, user_agent, request_id, details)
  SELECT m.tenant_id, 'auth.sign_in', p_outcome, 'user', p_user_id::text, 'user', p_user_id::text,
         p_ip, p_user_agent, p_request_id, coalesce(p_details, '{}'::jsonb)
  FROM memberships m
  WHERE p_user_id IS NOT NULL AND m.user_id = p_user_id AND NOT m.is_deleted;
  GET DIAGNOSTICS written = ROW_COUNT;
  IF written = 0 THEN
    INSERT INTO audit_log (tenant_id, action, outcome, actor_type, actor_id, ip, user_agent, request_id, details)
    VALUES (NULL, 'auth.sign_in', p_outcome, CASE WHEN p_user_id IS NULL THEN 'anonymous' ELSE 'user' END,
            p_user_id::text, p_ip, p_user_agent, p_request_id, coalesce(p_details, '{}'::jsonb));
    written := 1;
  END IF;
  RETURN written;
END
$$;
--> statement-breakpoint
ALTER FUNCTION auth_find_client(text) OWNER TO nexus_auth;
--> statement-breakpoint
ALTER FUNCTION auth_user_tenants(uuid) OWNER TO nexus_auth;
--> statement-breakpoint
ALTER FUNCTION auth_record_sign_in(uuid, text, text, text, text, jsonb) OWNER TO nexus_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION auth_find_client(text), auth_user_tenants(uuid), auth_record_sign_in(uuid, text, text, text, text, jsonb) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION auth_find_client(text), auth_user_tenants(uuid), auth_record_sign_in(uuid, text, text, text, text, jsonb) TO nexus_app;
--> statement-breakpoint
ALTER TABLE "oauth_clients" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "oauth_codes" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "refresh_families" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "refresh_tokens" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "revoked_access_tokens" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "audit_log" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
-- The audit trail is append-only for the Workers.
REVOKE UPDATE, DELETE ON "audit_log" FROM nexus_app;
--> statement-breakpoint
-- The region's first-party command-line client (RFC 8252: loopback redirect, any port, PKCE).
INSERT INTO "oauth_clients" (client_id, tenant_id, name, client_type, redirect_uris, grant_types, scopes)
VALUES ('nexus-cli', NULL, 'Nexus CLI', 'public', ARRAY['http://127.0.0.1/callback'],
        ARRAY['authorization_code', 'refresh_token'],
        ARRAY['openid', 'profile', 'email', 'offline_access', 'crm:read', 'crm:write', 'iam:read', 'iam:write'])
ON CONFLICT DO NOTHING;
