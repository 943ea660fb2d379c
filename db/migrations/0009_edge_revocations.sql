CREATE INDEX "refresh_families_revoked_at_idx" ON "refresh_families" USING btree ("revoked_at") WHERE revoked_at is not null;--> statement-breakpoint
CREATE INDEX "revoked_access_tokens_expires_idx" ON "revoked_access_tokens" USING btree ("expires_at");--> statement-breakpoint
-- The edge revocation list when Upstash is unreachable or unset: every isolate of the region
-- reads, every few seconds, the access tokens revoked and the refresh families ended recently,
-- across tenants. Ids and expiry times only. Like 0005's lookups it runs as nexus_auth, whose
-- only cross-tenant access is these narrow read policies; the app role still sees no other
-- tenant's rows. p_family_seconds: how long after its family ends an access token of that family
-- can still be presented (the longest access-token lifetime plus clock skew).
GRANT SELECT ON "revoked_access_tokens", "refresh_families" TO nexus_auth;
--> statement-breakpoint
CREATE POLICY "edge_revocations" ON "revoked_access_tokens" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
CREATE POLICY "edge_revocations" ON "refresh_families" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
CREATE FUNCTION edge_revoked_tokens(p_skew_seconds integer, p_family_seconds integer)
RETURNS TABLE (member text, until_epoch bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT 'jti:' || r.jti, extract(epoch FROM r.expires_at)::bigint + p_skew_seconds
  FROM revoked_access_tokens r
  WHERE r.expires_at > now() - make_interval(secs => p_skew_seconds)
  UNION ALL
  SELECT 'sid:' || f.id, extract(epoch FROM f.revoked_at)::bigint + p_family_seconds
  FROM refresh_families f
  WHERE f.revoked_at IS NOT NULL AND f.revoked_at > now() - make_interval(secs => p_family_seconds)
$$;
--> statement-breakpoint
ALTER FUNCTION edge_revoked_tokens(integer, integer) OWNER TO nexus_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION edge_revoked_tokens(integer, integer) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION edge_revoked_tokens(integer, integer) TO nexus_app;
