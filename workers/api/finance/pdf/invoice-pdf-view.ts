import { z } from "zod";

/**
 * What one page set of an invoice PDF shows: everything already decided (amounts computed, tax
 * grouped per rate, the number assigned or not), so the renderer only lays it out. Amounts and
 * quantities are decimal strings as Postgres `numeric` returns them: they are formatted from the
 * string and never pass through a float.
 */
const decimal = z
  .string()
  .regex(/^-?\d{1,30}(\.\d{1,12})?$/, "a decimal string such as 1234.50 or -3 (no exponent, no grouping)");

/** A tax rate in percent as a decimal string: "7.5" is 7.5 %. */
const percent = decimal;

const isoDate = z.iso.date();

const addressLines = z.array(z.string().max(200)).max(6);

export const invoicePartySchema = z.object({
  name: z.string().min(1).max(200),
  addressLines: addressLines.default([]),
  /** VAT id, TIN or similar, printed as given. */
  taxId: z.string().max(64).nullable().default(null),
});

export const invoiceCustomerSchema = invoicePartySchema.extend({
  email: z.string().max(320).nullable().default(null),
});

export const invoicePdfLineSchema = z.object({
  /** Free text of any length: wrapped inside its column, the row grows. */
  description: z.string().min(1).max(4000),
  quantity: decimal,
  unitPrice: decimal,
  /** Null: no tax on this line (exempt or out of scope). */
  taxRate: percent.nullable(),
  /** As stored: quantity × unit price less the line's discount, before tax. */
  lineTotal: decimal,
});

export const invoiceTaxBreakdownSchema = z.object({
  /** The tax's name as printed, e.g. "VAT", "TVA", "MwSt.". */
  label: z.string().min(1).max(40),
  rate: percent,
  taxableAmount: decimal,
  taxAmount: decimal,
});

export const invoiceEInvoiceSchema = z.object({
  /** Invoice Reference Number given by the tax authority on clearance (NRS in Nigeria). */
  irn: z.string().min(1).max(200),
  /** Cryptographic stamp identifier returned with the clearance. */
  csid: z.string().max(500).nullable().default(null),
  clearanceStatus: z.string().min(1).max(40),
  /** What the QR code encodes, as the authority hands it out. */
  qrPayload: z.string().min(1).max(2000),
});

export const invoicePdfViewSchema = z.object({
  supplier: invoicePartySchema,
  customer: invoiceCustomerSchema,
  /** Null while the invoice is a draft: drafts carry no number and print "Draft". */
  number: z.string().min(1).max(64).nullable(),
  status: z.string().min(1).max(40),
  issueDate: isoDate,
  dueDate: isoDate.nullable(),
  /** ISO 4217 code. */
  currency: z.string().regex(/^[A-Z]{3}$/),
  /** BCP 47 tag deciding number, date and label language: en-NG, fr-FR, de-DE, … */
  locale: z
    .string()
    .min(2)
    .max(35)
    .refine((tag) => {
      try {
        return Intl.getCanonicalLocales(tag).length === 1;
      } catch {
        return false;
      }
    }, "a BCP 47 language tag such as en-NG"),
  lines: z.array(invoicePdfLineSchema).max(2000),
  taxBreakdown: z.array(invoiceTaxBreakdownSchema).max(50),
  subtotal: decimal,
  discountTotal: decimal,
  taxTotal: decimal,
  total: decimal,
  amountPaid: decimal,
  amountDue: decimal,
  eInvoice: invoiceEInvoiceSchema.nullable().default(null),
  notes: z.string().max(4000).nullable().default(null),
  /**
   * When this revision of the invoice was last changed (ISO 8601). Used as the PDF's creation and
   * modification dates instead of the clock, so one revision always renders to the same bytes.
   */
  revisedAt: z.iso.datetime({ offset: true }),
});

/** Input to renderInvoicePdf: defaults (empty address lines, null tax ids…) may be left out. */
export type InvoicePdfViewInput = z.input<typeof invoicePdfViewSchema>;
export type InvoicePdfView = z.output<typeof invoicePdfViewSchema>;
export type InvoicePdfLine = InvoicePdfView["lines"][number];
