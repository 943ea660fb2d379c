import { type SQL, sql } from "drizzle-orm";
import { utcIso } from "../../../../db/rows";

/**
 * A resource as the API and its events show it, rendered by Postgres from `resources` (alias
 * `from`): responses, search hits and event payloads share this one expression.
 */
export function resourceJson(from: string): SQL {
  const c = (column: string) => sql.raw(`${from}.${column}`);
  return sql`jsonb_build_object(
    'id', ${c("id")},
    'name', ${c("name")},
    'content', ${c("content")},
    'summary', ${c("summary")},
    'uri', ${c("uri")},
    'resource_timestamp', ${utcIso(c("resource_timestamp"))},
    'metadata', ${c("metadata")},
    'related_entities', ${c("related_entities")},
    'created_at', ${utcIso(c("created_at"))},
    'updated_at', ${utcIso(c("updated_at"))}
  )`;
}

/** The embedding state of a record from its `search_documents` row (alias `doc`). */
export function embeddingJson(doc: string): SQL {
  const d = (column: string) => sql.raw(`${doc}.${column}`);
  return sql`jsonb_build_object(
    'status', coalesce(${d("embedding_status")}, 'pending'),
    'provider', ${d("embedding_provider")},
    'embedded_at', ${utcIso(d("embedded_at"))},
    'attempts', coalesce(${d("embedding_attempts")}, 0),
    'error', ${d("embedding_error")}
  )`;
}
