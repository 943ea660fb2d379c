import { type SQL, sql } from "drizzle-orm";
import { invoiceJson } from "./invoice-json";

/**
 * The one way a payment moves an invoice (the payments side calls it; the invoice side owns it).
 *
 * What a succeeded payment does to the invoice it pays, as the body of a data-modifying CTE, so it
 * commits in the same statement as the payment's own transition and events (and not at all when
 * the transition matched nothing). `source` names a relation with `tenant_id`, `invoice_id`,
 * `currency` and `paid` (numeric, major units) — one row per payment that just succeeded.
 *
 * In numeric: amount_paid grows by `paid`, amount_due = max(total − amount_paid, 0). The invoice
 * moves `open | partially_paid → paid | partially_paid`, and `uncollectible → paid` once paid in
 * full (a part payment of a written-off invoice leaves it uncollectible, the amounts updated);
 * `paid_at` is set when it becomes paid. A void or draft invoice, or one in another currency, is
 * left as it is (the money was still received: the payment shows it, and is the payment's to
 * refund). `revision` grows, as with every change of the invoice (it keys the cached PDF).
 */
export function settleInvoice(source: string): SQL {
  const s = sql.raw(source);
  const paidInFull = sql`i.total - (i.amount_paid + ${s}.paid) <= 0`;
  return sql`update invoices i set
      amount_paid = i.amount_paid + ${s}.paid,
      amount_due = greatest(i.total - (i.amount_paid + ${s}.paid), 0),
      status = case when ${paidInFull} then 'paid' when i.status = 'uncollectible' then 'uncollectible' else 'partially_paid' end,
      paid_at = case when ${paidInFull} then now() else i.paid_at end,
      revision = i.revision + 1,
      updated_at = now()
    from ${s}
    where i.id = ${s}.invoice_id and i.tenant_id = ${s}.tenant_id and i.currency = ${s}.currency
      and ${s}.paid > 0
      and i.status in ('open', 'partially_paid', 'uncollectible') and not i.is_deleted
    returning i.*`;
}

/**
 * The settled invoice as the `invoice.paid` event carries it, over the relation `from` (the CTE
 * of settleInvoice): the whole invoice as the API shows it, like every other `invoice.*` event.
 */
export function settledInvoiceJson(from: string): SQL {
  return sql`${invoiceJson(from)}::jsonb`;
}
