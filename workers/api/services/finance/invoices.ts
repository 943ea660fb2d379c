import { type SQL, sql } from "drizzle-orm";
import { tenantRows } from "../../../../db/rows";
import type { InvoiceStatus } from "../../../../db/schema/finance-enums";
import { lineAmountIssues } from "../../finance/invoice-amounts";
import { ApiError } from "../../lib/errors";
import { afterCursor, pageOf } from "../../lib/keyset-page";
import type { InvoiceInput, InvoicePatch } from "../../schemas/invoice";
import type { Page } from "../contacts";
import type { ServiceContext } from "../context";
import { invoiceJson } from "./invoice-json";
import {
  actorOf,
  contactCustomer,
  deleteLines,
  type InvoiceCustomer,
  inlineCustomer,
  insertLines,
  invoiceChange,
  liveContact,
  liveInvoice,
  updateDraftWithTotals,
} from "./invoice-sql";

/** An invoice as the API shows it, already JSON text (rendered by Postgres: invoice-json.ts). */
export type InvoiceJson = string;

const NOT_FOUND = "Invoice";

/** The answer to a contact_id that names no live contact of the tenant (said alike for another tenant's). */
const noSuchContact = () =>
  ApiError.validation([
    {
      field: "customer.contact_id",
      message: "No contact with this id (GET /api/v1/crm/contacts lists them)",
    },
  ]);

/** Amounts past numeric(12,2) (22003): the client's, with a message that says which limit. */
async function withinAmountLimits<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const code =
      (error as { code?: unknown; cause?: { code?: unknown } }).code ??
      (error as { cause?: { code?: unknown } }).cause?.code;
    if (code === "22003") {
      throw ApiError.validation([
        {
          field: "lines",
          message: "The invoice's amounts exceed 9999999999.99 (a line, its tax, or the total)",
        },
      ]);
    }
    throw error;
  }
}

/**
 * A new draft, its lines and its totals in one atomic batch: the invoice row, the lines (net and
 * tax computed by Postgres), then the totals summed from those lines, with `invoice.created`.
 */
export async function createInvoice(
  ctx: ServiceContext,
  input: InvoiceInput,
): Promise<{ id: string; json: InvoiceJson }> {
  const tenantId = ctx.actor.tenantId;
  const id = crypto.randomUUID();
  const columns = sql`(id, tenant_id, series, currency, locale, customer_contact_id, customer, due_date, notes)`;
  const values = (customerContact: SQL, customer: SQL) =>
    sql`${id}::uuid, ${tenantId}::uuid, ${input.series ?? "INV"}::text, ${input.currency}::char(3),
      ${input.locale ?? null}::text, ${customerContact}, ${customer}, ${input.due_date}::date, ${input.notes ?? null}::text`;
  const contactId = input.customer.contact_id;
  const insert =
    contactId === undefined
      ? sql`insert into invoices ${columns} values (${values(sql`null::uuid`, inlineCustomer(input.customer))})`
      : sql`insert into invoices ${columns}
          select ${values(sql`c.id`, contactCustomer(input.customer))} from contacts c where ${liveContact(tenantId, contactId)}`;
  const totals = invoiceChange(actorOf(ctx), updateDraftWithTotals(tenantId, id, []), [
    { type: "invoice.created" },
  ]);
  const results = await withinAmountLimits(
    tenantRows(ctx.db, tenantId, [insert, insertLines(tenantId, id, input.lines), totals]),
  );
  const row = results[2]?.[0] as { json: string } | undefined;
  // Only a contact that is not there leaves the insert without a row.
  if (!row) throw noSuchContact();
  return { id, json: row.json };
}

export async function getInvoice(ctx: ServiceContext, id: string): Promise<InvoiceJson> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select ${invoiceJson("i")}::text as json from invoices i where ${liveInvoice("i", tenantId, id)}`,
  ]);
  const row = rows[0] as { json: string } | undefined;
  if (!row) throw ApiError.notFound(NOT_FOUND);
  return row.json;
}

/** Newest first (keyset on created_at at microseconds, then id); items without their lines. */
export async function listInvoices(
  ctx: ServiceContext,
  query: { limit: number; cursor?: string | undefined; status?: InvoiceStatus | undefined },
): Promise<Page<InvoiceJson>> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select i.id, to_char(i.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at,
          ${invoiceJson("i", false)}::text as json
        from invoices i
        where i.tenant_id = ${tenantId} and not i.is_deleted
          ${query.status ? sql`and i.status = ${query.status}` : sql``}
          ${afterCursor(query.cursor, sql`i.created_at`, sql`i.id`)}
        order by i.created_at desc, i.id desc
        limit ${query.limit + 1}`,
  ]);
  const page = pageOf(rows as { id: string; created_at: string; json: string }[], query.limit);
  return { ...page, items: page.items.map((r) => r.json) };
}

