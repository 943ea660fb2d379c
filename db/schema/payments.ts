import { sql } from "drizzle-orm";
import { bigint, char, check, index, integer, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, instant, tenantId, tenantIsolation, timestamps } from "./columns";
import { PAYMENT_PROVIDERS, PAYMENT_STATUSES, quoted } from "./finance-enums";
import { invoices } from "./invoices";
import { paymentConnections } from "./payment-connections";
import { tenants } from "./tenants";

/**
 * One attempt to collect money through a connection. Amounts are integers in the currency's
 * minor unit (what Stripe and Paystack take; Flutterwave's major units are converted at its
 * connector) with the ISO 4217 exponent table in workers/api/finance/money.ts; the API shows
 * them as decimal strings. No floats anywhere.
 *
 * A webhook is only a hint: the status moves after the provider's verify endpoint confirmed
 * amount, currency and reference, with `UPDATE … WHERE status IN (allowed predecessors)`, and the
 * `payment.*` event goes to the outbox in the same transaction.
 */
export const payments = pgTable(
  "payments",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    connectionId: uuid("connection_id")
      .notNull()
      .references(() => paymentConnections.id),
    provider: text("provider", { enum: PAYMENT_PROVIDERS }).notNull(),
    invoiceId: uuid("invoice_id").references(() => invoices.id),
    status: text("status", { enum: PAYMENT_STATUSES }).notNull().default("created"),
    amountMinor: bigint("amount_minor", { mode: "bigint" }).notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    amountRefundedMinor: bigint("amount_refunded_minor", { mode: "bigint" }).notNull().default(sql`0`),
    customerEmail: text("customer_email").notNull(),
    returnUrl: text("return_url").notNull(),
    /** Paystack `reference`, Flutterwave `tx_ref`, Stripe checkout session id. */
    providerReference: text("provider_reference").notNull(),
    /** The provider's transaction id once known (Paystack/Flutterwave id, Stripe payment_intent). */
    providerPaymentId: text("provider_payment_id"),
    checkoutUrl: text("checkout_url"),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    expiresAt: instant("expires_at"),
    succeededAt: instant("succeeded_at"),
    /** The janitor's schedule: when the provider is next asked for this payment's truth. */
    nextVerifyAt: instant("next_verify_at"),
    lastVerifiedAt: instant("last_verified_at"),
    verifyAttempts: integer("verify_attempts").notNull().default(0),
    ...timestamps,
  },
  (t) => [
    index("payments_tenant_created_idx").on(
      t.tenantId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    uniqueIndex("payments_connection_reference_key").on(t.connectionId, t.providerReference),
    // One attempt in flight per invoice (Lago's partial index): two `pay` calls cannot both charge.
    uniqueIndex("payments_one_in_flight_per_invoice")
      .on(t.invoiceId)
      .where(sql`${t.invoiceId} is not null and ${t.status} in ('created', 'requires_action', 'processing')`),
    index("payments_verify_due_idx")
      .on(t.nextVerifyAt)
      .where(sql`${t.status} in ('created', 'requires_action', 'processing')`),
    check("payments_status", sql`${t.status} in (${quoted(PAYMENT_STATUSES)})`),
    check("payments_provider", sql`${t.provider} in (${quoted(PAYMENT_PROVIDERS)})`),
    check("payments_amount", sql`${t.amountMinor} > 0`),
    check(
      "payments_refunded",
      sql`${t.amountRefundedMinor} >= 0 and ${t.amountRefundedMinor} <= ${t.amountMinor}`,
    ),
    tenantIsolation(),
  ],
).enableRLS();

export type Payment = typeof payments.$inferSelect;
