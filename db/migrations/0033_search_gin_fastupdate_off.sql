-- Search reads never scan a GIN pending list. With fastupdate on (the default) new entries queue
-- in an unsorted list that every search reads in full until vacuum or the 4 MB limit merges it:
-- after 100,000 documents were written, the keyword index scan of one query took 4.4 ms with the
-- list full and 0.76 ms once merged (bench --only search). Writes now insert into the index at
-- once: search documents are written after the commit that changed them, off the request path.
DO $$
DECLARE
  idx text;
BEGIN
  FOREACH idx IN ARRAY ARRAY['search_documents_tenant_fts_idx', 'search_documents_fts_idx', 'search_documents_metadata_idx'] LOOP
    IF to_regclass(idx) IS NOT NULL THEN
      EXECUTE format('ALTER INDEX %I SET (fastupdate = off)', idx);
      PERFORM gin_clean_pending_list(to_regclass(idx));
    END IF;
  END LOOP;
END
$$;
