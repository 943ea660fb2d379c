import { and, eq, ne, sql } from "drizzle-orm";
import { tenantRead } from "../../../db/compiled-query";
import { leads } from "../../../db/schema";
import { ApiError } from "../lib/errors";
import type { LeadInput, LeadPatch } from "../schemas/lead";
import { assertLiveContact, type Page } from "./contacts";
import type { ServiceContext } from "./context";
import { crmSettings } from "./crm-settings";
import { assertOwner, writeWithEvent } from "./crm-writes";
import { assertCustomFields } from "./custom-fields";
import { readJsonById, readListPage } from "./keyset-list";
import { leadJson } from "./lead-json";
import { LEAD_QUERIES } from "./lead-queries";
import { revealRecordJson, revealRecordPage, sealLeadPhone } from "./privacy/sensitive-fields";

/** A lead's API representation as JSON text (see lead-json.ts). */
export type LeadJson = string;

/**
 * Columns from the fields given; absent ones are left out (the insert's defaults, or unchanged).
 * The phone is stored sealed under the lead's key (services/privacy/).
 */
async function columnsFrom(ctx: ServiceContext, id: string, input: LeadPatch) {
  return {
    firstName: input.first_name,
    lastName: input.last_name,
    email: input.email,
    phone: await sealLeadPhone(ctx, id, input.phone),
    company: input.company,
    title: input.title,
    source: input.source,
    status: input.status,
    ownerId: input.owner_id,
    contactId: input.contact_id,
    customFields: input.custom_fields,
  };
}

/** Live leads of the tenant; a converted one is read-only. */
const changeable = (ctx: ServiceContext, id: string) =>
  and(
    eq(leads.tenantId, ctx.actor.tenantId),
    eq(leads.isDeleted, false),
    eq(leads.id, id),
    ne(leads.status, "converted"),
  );

export interface LeadFilters {
  status?: string | undefined;
  source?: string | undefined;
  ownerId?: string | undefined;
  email?: string | undefined;
  updatedSince?: string | undefined;
}

export async function listLeads(
  ctx: ServiceContext,
  query: { limit: number; cursor?: string | undefined; includeTotal: boolean; filters: LeadFilters },
): Promise<Page<LeadJson>> {
  const page = await readListPage(ctx, LEAD_QUERIES, { ...query, filters: { ...query.filters } });
  return { ...page, items: await revealRecordPage(ctx, page.items) };
}

export async function getLead(ctx: ServiceContext, id: string): Promise<LeadJson> {
  return revealRecordJson(ctx, await readJsonById(ctx, LEAD_QUERIES.byId, id, "Lead"));
}

/** Why a write to lead `id` matched nothing: it is missing (or another tenant's), or converted. */
export async function unchangeableLead(ctx: ServiceContext, id: string): Promise<ApiError> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRead(ctx.db, tenantId, [
    { query: LEAD_QUERIES.status, values: { tenantId, id } },
  ]);
  if (rows.length === 0) return ApiError.notFound("Lead");
  return new ApiError("CONFLICT", "The lead is converted: it is read-only");
}

async function checkReferences(ctx: ServiceContext, input: LeadPatch, creating: boolean): Promise<void> {
  if (input.custom_fields !== undefined || creating) {
    assertCustomFields(await crmSettings(ctx), "lead", input.custom_fields ?? {});
  }
  if (input.contact_id) await assertLiveContact(ctx, input.contact_id, "contact_id");
  await assertOwner(ctx, input.owner_id);
}

export async function createLead(
  ctx: ServiceContext,
  input: LeadInput,
): Promise<{ id: string; json: LeadJson }> {
  await checkReferences(ctx, input, true);
  const id = crypto.randomUUID();
  const insert = ctx.db
    .insert(leads)
    .values({
      ...(await columnsFrom(ctx, id, input)),
      id,
      tenantId: ctx.actor.tenantId,
      firstName: input.first_name,
    })
    .returning();
  const json = await writeWithEvent(ctx, insert, "lead.created", leadJson("changed"));
  if (!json) throw new Error("insert returned no row");
  return { id, json: await revealRecordJson(ctx, json) };
}

/**
 * Changes the fields given. `custom_fields`, when given, is the whole new object, checked as on
 * create (so a required field it leaves out is missing). Emits `lead.updated`.
 */
export async function updateLead(ctx: ServiceContext, id: string, patch: LeadPatch): Promise<LeadJson> {
  await checkReferences(ctx, patch, false);
  const update = ctx.db
    .update(leads)
    .set({ ...(await columnsFrom(ctx, id, patch)), updatedAt: sql`now()` })
    .where(changeable(ctx, id))
    .returning();
  const json = await writeWithEvent(ctx, update, "lead.updated", leadJson("changed"));
  if (!json) throw await unchangeableLead(ctx, id);
  return revealRecordJson(ctx, json);
}

export async function deleteLead(ctx: ServiceContext, id: string): Promise<void> {
  const update = ctx.db
    .update(leads)
    .set({ isDeleted: true, deletedAt: sql`now()`, updatedAt: sql`now()` })
    .where(changeable(ctx, id))
    .returning();
  if (!(await writeWithEvent(ctx, update, "lead.deleted", leadJson("changed")))) {
    throw await unchangeableLead(ctx, id);
  }
}
