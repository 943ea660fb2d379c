import { sql } from "drizzle-orm";
import {
  bigint,
  char,
  check,
  date,
  foreignKey,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { id, instant, softDelete, tenantId, tenantIsolation, timestamps } from "./columns";
import { contacts } from "./contacts";
import { EINVOICE_CLEARANCE_STATUSES, INVOICE_STATUSES, quoted } from "./finance-enums";
import { tenants } from "./tenants";

const money = (name: string) => numeric(name, { precision: 12, scale: 2 });

/** The party an invoice is addressed to or from, as printed: a snapshot, not a live reference. */
export interface InvoiceParty {
  name: string;
  email?: string | null;
  address?: string[] | null;
  tax_id?: string | null;
}

/**
 * A bill. Amounts are numeric(12,2) computed by Postgres from the lines (never in floating
 * point), shown as decimal strings. A draft has no number; finalize takes the next number of
 * the tenant's series from invoice_sequences inside the finalizing transaction, so numbers are
 * gapless and never collide; a void keeps its number. `revision` grows with every change and
 * keys the cached PDF.
 *
 * The e-invoice fields carry Nigeria's clearance (IRN, CSID stamp, QR payload) as the
 * transmitter reports them; they are printed on the PDF when present.
 */
export const invoices = pgTable(
  "invoices",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    status: text("status", { enum: INVOICE_STATUSES }).notNull().default("draft"),
    series: text("series").notNull().default("INV"),
    /** Position in the series, from invoice_sequences; null while a draft. */
    sequenceNumber: bigint("sequence_number", { mode: "number" }),
    /** The printed number (series and position); null while a draft. */
    number: text("number"),
    currency: char("currency", { length: 3 }).notNull(),
    /** How amounts and dates are printed (`en-NG`, `fr-FR`); null: from the tenant's region. */
    locale: text("locale"),
    customerContactId: uuid("customer_contact_id").references(() => contacts.id),
    customer: jsonb("customer").$type<InvoiceParty>().notNull(),
    /** The supplier as printed, fixed at finalize. */
    supplier: jsonb("supplier").$type<InvoiceParty>(),
    issueDate: date("issue_date", { mode: "string" }),
    dueDate: date("due_date", { mode: "string" }).notNull(),
    notes: text("notes"),
    subtotal: money("subtotal").notNull().default("0"),
    discountTotal: money("discount_total").notNull().default("0"),
    taxTotal: money("tax_total").notNull().default("0"),
    total: money("total").notNull().default("0"),
    amountPaid: money("amount_paid").notNull().default("0"),
    amountDue: money("amount_due").notNull().default("0"),
    revision: integer("revision").notNull().default(1),
    einvoiceIrn: text("einvoice_irn"),
    einvoiceCsid: text("einvoice_csid"),
    einvoiceQr: text("einvoice_qr"),
    einvoiceClearanceStatus: text("einvoice_clearance_status", { enum: EINVOICE_CLEARANCE_STATUSES })
      .notNull()
      .default("not_required"),
    finalizedAt: instant("finalized_at"),
    paidAt: instant("paid_at"),
    voidedAt: instant("voided_at"),
    markedUncollectibleAt: instant("marked_uncollectible_at"),
    ...timestamps,
    ...softDelete,
  },
  (t) => [
    index("invoices_tenant_created_idx").on(
      t.tenantId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    uniqueIndex("invoices_tenant_series_sequence_key").on(t.tenantId, t.series, t.sequenceNumber),
    uniqueIndex("invoices_tenant_number_key").on(t.tenantId, t.number),
    check("invoices_status", sql`${t.status} in (${quoted(INVOICE_STATUSES)})`),
    check(
      "invoices_clearance_status",
      sql`${t.einvoiceClearanceStatus} in (${quoted(EINVOICE_CLEARANCE_STATUSES)})`,
    ),
    // A draft has no number; everything finalized has one, for good.
    check(
      "invoices_number_once_finalized",
      sql`(${t.status} = 'draft') = (${t.number} is null) and (${t.number} is null) = (${t.sequenceNumber} is null)`,
    ),
    check(
      "invoices_amounts",
      sql`${t.subtotal} >= 0 and ${t.discountTotal} >= 0 and ${t.taxTotal} >= 0 and ${t.total} >= 0 and ${t.amountPaid} >= 0 and ${t.amountDue} >= 0`,
    ),
    tenantIsolation(),
  ],
).enableRLS();

/**
 * One line of an invoice. `net_amount` = round(quantity × unit_price − discount, 2) and
 * `tax_amount` = round(net_amount × tax_rate / 100, 2), computed in SQL; the invoice's totals
 * and per-rate tax breakdown are sums over these.
 */
export const invoiceLines = pgTable(
  "invoice_lines",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    invoiceId: uuid("invoice_id").notNull(),
    position: integer("position").notNull(),
    description: text("description").notNull(),
    quantity: numeric("quantity", { precision: 14, scale: 4 }).notNull(),
    unitPrice: money("unit_price").notNull(),
    discount: money("discount").notNull().default("0"),
    /** Percent, e.g. 7.5 (Nigeria's VAT) or 19 (Germany's standard rate). */
    taxRate: numeric("tax_rate", { precision: 6, scale: 3 }).notNull().default("0"),
    netAmount: money("net_amount").notNull(),
    taxAmount: money("tax_amount").notNull(),
  },
  (t) => [
    foreignKey({ name: "invoice_lines_invoice_fk", columns: [t.invoiceId], foreignColumns: [invoices.id] }),
    uniqueIndex("invoice_lines_invoice_position_key").on(t.invoiceId, t.position),
    index("invoice_lines_tenant_idx").on(t.tenantId),
    check("invoice_lines_quantity", sql`${t.quantity} > 0`),
    check("invoice_lines_amounts", sql`${t.unitPrice} >= 0 and ${t.discount} >= 0 and ${t.netAmount} >= 0`),
    check("invoice_lines_tax_rate", sql`${t.taxRate} >= 0 and ${t.taxRate} <= 100`),
    tenantIsolation(),
  ],
).enableRLS();

/**
 * The next number of each of a tenant's invoice series. Finalize bumps it with
 * `INSERT … ON CONFLICT DO UPDATE … RETURNING` in the same transaction that numbers the invoice:
 * the row lock serialises concurrent finalizes, and a rolled-back finalize gives its number back.
 */
export const invoiceSequences = pgTable(
  "invoice_sequences",
  {
    tenantId: tenantId().references(() => tenants.id),
    series: text("series").notNull(),
    lastNumber: bigint("last_number", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.series] }), tenantIsolation()],
).enableRLS();

export type Invoice = typeof invoices.$inferSelect;
export type InvoiceLine = typeof invoiceLines.$inferSelect;
