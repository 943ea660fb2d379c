import { sql } from "drizzle-orm";

/** The payment providers a tenant can connect (workers/api/finance/connectors/). */
export const PAYMENT_PROVIDERS = ["stripe", "paystack", "flutterwave"] as const;
export type PaymentProvider = (typeof PAYMENT_PROVIDERS)[number];

/**
 * One status set over every provider (research/finance.md): a payment only moves forward along
 * `created → requires_action → processing → succeeded | failed | canceled | expired`, and a
 * succeeded one only on to `refunded | partially_refunded | disputed`.
 */
export const PAYMENT_STATUSES = [
  "created",
  "requires_action",
  "processing",
  "succeeded",
  "failed",
  "canceled",
  "expired",
  "partially_refunded",
  "refunded",
  "disputed",
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Still waiting on the customer or the provider: what the janitor re-verifies. */
export const IN_FLIGHT_PAYMENT_STATUSES = ["created", "requires_action", "processing"] as const;

/** Stripe's invoice statuses plus `partially_paid`. A draft has no number; a void keeps its number. */
export const INVOICE_STATUSES = ["draft", "open", "partially_paid", "paid", "void", "uncollectible"] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** Nigeria's e-invoicing clearance (NRS MBS); `not_required` until a transmitter is configured. */
export const EINVOICE_CLEARANCE_STATUSES = ["not_required", "pending", "cleared", "rejected"] as const;

/** What became of a verified provider event (provider_events.state). */
export const PROVIDER_EVENT_STATES = ["received", "applied", "ignored", "failed"] as const;

export const quoted = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(", "));
