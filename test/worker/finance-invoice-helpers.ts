import { sql } from "drizzle-orm";
import type { InvoiceView } from "../../workers/api/schemas/invoice";
import { settleInvoice } from "../../workers/api/services/finance/invoice-settlement";
import { type CallInit, call, type Envelope, envelope, tokenFor } from "./helpers";
import { asTenant, db } from "./oauth-helpers";

export const INVOICES = "/api/v1/invoices";
export const FINANCE_INVOICES = "/api/v1/finance/invoices";

export type Invoice = InvoiceView;

const HIGH = { limit: 1_000_000, window_seconds: 60 };

/**
 * A tenant of its own (its invoice series start at 1, nothing else touches them) with billing
 * details in its settings, and its owner's token.
 */
export async function invoiceTenant(options: { billing?: Record<string, unknown>; name?: string } = {}) {
  const tenantId = crypto.randomUUID();
  const settings = options.billing ? { billing: options.billing } : {};
  await asTenant(
    tenantId,
    sql`insert into tenants (id, name, slug, region, country, tier, default_currency, settings, rate_limits)
        values (${tenantId}, ${options.name ?? "Ìmọ́lẹ̀ Solar Ltd"}, ${`invoices-${tenantId}`}, 'eu', 'DE', 'enterprise', 'EUR',
                ${JSON.stringify(settings)}::jsonb,
                ${JSON.stringify({ tenant: HIGH, user: HIGH, ip: HIGH, burst: HIGH })}::jsonb)`,
  );
  const userId = crypto.randomUUID();
  const token = await tokenFor({ tenantId, userId, role: "Owner" });
  const as = (role: string) => tokenFor({ tenantId, userId: crypto.randomUUID(), role });
  return { tenantId, userId, token, as };
}

export async function invoices<T = Invoice>(path: string, init: CallInit = {}, base = INVOICES) {
  const res = await call(`${base}${path}`, init);
  const json = res.status !== 204 && res.status !== 304 && res.headers.get("Content-Type")?.includes("json");
  const body = json ? await envelope<T>(res) : await res.arrayBuffer().then(() => undefined);
  return { res, status: res.status, body: body as Envelope<T> };
}

export const NGN_DRAFT = {
  currency: "NGN",
  due_date: "2026-12-31",
  customer: { name: "Ọ̀ṣọ́ Adébáyọ̀", email: "osho@example.ng", address: ["Plot 7, Ọ̀rọ̀ Close", "Ìbàdàn"] },
  lines: [
    { description: "Solar inverter 5 kVA", quantity: 1, unit_price: "1250000.00", tax_rate: "7.5" },
    { description: "Lithium battery 200 Ah", quantity: 4, unit_price: "385000.00", tax_rate: "7.5" },
  ],
};

export function createDraft(token: string, json: Record<string, unknown> = {}, base = INVOICES) {
  return invoices("", { method: "POST", token, json: { ...NGN_DRAFT, ...json } }, base);
}

/** A draft created and finalized; its number. */
export async function finalized(token: string, json: Record<string, unknown> = {}) {
  const draft = await createDraft(token, json);
  const done = await invoices(`/${draft.body.data.id}/finalize`, { method: "POST", token });
  return done.body.data;
}

/** A contact of the tenant, as the owner creates it. */
export async function newContact(token: string, json: Record<string, unknown> = {}) {
  const res = await call("/api/v1/crm/contacts", {
    method: "POST",
    token,
    json: {
      first_name: "Adébáyọ̀",
      last_name: "Ọláńrewájú",
      email: `${crypto.randomUUID()}@example.ng`,
      ...json,
    },
  });
  return (await envelope<{ id: string; email: string }>(res)).data;
}

/** The tenant's outbox events about one invoice, oldest first. */
export async function invoiceEvents(tenantId: string, id: string) {
  const [rows = []] = await asTenant(
    tenantId,
    sql`select event_type, payload from outbox_events
        where tenant_id = ${tenantId} and payload->'data'->>'id' = ${id} order by created_at, event_type`,
  );
  return rows as { event_type: string; payload: Record<string, any> }[];
}

/** The tenant's series position as stored. */
export async function lastNumber(tenantId: string, series = "INV") {
  const [rows = []] = await asTenant(
    tenantId,
    sql`select last_number from invoice_sequences where tenant_id = ${tenantId} and series = ${series}`,
  );
  const row = rows[0] as { last_number: string | number } | undefined;
  return row === undefined ? 0 : Number(row.last_number);
}

export const fieldsOf = (body: Envelope) => body.errors?.map((e) => e.field);

/**
 * A succeeded payment of `amount` applied to the invoice as the payments side applies it (the
 * settlement statement, with its invoice.paid / invoice.partially_paid event). The invoice after
 * it, or undefined when it did not apply.
 */
export async function settle(tenantId: string, invoiceId: string, amount: string, currency: string) {
  const actor = { tenantId, userId: null, correlationId: crypto.randomUUID() };
  const json = await settleInvoice(db(), actor, invoiceId, amount, currency);
  return json === undefined ? undefined : (JSON.parse(json) as InvoiceView);
}
