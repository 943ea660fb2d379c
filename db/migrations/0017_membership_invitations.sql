-- A membership of an existing user starts as a pending invitation (status 'invited') that the
-- user accepts at sign-in. While pending, the inviting tenant sees only what it typed.
ALTER TABLE "memberships" ADD COLUMN "invite_email" text;--> statement-breakpoint
ALTER TABLE "memberships" ADD COLUMN "invite_name" text;--> statement-breakpoint
-- A user's pending invitations, across tenants, for the sign-in consent step (before any tenant
-- is known; see 0005 for the pattern).
CREATE FUNCTION auth_user_invitations(p_user_id uuid)
RETURNS TABLE (tenant_id uuid, tenant_name text, role_name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT t.id, t.name, r.name
  FROM memberships m
  JOIN tenants t ON t.id = m.tenant_id
  JOIN roles r ON r.id = m.role_id
  WHERE m.user_id = p_user_id AND NOT m.is_deleted AND m.status = 'invited'
    AND NOT t.is_deleted AND t.status = 'active' AND NOT r.is_deleted
  ORDER BY m.created_at, t.id
$$;
--> statement-breakpoint
ALTER FUNCTION auth_user_invitations(uuid) OWNER TO nexus_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION auth_user_invitations(uuid) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION auth_user_invitations(uuid) TO nexus_app;
