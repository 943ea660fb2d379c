-- Resources, the one search index of the business (search_documents) and its embeddings.
-- Runs on Postgres with or without pgvector (the machine's Postgres 15 has none; Neon and the
-- Lagos cluster have it; PGlite loads it): keyword search works everywhere, the vector column and
-- its indexes exist only where the extension does, and the API says so when it is missing.

-- Accent folding for keyword search, immutable so a generated column can use it. unaccent where
-- the server has it (folds ß → ss, ø → o too); otherwise NFKD with the combining marks removed,
-- which already folds Yoruba tone marks and German umlauts.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent') THEN
    CREATE EXTENSION IF NOT EXISTS unaccent;
    EXECUTE $f$CREATE OR REPLACE FUNCTION search_fold(t text) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
      AS $b$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, normalize(t, NFC))) $b$ $f$;
  ELSE
    EXECUTE $f$CREATE OR REPLACE FUNCTION search_fold(t text) RETURNS text
      LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
      AS $b$ SELECT lower(regexp_replace(normalize(t, NFKD), '[\u0300-\u036f]', '', 'g')) $b$ $f$;
  END IF;
END
$$;
--> statement-breakpoint
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    CREATE EXTENSION IF NOT EXISTS vector;
  END IF;
END
$$;
--> statement-breakpoint
CREATE TABLE "resources" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL REFERENCES "tenants"("id"),
	"name" text NOT NULL,
	"content" text NOT NULL,
	"summary" text,
	"uri" text,
	"resource_timestamp" timestamp(3) with time zone,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"related_entities" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp(3) with time zone DEFAULT now() NOT NULL,
	"is_deleted" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "resources_metadata_object" CHECK (jsonb_typeof("metadata") = 'object'),
	CONSTRAINT "resources_related_entities_array" CHECK (jsonb_typeof("related_entities") = 'array')
);
--> statement-breakpoint
CREATE INDEX "resources_tenant_created_idx" ON "resources" USING btree ("tenant_id","created_at" DESC,"id" DESC) WHERE NOT "is_deleted";
--> statement-breakpoint
-- One row per searchable record of any type, written by triggers on the source tables in the
-- same transaction as the record, so a record is keyword-searchable the moment it commits. A
-- deleted record's row is removed (and its embeddings with it).
CREATE TABLE "search_documents" (
	"entity_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL REFERENCES "tenants"("id"),
	"type" text NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"resource_timestamp" timestamp(3) with time zone,
	"created_at" timestamp(3) with time zone NOT NULL,
	"updated_at" timestamp(3) with time zone NOT NULL,
	"content_hash" text NOT NULL,
	"embedding_status" text DEFAULT 'pending' NOT NULL,
	"embedding_provider" text,
	"embedding_attempts" integer DEFAULT 0 NOT NULL,
	"embedding_error" text,
	"next_embedding_at" timestamp(3) with time zone DEFAULT now(),
	"embedded_at" timestamp(3) with time zone,
	"fts" tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('english'::regconfig, search_fold("title")), 'A') ||
		setweight(to_tsvector('english'::regconfig, search_fold("body")), 'B')
	) STORED,
	CONSTRAINT "search_documents_type" CHECK ("type" in ('resource', 'contact', 'lead', 'opportunity', 'invoice')),
	CONSTRAINT "search_documents_embedding_status" CHECK ("embedding_status" in ('pending', 'embedded', 'failed', 'unavailable'))
);
--> statement-breakpoint
CREATE INDEX "search_documents_fts_idx" ON "search_documents" USING gin ("fts");
--> statement-breakpoint
CREATE INDEX "search_documents_tenant_type_idx" ON "search_documents" USING btree ("tenant_id","type");
--> statement-breakpoint
CREATE INDEX "search_documents_embedding_due_idx" ON "search_documents" USING btree ("tenant_id","next_embedding_at") WHERE "embedding_status" in ('pending', 'failed');
--> statement-breakpoint
CREATE INDEX "search_documents_metadata_idx" ON "search_documents" USING gin ("metadata" jsonb_path_ops);
--> statement-breakpoint
-- The spec's resources_embeddings: one vector per record, field and provider. Vectors of two
-- providers are never compared: every query names its provider. The column is an untyped vector
-- (providers differ in dimension) with one expression HNSW index per dimension in use.
CREATE TABLE "resources_embeddings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" uuid NOT NULL REFERENCES "search_documents"("entity_id") ON DELETE CASCADE,
	"field" text DEFAULT 'document' NOT NULL,
	"embedding_provider" text NOT NULL,
	"vector_dimension" integer NOT NULL,
	"content_hash" text NOT NULL,
	"created_at" timestamp(3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "resources_embeddings_entity_key" ON "resources_embeddings" USING btree ("entity_id","field","embedding_provider");
--> statement-breakpoint
CREATE INDEX "resources_embeddings_tenant_idx" ON "resources_embeddings" USING btree ("tenant_id","embedding_provider","vector_dimension");
--> statement-breakpoint
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
    ALTER TABLE "resources_embeddings" ADD COLUMN "embedding" vector NOT NULL;
    -- 100: the local word-vector stand-in; 1536: text-embedding-3-large at dimensions=1536 (EU, Lagos).
    CREATE INDEX "resources_embeddings_hnsw_100" ON "resources_embeddings"
      USING hnsw (("embedding"::vector(100)) vector_cosine_ops) WHERE "vector_dimension" = 100;
    CREATE INDEX "resources_embeddings_hnsw_1536" ON "resources_embeddings"
      USING hnsw (("embedding"::vector(1536)) vector_cosine_ops) WHERE "vector_dimension" = 1536;
  END IF;
END
$$;
--> statement-breakpoint
ALTER TABLE "resources" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "search_documents" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "resources_embeddings" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "resources" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "search_documents" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE "resources_embeddings" FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "resources" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "search_documents" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
CREATE POLICY "tenant_isolation" ON "resources_embeddings" AS PERMISSIVE FOR ALL TO "nexus_app" USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
-- Soft delete only: a resource row is never removed by the app (search rows are, with the record).
REVOKE DELETE ON "resources" FROM nexus_app;
--> statement-breakpoint
-- Writes one record's search row: removed when the record is deleted; otherwise upserted, and
-- marked for (re-)embedding when its text changed. Runs as the writer (row-level security holds).
CREATE FUNCTION search_document_put(
  p_entity_id uuid, p_tenant_id uuid, p_type text, p_deleted boolean, p_title text, p_body text,
  p_metadata jsonb, p_resource_timestamp timestamptz, p_created_at timestamptz, p_updated_at timestamptz
) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp
AS $$
DECLARE
  v_hash text := md5(coalesce(p_title, '') || chr(31) || coalesce(p_body, ''));
BEGIN
  IF p_deleted THEN
    DELETE FROM search_documents WHERE entity_id = p_entity_id;
    RETURN;
  END IF;
  INSERT INTO search_documents AS d (entity_id, tenant_id, type, title, body, metadata, resource_timestamp,
                                     created_at, updated_at, content_hash)
  VALUES (p_entity_id, p_tenant_id, p_type, coalesce(p_title, ''), coalesce(p_body, ''),
          coalesce(p_metadata, '{}'::jsonb), p_resource_timestamp, p_created_at, p_updated_at, v_hash)
  ON CONFLICT (entity_id) DO UPDATE SET
    title = excluded.title, body = excluded.body, metadata = excluded.metadata,
    resource_timestamp = excluded.resource_timestamp, updated_at = excluded.updated_at,
    content_hash = excluded.content_hash,
    embedding_status = CASE WHEN d.content_hash = excluded.content_hash THEN d.embedding_status ELSE 'pending' END,
    embedding_attempts = CASE WHEN d.content_hash = excluded.content_hash THEN d.embedding_attempts ELSE 0 END,
    embedding_error = CASE WHEN d.content_hash = excluded.content_hash THEN d.embedding_error END,
    next_embedding_at = CASE WHEN d.content_hash = excluded.content_hash THEN d.next_embedding_at ELSE now() END;
END
$$;
--> statement-breakpoint
CREATE FUNCTION search_index_resource() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM search_document_put(NEW.id, NEW.tenant_id, 'resource', NEW.is_deleted, NEW.name,
    concat_ws(E'\n', NEW.summary, NEW.content), NEW.metadata, NEW.resource_timestamp, NEW.created_at, NEW.updated_at);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION search_index_contact() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM search_document_put(NEW.id, NEW.tenant_id, 'contact', NEW.is_deleted,
    concat_ws(' ', NEW.first_name, NEW.last_name),
    concat_ws(E'\n', NEW.email, NEW.company, NEW.job_title, array_to_string(NEW.tags, ' ')),
    jsonb_strip_nulls(jsonb_build_object('tags', to_jsonb(NEW.tags), 'company', NEW.company,
      'job_title', NEW.job_title, 'email', NEW.email)),
    NULL, NEW.created_at, NEW.updated_at);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION search_index_lead() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM search_document_put(NEW.id, NEW.tenant_id, 'lead', NEW.is_deleted,
    concat_ws(' ', NEW.first_name, NEW.last_name),
    concat_ws(E'\n', NEW.email, NEW.company, NEW.title),
    jsonb_strip_nulls(jsonb_build_object('status', NEW.status, 'source', NEW.source,
      'company', NEW.company, 'email', NEW.email)),
    NULL, NEW.created_at, NEW.updated_at);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION search_index_opportunity() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM search_document_put(NEW.id, NEW.tenant_id, 'opportunity', NEW.is_deleted, NEW.name, NEW.stage_key,
    jsonb_strip_nulls(jsonb_build_object('stage', NEW.stage_key, 'status', NEW.status,
      'amount', NEW.amount, 'currency', NEW.currency)),
    NULL, NEW.created_at, NEW.updated_at);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE FUNCTION search_index_invoice() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM search_document_put(NEW.id, NEW.tenant_id, 'invoice', NEW.is_deleted,
    concat_ws(' ', coalesce(NEW.number, 'Draft invoice'), NEW.customer->>'name'),
    concat_ws(E'\n', NEW.customer->>'email', NEW.notes),
    jsonb_strip_nulls(jsonb_build_object('status', NEW.status, 'number', NEW.number,
      'currency', NEW.currency, 'total', NEW.total, 'due_date', NEW.due_date)),
    NULL, NEW.created_at, NEW.updated_at);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "search_index" AFTER INSERT OR UPDATE ON "resources" FOR EACH ROW EXECUTE FUNCTION search_index_resource();
--> statement-breakpoint
CREATE TRIGGER "search_index" AFTER INSERT OR UPDATE ON "contacts" FOR EACH ROW EXECUTE FUNCTION search_index_contact();
--> statement-breakpoint
CREATE TRIGGER "search_index" AFTER INSERT OR UPDATE ON "leads" FOR EACH ROW EXECUTE FUNCTION search_index_lead();
--> statement-breakpoint
CREATE TRIGGER "search_index" AFTER INSERT OR UPDATE ON "opportunities" FOR EACH ROW EXECUTE FUNCTION search_index_opportunity();
--> statement-breakpoint
CREATE TRIGGER "search_index" AFTER INSERT OR UPDATE ON "invoices" FOR EACH ROW EXECUTE FUNCTION search_index_invoice();
--> statement-breakpoint
-- Records that exist already join the index (as the owner, which row-level security lets through here).
UPDATE "contacts" SET "updated_at" = "updated_at" WHERE NOT "is_deleted";
--> statement-breakpoint
UPDATE "leads" SET "updated_at" = "updated_at" WHERE NOT "is_deleted";
--> statement-breakpoint
UPDATE "opportunities" SET "updated_at" = "updated_at" WHERE NOT "is_deleted";
--> statement-breakpoint
UPDATE "invoices" SET "updated_at" = "updated_at" WHERE NOT "is_deleted";
--> statement-breakpoint
-- The embedding sweep on the scheduled handler finds tenants with records due for embedding
-- (tenant ids only, as outbox_pending_tenants); the rows are then read under row-level security.
CREATE FUNCTION search_embedding_due_tenants(p_limit integer)
RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
  SELECT tenant_id FROM search_documents
  WHERE embedding_status IN ('pending', 'failed') AND next_embedding_at <= now()
  GROUP BY tenant_id ORDER BY min(next_embedding_at) LIMIT p_limit
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION search_embedding_due_tenants(integer) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION search_embedding_due_tenants(integer) TO nexus_app;
--> statement-breakpoint
-- As finance_due_tenants (0018): owned by nexus_auth, which may see which tenants have due rows.
GRANT SELECT ON "search_documents" TO nexus_auth;
--> statement-breakpoint
CREATE POLICY "embedding_sweep" ON "search_documents" AS PERMISSIVE FOR SELECT TO nexus_auth USING (true);
--> statement-breakpoint
ALTER FUNCTION search_embedding_due_tenants(integer) OWNER TO nexus_auth;
