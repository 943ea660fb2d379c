import { z } from "zod";
import type { PaymentStatus } from "../../../../db/schema/finance-enums";
import { ApiError } from "../../lib/errors";
import type {
  ConnectorCredentials,
  ConnectorOptions,
  InitiateRequest,
  InitiateResult,
  PaymentConnector,
  PaymentRef,
  RefundResult,
  VerifiedPayment,
  WebhookParseResult,
} from "./connector";
import { jsonNumber, parseJsonExact, parseJsonExactBytes } from "./exact-json";
import { providerFetch, providerRefusal, readAnswer } from "./provider-http";
import { bodyDigest, hexBytes, hmacMatchesAny } from "./webhook-crypto";

/**
 * Paystack over its REST API (api.paystack.co; the official SDK is not Workers-safe): hosted
 * checkout through `POST /transaction/initialize`, the truth through `GET /transaction/verify/:reference`,
 * refunds through `POST /refund`. Amounts are integers in the subunit (kobo), as we keep them.
 *
 * Webhooks carry `x-paystack-signature`: hex HMAC-SHA512 of the raw body keyed by the secret
 * key. Paystack has no separate webhook secret, so after a key rotation the previous key is what
 * `webhookSecrets` holds for the grace period. It sends no event id: the dedupe key is
 * `event:data.id`.
 */

const PROVIDER = "Paystack";
const DEFAULT_BASE_URL = "https://api.paystack.co";

/** Hyperswitch's Paystack map (research/finance.md), onto the unified set. */
const STATUS: Readonly<Record<string, PaymentStatus>> = {
  success: "succeeded",
  abandoned: "requires_action",
  ongoing: "processing",
  pending: "processing",
  processing: "processing",
  queued: "processing",
  failed: "failed",
  reversed: "refunded",
};

/** Numbers arrive as their source text (exact-json.ts). */
const integerText = z.string().regex(/^\d+$/);
const idText = z.union([z.string(), z.number()]).transform(String);

const Envelope = <T extends z.ZodType>(data: T) =>
  z.object({ status: z.literal(true), message: z.string(), data });

const Initialized = Envelope(
  z.object({ authorization_url: z.url(), access_code: z.string().optional(), reference: z.string().min(1) }),
);

const Transaction = Envelope(
  z.object({
    id: idText,
    status: z.string(),
    reference: z.string(),
    amount: integerText,
    currency: z.string().length(3),
    gateway_response: z.string().nullish(),
  }),
);

const Refund = Envelope(z.object({ id: idText, status: z.string().optional() }).loose());

const WebhookBody = z.object({
  event: z.string().min(1),
  data: z
    .object({
      id: idText.optional(),
      reference: z.string().optional(),
      transaction_reference: z.string().optional(),
      refund_reference: z.string().optional(),
    })
    .loose(),
});

export class PaystackConnector implements PaymentConnector {
  readonly provider = "paystack" as const;
  readonly #baseUrl: string;

  constructor(
    private readonly credentials: ConnectorCredentials,
    private readonly options: ConnectorOptions,
  ) {
    this.#baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
  }

  async #call(method: "GET" | "POST", path: string, body?: Record<string, unknown>) {
    const answer = await providerFetch({
      provider: PROVIDER,
      method,
      url: `${this.#baseUrl}${path}`,
      secretKey: this.credentials.secretKey,
      timeoutMs: this.options.timeoutMs,
      body: body === undefined ? undefined : JSON.stringify(body),
      parse: parseJsonExact,
    });
    if (answer.status >= 300) throw providerRefusal(PROVIDER, answer.status, answer.json);
    return answer.json;
  }

  async initiate(request: InitiateRequest): Promise<InitiateResult> {
    const json = await this.#call("POST", "/transaction/initialize", {
      email: request.customerEmail,
      amount: jsonNumber(request.amountMinor.toString()),
      currency: request.currency,
      reference: request.reference,
      callback_url: request.returnUrl,
      metadata: {
        payment_id: request.paymentId,
        description: request.description,
        cancel_action: request.returnUrl,
      },
    });
    const { data } = readAnswer(PROVIDER, Initialized, json);
    return { providerReference: data.reference, checkoutUrl: data.authorization_url };
  }

  async verify(payment: PaymentRef): Promise<VerifiedPayment> {
    const json = await this.#call(
      "GET",
      `/transaction/verify/${encodeURIComponent(payment.providerReference)}`,
    );
    const { data } = readAnswer(PROVIDER, Transaction, json);
    const status = STATUS[data.status] ?? "processing";
    return {
      status,
      providerReference: data.reference,
      providerPaymentId: data.id,
      amountMinor: BigInt(data.amount),
      currency: data.currency.toUpperCase(),
      ...(status === "failed"
        ? { failureCode: data.status, failureMessage: data.gateway_response ?? undefined }
        : {}),
    };
  }

  async parseWebhook(raw: Uint8Array, headers: Headers): Promise<WebhookParseResult> {
    const header = headers.get("x-paystack-signature");
    if (!header) return { verified: false, reason: "missing_signature" };
    const signature = hexBytes(header.trim());
    const bytes = new Uint8Array(raw);
    const secrets = [this.credentials.secretKey, ...this.credentials.webhookSecrets];
    if (!signature || !(await hmacMatchesAny("SHA-512", secrets, signature, bytes))) {
      return { verified: false, reason: "bad_signature" };
    }
    let body: z.infer<typeof WebhookBody>;
    try {
      body = WebhookBody.parse(parseJsonExactBytes(bytes));
    } catch {
      return { verified: false, reason: "malformed" };
    }
    const { event, data } = body;
    const reference = data.transaction_reference ?? data.reference;
    const eventKey = `${event}:${data.id ?? data.refund_reference ?? `sha256:${await bodyDigest(bytes)}`}`;
    return {
      verified: true,
      event: {
        eventKey,
        eventType: event,
        payment: reference
          ? {
              providerReference: reference,
              providerPaymentId: event === "charge.success" ? data.id : undefined,
            }
          : undefined,
      },
    };
  }

  async refund(payment: PaymentRef, amountMinor: bigint): Promise<RefundResult> {
    if (amountMinor <= 0n)
      throw new ApiError("VALIDATION_ERROR", "A refund must be more than zero", { field: "amount" });
    const json = await this.#call("POST", "/refund", {
      transaction: payment.providerPaymentId ?? payment.providerReference,
      amount: jsonNumber(amountMinor.toString()),
    });
    const { data } = readAnswer(PROVIDER, Refund, json);
    const status =
      data.status === "processed" ? "succeeded" : data.status === "failed" ? "failed" : "pending";
    return { providerRefundId: data.id, status };
  }
}
