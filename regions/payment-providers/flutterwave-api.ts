import { z } from "zod";
import type { CheckoutLookup, HostedCheckout, Outcome } from "./checkout";
import { json, type Reply } from "./http-io";
import { base62, lowerAlnum, numericIdSequence } from "./ids";
import { parseJson } from "./json-body";
import { fraction, majorNumber, majorToMinor } from "./money";
import {
  type KeyedHandler,
  match,
  presentedKey,
  type RequestContext,
  type Route,
  route,
  withQuery,
} from "./routing";
import { flutterwaveSignature } from "./signing";
import type { WebhookDeliveries } from "./webhook-deliveries";

// Flutterwave's v3 Standard API under /flutterwave (its base is https://api.flutterwave.com):
// create a hosted payment link, verify by id or by tx_ref, refund. Amounts are decimal MAJOR
// units on the wire and integer minor units inside (ISO 4217 exponents, no floats). Webhooks
// (`charge.completed`, successful and failed) carry both `verif-hash` (the dashboard secret hash)
// and `flutterwave-signature` (base64 HMAC-SHA256 of the body, keyed with that hash).

const majorAmount = z.union([z.number(), z.string()], "amount is required");

const paymentSchema = z.looseObject({
  tx_ref: z.string("tx_ref is required").min(1, "tx_ref is required").max(100),
  amount: majorAmount,
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, "Invalid currency")
    .transform((c) => c.toUpperCase())
    .default("NGN"),
  redirect_url: z.url("redirect_url must be a valid url").optional(),
  customer: z.looseObject(
    {
      email: z.email("customer.email is required"),
      name: z.string().optional(),
      phonenumber: z.string().optional(),
    },
    "customer is required",
  ),
  meta: z.record(z.string(), z.unknown()).optional(),
  customizations: z
    .looseObject({ title: z.string().optional(), description: z.string().optional() })
    .optional(),
  payment_options: z.string().optional(),
});

const refundSchema = z.looseObject({ amount: majorAmount.optional() });

interface Payment {
  key: string;
  token: string;
  txRef: string;
  amount: number;
  currency: string;
  redirectUrl: string | null;
  customer: { email: string; name: string | null; phonenumber: string | null };
  meta: Record<string, unknown> | null;
  title: string | null;
  transaction: FlwTransaction | null;
  cancelled: boolean;
}

interface FlwTransaction {
  id: number;
  flwRef: string;
  status: "successful" | "failed";
  createdAt: string;
  appFee: number;
  refunded: number;
  customerId: number;
}

interface Account {
  id: number;
  payments: Map<string, Payment>;
  webhook: { url: string; secretHash: string } | null;
}

export interface FlutterwaveStandIn {
  handle(ctx: RequestContext): Promise<Reply>;
  setWebhook(secretKey: string, webhook: { url: string; secretHash: string } | null): void;
  checkout: CheckoutLookup;
  reset(): void;
}

const error = (status: number, message: string): Reply =>
  json(status, { status: "error", message, data: null });

