import { sql } from "drizzle-orm";
import { tenantRows } from "../../../../db/rows";
import type { InvoiceStatus } from "../../../../db/schema/finance-enums";
import type { Transactor } from "../../../../db/tenant-transaction";
import {
  type EInvoiceClearance,
  EInvoiceRejected,
  type EInvoiceTransmitter,
  TRANSMIT_TIMEOUT_MS,
} from "../../finance/einvoice-transmitter";
import { ApiError } from "../../lib/errors";
import type { InvoiceView } from "../../schemas/invoice";
import type { ServiceContext } from "../context";
import { invoiceJson } from "./invoice-json";
import { actorOf, invoiceChange, liveInvoice, refreshedCustomer, supplierSnapshot } from "./invoice-sql";
import type { InvoiceJson } from "./invoices";

/** Digits of the printed number at least (`INV-000042`); a longer position prints in full. */
export const INVOICE_NUMBER_DIGITS = 6;

/**
 * The printed number of position `position` in `series` (SQL): `{series}-{position}`, the position
 * zero-padded to at least 6 digits. The position never contains `-`, so the number reads back
 * unambiguously as its series and position.
 */
const numberSql = (series: string, position: ReturnType<typeof sql>) =>
  sql`${series}::text || '-' || lpad(${position}::text, greatest(${INVOICE_NUMBER_DIGITS}, length(${position}::text)), '0')`;

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`e-invoice transmitter gave no answer within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the transmitter said, or the client's answer when it refused or failed. */
async function clearance(transmitter: EInvoiceTransmitter, invoice: InvoiceView): Promise<EInvoiceClearance> {
  try {
    return await withTimeout(transmitter.transmit(invoice), TRANSMIT_TIMEOUT_MS);
  } catch (error) {
    if (error instanceof EInvoiceRejected) {
      throw new ApiError("CONFLICT", `The e-invoice clearance refused the invoice: ${error.message}`, {
        cause: error,
      });
    }
    throw ApiError.unavailable(
      "The e-invoice clearance is unavailable; the invoice is still a draft",
      30,
      error,
    );
  }
}

/**
 * draft → open, in one transaction: lock the draft; take the next position of its series
 * (`INSERT … ON CONFLICT DO UPDATE … RETURNING` on the (tenant, series) row of
 * invoice_sequences, whose row lock makes concurrent finalizes of the series wait for this
 * commit); number it, set its issue date (the UTC date), the supplier and the contact's current
 * name and email; ask the e-invoice transmitter; store its answer with `invoice.finalized`;
 * commit. An invoice with nothing due (every line discounted away) is `paid` at once, with
 * `invoice.paid` too, as Stripe does. Anything that fails on the way rolls it all back, the position included, so numbers
 * are gapless and never collide.
 */
export async function finalizeInvoice(
  ctx: ServiceContext,
  deps: { transaction: Transactor; transmitter: EInvoiceTransmitter },
  id: string,
): Promise<InvoiceJson> {
  const tenantId = ctx.actor.tenantId;
  return deps.transaction(async (db) => {
    const [locked = []] = await tenantRows(db, tenantId, [
      sql`select i.status, i.series from invoices i where ${liveInvoice("i", tenantId, id)} for update`,
    ]);
    const state = locked[0] as { status: InvoiceStatus; series: string } | undefined;
    if (!state) throw ApiError.notFound("Invoice");
    if (state.status !== "draft") {
      throw new ApiError("CONFLICT", `Only a draft invoice can be finalized; this one is ${state.status}`);
    }
    const [numbered = []] = await tenantRows(db, tenantId, [
      sql`with position as (
            insert into invoice_sequences as s (tenant_id, series, last_number) values (${tenantId}, ${state.series}, 1)
            on conflict (tenant_id, series) do update set last_number = s.last_number + 1
            returning s.last_number
          )
          update invoices i set
            status = case when i.amount_due = 0 then 'paid' else 'open' end,
            paid_at = case when i.amount_due = 0 then now() end,
            sequence_number = position.last_number,
            number = ${numberSql(state.series, sql`position.last_number`)},
            issue_date = (now() at time zone 'UTC')::date, finalized_at = now(), updated_at = now(),
            supplier = ${supplierSnapshot}, customer = ${refreshedCustomer}
          from position
          where ${liveInvoice("i", tenantId, id)}
          returning ${invoiceJson("i")}::text as json`,
    ]);
    const view = JSON.parse((numbered[0] as { json: string }).json) as InvoiceView;
    const cleared = await clearance(deps.transmitter, view);
    const [stored = []] = await tenantRows(db, tenantId, [
      invoiceChange(
        actorOf(ctx),
        sql`update invoices i set revision = i.revision + 1,
            einvoice_clearance_status = ${cleared.clearance_status}, einvoice_irn = ${cleared.irn ?? null}::text,
            einvoice_csid = ${cleared.csid ?? null}::text, einvoice_qr = ${cleared.qr ?? null}::text
          where ${liveInvoice("i", tenantId, id)} returning i.*`,
        [{ type: "invoice.finalized" }, { type: "invoice.paid", when: sql`changed.status = 'paid'` }],
      ),
    ]);
    return (stored[0] as { json: string }).json;
  });
}

interface Transition {
  to: InvoiceStatus;
  from: readonly InvoiceStatus[];
  /** What the transition does, in the 409's words. */
  verb: string;
  stamp: string;
  event: "invoice.voided" | "invoice.marked_uncollectible";
}

/** `open|uncollectible → void` (a void keeps its number); money received must be refunded first. */
export const VOID: Transition = {
  to: "void",
  from: ["open", "uncollectible"],
  verb: "voided",
  stamp: "voided_at",
  event: "invoice.voided",
};

/** `open|partially_paid → uncollectible`: written off, still payable (then `paid`). */
export const MARK_UNCOLLECTIBLE: Transition = {
  to: "uncollectible",
  from: ["open", "partially_paid"],
  verb: "marked uncollectible",
  stamp: "marked_uncollectible_at",
  event: "invoice.marked_uncollectible",
};

/** One status move as one guarded update (`… where status in (from)`) with its event. */
export async function transitionInvoice(
  ctx: ServiceContext,
  id: string,
  t: Transition,
): Promise<InvoiceJson> {
  const tenantId = ctx.actor.tenantId;
  const change = invoiceChange(
    actorOf(ctx),
    sql`update invoices i set status = ${t.to}, ${sql.raw(t.stamp)} = now(), updated_at = now(), revision = i.revision + 1
      where ${liveInvoice("i", tenantId, id)} and i.status in (${sql.join(
        t.from.map((s) => sql`${s}`),
        sql`, `,
      )}) returning i.*`,
    [{ type: t.event }],
  );
  const [rows = [], current = []] = await tenantRows(ctx.db, tenantId, [
    change,
    // Read in the same batch, after the update: why it moved nothing, when it did not.
    sql`select i.status from invoices i where ${liveInvoice("i", tenantId, id)}`,
  ]);
  const row = rows[0] as { json: string } | undefined;
  if (row) return row.json;
  const status = (current[0] as { status: InvoiceStatus } | undefined)?.status;
  if (!status) throw ApiError.notFound("Invoice");
  if (status === "draft")
    throw new ApiError("CONFLICT", `A draft cannot be ${t.verb}: finalize it first, or delete it`);
  throw new ApiError(
    "CONFLICT",
    `Only an invoice that is ${t.from.join(" or ")} can be ${t.verb}; this one is ${status}`,
  );
}
