import { sql } from "drizzle-orm";
import {
  deleteRowsCall,
  isTenant,
  outcomeOf,
  privileged,
  tenantChanges,
  tenantSelect,
  uuidArray,
} from "../store-sql";
import { identifierPattern, mentions, REDACTED, redactJson, redactText } from "../text-match";
import type { PersonalDataStore, StoreContext } from "../types";

/**
 * Years an invoice and its payments are kept, by the tenant's country: Germany 8 (BEG IV: §147(3)
 * AO, §14b UStG, §257(4) HGB), Nigeria 6 (CAMA 2020 s.375(2)); elsewhere the longer one. The
 * period runs from the end of the calendar year the invoice was issued in.
 */
export const RETENTION_YEARS: Readonly<Record<string, number>> = { DE: 8, NG: 6 };
const DEFAULT_RETENTION_YEARS = 8;

/** Stand in for a held payment's email and return URL (required columns): RFC 2606's reserved `.invalid`. */
export const ERASED_EMAIL = "redacted@erased.invalid";
export const ERASED_URL = "https://erased.invalid/";

export const HOLD_REASON = {
  DE: "Statutory retention of invoices and vouchers, Germany: 8 years (§147(3) AO, §14b UStG, §257(4) HGB)",
  NG: "Statutory retention of accounting records, Nigeria: 6 years (CAMA 2020 s.375(2))",
  other: "Statutory retention of accounting records: 8 years (the longest of the regions' laws)",
} as const;

async function tenantCountry(ctx: StoreContext): Promise<string> {
  const [row] = await tenantSelect<{ country: string }>(
    ctx,
    sql`select country from tenants where id = ${ctx.tenantId}`,
  );
  return row?.country ?? "";
}

/** The person's invoices: billed to the contact, or naming them (an invoice to a name and email). */
function personsInvoices(ctx: StoreContext) {
  const pattern = identifierPattern(ctx.profile.identifiers);
  return sql`tenant_id = ${ctx.tenantId} and (customer_contact_id = any(${uuidArray(ctx.profile.ids)}) or ${mentions(sql`customer`, pattern)})`;
}

const personsPayments = (ctx: StoreContext) => {
  const pattern = identifierPattern(ctx.profile.identifiers);
  return sql`tenant_id = ${ctx.tenantId} and (invoice_id in (select id from invoices where ${personsInvoices(ctx)}) or ${mentions(sql`customer_email`, pattern)})`;
};

/**
 * Invoices and payments stay for the statutory period (Art. 17(3)(b) GDPR, legal obligation),
 * with the person minimised: the customer is `{"name": "[redacted]"}`, notes and line texts
 * lose the person's identifiers, the contact link goes, a payment's email and return URL become
 * placeholders and its checkout URL goes; numbers, dates and amounts stay. Each
 * kept row is recorded in privacy_legal_holds with its reason and end date. A tenant erasure
 * deletes the tenant's books outright (as its processor we return them by export, Art. 28(3)(g)).
 */