export function createFlutterwaveStandIn(options: {
  origin: () => string;
  deliveries: WebhookDeliveries;
}): FlutterwaveStandIn {
  const accounts = new Map<string, Account>();
  const byToken = new Map<string, Payment>();
  const byTransactionId = new Map<number, Payment>();
  const nextTransactionId = numericIdSequence(8_700_000);
  const nextAccountId = numericIdSequence(2_300_000);
  const nextCustomerId = numericIdSequence(2_100_000);
  const nextRefundId = numericIdSequence(10_000);

  function accountFor(key: string): Account {
    let account = accounts.get(key);
    if (!account) {
      account = { id: nextAccountId(), payments: new Map(), webhook: null };
      accounts.set(key, account);
    }
    return account;
  }

  function transactionView(p: Payment, t: FlwTransaction) {
    const account = accountFor(p.key);
    return {
      id: t.id,
      tx_ref: p.txRef,
      flw_ref: t.flwRef,
      device_fingerprint: "N/A",
      amount: majorNumber(p.amount, p.currency),
      currency: p.currency,
      charged_amount: majorNumber(p.amount, p.currency),
      app_fee: majorNumber(t.appFee, p.currency),
      merchant_fee: 0,
      processor_response: t.status === "successful" ? "Approved by Financial Institution" : "Declined",
      auth_model: "PIN",
      ip: "127.0.0.1",
      narration: "CARD Transaction ",
      status: t.status,
      payment_type: "card",
      created_at: t.createdAt,
      account_id: account.id,
      card: {
        first_6digits: "553188",
        last_4digits: "2950",
        issuer: "MASTERCARD  CREDIT",
        country: "NG",
        type: "MASTERCARD",
        expiry: "09/32",
      },
      meta: p.meta,
      amount_settled: t.status === "successful" ? majorNumber(p.amount - t.appFee, p.currency) : 0,
      customer: {
        id: t.customerId,
        name: p.customer.name ?? "Anonymous customer",
        phone_number: p.customer.phonenumber ?? "N/A",
        email: p.customer.email,
        created_at: t.createdAt,
      },
    };
  }

  async function settle(p: Payment, outcome: Outcome): Promise<string | undefined> {
    if (outcome === "cancel") {
      // No transaction is created; the redirect says cancelled and carries no transaction_id.
      p.cancelled = true;
      return p.redirectUrl ? withQuery(p.redirectUrl, { status: "cancelled", tx_ref: p.txRef }) : undefined;
    }
    const successful = outcome === "pay";
    const t: FlwTransaction = {
      id: nextTransactionId(),
      flwRef: `FLW-MOCK-${lowerAlnum(32)}`,
      status: successful ? "successful" : "failed",
      createdAt: new Date().toISOString(),
      // Plausible local-card pricing: 1.4% of the amount, in minor units.
      appFee: successful ? fraction(p.amount, 14, 1000) : 0,
      refunded: 0,
      customerId: nextCustomerId(),
    };
    p.transaction = t;
    byTransactionId.set(t.id, p);
    const webhook = accountFor(p.key).webhook;
    const data = transactionView(p, t);
    const { meta: _meta, amount_settled: _settled, ...webhookData } = data;
    // Compact JSON, as Flutterwave sends it; both signatures cover these exact bytes.
    const body = JSON.stringify({
      event: "charge.completed",
      data: webhookData,
      "event.type": "CARD_TRANSACTION",
    });
    await options.deliveries.send({
      provider: "flutterwave",
      eventId: `charge.completed:${t.id}`,
      eventType: "charge.completed",
      reference: p.txRef,
      url: webhook?.url ?? null,
      body,
      headers: (raw) => ({
        "content-type": "application/json",
        ...(webhook
          ? {
              "verif-hash": webhook.secretHash,
              "flutterwave-signature": flutterwaveSignature(webhook.secretHash, raw),
            }
          : {}),
      }),
    });
    return p.redirectUrl
      ? withQuery(p.redirectUrl, {
          status: successful ? "successful" : "failed",
          tx_ref: p.txRef,
          transaction_id: String(t.id),
        })
      : undefined;
  }

  function transactionOf(key: string, idText: string): { p: Payment; t: FlwTransaction } | undefined {
    const p = /^\d+$/.test(idText) ? byTransactionId.get(Number(idText)) : undefined;
    if (!p || p.key !== key || !p.transaction) return undefined;
    return { p, t: p.transaction };
  }

  const routes: Route<KeyedHandler>[] = [
    route("POST", "/flutterwave/v3/payments", (ctx: RequestContext, key: string) => {
      const body = parseJson(ctx.body);
      if (!body.ok) return error(400, "Invalid JSON body");
      const parsed = paymentSchema.safeParse(body.value);
      if (!parsed.success) return error(400, parsed.error.issues[0]?.message ?? "Invalid request");
      const input = parsed.data;
      const amount = majorToMinor(input.amount, input.currency);
      if (amount === undefined || amount <= 0) {
        return error(
          400,
          `Invalid amount: ${String(input.amount)} is not a positive ${input.currency} amount`,
        );
      }
      const account = accountFor(key);
      if (account.payments.has(input.tx_ref))
        return error(400, "Duplicate transaction reference. Please use a unique tx_ref");
      const payment: Payment = {
        key,
        token: base62(24),
        txRef: input.tx_ref,
        amount,
        currency: input.currency,
        redirectUrl: input.redirect_url ?? null,
        customer: {
          email: input.customer.email,
          name: input.customer.name ?? null,
          phonenumber: input.customer.phonenumber ?? null,
        },
        meta: input.meta ?? null,
        title: input.customizations?.title ?? null,
        transaction: null,
        cancelled: false,
      };
      account.payments.set(payment.txRef, payment);
      byToken.set(payment.token, payment);
      return json(200, {
        status: "success",
        message: "Hosted Link",
        data: { link: `${options.origin()}/checkout/flutterwave/${payment.token}` },
      });
    }),
    route("GET", "/flutterwave/v3/transactions/verify_by_reference", (ctx: RequestContext, key: string) => {
      const p = accountFor(key).payments.get(ctx.query.get("tx_ref") ?? "");
      if (!p?.transaction) return error(400, "No transaction was found for this id");
      return json(200, {
        status: "success",
        message: "Transaction fetched successfully",
        data: transactionView(p, p.transaction),
      });
    }),
    route("GET", "/flutterwave/v3/transactions/:id/verify", (ctx: RequestContext, key: string) => {
      const found = transactionOf(key, ctx.params.id ?? "");
      if (!found) return error(400, "No transaction was found for this id");
      return json(200, {
        status: "success",
        message: "Transaction fetched successfully",
        data: transactionView(found.p, found.t),
      });
    }),
    route("POST", "/flutterwave/v3/transactions/:id/refund", (ctx: RequestContext, key: string) => {
      const found = transactionOf(key, ctx.params.id ?? "");
      if (!found) return error(400, "No transaction was found for this id");
      const body = parseJson(ctx.body);
      const parsed = body.ok ? refundSchema.safeParse(body.value) : undefined;
      if (!parsed?.success) return error(400, parsed?.error.issues[0]?.message ?? "Invalid JSON body");
      const { p, t } = found;
      if (t.status !== "successful") return error(400, "Only successful transactions can be refunded");
      const remaining = p.amount - t.refunded;
      const amount =
        parsed.data.amount === undefined ? remaining : majorToMinor(parsed.data.amount, p.currency);
      if (amount === undefined || amount <= 0) return error(400, "Invalid refund amount");
      if (amount > remaining)
        return error(400, "Refund amount cannot be greater than the amount left to refund");
      t.refunded += amount;
      return json(200, {
        status: "success",
        message: "Transaction refund initiated",
        data: {
          id: nextRefundId(),
          account_id: accountFor(key).id,
          tx_id: t.id,
          flw_ref: t.flwRef,
          wallet_id: accountFor(key).id,
          amount_refunded: majorNumber(amount, p.currency),
          status: "completed",
          destination: "payment_source",
          meta: { source: "availablebalance" },
          created_at: new Date().toISOString(),
        },
      });
    }),
  ];

  return {
    async handle(ctx) {
      const key = presentedKey(ctx);
      if (!key) return error(401, "Authorization is required");
      if (!/^FLWSECK_TEST-[A-Za-z0-9]{8,}(-X)?$/.test(key)) return error(401, "Invalid authorization key");
      const found = match(routes, ctx.method, ctx.path);
      if (!found)
        return error(404, `Route not found: ${ctx.method} ${ctx.path.slice("/flutterwave".length)}`);
      return found.route.handler({ ...ctx, params: found.params }, key);
    },
    setWebhook(secretKey, webhook) {
      accountFor(secretKey).webhook = webhook;
    },
    checkout(token) {
      const p = byToken.get(token);
      if (!p) return undefined;
      const checkout: HostedCheckout = {
        provider: "flutterwave",
        reference: p.txRef,
        description: p.title ?? `Flutterwave payment ${p.txRef}`,
        amountMinor: p.amount,
        currency: p.currency,
        email: p.customer.email,
        open: !p.transaction && !p.cancelled,
        status: p.transaction
          ? `transaction ${p.transaction.id} ${p.transaction.status}`
          : p.cancelled
            ? "cancelled"
            : "pending",
        failNote:
          "Fail: the charge fails; a charge.completed webhook with status failed is sent and the browser returns with status=failed.",
        settle: (outcome) => settle(p, outcome),
      };
      return checkout;
    },
    reset() {
      accounts.clear();
      byToken.clear();
      byTransactionId.clear();
    },
  };
}
