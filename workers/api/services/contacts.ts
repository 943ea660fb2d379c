import { and, count, desc, eq, sql } from "drizzle-orm";
import { withEvent } from "../../../db/outbox";
import { contacts } from "../../../db/schema";
import { tenantBatch } from "../../../db/tenant-batch";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { ApiError } from "../lib/errors";
import type { ContactInput } from "../schemas/contact";
import { contactJson, isoUtc } from "./contact-json";
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

export async function listContacts(
  ctx: ServiceContext,
  query: { limit: number; cursor?: string | undefined; includeTotal: boolean },
): Promise<Page<ContactJson>> {
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const where = after
    ? and(
        live(ctx),
        sql`(${contacts.createdAt}, ${contacts.id}) < (${after.t}::timestamptz, ${after.id}::uuid)`,
      )
    : live(ctx);
  // One row more than asked tells whether another page exists. The JSON is built over the
  // limited subquery: in the outer select it is computed for those rows only, whatever plan
  // Postgres picks for the inner one (a sort plan would otherwise render every row it sorts).
  const limited = ctx.db
    .select()
    .from(contacts)
    .where(where)
    .orderBy(desc(contacts.createdAt), desc(contacts.id))
    .limit(query.limit + 1)
    .as("page");
  const page = ctx.db
    .select({
      json: sql<string>`${contactJson("page")}::text`,
      t: sql<string>`${isoUtc(sql`page.created_at`)}`,
      id: limited.id,
    })
    .from(limited)
    .orderBy(desc(limited.createdAt), desc(limited.id));

  let rows: { json: string; t: string; id: string }[];
  let total: number | undefined;
  if (query.includeTotal) {
    const [pageRows, totals] = await tenantBatch(ctx.db, ctx.actor.tenantId, [
      page,
      ctx.db.select({ n: count() }).from(contacts).where(live(ctx)),
    ]);
    rows = pageRows;
    total = totals[0]?.n ?? 0;
  } else {
    [rows] = await tenantBatch(ctx.db, ctx.actor.tenantId, [page]);
  }

  const hasMore = rows.length > query.limit;
  const shown = rows.slice(0, query.limit);
  const last = shown.at(-1);
  return {
    items: shown.map((r) => r.json),
    hasMore,
    cursor: hasMore && last ? encodeCursor({ t: last.t, id: last.id }) : null,
    ...(total === undefined ? {} : { total }),
  };
}

export async function getContact(ctx: ServiceContext, id: string): Promise<ContactJson> {
  const [rows] = await tenantBatch(ctx.db, ctx.actor.tenantId, [
    ctx.db
      .select({ json: sql<string>`${contactJson("contacts")}::text` })
      .from(contacts)
      .where(and(live(ctx), eq(contacts.id, id)))
      .limit(1),
  ]);
  const row = rows[0];
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
