import Stripe from "stripe";
import type { PaymentStatus } from "../../../../db/schema/finance-enums";
import { ApiError } from "../../lib/errors";
import { providerFetcher } from "../../observability/traced-fetch";
import type {
  ConnectorCredentials,
  ConnectorOptions,
  InitiateRequest,
  InitiateResult,
  PaymentConnector,
  PaymentRef,
  RefundOptions,
  RefundResult,
  VerifiedPayment,
  WebhookHint,
  WebhookParseResult,
} from "./connector";

/**
 * Stripe through the official `stripe` package: its Workers build (the `workerd` export
 * condition), the fetch HTTP client and SubtleCrypto for webhooks (the synchronous verifier
 * throws on Workers, stripe-node#1942). A payment is a hosted Checkout Session; the truth is the
 * session and its PaymentIntent (and that intent's latest charge, for refunds and disputes).
 *
 * Webhooks: `Stripe-Signature` checked by `constructEventAsync` with a 300 s tolerance against
 * each valid `whsec_…` (the header may carry several v1 values during Stripe's own rotation;
 * any match passes). Dedupe key: the event's `evt_…` id.
 */

const PROVIDER = "Stripe";
/** Stripe's default tolerance; `signature.verifyHeader` alone would default to 0 = no check. */
const TOLERANCE_SECONDS = 300;
/** A Checkout Session lives between 30 minutes and 24 hours (Stripe's bounds), a little inside them. */
const MIN_SESSION_SECONDS = 30 * 60 + 60;
const MAX_SESSION_SECONDS = 24 * 60 * 60 - 60;
const RETRY_AFTER_SECONDS = 5;

/** Lago's and Hyperswitch's PaymentIntent map, onto the unified set. */
const INTENT_STATUS: Readonly<Record<Stripe.PaymentIntent.Status, PaymentStatus>> = {
  succeeded: "succeeded",
  processing: "processing",
  requires_action: "requires_action",
  requires_confirmation: "requires_action",
  requires_payment_method: "requires_action",
  requires_capture: "processing",
  canceled: "canceled",
};

const cryptoProvider = Stripe.createSubtleCryptoProvider();

export class StripeConnector implements PaymentConnector {
  readonly provider = "stripe" as const;
  readonly #stripe: Stripe;

