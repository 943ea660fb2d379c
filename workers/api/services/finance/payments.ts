import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import type { InvoiceStatus, PaymentStatus } from "../../../../db/schema/finance-enums";
import type { PaymentConnector } from "../../finance/connectors/connector";
import { fromMinorUnits, toMinorUnits } from "../../finance/money";
import { nextVerifyDelayMs, UNISSUED_ATTEMPT_GRACE_MS } from "../../finance/payment-states";
import { violatedUniqueConstraint } from "../../lib/db-errors";
import { ApiError } from "../../lib/errors";
import { afterCursor, pageOf } from "../../lib/keyset-page";
import { uuidHex } from "../../lib/uuid-hex";
import type { Page } from "../contacts";
import type { ServiceContext } from "../context";
import type { ConnectionChoice, ConnectorSource } from "./connector-source";
import { PAYABLE_INVOICE_STATUSES } from "./invoice-settlement";
import { type PaymentView, paymentJson } from "./payment-json";
import { type ChangeOrigin, transitionPayment } from "./payment-transitions";

/** How long a hosted checkout stays open (Stripe's minimum is 30 minutes); then the janitor expires it. */
export const CHECKOUT_MINUTES = 60;

export interface InitiateInput {
  amountMinor: bigint;
  /** ISO 4217, upper case. */
  currency: string;
  customerEmail: string;
  returnUrl: string;
  invoiceId?: string | undefined;
  /** The connection as the API names it (`pcn_…`); absent: the region's defaults for the currency. */
  connectionId?: string | undefined;
  /** What the customer sees at the checkout. */
  description?: string | undefined;
}

export interface PaymentDeps {
  connectors: ConnectorSource;
  /**
   * The region's database outside the request's transaction. The attempt is recorded there
   * before the provider is called, and a failed attempt stays recorded although the request
   * answers an error (which rolls the request's own transaction back).
   */
  ledger: Database;
}

const originOf = (ctx: ServiceContext): ChangeOrigin => ({
  actorId: ctx.actor.userId,
  correlationId: ctx.requestId,
});

/** Our reference for the provider (Paystack `reference`, Flutterwave `tx_ref`): only [A-Za-z0-9-]. */
export const paymentReference = (paymentId: string) => `nx-${uuidHex(paymentId)}`;

/** An open or partially paid invoice of the tenant in this currency, or a 400 naming `invoice_id`. */
async function checkInvoice(ctx: ServiceContext, invoiceId: string, currency: string, amountMinor: bigint) {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select status, currency, number, amount_due::text as amount_due from invoices
        where id = ${invoiceId} and tenant_id = ${tenantId} and not is_deleted`,
  ]);
  const invoice = rows[0] as
    | { status: string; currency: string; number: string | null; amount_due: string }
    | undefined;
  if (!invoice || !PAYABLE_INVOICE_STATUSES.includes(invoice.status as InvoiceStatus)) {
    throw new ApiError(
      "VALIDATION_ERROR",
      "invoice_id must name an open (finalized, unpaid) invoice of the tenant",
      {
        field: "invoice_id",
      },
    );
  }
  if (invoice.currency.trim() !== currency) {
    throw new ApiError("VALIDATION_ERROR", `The invoice is in ${invoice.currency}, not ${currency}`, {
      field: "currency",
    });
  }
  // amount_due is numeric(12,2): for a currency of fewer decimals its zero fraction is dropped first.
  const due =
    toMinorUnits(invoice.amount_due, currency) ??
    toMinorUnits(invoice.amount_due.replace(/\.0+$/, ""), currency);
  if (amountMinor <= 0n || (due !== null && amountMinor > due)) {
    throw new ApiError(
      "VALIDATION_ERROR",
      `amount must be positive and at most the invoice's amount due (${invoice.amount_due} ${currency})`,
      { field: "amount" },
    );
  }
  return invoice;
}

/** Records the attempt (`created`) where it survives the request; answers its id. */
async function recordAttempt(
  ctx: ServiceContext,
  ledger: Database,
  choice: ConnectionChoice,
  input: InitiateInput,
  expiresAt: Date,
): Promise<{ id: string; reference: string }> {
  const id = crypto.randomUUID();
  const reference = paymentReference(id);
  const tenantId = ctx.actor.tenantId;
  const insert = () =>
    tenantRows(ledger, tenantId, [
      sql`insert into payments (id, tenant_id, connection_id, provider, invoice_id, status, amount_minor, currency,
            customer_email, return_url, provider_reference, expires_at, next_verify_at)
          values (${id}, ${tenantId}, ${choice.id}, ${choice.provider}, ${input.invoiceId ?? null}::uuid, 'created',
            ${input.amountMinor.toString()}::bigint, ${input.currency}, ${input.customerEmail}, ${input.returnUrl},
            ${reference}, ${expiresAt.toISOString()}::timestamptz, now() + interval '1 minute')`,
    ]);
  try {
    await insert();
  } catch (error) {
    if (violatedUniqueConstraint(error) !== "payments_one_in_flight_per_invoice") throw error;
    // The one in flight may be an attempt whose link never reached anyone (a request that died
    // between its two writes): that one gives way, once, and this attempt takes its place.
    if (!input.invoiceId || !(await cancelUnissuedAttempt(ctx, ledger, input.invoiceId))) {
      throw inFlightConflict(error);
    }
    await insert().catch((again: unknown) => {
      throw violatedUniqueConstraint(again) === "payments_one_in_flight_per_invoice"
        ? inFlightConflict(again)
        : again;
    });
  }
  return { id, reference };
}

