import { closest } from "fastest-levenshtein";

/**
 * Every event type the platform emits, with what it means: the one list publishers type against
 * (db/outbox.ts EventSpec), webhook endpoints and realtime subscriptions are checked against, and
 * GET /api/v1/events/types publishes. An event type not listed here cannot be emitted.
 */
export const EVENT_CATALOGUE = {
  "contact.created": "A contact was created (data: the contact).",
  "contact.updated": "A contact was changed (data: the contact after the change).",
  "contact.deleted": "A contact was soft-deleted (data: the contact).",
  "lead.created": "A lead was created (data: the lead).",
  "lead.updated": "A lead was changed (data: the lead after the change).",
  "lead.deleted": "A lead was soft-deleted (data: the lead).",
  "lead.converted": "A lead was converted into a contact and an opportunity (data: the lead).",
  "opportunity.created": "An opportunity was created (data: the opportunity).",
  "opportunity.updated": "An opportunity was changed (data: the opportunity after the change).",
  "opportunity.stage_changed": "An opportunity moved to another stage (data: the opportunity).",
  "opportunity.won": "An opportunity reached a won stage (data: the opportunity).",
  "opportunity.lost": "An opportunity reached a lost stage (data: the opportunity).",
  "opportunity.deleted": "An opportunity was soft-deleted (data: the opportunity).",
  "webhook_endpoint.created": "A webhook endpoint was registered (data: the endpoint, without its secret).",
  "webhook_endpoint.updated": "A webhook endpoint was changed or its secret rotated (data: the endpoint).",
  "webhook_endpoint.deleted": "A webhook endpoint was deleted (data: the endpoint).",
  "webhook.test":
    "A test event sent on request (POST /api/v1/webhooks/endpoints/{id}/test) to that one endpoint only, " +
    "whatever its event_types; never fanned out to other endpoints or realtime (data: endpoint_id, message).",
  "payment_connection.created":
    "A payment provider account was connected (data: the connection with its webhook_url, never a secret).",
  "payment_connection.updated":
    "A payment connection was changed or its secrets rotated (data: the connection, never a secret).",
  "payment_connection.deleted":
    "A payment connection was deleted and its secrets erased (data: the connection).",
  "resource.created": "A resource was created (data: the resource).",
  "resource.updated": "A resource was changed (data: the resource after the change).",
  "resource.deleted": "A resource was soft-deleted; it left every search mode (data: the resource).",
  "tenant.activated": "A sign-up finished: the tenant is active (data: tenant_id, name, …).",
  "tenant.settings_updated":
    "The tenant's settings were changed (PATCH /api/v1/nexus/tenant) (data: settings, the tenant's settings " +
    "after the change as GET /api/v1/nexus/tenant answers them; changes, what changed: name {from, to}, " +
    "custom_fields.<entity> and pipeline as {added, changed, removed} keys, pipeline.reordered).",

  "payment.created":
    "A payment was initiated and awaits the customer at the provider's checkout (data: the payment, status requires_action, with checkout_url).",
  "payment.processing": "The provider is processing a payment (data: the payment).",
  "payment.succeeded":
    "A payment succeeded, confirmed by pulling the provider's verify endpoint (data: the payment).",
  "payment.failed":
    "A payment failed at the provider, or could not be initiated (data: the payment, failure_code, failure_message).",
  "payment.canceled": "A payment was canceled (data: the payment).",
  "payment.expired": "A payment's checkout expired unpaid (data: the payment).",
  "payment.refunded":
    "A payment was refunded in part or in full (data: the payment, status partially_refunded or refunded, amount_refunded).",
  "payment.disputed": "The customer disputed a payment (data: the payment).",
  "invoice.created": "A draft invoice was created (data: the invoice, its lines and totals).",
  "invoice.updated": "A draft invoice was changed (data: the invoice after the change).",
  "invoice.deleted": "A draft invoice was deleted (data: the invoice).",
  "invoice.finalized":
    "An invoice was finalized: it has its number and is open for payment (data: the invoice).",
  "invoice.partially_paid":
    "A payment settled part of an invoice (data: the invoice, amount_paid and amount_due).",
  "invoice.paid": "An invoice was paid in full (data: the invoice).",
  "invoice.voided": "An invoice was voided; it keeps its number (data: the invoice).",
  "invoice.marked_uncollectible":
    "An invoice was written off as uncollectible; it can still be paid (data: the invoice).",
  "privacy.subject_erased":
    "A person was erased on request (GDPR Art. 17, NDPA s.36): drop every copy of the listed events and of the " +
    "subject's records (data: request_id, subject_type, subject_id, event_ids). Ids only.",
} as const;

export type EventType = keyof typeof EVENT_CATALOGUE;

export const EVENT_TYPES = Object.keys(EVENT_CATALOGUE) as EventType[];

/** The nouns (`contact`, `lead`, …) a prefix may name. */
const NOUNS = [...new Set(EVENT_TYPES.map((t) => t.slice(0, t.lastIndexOf("."))))];

/** A name that the input begins (`webhook` → `webhook_endpoint`), else the least edit distance. */
function nearest(input: string, names: readonly string[]): string {
  return names.find((name) => name.startsWith(input)) ?? closest(input, [...names]);
}

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(EVENT_CATALOGUE, value);
}

/**
 * Why a filter (an exact type, or a prefix `noun` + `separator`, `contact.*` for webhooks and
 * `contact.` for realtime) names nothing the platform emits, with the closest known spelling; or
 * undefined when it is known.
 */
export function unknownEventFilter(filter: string, separator: "." | ".*"): string | undefined {
  if (filter.endsWith(separator)) {
    const noun = filter.slice(0, -separator.length);
    if (NOUNS.includes(noun)) return undefined;
    return `Unknown event type prefix ${filter}; did you mean ${nearest(noun, NOUNS)}${separator}? (GET /api/v1/events/types lists them)`;
  }
  if (isEventType(filter)) return undefined;
  return `Unknown event type ${filter}; did you mean ${nearest(filter, EVENT_TYPES)}? (GET /api/v1/events/types lists them)`;
}
