import { z } from "zod";
import type { PaymentStatus } from "../../../../db/schema/finance-enums";
import { ApiError } from "../../lib/errors";
import { fromMinorUnits, toMinorUnits } from "../money";
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
import { providerFetch, providerRefusal, readAnswer, unexpectedAnswer } from "./provider-http";
import { base64Bytes, bodyDigest, hmacMatchesAny, sharedSecretMatchesAny } from "./webhook-crypto";

/**
 * Flutterwave over its v3 REST API (api.flutterwave.com/v3; the official SDK pulls axios and
 * node-forge): Standard checkout through `POST /payments`, the truth through
 * `GET /transactions/verify_by_reference?tx_ref=`, refunds through
 * `POST /transactions/:id/refund`. Flutterwave takes and answers amounts in MAJOR units as JSON
 * numbers: they cross this file as exact decimal text (exact-json.ts) converted by money.ts.
 *
 * Webhooks: v3 sends `verif-hash` equal to the dashboard's secret hash; v4 sends
 * `flutterwave-signature`, base64 HMAC-SHA256 of the raw body keyed by the same secret hash. A
 * v4 signature, when present, is what is checked. Dedupe key: v4's `wbk_…` id, else `event:data.id`.
 */

const PROVIDER = "Flutterwave";
/** The API's origin; every path is under /v3 (PAYMENT_PROVIDER_URLS names the origin, as for the stand-in). */
const DEFAULT_BASE_URL = "https://api.flutterwave.com";
/** Flutterwave's ceiling on a hosted link's lifetime. */
const MAX_SESSION_MINUTES = 1440;

/** Lago's Flutterwave map (pending / successful / failed, cancelled) plus v4's spellings. */
const STATUS: Readonly<Record<string, PaymentStatus>> = {
  successful: "succeeded",
  succeeded: "succeeded",
  completed: "succeeded",
  pending: "processing",
  processing: "processing",
  failed: "failed",
  error: "failed",
  cancelled: "canceled",
  canceled: "canceled",
};

const decimalText = z.string().regex(/^\d+(\.\d+)?$/);
const idText = z.union([z.string(), z.number()]).transform(String);

const Envelope = <T extends z.ZodType>(data: T) =>
  z.object({ status: z.literal("success"), message: z.string().optional(), data });

const HostedLink = Envelope(z.object({ link: z.url() }));

const Transaction = Envelope(
  z.object({
    id: idText,
    tx_ref: z.string(),
    status: z.string(),
    amount: decimalText,
    currency: z.string().length(3),
    processor_response: z.string().nullish(),
  }),
);

const Refund = Envelope(z.object({ id: idText, status: z.string().optional() }).loose());

const WebhookBody = z.object({
  id: idText.optional(),
  webhook_id: z.string().optional(),
  event: z.string().optional(),
  type: z.string().optional(),
  data: z
    .object({ id: idText.optional(), tx_ref: z.string().optional(), reference: z.string().optional() })
    .loose(),
});

export class FlutterwaveConnector implements PaymentConnector {
  readonly provider = "flutterwave" as const;
  readonly #baseUrl: string;

  constructor(
    private readonly credentials: ConnectorCredentials,
    private readonly options: ConnectorOptions,
  ) {
    this.#baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
  }

