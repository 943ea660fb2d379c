import { sql } from "drizzle-orm";
import { tenantRows } from "../../../../db/rows";
import type { InvoiceParty } from "../../../../db/schema/invoices";
import type { InvoicePdfViewInput } from "../../finance/pdf/invoice-pdf-view";
import { ApiError } from "../../lib/errors";
import type { InvoiceView } from "../../schemas/invoice";
import type { ServiceContext } from "../context";
import { invoiceJson } from "./invoice-json";
import { liveInvoice, supplierSnapshot } from "./invoice-sql";

/** The tax's printed name in the invoice's language (Nigeria's and English-language invoices: VAT). */
function taxLabel(locale: string): string {
  const language = new Intl.Locale(locale).language;
  if (language === "fr") return "TVA";
  if (language === "de") return "USt.";
  return "VAT";
}

/**
 * The supplier as the PDF takes it. Its details come from the tenant's settings, which no schema
 * of ours bounds: what does not fit the page's blocks is dropped or cut rather than failing.
 */
function printableSupplier(party: InvoiceParty) {
  const address = Array.isArray(party.address) ? party.address : [];
  return {
    name: party.name.slice(0, 200),
    addressLines: address
      .filter((line): line is string => typeof line === "string")
      .slice(0, 6)
      .map((line) => line.slice(0, 200)),
    taxId: typeof party.tax_id === "string" ? party.tax_id.slice(0, 64) : null,
  };
}

/** What the invoice prints as; `tenant` fills what a draft does not have yet. */
export function invoicePdfView(
  invoice: InvoiceView,
  tenant: { supplier: InvoiceParty; country: string },
): InvoicePdfViewInput {
  // An invoice without a locale prints with its tenant's country's formats, in English.
  const locale = invoice.locale ?? `en-${tenant.country}`;
  const supplier = invoice.supplier ?? tenant.supplier;
  const { irn, qr, csid, clearance_status: clearanceStatus } = invoice.einvoice;
  return {
    supplier: printableSupplier(supplier),
    customer: {
      name: invoice.customer.name,
      email: invoice.customer.email ?? null,
      addressLines: invoice.customer.address ?? [],
      taxId: invoice.customer.tax_id ?? null,
    },
    number: invoice.number,
    status: invoice.status,
    // A draft is dated the day it was made: the same revision always prints the same.
    issueDate: invoice.issue_date ?? invoice.created_at.slice(0, 10),
    dueDate: invoice.due_date,
    currency: invoice.currency,
    locale,
    lines: invoice.lines.map((line) => ({
      description: line.description,
      quantity: String(line.quantity),
      unitPrice: line.unit_price,
      taxRate: line.tax_rate,
      lineTotal: line.net_amount,
    })),
    taxBreakdown: invoice.tax_breakdown.map((b) => ({
      label: taxLabel(locale),
      rate: b.rate,
      taxableAmount: b.taxable,
      taxAmount: b.tax,
    })),
    subtotal: invoice.subtotal,
    discountTotal: invoice.discount_total,
    taxTotal: invoice.tax_total,
    total: invoice.total,
    amountPaid: invoice.amount_paid,
    amountDue: invoice.amount_due,
    eInvoice: irn && qr ? { irn, csid, clearanceStatus, qrPayload: qr } : null,
    notes: invoice.notes,
    revisedAt: invoice.updated_at,
  };
}

/** The invoice `id` as its PDF shows it (404 like every read), with its printed number. */
export async function invoicePdfInput(
  ctx: ServiceContext,
  id: string,
): Promise<{ view: InvoicePdfViewInput; number: string | null; revision: number }> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select ${invoiceJson("i")}::text as json, ${supplierSnapshot}::text as supplier, t.country
        from invoices i join tenants t on t.id = i.tenant_id
        where ${liveInvoice("i", tenantId, id)}`,
  ]);
  const row = rows[0] as { json: string; supplier: string; country: string } | undefined;
  if (!row) throw ApiError.notFound("Invoice");
  const invoice = JSON.parse(row.json) as InvoiceView;
  const view = invoicePdfView(invoice, {
    supplier: JSON.parse(row.supplier) as InvoiceParty,
    country: row.country.trim(),
  });
  return { view, number: invoice.number, revision: invoice.revision };
}
