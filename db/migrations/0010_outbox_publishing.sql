ALTER TABLE "outbox_events" ADD COLUMN "claim_id" uuid;--> statement-breakpoint
ALTER TABLE "outbox_events" ADD COLUMN "claimed_until" timestamp with time zone;--> statement-breakpoint
-- The scheduled sweep (workers/api/events/scheduled.ts) finds the tenants that still have
-- unpublished events older than p_min_age_seconds. Tenant ids only: the events themselves are
-- then claimed and read per tenant by the app role, under row-level security. Like 0009's
-- edge_revoked_tokens it runs as nexus_auth, whose only cross-tenant access here is reading
-- outbox rows through this function.
GRANT SELECT ON "outbox_events" TO nexus_auth;
--> statement-breakpoint
CREATE POLICY "outbox_sweep" ON "outbox_events" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
CREATE FUNCTION outbox_pending_tenants(p_min_age_seconds integer, p_limit integer)
RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT o.tenant_id
  FROM outbox_events o
  WHERE o.published_at IS NULL AND o.created_at <= now() - make_interval(secs => p_min_age_seconds)
  GROUP BY o.tenant_id
  ORDER BY min(o.created_at)
  LIMIT p_limit
$$;
--> statement-breakpoint
ALTER FUNCTION outbox_pending_tenants(integer, integer) OWNER TO nexus_auth;
--> statement-breakpoint
REVOKE ALL ON FUNCTION outbox_pending_tenants(integer, integer) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION outbox_pending_tenants(integer, integer) TO nexus_app;