  async #call(method: "GET" | "POST", path: string, body?: Record<string, unknown>) {
    return providerFetch({
      provider: PROVIDER,
      method,
      url: `${this.#baseUrl}/v3${path}`,
      secretKey: this.credentials.secretKey,
      timeoutMs: this.options.timeoutMs,
      body: body === undefined ? undefined : JSON.stringify(body),
      parse: parseJsonExact,
    });
  }

  async initiate(request: InitiateRequest): Promise<InitiateResult> {
    const minutes = request.expiresAt
      ? Math.min(
          MAX_SESSION_MINUTES,
          Math.max(1, Math.ceil((request.expiresAt.getTime() - Date.now()) / 60_000)),
        )
      : undefined;
    const answer = await this.#call("POST", "/payments", {
      tx_ref: request.reference,
      amount: jsonNumber(fromMinorUnits(request.amountMinor, request.currency)),
      currency: request.currency,
      redirect_url: request.returnUrl,
      customer: { email: request.customerEmail },
      customizations: { title: request.description },
      meta: { payment_id: request.paymentId },
      ...(minutes === undefined ? {} : { session_duration: minutes }),
    });
    if (answer.status >= 300) throw providerRefusal(PROVIDER, answer.status, answer.json);
    const { data } = readAnswer(PROVIDER, HostedLink, answer.json);
    return {
      providerReference: request.reference,
      checkoutUrl: data.link,
      ...(request.expiresAt ? { expiresAt: request.expiresAt } : {}),
    };
  }

  async verify(payment: PaymentRef): Promise<VerifiedPayment> {
    // By our tx_ref, never by an id from a webhook: v4 webhooks name `chg_…` ids the v3 API does not know.
    const answer = await this.#call(
      "GET",
      `/transactions/verify_by_reference?tx_ref=${encodeURIComponent(payment.providerReference)}`,
    );
    if (answer.status >= 300) {
      // Flutterwave creates the transaction only when the customer submits the checkout: before
      // that, the reference is unknown to it. The payment is still waiting on the customer.
      if (answer.status === 404 || /no transaction/i.test(messageOf(answer.json))) {
        return {
          status: "requires_action",
          providerReference: payment.providerReference,
          amountMinor: 0n,
          currency: "",
        };
      }
      throw providerRefusal(PROVIDER, answer.status, answer.json);
    }
    const { data } = readAnswer(PROVIDER, Transaction, answer.json);
    const currency = data.currency.toUpperCase();
    const amountMinor = toMinorUnits(data.amount, currency);
    if (amountMinor === null)
      throw unexpectedAnswer(PROVIDER, new Error(`amount ${data.amount} ${currency}`));
    const status = STATUS[data.status.toLowerCase()] ?? "processing";
    return {
      status,
      providerReference: data.tx_ref,
      providerPaymentId: data.id,
      amountMinor,
      currency,
      ...(status === "failed" || status === "canceled"
        ? { failureCode: data.status, failureMessage: data.processor_response ?? undefined }
        : {}),
    };
  }

  async parseWebhook(raw: Uint8Array, headers: Headers): Promise<WebhookParseResult> {
    const bytes = new Uint8Array(raw);
    const secrets = this.credentials.webhookSecrets;
    const signatureHeader = headers.get("flutterwave-signature");
    const hashHeader = headers.get("verif-hash");
    if (!signatureHeader && !hashHeader) return { verified: false, reason: "missing_signature" };
    let verified: boolean;
    if (signatureHeader) {
      const signature = base64Bytes(signatureHeader);
      verified = signature !== null && (await hmacMatchesAny("SHA-256", secrets, signature, bytes));
    } else {
      verified = await sharedSecretMatchesAny(secrets, hashHeader ?? "");
    }
    if (!verified) return { verified: false, reason: "bad_signature" };

    let body: z.infer<typeof WebhookBody>;
    try {
      body = WebhookBody.parse(parseJsonExactBytes(bytes));
    } catch {
      return { verified: false, reason: "malformed" };
    }
    const eventType = body.type ?? body.event ?? "unknown";
    const v4Id = body.webhook_id ?? (body.id?.startsWith("wbk_") ? body.id : undefined);
    const eventKey = v4Id ?? `${eventType}:${body.data.id ?? `sha256:${await bodyDigest(bytes)}`}`;
    const reference = body.data.tx_ref ?? body.data.reference;
    return {
      verified: true,
      event: {
        eventKey,
        eventType,
        payment: reference ? { providerReference: reference, providerPaymentId: body.data.id } : undefined,
      },
    };
  }

  async refund(payment: PaymentRef, amountMinor: bigint): Promise<RefundResult> {
    if (amountMinor <= 0n)
      throw new ApiError("VALIDATION_ERROR", "A refund must be more than zero", { field: "amount" });
    // The refund endpoint takes Flutterwave's transaction id and a major-unit amount: the verify
    // answer gives both the id and the currency the amount is converted in.
    const transaction = await this.verify(payment);
    if (!transaction.providerPaymentId || transaction.status !== "succeeded") {
      throw new ApiError("BAD_REQUEST", `${PROVIDER}: the transaction has not succeeded, nothing to refund`);
    }
    const answer = await this.#call(
      "POST",
      `/transactions/${encodeURIComponent(transaction.providerPaymentId)}/refund`,
      {
        amount: jsonNumber(fromMinorUnits(amountMinor, transaction.currency)),
      },
    );
    if (answer.status >= 300) throw providerRefusal(PROVIDER, answer.status, answer.json);
    const { data } = readAnswer(PROVIDER, Refund, answer.json);
    const status = STATUS[(data.status ?? "").toLowerCase()];
    return {
      providerRefundId: data.id,
      status: status === "succeeded" ? "succeeded" : status === "failed" ? "failed" : "pending",
    };
  }
}

function messageOf(json: unknown): string {
  return typeof json === "object" &&
    json !== null &&
    typeof (json as { message?: unknown }).message === "string"
    ? (json as { message: string }).message
    : "";
}
