import { and, eq, sql } from "drizzle-orm";
import { tenantRead } from "../../../db/compiled-query";
import { tenantRows } from "../../../db/rows";
import { contacts } from "../../../db/schema";
import { violatedUniqueConstraint } from "../lib/db-errors";
import { ApiError } from "../lib/errors";
import type { ContactInput } from "../schemas/contact";
import { contactJson } from "./contact-json";
import { CONTACT_QUERIES } from "./contact-queries";
import type { ServiceContext } from "./context";
import { crmSettings } from "./crm-settings";
import { assertOwner, writeWithEvent } from "./crm-writes";
import { assertCustomFields } from "./custom-fields";
import { readJsonById, readListPage } from "./keyset-list";
import {
  keyScopeOf,
  phoneIndex,
  protectContactFields,
  revealRecordJson,
  revealRecordPage,
} from "./privacy/sensitive-fields";

/** A contact's API representation as JSON text (see contact-json.ts). */
export type ContactJson = string;

/** The stored columns: the phone and sensitive custom fields sealed (services/privacy/). */
async function columnsFrom(ctx: ServiceContext, id: string, input: ContactInput) {
  const sensitive = await protectContactFields(ctx, id, {
    phone: input.phone ?? null,
    customFields: input.custom_fields ?? {},
  });
  return {
    firstName: input.first_name,
    lastName: input.last_name ?? null,
    email: input.email ?? null,
    phone: sensitive.phone,
    phoneIndex: sensitive.phoneIndex,
    company: input.company ?? null,
    jobTitle: input.job_title ?? null,
    tags: input.tags ?? [],
    ownerId: input.owner_id ?? null,
    customFields: sensitive.customFields,
  };
}

const live = (ctx: ServiceContext) =>
  and(eq(contacts.tenantId, ctx.actor.tenantId), eq(contacts.isDeleted, false));

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
  /** Matched by blind index: any spelling of the same digits (services/privacy/blind-index.ts). */
  phone?: string | undefined;
  updatedSince?: string | undefined;
}

export async function listContacts(
  ctx: ServiceContext,
  query: { limit: number; cursor?: string | undefined; includeTotal: boolean; filters?: ContactFilters },
): Promise<Page<ContactJson>> {
  const { phone, ...filters } = query.filters ?? {};
  const phoneIndexValue = phone === undefined ? undefined : await phoneIndex(keyScopeOf(ctx), phone);
  const page = await readListPage(ctx, CONTACT_QUERIES, {
    ...query,
    filters: { ...filters, phoneIndex: phoneIndexValue },
  });
  return { ...page, items: await revealRecordPage(ctx, page.items) };
}

export async function getContact(ctx: ServiceContext, id: string): Promise<ContactJson> {
  return revealRecordJson(ctx, await readJsonById(ctx, CONTACT_QUERIES.byId, id, "Contact"));
}

export async function createContact(
  ctx: ServiceContext,
  input: ContactInput,
): Promise<{ id: string; json: ContactJson }> {
  assertCustomFields(await crmSettings(ctx), "contact", input.custom_fields ?? {});
  await assertOwner(ctx, input.owner_id);
  const id = crypto.randomUUID();
  const insert = ctx.db
    .insert(contacts)
    .values({ id, tenantId: ctx.actor.tenantId, ...(await columnsFrom(ctx, id, input)) })
    .returning();
  const json = await writeWithEvent(ctx, insert, "contact.created", contactJson("changed")).catch(
    (error: unknown) => rethrowEmailConflict(ctx, error, input.email),
  );
  if (!json) throw new Error("insert returned no row");
  return { id, json: await revealRecordJson(ctx, json) };
}

export async function replaceContact(
  ctx: ServiceContext,
  id: string,
  input: ContactInput,
): Promise<ContactJson> {
  // A replacement is the whole record: a required field left out is missing.
  assertCustomFields(await crmSettings(ctx), "contact", input.custom_fields ?? {});
  await assertOwner(ctx, input.owner_id);
  const update = ctx.db
    .update(contacts)
    .set({ ...(await columnsFrom(ctx, id, input)), updatedAt: sql`now()` })
    .where(and(live(ctx), eq(contacts.id, id)))
    .returning();
  const json = await writeWithEvent(ctx, update, "contact.updated", contactJson("changed")).catch(
    (error: unknown) => rethrowEmailConflict(ctx, error, input.email),
  );
  if (!json) throw ApiError.notFound("Contact");
  return revealRecordJson(ctx, json);
}

/**
 * A write that took the address of another live contact (the unique index on lower(email)) is a
 * 409 naming `email` and the contact that has it, so the client can open or update that one. The
 * id is read after the failure, off the write path; anything else is rethrown as it came.
 */
async function rethrowEmailConflict(
  ctx: ServiceContext,
  error: unknown,
  email: string | null | undefined,
): Promise<never> {
  if (!email || violatedUniqueConstraint(error) !== "contacts_tenant_email_key") throw error;
  const [rows = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`select id from contacts where tenant_id = ${ctx.actor.tenantId} and not is_deleted
      and email is not null and lower(email) = lower(${email}) limit 1`,
  ]);
  const existing = (rows[0] as { id: string } | undefined)?.id;
  throw new ApiError(
    "CONFLICT",
    existing
      ? `A contact with this email already exists: ${existing} (update it, or use another email)`
      : "A contact with this email already exists",
    { field: "email", cause: error },
  );
}

export async function deleteContact(ctx: ServiceContext, id: string): Promise<void> {
  const update = ctx.db
    .update(contacts)
    .set({ isDeleted: true, deletedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(live(ctx), eq(contacts.id, id)))
    .returning();
  if (!(await writeWithEvent(ctx, update, "contact.deleted", contactJson("changed"))))
    throw ApiError.notFound("Contact");
}

/**
 * A contact another record refers to (`field` of its input) must be a live contact of the
 * tenant: another tenant's id is refused exactly like a missing one. Foreign keys cannot say it,
 * as they are checked across row-level security.
 */
export async function assertLiveContact(ctx: ServiceContext, id: string, field: string): Promise<void> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRead(ctx.db, tenantId, [
    { query: CONTACT_QUERIES.exists, values: { tenantId, id } },
  ]);
  if (rows.length === 0) throw new ApiError("VALIDATION_ERROR", "No such contact", { field });
}
