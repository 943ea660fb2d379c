import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import type { InvoiceStatus } from "../../../../db/schema/finance-enums";
import { type InvoiceActor, invoiceChange, liveInvoice } from "./invoice-sql";

/** The statuses a payment can settle: a finalized invoice not void and not yet paid. */
export const PAYABLE_INVOICE_STATUSES: readonly InvoiceStatus[] = ["open", "partially_paid", "uncollectible"];

/**
 * The payments side's one way to move an invoice: the statement that applies `amount` (a decimal
 * string of `currency`) of a succeeded payment to invoice `invoiceId`, to be run in the same
 * transaction (batch) as the payment's own move to `succeeded`, so the two commit together.
 *
 * amount_paid grows by `amount` and amount_due = max(total − amount_paid, 0), in numeric. The
 * invoice becomes `paid` (with `paid_at` and `invoice.paid`) once amount_paid reaches the total,
 * else `partially_paid` (an `uncollectible` one stays so until paid in full) with
 * `invoice.partially_paid`. Revision grows. It matches only a payable invoice of the tenant in
 * the same currency: otherwise it changes nothing and returns no row (the payment stands; the
 * money is the payment's to refund). Returns the invoice's JSON text as `json` when it applied.
 */
export function invoicePaymentStatement(
  actor: InvoiceActor,
  invoiceId: string,
  amount: string,
  currency: string,
  /** A further condition (the payments side: that this transaction just moved the payment to succeeded). */
  onlyIf?: SQL,
): SQL {
  const paid = sql`(i.amount_paid + ${amount}::numeric)`;
  return invoiceChange(
    actor,
    sql`update invoices i set
        amount_paid = ${paid},
        amount_due = greatest(i.total - ${paid}, 0),
        status = case when ${paid} >= i.total then 'paid' when i.status = 'uncollectible' then 'uncollectible' else 'partially_paid' end,
        paid_at = case when ${paid} >= i.total then now() else i.paid_at end,
        updated_at = now(), revision = i.revision + 1
      where ${liveInvoice("i", actor.tenantId, invoiceId)} and i.currency = ${currency}
        and i.status in (${sql.join(
          PAYABLE_INVOICE_STATUSES.map((s) => sql`${s}`),
          sql`, `,
        )})
        and ${amount}::numeric > 0
        ${onlyIf ? sql`and ${onlyIf}` : sql``}
      returning i.*`,
    [
      { type: "invoice.paid", when: sql`changed.status = 'paid'` },
      { type: "invoice.partially_paid", when: sql`changed.status <> 'paid'` },
    ],
  );
}

/** invoicePaymentStatement in a batch of its own; the invoice after it, or undefined if it did not apply. */
export async function settleInvoice(
  db: Database,
  actor: InvoiceActor,
  invoiceId: string,
  amount: string,
  currency: string,
): Promise<string | undefined> {
  const [rows = []] = await tenantRows(db, actor.tenantId, [
    invoicePaymentStatement(actor, invoiceId, amount, currency),
  ]);
  return (rows[0] as { json: string } | undefined)?.json;
}
