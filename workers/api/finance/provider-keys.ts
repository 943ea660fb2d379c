import type { PaymentProvider } from "../../../db/schema/finance-enums";

/**
 * The shapes of the provider credentials a connection takes, so a key pasted into the wrong
 * field or for the wrong provider is refused at once rather than at the first payment. The
 * mode comes from the prefix: a test key never moves live money.
 */

interface KeyRule {
  live: RegExp;
  test: RegExp;
  example: string;
}

const SECRET_KEYS: Readonly<Record<PaymentProvider, KeyRule>> = {
  stripe: {
    live: /^sk_live_[A-Za-z0-9]{10,247}$/,
    test: /^sk_test_[A-Za-z0-9]{10,247}$/,
    example: "sk_test_…",
  },
  paystack: {
    live: /^sk_live_[A-Za-z0-9]{10,247}$/,
    test: /^sk_test_[A-Za-z0-9]{10,247}$/,
    example: "sk_test_…",
  },
  flutterwave: {
    live: /^FLWSECK-[A-Za-z0-9-]{8,240}$/,
    test: /^FLWSECK_TEST-[A-Za-z0-9-]{8,240}$/,
    example: "FLWSECK_TEST-…-X",
  },
};

const PROVIDER_NAMES: Readonly<Record<PaymentProvider, string>> = {
  stripe: "Stripe",
  paystack: "Paystack",
  flutterwave: "Flutterwave",
};

export const providerName = (provider: PaymentProvider) => PROVIDER_NAMES[provider];

export type CredentialCheck = { ok: true; livemode: boolean } | { ok: false; message: string };

export function checkSecretKey(provider: PaymentProvider, key: string): CredentialCheck {
  const rule = SECRET_KEYS[provider];
  if (rule.live.test(key)) return { ok: true, livemode: true };
  if (rule.test.test(key)) return { ok: true, livemode: false };
  return {
    ok: false,
    message: `secret_key is not a ${PROVIDER_NAMES[provider]} secret key (${rule.example}${
      provider === "flutterwave" ? " or FLWSECK-…" : ", or sk_live_…"
    })`,
  };
}

/**
 * Stripe: the endpoint's signing secret (`whsec_…`), required. Flutterwave: the dashboard's
 * "secret hash" (chosen by the merchant), required. Paystack signs with the secret key and has
 * no webhook secret, so one given is refused rather than silently unused.
 */
export function checkWebhookSecret(provider: PaymentProvider, secret: string | undefined): string | null {
  switch (provider) {
    case "stripe":
      if (secret === undefined)
        return "webhook_secret is required for Stripe: the endpoint's signing secret (whsec_…)";
      return /^whsec_[A-Za-z0-9+/=]{16,250}$/.test(secret)
        ? null
        : "webhook_secret is not a Stripe signing secret (whsec_…)";
    case "flutterwave":
      if (secret === undefined)
        return "webhook_secret is required for Flutterwave: the secret hash set in its dashboard";
      return /^[\x21-\x7e]{8,128}$/.test(secret)
        ? null
        : "webhook_secret (Flutterwave's secret hash) must be 8 to 128 printable characters without spaces";
    case "paystack":
      return secret === undefined
        ? null
        : "webhook_secret is not used for Paystack: it signs webhooks with the secret key";
  }
}