  constructor(
    private readonly credentials: ConnectorCredentials,
    options: ConnectorOptions,
  ) {
    const base = options.baseUrl ? new URL(options.baseUrl) : undefined;
    const protocol = base?.protocol === "http:" ? "http" : "https";
    this.#stripe = new Stripe(credentials.secretKey, {
      httpClient: Stripe.createFetchHttpClient(providerFetcher("Stripe")),
      timeout: options.timeoutMs,
      // A retry carries the same Idempotency-Key, so it can never charge twice.
      maxNetworkRetries: 1,
      // Stripe's paths are rooted at /v1: only the base URL's origin counts.
      ...(base ? { host: base.hostname, port: base.port || (protocol === "http" ? 80 : 443), protocol } : {}),
    });
  }

  async initiate(request: InitiateRequest): Promise<InitiateResult> {
    const unitAmount = Number(request.amountMinor);
    if (!Number.isSafeInteger(unitAmount) || unitAmount <= 0) {
      throw new ApiError("VALIDATION_ERROR", "The amount is out of Stripe's range", { field: "amount" });
    }
    const nowSeconds = Math.floor(Date.now() / 1000);
    const expiresAt = request.expiresAt
      ? Math.min(
          nowSeconds + MAX_SESSION_SECONDS,
          Math.max(nowSeconds + MIN_SESSION_SECONDS, Math.floor(request.expiresAt.getTime() / 1000)),
        )
      : undefined;
    const metadata = { payment_id: request.paymentId, reference: request.reference };
    const session = await this.#send(() =>
      this.#stripe.checkout.sessions.create(
        {
          mode: "payment",
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: request.currency.toLowerCase(),
                unit_amount: unitAmount,
                product_data: { name: request.description },
              },
            },
          ],
          success_url: request.returnUrl,
          cancel_url: request.returnUrl,
          client_reference_id: request.paymentId,
          customer_email: request.customerEmail,
          metadata,
          // On the intent too, so its events (and refunds, disputes) lead back to the payment.
          payment_intent_data: { metadata },
          ...(expiresAt === undefined ? {} : { expires_at: expiresAt }),
        },
        { idempotencyKey: request.paymentId },
      ),
    );
    if (!session.url) throw unexpected(new Error("checkout session without url"));
    return {
      providerReference: session.id,
      checkoutUrl: session.url,
      providerPaymentId: idOf(session.payment_intent),
      expiresAt: new Date(session.expires_at * 1000),
    };
  }

  async verify(payment: PaymentRef): Promise<VerifiedPayment> {
    const session = await this.#send(() =>
      this.#stripe.checkout.sessions.retrieve(payment.providerReference, {
        expand: ["payment_intent.latest_charge"],
      }),
    );
    const intent = await this.#intentOf(session.payment_intent);
    const charge = await this.#chargeOf(intent?.latest_charge ?? null);
    const status = statusOf(session, intent, charge);
    const amount = session.amount_total ?? intent?.amount;
    const currency = session.currency ?? intent?.currency;
    if (amount === undefined || amount === null || !currency)
      throw unexpected(new Error("session without amount"));
    const error = intent?.last_payment_error;
    return {
      status,
      providerReference: session.id,
      providerPaymentId: intent?.id,
      amountMinor: BigInt(amount),
      currency: currency.toUpperCase(),
      ...(charge ? { amountRefundedMinor: BigInt(charge.amount_refunded) } : {}),
      ...(status === "failed" && error
        ? { failureCode: error.decline_code ?? error.code, failureMessage: error.message }
        : {}),
    };
  }

  async parseWebhook(raw: Uint8Array, headers: Headers, now: Date): Promise<WebhookParseResult> {
    const header = headers.get("stripe-signature");
    if (!header) return { verified: false, reason: "missing_signature" };
    let stale = false;
    for (const secret of this.credentials.webhookSecrets) {
      try {
        const event = await this.#stripe.webhooks.constructEventAsync(
          raw,
          header,
          secret,
          TOLERANCE_SECONDS,
          cryptoProvider,
          now.getTime(),
        );
        return { verified: true, event: hintOf(event) };
      } catch (error) {
        // The timestamp is judged only after a signature matched: this secret signed it, too long ago.
        if (error instanceof Error && /tolerance/i.test(error.message)) stale = true;
        else if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) {
          return { verified: false, reason: "malformed" };
        }
      }
    }
    return { verified: false, reason: stale ? "stale_timestamp" : "bad_signature" };
  }

  async refund(payment: PaymentRef, amountMinor: bigint, options: RefundOptions = {}): Promise<RefundResult> {
    const amount = Number(amountMinor);
    if (!Number.isSafeInteger(amount) || amount <= 0) {
      throw new ApiError("VALIDATION_ERROR", "A refund must be more than zero", { field: "amount" });
    }
    let intentId = payment.providerPaymentId ?? undefined;
    if (!intentId) {
      const session = await this.#send(() =>
        this.#stripe.checkout.sessions.retrieve(payment.providerReference),
      );
      intentId = idOf(session.payment_intent);
    }
    if (!intentId)
      throw new ApiError("BAD_REQUEST", `${PROVIDER}: the payment was never charged, nothing to refund`);
    const paymentIntent = intentId;
    const refund = await this.#send(() =>
      this.#stripe.refunds.create(
        { payment_intent: paymentIntent, amount },
        options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : undefined,
      ),
    );
    const status =
      refund.status === "succeeded"
        ? "succeeded"
        : refund.status === "failed" || refund.status === "canceled"
          ? "failed"
          : "pending";
    return { providerRefundId: refund.id, status };
  }

  /** The session's intent as an object (expanded, or fetched when the API answered only its id). */
  async #intentOf(value: string | Stripe.PaymentIntent | null): Promise<Stripe.PaymentIntent | null> {
    if (value === null || typeof value === "object") return value;
    return this.#send(() => this.#stripe.paymentIntents.retrieve(value, { expand: ["latest_charge"] }));
  }

  /** The intent's latest charge as an object (refunds and disputes live there), fetched when unexpanded. */
  async #chargeOf(value: string | Stripe.Charge | null): Promise<Stripe.Charge | null> {
    if (value === null || typeof value === "object") return value;
    return this.#send(() => this.#stripe.charges.retrieve(value));
  }

  /** One Stripe call with connector.ts's error rule. */
  async #send<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw stripeError(error);
    }
  }
}

