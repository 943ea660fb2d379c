-- Search reads scan a short GIN pending list, not a 4 MB one. With fastupdate (the default) new
-- entries queue unsorted in a pending list that every search reads in full until vacuum merges it
-- or it reaches gin_pending_list_limit (4 MB by default): after 100,000 documents were written,
-- the keyword index scan of one query took 4.4 ms with the list full and 0.76 ms once merged
-- (bench --only search). fastupdate stays on because search documents are written by triggers in
-- the same transaction as the contact, lead or resource (the request path), where a merge per
-- insert would cost every write; a 128 kB limit makes writers merge in small batches instead.
DO $$
DECLARE
  idx text;
BEGIN
  FOREACH idx IN ARRAY ARRAY['search_documents_tenant_fts_idx', 'search_documents_fts_idx', 'search_documents_metadata_idx'] LOOP
    IF to_regclass(idx) IS NOT NULL THEN
      EXECUTE format('ALTER INDEX %I SET (gin_pending_list_limit = 128)', idx);
      PERFORM gin_clean_pending_list(to_regclass(idx));
    END IF;
  END LOOP;
END
$$;