/** The invoice's status and currency, or 404. */
async function invoiceState(
  ctx: ServiceContext,
  id: string,
): Promise<{ status: InvoiceStatus; currency: string }> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select i.status, i.currency from invoices i where ${liveInvoice("i", tenantId, id)}`,
  ]);
  const row = rows[0] as { status: InvoiceStatus; currency: string } | undefined;
  if (!row) throw ApiError.notFound(NOT_FOUND);
  return row;
}

/** The refusal of a change that only a draft takes. */
export function notADraft(status: InvoiceStatus, what: string): ApiError {
  return new ApiError(
    "CONFLICT",
    `Only a draft invoice can be ${what}; this one is ${status}` +
      (status === "open" ? " (void it and create a new one to change it)" : ""),
  );
}

async function contactExists(ctx: ServiceContext, contactId: string): Promise<boolean> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select exists (select 1 from contacts c where ${liveContact(tenantId, contactId)}) as found`,
  ]);
  return (rows[0] as { found: boolean } | undefined)?.found === true;
}

function customerSets(customer: InvoiceCustomer, tenantId: string): SQL[] {
  const contactId = customer.contact_id;
  if (contactId === undefined)
    return [sql`customer_contact_id = null`, sql`customer = ${inlineCustomer(customer)}`];
  return [
    sql`customer_contact_id = ${contactId}::uuid`,
    sql`customer = (select ${contactCustomer(customer)} from contacts c where ${liveContact(tenantId, contactId)})`,
  ];
}

/**
 * Changes a draft: the fields given, `lines` replacing every line. One read first (404, 409, the
 * currency the amounts are checked against, the contact), then one atomic batch that locks the
 * invoice before anything else, so a finalize cannot slip between its statements: if the invoice
 * stopped being a draft meanwhile, nothing is written and the answer is 409.
 */
export async function updateInvoice(
  ctx: ServiceContext,
  id: string,
  patch: InvoicePatch,
): Promise<InvoiceJson> {
  const tenantId = ctx.actor.tenantId;
  const state = await invoiceState(ctx, id);
  if (state.status !== "draft") throw notADraft(state.status, "changed");
  if (patch.lines) {
    const issues = lineAmountIssues(patch.lines, state.currency);
    if (issues.length > 0) throw ApiError.validation(issues);
  }
  if (patch.customer?.contact_id !== undefined && !(await contactExists(ctx, patch.customer.contact_id))) {
    throw noSuchContact();
  }
  const sets: SQL[] = [sql`revision = i.revision + 1`, sql`updated_at = now()`];
  if (patch.due_date !== undefined) sets.push(sql`due_date = ${patch.due_date}::date`);
  if (patch.notes !== undefined) sets.push(sql`notes = ${patch.notes}::text`);
  if (patch.locale !== undefined) sets.push(sql`locale = ${patch.locale}::text`);
  if (patch.series !== undefined) sets.push(sql`series = ${patch.series}::text`);
  if (patch.customer !== undefined) sets.push(...customerSets(patch.customer, tenantId));
  const lock = sql`select 1 from invoices i where ${liveInvoice("i", tenantId, id)} for update`;
  const lineWrites = patch.lines ? [deleteLines(tenantId, id), insertLines(tenantId, id, patch.lines)] : [];
  const change = invoiceChange(actorOf(ctx), updateDraftWithTotals(tenantId, id, sets), [
    { type: "invoice.updated" },
  ]);
  const results = await withinAmountLimits(tenantRows(ctx.db, tenantId, [lock, ...lineWrites, change]));
  const row = results.at(-1)?.[0] as { json: string } | undefined;
  if (row) return row.json;
  // Finalized, voided or deleted between the read and the batch.
  const now = await invoiceState(ctx, id);
  throw notADraft(now.status, "changed");
}

/** Soft-deletes a draft (a finalized invoice keeps its number for good: void it instead). */
export async function deleteInvoice(ctx: ServiceContext, id: string): Promise<void> {
  const tenantId = ctx.actor.tenantId;
  const change = invoiceChange(
    actorOf(ctx),
    sql`update invoices i set is_deleted = true, deleted_at = now(), updated_at = now(), revision = i.revision + 1
      where ${liveInvoice("i", tenantId, id)} and i.status = 'draft' returning i.*`,
    [{ type: "invoice.deleted" }],
  );
  const [rows = []] = await tenantRows(ctx.db, tenantId, [change]);
  if (rows[0]) return;
  const state = await invoiceState(ctx, id);
  throw notADraft(state.status, "deleted");
}