function statusOf(
  session: Stripe.Checkout.Session,
  intent: Stripe.PaymentIntent | null,
  charge: Stripe.Charge | null,
): PaymentStatus {
  if (session.payment_status === "paid" || intent?.status === "succeeded") {
    if (charge?.disputed) return "disputed";
    if (charge?.refunded) return "refunded";
    if (charge && charge.amount_refunded > 0) return "partially_refunded";
    return "succeeded";
  }
  if (session.status === "expired") return "expired";
  const intentStatus = intent ? INTENT_STATUS[intent.status] : undefined;
  if (session.status === "complete") {
    // Completed but unpaid: an asynchronous method (SEPA debit, …) still clearing, or one that failed.
    if (intent?.status === "requires_payment_method") return "failed";
    return intentStatus === "canceled" ? "canceled" : "processing";
  }
  // Open: the customer is still on the page (a declined card may be retried there).
  return intentStatus === "processing" || intentStatus === "canceled" ? intentStatus : "requires_action";
}

function hintOf(event: Stripe.Event): WebhookHint {
  const object = event.data.object as unknown as Record<string, unknown>;
  const metadata = (object.metadata ?? {}) as Record<string, string | undefined>;
  const paymentId =
    (typeof object.client_reference_id === "string" ? object.client_reference_id : undefined) ??
    metadata.payment_id;
  const hint: WebhookHint = { eventKey: event.id, eventType: event.type, paymentId };
  if (object.object === "checkout.session" && typeof object.id === "string") {
    hint.payment = { providerReference: object.id, providerPaymentId: idOf(object.payment_intent as never) };
  } else if (object.object === "payment_intent" && typeof object.id === "string") {
    hint.providerPaymentId = object.id;
  } else if (["charge", "dispute", "refund"].includes(String(object.object))) {
    // A dispute or refund carries no metadata of ours: its PaymentIntent leads to the payment.
    hint.providerPaymentId = idOf(object.payment_intent as never);
  }
  return hint;
}

function idOf(value: string | { id: string } | null | undefined): string | undefined {
  if (!value) return undefined;
  return typeof value === "string" ? value : value.id;
}

function unexpected(cause: unknown): ApiError {
  return ApiError.unavailable(`${PROVIDER} answered in an unexpected format`, RETRY_AFTER_SECONDS, cause);
}

/** Stripe's error classes onto the API's: its message for a refusal, a 503 for anything transient. */
function stripeError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (!(error instanceof Stripe.errors.StripeError)) {
    return ApiError.unavailable(`${PROVIDER} could not be reached`, RETRY_AFTER_SECONDS, error);
  }
  const transient =
    error.type === "StripeConnectionError" ||
    error.type === "StripeAPIError" ||
    error.type === "StripeRateLimitError" ||
    (error.statusCode ?? 0) >= 500;
  if (transient) {
    return ApiError.unavailable(`${PROVIDER} is unavailable; try again later`, RETRY_AFTER_SECONDS, error);
  }
  return new ApiError("BAD_REQUEST", `${PROVIDER}: ${error.message.slice(0, 300)}`, { cause: error });
}