function inFlightConflict(cause: unknown): ApiError {
  return new ApiError(
    "CONFLICT",
    "A payment of this invoice is already in flight; wait for it to finish or expire (GET /api/v1/finance/payments?invoice_id=…)",
    { field: "invoice_id", cause },
  );
}

/**
 * Cancels the invoice's in-flight attempt if it is still `created` after UNISSUED_ATTEMPT_GRACE_MS:
 * its checkout link never reached the client (`payment.canceled`, failure code
 * `checkout_never_issued`). True when it gave way.
 */
async function cancelUnissuedAttempt(
  ctx: ServiceContext,
  ledger: Database,
  invoiceId: string,
): Promise<boolean> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ledger, tenantId, [
    sql`select id from payments
        where tenant_id = ${tenantId} and invoice_id = ${invoiceId} and status = 'created'
          and created_at < now() - make_interval(secs => ${UNISSUED_ATTEMPT_GRACE_MS / 1000}::int)`,
  ]);
  const stale = rows[0] as { id: string } | undefined;
  if (!stale) return false;
  const moved = await transitionPayment(
    { db: ledger, tenantId, region: ctx.region, paymentId: stale.id },
    {
      to: "canceled",
      failureCode: "checkout_never_issued",
      failureMessage: "replaced by a new attempt: no checkout link of this one was ever issued to the client",
    },
    originOf(ctx),
  );
  return moved !== undefined;
}

/** What a connector threw, as the client sees it (the connector already filtered the provider's words). */
function providerError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return ApiError.unavailable("The payment provider could not be reached", 5, error);
}

/**
 * Starts a hosted checkout: the attempt is recorded (`created`) before the provider is called,
 * then moved to `requires_action` with the checkout URL and the provider's reference (its
 * `payment.created` event in the request's transaction). A provider failure before it issued a
 * link marks the attempt `failed` (`payment.failed`) and answers the error; when no connection
 * was named, the next of the region's defaults is tried — only then, never after a link exists.
 */
export async function initiatePayment(
  ctx: ServiceContext,
  deps: PaymentDeps,
  input: InitiateInput,
): Promise<PaymentView> {
  let description = input.description ?? "Payment";
  if (input.invoiceId) {
    const invoice = await checkInvoice(ctx, input.invoiceId, input.currency, input.amountMinor);
    if (!input.description && invoice.number) description = `Invoice ${invoice.number}`;
  }
  const candidates = await deps.connectors.forPayment(input.currency, input.connectionId);
  if (candidates.length === 0) {
    throw new ApiError(
      "VALIDATION_ERROR",
      `No enabled payment connection takes ${input.currency}; add one (POST /api/v1/finance/connections) or name one`,
      { field: "currency" },
    );
  }
  const origin = originOf(ctx);
  const tenantId = ctx.actor.tenantId;
  let lastError: ApiError | undefined;
  for (const choice of candidates) {
    const expiresAt = new Date(Date.now() + CHECKOUT_MINUTES * 60_000);
    const attempt = await recordAttempt(ctx, deps.ledger, choice, input, expiresAt);
    const target = { tenantId, region: ctx.region, paymentId: attempt.id };
    let started: Awaited<ReturnType<PaymentConnector["initiate"]>>;
    try {
      started = await choice.connector.initiate({
        paymentId: attempt.id,
        reference: attempt.reference,
        amountMinor: input.amountMinor,
        currency: input.currency,
        customerEmail: input.customerEmail,
        returnUrl: input.returnUrl,
        description,
        expiresAt,
      });
    } catch (error) {
      lastError = providerError(error);
      await transitionPayment(
        { ...target, db: deps.ledger },
        {
          to: "failed",
          failureCode: lastError.status === 503 ? "provider_unavailable" : "provider_refused",
          failureMessage: lastError.message.slice(0, 500),
        },
        origin,
      );
      continue;
    }
    const moved = await transitionPayment(
      { ...target, db: ctx.db },
      {
        to: "requires_action",
        providerReference: started.providerReference,
        providerPaymentId: started.providerPaymentId,
        checkoutUrl: started.checkoutUrl,
        expiresAt: started.expiresAt ?? expiresAt,
        nextVerifyAt: new Date(Date.now() + nextVerifyDelayMs(0)),
      },
      origin,
    );
    if (!moved) throw new Error(`payment ${attempt.id} left created before its checkout was recorded`);
    return moved;
  }
  throw lastError ?? new Error("no payment attempt was made");
}

