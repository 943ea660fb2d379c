-- Keyword search finds a tenant's matches in one index scan: a GIN index on (tenant_id, fts)
-- (btree_gin puts the uuid in the GIN). With fts alone, the planner ANDed two bitmaps, every
-- match of the term in all tenants and every row of the tenant: for a tenant of 20,000 documents
-- the tenant bitmap was most of the query's index time. btree_gin is on Neon, in the Lagos
-- cluster's Postgres and loaded by PGlite; where it is missing the old index stays.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'btree_gin') THEN
    CREATE EXTENSION IF NOT EXISTS btree_gin;
    CREATE INDEX IF NOT EXISTS search_documents_tenant_fts_idx ON search_documents USING gin (tenant_id, fts);
    DROP INDEX IF EXISTS search_documents_fts_idx;
  END IF;
END
$$;
