import { z } from "zod";
import type { CheckoutLookup, HostedCheckout, Outcome } from "./checkout";
import { json, type Reply } from "./http-io";
import { base62, lowerAlnum, numericIdSequence } from "./ids";
import { parseJson } from "./json-body";
import { fraction } from "./money";
import {
  type KeyedHandler,
  match,
  presentedKey,
  type RequestContext,
  type Route,
  route,
  withQuery,
} from "./routing";
import { paystackSignature } from "./signing";
import type { WebhookDeliveries } from "./webhook-deliveries";

// Paystack's transaction API under /paystack (its base URL is https://api.paystack.co):
// initialize, verify, fetch, refund. Each secret key is its own integration. As on the real
// Paystack, only successful charges (and processed refunds) send a webhook, signed with the secret
// key itself; failed and abandoned payments are only seen by calling verify.

const CURRENCIES = ["NGN", "GHS", "ZAR", "USD", "KES", "XOF", "EGP"] as const;

/** Integer subunits (kobo), as a JSON number or a digit string (Paystack accepts both). */
const amountSchema = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)], "Invalid Amount Sent")
  .pipe(z.number().int("Invalid Amount Sent").positive("Invalid Amount Sent").max(Number.MAX_SAFE_INTEGER));

const initializeSchema = z.looseObject({
  email: z.email("Invalid Email Address Passed"),
  amount: amountSchema,
  currency: z.enum(CURRENCIES, "Currency not supported by merchant").default("NGN"),
  reference: z
    .string()
    .regex(
      /^[A-Za-z0-9.=-]{1,100}$/,
      "Invalid transaction reference: only -, ., = and alphanumeric characters allowed",
    )
    .optional(),
  callback_url: z.url("Invalid callback_url").optional(),
  metadata: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
  channels: z.array(z.string()).optional(),
});

const refundSchema = z.looseObject({
  transaction: z.union([z.string().min(1), z.number().int()], "Transaction reference or id is required"),
  amount: amountSchema.optional(),
  currency: z.string().optional(),
  customer_note: z.string().optional(),
  merchant_note: z.string().optional(),
});

type Status = "abandoned" | "failed" | "success" | "reversed";

interface Customer {
  id: number;
  first_name: null;
  last_name: null;
  email: string;
  customer_code: string;
  phone: null;
  metadata: null;
  risk_action: "default";
  international_format_phone: null;
}

interface Transaction {
  key: string;
  id: number;
  reference: string;
  accessCode: string;
  amount: number;
  currency: string;
  callbackUrl: string | null;
  metadata: unknown;
  status: Status;
  gatewayResponse: string;
  paidAt: string | null;
  createdAt: string;
  customer: Customer;
  authorization: Record<string, unknown>;
  fees: number | null;
  refunded: number;
}

interface Integration {
  id: number;
  transactions: Map<string, Transaction>;
  customers: Map<string, Customer>;
  webhookUrl: string | null;
}

export interface PaystackStandIn {
  handle(ctx: RequestContext): Promise<Reply>;
  setWebhook(secretKey: string, url: string | null): void;
  checkout: CheckoutLookup;
  reset(): void;
}

const fail = (status: number, message: string, extra: Record<string, unknown> = {}): Reply =>
  json(status, { status: false, message, ...extra });

