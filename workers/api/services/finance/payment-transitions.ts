import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { type EventSpec, withEvent } from "../../../../db/outbox";
import { tenantRows } from "../../../../db/rows";
import type { PaymentStatus } from "../../../../db/schema/finance-enums";
import type { RegionId } from "../../../../regions/registry";
import type { EventType } from "../../events/catalogue";
import { fromMinorUnits } from "../../finance/money";
import { isInFlight, predecessorsOf } from "../../finance/payment-states";
import { invoicePaymentStatement } from "./invoice-settlement";
import { FINANCE_SOURCE } from "./invoice-sql";
import { type PaymentView, paymentJson } from "./payment-json";

/** The event each status is announced by; a move to a status without one emits nothing. */
const EVENT_OF: Partial<Record<PaymentStatus, EventType>> = {
  requires_action: "payment.created",
  processing: "payment.processing",
  succeeded: "payment.succeeded",
  failed: "payment.failed",
  canceled: "payment.canceled",
  expired: "payment.expired",
  partially_refunded: "payment.refunded",
  refunded: "payment.refunded",
  disputed: "payment.disputed",
};

/** Who caused a change: a request's actor and id, or the provider/janitor (no actor). */
export interface ChangeOrigin {
  actorId: string | null;
  correlationId: string;
}

export interface PaymentChange {
  to: PaymentStatus;
  providerReference?: string | undefined;
  providerPaymentId?: string | undefined;
  checkoutUrl?: string | undefined;
  expiresAt?: Date | undefined;
  failureCode?: string | undefined;
  failureMessage?: string | undefined;
  /** The new total refunded (minor units), for the refund statuses. */
  amountRefundedMinor?: bigint | undefined;
  /** When the janitor asks next while the payment is in flight. */
  nextVerifyAt?: Date | undefined;
  /** The verification that led here: counted on the row. */
  verified?: boolean | undefined;
  /** For a move to succeeded: the invoice the payment pays, settled in the same transaction. */
  settles?: { invoiceId: string; amountMinor: bigint; currency: string } | undefined;
}

export interface TransitionTarget {
  db: Database;
  tenantId: string;
  region: RegionId;
  paymentId: string;
}

function eventSpec(type: EventType, origin: ChangeOrigin): EventSpec {
  return {
    eventId: crypto.randomUUID(),
    eventType: type,
    source: FINANCE_SOURCE,
    actorId: origin.actorId,
    correlationId: origin.correlationId,
  };
}

function setsOf(change: PaymentChange): SQL[] {
  const sets: SQL[] = [sql`status = ${change.to}`, sql`updated_at = now()`];
  if (change.providerReference !== undefined)
    sets.push(sql`provider_reference = ${change.providerReference}`);
  if (change.providerPaymentId !== undefined)
    sets.push(sql`provider_payment_id = ${change.providerPaymentId}`);
  if (change.checkoutUrl !== undefined) sets.push(sql`checkout_url = ${change.checkoutUrl}`);
  if (change.expiresAt !== undefined)
    sets.push(sql`expires_at = ${change.expiresAt.toISOString()}::timestamptz`);
  if (change.failureCode !== undefined) sets.push(sql`failure_code = ${change.failureCode}`);
  if (change.failureMessage !== undefined) sets.push(sql`failure_message = ${change.failureMessage}`);
  if (change.amountRefundedMinor !== undefined)
    sets.push(sql`amount_refunded_minor = ${change.amountRefundedMinor.toString()}::bigint`);
  if (change.to === "succeeded") sets.push(sql`succeeded_at = coalesce(succeeded_at, now())`);
  if (change.verified) sets.push(sql`last_verified_at = now()`, sql`verify_attempts = verify_attempts + 1`);
  // Only payments in flight are the janitor's; a settled one is never asked about again.
  sets.push(
    isInFlight(change.to) && change.nextVerifyAt
      ? sql`next_verify_at = ${change.nextVerifyAt.toISOString()}::timestamptz`
      : isInFlight(change.to)
        ? sql`next_verify_at = next_verify_at`
        : sql`next_verify_at = null`,
  );
  return sets;
}

/**
 * Moves one payment forward, or not at all: `UPDATE … WHERE status IN (allowed predecessors)`
 * (finance/payment-states.ts), with its `payment.*` event in the same statement and the
 * settlement of its invoice (invoice-settlement.ts, `invoice.paid | invoice.partially_paid`) in
 * the same batch — they commit together, and a transition that lost a race (another delivery,
 * the janitor) writes nothing. A refund may move a partially refunded
 * payment again, only to a larger refunded total.
 *
 * Answers the payment after the move, or undefined when it was not in a state to make it.
 */
export async function transitionPayment(
  target: TransitionTarget,
  change: PaymentChange,
  origin: ChangeOrigin,
): Promise<PaymentView | undefined> {
  const { db, tenantId, region, paymentId } = target;
  const predecessors = predecessorsOf(change.to);
  const refundGuard =
    change.amountRefundedMinor !== undefined
      ? sql`and amount_refunded_minor < ${change.amountRefundedMinor.toString()}::bigint`
      : sql``;
  const eventType = EVENT_OF[change.to];
  const event = eventType ? eventSpec(eventType, origin) : undefined;
  const change_ = sql`update payments set ${sql.join(setsOf(change), sql`, `)}
      where id = ${paymentId} and tenant_id = ${tenantId}
        and status in (${sql.join(
          predecessors.map((s) => sql`${s}`),
          sql`, `,
        )}) ${refundGuard}
      returning *`;
  const json = paymentJson("changed", region);
  const statements = [
    event
      ? withEvent(change_, event, json, sql`${json} as payment`)
      : sql`with changed as (${change_}) select ${json} as payment from changed`,
  ];
  const settles = change.to === "succeeded" ? change.settles : undefined;
  if (settles) {
    // Same batch, so the same transaction; and only if this transaction is the one that moved the
    // payment (its row version is ours): a transition that lost its race settles nothing.
    statements.push(
      invoicePaymentStatement(
        { tenantId, userId: origin.actorId, correlationId: origin.correlationId },
        settles.invoiceId,
        fromMinorUnits(settles.amountMinor, settles.currency),
        settles.currency,
        sql`exists (select 1 from payments p where p.id = ${paymentId} and p.status = 'succeeded'
                    and p.xmin = pg_current_xact_id()::xid)`,
      ),
    );
  }
  const [rows = []] = await tenantRows(db, tenantId, statements);
  return (rows[0] as { payment: PaymentView } | undefined)?.payment;
}

/**
 * A verification that found nothing to move: counted, and the janitor's next look scheduled.
 * Only while the payment is still in flight (a concurrent transition wins).
 */
export async function recordVerification(
  target: TransitionTarget,
  nextVerifyAt: Date,
  providerPaymentId?: string,
): Promise<void> {
  const { db, tenantId, paymentId } = target;
  await tenantRows(db, tenantId, [
    sql`update payments set last_verified_at = now(), verify_attempts = verify_attempts + 1,
          next_verify_at = ${nextVerifyAt.toISOString()}::timestamptz,
          provider_payment_id = coalesce(provider_payment_id, ${providerPaymentId ?? null}::text)
        where id = ${paymentId} and tenant_id = ${tenantId}
          and status in ('created', 'requires_action', 'processing')`,
  ]);
}
