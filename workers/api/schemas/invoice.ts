import { z } from "@hono/zod-openapi";
import { INVOICE_STATUSES } from "../../../db/schema/finance-enums";
import { invoiceCurrencyProblem, lineAmountIssues, quantityDigits } from "../finance/invoice-amounts";
import { CalendarDate, ListQuery, listFilter } from "./common";

/** At most this many lines per invoice: the PDF paginates them, a request stays well under 1 MiB. */
export const MAX_INVOICE_LINES = 500;
/** Distinct tax rates on one invoice: each is a row of the printed breakdown. */
export const MAX_TAX_RATES = 20;

/** A series is a prefix of the printed number (`INV` → `INV-000042`). */
const SERIES = /^[A-Z0-9]+(?:-[A-Z0-9]+)*$/;

const decimal = (description: string, example: string) =>
  z
    .string()
    .regex(/^(0|[1-9]\d*)(\.\d+)?$/, 'A non-negative decimal string, e.g. "1250.00"')
    .openapi({ description, example });

const currency = z
  .string()
  .check((ctx) => {
    const problem = invoiceCurrencyProblem(ctx.value);
    if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
  })
  .openapi({
    description:
      "ISO 4217 code. Invoices are kept to two decimals (numeric(12,2)), so currencies of 0 or 2 decimals " +
      "(NGN, EUR, JPY…) only; three-decimal ones (KWD, BHD…) are refused.",
    example: "NGN",
  });

const address = z
  .array(z.string().trim().min(1).max(200))
  .max(6)
  .openapi({
    description: "Printed address lines, in order (at most 6).",
    example: ["12 Marina Road", "Lagos 101241"],
  });

const taxId = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .openapi({ description: "VAT or tax id (TIN).", example: "12345678-0001" });

/**
 * Either an existing contact of the tenant (`contact_id`, snapshotted: its name and email are
 * copied now and refreshed at finalize) or inline billing details (`name` and `email`). Address
 * and tax id may be given with either; a contact has neither.
 */
export const InvoiceCustomerInput = z
  .strictObject({
    contact_id: z
      .uuid()
      .optional()
      .openapi({ description: "A contact of the tenant (GET /api/v1/crm/contacts)." }),
    name: z.string().trim().min(1).max(200).optional(),
    email: z.email("Invalid email format").max(254).optional(),
    address: address.optional(),
    tax_id: taxId.optional(),
  })
  .superRefine((customer, ctx) => {
    if (customer.contact_id !== undefined) {
      for (const field of ["name", "email"] as const) {
        if (customer[field] !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: [field],
            message: `Give either contact_id or ${field}: a contact's name and email are taken from the contact`,
          });
        }
      }
      return;
    }
    for (const field of ["name", "email"] as const) {
      if (customer[field] === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `customer needs contact_id, or name and email (${field} is missing)`,
        });
      }
    }
  })
  .openapi("InvoiceCustomerInput", {
    example: { name: "Ọ̀ṣọ́ Adébáyọ̀", email: "osho@example.ng", address: ["Plot 7, Ọ̀rọ̀ Close", "Ìbàdàn"] },
  });

export const InvoiceLineInput = z
  .strictObject({
    description: z.string().trim().min(1).max(1000).openapi({ example: "Solar inverter 5 kVA" }),
    quantity: z
      .number()
      .positive("quantity must be greater than 0")
      .max(9_999_999_999.9999)
      .refine((q) => q <= 0 || quantityDigits(q) !== null, "quantity has at most 4 decimals")
      .openapi({ description: "Greater than 0, at most 4 decimals.", example: 2 }),
    unit_price: decimal(
      "Price of one unit before tax, in the invoice's currency: at most as many decimals as it has.",
      "1250.00",
    ),
    tax_rate: z
      .string()
      .regex(
        /^(100(\.0{1,3})?|[1-9]?\d(\.\d{1,3})?)$/,
        'tax_rate is a percentage from "0" to "100" with at most 3 decimals',
      )
      .default("0")
      .openapi({
        description: 'Percent as a decimal string: "7.5" (Nigeria\'s VAT), "19". Default "0".',
        example: "7.5",
      }),
    discount: decimal(
      'Amount off this line (not a percentage), at most quantity × unit_price. Default "0".',
      "0.00",
    ).default("0"),
  })
  .openapi("InvoiceLineInput");

const lines = z
  .array(InvoiceLineInput)
  .min(1, "An invoice has at least one line")
  .max(MAX_INVOICE_LINES, `An invoice has at most ${MAX_INVOICE_LINES} lines`)
  .refine(
    (all) => new Set(all.map((l) => Number(l.tax_rate))).size <= MAX_TAX_RATES,
    `An invoice has at most ${MAX_TAX_RATES} different tax rates`,
  );

const notes = z
  .string()
  .trim()
  .max(2000)
  .nullable()
  .optional()
  .openapi({ description: "Printed under the lines." });

const locale = z
  .string()
  .max(35)
  .refine((tag) => {
    try {
      return Intl.getCanonicalLocales(tag).length === 1;
    } catch {
      return false;
    }
  }, "locale must be a BCP 47 language tag, e.g. en-NG or fr-FR")
  .nullable()
  .optional()
  .openapi({
    description: "How the PDF prints amounts and dates (`en-NG`, `fr-FR`); default from the tenant's region.",
  });

