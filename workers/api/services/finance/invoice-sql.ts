import { type SQL, sql } from "drizzle-orm";
import { type EventSpec, withEvents } from "../../../../db/outbox";
import type { EventType } from "../../events/catalogue";
import type { InvoiceInput } from "../../schemas/invoice";
import type { ServiceContext } from "../context";
import { exponentSql, invoiceJson } from "./invoice-json";

/** Every finance event's `source` (the platform event schema). */
export const FINANCE_SOURCE = "finance-service";

export type InvoiceCustomer = InvoiceInput["customer"];
export type InvoiceLineInput = InvoiceInput["lines"][number];

/** Who acts on invoices: the request's actor, or a service acting for the tenant (a payment's webhook). */
export interface InvoiceActor {
  tenantId: string;
  /** Null when no user acts (a provider's webhook settling a payment). */
  userId: string | null;
  correlationId: string;
}

export const actorOf = (ctx: ServiceContext): InvoiceActor => ({
  tenantId: ctx.actor.tenantId,
  userId: ctx.actor.userId,
  correlationId: ctx.requestId,
});

export function financeEvent(actor: InvoiceActor, eventType: EventType): EventSpec {
  return {
    eventId: crypto.randomUUID(),
    eventType,
    source: FINANCE_SOURCE,
    actorId: actor.userId,
    correlationId: actor.correlationId,
  };
}

/** The tenant's invoice `id`, not deleted, as a WHERE condition over `alias`. */
export const liveInvoice = (alias: string, tenantId: string, id: string) =>
  sql`${sql.raw(alias)}.id = ${id} and ${sql.raw(alias)}.tenant_id = ${tenantId} and not ${sql.raw(alias)}.is_deleted`;

/** A contact's name as printed: first and last name. */
const contactName = (alias: string) =>
  sql`trim(${sql.raw(alias)}.first_name || coalesce(' ' || ${sql.raw(alias)}.last_name, ''))`;

/** The customer snapshot of inline billing details. */
export const inlineCustomer = (customer: InvoiceCustomer) =>
  sql`jsonb_build_object('name', ${customer.name ?? null}::text, 'email', ${customer.email ?? null}::text,
    'address', ${JSON.stringify(customer.address ?? null)}::jsonb, 'tax_id', ${customer.tax_id ?? null}::text)`;

/** The customer snapshot from contact `c` (name and email), with the address and tax id given. */
export const contactCustomer = (customer: InvoiceCustomer) =>
  sql`jsonb_build_object('name', ${contactName("c")}, 'email', c.email,
    'address', ${JSON.stringify(customer.address ?? null)}::jsonb, 'tax_id', ${customer.tax_id ?? null}::text)`;

/** `c` is the tenant's live contact `contactId`. */
export const liveContact = (tenantId: string, contactId: string) =>
  sql`c.id = ${contactId} and c.tenant_id = ${tenantId} and not c.is_deleted`;

/**
 * At finalize: the snapshot of a contact's name and email taken again (the contact may have been
 * edited since the draft), kept as it was if the contact is gone. Address and tax id stay.
 */
export const refreshedCustomer = sql`coalesce((select i.customer || jsonb_build_object('name', ${contactName("c")}, 'email', c.email)
    from contacts c where c.id = i.customer_contact_id and c.tenant_id = i.tenant_id and not c.is_deleted), i.customer)`;

/**
 * The supplier as printed: the tenant's name, and its billing details when its settings have
 * them (`settings.billing`: `address` as lines, `tax_id`, `email`).
 */
export const supplierSnapshot = sql`(select jsonb_build_object(
      'name', t.name,
      'email', case when jsonb_typeof(t.settings->'billing'->'email') = 'string' then t.settings->'billing'->>'email' end,
      'address', case when jsonb_typeof(t.settings->'billing'->'address') = 'array' then t.settings->'billing'->'address' end,
      'tax_id', case when jsonb_typeof(t.settings->'billing'->'tax_id') = 'string' then t.settings->'billing'->>'tax_id' end)
    from tenants t where t.id = i.tenant_id)`;

