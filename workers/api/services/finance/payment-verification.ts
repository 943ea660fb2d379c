import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import type { PaymentStatus } from "../../../../db/schema/finance-enums";
import type { RegionId } from "../../../../regions/registry";
import type { PaymentConnector, VerifiedPayment } from "../../finance/connectors/connector";
import { canTransition, isInFlight, nextVerifyDelayMs } from "../../finance/payment-states";
import type { PaymentView } from "./payment-json";
import {
  type ChangeOrigin,
  type PaymentChange,
  recordVerification,
  transitionPayment,
} from "./payment-transitions";

/** What verify-by-pull compares and moves: the stored payment. */
export interface StoredPayment {
  id: string;
  status: PaymentStatus;
  currency: string;
  amountMinor: bigint;
  amountRefundedMinor: bigint;
  connectionId: string;
  invoiceId: string | null;
  providerReference: string;
  providerPaymentId: string | null;
  expiresAt: Date | null;
  verifyAttempts: number;
  /** When the attempt was recorded (`created`). */
  createdAt: Date;
}

/** The select list storedPaymentOf reads, from `payments` (no alias). */
export const STORED_PAYMENT_COLUMNS = sql`id, status, currency, amount_minor::text as amount_minor,
  amount_refunded_minor::text as refunded, connection_id, invoice_id, provider_reference, provider_payment_id,
  expires_at, verify_attempts, created_at`;

interface StoredPaymentRow {
  id: string;
  status: PaymentStatus;
  currency: string;
  amount_minor: string;
  refunded: string;
  connection_id: string;
  invoice_id: string | null;
  provider_reference: string;
  provider_payment_id: string | null;
  expires_at: string | null;
  verify_attempts: number;
  created_at: string | Date;
}

/** A row of STORED_PAYMENT_COLUMNS as a StoredPayment (undefined for no row). */
export function storedPaymentOf(row: unknown): StoredPayment | undefined {
  const r = row as StoredPaymentRow | undefined;
  if (!r) return undefined;
  return {
    id: r.id,
    status: r.status,
    currency: r.currency.trim(),
    amountMinor: BigInt(r.amount_minor),
    amountRefundedMinor: BigInt(r.refunded),
    connectionId: r.connection_id,
    invoiceId: r.invoice_id,
    providerReference: r.provider_reference,
    providerPaymentId: r.provider_payment_id,
    expiresAt: r.expires_at ? new Date(r.expires_at) : null,
    verifyAttempts: Number(r.verify_attempts),
    createdAt: new Date(r.created_at),
  };
}

export async function loadStoredPayment(
  db: Database,
  tenantId: string,
  paymentId: string,
): Promise<StoredPayment | undefined> {
  const [rows = []] = await tenantRows(db, tenantId, [
    sql`select ${STORED_PAYMENT_COLUMNS} from payments where id = ${paymentId} and tenant_id = ${tenantId}`,
  ]);
  return storedPaymentOf(rows[0]);
}

export type ReconcileOutcome =
  | { kind: "moved"; payment: PaymentView }
  | { kind: "unchanged"; status: PaymentStatus }
  | { kind: "mismatch"; reason: string };

/** Why what the provider says cannot be about this payment, or undefined when it is. */
export function mismatchOf(payment: StoredPayment, verified: VerifiedPayment): string | undefined {
  if (verified.providerReference !== payment.providerReference) {
    return `reference ${verified.providerReference} is not the payment's ${payment.providerReference}`;
  }
  // Before the customer submitted a checkout some providers (Flutterwave) know no amount yet.
  if (verified.status === "created" || verified.status === "requires_action") return undefined;
  if (verified.currency.toUpperCase() !== payment.currency) {
    return `currency ${verified.currency.toUpperCase()} is not the payment's ${payment.currency}`;
  }
  if (verified.amountMinor !== payment.amountMinor) {
    return `amount ${verified.amountMinor} is not the payment's ${payment.amountMinor} (minor units)`;
  }
  return undefined;
}

/** Where the provider's word moves the payment, if anywhere (only forward). */
function changeFor(payment: StoredPayment, verified: VerifiedPayment, now: Date): PaymentChange | undefined {
  const refunded = verified.amountRefundedMinor ?? 0n;
  let to: PaymentStatus | undefined = verified.status;
  if (
    (payment.status === "succeeded" || payment.status === "partially_refunded") &&
    refunded > payment.amountRefundedMinor
  ) {
    to = refunded >= payment.amountMinor ? "refunded" : "partially_refunded";
  } else if (isInFlight(verified.status) && isInFlight(payment.status)) {
    // Still waiting on the customer: once the checkout has expired nobody can pay it any more.
    to = payment.expiresAt && payment.expiresAt <= now ? "expired" : verified.status;
  }
  if (!to || to === payment.status || !canTransition(payment.status, to)) return undefined;
  return {
    to,
    providerPaymentId: verified.providerPaymentId,
    failureCode: to === "failed" ? (verified.failureCode ?? "provider_declined") : undefined,
    failureMessage: to === "failed" ? verified.failureMessage : undefined,
    amountRefundedMinor: to === "refunded" || to === "partially_refunded" ? refunded : undefined,
    nextVerifyAt: isInFlight(to)
      ? new Date(now.getTime() + nextVerifyDelayMs(payment.verifyAttempts + 1))
      : undefined,
    verified: true,
    settles:
      to === "succeeded" && payment.invoiceId
        ? { invoiceId: payment.invoiceId, amountMinor: payment.amountMinor, currency: payment.currency }
        : undefined,
  };
}

export interface ReconcileDeps {
  db: Database;
  tenantId: string;
  region: RegionId;
  connector: PaymentConnector;
  origin: ChangeOrigin;
  now?: Date;
  /** The janitor counts a look that changed nothing and schedules the next; a webhook leaves the row alone. */
  schedule: boolean;
}

/**
 * Verify-by-pull (Hyperswitch's PSync, Lago's Flutterwave re-verify): asks the provider for the
 * truth about the payment; amount, currency and reference must be the payment's own, or nothing
 * moves. Then the forward transition the provider's status calls for, if any.
 */
export async function reconcilePayment(
  deps: ReconcileDeps,
  payment: StoredPayment,
): Promise<ReconcileOutcome> {
  const now = deps.now ?? new Date();
  const verified = await deps.connector.verify({
    providerReference: payment.providerReference,
    providerPaymentId: payment.providerPaymentId,
  });
  const target = { db: deps.db, tenantId: deps.tenantId, region: deps.region, paymentId: payment.id };
  const schedule = () =>
    deps.schedule && isInFlight(payment.status)
      ? recordVerification(
          target,
          new Date(now.getTime() + nextVerifyDelayMs(payment.verifyAttempts + 1)),
          verified.providerPaymentId,
        )
      : Promise.resolve();
  const mismatch = mismatchOf(payment, verified);
  if (mismatch) {
    await schedule();
    return { kind: "mismatch", reason: mismatch };
  }
  const change = changeFor(payment, verified, now);
  if (change) {
    const moved = await transitionPayment(target, change, deps.origin);
    if (moved) return { kind: "moved", payment: moved };
  }
  await schedule();
  return { kind: "unchanged", status: payment.status };
}
