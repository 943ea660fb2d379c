import { z } from "@hono/zod-openapi";
import { PAYMENT_STATUSES } from "../../../db/schema/finance-enums";
import { isCurrency, toMinorUnits } from "../finance/money";
import { ListQuery, listFilter } from "./common";

/** The largest amount taken (minor units below 10^15): far above any invoice, exact in every layer. */
const MAX_MINOR = 10n ** 15n;

export const CONNECTION_ID_PATTERN = /^pcn_[a-z]{2}_[0-9a-f]{32}$/;

const connectionId = z
  .string()
  .regex(CONNECTION_ID_PATTERN, "A connection id (pcn_…) of GET /api/v1/finance/connections")
  .openapi({
    example: "pcn_eu_3f1c2b7e8a4d4c1e9f2a5b6c7d8e9f01",
    description: "The connection id (`pcn_…`) as the connections API shows it.",
  });

export const PaymentInitiateInput = z
  .strictObject({
    amount: z.string().max(32).openapi({
      example: "1250.00",
      description:
        "A decimal string in major units with at most the currency's minor-unit digits (ISO 4217: 2 for NGN and EUR, 0 for JPY); never a number.",
    }),
    currency: z
      .string()
      .transform((c) => c.toUpperCase())
      .refine(isCurrency, "currency must be an ISO 4217 code such as NGN or EUR")
      .openapi({ example: "NGN" }),
    customer_email: z.email("Invalid email format").max(254).openapi({ example: "ada@example.ng" }),
    return_url: z.string().max(2048).openapi({
      format: "uri",
      example: "https://shop.example.ng/thanks",
      description:
        "Where the provider sends the customer after the checkout. https; development deployments also take http on a loopback address.",
    }),
    invoice_id: z.uuid().optional().openapi({ description: "The open invoice this payment pays." }),
    connection_id: connectionId.optional().openapi({
      description:
        "Which connection takes the payment; absent: the region's defaults for the currency (NGN → Paystack, then Flutterwave; EUR → Stripe).",
    }),
    description: z.string().trim().min(1).max(200).optional().openapi({
      description: 'What the customer sees at the checkout (default "Payment", or "Invoice <number>").',
    }),
  })
  .transform((input, ctx) => {
    const minor = isCurrency(input.currency) ? toMinorUnits(input.amount, input.currency) : null;
    if (minor === null || minor <= 0n || minor >= MAX_MINOR) {
      ctx.addIssue({
        code: "custom",
        path: ["amount"],
        message: `amount must be a positive decimal string with at most the currency's decimals (e.g. "1250.00")`,
      });
      return z.NEVER;
    }
    return { ...input, amount_minor: minor };
  })
  .openapi("PaymentInitiateInput");

export const PaymentRefundInput = z
  .strictObject({
    amount: z.string().max(32).optional().openapi({
      example: "500.00",
      description: "Decimal string; absent: everything not yet refunded.",
    }),
  })
  .openapi("PaymentRefundInput");

const timestamp = z.string().openapi({ format: "date-time" });

export const Payment = z
  .object({
    id: z.uuid(),
    object: z.literal("payment"),
    status: z.enum(PAYMENT_STATUSES).openapi({
      description:
        "Only moves forward: created → requires_action → processing → succeeded | failed | canceled | expired; " +
        "succeeded → partially_refunded → refunded; succeeded | partially_refunded → disputed.",
    }),
    amount: z.string().openapi({ example: "1250.00" }),
    amount_refunded: z.string().openapi({ example: "0.00" }),
    currency: z.string().openapi({ example: "NGN" }),
    customer_email: z.string(),
    return_url: z.string(),
    invoice_id: z.uuid().nullable(),
    connection_id: z.string().openapi({ example: "pcn_ng_3f1c2b7e8a4d4c1e9f2a5b6c7d8e9f01" }),
    provider: z.enum(["stripe", "paystack", "flutterwave"]),
    provider_reference: z.string().openapi({
      description: "Paystack `reference`, Flutterwave `tx_ref`, Stripe checkout session id (`cs_…`).",
    }),
    provider_payment_id: z.string().nullable(),
    checkout_url: z
      .string()
      .nullable()
      .openapi({ description: "The provider's hosted checkout: send the customer here." }),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    expires_at: timestamp.nullable(),
    succeeded_at: timestamp.nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("Payment");

export const PaymentWithRefund = Payment.extend({
  refund: z.object({
    provider_refund_id: z.string(),
    amount: z.string(),
    status: z.enum(["succeeded", "pending"]),
  }),
}).openapi("PaymentWithRefund");

export const PaymentListQuery = ListQuery.omit({ include_total: true }).extend({
  status: listFilter(z.enum(PAYMENT_STATUSES), "status", "Only payments in this status."),
  invoice_id: listFilter(z.uuid(), "invoice_id", "Only payments of this invoice."),
});

export const WebhookPathParams = z.object({
  provider: z
    .enum(["stripe", "paystack", "flutterwave"])
    .openapi({ param: { name: "provider", in: "path" }, example: "paystack" }),
  connection_id: z
    .string()
    .max(64)
    .openapi({
      param: { name: "connection_id", in: "path" },
      example: "pcn_ng_3f1c2b7e8a4d4c1e9f2a5b6c7d8e9f01",
    }),
});

export const WebhookAccepted = z
  .object({ received: z.literal(true), duplicate: z.boolean() })
  .openapi("ProviderWebhookAccepted");
