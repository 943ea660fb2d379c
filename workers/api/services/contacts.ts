import { and, eq, sql } from "drizzle-orm";
import { type BoundQuery, tenantRead } from "../../../db/compiled-query";
import { withEvent } from "../../../db/outbox";
import { contacts } from "../../../db/schema";
import { tenantBatch } from "../../../db/tenant-batch";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { ApiError } from "../lib/errors";
import type { ContactInput } from "../schemas/contact";
import { contactJson } from "./contact-json";
import { CONTACT_QUERIES } from "./contact-queries";
import type { ServiceContext } from "./context";

const SOURCE = "crm-service";

/** A contact's API representation as JSON text (see contact-json.ts). */
export type ContactJson = string;

function columnsFrom(input: ContactInput) {
  return {
    firstName: input.first_name,
    lastName: input.last_name ?? null,
    email: input.email ?? null,
    phone: input.phone ?? null,
    company: input.company ?? null,
    jobTitle: input.job_title ?? null,
    tags: input.tags ?? [],
    ownerId: input.owner_id ?? null,
    customFields: input.custom_fields ?? {},
  };
}

const live = (ctx: ServiceContext) =>
  and(eq(contacts.tenantId, ctx.actor.tenantId), eq(contacts.isDeleted, false));

function event(ctx: ServiceContext, eventType: string) {
  return {
    eventId: crypto.randomUUID(),
    eventType,
    source: SOURCE,
    actorId: ctx.actor.userId,
    correlationId: ctx.requestId,
  };
}

export interface Page<T> {
  items: T[];
  cursor: string | null;
  hasMore: boolean;
  total?: number;
}

/** The list's filters (see contact-queries.ts); absent ones do not filter. */
export interface ContactFilters {
  email?: string | undefined;
  name?: string | undefined;
  tag?: string | undefined;
  ownerId?: string | undefined;
  updatedSince?: string | undefined;
}

export async function listContacts(
  ctx: ServiceContext,
  query: { limit: number; cursor?: string | undefined; includeTotal: boolean; filters?: ContactFilters },
): Promise<Page<ContactJson>> {
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const tenantId = ctx.actor.tenantId;
  const f = query.filters ?? {};
  const filtering = Object.values(f).some((v) => v !== undefined);
  const filterValues = filtering
    ? {
        email: f.email ?? null,
        name: f.name ?? null,
        tag: f.tag ?? null,
        ownerId: f.ownerId ?? null,
        updatedSince: f.updatedSince ?? null,
      }
    : {};
  const queries = filtering
    ? {
        first: CONTACT_QUERIES.filteredFirstPage,
        next: CONTACT_QUERIES.filteredNextPage,
        count: CONTACT_QUERIES.countFiltered,
      }
    : { first: CONTACT_QUERIES.firstPage, next: CONTACT_QUERIES.nextPage, count: CONTACT_QUERIES.countLive };
  // One row more than asked tells whether another page exists.
  const page: BoundQuery = after
    ? {
        query: queries.next,
        values: { tenantId, limit: query.limit + 1, afterT: after.t, afterId: after.id, ...filterValues },
      }
    : { query: queries.first, values: { tenantId, limit: query.limit + 1, ...filterValues } };
  const [rows = [], totals] = await tenantRead(
    ctx.db,
    tenantId,
    query.includeTotal ? [page, { query: queries.count, values: { tenantId, ...filterValues } }] : [page],
  );

  const hasMore = rows.length > query.limit;
  const shown = rows.slice(0, query.limit) as { json: string; t: string; id: string }[];
  const last = shown.at(-1);
  return {
    items: shown.map((r) => r.json),
    hasMore,
    cursor: hasMore && last ? encodeCursor({ t: last.t, id: last.id }) : null,
    ...(totals === undefined ? {} : { total: Number((totals[0] as { n: unknown } | undefined)?.n ?? 0) }),
  };
}

export async function getContact(ctx: ServiceContext, id: string): Promise<ContactJson> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRead(ctx.db, tenantId, [
    { query: CONTACT_QUERIES.byId, values: { tenantId, id } },
  ]);
  const row = rows[0] as { json: string } | undefined;
  if (!row) throw ApiError.notFound("Contact");
  return row.json;
}

/** Runs a write and its event as one statement; answers the changed contact, or undefined. */
async function writeWithEvent(
  ctx: ServiceContext,
  change: { getSQL(): ReturnType<typeof sql> },
  eventType: string,
) {
  const statement = withEvent(
    change.getSQL(),
    event(ctx, eventType),
    contactJson("changed"),
    sql`${contactJson("changed")}::text as json`,
  );
  const [result] = await tenantBatch(ctx.db, ctx.actor.tenantId, [ctx.db.execute(statement)]);
  return (result.rows[0] as { json: string } | undefined)?.json;
}

export async function createContact(
  ctx: ServiceContext,
  input: ContactInput,
): Promise<{ id: string; json: ContactJson }> {
  const id = crypto.randomUUID();
  const insert = ctx.db
    .insert(contacts)
    .values({ id, tenantId: ctx.actor.tenantId, ...columnsFrom(input) })
    .returning();
  const json = await writeWithEvent(ctx, insert, "contact.created");
  if (!json) throw new Error("insert returned no row");
  return { id, json };
}

export async function replaceContact(
  ctx: ServiceContext,
  id: string,
  input: ContactInput,
): Promise<ContactJson> {
  const update = ctx.db
    .update(contacts)
    .set({ ...columnsFrom(input), updatedAt: sql`now()` })
    .where(and(live(ctx), eq(contacts.id, id)))
    .returning();
  const json = await writeWithEvent(ctx, update, "contact.updated");
  if (!json) throw ApiError.notFound("Contact");
  return json;
}

export async function deleteContact(ctx: ServiceContext, id: string): Promise<void> {
  const update = ctx.db
    .update(contacts)
    .set({ isDeleted: true, deletedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(live(ctx), eq(contacts.id, id)))
    .returning();
  if (!(await writeWithEvent(ctx, update, "contact.deleted"))) throw ApiError.notFound("Contact");
}
