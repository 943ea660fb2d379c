import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, pgTable, text } from "drizzle-orm/pg-core";
import { id, instant, softDelete, tenantId, tenantIsolation, timestamps } from "./columns";
import { PAYMENT_PROVIDERS, quoted } from "./finance-enums";
import { tenants } from "./tenants";

/**
 * A tenant's own account at a payment provider. Secrets are sealed with AES-256-GCM under the
 * region's `DATA_ENCRYPTION_KEY`, bound to the row id (auth/credentials/secret-box.ts), like
 * webhook endpoint secrets: the connector needs them in clear to call the provider and to check
 * its webhooks, and a database dump alone must not let anyone charge or forge.
 *
 * `secret_key` is the provider API key (Stripe `sk_…`, Paystack `sk_…`, Flutterwave
 * `FLWSECK…`); Paystack signs its webhooks with it. `webhook_secret` is Stripe's `whsec_…` or
 * Flutterwave's secret hash. A rotated webhook secret stays valid until
 * `previous_webhook_secret_expires_at`, as Stripe's own rolling rotation does.
 *
 * The public id (`pcn_<region>_<hex>`) appears in the webhook URL given to the provider: the
 * public webhook route finds the tenant from it (payment_connection_tenant(), 0018) before
 * anything else, so one URL per connection can be verified with that tenant's secret.
 */
export const paymentConnections = pgTable(
  "payment_connections",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    provider: text("provider", { enum: PAYMENT_PROVIDERS }).notNull(),
    label: text("label"),
    /** From the key's prefix (`sk_test_`, `FLWSECK_TEST`): test keys never take live money. */
    livemode: boolean("livemode").notNull().default(false),
    enabled: boolean("enabled").notNull().default(true),
    secretKeySealed: text("secret_key_sealed"),
    /** The key's last four characters, to tell connections apart; the key itself is never shown. */
    secretKeyLast4: text("secret_key_last4"),
    webhookSecretSealed: text("webhook_secret_sealed"),
    previousWebhookSecretSealed: text("previous_webhook_secret_sealed"),
    previousWebhookSecretExpiresAt: instant("previous_webhook_secret_expires_at"),
    secretsRotatedAt: instant("secrets_rotated_at"),
    /** Webhooks refused (bad signature, stale, tampered, unverifiable): counted, nothing else written. */
    webhookRejections: bigint("webhook_rejections", { mode: "number" }).notNull().default(0),
    lastWebhookRejectedAt: instant("last_webhook_rejected_at"),
    lastWebhookReceivedAt: instant("last_webhook_received_at"),
    ...timestamps,
    ...softDelete,
  },
  (t) => [
    index("payment_connections_tenant_created_idx").on(
      t.tenantId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    check("payment_connections_provider", sql`${t.provider} in (${quoted(PAYMENT_PROVIDERS)})`),
    check("payment_connections_key_while_live", sql`${t.isDeleted} or ${t.secretKeySealed} is not null`),
    check(
      "payment_connections_previous_secret_expires",
      sql`(${t.previousWebhookSecretSealed} is null) = (${t.previousWebhookSecretExpiresAt} is null)`,
    ),
    tenantIsolation(),
  ],
).enableRLS();

export type PaymentConnection = typeof paymentConnections.$inferSelect;
