// What the hosted checkout page needs from each provider: what is being paid, whether it can
// still be paid, and what Pay / Fail / Cancel do (move the provider state, send the webhooks,
// return where the browser goes next).

/** `fail_async` (Stripe only): a delayed payment method submitted, then failing. */
export type Outcome = "pay" | "fail" | "cancel" | "fail_async";

export interface HostedCheckout {
  provider: "stripe" | "paystack" | "flutterwave";
  /** The provider's own name for the payment (session id, reference, tx_ref). */
  reference: string;
  /** Product or merchant description shown on the page. */
  description: string;
  amountMinor: number;
  currency: string;
  email: string | null;
  /** Pay/Fail/Cancel are offered only while open. */
  open: boolean;
  status: string;
  /** What Fail does at this provider, shown under the button. */
  failNote: string;
  /** Outcomes besides pay, fail and cancel this provider offers, with their button labels. */
  extraOutcomes?: { outcome: Outcome; label: string }[];
  settle(outcome: Outcome): Promise<string | undefined>;
}

export type CheckoutLookup = (token: string) => HostedCheckout | undefined;