/**
 * Writes `lines` (positions 1…n) to the draft `invoiceId`, each line's net and tax computed here in
 * numeric: net = round(quantity × unit_price − discount), tax = round(net × tax_rate / 100), both
 * to the currency's decimals (half away from zero). Writes nothing unless the invoice is a draft.
 */
export function insertLines(tenantId: string, invoiceId: string, lines: readonly InvoiceLineInput[]): SQL {
  const rows = lines.map((line, i) => ({
    position: i + 1,
    description: line.description,
    // The shortest decimal that is the number (0.1 → "0.1"): numeric reads it exactly.
    quantity: String(line.quantity),
    unit_price: line.unit_price,
    discount: line.discount ?? "0",
    tax_rate: line.tax_rate,
  }));
  const exponent = exponentSql(sql`i.currency`);
  return sql`insert into invoice_lines
      (tenant_id, invoice_id, position, description, quantity, unit_price, discount, tax_rate, net_amount, tax_amount)
    select i.tenant_id, i.id, l.position, l.description, l.quantity, l.unit_price, l.discount, l.tax_rate,
           n.net, round(n.net * l.tax_rate / 100, ${exponent})
    from invoices i
    cross join jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as l(position int, description text, quantity numeric, unit_price numeric, discount numeric, tax_rate numeric)
    cross join lateral (select round(l.quantity * l.unit_price - l.discount, ${exponent}) as net) n
    where ${liveInvoice("i", tenantId, invoiceId)} and i.status = 'draft'`;
}

/** Removes a draft's lines (before insertLines replaces them). */
export const deleteLines = (tenantId: string, invoiceId: string) =>
  sql`delete from invoice_lines l using invoices i
    where l.invoice_id = i.id and l.tenant_id = i.tenant_id and ${liveInvoice("i", tenantId, invoiceId)} and i.status = 'draft'`;

/**
 * An update of the draft that also sets its totals from its lines, as this transaction sees them:
 * subtotal = Σ(net + discount) (= Σ round(quantity × unit_price)), discount_total = Σ discount,
 * tax_total = Σ tax, total = Σ net + Σ tax, amount_due = total − amount_paid. `sets` are further
 * assignments (`revision = i.revision + 1`, …). Returns the row; nothing unless a draft.
 */
export function updateDraftWithTotals(tenantId: string, invoiceId: string, sets: readonly SQL[]): SQL {
  return sql`update invoices i set
      subtotal = t.subtotal, discount_total = t.discount_total, tax_total = t.tax_total,
      total = t.net + t.tax_total, amount_due = t.net + t.tax_total - i.amount_paid
      ${sql.join(
        sets.map((s) => sql`, ${s}`),
        sql``,
      )}
    from (select coalesce(sum(l.net_amount + l.discount), 0) as subtotal,
                 coalesce(sum(l.discount), 0) as discount_total,
                 coalesce(sum(l.net_amount), 0) as net,
                 coalesce(sum(l.tax_amount), 0) as tax_total
          from invoice_lines l where l.invoice_id = ${invoiceId} and l.tenant_id = ${tenantId}) t
    where ${liveInvoice("i", tenantId, invoiceId)} and i.status = 'draft'
    returning i.*`;
}

/**
 * A change of one invoice (an insert/update … returning its row) and its events as one statement
 * (db/outbox.ts), answering the invoice's JSON text as `json`: the event data and the response
 * are the same rendering.
 */
export function invoiceChange(
  actor: InvoiceActor,
  change: SQL,
  events: readonly { type: EventType; when?: SQL }[],
): SQL {
  const json = invoiceJson("changed");
  return withEvents(
    change,
    events.map((e) => ({
      event: financeEvent(actor, e.type),
      data: sql`${json}::jsonb`,
      ...(e.when ? { when: e.when } : {}),
    })),
    sql`${json}::text as json`,
  );
}
