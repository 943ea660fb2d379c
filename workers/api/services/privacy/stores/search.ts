import { sql } from "drizzle-orm";
import {
  deleteRowsCall,
  deleteTenantRows,
  isTenant,
  outcomeOf,
  privileged,
  tenantChanges,
  tenantSelect,
  uuidArray,
} from "../store-sql";
import { identifierPattern, mentions, redactJson, redactText } from "../text-match";
import type { PersonalDataStore } from "../types";

/**
 * The search index (one document per resource and CRM/finance record) and its embeddings. The
 * subject's own documents go with their vectors (ON DELETE CASCADE); documents of other records
 * that quote the subject are redacted and queued for re-embedding, their old vectors dropped
 * (a vector of the old text could still be matched against the person's name).
 */
export const searchStore: PersonalDataStore = {
  name: "search.documents_and_embeddings",
  where: "postgres",
  description: "Search documents (title, body, metadata) and their embedding vectors.",
  columns: {
    search_documents: ["title", "body", "metadata", "fts", "embedding_error"],
    resources_embeddings: ["embedding"],
  },
  subjects: ["contact", "lead", "user", "tenant"],
  export(ctx) {
    const pattern = identifierPattern(ctx.profile.identifiers);
    return tenantSelect(
      ctx,
      sql`select entity_id, type, title, body, metadata, created_at from search_documents
          where tenant_id = ${ctx.tenantId} and (entity_id = any(${uuidArray(ctx.profile.ids)})
            or ${mentions(sql`title`, pattern)} or ${mentions(sql`body`, pattern)})`,
    );
  },
  async erase(ctx) {
    const t = ctx.tenantId;
    if (isTenant(ctx)) {
      return outcomeOf(await deleteTenantRows(ctx, ["resources_embeddings", "search_documents"]));
    }
    const pattern = identifierPattern(ctx.profile.identifiers);
    const quoting = sql`tenant_id = ${t} and (${mentions(sql`title`, pattern)} or ${mentions(sql`body`, pattern)} or ${mentions(sql`metadata`, pattern)})`;
    const [deleted = 0, , redacted = 0] = await tenantChanges(ctx, [
      sql`delete from search_documents where tenant_id = ${t} and entity_id = any(${uuidArray(ctx.profile.ids)})`,
      sql`delete from resources_embeddings where tenant_id = ${t} and entity_id in (select entity_id from search_documents where ${quoting})`,
      sql`update search_documents set title = ${redactText(sql`title`, pattern)}, body = ${redactText(sql`body`, pattern)},
            metadata = ${redactJson(sql`metadata`, pattern)},
            content_hash = md5(${redactText(sql`title`, pattern)} || ${redactText(sql`coalesce(body, '')`, pattern)}), embedding_status = 'pending',
            embedding_attempts = 0, next_embedding_at = now(), embedded_at = null, updated_at = now()
          where ${quoting}`,
    ]);
    if (deleted > 0) return { action: "deleted", rows: deleted + redacted };
    return outcomeOf([redacted], "anonymised");
  },
};

/** Resources (documents, notes) are the tenant's: kept, with the subject's identifiers redacted. */
export const resourcesStore: PersonalDataStore = {
  name: "resources.resources",
  where: "postgres",
  description: "Resources (documents, policies, notes) that name or link the person.",
  columns: { resources: ["name", "content", "summary", "uri", "metadata", "related_entities"] },
  subjects: ["contact", "lead", "user", "tenant"],
  export(ctx) {
    const pattern = identifierPattern(ctx.profile.identifiers);
    return tenantSelect(
      ctx,
      sql`select id, name, content, summary, uri, metadata, related_entities, created_at from resources
          where tenant_id = ${ctx.tenantId} and not is_deleted and (${mentions(sql`name`, pattern)} or ${mentions(sql`content`, pattern)}
            or ${mentions(sql`summary`, pattern)} or ${mentions(sql`related_entities`, identifierPattern(ctx.profile.ids))})`,
    );
  },
  async erase(ctx) {
    const t = ctx.tenantId;
    if (isTenant(ctx)) return outcomeOf(await privileged(ctx, [deleteRowsCall(ctx, "resources")]));
    const pattern = identifierPattern(ctx.profile.identifiers);
    const idPattern = identifierPattern(ctx.profile.ids);
    return outcomeOf(
      await tenantChanges(ctx, [
        sql`update resources set name = ${redactText(sql`name`, pattern)}, content = ${redactText(sql`content`, pattern)},
              summary = ${redactText(sql`summary`, pattern)}, uri = ${redactText(sql`uri`, pattern)},
              metadata = ${redactJson(sql`metadata`, pattern)},
              related_entities = coalesce((select jsonb_agg(e) from jsonb_array_elements(related_entities) e
                                            where not ${mentions(sql`e`, idPattern)}), '[]'::jsonb),
              updated_at = now()
            where tenant_id = ${t} and (${mentions(sql`name`, pattern)} or ${mentions(sql`content`, pattern)}
              or ${mentions(sql`summary`, pattern)} or ${mentions(sql`uri`, pattern)} or ${mentions(sql`metadata`, pattern)}
              or ${mentions(sql`related_entities`, idPattern)})`,
      ]),
      "anonymised",
    );
  },
};
