import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { rowsOf, tenantRows, textArray } from "../../../../db/rows";
import type { RegionId } from "../../../../regions/registry";
import { EmbeddingProviderError, embedTexts, vectorLiteral } from "./embedding-client";
import { type EmbeddingProviderConfig, embeddingProviderFor } from "./embedding-config";
import { VECTORS_UNAVAILABLE, vectorsAvailable } from "./vector-support";

export interface EmbedderDeps {
  db: Database;
  region: RegionId;
  providers: readonly EmbeddingProviderConfig[];
  apiKey: string | undefined;
}

/** Documents per provider request; a tenant with more is worked through in rounds. */
const BATCH = 32;
/** Characters of a document sent to the provider (models cut at ~8k tokens anyway). */
const MAX_TEXT = 8_000;
/** After this many failures in a row a document waits for its next change (or a manual retry). */
const MAX_ATTEMPTS = 10;

interface DueDocument {
  entity_id: string;
  content_hash: string;
  text: string;
}

export interface EmbedResult {
  embedded: number;
  failed: number;
  unavailable: number;
}

const uuidArray = (values: readonly string[]) => sql`${sql.param(values)}::uuid[]`;

/**
 * Embeds one tenant's documents that are due (new, changed, or failed and past their backoff),
 * after their commit: called from the outbox's sinks and the scheduled sweep, never in a request.
 * A vector is written only if the document still has the text it was computed from; a document
 * changed meanwhile stays pending and is embedded again. Failures back off exponentially.
 * Without pgvector or an allowed provider, documents are marked `unavailable` with the reason.
 */
export async function embedDueDocuments(
  deps: EmbedderDeps,
  tenantId: string,
  rounds = 4,
): Promise<EmbedResult> {
  const result: EmbedResult = { embedded: 0, failed: 0, unavailable: 0 };
  const choice = embeddingProviderFor(deps.region, deps.providers);
  const reason = !(await vectorsAvailable(deps.db))
    ? VECTORS_UNAVAILABLE
    : choice.ok
      ? undefined
      : choice.reason;
  if (reason !== undefined || !choice.ok) {
    const [rows = []] = await tenantRows(deps.db, tenantId, [
      sql`update search_documents set embedding_status = 'unavailable', embedding_error = ${reason ?? "unavailable"},
            next_embedding_at = null
          where tenant_id = ${tenantId} and (embedding_status in ('pending', 'failed')
            or embedding_status = 'unavailable' and embedding_error is distinct from ${reason ?? "unavailable"})
          returning entity_id`,
    ]);
    result.unavailable = rows.length;
    return result;
  }
  const provider = choice.provider;
  for (let round = 0; round < rounds; round++) {
    const [due = []] = await tenantRows(deps.db, tenantId, [
      sql`select entity_id, content_hash, left(title || E'\n' || body, ${MAX_TEXT}) as text
          from search_documents
          where tenant_id = ${tenantId}
            and (embedding_status in ('pending', 'failed') and next_embedding_at <= now()
                 or embedding_status = 'unavailable'
                 or embedding_status = 'embedded' and embedding_provider is distinct from ${provider.id})
          order by next_embedding_at nulls first limit ${BATCH}`,
    ]);
    const docs = due as DueDocument[];
    if (docs.length === 0) break;
    const ids = docs.map((d) => d.entity_id);
    let vectors: number[][];
    try {
      vectors = await embedTexts(
        provider,
        deps.apiKey,
        docs.map((d) => d.text),
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const retryable = !(error instanceof EmbeddingProviderError) || error.retryable;
      await tenantRows(deps.db, tenantId, [
        sql`update search_documents set embedding_status = 'failed',
              embedding_attempts = embedding_attempts + 1, embedding_error = ${message.slice(0, 500)},
              next_embedding_at = case when ${retryable}::boolean and embedding_attempts + 1 < ${MAX_ATTEMPTS}
                then now() + make_interval(secs => least(3600, 5 * power(2, embedding_attempts))) end
            where tenant_id = ${tenantId} and entity_id = any(${uuidArray(ids)})`,
      ]);
      result.failed += docs.length;
      break;
    }
    const [written = []] = await tenantRows(deps.db, tenantId, [
      sql`with v as (
            select * from unnest(${uuidArray(ids)}, ${textArray(docs.map((d) => d.content_hash))},
                                 ${textArray(vectors.map(vectorLiteral))}) as v(entity_id, content_hash, embedding)
          ),
          current as (
            select d.entity_id, d.type, d.content_hash, v.embedding from v
            join search_documents d on d.entity_id = v.entity_id and d.content_hash = v.content_hash
            where d.tenant_id = ${tenantId}
          ),
          stored as (
            insert into resources_embeddings
              (tenant_id, entity_type, entity_id, field, embedding_provider, vector_dimension, content_hash, embedding)
            select ${tenantId}::uuid, type, entity_id, 'document', ${provider.id}::text, ${provider.dimensions}::int,
                   content_hash, embedding::vector
            from current
            on conflict (entity_id, field, embedding_provider) do update
              set embedding = excluded.embedding, content_hash = excluded.content_hash,
                  vector_dimension = excluded.vector_dimension, created_at = now()
            returning entity_id
          )
          update search_documents d set embedding_status = 'embedded', embedding_provider = ${provider.id},
            embedded_at = now(), embedding_error = null, embedding_attempts = 0, next_embedding_at = null
          from stored where d.entity_id = stored.entity_id
          returning d.entity_id`,
    ]);
    result.embedded += written.length;
    if (docs.length < BATCH) break;
  }
  return result;
}

/**
 * The scheduled sweep: tenants with documents due (a sink that did not run, a provider that was
 * down), each worked through. Tenant ids come from a definer function; rows are read under RLS.
 */
export async function embedLeftBehind(deps: EmbedderDeps, maxTenants = 50): Promise<EmbedResult> {
  const total: EmbedResult = { embedded: 0, failed: 0, unavailable: 0 };
  const tenants = await rowsOf<{ id: string }>(
    deps.db,
    sql`select search_embedding_due_tenants(${maxTenants}) as id`,
  );
  for (const { id } of tenants) {
    const r = await embedDueDocuments(deps, id);
    total.embedded += r.embedded;
    total.failed += r.failed;
    total.unavailable += r.unavailable;
  }
  return total;
}
