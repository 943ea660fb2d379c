import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { rowsOf } from "../../../../db/rows";

const known = new WeakMap<Database, Promise<boolean>>();

/**
 * Whether this database stores vectors: pgvector installed and the embedding column made by the
 * migration (db/migrations/0020). Postgres without pgvector (the machine's Postgres 15) serves
 * keyword search only. Asked once per database handle; a failed check is asked again.
 */
export function vectorsAvailable(db: Database): Promise<boolean> {
  let answer = known.get(db);
  if (!answer) {
    answer = rowsOf<{ ok: boolean }>(
      db,
      sql`select exists (select 1 from pg_attribute
            where attrelid = to_regclass('public.resources_embeddings') and attname = 'embedding' and not attisdropped) as ok`,
    ).then((rows) => rows[0]?.ok === true);
    answer.catch(() => known.delete(db));
    known.set(db, answer);
  }
  return answer;
}

export const VECTORS_UNAVAILABLE =
  "This region's database has no pgvector: semantic search is unavailable here, keyword search works";
