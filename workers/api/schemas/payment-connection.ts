import { z } from "@hono/zod-openapi";
import { PAYMENT_PROVIDERS } from "../../../db/schema/finance-enums";

export const MAX_GRACE_SECONDS = 7 * 24 * 60 * 60;
export const DEFAULT_GRACE_SECONDS = 24 * 60 * 60;

const provider = z.enum(PAYMENT_PROVIDERS).openapi({
  description:
    "The payment provider: `stripe` (EUR and other currencies), `paystack` or `flutterwave` (NGN).",
  example: "paystack",
});

/** Form only here; the provider's key shape is judged in the service (finance/provider-keys.ts). */
const secretKey = z
  .string()
  .min(1)
  .max(255)
  .openapi({
    description:
      "The provider's secret API key: Stripe `sk_test_…`/`sk_live_…`, Paystack `sk_test_…`/`sk_live_…`, " +
      "Flutterwave `FLWSECK_TEST-…`/`FLWSECK-…`. The prefix sets `livemode`. Stored encrypted, never shown again.",
    example: "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
  });

const webhookSecret = z
  .string()
  .min(1)
  .max(255)
  .openapi({
    description:
      "Stripe: the webhook endpoint's signing secret (`whsec_…`), required. Flutterwave: the dashboard's secret " +
      "hash, required (it is sent as `verif-hash` and keys the v4 `flutterwave-signature`). Paystack: not " +
      "accepted (it signs webhooks with the secret key). Stored encrypted, never shown again.",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  });

const label = z.string().trim().min(1).max(100).nullable().optional().openapi({
  description: "A name to tell connections apart (e.g. `Main Paystack account`).",
  example: "Main Paystack account",
});

/** Strict: `id`, `livemode`, timestamps and anything unknown are rejected. */
export const PaymentConnectionInput = z
  .strictObject({ provider, secret_key: secretKey, webhook_secret: webhookSecret.optional(), label })
  .openapi("PaymentConnectionInput");

export const PaymentConnectionPatch = z
  .strictObject({
    secret_key: secretKey.optional().openapi({
      description:
        "A new secret key of the same provider and mode; it replaces the old one at once " +
        "(for Paystack, whose webhooks it signs, the old key still verifies webhooks for the grace period).",
    }),
    webhook_secret: webhookSecret.optional().openapi({
      description:
        "A new webhook secret; the previous one stays valid for `grace_period_seconds`, " +
        "so webhooks signed before the switch at the provider still verify.",
    }),
    grace_period_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_SECONDS)
      .optional()
      .openapi({
        description:
          `How long the replaced webhook secret (Paystack: the replaced key) still verifies webhooks: ` +
          `0–${MAX_GRACE_SECONDS} s, default ${DEFAULT_GRACE_SECONDS} (24 h). 0 ends it at once.`,
      }),
    label,
    enabled: z.boolean().optional().openapi({ description: "A disabled connection takes no new payments." }),
  })
  .refine((patch) => Object.keys(patch).some((k) => k !== "grace_period_seconds"), {
    message: "Give at least one of secret_key, webhook_secret, label, enabled",
  })
  .openapi("PaymentConnectionPatch");

export const ConnectionIdParam = z.object({
  id: z
    .string()
    .regex(/^pcn_[a-z]{2}_[0-9a-f]{32}$/, "A payment connection id is pcn_<region>_<32 hex digits>")
    .openapi({ param: { name: "id", in: "path" }, example: "pcn_ng_3f1c2b7e8a4d4c1e9f2a5b6c7d8e9f01" }),
});

const timestamp = z.string().openapi({ format: "date-time" });

export const PaymentConnection = z
  .object({
    id: z.string().openapi({
      description: "Public id naming the home region (`pcn_eu_…`, `pcn_ng_…`); part of the webhook URL.",
      example: "pcn_ng_3f1c2b7e8a4d4c1e9f2a5b6c7d8e9f01",
    }),
    provider,
    label: z.string().nullable(),
    livemode: z.boolean().openapi({ description: "From the key's prefix: false for test keys." }),
    enabled: z.boolean(),
    secret_key_last4: z.string().openapi({ description: "The key's last four characters.", example: "p7dc" }),
    has_webhook_secret: z.boolean().openapi({
      description:
        "A webhook secret is stored (Stripe, Flutterwave). Always false for Paystack, whose " +
        "webhooks are verified with the secret key.",
    }),
    previous_webhook_secret_expires_at: timestamp.nullable().openapi({
      description:
        "While a rotation's grace period lasts: until when the replaced secret still verifies webhooks.",
    }),
    secrets_rotated_at: timestamp.nullable(),
    webhook_url: z.string().openapi({
      description: "The URL to give the provider as the webhook endpoint, in the tenant's home region.",
      example:
        "https://lagos.nexus.bac.cloud/api/v1/payments/webhook/paystack/pcn_ng_3f1c2b7e8a4d4c1e9f2a5b6c7d8e9f01",
    }),
    webhook_rejections: z.number().int().openapi({
      description:
        "Webhooks refused (bad or missing signature, stale timestamp, malformed): counted, nothing else written.",
    }),
    last_webhook_rejected_at: timestamp.nullable(),
    last_webhook_received_at: timestamp.nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("PaymentConnection");