const series = z
  .string()
  .max(20)
  .regex(SERIES, "series is capital letters and digits, optionally in groups joined by -, e.g. INV or INV-NG")
  .openapi({
    description:
      'The numbering series (default "INV"): finalize takes its next number, printed `{series}-{number}` ' +
      "with at least 6 digits (`INV-000042`).",
    example: "INV",
  });

export const InvoiceInput = z
  .strictObject({
    currency,
    due_date: CalendarDate,
    customer: InvoiceCustomerInput,
    lines,
    notes,
    locale,
    series: series.optional(),
  })
  .superRefine((invoice, ctx) => {
    if (invoiceCurrencyProblem(invoice.currency)) return;
    for (const issue of lineAmountIssues(invoice.lines, invoice.currency)) {
      ctx.addIssue({ code: "custom", path: issue.field.split("."), message: issue.message });
    }
  })
  .openapi("InvoiceInput", {
    example: {
      currency: "NGN",
      due_date: "2026-12-31",
      customer: { name: "Ọ̀ṣọ́ Adébáyọ̀", email: "osho@example.ng" },
      lines: [
        { description: "Solar inverter 5 kVA", quantity: 1, unit_price: "1250000.00", tax_rate: "7.5" },
      ],
    },
  });
export type InvoiceInput = z.infer<typeof InvoiceInput>;

/** A draft's changes: only the fields given. `lines` replaces every line. */
export const InvoicePatch = z
  .strictObject({
    due_date: CalendarDate.optional(),
    customer: InvoiceCustomerInput.optional(),
    lines: lines.optional(),
    notes,
    locale,
    series: series.optional(),
    currency: z
      .unknown()
      .refine(
        () => false,
        "currency is fixed when the draft is created; create a new invoice for another currency",
      )
      .optional()
      .openapi({ readOnly: true }),
  })
  .refine(
    (patch) => Object.keys(patch).length > 0,
    "Give at least one of due_date, customer, lines, notes, locale, series",
  )
  .openapi("InvoicePatch", { example: { due_date: "2027-01-15", notes: "Thank you for your business." } });
export type InvoicePatch = z.infer<typeof InvoicePatch>;

const money = (description: string) =>
  z.string().openapi({
    description: `${description} Decimal string in the invoice's currency.`,
    example: "1343750.00",
  });
const date = z.string().openapi({ format: "date", example: "2026-12-01" });
const timestamp = z.string().openapi({ format: "date-time" });

const Party = z.object({
  name: z.string(),
  email: z.string().nullable().optional(),
  address: z.array(z.string()).nullable().optional(),
  tax_id: z.string().nullable().optional(),
});

export const InvoiceLine = z
  .object({
    id: z.uuid(),
    position: z.number().int().openapi({ description: "1-based order on the invoice." }),
    description: z.string(),
    quantity: z.number(),
    unit_price: money("Price of one unit."),
    discount: money("Amount off the line."),
    tax_rate: z.string().openapi({ example: "7.5" }),
    net_amount: money("round(quantity × unit_price − discount), to the currency's decimals."),
    tax_amount: money("round(net_amount × tax_rate / 100), to the currency's decimals."),
  })
  .openapi("InvoiceLine");

export const Invoice = z
  .object({
    id: z.uuid(),
    status: z.enum(INVOICE_STATUSES),
    number: z
      .string()
      .nullable()
      .openapi({ description: "Null while a draft; set for good at finalize.", example: "INV-000042" }),
    series: z.string(),
    currency: z.string(),
    locale: z.string().nullable(),
    customer: Party.extend({
      contact_id: z.uuid().nullable().openapi({ description: "The contact it was taken from, if any." }),
    }),
    supplier: Party.nullable().openapi({
      description: "The tenant as printed; fixed at finalize, null while a draft.",
    }),
    issue_date: date.nullable().openapi({ description: "Set at finalize (the UTC date)." }),
    due_date: date,
    notes: z.string().nullable(),
    lines: z.array(InvoiceLine),
    subtotal: money("Sum of quantity × unit_price over the lines, before discounts and tax."),
    discount_total: money("Sum of the lines' discounts."),
    tax_total: money("Sum of the lines' tax."),
    total: money("subtotal − discount_total + tax_total."),
    amount_paid: money("What payments have settled."),
    amount_due: money("total − amount_paid."),
    tax_breakdown: z
      .array(z.object({ rate: z.string(), taxable: z.string(), tax: z.string() }))
      .openapi({ description: "Per tax rate: the lines' net amounts and their tax, lowest rate first." }),
    einvoice: z
      .object({
        irn: z.string().nullable(),
        csid: z.string().nullable(),
        qr: z.string().nullable(),
        clearance_status: z.enum(["not_required", "pending", "cleared", "rejected"]),
      })
      .openapi({
        description:
          "Nigeria's e-invoice clearance as the transmitter reported it at finalize: IRN, CSID stamp and QR payload.",
      }),
    revision: z
      .number()
      .int()
      .openapi({ description: "Grows with every change; the PDF's ETag follows it." }),
    finalized_at: timestamp.nullable(),
    paid_at: timestamp.nullable(),
    voided_at: timestamp.nullable(),
    marked_uncollectible_at: timestamp.nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Invoice");

export type InvoiceView = z.infer<typeof Invoice>;

export const InvoiceListItem = Invoice.omit({ lines: true }).openapi("InvoiceListItem");

export const InvoiceListQuery = ListQuery.omit({ include_total: true }).extend({
  status: listFilter(z.enum(INVOICE_STATUSES), "status", "Only invoices in this status."),
});
