import { type SQL, sql } from "drizzle-orm";
import { utcIso } from "../../../../db/rows";
import { quoted } from "../../../../db/schema/finance-enums";
import { currencyExponent } from "../../finance/money";

/** The currencies without decimals (money.ts): their amounts are shown as "1500", not "1500.00". */
const ZERO_DECIMAL = Intl.supportedValuesOf("currency").filter((code) => currencyExponent(code) === 0);

/** The decimals of the currency in `currency` (an SQL expression): 0 or 2, as invoices allow. */
export const exponentSql = (currency: SQL) =>
  sql`(case when ${currency} in (${quoted(ZERO_DECIMAL)}) then 0 else 2 end)`;

const date = (column: SQL) => sql`to_char(${column}, 'YYYY-MM-DD')`;

/**
 * The API representation of an invoice, rendered by Postgres from a row of `invoices` under
 * `alias` (the table, or a write's `changed` CTE): responses, event payloads and the PDF all come
 * from this one expression. Amounts are numeric printed with the currency's decimals; lines and
 * the per-rate breakdown are read from invoice_lines as this transaction sees them.
 */
export function invoiceJson(alias: string, withLines = true): SQL {
  const c = (column: string) => sql.raw(`${alias}.${column}`);
  const exponent = exponentSql(c("currency"));
  const money = (value: SQL) => sql`round(${value}, ${exponent})::text`;
  const lines = sql`(select coalesce(json_agg(json_build_object(
        'id', l.id,
        'position', l.position,
        'description', l.description,
        'quantity', trim_scale(l.quantity),
        'unit_price', ${money(sql`l.unit_price`)},
        'discount', ${money(sql`l.discount`)},
        'tax_rate', trim_scale(l.tax_rate)::text,
        'net_amount', ${money(sql`l.net_amount`)},
        'tax_amount', ${money(sql`l.tax_amount`)}
      ) order by l.position), '[]'::json)
      from invoice_lines l where l.invoice_id = ${c("id")} and l.tenant_id = ${c("tenant_id")})`;
  const breakdown = sql`(select coalesce(json_agg(json_build_object(
        'rate', trim_scale(b.rate)::text,
        'taxable', ${money(sql`b.taxable`)},
        'tax', ${money(sql`b.tax`)}
      ) order by b.rate), '[]'::json)
      from (select l.tax_rate as rate, sum(l.net_amount) as taxable, sum(l.tax_amount) as tax
            from invoice_lines l where l.invoice_id = ${c("id")} and l.tenant_id = ${c("tenant_id")}
            group by l.tax_rate) b)`;
  return sql`json_build_object(
    'id', ${c("id")},
    'status', ${c("status")},
    'number', ${c("number")},
    'series', ${c("series")},
    'currency', ${c("currency")},
    'locale', ${c("locale")},
    'customer', ${c("customer")} || jsonb_build_object('contact_id', ${c("customer_contact_id")}),
    'supplier', ${c("supplier")},
    'issue_date', ${date(c("issue_date"))},
    'due_date', ${date(c("due_date"))},
    'notes', ${c("notes")},
    ${withLines ? sql`'lines', ${lines},` : sql``}
    'subtotal', ${money(c("subtotal"))},
    'discount_total', ${money(c("discount_total"))},
    'tax_total', ${money(c("tax_total"))},
    'total', ${money(c("total"))},
    'amount_paid', ${money(c("amount_paid"))},
    'amount_due', ${money(c("amount_due"))},
    'tax_breakdown', ${breakdown},
    'einvoice', json_build_object(
      'irn', ${c("einvoice_irn")},
      'csid', ${c("einvoice_csid")},
      'qr', ${c("einvoice_qr")},
      'clearance_status', ${c("einvoice_clearance_status")}
    ),
    'revision', ${c("revision")},
    'finalized_at', ${utcIso(c("finalized_at"))},
    'paid_at', ${utcIso(c("paid_at"))},
    'voided_at', ${utcIso(c("voided_at"))},
    'marked_uncollectible_at', ${utcIso(c("marked_uncollectible_at"))},
    'created_at', ${utcIso(c("created_at"))},
    'updated_at', ${utcIso(c("updated_at"))}
  )`;
}
