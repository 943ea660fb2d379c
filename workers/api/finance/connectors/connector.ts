import type { PaymentProvider, PaymentStatus } from "../../../../db/schema/finance-enums";

/**
 * One interface over every payment provider (Hyperswitch's ConnectorIntegration, Medusa's
 * AbstractPaymentProvider): the finance services never speak a provider's wire format, and a
 * connector never touches the database. Amounts cross this boundary as integers in the
 * currency's minor unit (workers/api/finance/money.ts); a connector converts to what its
 * provider takes (Flutterwave: major-unit decimals).
 *
 * Errors: a provider that refuses the request (bad key, invalid amount) throws
 * `ApiError("VALIDATION_ERROR" | "UNAUTHORIZED"-like codes)` with the provider's message; one
 * that cannot be reached or answers 5xx or past the deadline throws a 503 `ApiError.unavailable`.
 * Nothing a provider says reaches the client unfiltered beyond its error message.
 */
export interface PaymentConnector {
  readonly provider: PaymentProvider;
  /** Starts a hosted checkout. Sends `Idempotency-Key`/the reference so a retry never charges twice. */
  initiate(request: InitiateRequest): Promise<InitiateResult>;
  /** Asks the provider for the truth about one payment (verify-by-pull: a webhook is only a hint). */
  verify(payment: PaymentRef): Promise<VerifiedPayment>;
  /**
   * Checks a webhook's signature over the raw bytes, in constant time, with every secret that is
   * currently valid, and reads what it is about. Never throws for a bad webhook: it answers
   * `{ verified: false, reason }` so the caller only counts it.
   */
  parseWebhook(raw: Uint8Array, headers: Headers, now: Date): Promise<WebhookParseResult>;
  /** `options.idempotencyKey` (our refund's id) makes a retried refund one refund where the provider supports it (Stripe). */
  refund(payment: PaymentRef, amountMinor: bigint, options?: RefundOptions): Promise<RefundResult>;
}

export interface RefundOptions {
  idempotencyKey?: string | undefined;
}

export interface ConnectorCredentials {
  secretKey: string;
  /** Stripe `whsec_…` or Flutterwave's secret hash; during a rotation the previous one too. */
  webhookSecrets: readonly string[];
}

export interface ConnectorOptions {
  /**
   * The provider's API base (`PAYMENT_PROVIDER_URLS` in dev and tests points at the stand-in in
   * regions/payment-providers/); undefined: the provider's real API.
   */
  baseUrl?: string | undefined;
  /** Deadline for each provider call, in ms. */
  timeoutMs: number;
}

export interface InitiateRequest {
  /** Our payment id: the Idempotency-Key sent to the provider and the metadata that links back. */
  paymentId: string;
  /**
   * The reference we choose where the provider lets us (Paystack `reference`, Flutterwave
   * `tx_ref`): unique per attempt, and only `-`, `.`, `=` and alphanumerics (Paystack's rule).
   */
  reference: string;
  amountMinor: bigint;
  /** ISO 4217, upper case. */
  currency: string;
  customerEmail: string;
  returnUrl: string;
  /** What the customer sees on the checkout page (e.g. "Invoice INV-000042"). */
  description: string;
  expiresAt?: Date | undefined;
}

export interface InitiateResult {
  /** Paystack `reference`, Flutterwave `tx_ref`, Stripe checkout session id (`cs_…`). */
  providerReference: string;
  checkoutUrl: string;
  providerPaymentId?: string | undefined;
  expiresAt?: Date | undefined;
}

export interface PaymentRef {
  providerReference: string;
  providerPaymentId?: string | null | undefined;
}

export interface VerifiedPayment {
  /** Mapped to the unified set (Paystack `success` → succeeded, `abandoned` → requires_action, …). */
  status: PaymentStatus;
  providerReference: string;
  providerPaymentId?: string | undefined;
  /**
   * What the provider holds. Flutterwave knows a transaction only once the customer submitted
   * its checkout: before that `verify` answers `requires_action` with `0n` and `""` here, so
   * compare amount and currency only on a status past `requires_action`.
   */
  amountMinor: bigint;
  currency: string;
  amountRefundedMinor?: bigint | undefined;
  failureCode?: string | undefined;
  failureMessage?: string | undefined;
}

export type WebhookParseResult =
  | { verified: true; event: WebhookHint }
  | { verified: false; reason: WebhookRejection };

export type WebhookRejection = "missing_signature" | "bad_signature" | "stale_timestamp" | "malformed";

/** What a verified webhook says happened; the payment only moves after `verify` agrees. */
export interface WebhookHint {
  /** Unique per provider event: the dedupe key (Stripe `evt_…`, Paystack `event:data.id`, …). */
  eventKey: string;
  /** The provider's own event type (`checkout.session.completed`, `charge.success`, …). */
  eventType: string;
  /** Which payment it is about, if it is about one we could have made. */
  payment?: PaymentRef | undefined;
  /**
   * Our payment id, where the event echoes it back (Stripe `client_reference_id` or
   * `metadata.payment_id`): Stripe's payment_intent and charge events name no checkout session.
   */
  paymentId?: string | undefined;
  /**
   * The provider's own id of the payment where the event names only that (a Stripe dispute or
   * charge names its PaymentIntent, not the checkout session): matched against the payment's
   * `provider_payment_id`, which verify recorded.
   */
  providerPaymentId?: string | undefined;
}

export interface RefundResult {
  providerRefundId: string;
  /** Whether the provider already completed it or will tell us later. */
  status: "succeeded" | "pending" | "failed";
}