export interface PaymentListQuery {
  limit: number;
  cursor?: string | undefined;
  status?: PaymentStatus | undefined;
  invoiceId?: string | undefined;
}

export async function listPayments(ctx: ServiceContext, query: PaymentListQuery): Promise<Page<PaymentView>> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select p.id, to_char(p.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at,
          ${paymentJson("p", ctx.region)} as payment
        from payments p
        where p.tenant_id = ${tenantId}
          ${query.status ? sql`and p.status = ${query.status}` : sql``}
          ${query.invoiceId ? sql`and p.invoice_id = ${query.invoiceId}::uuid` : sql``}
          ${afterCursor(query.cursor, sql`p.created_at`, sql`p.id`)}
        order by p.created_at desc, p.id desc
        limit ${query.limit + 1}`,
  ]);
  const page = pageOf(rows as { id: string; created_at: string; payment: PaymentView }[], query.limit);
  return { ...page, items: page.items.map((r) => r.payment) };
}

export async function getPayment(ctx: ServiceContext, id: string): Promise<PaymentView> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select ${paymentJson("p", ctx.region)} as payment from payments p where p.id = ${id} and p.tenant_id = ${tenantId}`,
  ]);
  const row = rows[0] as { payment: PaymentView } | undefined;
  if (!row) throw ApiError.notFound("Payment");
  return row.payment;
}

export interface RefundOutcome {
  payment: PaymentView;
  refund: { provider_refund_id: string; amount: string; status: "succeeded" | "pending" };
}

/**
 * Refunds `amount` (decimal string; absent: what is left) of a succeeded payment. The payment's
 * row is locked for the request's transaction (Idempotency-Key is required, so there is one)
 * while the provider is asked, so two refunds of one payment take turns and never refund more
 * than was paid. Moves it to `partially_refunded | refunded` with `payment.refunded`.
 */
export async function refundPayment(
  ctx: ServiceContext,
  connectors: ConnectorSource,
  id: string,
  toMinor: (amount: string, currency: string) => bigint,
  amount: string | undefined,
): Promise<RefundOutcome> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select status, currency, amount_minor::text as amount_minor, amount_refunded_minor::text as refunded,
          connection_id, provider_reference, provider_payment_id
        from payments where id = ${id} and tenant_id = ${tenantId} for update`,
  ]);
  const row = rows[0] as
    | {
        status: PaymentStatus;
        currency: string;
        amount_minor: string;
        refunded: string;
        connection_id: string;
        provider_reference: string;
        provider_payment_id: string | null;
      }
    | undefined;
  if (!row) throw ApiError.notFound("Payment");
  if (row.status !== "succeeded" && row.status !== "partially_refunded") {
    throw new ApiError("CONFLICT", `Only a succeeded payment can be refunded; this one is ${row.status}`);
  }
  const currency = row.currency.trim();
  const left = BigInt(row.amount_minor) - BigInt(row.refunded);
  const refundMinor = amount === undefined ? left : toMinor(amount, currency);
  if (refundMinor <= 0n || refundMinor > left) {
    throw new ApiError(
      "VALIDATION_ERROR",
      `amount must be more than 0 and at most what is left to refund (${fromMinorUnits(left, currency)} ${currency})`,
      { field: "amount" },
    );
  }
  const choice = await connectors.forConnection(row.connection_id);
  if (!choice)
    throw new ApiError("CONFLICT", "The payment's connection was deleted: refund it at the provider");
  let result: Awaited<ReturnType<PaymentConnector["refund"]>>;
  try {
    // Keyed by what the refund brings the total to: a retry after a lost answer is the same refund.
    result = await choice.connector.refund(
      { providerReference: row.provider_reference, providerPaymentId: row.provider_payment_id },
      refundMinor,
      { idempotencyKey: `refund-${id}-${BigInt(row.refunded) + refundMinor}` },
    );
  } catch (error) {
    throw providerError(error);
  }
  if (result.status === "failed") throw new ApiError("CONFLICT", "The provider refused the refund");
  const total = BigInt(row.refunded) + refundMinor;
  const payment = await transitionPayment(
    { db: ctx.db, tenantId, region: ctx.region, paymentId: id },
    {
      to: total === BigInt(row.amount_minor) ? "refunded" : "partially_refunded",
      amountRefundedMinor: total,
    },
    originOf(ctx),
  );
  if (!payment) throw new Error(`refund of payment ${id} found it moved under its lock`);
  return {
    payment,
    refund: {
      provider_refund_id: result.providerRefundId,
      amount: fromMinorUnits(refundMinor, currency),
      status: result.status,
    },
  };
}