export function createPaystackStandIn(options: {
  origin: () => string;
  deliveries: WebhookDeliveries;
}): PaystackStandIn {
  const integrations = new Map<string, Integration>();
  const byAccessCode = new Map<string, Transaction>();
  const nextTransactionId = numericIdSequence(4_100_000_000);
  const nextCustomerId = numericIdSequence(180_000_000);
  const nextIntegrationId = numericIdSequence(1_100_000);
  const nextRefundId = numericIdSequence(12_000_000);

  function integrationFor(key: string): Integration {
    let integration = integrations.get(key);
    if (!integration) {
      integration = {
        id: nextIntegrationId(),
        transactions: new Map(),
        customers: new Map(),
        webhookUrl: null,
      };
      integrations.set(key, integration);
    }
    return integration;
  }

  function customerFor(integration: Integration, email: string): Customer {
    let customer = integration.customers.get(email);
    if (!customer) {
      customer = {
        id: nextCustomerId(),
        first_name: null,
        last_name: null,
        email,
        customer_code: `CUS_${lowerAlnum(15)}`,
        phone: null,
        metadata: null,
        risk_action: "default",
        international_format_phone: null,
      };
      integration.customers.set(email, customer);
    }
    return customer;
  }

  /** The transaction as verify and the webhook show it. */
  function view(t: Transaction) {
    return {
      id: t.id,
      domain: "test",
      status: t.status,
      reference: t.reference,
      receipt_number: null,
      amount: t.amount,
      message: null,
      gateway_response: t.gatewayResponse,
      paid_at: t.paidAt,
      created_at: t.createdAt,
      channel: "card",
      currency: t.currency,
      ip_address: "127.0.0.1",
      metadata: t.metadata ?? "",
      log: null,
      fees: t.fees,
      fees_split: null,
      authorization: t.authorization,
      customer: t.customer,
      plan: null,
      split: {},
      order_id: null,
      paidAt: t.paidAt,
      createdAt: t.createdAt,
      requested_amount: t.amount,
      pos_transaction_data: null,
      source: null,
      fees_breakdown: null,
      connect: null,
      transaction_date: t.createdAt,
      plan_object: {},
      subaccount: {},
    };
  }

  async function sendWebhook(t: Transaction, event: string, data: unknown, dedupeId: string | number) {
    const integration = integrationFor(t.key);
    // Compact JSON, as Paystack sends it; the signature covers these exact bytes.
    const body = JSON.stringify({ event, data });
    await options.deliveries.send({
      provider: "paystack",
      eventId: `${event}:${dedupeId}`,
      eventType: event,
      reference: t.reference,
      url: integration.webhookUrl,
      body,
      headers: (raw) => ({
        "content-type": "application/json",
        "x-paystack-signature": paystackSignature(t.key, raw),
      }),
    });
  }

  async function settle(t: Transaction, outcome: Outcome): Promise<string | undefined> {
    const redirect = () =>
      t.callbackUrl ? withQuery(t.callbackUrl, { trxref: t.reference, reference: t.reference }) : undefined;
    if (outcome === "cancel") {
      // Paystack leaves the transaction abandoned and goes to metadata.cancel_action, if given.
      const cancelAction = (t.metadata as { cancel_action?: unknown } | undefined)?.cancel_action;
      return typeof cancelAction === "string" && URL.canParse(cancelAction) ? cancelAction : undefined;
    }
    if (outcome === "fail") {
      t.status = "failed";
      t.gatewayResponse = "Declined";
      return redirect();
    }
    const at = new Date().toISOString();
    t.status = "success";
    t.gatewayResponse = "Successful";
    t.paidAt = at;
    // Plausible NGN pricing: 1.5% + ₦100 (waived under ₦2,500), capped at ₦2,000; in kobo.
    t.fees = Math.min(fraction(t.amount, 15, 1000) + (t.amount >= 250_000 ? 10_000 : 0), 200_000);
    t.authorization = {
      authorization_code: `AUTH_${lowerAlnum(10)}`,
      bin: "408408",
      last4: "4081",
      exp_month: "12",
      exp_year: "2030",
      channel: "card",
      card_type: "visa ",
      bank: "TEST BANK",
      country_code: "NG",
      brand: "visa",
      reusable: true,
      signature: `SIG_${base62(20)}`,
      account_name: null,
    };
    await sendWebhook(t, "charge.success", view(t), t.id);
    return redirect();
  }

  function findTransaction(
    integration: Integration,
    idOrReference: string | number,
  ): Transaction | undefined {
    const text = String(idOrReference);
    return (
      integration.transactions.get(text) ??
      [...integration.transactions.values()].find((t) => String(t.id) === text)
    );
  }

  const routes: Route<KeyedHandler>[] = [
    route("POST", "/paystack/transaction/initialize", (ctx: RequestContext, key: string) => {
      const body = parseJson(ctx.body);
      if (!body.ok)
        return fail(400, "Invalid JSON body", { type: "validation_error", code: "invalid_params" });
      const parsed = initializeSchema.safeParse(body.value);
      if (!parsed.success) {
        return fail(400, parsed.error.issues[0]?.message ?? "Invalid params", {
          type: "validation_error",
          code: "invalid_params",
        });
      }
      const input = parsed.data;
      const integration = integrationFor(key);
      const reference = input.reference ?? lowerAlnum(10);
      if (integration.transactions.has(reference)) {
        return fail(400, "Duplicate Transaction Reference", {
          type: "validation_error",
          code: "duplicate_reference",
        });
      }
      const metadata = typeof input.metadata === "string" ? safeJson(input.metadata) : input.metadata;
      const transaction: Transaction = {
        key,
        id: nextTransactionId(),
        reference,
        accessCode: lowerAlnum(15),
        amount: input.amount,
        currency: input.currency,
        callbackUrl: input.callback_url ?? null,
        metadata: metadata ?? null,
        // A transaction nobody has paid yet verifies as "abandoned" on Paystack.
        status: "abandoned",
        gatewayResponse: "The transaction was not completed",
        paidAt: null,
        createdAt: new Date().toISOString(),
        customer: customerFor(integration, input.email),
        authorization: {},
        fees: null,
        refunded: 0,
      };
      integration.transactions.set(reference, transaction);
      byAccessCode.set(transaction.accessCode, transaction);
      return json(200, {
        status: true,
        message: "Authorization URL created",
        data: {
          authorization_url: `${options.origin()}/checkout/paystack/${transaction.accessCode}`,
          access_code: transaction.accessCode,
          reference,
        },
      });
    }),
    route("GET", "/paystack/transaction/verify/:reference", (ctx: RequestContext, key: string) => {
      const t = integrationFor(key).transactions.get(ctx.params.reference ?? "");
      if (!t)
        return fail(400, "Transaction reference not found", {
          type: "validation_error",
          code: "transaction_not_found",
        });
      return json(200, { status: true, message: "Verification successful", data: view(t) });
    }),
    route("GET", "/paystack/transaction/:id", (ctx: RequestContext, key: string) => {
      const id = ctx.params.id ?? "";
      const t = /^\d+$/.test(id) ? findTransaction(integrationFor(key), Number(id)) : undefined;
      if (!t)
        return fail(404, "Transaction not found", {
          type: "validation_error",
          code: "transaction_not_found",
        });
      return json(200, { status: true, message: "Transaction retrieved", data: view(t) });
    }),
    route("POST", "/paystack/refund", async (ctx: RequestContext, key: string) => {
      const body = parseJson(ctx.body);
      const parsed = body.ok ? refundSchema.safeParse(body.value) : undefined;
      if (!parsed?.success) {
        return fail(400, parsed?.error.issues[0]?.message ?? "Invalid JSON body", {
          type: "validation_error",
          code: "invalid_params",
        });
      }
      const integration = integrationFor(key);
      const t = findTransaction(integration, parsed.data.transaction);
      if (!t)
        return fail(404, "Transaction not found", {
          type: "validation_error",
          code: "transaction_not_found",
        });
      if (t.status === "reversed")
        return fail(400, "Transaction has been fully reversed", { type: "validation_error" });
      if (t.status !== "success") {
        return fail(400, "Cannot refund a transaction that was not successful", { type: "validation_error" });
      }
      const remaining = t.amount - t.refunded;
      const amount = parsed.data.amount ?? remaining;
      if (amount > remaining) {
        return fail(400, "Refund amount cannot be more than the transaction amount", {
          type: "validation_error",
        });
      }
      t.refunded += amount;
      if (t.refunded === t.amount) t.status = "reversed";
      const at = new Date().toISOString();
      const refundId = nextRefundId();
      const refund = {
        transaction: view(t),
        integration: integration.id,
        deducted_amount: 0,
        channel: null,
        merchant_note: parsed.data.merchant_note ?? `Refund for transaction ${t.reference}`,
        customer_note: parsed.data.customer_note ?? `Refund for transaction ${t.reference}`,
        status: "pending",
        refunded_by: t.customer.email,
        expected_at: at,
        currency: t.currency,
        domain: "test",
        amount,
        fully_deducted: false,
        id: refundId,
        createdAt: at,
        updatedAt: at,
      };
      // Paystack processes refunds after answering: the webhook is not awaited.
      void sendWebhook(
        t,
        "refund.processed",
        {
          status: "processed",
          transaction_reference: t.reference,
          refund_reference: `RF${refundId}`,
          amount,
          currency: t.currency,
          processor: "card",
          customer: { first_name: null, last_name: null, email: t.customer.email },
          integration: integration.id,
          domain: "test",
          id: refundId,
        },
        refundId,
      );
      return json(200, { status: true, message: "Refund has been queued for processing", data: refund });
    }),
  ];

  return {
    async handle(ctx) {
      const key = presentedKey(ctx);
      if (key === undefined) return fail(401, "No Authorization Header was found");
      // Test secret keys only; a public key (pk_) or anything else is refused as on Paystack.
      if (!/^sk_test_[A-Za-z0-9]{8,}$/.test(key)) return fail(401, "Invalid key");
      const found = match(routes, ctx.method, ctx.path);
      if (!found) return fail(404, `Route not found: ${ctx.method} ${ctx.path.slice("/paystack".length)}`);
      return found.route.handler({ ...ctx, params: found.params }, key);
    },
    setWebhook(secretKey, url) {
      integrationFor(secretKey).webhookUrl = url;
    },
    checkout(token) {
      const t = byAccessCode.get(token);
      if (!t) return undefined;
      const checkout: HostedCheckout = {
        provider: "paystack",
        reference: t.reference,
        description: `Paystack payment ${t.reference}`,
        amountMinor: t.amount,
        currency: t.currency,
        email: t.customer.email,
        open: t.status === "abandoned",
        status: `status ${t.status}`,
        failNote:
          "Fail: the card is declined; the transaction verifies as failed and, as on Paystack, no webhook is sent.",
        settle: (outcome) => settle(t, outcome),
      };
      return checkout;
    },
    reset() {
      integrations.clear();
      byAccessCode.clear();
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
