import { env } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { inject } from "vitest";
import { loadConfig } from "../../workers/api/env";
import type { EventType } from "../../workers/api/events/catalogue";
import { loadDeliveryTargets, type WebhookEndpointView } from "../../workers/api/services/webhook-endpoints";
import { type CallInit, call, type Envelope, envelope, tokenFor } from "./helpers";
import { asTenant, db } from "./oauth-helpers";
import { limitedTenant, only } from "./rate-limit-helpers";

export const ENDPOINTS = "/api/v1/webhooks/endpoints";

/** An endpoint as the API answers it; `secret` only from a create or a rotation. */
export type Endpoint = WebhookEndpointView & { secret?: string };

/** A tenant of its own (so the per-tenant endpoint cap never meets another test) and its owner's token. */
export async function freshTenant(role = "Owner") {
  const tenantId = await limitedTenant(only({}), "enterprise");
  const userId = crypto.randomUUID();
  return { tenantId, userId, token: await tokenFor({ tenantId, userId, role }) };
}

export async function hooks<T = Endpoint>(path: string, init: CallInit = {}) {
  const res = await call(`${ENDPOINTS}${path}`, init);
  const body = res.status === 204 ? undefined : await envelope<T>(res);
  return { res, status: res.status, body: body as Envelope<T> };
}

/**
 * A URL at the loopback webhook receiver (test/support/webhook-receiver.ts), a path of its own.
 * Every endpoint a test leaves enabled points there: its events are really delivered, and never
 * to a name that would need DNS (which fails here and makes workerd log uncaught exceptions).
 */
export const receiverUrl = (name = `endpoint-${crypto.randomUUID()}`) =>
  `${inject("webhookReceiverUrl")}/hooks/${name}`;

/** Registers an endpoint at its own receiver URL, unless `json.url` says otherwise. */
export function register(token: string, json: Record<string, unknown> = {}) {
  return hooks("", { method: "POST", token, json: { url: receiverUrl(), ...json } });
}

/** What the dispatcher would load for `eventType`, secrets in clear. */
export function targets(tenantId: string, eventType: EventType = "contact.created") {
  const key = loadConfig(env).dataEncryptionKey;
  if (!key) throw new Error("DATA_ENCRYPTION_KEY is not bound");
  return loadDeliveryTargets(db(), tenantId, key, eventType);
}

/** The stored row, as the app role sees it under the tenant's setting. */
export async function storedRow(tenantId: string, id: string) {
  const [rows = []] = await asTenant(tenantId, sql`select * from webhook_endpoints where id = ${id}`);
  return rows[0] as Record<string, unknown> | undefined;
}

/** The tenant's outbox events about one endpoint, oldest first. */
export async function endpointEvents(tenantId: string, id: string) {
  const [rows = []] = await asTenant(
    tenantId,
    sql`select event_type, payload from outbox_events
        where tenant_id = ${tenantId} and payload->'data'->>'id' = ${id} order by created_at`,
  );
  return rows as { event_type: string; payload: Record<string, any> }[];
}
