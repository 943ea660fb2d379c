import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import type { PaymentProvider } from "../../../../db/schema/finance-enums";
import type { PaymentConnector } from "../../finance/connectors/connector";
import {
  type ConnectorConfig,
  connectorFor,
  SEALED_CONNECTION_COLUMNS,
  type SealedConnection,
} from "../../finance/connectors/connector-for";
import { TtlCache } from "../../lib/ttl-cache";

/** A webhook URL's connection: its tenant, and its connector ready to check the signature. */
export interface WebhookConnection {
  tenantId: string;
  /** While a replaced webhook secret is still accepted: until when (ms since the epoch). */
  previousSecretUntil?: number | undefined;
  provider: PaymentProvider;
  connector: PaymentConnector;
}

/**
 * The connection a webhook URL names, before anything is verified: the public route knows only
 * its id. One round trip: payment_connection_tenant() (0018, SECURITY DEFINER) names the tenant,
 * which the same batch then reads the row under (row-level security). Undefined for an unknown or
 * deleted connection.
 */
export async function webhookConnection(
  db: Database,
  config: ConnectorConfig,
  connectionId: string,
): Promise<WebhookConnection | undefined> {
  const [, result] = await db.batch([
    db.execute(
      sql`select set_config('app.tenant_id',
            coalesce((select tenant_id::text from payment_connection_tenant(${connectionId}::uuid)), ''), true)`,
    ),
    db.execute(
      sql`select ${SEALED_CONNECTION_COLUMNS}, tenant_id,
            case when previous_webhook_secret_expires_at > now()
              then (extract(epoch from previous_webhook_secret_expires_at) * 1000)::bigint::text end
              as previous_until
          from payment_connections
          where id = ${connectionId} and not is_deleted`,
    ),
  ]);
  const row = result.rows[0] as
    | (SealedConnection & { tenant_id: string; previous_until: string | null })
    | undefined;
  if (!row?.secret_key_sealed) return undefined;
  return {
    tenantId: row.tenant_id,
    provider: row.provider,
    connector: await connectorFor(config, row),
    previousSecretUntil: row.previous_until === null ? undefined : Number(row.previous_until),
  };
}

/**
 * Webhook URLs' connections, secrets opened, per isolate for a short while: a provider's burst
 * hits the same URL hundreds of times a second, and each lookup is a round trip and an AES-GCM
 * open. A copy may be up to WEBHOOK_CONNECTION_TTL_MS old: the route looks again before refusing a
 * signature (a secret rotated meanwhile), and the store itself refuses a deleted connection.
 */
export const WEBHOOK_CONNECTION_TTL_MS = 30_000;
const webhookConnections = new TtlCache<WebhookConnection>(WEBHOOK_CONNECTION_TTL_MS, 1_000);

/** webhookConnection through the isolate's copy; `fresh` reads the database (and renews the copy). */
export async function cachedWebhookConnection(
  db: Database,
  config: ConnectorConfig,
  connectionId: string,
  options: { fresh?: boolean } = {},
): Promise<(WebhookConnection & { cached: boolean }) | undefined> {
  const copy = options.fresh ? undefined : webhookConnections.get(connectionId);
  if (copy) return { ...copy, cached: true };
  const found = await webhookConnection(db, config, connectionId);
  // A replaced secret's grace ends on time: the copy lives no longer than the grace does.
  const now = Date.now();
  const ttl = Math.min(
    WEBHOOK_CONNECTION_TTL_MS,
    (found?.previousSecretUntil ?? Number.POSITIVE_INFINITY) - now,
  );
  if (found) webhookConnections.set(connectionId, found, now, ttl);
  else webhookConnections.delete(connectionId);
  return found && { ...found, cached: false };
}

/** Drops the isolate's copy of a connection (deleted, or its store refused it). */
export const forgetWebhookConnection = (connectionId: string): void =>
  webhookConnections.delete(connectionId);
