import type { PaymentStatus } from "../../../db/schema/finance-enums";

/**
 * The one payment state machine (research/finance.md): only forward moves. Each status lists the
 * statuses it may be reached from; a transition is applied as `UPDATE … WHERE status IN (those)`,
 * so two deliveries racing for the same move cannot both make it, and nothing ever moves back.
 *
 * `created → requires_action → processing → succeeded | failed | canceled | expired`; a provider
 * may report the final state without passing through `processing` (or even `requires_action`, when
 * the attempt was never handed a checkout), so those are predecessors too. A succeeded payment only
 * moves on to refunds and disputes.
 */
const PREDECESSORS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  created: [],
  requires_action: ["created"],
  processing: ["created", "requires_action"],
  succeeded: ["created", "requires_action", "processing"],
  failed: ["created", "requires_action", "processing"],
  canceled: ["created", "requires_action", "processing"],
  expired: ["created", "requires_action", "processing"],
  // A partial refund after another partial one stays partially_refunded (the amount grows).
  partially_refunded: ["succeeded", "partially_refunded"],
  refunded: ["succeeded", "partially_refunded"],
  disputed: ["succeeded", "partially_refunded"],
};

/** The statuses a payment may be in for it to move to `to`. */
export function predecessorsOf(to: PaymentStatus): readonly PaymentStatus[] {
  return PREDECESSORS[to];
}

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return PREDECESSORS[to].includes(from);
}

/**
 * An attempt still `created` this long after it was recorded never got its checkout link back to
 * the client (the request died or the provider failed between the two writes): nobody holds a
 * link to pay it. If the provider cannot confirm it either, it is canceled, so it no longer holds
 * its invoice's one in-flight payment (payments_one_in_flight_per_invoice). Far longer than any
 * provider call is allowed to take.
 */
export const UNISSUED_ATTEMPT_GRACE_MS = 2 * 60_000;

/** Where nothing more happens without a refund or dispute: the janitor stops asking. */
export const SETTLED_STATUSES: readonly PaymentStatus[] = [
  "succeeded",
  "failed",
  "canceled",
  "expired",
  "partially_refunded",
  "refunded",
  "disputed",
];

export function isInFlight(status: PaymentStatus): boolean {
  return status === "created" || status === "requires_action" || status === "processing";
}

/**
 * When the janitor asks the provider again after `attempts` verifications (Kill Bill's janitor):
 * soon after the customer was sent to the checkout, then less often, hourly at most.
 */
const VERIFY_BACKOFF_MINUTES = [1, 5, 15, 60] as const;

export function nextVerifyDelayMs(attempts: number): number {
  const minutes = VERIFY_BACKOFF_MINUTES[Math.min(attempts, VERIFY_BACKOFF_MINUTES.length - 1)] ?? 60;
  return minutes * 60_000;
}
