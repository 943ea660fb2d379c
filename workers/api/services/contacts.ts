import { and, count, desc, eq, sql } from "drizzle-orm";
import { withEvent } from "../../../db/outbox";
import { contacts } from "../../../db/schema";
import { tenantBatch } from "../../../db/tenant-batch";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { ApiError } from "../lib/errors";
import { toIso } from "../lib/time";
import type { ContactDto, ContactInput } from "../schemas/contact";
import type { ServiceContext } from "./context";

const SOURCE = "crm-service";

/** Rows arrive camelCase from drizzle selects and snake_case from raw CTE statements. */
type RawRow = Record<string, unknown>;

function pick(row: RawRow, camel: string, snake: string): unknown {
  return camel in row ? row[camel] : row[snake];
}

export function toContactDto(row: RawRow): ContactDto {
  const nullableString = (camel: string, snake: string) => (pick(row, camel, snake) as string | null) ?? null;
  return {
    id: row.id as string,
    first_name: pick(row, "firstName", "first_name") as string,
    last_name: nullableString("lastName", "last_name"),
    email: nullableString("email", "email"),
    phone: nullableString("phone", "phone"),
    company: nullableString("company", "company"),
    job_title: nullableString("jobTitle", "job_title"),
    tags: (pick(row, "tags", "tags") as string[] | null) ?? [],
    owner_id: nullableString("ownerId", "owner_id"),
    custom_fields: (pick(row, "customFields", "custom_fields") as Record<string, unknown> | null) ?? {},
    created_at: toIso(pick(row, "createdAt", "created_at")),
    updated_at: toIso(pick(row, "updatedAt", "updated_at")),
  };
}

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
): Promise<Page<ContactDto>> {
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const where = after
    ? and(
        live(ctx),
        sql`(${contacts.createdAt}, ${contacts.id}) < (${after.t}::timestamptz, ${after.id}::uuid)`,
      )
    : live(ctx);
  const page = ctx.db
    .select()
    .from(contacts)
    .where(where)
    .orderBy(desc(contacts.createdAt), desc(contacts.id))
    .limit(query.limit + 1);

  let rows: RawRow[];
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
  const items = rows.slice(0, query.limit).map(toContactDto);
  const last = items.at(-1);
  return {
    items,
    hasMore,
    cursor: hasMore && last ? encodeCursor({ t: last.created_at, id: last.id }) : null,
    ...(total === undefined ? {} : { total }),
  };
}

export async function getContact(ctx: ServiceContext, id: string): Promise<ContactDto> {
  const [rows] = await tenantBatch(ctx.db, ctx.actor.tenantId, [
    ctx.db
      .select()
      .from(contacts)
      .where(and(live(ctx), eq(contacts.id, id)))
      .limit(1),
  ]);
  const row = rows[0];
  if (!row) throw ApiError.notFound("Contact");
  return toContactDto(row);
}

export async function createContact(ctx: ServiceContext, input: ContactInput): Promise<ContactDto> {
  const insert = ctx.db
    .insert(contacts)
    .values({ id: crypto.randomUUID(), tenantId: ctx.actor.tenantId, ...columnsFrom(input) })
    .returning();
  const [result] = await tenantBatch(ctx.db, ctx.actor.tenantId, [
    ctx.db.execute(withEvent(insert.getSQL(), event(ctx, "contact.created"))),
  ]);
  const row = result.rows[0];
  if (!row) throw new Error("insert returned no row");
  return toContactDto(row);
}

export async function replaceContact(
  ctx: ServiceContext,
  id: string,
  input: ContactInput,
): Promise<ContactDto> {
  const update = ctx.db
    .update(contacts)
    .set({ ...columnsFrom(input), updatedAt: sql`now()` })
    .where(and(live(ctx), eq(contacts.id, id)))
    .returning();
  const [result] = await tenantBatch(ctx.db, ctx.actor.tenantId, [
    ctx.db.execute(withEvent(update.getSQL(), event(ctx, "contact.updated"))),
  ]);
  const row = result.rows[0];
  if (!row) throw ApiError.notFound("Contact");
  return toContactDto(row);
}

export async function deleteContact(ctx: ServiceContext, id: string): Promise<void> {
  const update = ctx.db
    .update(contacts)
    .set({ isDeleted: true, deletedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(live(ctx), eq(contacts.id, id)))
    .returning();
  const [result] = await tenantBatch(ctx.db, ctx.actor.tenantId, [
    ctx.db.execute(withEvent(update.getSQL(), event(ctx, "contact.deleted"))),
  ]);
  if (!result.rows[0]) throw ApiError.notFound("Contact");
}
