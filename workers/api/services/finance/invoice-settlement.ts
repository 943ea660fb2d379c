import { type SQL, sql } from "drizzle-orm";
import { utcIso } from "../../../../db/rows";

/**
 * What a succeeded payment does to the invoice it pays, as the body of a data-modifying CTE, so it
 * commits in the same statement as the payment's own transition and events (and not at all when
 * the transition matched nothing). `source` names a relation with `tenant_id`, `invoice_id`,
 * `currency` and `paid` (numeric, major units) — one row per payment that just succeeded.
 *
 * The amount is added to `amount_paid` and `amount_due` recomputed; the invoice moves
 * `open | partially_paid → paid | partially_paid`. A void, uncollectible or draft invoice, or
 * one in another currency, is left as it is (the money was still received: the payment shows it).
 * `revision` grows, as with every change of the invoice (it keys the cached PDF).
 */
export function settleInvoice(source: string): SQL {
  const s = sql.raw(source);
  return sql`update invoices i set
      amount_paid = i.amount_paid + ${s}.paid,
      amount_due = greatest(i.total - (i.amount_paid + ${s}.paid), 0),
      status = case when i.total - (i.amount_paid + ${s}.paid) <= 0 then 'paid' else 'partially_paid' end,
      paid_at = case when i.total - (i.amount_paid + ${s}.paid) <= 0 then now() else i.paid_at end,
      revision = i.revision + 1,
      updated_at = now()
    from ${s}
    where i.id = ${s}.invoice_id and i.tenant_id = ${s}.tenant_id and i.currency = ${s}.currency
      and i.status in ('open', 'partially_paid') and not i.is_deleted
    returning i.*`;
}

/** The settled invoice as the `invoice.paid` event carries it, over the relation `from`. */
export function settledInvoiceJson(from: string): SQL {
  const c = (column: string) => sql.raw(`${from}.${column}`);
  return sql`jsonb_build_object(
    'id', ${c("id")},
    'object', 'invoice',
    'number', ${c("number")},
    'status', ${c("status")},
    'currency', ${c("currency")},
    'total', ${c("total")}::text,
    'amount_paid', ${c("amount_paid")}::text,
    'amount_due', ${c("amount_due")}::text,
    'paid_at', ${utcIso(c("paid_at"))},
    'updated_at', ${utcIso(c("updated_at"))}
  )`;
}
