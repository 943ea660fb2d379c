import { type SQL, sql } from "drizzle-orm";
import { withEvent } from "../../../../db/outbox";
import { tenantRows } from "../../../../db/rows";
import type { EventType } from "../../events/catalogue";
import { ApiError } from "../../lib/errors";
import { afterCursor, pageOf } from "../../lib/keyset-page";
import type { Page } from "../contacts";
import type { ServiceContext } from "../context";
import { embeddingJson, resourceJson } from "./resource-json";

const SOURCE = "resources-service";

export interface ResourceFields {
  name?: string | undefined;
  content?: string | undefined;
  summary?: string | null | undefined;
  uri?: string | null | undefined;
  resource_timestamp?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
  related_entities?: Record<string, unknown>[] | undefined;
}

/** A resource as the API shows it (rendered by resourceJson + embeddingJson). */
export interface ResourceView {
  id: string;
  name: string;
  content: string;
  summary: string | null;
  uri: string | null;
  resource_timestamp: string | null;
  metadata: Record<string, unknown>;
  related_entities: Record<string, unknown>[];
  created_at: string;
  updated_at: string;
  embedding?: {
    status: "pending" | "embedded" | "failed" | "unavailable";
    provider: string | null;
    embedded_at: string | null;
    attempts: number;
    error: string | null;
  };
}

export interface ResourceListFilters {
  limit: number;
  cursor?: string | undefined;
  metadataType?: string | undefined;
  uri?: string | undefined;
  updatedSince?: string | undefined;
}

const json = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;

/** The resource with its embedding state, for responses (after a write, in the same transaction). */
const viewOf = (tenantId: string, id: SQL) =>
  sql`select ${resourceJson("r")} || jsonb_build_object('embedding', ${embeddingJson("d")}) as resource
      from resources r left join search_documents d on d.entity_id = r.id
      where r.id = ${id} and r.tenant_id = ${tenantId} and not r.is_deleted`;

/**
 * One write and its `resource.*` event in one statement, then the resource as it now reads
 * (the search row its trigger wrote is visible to that second statement of the same batch).
 */
async function writeWithEvent(ctx: ServiceContext, id: string, change: SQL, eventType: EventType) {
  const event = {
    eventId: crypto.randomUUID(),
    eventType,
    source: SOURCE,
    actorId: ctx.actor.userId,
    correlationId: ctx.requestId,
  };
  const statement = withEvent(change, event, resourceJson("changed"), sql`changed.id`);
  const [changed = [], view = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    statement,
    viewOf(ctx.actor.tenantId, sql`${id}::uuid`),
  ]);
  if (changed.length === 0) return undefined;
  return (view[0] as { resource: ResourceView } | undefined)?.resource;
}

export async function createResource(ctx: ServiceContext, input: ResourceFields): Promise<ResourceView> {
  const id = crypto.randomUUID();
  const insert = sql`insert into resources
      (id, tenant_id, name, content, summary, uri, resource_timestamp, metadata, related_entities)
    values (${id}::uuid, ${ctx.actor.tenantId}::uuid, ${input.name ?? ""}, ${input.content ?? ""},
            ${input.summary ?? null}, ${input.uri ?? null}, ${input.resource_timestamp ?? null}::timestamptz,
            ${json(input.metadata ?? {})}, ${json(input.related_entities ?? [])})
    returning *`;
  const resource = await writeWithEvent(ctx, id, insert, "resource.created");
  if (!resource) throw new Error("resource insert returned nothing");
  return resource;
}

export async function getResource(ctx: ServiceContext, id: string): Promise<ResourceView> {
  const [rows = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    viewOf(ctx.actor.tenantId, sql`${id}::uuid`),
  ]);
  const row = rows[0] as { resource: ResourceView } | undefined;
  if (!row) throw ApiError.notFound("Resource");
  return row.resource;
}

export async function listResources(
  ctx: ServiceContext,
  q: ResourceListFilters,
): Promise<Page<ResourceView>> {
  const tenantId = ctx.actor.tenantId;
  const filters: SQL[] = [];
  if (q.metadataType !== undefined) filters.push(sql`and r.metadata->>'type' = ${q.metadataType}`);
  if (q.uri !== undefined) filters.push(sql`and r.uri = ${q.uri}`);
  if (q.updatedSince !== undefined) filters.push(sql`and r.updated_at >= ${q.updatedSince}::timestamptz`);
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select r.id, to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
               ${resourceJson("r")} || jsonb_build_object('embedding', ${embeddingJson("d")}) as resource
        from resources r left join search_documents d on d.entity_id = r.id
        where r.tenant_id = ${tenantId} and not r.is_deleted ${sql.join(filters, sql` `)}
          ${afterCursor(q.cursor, sql`r.created_at`, sql`r.id`)}
        order by r.created_at desc, r.id desc
        limit ${q.limit + 1}`,
  ]);
  const page = pageOf(rows as { id: string; created_at: string; resource: ResourceView }[], q.limit);
  return { ...page, items: page.items.map((r) => r.resource) };
}

/**
 * PUT (`replace`: every field not given returns to its default) or PATCH (only the given fields).
 * Changing name, summary or content re-embeds the resource after commit; metadata alone does not.
 */
export async function updateResource(
  ctx: ServiceContext,
  id: string,
  fields: ResourceFields,
  replace: boolean,
): Promise<ResourceView> {
  const sets: SQL[] = [sql`updated_at = now()`];
  const set = <K extends keyof ResourceFields>(key: K, value: SQL, fallback?: SQL) => {
    if (fields[key] !== undefined) sets.push(sql`${sql.raw(key)} = ${value}`);
    else if (replace && fallback) sets.push(sql`${sql.raw(key)} = ${fallback}`);
  };
  set("name", sql`${fields.name ?? ""}`);
  set("content", sql`${fields.content ?? ""}`);
  set("summary", sql`${fields.summary ?? null}`, sql`null`);
  set("uri", sql`${fields.uri ?? null}`, sql`null`);
  set("resource_timestamp", sql`${fields.resource_timestamp ?? null}::timestamptz`, sql`null`);
  set("metadata", json(fields.metadata ?? {}), sql`'{}'::jsonb`);
  set("related_entities", json(fields.related_entities ?? []), sql`'[]'::jsonb`);
  const update = sql`update resources set ${sql.join(sets, sql`, `)}
    where id = ${id}::uuid and tenant_id = ${ctx.actor.tenantId} and not is_deleted returning *`;
  const resource = await writeWithEvent(ctx, id, update, "resource.updated");
  if (!resource) throw ApiError.notFound("Resource");
  return resource;
}

/** Soft delete: gone from every read and, with its search row and vectors, from every search mode. */
export async function deleteResource(ctx: ServiceContext, id: string): Promise<void> {
  const event = {
    eventId: crypto.randomUUID(),
    eventType: "resource.deleted" as const,
    source: SOURCE,
    actorId: ctx.actor.userId,
    correlationId: ctx.requestId,
  };
  const update = sql`update resources set is_deleted = true, deleted_at = now(), updated_at = now()
    where id = ${id}::uuid and tenant_id = ${ctx.actor.tenantId} and not is_deleted returning *`;
  const [rows = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    withEvent(update, event, resourceJson("changed"), sql`changed.id`),
  ]);
  if (rows.length === 0) throw ApiError.notFound("Resource");
}