export const invoicesStore: PersonalDataStore = {
  name: "finance.invoices",
  where: "postgres",
  description: "Invoices billed to the person, their lines and the payments taken for them.",
  columns: {
    invoices: ["customer", "supplier", "notes", "einvoice_qr"],
    invoice_lines: ["description"],
    payments: ["customer_email", "return_url", "checkout_url", "failure_message"],
  },
  subjects: ["contact", "lead", "tenant"],
  async export(ctx) {
    const invoices = await tenantSelect<Record<string, unknown>>(
      ctx,
      sql`select i.*, coalesce((select json_agg(l order by l.position) from invoice_lines l where l.invoice_id = i.id), '[]') as lines
          from invoices i where ${personsInvoices(ctx)} order by i.created_at`,
    );
    const payments = await tenantSelect(
      ctx,
      sql`select id, invoice_id, provider, status, amount_minor, currency, amount_refunded_minor, customer_email,
                 succeeded_at, created_at from payments where ${personsPayments(ctx)} order by created_at`,
    );
    return [
      ...invoices.map((i) => ({ type: "invoice", ...i })),
      ...payments.map((p) => ({ type: "payment", ...(p as object) })),
    ];
  },
  async erase(ctx) {
    if (isTenant(ctx)) {
      return outcomeOf(
        await privileged(ctx, [
          deleteRowsCall(ctx, "provider_events"),
          deleteRowsCall(ctx, "payments"),
          deleteRowsCall(ctx, "invoice_lines"),
          deleteRowsCall(ctx, "invoices"),
          deleteRowsCall(ctx, "invoice_sequences"),
          deleteRowsCall(ctx, "payment_connections"),
        ]),
      );
    }
    if (ctx.profile.subject.type === "user") return { action: "none", rows: 0 };
    const country = await tenantCountry(ctx);
    const years = RETENTION_YEARS[country] ?? DEFAULT_RETENTION_YEARS;
    const reason = country === "DE" || country === "NG" ? HOLD_REASON[country] : HOLD_REASON.other;
    const pattern = identifierPattern(ctx.profile.identifiers);
    const t = ctx.tenantId;
    const until = sql`make_date(extract(year from coalesce(issue_date, created_at::date))::int + ${years}, 12, 31)`;
    // Holds first (they select the invoices by what is about to be minimised), then the rows.
    const [heldInvoices = 0, heldPayments = 0] = await tenantChanges(ctx, [
      sql`insert into privacy_legal_holds (tenant_id, request_id, table_name, row_id, reason, hold_until)
          select ${t}, ${ctx.requestId}::uuid, 'invoices', id, ${reason}, ${until} from invoices where ${personsInvoices(ctx)}
          on conflict do nothing`,
      sql`insert into privacy_legal_holds (tenant_id, request_id, table_name, row_id, reason, hold_until)
          select ${t}, ${ctx.requestId}::uuid, 'payments', p.id, ${reason},
                 make_date(extract(year from p.created_at)::int + ${years}, 12, 31)
          from payments p where ${personsPayments(ctx)} on conflict do nothing`,
    ]);
    const held = sql`select row_id from privacy_legal_holds where tenant_id = ${t} and request_id = ${ctx.requestId}::uuid`;
    await tenantChanges(ctx, [
      sql`update payments set customer_email = ${ERASED_EMAIL}, return_url = ${ERASED_URL}, checkout_url = null,
            failure_message = ${redactText(sql`failure_message`, pattern)}
          where tenant_id = ${t} and id in (${held} and table_name = 'payments')`,
      sql`update provider_events set raw_body = ${redactText(sql`raw_body`, pattern)}
          where tenant_id = ${t} and (payment_id in (${held} and table_name = 'payments') or ${mentions(sql`raw_body`, pattern)})`,
      sql`update invoice_lines set description = ${redactText(sql`description`, pattern)}
          where tenant_id = ${t} and invoice_id in (${held} and table_name = 'invoices')`,
      sql`update invoices set customer = jsonb_build_object('name', ${REDACTED}::text), customer_contact_id = null,
            notes = ${redactText(sql`notes`, pattern)}, einvoice_qr = ${redactText(sql`einvoice_qr`, pattern)},
            supplier = ${redactJson(sql`supplier`, pattern)}, updated_at = now()
          where tenant_id = ${t} and id in (${held} and table_name = 'invoices')`,
    ]);
    const rows = heldInvoices + heldPayments;
    if (rows === 0) {
      // A resumed step: the holds were written before the crash; the rows are minimised already.
      const [again] = await tenantSelect<{ n: number }>(
        ctx,
        sql`select count(*)::int as n from privacy_legal_holds where tenant_id = ${t} and request_id = ${ctx.requestId}::uuid`,
      );
      if (!again?.n) return { action: "none", rows: 0 };
      return { action: "held", rows: again.n, reason };
    }
    return { action: "held", rows, reason };
  },
};

/** Raw provider webhook bodies quoting the person (an email in a Paystack event). */
export const providerEventsStore: PersonalDataStore = {
  name: "finance.provider_events",
  where: "postgres",
  description: "Raw payment-provider webhook bodies, kept for de-duplication and audit.",
  columns: { provider_events: ["raw_body", "last_error"] },
  subjects: ["contact", "lead", "tenant"],
  export: (ctx) =>
    tenantSelect(
      ctx,
      sql`select id, provider, event_type, raw_body, received_at from provider_events
          where tenant_id = ${ctx.tenantId} and ${mentions(sql`raw_body`, identifierPattern(ctx.profile.identifiers))}`,
    ),
  async erase(ctx) {
    // Tenant: deleted with the books (invoicesStore). A person: their mentions are redacted.
    if (isTenant(ctx) || ctx.profile.subject.type === "user") return { action: "none", rows: 0 };
    const pattern = identifierPattern(ctx.profile.identifiers);
    return outcomeOf(
      await tenantChanges(ctx, [
        sql`update provider_events set raw_body = ${redactText(sql`raw_body`, pattern)},
              last_error = ${redactText(sql`last_error`, pattern)}
            where tenant_id = ${ctx.tenantId} and (${mentions(sql`raw_body`, pattern)} or ${mentions(sql`last_error`, pattern)})`,
      ]),
      "anonymised",
    );
  },
};
