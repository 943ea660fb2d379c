import { env } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { loadConfig } from "../../workers/api/env";
import { parseConnectionId } from "../../workers/api/finance/connection-id";
import { connectorFor } from "../../workers/api/finance/connectors/connector-for";
import type { PaymentConnectionView } from "../../workers/api/services/finance/payment-connections";
import { loadConnection } from "../../workers/api/services/finance/payment-connections";
import { type CallInit, call, type Envelope, envelope } from "./helpers";
import { asTenant, db } from "./oauth-helpers";

export const CONNECTIONS = "/api/v1/finance/connections";

export type Connection = PaymentConnectionView;

/** Credentials of the real shapes (random, so no two tests share one). */
const hex = (bytes: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
export const stripeKey = (mode: "test" | "live" = "test") => `sk_${mode}_${hex(24)}`;
export const stripeWebhookSecret = () => `whsec_${hex(16)}`;
export const paystackKey = (mode: "test" | "live" = "test") => `sk_${mode}_${hex(20)}`;
export const flutterwaveKey = (mode: "test" | "live" = "test") =>
  `${mode === "test" ? "FLWSECK_TEST" : "FLWSECK"}-${hex(16)}-X`;
export const flutterwaveHash = () => `hash-${hex(12)}`;

/** A valid create body per provider. */
export function connectionBody(
  provider: "stripe" | "paystack" | "flutterwave",
  extra: Record<string, unknown> = {},
) {
  switch (provider) {
    case "stripe":
      return { provider, secret_key: stripeKey(), webhook_secret: stripeWebhookSecret(), ...extra };
    case "paystack":
      return { provider, secret_key: paystackKey(), ...extra };
    case "flutterwave":
      return { provider, secret_key: flutterwaveKey(), webhook_secret: flutterwaveHash(), ...extra };
  }
}

export async function connections<T = Connection>(path: string, init: CallInit = {}) {
  const res = await call(`${CONNECTIONS}${path}`, init);
  const text = res.status === 204 ? "" : await res.text();
  const body = (text ? JSON.parse(text) : undefined) as Envelope<T>;
  return { res, status: res.status, body, text };
}

export function connect(token: string, json: Record<string, unknown>) {
  return connections("", { method: "POST", token, json });
}

/** The stored row, as the app role sees it under the tenant's setting. */
export async function storedConnection(tenantId: string, publicId: string) {
  const uuid = parseConnectionId(publicId)?.uuid;
  if (!uuid) throw new Error(`not a connection id: ${publicId}`);
  const [rows = []] = await asTenant(tenantId, sql`select * from payment_connections where id = ${uuid}`);
  return rows[0] as Record<string, unknown> | undefined;
}

/** The connector the payment services would build for the connection (secrets opened). */
export async function connectorOf(tenantId: string, publicId: string) {
  const uuid = parseConnectionId(publicId)?.uuid as string;
  const row = await loadConnection(db(), tenantId, uuid);
  if (!row) throw new Error(`no connection ${publicId}`);
  return connectorFor(loadConfig(env), row);
}

export const dataKey = () => {
  const key = loadConfig(env).dataEncryptionKey;
  if (!key) throw new Error("DATA_ENCRYPTION_KEY is not bound");
  return key;
};

/** The tenant's outbox events about one connection, oldest first. */
export async function connectionEvents(tenantId: string, publicId: string) {
  const [rows = []] = await asTenant(
    tenantId,
    sql`select event_type, payload from outbox_events
        where tenant_id = ${tenantId} and payload->'data'->>'id' = ${publicId} order by created_at`,
  );
  return rows as { event_type: string; payload: Record<string, any> }[];
}

export { envelope };
